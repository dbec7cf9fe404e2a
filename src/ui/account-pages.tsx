/**
 * The account console's own pages (docs/account.md): the landing page, Personal info, Password, and
 * Devices and sessions. Plain forms with the CSRF token: everything works without JavaScript.
 */
import { claimLabel, getAccountMessages } from '../i18n/account-messages.js';
import { format } from '../i18n/messages.js';
import { AccountLayout, type AccountNav } from './account-nav.js';
import { NewPasswordFields } from './email-pages.js';
import { renderDocument, type RealmView } from './layout.js';
import { ActionButton, type ActionForm } from './mfa-pages.js';

function Hidden(props: { name: string; value: string }) {
  return <input type="hidden" name={props.name} value={props.value} />;
}

function Messages(p: { notice?: string; error?: string }) {
  return (
    <>
      {p.error ? <div class="alert" role="alert">{p.error}</div> : null}
      {p.notice ? <div class="notice" role="status">{p.notice}</div> : null}
    </>
  );
}

/** The landing page: one entry per section of the navigation, with what it is for. */
export function accountHomePage(p: { realm: RealmView; nav: AccountNav }): string {
  const { realm } = p;
  const t = getAccountMessages(realm);
  return renderDocument(
    <AccountLayout realm={realm} nav={p.nav} title={t.accountTitle} intro={t.accountIntro}>
      <ul class="account-sections">
        {p.nav.items.filter((item) => item.section !== 'home').map((item) => (
          <li key={item.section}>
            <a href={item.href}>
              <strong>{t[`nav_${item.section}`]}</strong>
              <span>{t[`about_${item.section as Exclude<typeof item.section, 'home'>}`]}</span>
            </a>
          </li>
        ))}
      </ul>
    </AccountLayout>,
  );
}

/** How a claim's field is typed and filled in by browsers (HTML autocomplete tokens). */
const fieldKinds: Record<string, { type?: string; autocomplete?: string }> = {
  name: { autocomplete: 'name' },
  given_name: { autocomplete: 'given-name' },
  family_name: { autocomplete: 'family-name' },
  middle_name: { autocomplete: 'additional-name' },
  nickname: { autocomplete: 'nickname' },
  website: { type: 'url', autocomplete: 'url' },
  gender: { autocomplete: 'sex' },
  birthdate: { type: 'date', autocomplete: 'bday' },
  zoneinfo: { autocomplete: 'off' },
};

/** A language's own name for itself ("Deutsch"), or its tag where the runtime has no name for it. */
function languageName(tag: string): string {
  try {
    return new Intl.DisplayNames([tag], { type: 'language' }).of(tag) ?? tag;
  } catch {
    return tag;
  }
}

export function personalInfoPage(p: {
  realm: RealmView; nav: AccountNav; action: string; csrf: string; username: string; email?: string;
  fields: string[]; values: Record<string, string>; locales: string[]; maxLength: number; notice?: string; error?: string;
}): string {
  const { realm } = p;
  const t = getAccountMessages(realm);
  const languages = [...new Set([...p.locales, ...(p.values.locale ? [p.values.locale] : [])])];
  return renderDocument(
    <AccountLayout realm={realm} nav={p.nav} title={t.nav_personal_info} intro={t.about_personal_info}>
      <Messages notice={p.notice} error={p.error} />
      <dl class="facts">
        <div><dt>{t.profileUsername}</dt><dd>{p.username}</dd></div>
        <div><dt>{t.profileEmail}</dt><dd>{p.email ?? t.profileNoEmail}</dd></div>
      </dl>
      {p.fields.length === 0 ? <p class="text">{t.profileNone}</p> : (
        <form method="post" action={p.action}>
          <Hidden name="csrf" value={p.csrf} />
          {p.fields.map((claim) => (
            <div class="field" key={claim}>
              <label for={claim}>{claimLabel(realm, claim)}</label>
              {claim === 'locale' ? (
                <select id={claim} name={claim}>
                  <option value="" selected={!p.values.locale}>{t.profileNotSet}</option>
                  {languages.map((tag) => <option key={tag} value={tag} selected={p.values.locale === tag}>{languageName(tag)}</option>)}
                </select>
              ) : (
                <input type={fieldKinds[claim]?.type ?? 'text'} id={claim} name={claim} value={p.values[claim] ?? ''} maxLength={p.maxLength}
                  autocomplete={fieldKinds[claim]?.autocomplete} aria-describedby={claim === 'zoneinfo' ? 'zoneinfo-hint' : undefined} />
              )}
              {claim === 'zoneinfo' ? <p class="hint" id="zoneinfo-hint">{t.profileZoneinfoHint}</p> : null}
            </div>
          ))}
          <button type="submit" class="btn btn-primary">{t.profileSave}</button>
        </form>
      )}
    </AccountLayout>,
  );
}

export function passwordPage(p: {
  realm: RealmView; nav: AccountNav; action: string; csrf: string; username: string; hasPassword: boolean; minLength: number;
  notice?: string; error?: string;
}): string {
  const { realm } = p;
  const t = getAccountMessages(realm);
  return renderDocument(
    <AccountLayout realm={realm} nav={p.nav} title={t.nav_password}
      intro={format(p.hasPassword ? t.passwordIntro : t.passwordSetIntro, { min: p.minLength })}>
      <Messages notice={p.notice} error={p.error} />
      <form method="post" action={p.action}>
        <Hidden name="csrf" value={p.csrf} />
        {p.hasPassword ? (
          <div class="field">
            <label for="current_password">{t.passwordCurrent}</label>
            <input type="password" id="current_password" name="current_password" autocomplete="current-password" autofocus required />
          </div>
        ) : null}
        <NewPasswordFields username={p.username} wording={realm} />
        <label class="check">
          <input type="checkbox" name="sign_out_others" value="yes" checked />
          {t.passwordSignOutOthers}
        </label>
        <button type="submit" class="btn btn-primary">{t.passwordSubmit}</button>
      </form>
    </AccountLayout>,
  );
}

/** One SSO session as the Devices and sessions page lists it. */
export interface SessionItem {
  id: string; browser?: string; os?: string; address?: string; started: string; lastSeen: string;
  applications: string[]; thisDevice: boolean; signOut?: ActionForm;
}

export function sessionsPage(p: { realm: RealmView; nav: AccountNav; sessions: SessionItem[]; signOutOthers?: ActionForm; notice?: string; error?: string }): string {
  const { realm } = p;
  const t = getAccountMessages(realm);
  return renderDocument(
    <AccountLayout realm={realm} nav={p.nav} title={t.nav_sessions} intro={t.sessionsIntro}>
      <Messages notice={p.notice} error={p.error} />
      <ul class="sessions">
        {p.sessions.map((session) => (
          <li key={session.id} class="session">
            <div class="session-head">
              <strong>{format(t.sessionsDevice, { browser: session.browser ?? t.sessionsUnknownBrowser, os: session.os ?? t.sessionsUnknownOs })}</strong>
              {session.thisDevice ? <span class="badge">{t.sessionsThisDevice}</span> : null}
            </div>
            <dl class="facts">
              {session.address ? <div><dt>{t.sessionsAddress}</dt><dd>{session.address}</dd></div> : null}
              <div><dt>{t.sessionsStarted}</dt><dd>{session.started}</dd></div>
              <div><dt>{t.sessionsLastSeen}</dt><dd>{session.lastSeen}</dd></div>
              <div><dt>{t.sessionsApplications}</dt><dd>{session.applications.length > 0 ? session.applications.join(', ') : t.sessionsNoApplications}</dd></div>
            </dl>
            {session.signOut ? <ActionButton form={session.signOut} secondary /> : null}
          </li>
        ))}
      </ul>
      {p.signOutOthers ? <ActionButton form={p.signOutOthers} /> : <p class="text">{t.sessionsOnlyThis}</p>}
    </AccountLayout>,
  );
}
