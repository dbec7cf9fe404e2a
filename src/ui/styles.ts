/**
 * Stylesheet for the server-rendered pages. Served as an external file so it
 * satisfies the CSP `style-src 'self'` (no inline styles anywhere). A realm's theme
 * (src/ui/branding.ts) loads after it and sets the custom properties below: --brand,
 * --brand-hover, --brand-text, --focus, --bg and --on-bg (text on --bg).
 */
export const stylesheet: string = `
:root {
  color-scheme: light dark;
  --bg: #f3f4f6;
  --on-bg: var(--text);
  --card: #ffffff;
  --text: #111827;
  --muted: #4b5563;
  --border: #d1d5db;
  --input-bg: #ffffff;
  --brand: #4f46e5;
  --brand-hover: #4338ca;
  --brand-text: #ffffff;
  --focus: #6366f1;
  --code-bg: #eef2ff;
  --code-text: #3730a3;
  --alert-bg: #fef2f2;
  --alert-border: #fca5a5;
  --alert-text: #991b1b;
  --shadow: 0 1px 3px rgba(17, 24, 39, 0.08), 0 8px 24px rgba(17, 24, 39, 0.06);
  --radius: 12px;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0b0f19;
    --card: #161b26;
    --text: #f3f4f6;
    --muted: #a1a7b3;
    --border: #374151;
    --input-bg: #0f1420;
    --focus: #a5b4fc;
    --code-bg: #1e1b4b;
    --code-text: #c7d2fe;
    --alert-bg: #2a1215;
    --alert-border: #7f1d1d;
    --alert-text: #fecaca;
    --shadow: 0 1px 3px rgba(0, 0, 0, 0.4), 0 8px 24px rgba(0, 0, 0, 0.3);
  }
}
*, *::before, *::after { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }
body {
  margin: 0;
  min-height: 100vh;
  display: flex;
  flex-direction: column;
  align-items: center;
  padding: 48px 16px 24px;
  background: var(--bg);
  color: var(--text);
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", sans-serif;
  font-size: 15px;
  line-height: 1.5;
  -webkit-font-smoothing: antialiased;
}
.site-header { width: 100%; max-width: 400px; margin-bottom: 16px; text-align: center; }
.realm-name {
  display: inline-flex; align-items: center; gap: 10px; max-width: 100%;
  font-size: 17px; font-weight: 600; letter-spacing: -0.01em; color: var(--on-bg);
}
.realm-title { min-width: 0; overflow-wrap: anywhere; text-align: start; }
.realm-logo { display: block; margin: 0 auto; max-width: 100%; max-height: 64px; width: auto; height: auto; object-fit: contain; }
.realm-mark {
  display: inline-flex; align-items: center; justify-content: center; flex: none;
  width: 30px; height: 30px; border-radius: 8px;
  background: var(--brand); color: var(--brand-text);
  font-size: 15px; font-weight: 700;
}
main.card {
  width: 100%; max-width: 400px;
  background: var(--card);
  border: 1px solid var(--border);
  border-radius: var(--radius);
  box-shadow: var(--shadow);
  padding: 32px;
  /* Realm and client names, scopes and a realm's own wording may hold words longer than the card is wide. */
  overflow-wrap: anywhere;
}
h1 { margin: 0 0 6px; font-size: 22px; line-height: 1.3; font-weight: 650; letter-spacing: -0.015em; overflow-wrap: anywhere; }
p { margin: 0 0 16px; }
/* A realm's wording may be right-to-left in any locale: each paragraph takes its direction from its text. */
h1, p, label, .alert, .btn, li { unicode-bidi: plaintext; }
.page-head { margin-bottom: 24px; }
.client-logo { display: block; max-width: 160px; max-height: 64px; margin: 0 0 16px; }
.client-links { margin: 16px 0 0; font-size: 13px; color: var(--muted); }
.client-links a { margin-right: 12px; }
.subtitle { color: var(--muted); margin: 0; overflow-wrap: anywhere; }
.text { color: var(--muted); margin: 12px 0 0; overflow-wrap: anywhere; }
.current-email { margin-bottom: 20px; }
.alert {
  margin: 0 0 20px; padding: 12px 14px;
  border: 1px solid var(--alert-border); border-radius: 8px;
  background: var(--alert-bg); color: var(--alert-text);
  font-size: 14px; overflow-wrap: anywhere;
}
form { margin: 0; }
.field { margin-bottom: 16px; }
label { display: block; margin-bottom: 6px; font-size: 14px; font-weight: 600; }
input[type="text"], input[type="password"], input[type="email"], input[type="url"], input[type="date"], select {
  display: block; width: 100%;
  padding: 10px 12px;
  font: inherit; color: var(--text);
  background: var(--input-bg);
  border: 1px solid var(--border); border-radius: 8px;
  transition: border-color 0.15s, box-shadow 0.15s;
}
input:hover { border-color: var(--muted); }
input:focus { outline: 2px solid transparent; border-color: var(--focus); box-shadow: 0 0 0 3px color-mix(in srgb, var(--focus) 35%, transparent); }
.btn {
  display: inline-flex; align-items: center; justify-content: center;
  min-height: 42px; padding: 10px 16px;
  font: inherit; font-weight: 600; line-height: 1.2;
  border-radius: 8px; border: 1px solid transparent;
  cursor: pointer; text-decoration: none;
  transition: background-color 0.15s, border-color 0.15s;
}
.btn:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
.btn-primary { width: 100%; background: var(--brand); color: var(--brand-text); }
.btn-primary:hover { background: var(--brand-hover); }
.btn-secondary { background: transparent; color: var(--text); border-color: var(--border); }
.btn-secondary:hover { background: var(--bg); border-color: var(--muted); }
form > .btn-primary { margin-top: 8px; }
.actions { display: flex; gap: 12px; margin-top: 24px; }
.actions .btn { flex: 1 1 0; width: auto; margin-top: 0; }
.scopes-intro { margin: 0 0 8px; font-size: 14px; font-weight: 600; }
.scopes { list-style: none; margin: 0; padding: 0; border: 1px solid var(--border); border-radius: 8px; }
.scopes li { padding: 12px 14px; display: flex; flex-direction: column; gap: 4px; }
.scopes li + li { border-top: 1px solid var(--border); }
.scopes strong { font-weight: 600; }
.scopes code {
  align-self: flex-start;
  font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  font-size: 12px; padding: 1px 6px; border-radius: 4px;
  background: var(--code-bg); color: var(--code-text);
}
.note { margin: 16px 0 0; color: var(--muted); font-size: 13px; }
.qr { text-align: center; margin: 16px 0; }
.qr img { background: #fff; border-radius: 8px; }
.secret, .recovery-codes code {
  font-family: ui-monospace, SFMono-Regular, Menlo, monospace; background: var(--code-bg); color: var(--code-text);
  padding: 2px 6px; border-radius: 4px; overflow-wrap: anywhere;
}
.recovery-codes { columns: 2; list-style: none; padding: 0; margin: 16px 0; }
.recovery-codes li { margin: 4px 0; }
.mfa-status { padding-left: 18px; }
.webauthn-form { margin-top: 16px; }
.webauthn-form .btn { width: 100%; }
.btn-block { width: 100%; margin-top: 12px; }
.providers { margin-top: 20px; }
.divider { display: flex; align-items: center; gap: 12px; margin: 0 0 4px; color: var(--muted); font-size: 13px; }
.divider::before, .divider::after { content: ""; flex: 1; border-top: 1px solid var(--border); }
.inline-form { display: inline; margin-left: 8px; }
.applications { list-style: none; padding: 0; }
.application { padding: 12px 0; border-bottom: 1px solid var(--border); }
[hidden] { display: none !important; }
.form-links { margin: 16px 0 0; font-size: 14px; text-align: center; display: flex; flex-wrap: wrap; justify-content: center; gap: 8px 20px; }
.form-links a, .text a { color: var(--brand); text-decoration: none; }
.form-links a:hover, .text a:hover { text-decoration: underline; }
label.check { display: flex; align-items: center; gap: 8px; margin: 0 0 20px; font-weight: 400; }
label.check input { width: 16px; height: 16px; margin: 0; accent-color: var(--brand); }
.terms-link { margin: -12px 0 16px 24px; }
.site-footer { margin-top: 24px; color: var(--on-bg); opacity: 0.75; font-size: 13px; text-align: center; max-width: 400px; overflow-wrap: anywhere; }
@media (max-width: 480px) {
  /* The card fills the screen: the header and footer are on the card's colour, not the realm's background. */
  body { padding: 16px 12px; background: var(--card); --on-bg: var(--text); }
  main.card { border: none; box-shadow: none; padding: 8px 4px; }
  .site-header { margin: 8px 0 20px; }
}
@media (prefers-reduced-motion: reduce) {
  * { transition: none !important; }
}

/* The account console (src/ui/account-nav.tsx): a wider card, its navigation beside the page (above it on narrow screens), and its lists. */
main.card-wide { max-width: 920px; }
.account { display: grid; grid-template-columns: 200px minmax(0, 1fr); gap: 32px; }
.account-main form:not(.inline-form) { max-width: 440px; }
.account-main form > .btn-primary { width: auto; min-width: 180px; }
.account-nav { margin: -6px 0 0 -12px; padding-right: 16px; border-right: 1px solid var(--border); }
.account-nav ul { list-style: none; margin: 0; padding: 0; display: flex; flex-direction: column; gap: 2px; }
.account-nav a {
  display: block; padding: 8px 12px; border-radius: 8px;
  color: var(--muted); font-size: 14px; font-weight: 500; text-decoration: none;
}
.account-nav a:hover { background: var(--bg); color: var(--text); }
.account-nav .account-sign-out { margin-top: 12px; padding-top: 12px; border-top: 1px solid var(--border); border-radius: 0; }
.account-nav a[aria-current="page"] { background: var(--code-bg); color: var(--code-text); font-weight: 600; }
.account-nav a:focus-visible, .account-sections a:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
.account-sections { list-style: none; margin: 0; padding: 0; display: grid; grid-template-columns: repeat(auto-fill, minmax(220px, 1fr)); gap: 12px; }
.account-sections a {
  display: flex; flex-direction: column; gap: 4px; height: 100%; padding: 16px;
  border: 1px solid var(--border); border-radius: 10px; color: var(--text); text-decoration: none;
  transition: border-color 0.15s;
}
.account-sections a:hover { border-color: var(--brand); }
.account-sections span { color: var(--muted); font-size: 14px; }
.notice {
  margin: 0 0 20px; padding: 12px 14px; border-radius: 8px; font-size: 14px; overflow-wrap: anywhere;
  background: color-mix(in srgb, #10b981 12%, var(--card)); border: 1px solid color-mix(in srgb, #10b981 50%, var(--card));
}
.facts { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: 4px 16px; margin: 0 0 20px; font-size: 14px; }
.facts div { display: contents; }
.facts dt { color: var(--muted); }
.facts dd { margin: 0; overflow-wrap: anywhere; }
.hint { margin: 6px 0 0; color: var(--muted); font-size: 13px; }
.sessions { list-style: none; margin: 0 0 20px; padding: 0; display: grid; gap: 12px; }
.session { padding: 16px; border: 1px solid var(--border); border-radius: 10px; }
.session-head { display: flex; flex-wrap: wrap; align-items: center; gap: 8px; margin-bottom: 8px; }
.session .facts { margin-bottom: 12px; }
.session .facts:last-child { margin-bottom: 0; }
.session .inline-form, .application .inline-form, .account-main > .inline-form { display: inline-block; margin: 0; }
.badge { padding: 2px 8px; border-radius: 999px; background: var(--code-bg); color: var(--code-text); font-size: 12px; font-weight: 600; }
@media (max-width: 760px) {
  .account { grid-template-columns: minmax(0, 1fr); gap: 0; }
  .account-nav { margin: 0 0 20px; padding: 0 0 12px; border-right: none; border-bottom: 1px solid var(--border); }
  .account-nav ul { flex-direction: row; flex-wrap: wrap; gap: 4px; }
  .account-nav a { padding: 6px 12px; border-radius: 999px; }
  .account-nav { display: flex; flex-wrap: wrap; align-items: flex-start; gap: 4px; }
  .account-nav ul { flex: 1 1 auto; }
  .account-nav .account-sign-out { margin: 0; padding: 6px 12px; border-top: none; border-radius: 999px; }
}
@media (max-width: 480px) {
  .account-main form > .btn-primary { width: 100%; }
}

.logout-frame { position: absolute; width: 0; height: 0; border: 0; visibility: hidden; }
`;
