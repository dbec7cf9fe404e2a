// PKCE (RFC 7636, RFC 9700 §2.1.1): required for public clients, S256 only by default, and the
// code_verifier must match exactly what the authorization request committed to.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as oauth from 'oauth4webapi';
import { databases } from '../helpers/databases.js';
import { codeFor, redeem, redirectUriOf, token } from '../helpers/flows.js';
import { password, testRealm } from '../helpers/realm.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { authorizeUrl, callbackParams, isLoginPage, pkcePair, s256, UserAgent } from '../helpers/user-agent.js';

const spaRedirect = redirectUriOf.spa;

for (const database of databases) {
  describe(`PKCE (${database})`, () => {
    let server: TestServer;
    before(async () => { server = await startServer(database, testRealm()); });
    after(async () => { await server?.close(); });

    /** The authorization endpoint's immediate answer to a request from `spa`, as redirect parameters. */
    async function authorizeSpa(params: Record<string, string>): Promise<URLSearchParams> {
      const page = await new UserAgent(server.url).request(authorizeUrl(server.issuer(), {
        client_id: 'spa', redirect_uri: spaRedirect, response_type: 'code', scope: 'openid', state: 's-42', ...params,
      }));
      assert.ok(page.location?.startsWith(spaRedirect), `expected a redirect to the client, got ${page.status} ${page.location ?? ''}`);
      return callbackParams(page);
    }

    test('PKCE-05: a public client that sends no code_challenge is sent back with invalid_request, state and iss', async () => {
      const params = await authorizeSpa({});
      assert.equal(params.get('error'), 'invalid_request');
      assert.equal(params.get('state'), 's-42');
      assert.equal(params.get('iss'), server.issuer());
      assert.equal(params.get('code'), null);
    });

    test('PKCE-04: code_challenge_method=plain is rejected with invalid_request by default', async () => {
      const { verifier } = pkcePair();
      const params = await authorizeSpa({ code_challenge: verifier, code_challenge_method: 'plain' });
      assert.equal(params.get('error'), 'invalid_request');
      assert.equal(params.get('code'), null);
    });

    test('PKCE-06: a code_challenge without code_challenge_method means plain and is rejected by default', async () => {
      const { challenge } = pkcePair();
      const params = await authorizeSpa({ code_challenge: challenge });
      assert.equal(params.get('error'), 'invalid_request');
    });

    test('a malformed (too short) code_challenge is rejected with invalid_request', async () => {
      const params = await authorizeSpa({ code_challenge: 'too-short', code_challenge_method: 'S256' });
      assert.equal(params.get('error'), 'invalid_request');
      assert.equal(params.get('state'), 's-42');
    });

    test('PKCE-02: a wrong code_verifier is refused with 400 invalid_grant', async () => {
      const code = await codeFor(server, new UserAgent(server.url), { client: 'spa', scope: 'openid' });
      const response = await redeem(server, 'spa', { ...code, verifier: pkcePair().verifier });
      assert.equal(response.status, 400);
      assert.equal(response.body.error, 'invalid_grant');
      assert.equal(response.body.access_token, undefined);
    });

    test('PKCE-03: a missing code_verifier is refused with invalid_grant when a code_challenge was sent', async () => {
      const code = await codeFor(server, new UserAgent(server.url), { client: 'spa', scope: 'openid' });
      const response = await token(server, 'spa', { grant_type: 'authorization_code', code: code.code, redirect_uri: code.redirectUri });
      assert.equal(response.status, 400);
      assert.equal(response.body.error, 'invalid_grant');
    });

    test('BCP-06: a code_verifier sent when no code_challenge was is refused with invalid_grant (downgrade)', async () => {
      const code = await codeFor(server, new UserAgent(server.url), { client: 'web', scope: 'openid', pkce: false });
      const response = await redeem(server, 'web', { ...code, verifier: pkcePair().verifier });
      assert.equal(response.status, 400);
      assert.equal(response.body.error, 'invalid_grant');
    });

    test('a confidential client may omit PKCE and redeem its code without a code_verifier', async () => {
      const code = await codeFor(server, new UserAgent(server.url), { client: 'web', scope: 'openid', pkce: false });
      const response = await redeem(server, 'web', code);
      assert.equal(response.status, 200, JSON.stringify(response.body));
    });

    test('PKCE-07: an S256 code redeemed with the challenge itself as verifier is invalid_grant', async () => {
      const code = await codeFor(server, new UserAgent(server.url), { client: 'spa', scope: 'openid' });
      const response = await redeem(server, 'spa', { ...code, verifier: s256(code.verifier!) });
      assert.equal(response.status, 400);
      assert.equal(response.body.error, 'invalid_grant');
    });

    test('PKCE-08: a code_verifier shorter than 43 characters fails even when its hash matches the challenge', async () => {
      const verifier = 'too-short';
      const code = await codeFor(server, new UserAgent(server.url), {
        client: 'spa', scope: 'openid', pkce: false, params: { code_challenge: s256(verifier), code_challenge_method: 'S256' },
      });
      const response = await redeem(server, 'spa', { ...code, verifier });
      assert.equal(response.status, 400);
      assert.equal(response.body.error, 'invalid_grant');
    });

    test('BASIC-38, PKCE-01, BCP-05: the correct S256 code_verifier is accepted and the response satisfies oauth4webapi', async () => {
      const issuer = new URL(server.issuer());
      const insecure = { [oauth.allowInsecureRequests]: true };
      const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, insecure));
      assert.deepEqual(as.code_challenge_methods_supported, ['S256']);
      const client: oauth.Client = { client_id: 'spa' };
      const verifier = oauth.generateRandomCodeVerifier();
      const state = oauth.generateRandomState();
      const nonce = oauth.generateRandomNonce();
      const url = new URL(as.authorization_endpoint!);
      for (const [k, v] of Object.entries({
        client_id: 'spa', redirect_uri: spaRedirect, response_type: 'code', scope: 'openid profile', state, nonce,
        code_challenge: await oauth.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
      })) url.searchParams.set(k, v);
      const browser = new UserAgent(server.url);
      const login = await browser.open(url.href);
      assert.ok(isLoginPage(login));
      const back = await browser.signIn(login, 'alice', password);
      const params = oauth.validateAuthResponse(as, client, new URL(back.location!), state);
      const response = await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), params, spaRedirect, verifier, insecure);
      assert.equal(response.status, 200);
      const result = await oauth.processAuthorizationCodeResponse(as, client, response, { expectedNonce: nonce, requireIdToken: true });
      assert.equal(result.token_type, 'bearer');
      assert.ok(result.access_token);
      assert.equal(oauth.getValidatedIdTokenClaims(result)!.aud, 'spa');
    });
  });
}
