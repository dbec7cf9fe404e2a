// Conformance checklist, Implicit (A2), Hybrid (A3) and Form Post (A4) plans.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createLocalJWKSet, decodeJwt, jwtVerify } from 'jose';
import { databases } from '../helpers/databases.js';
import { userinfo } from '../helpers/flows.js';
import { hybridClient, password, testRealm } from '../helpers/realm.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { authorizeUrl, fragmentOf, halfHash, parseForm, tokenRequest, UserAgent } from '../helpers/user-agent.js';

const redirectUri = 'http://127.0.0.1:3999/callback';

function realmWithHybrid() {
  const realm = testRealm();
  realm.realms[0]!.clients.push(hybridClient(redirectUri) as never);
  return realm;
}

for (const database of databases) {
  describe(`conformance: implicit, hybrid and form_post plans (${database})`, () => {
    let server: TestServer;
    let browser: UserAgent;
    before(async () => {
      server = await startServer(database, realmWithHybrid());
      browser = new UserAgent(server.url);
      const login = await browser.open(authorizeUrl(server.issuer(), { client_id: 'hybrid', redirect_uri: redirectUri, response_type: 'code', scope: 'openid' }));
      await browser.signIn(login, 'alice', password);
    });
    after(async () => { await server?.close(); });

    const authorize = (params: Record<string, string>, agent = browser) =>
      agent.open(authorizeUrl(server.issuer(), { client_id: 'hybrid', redirect_uri: redirectUri, scope: 'openid profile email', state: 'st', nonce: 'nn', ...params }));
    const redeem = (code: string) => tokenRequest(server.issuer(), { grant_type: 'authorization_code', code, redirect_uri: redirectUri }, { id: 'hybrid', secret: 'hybrid-secret' });

    test('IMPL-02, COMMON-06, BCP-19: response_type=id_token puts a signed ID token with the nonce and state in the fragment, and no code or access token', async () => {
      const fragment = fragmentOf(await authorize({ response_type: 'id_token' }));
      assert.equal(fragment.get('state'), 'st');
      assert.equal(fragment.get('code'), null);
      assert.equal(fragment.get('access_token'), null);
      const jwks = createLocalJWKSet(await (await fetch(`${server.issuer()}/protocol/openid-connect/certs`)).json() as never);
      const { payload } = await jwtVerify(fragment.get('id_token')!, jwks, { issuer: server.issuer(), audience: 'hybrid' });
      assert.equal(payload.nonce, 'nn');
      assert.equal(fragment.get('iss'), payload.iss, 'the iss parameter equals the ID token iss');
    });

    test('IMPL-05, CORE-30, COMMON-11: with response_type=id_token the requested scope claims are in the ID token, with their JSON types and updated_at a number', async () => {
      const idToken = decodeJwt(fragmentOf(await authorize({ response_type: 'id_token' })).get('id_token')!);
      assert.equal(idToken.name, 'Alice Liddell');
      assert.equal(idToken.email, 'alice@example.com');
      assert.equal(typeof idToken.email_verified, 'boolean');
      assert.equal(typeof idToken.updated_at, 'number');
    });

    test('IMPL-06: with response_type=id_token, name requested as essential for the ID token is in the ID token', async () => {
      const fragment = fragmentOf(await authorize({ response_type: 'id_token', scope: 'openid', claims: JSON.stringify({ id_token: { name: { essential: true } } }) }));
      assert.equal(decodeJwt(fragment.get('id_token')!).name, 'Alice Liddell');
    });

    test('IMPL-03, OAUTH-16: response_type=id_token token has access_token, token_type, id_token with a valid at_hash, no refresh_token, and the access token works at userinfo', async () => {
      const fragment = fragmentOf(await authorize({ response_type: 'id_token token', scope: 'openid offline_access' }));
      const accessToken = fragment.get('access_token')!;
      assert.equal(fragment.get('token_type'), 'Bearer');
      assert.equal(fragment.get('refresh_token'), null);
      assert.equal(decodeJwt(fragment.get('id_token')!).at_hash, halfHash(accessToken));
      assert.equal((await userinfo(server, accessToken)).status, 200);
    });

    test('IMPL-04, HYB-07, CORE-20: id_token, code id_token and code id_token token without nonce get invalid_request in the fragment, with state and no tokens', async () => {
      for (const responseType of ['id_token', 'id_token token', 'code id_token', 'code id_token token']) {
        const page = await browser.open(authorizeUrl(server.issuer(), { client_id: 'hybrid', redirect_uri: redirectUri, scope: 'openid', state: 'st', response_type: responseType }));
        const fragment = fragmentOf(page);
        assert.equal(fragment.get('error'), 'invalid_request', responseType);
        assert.equal(fragment.get('state'), 'st');
        for (const name of ['code', 'id_token', 'access_token']) assert.equal(fragment.get(name), null, `${responseType}: ${name}`);
      }
    });

    test('HYB-07: code token without nonce succeeds: no ID token comes from the authorization endpoint, so no nonce is needed', async () => {
      const page = await browser.open(authorizeUrl(server.issuer(), { client_id: 'hybrid', redirect_uri: redirectUri, scope: 'openid', state: 'st', response_type: 'code token' }));
      const fragment = fragmentOf(page);
      assert.equal(fragment.get('error'), null, fragment.toString());
      assert.ok(fragment.get('code') && fragment.get('access_token'));
      const tokens = await redeem(fragment.get('code')!);
      assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
      assert.equal(decodeJwt(tokens.body.id_token).nonce, undefined);
    });

    test('HYB-03, HYB-06, CORE-23, CORE-25: code id_token has a valid c_hash, and the token endpoint ID token has the same iss and sub', async () => {
      const fragment = fragmentOf(await authorize({ response_type: 'code id_token' }));
      const front = decodeJwt(fragment.get('id_token')!);
      assert.equal(front.c_hash, halfHash(fragment.get('code')!));
      assert.equal(front.nonce, 'nn');
      const tokens = await redeem(fragment.get('code')!);
      assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
      const back = decodeJwt(tokens.body.id_token);
      assert.equal(back.iss, front.iss);
      assert.equal(back.sub, front.sub);
    });

    test('HYB-04: code token has code, access_token and token_type but no id_token in the fragment; the ID token comes from the token endpoint', async () => {
      const fragment = fragmentOf(await authorize({ response_type: 'code token' }));
      assert.ok(fragment.get('code') && fragment.get('access_token'));
      assert.equal(fragment.get('token_type'), 'Bearer');
      assert.equal(fragment.get('id_token'), null);
      assert.equal((await userinfo(server, fragment.get('access_token')!)).status, 200);
      const tokens = await redeem(fragment.get('code')!);
      assert.ok(tokens.body.id_token);
    });

    test('HYB-05, CORE-22, CORE-23: code id_token token has code, access_token and id_token with valid c_hash and at_hash', async () => {
      const fragment = fragmentOf(await authorize({ response_type: 'code id_token token' }));
      const idToken = decodeJwt(fragment.get('id_token')!);
      assert.equal(idToken.c_hash, halfHash(fragment.get('code')!));
      assert.equal(idToken.at_hash, halfHash(fragment.get('access_token')!));
    });

    test('HYB-08: a hybrid code redeemed twice is invalid_grant the second time', async () => {
      const fragment = fragmentOf(await authorize({ response_type: 'code id_token' }));
      assert.equal((await redeem(fragment.get('code')!)).status, 200);
      const again = await redeem(fragment.get('code')!);
      assert.equal(again.status, 400);
      assert.equal(again.body.error, 'invalid_grant');
    });

    test('FP-02, FP-03, FP-04, FP-05: with form_post, success and error responses are a form POSTed (url-encoded) to the bare redirect_uri with every parameter', async () => {
      for (const [params, expect] of [
        [{ response_type: 'code id_token token', response_mode: 'form_post' }, ['code', 'id_token', 'access_token', 'state', 'iss']],
        [{ response_type: 'code id_token', response_mode: 'form_post', nonce: '' }, ['error', 'state', 'iss']],
      ] as [Record<string, string>, string[]][]) {
        const page = await authorize(params);
        assert.equal(page.status, 200);
        assert.equal(page.location, undefined);
        assert.match(page.html, /<form[^>]*method="post"/i);
        assert.doesNotMatch(page.html, /<form[^>]*enctype="(?!application\/x-www-form-urlencoded)/i, 'the default (url-encoded) encoding');
        const form = parseForm(page.html);
        assert.equal(form.action, redirectUri, 'nothing in the redirect_uri query');
        for (const name of expect) assert.ok(form.fields[name], `${name} is posted`);
        assert.equal(form.fields.state, 'st');
        assert.equal(form.fields.iss, server.issuer());
      }
    });
  });
}
