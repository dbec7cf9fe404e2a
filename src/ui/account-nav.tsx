/**
 * The account console's shell (docs/account.md): every account page has the same wide card, the
 * navigation between its pages (the current one marked), and a heading with who is signed in.
 */
import type { ComponentChildren } from 'preact';
import { getAccountMessages } from '../i18n/account-messages.js';
import { Layout, type RealmView } from './layout.js';

/** The account console's pages, in the navigation's order. */
export const accountSections = ['home', 'personal_info', 'password', 'signing_in', 'sessions', 'applications', 'linked_accounts', 'email'] as const;
export type AccountSection = (typeof accountSections)[number];

/** The navigation of one account page: the sections this realm offers, where they are, and which one this is. */
export interface AccountNav {
  current: AccountSection;
  items: { section: AccountSection; href: string }[];
  signedInAs: string;
  /** The logout endpoint, which asks to confirm and ends this session everywhere. */
  signOutHref: string;
}

export function AccountLayout(p: {
  realm: RealmView; nav: AccountNav; title: string; intro?: string; scriptHrefs?: string[]; children?: ComponentChildren;
}) {
  const { realm } = p;
  const t = getAccountMessages(realm);
  return (
    <Layout title={p.title} realm={realm} scriptHrefs={p.scriptHrefs} wide>
      <div class="account">
      <nav class="account-nav" aria-label={t.navLabel}>
        <ul>
          {p.nav.items.map((item) => (
            <li key={item.section}>
              <a href={item.href} aria-current={item.section === p.nav.current ? 'page' : undefined}>{t[`nav_${item.section}`]}</a>
            </li>
          ))}
        </ul>
        <a class="account-sign-out" href={p.nav.signOutHref}>{t.signOut}</a>
      </nav>
      <div class="account-main">
        <div class="page-head">
          <h1>{p.title}</h1>
          <p class="subtitle">{p.nav.signedInAs}</p>
          {p.intro ? <p class="text">{p.intro}</p> : null}
        </div>
        {p.children}
      </div>
      </div>
    </Layout>
  );
}
