/**
 * The required-action pages (src/ui/required-actions.ts): verify the address (send a code, type it
 * or follow the link), complete the profile, accept the terms. Same shell and rules as pages.tsx.
 */
import { Layout, renderDocument, type RealmView } from './layout.js';
import { format } from '../i18n/messages.js';
import { getActionMessages } from '../i18n/action-messages.js';
import { getEmailMessages } from '../i18n/email-messages.js';
import { claimLabel } from '../i18n/account-messages.js';

function Hidden(props: { name: string; value: string }) {
  return <input type="hidden" name={props.name} value={props.value} />;
}

export interface ActionForm { action: string; fields: Record<string, string> }

export function verifyEmailActionPage(p: { realm: RealmView; form: ActionForm; email: string; sent?: { verification: string }; error?: string }): string {
  const { realm } = p;
  const t = getActionMessages(realm);
  const hidden = Object.entries(p.form.fields).map(([name, value]) => <Hidden key={name} name={name} value={value} />);
  return renderDocument(
    <Layout title={t.verifyTitle} realm={realm}>
      <div class="page-head">
        <h1>{t.verifyTitle}</h1>
        <p class="subtitle">{format(p.sent ? t.verifySent : t.verifyText, { email: p.email })}</p>
      </div>
      {p.error ? <div class="alert" role="alert">{p.error}</div> : null}
      {p.sent ? (
        <>
          <form method="post" action={p.form.action}>
            {hidden}
            <Hidden name="step" value="code" />
            <Hidden name="verification" value={p.sent.verification} />
            <div class="field">
              <label for="code">{getEmailMessages(realm).codeLabel}</label>
              <input type="text" id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]{6,7}" maxLength={7} autofocus required />
            </div>
            <button type="submit" class="btn btn-primary">{getEmailMessages(realm).codeSubmit}</button>
          </form>
          <form method="post" action={p.form.action}>
            {hidden}
            <Hidden name="step" value="check" />
            <button type="submit" class="btn btn-secondary btn-block">{t.verifyContinue}</button>
          </form>
        </>
      ) : (
        <form method="post" action={p.form.action}>
          {hidden}
          <Hidden name="step" value="send" />
          <button type="submit" class="btn btn-primary">{t.verifySend}</button>
        </form>
      )}
    </Layout>,
  );
}

export function updateProfileActionPage(p: { realm: RealmView; form: ActionForm; fields: string[]; values: Record<string, string>; error?: string }): string {
  const { realm } = p;
  const t = getActionMessages(realm);
  const te = getEmailMessages(realm);
  const others = p.fields.filter((claim) => claim !== 'given_name' && claim !== 'family_name');
  return renderDocument(
    <Layout title={t.profileTitle} realm={realm}>
      <div class="page-head">
        <h1>{t.profileTitle}</h1>
        <p class="subtitle">{t.profileText}</p>
      </div>
      {p.error ? <div class="alert" role="alert">{p.error}</div> : null}
      <form method="post" action={p.form.action}>
        {Object.entries(p.form.fields).map(([name, value]) => <Hidden key={name} name={name} value={value} />)}
        <div class="field">
          <label for="given_name">{te.field_given_name}</label>
          <input type="text" id="given_name" name="given_name" autocomplete="given-name" maxLength={200} required autofocus value={p.values.given_name ?? ''} />
        </div>
        <div class="field">
          <label for="family_name">{te.field_family_name}</label>
          <input type="text" id="family_name" name="family_name" autocomplete="family-name" maxLength={200} required value={p.values.family_name ?? ''} />
        </div>
        {others.map((claim) => (
          <div class="field" key={claim}>
            <label for={claim}>{claimLabel(realm, claim)}</label>
            <input type="text" id={claim} name={claim} maxLength={200} required value={p.values[claim] ?? ''} />
          </div>
        ))}
        <button type="submit" class="btn btn-primary">{t.profileSubmit}</button>
      </form>
    </Layout>,
  );
}

export function termsActionPage(p: { realm: RealmView; form: ActionForm; termsUrl: string }): string {
  const { realm } = p;
  const t = getActionMessages(realm);
  return renderDocument(
    <Layout title={t.termsTitle} realm={realm}>
      <div class="page-head">
        <h1>{t.termsTitle}</h1>
        <p class="subtitle">{t.termsText}</p>
      </div>
      <p class="text"><a href={p.termsUrl} target="_blank" rel="noopener noreferrer">{t.termsRead}</a></p>
      <form method="post" action={p.form.action} class="actions">
        {Object.entries(p.form.fields).map(([name, value]) => <Hidden key={name} name={name} value={value} />)}
        <button type="submit" name="decision" value="decline" class="btn btn-secondary">{t.termsDecline}</button>
        <button type="submit" name="decision" value="accept" class="btn btn-primary">{t.termsAccept}</button>
      </form>
    </Layout>,
  );
}

