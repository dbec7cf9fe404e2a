// Refresh tokens (RFC 6749 §6, RFC 9700 §4.14.2, OIDC Core §12): rotated on every use, reuse of a
// rotated token revokes the grant, scope may only narrow, and they expire when left idle.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import * as oauth from 'oauth4webapi';
import { databases } from '../helpers/databases.js';
import { token, tokensFor, userinfo, type UserClient } from '../helpers/flows.js';
import { testRealm } from '../helpers/realm.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { UserAgent } from '../helpers/user-agent.js';

for (const database of databases) {
  describe(`refresh tokens (${database})`, () => {
    let server: TestServer;
    before(async () => { server = await startServer(database, testRealm()); });
    after(async () => { await server?.close(); });

    const signIn = (scope = 'openid profile', client: UserClient = 'web') =>
      tokensFor(server, new UserAgent(server.url), { client, scope });
    const refresh = (refreshToken: string, extra: Record<string, string> = {}, client: UserClient = 'web') =>
      token(server, client, { grant_type: 'refresh_token', refresh_token: refreshToken, ...extra });

    test('a refresh returns a new refresh token and a working access token', async () => {
      const issuer = new URL(server.issuer());
      const insecure = { [oauth.allowInsecureRequests]: true };
      const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, insecure));
      const client: oauth.Client = { client_id: 'web' };
      const first = await signIn();
      const response = await oauth.refreshTokenGrantRequest(as, client, oauth.ClientSecretBasic('web-secret'), first.refresh_token, insecure);
      const result = await oauth.processRefreshTokenResponse(as, client, response);
      assert.ok(result.refresh_token);
      assert.notEqual(result.refresh_token, first.refresh_token);
      assert.notEqual(result.access_token, first.access_token);
      const info = await userinfo(server, result.access_token);
      assert.equal(info.status, 200, JSON.stringify(info.body));
      assert.equal(info.body.sub, decodeJwt(first.access_token).sub);
    });

    test('BCP-09, BCP-10: reusing a rotated refresh token is refused and revokes the whole grant, newest refresh token included', async () => {
      const first = await signIn();
      const second = await refresh(first.refresh_token);
      assert.equal(second.status, 200, JSON.stringify(second.body));

      const reuse = await refresh(first.refresh_token);
      assert.equal(reuse.status, 400);
      assert.equal(reuse.body.error, 'invalid_grant');

      const newest = await refresh(second.body.refresh_token);
      assert.equal(newest.status, 400);
      assert.equal(newest.body.error, 'invalid_grant');
      assert.equal((await userinfo(server, second.body.access_token)).status, 401);
    });

    test('a refresh may ask for a narrower scope', async () => {
      const first = await signIn('openid profile email');
      const narrowed = await refresh(first.refresh_token, { scope: 'openid profile' });
      assert.equal(narrowed.status, 200, JSON.stringify(narrowed.body));
      assert.equal(narrowed.body.scope, 'openid profile');
      assert.equal(decodeJwt(narrowed.body.access_token).scope, 'openid profile');
      const info = await userinfo(server, narrowed.body.access_token);
      assert.equal(info.status, 200);
      assert.equal(info.body.email, undefined);
      assert.equal(info.body.preferred_username, 'alice');
    });

    test('OAUTH-29, BCP-11: a refresh asking for more scope than was granted is refused with invalid_scope', async () => {
      const first = await signIn('openid profile');
      const widened = await refresh(first.refresh_token, { scope: 'openid profile email' });
      assert.equal(widened.status, 400);
      assert.equal(widened.body.error, 'invalid_scope');
    });

    test('OAUTH-28: a refresh token is refused with invalid_grant when another client presents it', async () => {
      const first = await signIn('openid profile');
      const stolen = await refresh(first.refresh_token, {}, 'trusted');
      assert.equal(stolen.status, 400);
      assert.equal(stolen.body.error, 'invalid_grant');
      assert.equal(stolen.body.access_token, undefined);
    });

    test('a refresh token left idle past refresh_token_idle_lifetime is refused with invalid_grant', async () => {
      const first = await signIn('openid profile');
      server.clock.advance(1801);   // realm default refresh_token_idle_lifetime: 1800 s
      const expired = await refresh(first.refresh_token);
      assert.equal(expired.status, 400);
      assert.equal(expired.body.error, 'invalid_grant');
    });

    test('CORE-33: a refresh returns an ID token for the same subject and original auth_time when openid was granted', async () => {
      const first = await signIn('openid profile');
      const original = decodeJwt(first.id_token);
      server.clock.advance(5);
      const refreshed = await refresh(first.refresh_token);
      assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
      assert.ok(refreshed.body.id_token, 'no id_token on refresh');
      const idToken = decodeJwt(refreshed.body.id_token);
      assert.equal(idToken.sub, original.sub);
      assert.equal(idToken.iss, original.iss);
      assert.equal(idToken.aud, original.aud);
      assert.equal(typeof original.auth_time, 'number');
      assert.equal(idToken.auth_time, original.auth_time);
      assert.ok(idToken.iat! > original.iat!, 'iat is the time the new ID token was issued');
    });

    test('a refreshed ID token carries no nonce, while the first one echoes it', async () => {
      const first = await tokensFor(server, new UserAgent(server.url), { client: 'web', scope: 'openid', params: { nonce: 'n-refresh' } });
      assert.equal(decodeJwt(first.id_token).nonce, 'n-refresh');
      const refreshed = await refresh(first.refresh_token);
      assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
      assert.equal(decodeJwt(refreshed.body.id_token).nonce, undefined);
    });
  });
}
