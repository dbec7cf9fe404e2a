/**
 * Server-rendered HTML pages (login, consent, error, logout).
 *
 * Every function returns a complete HTML document. All dynamic text is escaped
 * by preact; there are no scripts and no inline styles, so the pages work under
 * `default-src 'self'; style-src 'self'; script-src 'self'` and without JS.
 */
import { Layout, renderDocument, type LayoutRealm, type RealmView } from './layout.js';
import { format, getMessages, type Messages } from '../i18n/messages.js';
import { PasskeyButton, type PasskeyForm } from './mfa-pages.js';
import { SignInLinks } from './email-pages.js';
import { getEmailMessages } from '../i18n/email-messages.js';
import { ProviderButtons, type ProviderButton } from './broker-pages.js';

export type { RealmView };

function Hidden(props: { name: string; value: string }) {
  return <input type="hidden" name={props.name} value={props.value} />;
}

/**
 * What a client says about itself (OIDC Registration §2 logo_uri, policy_uri, tos_uri), already
 * reduced to https URIs; the CSP of the page must allow the logo's origin.
 */
export interface ClientBranding { logoUri?: string; policyUri?: string; tosUri?: string }

function ClientLogo(p: { branding?: ClientBranding; clientName?: string }) {
  return p.branding?.logoUri ? <img class="client-logo" src={p.branding.logoUri} alt={p.clientName ?? ''} /> : null;
}

function ClientLinks(p: { branding?: ClientBranding; clientName?: string; t: Messages }) {
  const { policyUri, tosUri } = p.branding ?? {};
  if (!policyUri && !tosUri) return null;
  const vars = { client: p.clientName ?? '' };
  return (
    <p class="client-links">
      {policyUri ? <a href={policyUri} rel="noopener noreferrer" target="_blank">{format(p.t.clientPolicy, vars)}</a> : null}
      {tosUri ? <a href={tosUri} rel="noopener noreferrer" target="_blank">{format(p.t.clientTerms, vars)}</a> : null}
    </p>
  );
}

export function loginPage(p: {
  realm: RealmView;
  action: string;
  csrf: string;
  interaction: string;
  clientName?: string;
  branding?: ClientBranding;
  username?: string;
  error?: string;
  /** Passwordless sign-in with a discoverable passkey (needs JavaScript: `scriptHrefs`). */
  passkey?: PasskeyForm;
  scriptHrefs?: string[];
  /** Where the realm sends mail: the forgotten-password page, and the sign-up page where it is open. */
  forgotPasswordHref?: string;
  registerHref?: string;
  /** Where the realm signs in by e-mail code: the target of `Email me a sign-in code` (the form's username goes with it). */
  emailCodeAction?: string;
  /** The realm's upstream identity providers shown on the page. */
  providers?: ProviderButton[];
}): string {
  const { realm } = p;
  const t = getMessages(realm);
  return renderDocument(
    <Layout title={t.loginTitle} realm={realm}
      scriptHrefs={p.passkey ? p.scriptHrefs : undefined}>
      <div class="page-head">
        <ClientLogo branding={p.branding} clientName={p.clientName} />
        <h1>{format(t.loginHeading, { realm: realm.displayName })}</h1>
        {p.clientName ? <p class="subtitle">{format(t.loginContinueTo, { client: p.clientName })}</p> : null}
      </div>
      {p.error ? (
        <div class="alert" role="alert">
          {p.error}
        </div>
      ) : null}
      <form method="post" action={p.action}>
        <Hidden name="csrf" value={p.csrf} />
        <Hidden name="interaction" value={p.interaction} />
        <div class="field">
          <label for="username">{t.username}</label>
          <input
            type="text"
            id="username"
            name="username"
            autocomplete="username"
            autocapitalize="none"
            spellcheck={false}
            autofocus
            required
            value={p.username ?? ''}
          />
        </div>
        <div class="field">
          <label for="password">{t.password}</label>
          <input type="password" id="password" name="password" autocomplete="current-password" required />
        </div>
        <button type="submit" class="btn btn-primary">
          {t.signIn}
        </button>
        {p.emailCodeAction ? (
          <button type="submit" class="btn btn-secondary btn-block" formaction={p.emailCodeAction} formnovalidate>
            {getEmailMessages(realm).emailCodeButton}
          </button>
        ) : null}
      </form>
      <ProviderButtons wording={realm} providers={p.providers} />
      <ClientLinks branding={p.branding} clientName={p.clientName} t={t} />
      {p.passkey ? <PasskeyButton form={p.passkey} /> : null}
      <SignInLinks wording={realm} forgotPasswordHref={p.forgotPasswordHref} registerHref={p.registerHref} />
    </Layout>,
  );
}

export function consentPage(p: {
  realm: RealmView;
  action: string;
  csrf: string;
  interaction: string;
  clientName: string;
  branding?: ClientBranding;
  username: string;
  scopes: { name: string; description: string }[];
  /** Replaces the closing advice (the device flow warns about codes from strangers). */
  note?: string;
}): string {
  const { realm } = p;
  const t = getMessages(realm);
  return renderDocument(
    <Layout title={t.consentTitle} realm={realm}>
      <div class="page-head">
        <ClientLogo branding={p.branding} clientName={p.clientName} />
        <h1>{format(t.consentHeading, { client: p.clientName })}</h1>
        <p class="subtitle">{format(t.consentSignedInAs, { username: p.username })}</p>
      </div>
      <form method="post" action={p.action}>
        <Hidden name="csrf" value={p.csrf} />
        <Hidden name="interaction" value={p.interaction} />
        {p.scopes.length > 0 ? (
          <>
            <p class="scopes-intro">{format(t.consentScopesIntro, { client: p.clientName })}</p>
            <ul class="scopes">
              {p.scopes.map((scope) => (
                <li key={scope.name}>
                  <strong>{scope.description}</strong>
                  <code>{scope.name}</code>
                </li>
              ))}
            </ul>
          </>
        ) : (
          <p class="text">{t.consentNoScopes}</p>
        )}
        <p class="note">{p.note ?? format(t.consentNote, { client: p.clientName })}</p>
        <div class="actions">
          <button type="submit" name="decision" value="deny" class="btn btn-secondary">
            {t.deny}
          </button>
          <button type="submit" name="decision" value="allow" class="btn btn-primary">
            {t.allow}
          </button>
        </div>
      </form>
      <ClientLinks branding={p.branding} clientName={p.clientName} t={t} />
    </Layout>,
  );
}

export function errorPage(p: { realm: LayoutRealm; title: string; message: string }): string {
  return renderDocument(
    <Layout title={p.title} realm={p.realm}>
      <h1>{p.title}</h1>
      <p class="text">{p.message}</p>
    </Layout>,
  );
}

export function logoutConfirmPage(p: {
  realm: RealmView;
  action: string;
  csrf: string;
  fields: Record<string, string>;
  clientName?: string;
}): string {
  const { realm } = p;
  const t = getMessages(realm);
  const vars = { realm: realm.displayName, client: p.clientName ?? '' };
  return renderDocument(
    <Layout title={t.logoutTitle} realm={realm}>
      <div class="page-head">
        <h1>{format(t.logoutHeading, vars)}</h1>
        <p class="subtitle">{format(p.clientName ? t.logoutTextClient : t.logoutText, vars)}</p>
      </div>
      <form method="post" action={p.action}>
        <Hidden name="csrf" value={p.csrf} />
        {Object.entries(p.fields)
          // Never let a pass-through field shadow the CSRF token.
          .filter(([name]) => name !== 'csrf')
          .map(([name, value]) => (
            <Hidden key={name} name={name} value={value} />
          ))}
        <button type="submit" class="btn btn-primary">
          {t.signOut}
        </button>
      </form>
    </Layout>,
  );
}

export function loggedOutPage(p: { realm: RealmView }): string {
  const { realm } = p;
  const t = getMessages(realm);
  return renderDocument(
    <Layout title={t.loggedOutTitle} realm={realm}>
      <h1>{t.loggedOutHeading}</h1>
      <p class="text">{t.loggedOutText}</p>
    </Layout>,
  );
}

/**
 * Form Post Response Mode: the authorization response as a form that posts itself to the client's
 * redirect URI. The script only clicks the button, so it also works with JavaScript off.
 */
export function formPostPage(p: { realm: LayoutRealm; scriptHref: string; action: string; fields: Record<string, string> }): string {
  const t = getMessages(p.realm);
  return renderDocument(
    <Layout title={t.formPostTitle} realm={p.realm} scriptHref={p.scriptHref}>
      <h1>{t.formPostTitle}</h1>
      <p class="text">{t.formPostText}</p>
      <form method="post" action={p.action} id="form-post">
        {Object.entries(p.fields).map(([name, value]) => (
          <Hidden key={name} name={name} value={value} />
        ))}
        <button type="submit" class="btn btn-primary">
          {t.continue}
        </button>
      </form>
    </Layout>,
  );
}

/**
 * Signed out, with Front-Channel Logout 1.0 iframes that tell each client of the session; then on
 * to the client's post-logout redirect URI when there is one (a meta refresh: no JavaScript needed).
 */
export function frontchannelLogoutPage(p: { realm: RealmView; frames: string[]; next?: string }): string {
  const { realm } = p;
  const t = getMessages(realm);
  return renderDocument(
    <Layout title={t.loggedOutTitle} realm={realm}
      refresh={p.next ? { seconds: 2, url: p.next } : undefined}>
      <h1>{t.loggedOutHeading}</h1>
      <p class="text">{t.loggedOutText}</p>
      {p.next && <p class="text"><a href={p.next}>{t.continue}</a></p>}
      {p.frames.map((src) => <iframe key={src} src={src} class="logout-frame" title="sign-out" />)}
    </Layout>,
  );
}

/** The device verification page (RFC 8628 §3.3): the user types the code their device shows. */
export function deviceCodePage(p: { realm: RealmView; action: string; csrf: string; userCode?: string; error?: string }): string {
  const { realm } = p;
  const t = getMessages(realm);
  return renderDocument(
    <Layout title={t.deviceTitle} realm={realm}>
      <div class="page-head">
        <h1>{t.deviceTitle}</h1>
        <p class="subtitle">{t.deviceText}</p>
      </div>
      {p.error ? (
        <div class="alert" role="alert">
          {p.error}
        </div>
      ) : null}
      <form method="post" action={p.action}>
        <Hidden name="csrf" value={p.csrf} />
        <div class="field">
          <label for="user_code">{t.code}</label>
          <input type="text" id="user_code" name="user_code" autocomplete="one-time-code" autocapitalize="characters"
            spellcheck={false} autofocus required maxLength={20} value={p.userCode ?? ''} />
        </div>
        <button type="submit" class="btn btn-primary">
          {t.continue}
        </button>
      </form>
    </Layout>,
  );
}

/** The end of a device verification: the user goes back to the device (or learns why not). */
export function deviceResultPage(p: { realm: RealmView; outcome: 'approved' | 'denied' | 'expired' }): string {
  const { realm } = p;
  const t = getMessages(realm);
  const [title, text] = p.outcome === 'approved' ? [t.deviceApprovedTitle, t.deviceApprovedText]
    : p.outcome === 'denied' ? [t.deviceDeniedTitle, t.deviceDeniedText] : [t.deviceTitle, t.deviceExpiredText];
  return renderDocument(
    <Layout title={title} realm={realm}>
      <h1>{title}</h1>
      <p class="text">{text}</p>
    </Layout>,
  );
}
