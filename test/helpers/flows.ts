// Shortcuts for protocol tests: get an authorization code (signing in and consenting as needed),
// and call the token endpoint authenticated the way each test-realm client is registered.
import assert from 'node:assert/strict';
import { password } from './realm.js';
import type { TestServer } from './server.js';
import { authorizeUrl, callbackParams, isConsentPage, isLoginPage, pkcePair, tokenRequest, UserAgent } from './user-agent.js';

export type UserClient = 'web' | 'trusted' | 'spa';
export type ClientName = UserClient | 'service';

export const redirectUriOf: Record<UserClient, string> = {
  web: 'http://127.0.0.1:3999/callback',
  trusted: 'http://127.0.0.1:3999/callback',
  spa: 'http://127.0.0.1:5173/callback',
};

export interface CodeOptions {
  client: UserClient;
  scope: string;
  user?: string;
  /** Send an S256 code_challenge (default true). */
  pkce?: boolean;
  /** Extra authorization request parameters. */
  params?: Record<string, string>;
}

export interface Code { code: string; verifier?: string; redirectUri: string; state: string; callback: URLSearchParams }

/** Runs the authorization request to its end and returns the code (and the PKCE verifier). */
export async function codeFor(server: TestServer, browser: UserAgent, o: CodeOptions): Promise<Code> {
  const redirectUri = redirectUriOf[o.client];
  const pair = o.pkce === false ? undefined : pkcePair();
  let page = await browser.open(authorizeUrl(server.issuer(), {
    client_id: o.client, redirect_uri: redirectUri, response_type: 'code', scope: o.scope, state: 'state-1',
    ...(pair ? { code_challenge: pair.challenge, code_challenge_method: 'S256' } : {}), ...o.params,
  }));
  if (isLoginPage(page)) page = await browser.signIn(page, o.user ?? 'alice', password);
  else if (isConsentPage(page)) page = await browser.submit(page, {}, { name: 'decision', value: 'allow' });
  const callback = callbackParams(page);
  const code = callback.get('code');
  assert.ok(code, `no code in ${page.location}`);
  return { code, verifier: pair?.verifier, redirectUri, state: 'state-1', callback };
}

/** A token request, authenticated as the test realm registers the client. */
export function token(server: TestServer, client: ClientName, form: Record<string, string>): ReturnType<typeof tokenRequest> {
  const issuer = server.issuer();
  switch (client) {
    case 'web': return tokenRequest(issuer, form, { id: 'web', secret: 'web-secret' });
    case 'service': return tokenRequest(issuer, form, { id: 'service', secret: 'service-secret' });
    case 'trusted': return tokenRequest(issuer, { ...form, client_id: 'trusted', client_secret: 'trusted-secret' });
    case 'spa': return tokenRequest(issuer, { ...form, client_id: 'spa' });
  }
}

/** Redeems a code for `client`. */
export function redeem(server: TestServer, client: ClientName, code: Code): ReturnType<typeof tokenRequest> {
  return token(server, client, {
    grant_type: 'authorization_code', code: code.code, redirect_uri: code.redirectUri,
    ...(code.verifier ? { code_verifier: code.verifier } : {}),
  });
}

/** Code and redemption in one step; fails the test unless tokens were issued. */
export async function tokensFor(server: TestServer, browser: UserAgent, o: CodeOptions): Promise<Record<string, any>> {
  const tokens = await redeem(server, o.client, await codeFor(server, browser, o));
  assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
  return tokens.body;
}

/** GET userinfo with a bearer token. */
export async function userinfo(server: TestServer, accessToken: string): Promise<{ status: number; body: any; challenge: string | null }> {
  const response = await fetch(`${server.issuer()}/protocol/openid-connect/userinfo`, { headers: { authorization: `Bearer ${accessToken}` } });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined, challenge: response.headers.get('www-authenticate') };
}

/** The admin console's redirect URI on `server`: the master realm's (its client is created at first start) or another realm's. */
export const adminConsoleRedirectUri = (server: TestServer, realm = 'master') =>
  `${server.services.config.publicUrl}/admin/${realm === 'master' ? '' : `${realm}/console/`}`;

/** Signs `username` in to the admin console's client of `realm` (code flow with PKCE); returns the code and its verifier. */
export async function adminConsoleCode(server: TestServer, username: string, userPassword: string, realm = 'master'): Promise<{ code: string; verifier: string }> {
  const { verifier, challenge } = pkcePair();
  const browser = new UserAgent(server.url);
  const login = await browser.open(authorizeUrl(server.issuer(realm), {
    client_id: 'strix-admin-console', redirect_uri: adminConsoleRedirectUri(server, realm), response_type: 'code', scope: 'openid',
    state: 'console', code_challenge: challenge, code_challenge_method: 'S256',
  }));
  assert.ok(isLoginPage(login), `expected the login page, got ${login.status}: ${login.html.slice(0, 300)}`);
  // The console lives on Strix itself, so the user agent follows the redirect there: the code is in the last URL.
  const landed = await browser.signIn(login, username, userPassword);
  const code = new URL(landed.location ?? landed.url).searchParams.get('code');
  assert.ok(code, `no code in ${landed.location ?? landed.url}`);
  return { code, verifier };
}

/** An access token of the admin console's client for `username`; fails the test unless one was issued. */
export async function adminConsoleToken(server: TestServer, username: string, userPassword: string, realm = 'master'): Promise<string> {
  const { code, verifier } = await adminConsoleCode(server, username, userPassword, realm);
  const answer = await tokenRequest(server.issuer(realm), {
    grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: adminConsoleRedirectUri(server, realm), client_id: 'strix-admin-console',
  });
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  return answer.body.access_token as string;
}
