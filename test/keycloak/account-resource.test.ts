// Keycloak's account resource at {issuer}/account (what keycloak-js's loadUserProfile() reads; the
// browser side is in keycloak-js.test.ts): a JSON request with a bearer access token gets the user
// in Keycloak's account shape, released by the token's scopes; a bad, revoked or disabled client's
// token is a 401 with its RFC 6750 challenge; CORS is for the token's client's web origins only;
// a browser is still sent to the account console.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { databases } from '../helpers/databases.js';
import { tokensFor } from '../helpers/flows.js';
import { testRealm } from '../helpers/realm.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { UserAgent } from '../helpers/user-agent.js';

const spaOrigin = 'http://127.0.0.1:5173';
/** The origin of the `web` client's redirect URI: allowed in the realm, but not for `spa`. */
const otherClientOrigin = 'http://127.0.0.1:3999';

for (const database of databases) {
  describe(`Keycloak's account resource (${database})`, () => {
    let server: TestServer;
    before(async () => { server = await startServer(database, testRealm()); });
    after(async () => { await server?.close(); });

    const account = (headers: Record<string, string>) => fetch(`${server.issuer()}/account`, { headers: { accept: 'application/json', ...headers }, redirect: 'manual' });
    const spaTokens = (scope = 'openid profile email') => tokensFor(server, new UserAgent(server.url), { client: 'spa', scope });

    test('a bearer token of the user gets Keycloak\'s account representation, for its client\'s origin', async () => {
      const tokens = await spaTokens();
      const response = await account({ authorization: `bearer ${tokens.access_token}`, origin: spaOrigin });
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('cache-control'), 'no-store');
      assert.equal(response.headers.get('access-control-allow-origin'), spaOrigin);
      assert.equal(response.headers.get('access-control-allow-credentials'), 'true');
      const alice = await server.services.store.users.findByUsername('demo', 'alice');
      assert.deepEqual(await response.json(), {
        id: alice!.id, username: 'alice', firstName: 'Alice', lastName: 'Liddell', email: 'alice@example.com', emailVerified: true, attributes: {},
      });
    });

    test('only what the token\'s scopes release: without profile and email, the id alone', async () => {
      const tokens = await spaTokens('openid');
      const response = await account({ authorization: `Bearer ${tokens.access_token}` });
      assert.equal(response.status, 200);
      const alice = await server.services.store.users.findByUsername('demo', 'alice');
      assert.deepEqual(await response.json(), { id: alice!.id, attributes: {} });
    });

    test('without a token: 401 and a bare Bearer challenge; a wrong token: 401 invalid_token', async () => {
      const none = await account({});
      assert.equal(none.status, 401);
      assert.equal(none.headers.get('www-authenticate'), 'Bearer realm="demo"');
      const wrong = await account({ authorization: 'Bearer not-a-token' });
      assert.equal(wrong.status, 401);
      assert.match(wrong.headers.get('www-authenticate') ?? '', /^Bearer realm="demo", error="invalid_token", error_description="/);
      assert.equal((await wrong.json()).error, 'invalid_token');
      const basic = await account({ authorization: 'Basic YWxpY2U6cGFzc3dvcmQ=' });
      assert.equal(basic.status, 401);
      assert.match(basic.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
    });

    test('a token whose grant was revoked is refused with 401', async () => {
      const tokens = await spaTokens();
      const revoked = await fetch(`${server.issuer()}/protocol/openid-connect/revoke`, {
        method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: tokens.refresh_token, client_id: 'spa' }),
      });
      assert.equal(revoked.status, 200);
      const response = await account({ authorization: `Bearer ${tokens.access_token}` });
      assert.equal(response.status, 401);
      assert.match(response.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
    });

    test('a token of a client disabled since is refused with 401', async () => {
      const tokens = await spaTokens();
      const { clients } = server.services.store;
      await clients.setEnabled('demo', 'spa', false, server.clock.now());
      try {
        const response = await account({ authorization: `Bearer ${tokens.access_token}` });
        assert.equal(response.status, 401);
        assert.match(response.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
      } finally {
        await clients.setEnabled('demo', 'spa', true, server.clock.now());
      }
    });

    test('a foreign origin gets no CORS grant, nor another client\'s origin once the token names its client', async () => {
      const tokens = await spaTokens();
      for (const origin of ['https://evil.example', otherClientOrigin]) {
        const response = await account({ authorization: `Bearer ${tokens.access_token}`, origin });
        assert.equal(response.headers.get('access-control-allow-origin'), null, origin);
        assert.equal(response.headers.get('access-control-allow-credentials'), null, origin);
      }
      const preflight = (origin: string) => fetch(`${server.issuer()}/account`, {
        method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
      });
      assert.equal((await preflight('https://evil.example')).headers.get('access-control-allow-origin'), null);
      const allowed = await preflight(spaOrigin);
      assert.equal(allowed.status, 204);
      assert.equal(allowed.headers.get('access-control-allow-origin'), spaOrigin);
      assert.match(allowed.headers.get('access-control-allow-headers') ?? '', /Authorization/);
    });

    test('a browser (Accept: text/html) is still sent to the account console, with no CORS grant', async () => {
      const tokens = await spaTokens();
      const response = await account({ accept: 'text/html,application/xhtml+xml,application/json;q=0.9,*/*;q=0.8', authorization: `Bearer ${tokens.access_token}`, origin: spaOrigin });
      assert.equal(response.status, 302);
      assert.equal(response.headers.get('location'), `${server.issuer()}/account/`);
      assert.equal(response.headers.get('access-control-allow-origin'), null);
    });
  });
}
