// Authorization codes (RFC 6749 §4.1.2, §4.1.3; RFC 9700 §4.2.4): single use, short-lived, bound to
// the client and redirect URI; a replayed code revokes every token it issued.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as oauth from 'oauth4webapi';
import { databases } from '../helpers/databases.js';
import { codeFor, redeem, token, userinfo } from '../helpers/flows.js';
import { testRealm } from '../helpers/realm.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { pkcePair, UserAgent } from '../helpers/user-agent.js';

for (const database of databases) {
  describe(`authorization code replay and binding (${database})`, () => {
    let server: TestServer;
    before(async () => { server = await startServer(database, testRealm()); });
    after(async () => { await server?.close(); });

    const webCode = () => codeFor(server, new UserAgent(server.url), { client: 'web', scope: 'openid profile' });

    test('BASIC-28: a code is redeemed once; the second redemption is refused with 400 invalid_grant', async () => {
      const issuer = new URL(server.issuer());
      const insecure = { [oauth.allowInsecureRequests]: true };
      const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, insecure));
      const client: oauth.Client = { client_id: 'web' };
      const auth = oauth.ClientSecretBasic('web-secret');
      const code = await webCode();
      const callback = oauth.validateAuthResponse(as, client, code.callback, code.state);
      const first = await oauth.authorizationCodeGrantRequest(as, client, auth, callback, code.redirectUri, code.verifier!, insecure);
      await oauth.processAuthorizationCodeResponse(as, client, first);
      const second = await oauth.authorizationCodeGrantRequest(as, client, auth, callback, code.redirectUri, code.verifier!, insecure);
      assert.equal(second.status, 400);
      await assert.rejects(oauth.processAuthorizationCodeResponse(as, client, second), (error: unknown) =>
        error instanceof oauth.ResponseBodyError && error.error === 'invalid_grant');
    });

    test('OAUTH-24: a replayed authorization code revokes the tokens it issued', async () => {
      const code = await webCode();
      const first = await redeem(server, 'web', code);
      assert.equal(first.status, 200, JSON.stringify(first.body));
      assert.equal((await userinfo(server, first.body.access_token)).status, 200);

      const replay = await redeem(server, 'web', code);
      assert.equal(replay.status, 400);
      assert.equal(replay.body.error, 'invalid_grant');

      const info = await userinfo(server, first.body.access_token);
      assert.equal(info.status, 401);
      assert.match(info.challenge ?? '', /^Bearer /);
      assert.match(info.challenge ?? '', /error="invalid_token"/);
      const refresh = await token(server, 'web', { grant_type: 'refresh_token', refresh_token: first.body.refresh_token });
      assert.equal(refresh.status, 400);
      assert.equal(refresh.body.error, 'invalid_grant');
    });

    test('OAUTH-25: an expired code is refused with invalid_grant', async () => {
      const code = await webCode();
      server.clock.advance(61);   // authorization_code_lifetime defaults to 60 s
      const response = await redeem(server, 'web', code);
      assert.equal(response.status, 400);
      assert.equal(response.body.error, 'invalid_grant');
    });

    test('OAUTH-22, CORE-15: a code issued to one client is refused with invalid_grant when another client redeems it', async () => {
      const code = await webCode();
      const response = await redeem(server, 'trusted', code);
      assert.equal(response.status, 400);
      assert.equal(response.body.error, 'invalid_grant');
      assert.equal(response.body.access_token, undefined);
    });

    test('OAUTH-23, CORE-15: a redirect_uri at the token endpoint that differs from the authorization request is refused with invalid_grant', async () => {
      const code = await webCode();
      const response = await redeem(server, 'web', { ...code, redirectUri: 'http://127.0.0.1:3999/other' });
      assert.equal(response.status, 400);
      assert.equal(response.body.error, 'invalid_grant');
    });

    test('OAUTH-23: a redirect_uri sent in the authorization request is required at the token endpoint', async () => {
      const code = await webCode();
      const response = await token(server, 'web', { grant_type: 'authorization_code', code: code.code, code_verifier: code.verifier! });
      assert.equal(response.status, 400);
      assert.equal(response.body.error, 'invalid_grant');
    });

    test('a code presented with a wrong redirect_uri is refused and not used up: the client then redeems it', async () => {
      const code = await webCode();
      const wrong = await redeem(server, 'web', { ...code, redirectUri: 'http://127.0.0.1:3999/other' });
      assert.equal(wrong.status, 400);
      assert.equal(wrong.body.error, 'invalid_grant');
      const real = await redeem(server, 'web', code);
      assert.equal(real.status, 200, JSON.stringify(real.body));
    });

    test('a code intercepted by someone without the PKCE verifier cannot be burned: the public client then redeems it', async () => {
      const code = await codeFor(server, new UserAgent(server.url), { client: 'spa', scope: 'openid' });
      const without = await token(server, 'spa', { grant_type: 'authorization_code', code: code.code, redirect_uri: code.redirectUri });
      assert.equal(without.body.error, 'invalid_grant');
      const guessed = await redeem(server, 'spa', { ...code, verifier: pkcePair().verifier });
      assert.equal(guessed.body.error, 'invalid_grant');
      const real = await redeem(server, 'spa', code);
      assert.equal(real.status, 200, JSON.stringify(real.body));
    });

    test('a redeemed code replayed without the PKCE verifier is refused and does not revoke the grant', async () => {
      const code = await codeFor(server, new UserAgent(server.url), { client: 'spa', scope: 'openid' });
      const real = await redeem(server, 'spa', code);
      assert.equal(real.status, 200, JSON.stringify(real.body));
      const attack = await redeem(server, 'spa', { ...code, verifier: pkcePair().verifier });
      assert.equal(attack.status, 400);
      assert.equal(attack.body.error, 'invalid_grant');
      assert.equal((await userinfo(server, real.body.access_token)).status, 200);
    });

    test('a replay with the right verifier still revokes the tokens of a public client', async () => {
      const code = await codeFor(server, new UserAgent(server.url), { client: 'spa', scope: 'openid' });
      const real = await redeem(server, 'spa', code);
      assert.equal(real.status, 200, JSON.stringify(real.body));
      const replay = await redeem(server, 'spa', code);
      assert.equal(replay.body.error, 'invalid_grant');
      assert.equal((await userinfo(server, real.body.access_token)).status, 401);
    });

    test('an unknown code is refused with invalid_grant', async () => {
      const response = await token(server, 'web', { grant_type: 'authorization_code', code: 'not-a-code', redirect_uri: 'http://127.0.0.1:3999/callback' });
      assert.equal(response.status, 400);
      assert.equal(response.body.error, 'invalid_grant');
    });
  });
}
