// Credentialed CORS for keycloak-js (which fetches the token endpoint with `credentials: 'include'`):
// token, userinfo, revocation and logout echo an allowed origin with Access-Control-Allow-Credentials,
// never `*`, always with Vary: Origin; once the request's client is known, only its web origins (the
// origins of its redirect URIs plus allowed_origins, Keycloak's `+` rule) keep the grant.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { databases } from '../helpers/databases.js';
import { tokensFor } from '../helpers/flows.js';
import { testRealm } from '../helpers/realm.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { UserAgent } from '../helpers/user-agent.js';

const spaOrigin = 'http://127.0.0.1:5173';
const spaAllowedOrigin = 'https://spa.example.com';
/** The origin of the `web` client's redirect URI: allowed in the realm, but not for `spa`. */
const otherClientOrigin = 'http://127.0.0.1:3999';

for (const database of databases) {
  describe(`credentialed CORS (${database})`, () => {
    let server: TestServer;
    before(async () => { server = await startServer(database, testRealm()); });
    after(async () => { await server?.close(); });

    const endpoint = (name: string) => `${server.issuer()}/protocol/openid-connect/${name}`;
    const spaTokenRequest = (origin: string) => fetch(endpoint('token'), {
      method: 'POST', headers: { origin, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'nope', client_id: 'spa' }),
    });

    for (const origin of [spaOrigin, spaAllowedOrigin]) {
      test(`the token endpoint echoes the client's origin ${origin} with credentials allowed and Vary: Origin`, async () => {
        const response = await spaTokenRequest(origin);
        assert.equal(response.status, 400);
        assert.equal(response.headers.get('access-control-allow-origin'), origin);
        assert.equal(response.headers.get('access-control-allow-credentials'), 'true');
        assert.match(response.headers.get('vary') ?? '', /Origin/);
      });
    }

    test('another client\'s origin gets no CORS grant once the token request names its client', async () => {
      const response = await spaTokenRequest(otherClientOrigin);
      assert.equal(response.headers.get('access-control-allow-origin'), null);
      assert.equal(response.headers.get('access-control-allow-credentials'), null);
    });

    test('an unknown origin gets no CORS grant, and never `*`', async () => {
      for (const name of ['token', 'userinfo', 'revoke', 'logout']) {
        const response = await fetch(endpoint(name), { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
        assert.equal(response.headers.get('access-control-allow-origin'), null, name);
        assert.equal(response.headers.get('access-control-allow-credentials'), null, name);
      }
      const response = await spaTokenRequest('https://evil.example');
      assert.equal(response.headers.get('access-control-allow-origin'), null);
    });

    test('preflights to token, userinfo, revocation and logout allow credentials for a client origin', async () => {
      for (const name of ['token', 'userinfo', 'revoke', 'logout']) {
        const response = await fetch(endpoint(name), {
          method: 'OPTIONS', headers: { origin: spaOrigin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' },
        });
        assert.equal(response.status, 204, name);
        assert.equal(response.headers.get('access-control-allow-origin'), spaOrigin, name);
        assert.equal(response.headers.get('access-control-allow-credentials'), 'true', name);
      }
    });

    test('discovery and JWKS answer CORS without credentials', async () => {
      for (const url of [`${server.issuer()}/.well-known/openid-configuration`, endpoint('certs')]) {
        const response = await fetch(url, { headers: { origin: spaOrigin } });
        assert.equal(response.headers.get('access-control-allow-origin'), spaOrigin, url);
        assert.equal(response.headers.get('access-control-allow-credentials'), null, url);
      }
    });

    test('userinfo and revocation grant CORS to the origins of the token\'s client only', async () => {
      const tokens = await tokensFor(server, new UserAgent(server.url), { client: 'spa', scope: 'openid profile' });
      const info = (origin: string) => fetch(endpoint('userinfo'), { headers: { origin, authorization: `bearer ${tokens.access_token}` } });
      const allowed = await info(spaOrigin);
      assert.equal(allowed.status, 200);
      assert.equal(allowed.headers.get('access-control-allow-origin'), spaOrigin);
      assert.equal(allowed.headers.get('access-control-allow-credentials'), 'true');
      const other = await info(otherClientOrigin);
      assert.equal(other.headers.get('access-control-allow-origin'), null);

      const revoke = (origin: string) => fetch(endpoint('revoke'), {
        method: 'POST', headers: { origin, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: tokens.refresh_token, client_id: 'spa' }),
      });
      assert.equal((await revoke(otherClientOrigin)).headers.get('access-control-allow-origin'), null);
      const revoked = await revoke(spaOrigin);
      assert.equal(revoked.status, 200);
      assert.equal(revoked.headers.get('access-control-allow-origin'), spaOrigin);
      assert.equal(revoked.headers.get('access-control-allow-credentials'), 'true');
    });

    test('logout grants CORS to the origins of the client it names only', async () => {
      const logout = (origin: string) => fetch(`${endpoint('logout')}?client_id=spa`, { headers: { origin } });
      const allowed = await logout(spaOrigin);
      assert.equal(allowed.headers.get('access-control-allow-origin'), spaOrigin);
      assert.equal(allowed.headers.get('access-control-allow-credentials'), 'true');
      assert.equal((await logout(otherClientOrigin)).headers.get('access-control-allow-origin'), null);
      assert.equal((await fetch(endpoint('logout'), { headers: { origin: spaOrigin } })).headers.get('access-control-allow-origin'), null);
    });

    test('the logout confirmation page, which holds a CSRF token for the session, is never readable by another origin', async () => {
      const browser = new UserAgent(server.url);
      await tokensFor(server, browser, { client: 'spa', scope: 'openid' });
      const page = await browser.request(`${endpoint('logout')}?client_id=spa`, { headers: { origin: spaOrigin } });
      assert.equal(page.status, 200);
      assert.match(page.html, /Sign out/);
      assert.equal(page.headers?.get('access-control-allow-origin'), null);
      assert.equal(page.headers?.get('access-control-allow-credentials'), null);
    });
  });
}
