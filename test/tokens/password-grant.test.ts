// The resource owner password credentials grant (RFC 6749 §4.3): only for clients that list it,
// and behind the same brute-force protection as the sign-in form.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import * as oauth from 'oauth4webapi';
import { hashPassword } from '../../src/identity/passwords.js';
import { databases } from '../helpers/databases.js';
import { userinfo } from '../helpers/flows.js';
import { withTotp } from '../helpers/mfa.js';
import { password, testRealm } from '../helpers/realm.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { tokenRequest } from '../helpers/user-agent.js';

function realm() {
  const file = testRealm();
  const demo = file.realms[0]! as Record<string, unknown> & { clients: unknown[] };
  demo.brute_force = { failure_factor: 3, wait_increment: 60 };
  demo.clients.push({
    client_id: 'legacy', client_secret: 'legacy-secret', grant_types: ['password', 'refresh_token'],
    token_endpoint_auth_method: 'client_secret_basic', scope: 'openid profile email offline_access',
  });
  return file;
}

for (const database of databases) {
  describe(`password grant (${database})`, () => {
    let server: TestServer;
    before(async () => { server = await startServer(database, realm()); });
    after(async () => { await server?.close(); });

    const grant = (form: Record<string, string>, client = { id: 'legacy', secret: 'legacy-secret' }) =>
      tokenRequest(server.issuer(), { grant_type: 'password', ...form }, client);

    test('a client registered for it exchanges a username and password for tokens (oauth4webapi)', async () => {
      const issuer = new URL(server.issuer());
      const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { [oauth.allowInsecureRequests]: true }));
      const response = await oauth.genericTokenEndpointRequest(as, { client_id: 'legacy' }, oauth.ClientSecretBasic('legacy-secret'), 'password',
        new URLSearchParams({ username: 'alice', password, scope: 'openid profile offline_access' }), { [oauth.allowInsecureRequests]: true });
      const tokens = await oauth.processGenericTokenEndpointResponse(as, { client_id: 'legacy' }, response);
      assert.ok(tokens.refresh_token, 'offline_access gives a refresh token');
      const idToken = decodeJwt(tokens.id_token!);
      assert.deepEqual(idToken.amr, ['pwd']);
      assert.equal(idToken.sid, undefined, 'no browser, so no SSO session');
      const info = await userinfo(server, tokens.access_token);
      assert.equal(info.body.given_name, 'Alice');
    });

    test('a wrong password and an unknown username get the same invalid_grant', async () => {
      const wrong = await grant({ username: 'bob', password: 'nope' });
      const unknown = await grant({ username: 'nobody-here', password: 'nope' });
      assert.equal(wrong.status, 400);
      assert.equal(wrong.body.error, 'invalid_grant');
      assert.deepEqual(unknown.body, wrong.body);
    });

    test('BCP-13: discovery advertises the password grant in this realm, where an enabled client is allowed it', async () => {
      const metadata = await (await fetch(`${server.issuer()}/.well-known/openid-configuration`)).json() as { grant_types_supported: string[] };
      assert.ok(metadata.grant_types_supported.includes('password'));
    });

    test('a client that does not list the password grant gets unauthorized_client', async () => {
      const response = await tokenRequest(server.issuer(), { grant_type: 'password', username: 'alice', password, client_id: 'trusted', client_secret: 'trusted-secret' });
      assert.equal(response.status, 400);
      assert.equal(response.body.error, 'unauthorized_client');
    });

    test('missing credentials are invalid_request, a scope the client lacks is invalid_scope', async () => {
      assert.equal((await grant({ username: 'alice' })).body.error, 'invalid_request');
      assert.equal((await grant({ username: 'alice', password, scope: 'openid api:read' })).body.error, 'invalid_scope');
    });

    test('repeated wrong passwords lock the account: then even the right password is refused', async () => {
      for (let i = 0; i < 3; i++) assert.equal((await grant({ username: 'carol-victim', password: `guess-${i}` })).body.error, 'invalid_grant');
      // The account exists only now: failures against a username count whether or not it exists.
      await server.services.store.users.create({ id: 'carol-id', realm: 'demo', username: 'carol-victim', email: null, passwordHash: await hashPassword(password), claims: {}, enabled: true }, Date.now());
      const locked = await grant({ username: 'carol-victim', password });
      assert.equal(locked.body.error, 'invalid_grant');
      assert.match(locked.body.error_description, /too many/);
      server.clock.advance(61);
      assert.equal((await grant({ username: 'carol-victim', password })).status, 200, 'the lock ends after the wait');
    });

    test('a user with a second factor cannot use the password grant, which has no place for it', async () => {
      assert.equal((await grant({ username: 'alice', password })).status, 200);
      await withTotp(server, 'alice');
      const refused = await grant({ username: 'alice', password });
      assert.equal(refused.status, 400);
      assert.equal(refused.body.error, 'invalid_grant');
    });

    test('a disabled user cannot use the password grant', async () => {
      const bob = await server.services.store.users.findByUsername('demo', 'bob');
      await server.services.store.users.setEnabled(bob!.id, false, Date.now());
      try {
        assert.equal((await grant({ username: 'bob', password })).body.error, 'invalid_grant');
      } finally {
        await server.services.store.users.setEnabled(bob!.id, true, Date.now());
      }
    });
  });
}
