// `"token_claims": "keycloak"`: access and ID tokens carry Keycloak's claims, verified here the way an
// API written for Keycloak reads them — the signature against the realm's JWKS with jose, then the
// authorities as Spring Security's usual Keycloak role converter builds them (realm_access.roles as
// ROLE_<role>, resource_access.<client>.roles for the client's own roles).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createRemoteJWKSet, decodeJwt, jwtVerify, type JWTPayload } from 'jose';
import { parseRealmSettings } from '../../src/realms/settings.js';
import { ValidationError } from '../../src/validation.js';
import { databases } from '../helpers/databases.js';
import { token, tokensFor } from '../helpers/flows.js';
import { password, testRealmWith } from '../helpers/realm.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { UserAgent } from '../helpers/user-agent.js';

/** Spring's converter (KeycloakRealmRoleConverter and its client-roles sibling), transcribed. */
function springAuthorities(jwt: JWTPayload, resourceId: string): string[] {
  const realmAccess = jwt.realm_access as { roles?: unknown } | undefined;
  const resourceAccess = jwt.resource_access as Record<string, { roles?: unknown }> | undefined;
  const realmRoles = Array.isArray(realmAccess?.roles) ? realmAccess.roles as string[] : [];
  const clientRoles = Array.isArray(resourceAccess?.[resourceId]?.roles) ? resourceAccess[resourceId].roles as string[] : [];
  return [...realmRoles, ...clientRoles].map((role) => `ROLE_${role}`);
}

test('token_claims accepts "strix" and "keycloak" and names itself when it is anything else', () => {
  assert.equal(parseRealmSettings({ token_claims: 'keycloak' }, 'realm').token_claims, 'keycloak');
  assert.equal(parseRealmSettings({}, 'realm').token_claims, 'strix');
  assert.throws(() => parseRealmSettings({ token_claims: 'spring' }, 'realm'), (error: Error) => error instanceof ValidationError && /token_claims/.test(error.message));
});

test('default_scopes takes scope tokens other than openid and offline_access', () => {
  assert.deepEqual(parseRealmSettings({ default_scopes: ['profile', 'email', 'profile'] }, 'realm').default_scopes, ['profile', 'email']);
  assert.deepEqual(parseRealmSettings({}, 'realm').default_scopes, []);
  for (const wrong of [['openid'], ['offline_access'], ['a b'], 'profile']) {
    assert.throws(() => parseRealmSettings({ default_scopes: wrong }, 'realm'), (error: Error) => error instanceof ValidationError && /default_scopes/.test(error.message));
  }
});

for (const database of databases) {
  describe(`Keycloak's token shape (${database})`, () => {
    let server: TestServer;
    before(async () => {
      const file = testRealmWith({
        token_claims: 'keycloak',
        default_scopes: ['profile', 'email', 'api:read'],
        // /engineering carries web's publisher, which brings web's reader (a composite).
        groups: [{ name: 'engineering', client_roles: { web: ['publisher'] }, subgroups: [{ name: 'backend' }] }],
        users: [{
          username: 'carol', password, email: 'carol@example.com', email_verified: true, given_name: 'Carol', roles: ['admin', 'viewer'],
          client_roles: { trusted: ['editor'], web: ['reader'] },
        }, { username: 'dan', password, email: 'dan@example.com', groups: ['/engineering/backend'] }],
      });
      const roles: Record<string, object[]> = { trusted: [{ name: 'editor' }], web: [{ name: 'reader' }, { name: 'publisher', composites: ['reader'] }] };
      for (const client of file.realms[0]!.clients as { client_id: string; roles?: object[] }[]) client.roles = roles[client.client_id];
      server = await startServer(database, file);
    });
    after(async () => { await server?.close(); });

    const signIn = () => tokensFor(server, new UserAgent(server.url), { client: 'trusted', scope: 'openid profile email', user: 'carol' });

    test('an API verifies the access token against the JWKS and reads the roles as Spring\'s Keycloak converter does', async () => {
      const tokens = await signIn();
      const jwks = createRemoteJWKSet(new URL(`${server.issuer()}/protocol/openid-connect/certs`));
      const { payload } = await jwtVerify(tokens.access_token, jwks, { issuer: server.issuer(), typ: 'at+jwt' });
      assert.deepEqual(springAuthorities(payload, 'trusted').sort(), ['ROLE_admin', 'ROLE_editor', 'ROLE_viewer']);
      assert.deepEqual(payload.realm_access, { roles: ['admin', 'viewer'] });
      assert.deepEqual(payload.resource_access, { trusted: { roles: ['editor'] }, web: { roles: ['reader'] } });
      assert.equal(payload.typ, 'Bearer');
      assert.equal(payload.azp, 'trusted');
      assert.equal(payload.preferred_username, 'carol');
      assert.equal(payload.email, 'carol@example.com');
      assert.equal(payload.scope, 'openid profile email');
      assert.equal(payload.session_state, payload.sid);
      assert.deepEqual(payload['allowed-origins'], ['http://127.0.0.1:3999']);
      assert.equal(payload.client_id, 'trusted', "Strix's own claims stay");
    });

    test('resource_access carries the client roles of the user\'s groups and their ancestors, composites included', async () => {
      const tokens = await tokensFor(server, new UserAgent(server.url), { client: 'trusted', scope: 'openid', user: 'dan' });
      const { payload } = await jwtVerify(tokens.access_token, createRemoteJWKSet(new URL(`${server.issuer()}/protocol/openid-connect/certs`)), { issuer: server.issuer() });
      assert.deepEqual(payload.resource_access, { web: { roles: ['publisher', 'reader'] } });
      assert.deepEqual(springAuthorities(payload, 'web').sort(), ['ROLE_publisher', 'ROLE_reader']);
      assert.deepEqual(payload.client_roles, { web: ['publisher', 'reader'] }, 'Strix\'s own claim says the same');
    });

    test('the ID token says typ ID, with session_state and preferred_username', async () => {
      const tokens = await signIn();
      const jwks = createRemoteJWKSet(new URL(`${server.issuer()}/protocol/openid-connect/certs`));
      const { payload } = await jwtVerify(tokens.id_token, jwks, { issuer: server.issuer(), audience: 'trusted' });
      assert.equal(payload.typ, 'ID');
      assert.equal(payload.session_state, payload.sid);
      assert.equal(payload.preferred_username, 'carol');
      assert.equal(payload.azp, 'trusted');
    });

    test('default_scopes are added to an OpenID Connect request for the clients that may have them, like Keycloak\'s default client scopes', async () => {
      const openidOnly = await tokensFor(server, new UserAgent(server.url), { client: 'trusted', scope: 'openid', user: 'carol' });
      // trusted may have profile and email, not api:read.
      assert.equal(openidOnly.scope, 'openid profile email');
      const claims = decodeJwt(openidOnly.access_token);
      assert.equal(claims.email, 'carol@example.com');
      assert.equal(claims.given_name, 'Carol');
      const oauthOnly = await tokensFor(server, new UserAgent(server.url), { client: 'trusted', scope: 'roles', user: 'carol' });
      assert.equal(oauthOnly.scope, 'roles', 'a request without openid gets what it asked for');
    });

    test('a refreshed access token keeps the shape', async () => {
      const tokens = await signIn();
      const refreshed = await token(server, 'trusted', { grant_type: 'refresh_token', refresh_token: tokens.refresh_token });
      assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
      const claims = decodeJwt(refreshed.body.access_token);
      assert.deepEqual(claims.realm_access, { roles: ['admin', 'viewer'] });
      assert.equal(claims.typ, 'Bearer');
    });
  });
}
