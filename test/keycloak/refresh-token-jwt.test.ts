// Refresh tokens shaped as Keycloak's JWTs (typ Refresh or Offline, sid, exp, …) for keycloak-js, while
// the store's hash of the whole token stays the authority: a changed claim (a later exp) makes the
// token unknown, rotation and reuse detection work as before, and a refresh token is never taken for
// an access token.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { databases } from '../helpers/databases.js';
import { token, tokensFor, userinfo } from '../helpers/flows.js';
import { testRealm } from '../helpers/realm.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { UserAgent } from '../helpers/user-agent.js';

/** The same token with claims changed and the signature kept, as an attacker would try. */
function withClaims(jwt: string, changes: Record<string, unknown>): string {
  const [header, payload, signature] = jwt.split('.');
  const claims = { ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), ...changes };
  return `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
}

for (const database of databases) {
  describe(`refresh tokens as JWTs (${database})`, () => {
    let server: TestServer;
    before(async () => { server = await startServer(database, testRealm()); });
    after(async () => { await server?.close(); });

    const signIn = (scope = 'openid profile') => tokensFor(server, new UserAgent(server.url), { client: 'trusted', scope });
    const refresh = (refreshToken: string) => token(server, 'trusted', { grant_type: 'refresh_token', refresh_token: refreshToken });

    test('a refresh token is a signed JWT with Keycloak\'s claims: typ Refresh, iss, aud, azp, sid, scope, iat, exp, jti', async () => {
      const tokens = await signIn();
      const jwks = createRemoteJWKSet(new URL(`${server.issuer()}/protocol/openid-connect/certs`));
      const { payload, protectedHeader } = await jwtVerify(tokens.refresh_token, jwks, { issuer: server.issuer(), audience: server.issuer() });
      assert.equal(protectedHeader.typ, 'refresh+jwt');
      assert.equal(payload.typ, 'Refresh');
      assert.equal(payload.azp, 'trusted');
      assert.equal(payload.scope, 'openid profile');
      assert.equal(payload.sid, decodeJwt(tokens.id_token).sid);
      assert.ok(typeof payload.jti === 'string' && payload.jti.length >= 43);
      const idle = 1800;   // the realm's refresh_token_idle_lifetime
      assert.ok(Math.abs(payload.exp! - payload.iat! - idle) <= 1, `exp is the idle lifetime away: ${payload.exp! - payload.iat!}`);
    });

    test('an offline refresh token says typ Offline', async () => {
      const tokens = await signIn('openid offline_access');
      assert.equal(decodeJwt(tokens.refresh_token).typ, 'Offline');
    });

    test('a refresh token whose exp was extended is refused, and the genuine one still works', async () => {
      const tokens = await signIn();
      const extended = withClaims(tokens.refresh_token, { exp: decodeJwt(tokens.refresh_token).exp! + 365 * 86_400 });
      const refused = await refresh(extended);
      assert.equal(refused.status, 400);
      assert.equal(refused.body.error, 'invalid_grant');
      const genuine = await refresh(tokens.refresh_token);
      assert.equal(genuine.status, 200, JSON.stringify(genuine.body));
    });

    test('an expired refresh token stays expired whatever its exp claim says', async () => {
      const tokens = await signIn();
      server.clock.advance(1801);
      try {
        const refused = await refresh(tokens.refresh_token);
        assert.equal(refused.status, 400);
        assert.equal(refused.body.error, 'invalid_grant');
      } finally {
        server.clock.advance(-1801);
      }
    });

    test('a forged refresh token (another jti, any signature) is refused', async () => {
      const tokens = await signIn();
      const forged = await refresh(withClaims(tokens.refresh_token, { jti: 'A'.repeat(43) }));
      assert.equal(forged.status, 400);
      assert.equal(forged.body.error, 'invalid_grant');
    });

    test('rotation goes on: each refresh returns a new JWT, and reusing an old one revokes the grant', async () => {
      const first = await signIn();
      const second = await refresh(first.refresh_token);
      assert.equal(second.status, 200, JSON.stringify(second.body));
      assert.notEqual(second.body.refresh_token, first.refresh_token);
      assert.equal(decodeJwt(second.body.refresh_token).typ, 'Refresh');
      const reuse = await refresh(first.refresh_token);
      assert.equal(reuse.status, 400);
      assert.equal(reuse.body.error, 'invalid_grant');
      assert.equal((await refresh(second.body.refresh_token)).status, 400, 'the newest refresh token of the grant is revoked too');
    });

    test('a refresh token is not an access token: userinfo refuses it', async () => {
      const tokens = await signIn();
      assert.equal(decodeProtectedHeader(tokens.refresh_token).typ, 'refresh+jwt');
      assert.equal((await userinfo(server, tokens.refresh_token)).status, 401);
    });

    test('the default token shape is unchanged: no Keycloak claims in the access token', async () => {
      const claims = decodeJwt((await signIn()).access_token);
      for (const name of ['typ', 'realm_access', 'resource_access', 'allowed-origins', 'session_state']) assert.equal(claims[name], undefined, name);
    });
  });
}
