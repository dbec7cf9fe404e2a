// Driving the account console (test/account/): a browser that signed in to an application, and the
// console's pages and forms as it sees them.
import assert from 'node:assert/strict';
import { tokensFor } from './flows.js';
import type { TestServer } from './server.js';
import { parseForm, UserAgent, type Page } from './user-agent.js';

/** A browser signed in as `username` through the first-party client, with that client's tokens; `headers` go with its every request. */
export async function signedInBrowser(server: TestServer, username = 'alice', headers: Record<string, string> = {}) {
  const agent = new UserAgent(server.url, headers);
  const tokens = await tokensFor(server, agent, { client: 'trusted', scope: 'openid profile', user: username });
  return { agent, tokens };
}

/** An account console page (`section` after `{issuer}/account/`). */
export async function accountPage(server: TestServer, agent: UserAgent, section = ''): Promise<Page> {
  return agent.open(`${server.issuer()}/account/${section}`);
}

/** The CSRF token of an account page's forms. */
export function csrfOf(page: Page): string {
  const csrf = parseForm(page.html).fields.csrf;
  assert.ok(csrf, 'the page has a form with a CSRF token');
  return csrf;
}

/** The text of a page without its tags, spaces collapsed: what a reader sees. */
export function textOf(page: Page): string {
  return page.html.replace(/<[^>]+>/g, ' ').replace(/&#39;/g, "'").replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/\s+/g, ' ');
}

/** Whether a console page opened without a (live) session went to the realm's sign-in, as the account console's client. */
export function askedToSignIn(server: TestServer, page: Page, realm = 'demo'): boolean {
  return page.url.startsWith(`${server.issuer(realm)}/protocol/openid-connect/auth?client_id=strix-account-console&`) && /Sign in/.test(page.html);
}
