// The claims request parameter (OIDC Core §5.5), id_token_hint and a named subject at the
// authorization endpoint (§3.1.2.1, §3.1.2.2), and prompt=select_account.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { databases } from '../helpers/databases.js';
import { codeFor, redeem, redirectUriOf, tokensFor, userinfo } from '../helpers/flows.js';
import { testRealm } from '../helpers/realm.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { authorizeUrl, callbackParams, isLoginPage, UserAgent } from '../helpers/user-agent.js';

for (const database of databases) {
  describe(`claims request, id_token_hint and select_account (${database})`, () => {
    let server: TestServer;
    before(async () => { server = await startServer(database, testRealm()); });
    after(async () => { await server?.close(); });

    const authorize = (browser: UserAgent, params: Record<string, string>) =>
      browser.open(authorizeUrl(server.issuer(), { client_id: 'trusted', redirect_uri: redirectUriOf.trusted, response_type: 'code', scope: 'openid', state: 'st', ...params }));

    test('CORE-31: a claim requested for the ID token is in the ID token, though its scope was not asked for', async () => {
      const tokens = await tokensFor(server, new UserAgent(server.url), { client: 'trusted', scope: 'openid', params: { claims: JSON.stringify({ id_token: { email: { essential: true } } }) } });
      assert.equal(decodeJwt(tokens.id_token).email, 'alice@example.com');
      const info = await userinfo(server, tokens.access_token);
      assert.equal(info.body.email, undefined, 'requested for the ID token only');
    });

    test('CORE-31: claims requested for userinfo are returned by userinfo', async () => {
      const tokens = await tokensFor(server, new UserAgent(server.url), { client: 'trusted', scope: 'openid', params: { claims: JSON.stringify({ userinfo: { given_name: null, family_name: { essential: true } } }) } });
      const info = await userinfo(server, tokens.access_token);
      assert.equal(info.body.given_name, 'Alice');
      assert.equal(info.body.family_name, 'Liddell');
      assert.equal(decodeJwt(tokens.id_token).given_name, undefined);
    });

    test('CORE-11: auth_time requested as an essential ID token claim is in the ID token: the time of sign-in, kept when the session is reused', async () => {
      const browser = new UserAgent(server.url);
      const essential = { claims: JSON.stringify({ id_token: { auth_time: { essential: true } } }) };
      const signedInAt = Math.floor(server.clock.now() / 1000);
      const first = decodeJwt((await tokensFor(server, browser, { client: 'trusted', scope: 'openid', params: essential })).id_token);
      assert.equal(typeof first.auth_time, 'number');
      assert.ok(Math.abs(first.auth_time as number - signedInAt) <= 2, `auth_time ${first.auth_time}, signed in at ${signedInAt}`);
      server.clock.advance(60);
      const later = decodeJwt((await tokensFor(server, browser, { client: 'trusted', scope: 'openid', params: essential })).id_token);
      assert.equal(later.auth_time, first.auth_time);
      assert.ok((later.iat as number) >= (first.auth_time as number) + 60);
    });

    test('a claims parameter that is not JSON is refused with invalid_request', async () => {
      const params = callbackParams(await authorize(new UserAgent(server.url), { claims: '{not json' }));
      assert.equal(params.get('error'), 'invalid_request');
      assert.equal(params.get('state'), 'st');
    });

    test('COMMON-12, CORE-26: an essential acr Strix cannot meet fails the request; one it can is honoured', async () => {
      const refused = callbackParams(await authorize(new UserAgent(server.url), { claims: JSON.stringify({ id_token: { acr: { essential: true, values: ['urn:example:mfa'] } } }) }));
      assert.equal(refused.get('error'), 'access_denied');
      const tokens = await tokensFor(server, new UserAgent(server.url), { client: 'trusted', scope: 'openid', params: { claims: JSON.stringify({ id_token: { acr: { essential: true, values: ['1'] } } }) } });
      assert.equal(decodeJwt(tokens.id_token).acr, '1');
    });

    test('BASIC-23: an id_token_hint for the signed-in user lets prompt=none answer silently', async () => {
      const browser = new UserAgent(server.url);
      const tokens = await tokensFor(server, browser, { client: 'trusted', scope: 'openid' });
      const params = callbackParams(await authorize(browser, { prompt: 'none', id_token_hint: tokens.id_token }));
      assert.ok(params.get('code'), `got ${params}`);
    });

    test('CORE-12: an id_token_hint for another user than the signed-in one needs a sign-in, and prompt=none gets login_required', async () => {
      const alice = await tokensFor(server, new UserAgent(server.url), { client: 'trusted', scope: 'openid' });
      const bobsBrowser = new UserAgent(server.url);
      await redeem(server, 'trusted', await codeFor(server, bobsBrowser, { client: 'trusted', scope: 'openid', user: 'bob' }));
      assert.ok(isLoginPage(await authorize(bobsBrowser, { id_token_hint: alice.id_token })));
      assert.equal(callbackParams(await authorize(bobsBrowser, { prompt: 'none', id_token_hint: alice.id_token })).get('error'), 'login_required');
    });

    test('signing in as someone else than the id_token_hint names ends in login_required, never a code', async () => {
      const alice = await tokensFor(server, new UserAgent(server.url), { client: 'trusted', scope: 'openid' });
      const browser = new UserAgent(server.url);
      const page = await browser.signIn(await authorize(browser, { id_token_hint: alice.id_token }), 'bob', 'correct horse battery staple');
      const params = callbackParams(page);
      assert.equal(params.get('error'), 'login_required');
      assert.equal(params.get('code'), null);
    });

    test('an id_token_hint that was not issued here is refused with invalid_request', async () => {
      const forged = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"sub":"x"}').toString('base64url')}.`;
      assert.equal(callbackParams(await authorize(new UserAgent(server.url), { id_token_hint: forged })).get('error'), 'invalid_request');
    });

    test('CORE-13: a sub claim requested with another user\'s value gets login_required under prompt=none', async () => {
      const browser = new UserAgent(server.url);
      await tokensFor(server, browser, { client: 'trusted', scope: 'openid' });
      const params = callbackParams(await authorize(browser, { prompt: 'none', claims: JSON.stringify({ id_token: { sub: { value: 'someone-else' } } }) }));
      assert.equal(params.get('error'), 'login_required');
    });

    test('CORE-08: prompt=select_account shows the sign-in page even with a session', async () => {
      const browser = new UserAgent(server.url);
      await tokensFor(server, browser, { client: 'trusted', scope: 'openid' });
      assert.ok(isLoginPage(await authorize(browser, { prompt: 'select_account' })));
    });

    test('discovery advertises the claims parameter, the acr values and select_account', async () => {
      const metadata = await (await fetch(`${server.issuer()}/.well-known/openid-configuration`)).json() as Record<string, unknown>;
      assert.equal(metadata.claims_parameter_supported, true);
      assert.deepEqual(metadata.acr_values_supported, ['1', '2', '3']);
      assert.ok((metadata.prompt_values_supported as string[]).includes('select_account'));
    });
  });
}
