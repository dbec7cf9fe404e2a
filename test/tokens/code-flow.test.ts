// The authorization code flow without a browser: sign-in, consent, code, tokens, userinfo.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { databases } from '../helpers/databases.js';
import { password, testRealm } from '../helpers/realm.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { authorizeUrl, callbackParams, isLoginPage, pkcePair, tokenRequest, UserAgent } from '../helpers/user-agent.js';

const redirectUri = 'http://127.0.0.1:3999/callback';

for (const database of databases) {
  describe(`authorization code flow (${database})`, () => {
    let server: TestServer;
    before(async () => { server = await startServer(database, testRealm()); });
    after(async () => { await server?.close(); });

    test('a user signs in, consents and the client redeems the code for tokens', async () => {
      const browser = new UserAgent(server.url);
      const { verifier, challenge } = pkcePair();
      const login = await browser.open(authorizeUrl(server.issuer(), {
        client_id: 'web', redirect_uri: redirectUri, response_type: 'code', scope: 'openid profile offline_access',
        state: 'xyz', nonce: 'n-1', code_challenge: challenge, code_challenge_method: 'S256',
      }));
      assert.ok(isLoginPage(login));
      const back = await browser.signIn(login, 'alice', password);
      const params = callbackParams(back);
      assert.equal(params.get('state'), 'xyz');
      assert.equal(params.get('iss'), server.issuer());
      const tokens = await tokenRequest(server.issuer(), { grant_type: 'authorization_code', code: params.get('code')!, redirect_uri: redirectUri, code_verifier: verifier }, { id: 'web', secret: 'web-secret' });
      assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
      assert.equal(tokens.body.token_type, 'Bearer');
      assert.ok(tokens.body.refresh_token);
      const idToken = decodeJwt(tokens.body.id_token);
      assert.equal(idToken.nonce, 'n-1');
      assert.equal(idToken.iss, server.issuer());
      assert.equal(idToken.aud, 'web');
    });
  });
}
