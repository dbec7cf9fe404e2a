/**
 * The pages of sign-in through an upstream provider (docs/identity-providers.md): the provider
 * buttons of the sign-in page, and the page that links an upstream account to an existing user once
 * that user gives its password. Same shell, styles and rules as pages.tsx.
 */
import { Layout, renderDocument, type RealmView } from './layout.js';
import { format, type Wording } from '../i18n/messages.js';
import { getBrokerMessages } from '../i18n/broker-messages.js';
import { AccountLayout, type AccountNav } from './account-nav.js';

export interface ProviderButton { label: string; href: string }

/** The sign-in page's `Sign in with …` buttons, under an "or" divider. */
export function ProviderButtons(p: { wording: Wording; providers?: ProviderButton[] }) {
  if (!p.providers || p.providers.length === 0) return null;
  const t = getBrokerMessages(p.wording);
  return (
    <div class="providers">
      <p class="divider"><span>{t.orDivider}</span></p>
      {p.providers.map((provider) => (
        <a key={provider.href} class="btn btn-secondary btn-block" href={provider.href}>{format(t.signInWith, { provider: provider.label })}</a>
      ))}
    </div>
  );
}

export function linkAccountPage(p: {
  realm: RealmView; provider: string; email: string; username: string; action: string; fields: Record<string, string>; error?: string;
}): string {
  const { realm } = p;
  const t = getBrokerMessages(realm);
  const v = { provider: p.provider, email: p.email, username: p.username };
  return renderDocument(
    <Layout title={format(t.linkTitle, v)} realm={realm}>
      <div class="page-head">
        <h1>{format(t.linkTitle, v)}</h1>
        <p class="subtitle">{format(t.linkText, v)}</p>
      </div>
      {p.error ? <div class="alert" role="alert">{p.error}</div> : null}
      <form method="post" action={p.action}>
        {Object.entries(p.fields).map(([name, value]) => <input key={name} type="hidden" name={name} value={value} />)}
        <input type="hidden" name="username" value={p.username} autocomplete="username" />
        <div class="field">
          <label for="password">{format(t.linkPassword, v)}</label>
          <input type="password" id="password" name="password" autocomplete="current-password" autofocus required />
        </div>
        <button type="submit" class="btn btn-primary">{t.linkSubmit}</button>
      </form>
    </Layout>,
  );
}

export interface LinkedProvider { name: string; linked: boolean; form: { action: string; fields: Record<string, string>; label: string } }

/** The account's linked accounts: each provider of the realm, linked or not, with its Link or Unlink button. */
export function linkedAccountsPage(p: {
  realm: RealmView; nav: AccountNav; providers: LinkedProvider[];
  notice?: string; error?: string; reauthenticate?: { href: string; label: string };
}): string {
  const { realm } = p;
  const t = getBrokerMessages(realm);
  return renderDocument(
    <AccountLayout realm={realm} nav={p.nav} title={t.linkedTitle}>
      {p.notice ? <p class="text" role="status">{p.notice}</p> : null}
      {p.error ? <div class="alert" role="alert">{p.error}</div> : null}
      {p.reauthenticate ? <p class="text"><a href={p.reauthenticate.href}>{p.reauthenticate.label}</a></p> : null}
      {p.providers.length === 0 ? <p class="text">{t.linkedNone}</p> : (
        <>
          <p class="text">{t.linkedText}</p>
          <ul class="applications">
            {p.providers.map((provider) => (
              <li key={provider.name} class="application">
                <strong class="application-name">{provider.name}</strong>
                <p class="note">{provider.linked ? t.linkedYes : t.linkedNo}</p>
                <form method="post" action={provider.form.action} class="inline-form">
                  {Object.entries(provider.form.fields).map(([name, value]) => <input key={name} type="hidden" name={name} value={value} />)}
                  <button type="submit" class={provider.linked ? 'btn btn-secondary' : 'btn btn-primary'}>{provider.form.label}</button>
                </form>
              </li>
            ))}
          </ul>
        </>
      )}
    </AccountLayout>,
  );
}
