// One response from each kind of page and JSON endpoint Strix serves, for checking the headers
// every response must carry (docs/security.md "Security headers").
import { password } from './realm.js';
import type { TestServer } from './server.js';
import { authorizeUrl, isConsentPage, UserAgent } from './user-agent.js';

export interface Sample { name: string; kind: 'html' | 'json'; headers: Headers }

async function fetched(name: string, kind: Sample['kind'], url: string, init: RequestInit = {}): Promise<Sample> {
  const response = await fetch(url, { redirect: 'manual', ...init });
  await response.arrayBuffer();
  return { name, kind, headers: response.headers };
}

/** Headers of the consent page, reached by signing in as a browser would. */
async function consentPage(server: TestServer): Promise<Sample> {
  const browser = new UserAgent(server.url);
  const login = await browser.open(authorizeUrl(server.issuer(), {
    client_id: 'web', redirect_uri: 'http://127.0.0.1:3999/callback', response_type: 'code', scope: 'openid', state: 's',
  }));
  const consent = await browser.submit(login, { username: 'alice', password });
  if (!isConsentPage(consent)) throw new Error(`expected the consent page, got ${consent.status}`);
  return { name: 'consent page', kind: 'html', headers: consent.headers! };
}

/** `consent: false` where the test cannot follow Strix's redirects (behind a pretend public URL). */
export async function headerSamples(server: TestServer, o: { consent?: boolean } = {}): Promise<Sample[]> {
  const issuer = server.issuer();
  const oidc = `${issuer}/protocol/openid-connect`;
  const form = (body: Record<string, string>): RequestInit => ({
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(body).toString(),
  });
  return Promise.all([
    fetched('login page', 'html', authorizeUrl(issuer, { client_id: 'trusted', redirect_uri: 'http://127.0.0.1:3999/callback', response_type: 'code', scope: 'openid' })),
    ...(o.consent === false ? [] : [consentPage(server)]),
    fetched('error page (unknown client)', 'html', authorizeUrl(issuer, { client_id: 'nobody', redirect_uri: 'http://127.0.0.1:3999/callback', response_type: 'code', scope: 'openid' })),
    fetched('not found page', 'html', `${server.url}/nothing-here`, { headers: { accept: 'text/html' } }),
    fetched('logout page', 'html', `${oidc}/logout`, { headers: { accept: 'text/html' } }),
    fetched('discovery', 'json', `${issuer}/.well-known/openid-configuration`),
    fetched('JWKS', 'json', `${oidc}/certs`),
    fetched('token endpoint error', 'json', `${oidc}/token`, form({ grant_type: 'client_credentials' })),
    fetched('userinfo error', 'json', `${oidc}/userinfo`, { headers: { authorization: 'Bearer not-a-token' } }),
    fetched('introspection error', 'json', `${oidc}/token/introspect`, form({ token: 'x' })),
    fetched('revocation error', 'json', `${oidc}/revoke`, form({ token: 'x' })),
    fetched('registration error', 'json', `${oidc}/registrations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }),
    fetched('health', 'json', `${server.url}/health/live`),
  ]);
}
