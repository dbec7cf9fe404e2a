/**
 * The pages of the e-mail flows (docs/email.md): asking for a password reset, choosing the new
 * password, and the notices between. Same shell, styles and rules as pages.tsx: no scripts, no
 * inline styles, every value escaped.
 */
import { Layout, renderDocument, type RealmView } from './layout.js';
import { format, getMessages, type Wording } from '../i18n/messages.js';
import { getEmailMessages } from '../i18n/email-messages.js';
import { claimLabel } from '../i18n/account-messages.js';
import { AccountLayout, type AccountNav } from './account-nav.js';

function Hidden(props: { name: string; value: string }) {
  return <input type="hidden" name={props.name} value={props.value} />;
}

function Alert(p: { error?: string }) {
  return p.error ? <div class="alert" role="alert">{p.error}</div> : null;
}

export function forgotPasswordPage(p: { realm: RealmView; action: string; csrf: string; identifier?: string }): string {
  const { realm } = p;
  const t = getEmailMessages(realm);
  return renderDocument(
    <Layout title={t.forgotTitle} realm={realm}>
      <div class="page-head">
        <h1>{t.forgotTitle}</h1>
        <p class="subtitle">{t.forgotText}</p>
      </div>
      <form method="post" action={p.action}>
        <Hidden name="csrf" value={p.csrf} />
        <div class="field">
          <label for="identifier">{t.forgotIdentifier}</label>
          <input type="text" id="identifier" name="identifier" autocomplete="username" autocapitalize="none" spellcheck={false}
            autofocus required maxLength={254} value={p.identifier ?? ''} />
        </div>
        <button type="submit" class="btn btn-primary">{t.forgotSubmit}</button>
      </form>
    </Layout>,
  );
}

/** The one answer to a reset request, whether or not an account matched. */
export function resetLinkSentPage(p: { realm: RealmView; minutes: number }): string {
  const { realm } = p;
  const t = getEmailMessages(realm);
  return noticePage({ realm, title: t.forgotSentTitle, text: format(t.forgotSentText, { minutes: p.minutes }) });
}

/** A new password and its repetition, with the account's name for password managers. */
export function NewPasswordFields(p: { username: string; wording: Wording }) {
  const t = getEmailMessages(p.wording);
  return (
    <>
      {/* Lets password managers file the new password under the right account. */}
      <input type="text" name="username" value={p.username} autocomplete="username" hidden readOnly />
      <div class="field">
        <label for="password">{t.resetNewPassword}</label>
        <input type="password" id="password" name="password" autocomplete="new-password" autofocus required />
      </div>
      <div class="field">
        <label for="password_confirm">{t.resetConfirmPassword}</label>
        <input type="password" id="password_confirm" name="password_confirm" autocomplete="new-password" required />
      </div>
    </>
  );
}

export function resetPasswordPage(p: { realm: RealmView; action: string; csrf: string; token: string; username: string; error?: string }): string {
  const { realm } = p;
  const t = getEmailMessages(realm);
  return renderDocument(
    <Layout title={t.resetTitle} realm={realm}>
      <div class="page-head">
        <h1>{t.resetTitle}</h1>
        <p class="subtitle">{p.username}</p>
      </div>
      <Alert error={p.error} />
      <form method="post" action={p.action}>
        <Hidden name="csrf" value={p.csrf} />
        <Hidden name="token" value={p.token} />
        <NewPasswordFields username={p.username} wording={realm} />
        <label class="check">
          <input type="checkbox" name="sign_out_everywhere" value="yes" checked />
          {t.resetSignOutEverywhere}
        </label>
        <button type="submit" class="btn btn-primary">{t.resetSubmit}</button>
      </form>
    </Layout>,
  );
}

/** The required action update_password: a new password before the sign-in goes on (the reset page's form, without a link). */
/** A new password for a signed-in user (a temporary one's replacement) or for an execute-actions link: `text` says why. */
export function updatePasswordPage(p: { realm: RealmView; action: string; fields: Record<string, string>; username: string; text?: string; error?: string }): string {
  const { realm } = p;
  const t = getEmailMessages(realm);
  return renderDocument(
    <Layout title={t.resetTitle} realm={realm}>
      <div class="page-head">
        <h1>{t.resetTitle}</h1>
        <p class="subtitle">{p.username}</p>
      </div>
      <p class="text">{p.text ?? t.updatePasswordText}</p>
      <Alert error={p.error} />
      <form method="post" action={p.action}>
        {Object.entries(p.fields).map(([name, value]) => <Hidden key={name} name={name} value={value} />)}
        <NewPasswordFields username={p.username} wording={realm} />
        <button type="submit" class="btn btn-primary">{t.resetSubmit}</button>
      </form>
    </Layout>,
  );
}

export function noticePage(p: { realm: RealmView; title: string; text: string; link?: { href: string; label: string } }): string {
  const { realm } = p;
  return renderDocument(
    <Layout title={p.title} realm={realm}>
      <h1>{p.title}</h1>
      <p class="text">{p.text}</p>
      {p.link && <p class="form-links"><a href={p.link.href}>{p.link.label}</a></p>}
    </Layout>,
  );
}

/** After a sign-up, or a sign-in refused until the address is verified: the link was sent, or type its code here. */
export function checkEmailPage(p: { realm: RealmView; action: string; csrf: string; verification: string; email: string; intro?: string; error?: string }): string {
  const { realm } = p;
  const t = getEmailMessages(realm);
  return renderDocument(
    <Layout title={t.checkEmailTitle} realm={realm}>
      <div class="page-head">
        <h1>{t.checkEmailTitle}</h1>
        {p.intro && <p class="subtitle">{p.intro}</p>}
        <p class="subtitle">{format(t.checkEmailText, { email: p.email })}</p>
      </div>
      <Alert error={p.error} />
      <form method="post" action={p.action}>
        <Hidden name="csrf" value={p.csrf} />
        <Hidden name="verification" value={p.verification} />
        <Hidden name="email" value={p.email} />
        <div class="field">
          <label for="code">{t.codeLabel}</label>
          <input type="text" id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]{6,7}" maxLength={7} required />
        </div>
        <button type="submit" class="btn btn-primary">{t.codeSubmit}</button>
      </form>
    </Layout>,
  );
}

/** The verification link's page: a button, so that a mail scanner fetching the link does not use it up. */
export function confirmEmailPage(p: { realm: RealmView; action: string; csrf: string; token: string; email: string; username: string }): string {
  const { realm } = p;
  const t = getEmailMessages(realm);
  return renderDocument(
    <Layout title={t.confirmTitle} realm={realm}>
      <div class="page-head">
        <h1>{t.confirmTitle}</h1>
        <p class="subtitle">{format(t.confirmText, { email: p.email, username: p.username })}</p>
      </div>
      <form method="post" action={p.action}>
        <Hidden name="csrf" value={p.csrf} />
        <Hidden name="token" value={p.token} />
        <button type="submit" class="btn btn-primary">{t.confirmSubmit}</button>
      </form>
    </Layout>,
  );
}

export interface RegistrationForm { username?: string; email?: string; fields: Record<string, string> }

export function registrationPage(p: {
  realm: RealmView; action: string; csrf: string; emailAsUsername: boolean; fields: string[]; values: RegistrationForm; error?: string;
  /** The terms the new account must accept, where the realm has some. */
  termsUrl?: string;
}): string {
  const { realm } = p;
  const t = getEmailMessages(realm);
  return renderDocument(
    <Layout title={t.registerTitle} realm={realm}>
      <div class="page-head">
        <h1>{format(t.registerHeading, { realm: realm.displayName })}</h1>
      </div>
      <Alert error={p.error} />
      <form method="post" action={p.action}>
        <Hidden name="csrf" value={p.csrf} />
        {!p.emailAsUsername && (
          <div class="field">
            <label for="username">{getMessages(realm).username}</label>
            <input type="text" id="username" name="username" autocomplete="username" autocapitalize="none" spellcheck={false}
              autofocus required maxLength={64} value={p.values.username ?? ''} />
          </div>
        )}
        <div class="field">
          <label for="email">{t.email}</label>
          <input type="email" id="email" name="email" autocomplete="email" autocapitalize="none" spellcheck={false}
            autofocus={p.emailAsUsername} required maxLength={254} value={p.values.email ?? ''} />
        </div>
        {p.fields.map((claim) => (
          <div class="field" key={claim}>
            <label for={claim}>{claimLabel(realm, claim)}</label>
            <input type="text" id={claim} name={claim} required maxLength={200} value={p.values.fields[claim] ?? ''} />
          </div>
        ))}
        <div class="field">
          <label for="password">{getMessages(realm).password}</label>
          <input type="password" id="password" name="password" autocomplete="new-password" required />
        </div>
        <div class="field">
          <label for="password_confirm">{t.passwordConfirm}</label>
          <input type="password" id="password_confirm" name="password_confirm" autocomplete="new-password" required />
        </div>
        {p.termsUrl ? (
          <>
            <label class="check">
              <input type="checkbox" name="terms" value="accept" required />
              {t.termsAccept}
            </label>
            <p class="note terms-link"><a href={p.termsUrl} target="_blank" rel="noopener noreferrer">{t.termsLink}</a></p>
          </>
        ) : null}
        <button type="submit" class="btn btn-primary">{t.registerSubmit}</button>
      </form>
    </Layout>,
  );
}

/** The sign-in page's links to the e-mail flows, shown where they are on. */
export function SignInLinks(p: { wording: Wording; forgotPasswordHref?: string; registerHref?: string }) {
  if (!p.forgotPasswordHref && !p.registerHref) return null;
  const t = getEmailMessages(p.wording);
  return (
    <p class="form-links">
      {p.forgotPasswordHref && <a href={p.forgotPasswordHref}>{t.forgotLink}</a>}
      {p.registerHref && <a href={p.registerHref}>{t.registerLink}</a>}
    </p>
  );
}


/** Where a sign-in by e-mail code continues: the code form, and a form that sends a new code. */
export interface EmailCodeForms { verifyAction: string; resendAction: string; csrf: string; interaction: string; challenge: string; username: string }

/** After `Email me a sign-in code`: the same page whether or not the account exists or has a verified address. */
export function emailCodePage(p: { realm: RealmView; forms: EmailCodeForms; minutes: number; error?: string }): string {
  const { realm, forms } = p;
  const t = getEmailMessages(realm);
  return renderDocument(
    <Layout title={t.emailCodeTitle} realm={realm}>
      <div class="page-head">
        <h1>{t.emailCodeTitle}</h1>
        <p class="subtitle">{format(t.emailCodeText, { minutes: p.minutes })}</p>
      </div>
      <Alert error={p.error} />
      <form method="post" action={forms.verifyAction}>
        <Hidden name="csrf" value={forms.csrf} />
        <Hidden name="interaction" value={forms.interaction} />
        <Hidden name="challenge" value={forms.challenge} />
        <Hidden name="username" value={forms.username} />
        <div class="field">
          <label for="code">{t.codeLabel}</label>
          <input type="text" id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]{6,7}" maxLength={7} autofocus required />
        </div>
        <button type="submit" class="btn btn-primary">{t.emailCodeSubmit}</button>
      </form>
      <form method="post" action={forms.resendAction}>
        <Hidden name="csrf" value={forms.csrf} />
        <Hidden name="interaction" value={forms.interaction} />
        <Hidden name="username" value={forms.username} />
        <button type="submit" class="btn btn-secondary btn-block">{t.emailCodeAgain}</button>
      </form>
    </Layout>,
  );
}

/** The sign-in link's page: a button, so that a mail scanner fetching the link does not use it up. */
export function emailLinkPage(p: { realm: RealmView; action: string; fields: Record<string, string>; username: string }): string {
  const { realm } = p;
  const t = getEmailMessages(realm);
  return renderDocument(
    <Layout title={t.emailLinkTitle} realm={realm}>
      <div class="page-head">
        <h1>{t.emailLinkTitle}</h1>
        <p class="subtitle">{format(t.emailLinkText, { realm: realm.displayName, username: p.username })}</p>
      </div>
      <form method="post" action={p.action}>
        {Object.entries(p.fields).map(([name, value]) => <Hidden key={name} name={name} value={value} />)}
        <button type="submit" class="btn btn-primary">{t.emailLinkSubmit}</button>
      </form>
    </Layout>,
  );
}

/** The account's e-mail page: the address and whether it is verified, and the form that changes it. */
export function accountEmailPage(p: {
  realm: RealmView; nav: AccountNav; email?: string; verified: boolean; action: string; csrf: string; askPassword: boolean;
  newEmail?: string; error?: string; notice?: string;
}): string {
  const { realm } = p;
  const t = getEmailMessages(realm);
  return renderDocument(
    <AccountLayout realm={realm} nav={p.nav} title={t.accountEmailTitle}>
      {p.notice ? <p class="text" role="status">{p.notice}</p> : null}
      <Alert error={p.error} />
      <p class="text current-email">
        {p.email ? `${format(t.accountEmailCurrent, { email: p.email })} ${p.verified ? t.accountEmailVerified : t.accountEmailUnverified}` : t.accountEmailNone}
      </p>
      <form method="post" action={p.action}>
        <Hidden name="csrf" value={p.csrf} />
        <div class="field">
          <label for="email">{t.accountEmailNew}</label>
          <input type="email" id="email" name="email" autocomplete="email" autocapitalize="none" spellcheck={false} maxLength={254} required value={p.newEmail ?? ''} />
        </div>
        {p.askPassword ? (
          <div class="field">
            <label for="password">{t.accountEmailPassword}</label>
            <input type="password" id="password" name="password" autocomplete="current-password" required />
          </div>
        ) : null}
        <button type="submit" class="btn btn-primary">{t.accountEmailSubmit}</button>
      </form>
    </AccountLayout>,
  );
}

/** An execute-actions link's page: what the administrator asks for, and a button (a mail scanner fetching the link does not use it up). */
export function executeActionsPage(p: { realm: RealmView; action: string; fields: Record<string, string>; username: string; actions: string[] }): string {
  const { realm } = p;
  const t = getEmailMessages(realm);
  const named = p.actions.map((a) => (t as Record<string, string>)[`action_${a}`] ?? a).join(', ');
  return renderDocument(
    <Layout title={t.actionsPageTitle} realm={realm}>
      <div class="page-head">
        <h1>{t.actionsPageTitle}</h1>
        <p class="subtitle">{p.username}</p>
      </div>
      <p class="text">{format(t.actionsIntro, { realm: realm.displayName, actions: named })}</p>
      <form method="post" action={p.action}>
        {Object.entries(p.fields).map(([name, value]) => <Hidden key={name} name={name} value={value} />)}
        <button type="submit" class="btn btn-primary">{t.actionsContinue}</button>
      </form>
    </Layout>,
  );
}
