/**
 * Pages of multi-factor authentication: the second-factor prompt, TOTP set-up, the recovery codes
 * shown once, and the account page. Codes work without JavaScript; passkeys need it (WebAuthn is
 * a browser API), through the external scripts in `scriptHrefs`.
 */
import { Layout, renderDocument, type RealmView } from './layout.js';
import { format, getMessages, type Messages } from '../i18n/messages.js';
import { AccountLayout, type AccountNav } from './account-nav.js';

function Hidden(props: { name: string; value: string }) {
  return <input type="hidden" name={props.name} value={props.value} />;
}

/**
 * A form the page script completes with a WebAuthn response (registration or assertion) and submits.
 * The ceremony's options are either in the page (`options`) or fetched when the button is pressed
 * (`optionsUrl`, posted the form's fields), so that a page nobody uses for a passkey stores no challenge.
 */
export interface PasskeyForm {
  action: string; ceremony: 'register' | 'authenticate'; options?: unknown; optionsUrl?: string; fields: Record<string, string>; label: string;
}

export function PasskeyButton(p: { form: PasskeyForm }) {
  return (
    <form method="post" action={p.form.action} class="webauthn-form" data-webauthn-ceremony={p.form.ceremony}
      data-webauthn-options={p.form.options === undefined ? undefined : JSON.stringify(p.form.options)} data-webauthn-options-url={p.form.optionsUrl}>
      {Object.entries(p.form.fields).map(([name, value]) => <Hidden key={name} name={name} value={value} />)}
      <input type="hidden" name="credential" value="" />
      <button type="button" class="btn btn-secondary webauthn-start">{p.form.label}</button>
    </form>
  );
}

function CodeField(p: { t: Messages; autocomplete: string }) {
  return (
    <div class="field">
      <label for="code">{p.t.verificationCode}</label>
      <input type="text" id="code" name="code" inputmode="text" autocomplete={p.autocomplete} autocapitalize="none" spellcheck={false} autofocus required />
    </div>
  );
}

function Alert(p: { error?: string }) {
  return p.error ? <div class="alert" role="alert">{p.error}</div> : null;
}

export function secondFactorPage(p: {
  realm: RealmView; scriptHrefs: string[]; action: string; csrf: string; interaction: string;
  codes: boolean; passkey?: PasskeyForm; error?: string;
}): string {
  const { realm } = p;
  const t = getMessages(realm);
  return renderDocument(
    <Layout title={t.mfaTitle} realm={realm}
      scriptHrefs={p.passkey ? p.scriptHrefs : undefined}>
      <div class="page-head">
        <h1>{t.mfaHeading}</h1>
        <p class="subtitle">{p.codes ? t.mfaText : t.mfaPasskeyOnly}</p>
      </div>
      <Alert error={p.error} />
      {p.codes ? (
        <form method="post" action={p.action}>
          <Hidden name="csrf" value={p.csrf} />
          <Hidden name="interaction" value={p.interaction} />
          <CodeField t={t} autocomplete="one-time-code" />
          <button type="submit" class="btn btn-primary">{t.verify}</button>
        </form>
      ) : null}
      {p.passkey ? <PasskeyButton form={p.passkey} /> : null}
    </Layout>,
  );
}

export function totpSetupPage(p: {
  realm: RealmView; action: string; csrf: string; fields: Record<string, string>; secret: string; qrSvg: string; error?: string;
}): string {
  const { realm } = p;
  const t = getMessages(realm);
  const qr = `data:image/svg+xml;base64,${Buffer.from(p.qrSvg).toString('base64')}`;
  return renderDocument(
    <Layout title={t.mfaSetupTitle} realm={realm}>
      <div class="page-head">
        <h1>{t.mfaSetupTitle}</h1>
        <p class="subtitle">{t.mfaSetupText}</p>
      </div>
      <Alert error={p.error} />
      <p class="qr"><img src={qr} alt={t.qrAlt} width={200} height={200} /></p>
      <p class="text">{t.mfaSetupManual} <code class="secret" id="totp-secret">{p.secret}</code></p>
      <form method="post" action={p.action}>
        <Hidden name="csrf" value={p.csrf} />
        {Object.entries(p.fields).map(([name, value]) => <Hidden key={name} name={name} value={value} />)}
        <CodeField t={t} autocomplete="one-time-code" />
        <button type="submit" class="btn btn-primary">{t.verify}</button>
      </form>
    </Layout>,
  );
}

/** The recovery codes, shown once; then on (a form that resumes the sign-in, or a link). */
export function recoveryCodesPage(p: {
  realm: RealmView; codes: string[]; next: { action: string; fields: Record<string, string> } | { href: string };
}): string {
  const { realm } = p;
  const t = getMessages(realm);
  return renderDocument(
    <Layout title={t.recoveryTitle} realm={realm}>
      <div class="page-head">
        <h1>{t.recoveryTitle}</h1>
        <p class="subtitle">{t.recoveryText}</p>
      </div>
      <ul class="recovery-codes">
        {p.codes.map((code) => <li key={code}><code>{code}</code></li>)}
      </ul>
      {'href' in p.next ? (
        <p class="text"><a href={p.next.href}>{t.continue}</a></p>
      ) : (
        <form method="post" action={p.next.action}>
          {Object.entries(p.next.fields).map(([name, value]) => <Hidden key={name} name={name} value={value} />)}
          <button type="submit" class="btn btn-primary">{t.continue}</button>
        </form>
      )}
    </Layout>,
  );
}

/**
 * Re-authentication on the account pages (a sign-in older than a few minutes): the password, and
 * a code when the user has an authenticator app or recovery codes.
 */
export function reauthenticatePage(p: { realm: RealmView; action: string; csrf: string; code: boolean; error?: string }): string {
  const { realm } = p;
  const t = getMessages(realm);
  return renderDocument(
    <Layout title={t.mfaHeading} realm={realm}>
      <div class="page-head">
        <h1>{t.mfaHeading}</h1>
        <p class="subtitle">{t.reauthenticateText}</p>
      </div>
      <Alert error={p.error} />
      <form method="post" action={p.action}>
        <Hidden name="csrf" value={p.csrf} />
        <div class="field">
          <label for="password">{t.password}</label>
          <input type="password" id="password" name="password" autocomplete="current-password" autofocus required />
        </div>
        {p.code ? <CodeField t={t} autocomplete="one-time-code" /> : null}
        <button type="submit" class="btn btn-primary">{t.verify}</button>
      </form>
    </Layout>,
  );
}

/** A one-button POST form of the account pages (CSRF token and fields hidden): works without JavaScript. */
export interface ActionForm { action: string; fields: Record<string, string>; label: string }

export function ActionButton(p: { form: ActionForm; secondary?: boolean }) {
  return (
    <form method="post" action={p.form.action} class="inline-form">
      {Object.entries(p.form.fields).map(([name, value]) => <Hidden key={name} name={name} value={value} />)}
      <button type="submit" class={p.secondary ? 'btn btn-secondary' : 'btn btn-primary'}>{p.form.label}</button>
    </form>
  );
}

export function accountMfaPage(p: {
  realm: RealmView; scriptHrefs: string[]; nav: AccountNav; totp: boolean; passkeys: number; recoveryCodes: number;
  canChange: boolean; totpSetup?: { href: string }; passkey?: PasskeyForm; notice?: string; error?: string; reauthenticateHref?: string;
  totpRemove?: ActionForm; newRecoveryCodes?: ActionForm;
  /** Each passkey with its name, when it was added and last used, and its Remove button where the session may change factors. */
  passkeyItems: { id: string; name: string; about: string; remove?: ActionForm }[];
}): string {
  const { realm } = p;
  const t = getMessages(realm);
  return renderDocument(
    <AccountLayout realm={realm} nav={p.nav} title={t.accountMfaTitle} scriptHrefs={p.passkey ? p.scriptHrefs : undefined}>
      <Alert error={p.error} />
      {p.notice ? <p class="text" role="status">{p.notice}</p> : null}
      <ul class="mfa-status">
        <li>{p.totp ? t.accountMfaTotpOn : t.accountMfaTotpOff}{p.totpRemove ? <ActionButton form={p.totpRemove} secondary /> : null}</li>
        <li>{format(t.accountMfaPasskeys, { count: p.passkeys })}</li>
        {p.passkeyItems.length > 0 ? (
          <li>
            <ul class="passkeys">
              {p.passkeyItems.map((item) => (
                <li key={item.id} class="passkey-item">
                  <strong>{item.name}</strong> <span class="note">{item.about}</span>
                  {item.remove ? <ActionButton form={item.remove} secondary /> : null}
                </li>
              ))}
            </ul>
          </li>
        ) : null}
        <li>{format(t.accountMfaRecovery, { count: p.recoveryCodes })}</li>
      </ul>
      {!p.canChange ? <p class="note">{t.accountMfaStepUp}</p> : null}
      {p.reauthenticateHref ? <p class="text"><a href={p.reauthenticateHref}>{t.reauthenticateLink}</a></p> : null}
      {p.newRecoveryCodes ? <ActionButton form={p.newRecoveryCodes} secondary /> : null}
      {p.totpSetup ? <p class="text"><a href={p.totpSetup.href}>{t.mfaSetupTitle}</a></p> : null}
      {p.passkey ? <PasskeyButton form={p.passkey} /> : null}
    </AccountLayout>,
  );
}

/** The applications a user consented to, each with a button that revokes the consent and its tokens. */
export function accountApplicationsPage(p: {
  realm: RealmView; nav: AccountNav; notice?: string;
  applications: { name: string; scopes: string[]; revoke: ActionForm }[];
}): string {
  const { realm } = p;
  const t = getMessages(realm);
  return renderDocument(
    <AccountLayout realm={realm} nav={p.nav} title={t.accountAppsTitle}>
      {p.notice ? <p class="text" role="status">{p.notice}</p> : null}
      {p.applications.length === 0 ? <p class="text">{t.accountAppsNone}</p> : (
        <ul class="applications">
          {p.applications.map((app) => (
            <li key={app.revoke.fields.client_id} class="application">
              <strong class="application-name">{app.name}</strong>
              <p class="note">{format(t.accountAppsScopes, { scopes: app.scopes.join(', ') })}</p>
              <ActionButton form={app.revoke} secondary />
            </li>
          ))}
        </ul>
      )}
    </AccountLayout>,
  );
}
