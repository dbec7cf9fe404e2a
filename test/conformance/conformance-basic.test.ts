// Conformance checklist, Basic plan (A1) and the common checks (A0): the code flow with
// client_secret_basic as the OpenID conformance suite's oidcc-basic-certification-test-plan runs it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { databases } from '../helpers/databases.js';
import { codeFor, redeem, token, userinfo } from '../helpers/flows.js';
import { password, testRealm } from '../helpers/realm.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { authorizeUrl, callbackParams, isLoginPage, tokenRequest, UserAgent } from '../helpers/user-agent.js';

const redirectUri = 'http://127.0.0.1:3999/callback';
/** RFC 6749 §4.1.2.1 / §5.2 error_description characters: %x20-21 / %x23-5B / %x5D-7E. */
const descriptionChars = /^[\x20-\x21\x23-\x5B\x5D-\x7E]*$/;
const state128 = `${'aZ09-._~'.repeat(8)}${'!$&()*+,;=:@/?'.repeat(4)}${'xyz'.repeat(8)}`.slice(0, 128);

for (const database of databases) {
  describe(`conformance: basic OP plan (${database})`, () => {
    let server: TestServer;
    let jwks: ReturnType<typeof createLocalJWKSet>;
    before(async () => {
      server = await startServer(database, testRealm());
      jwks = createLocalJWKSet(await (await fetch(`${server.issuer()}/protocol/openid-connect/certs`)).json() as never);
    });
    after(async () => { await server?.close(); });

    const authorize = (browser: UserAgent, params: Record<string, string>) =>
      browser.open(authorizeUrl(server.issuer(), { client_id: 'trusted', redirect_uri: redirectUri, response_type: 'code', scope: 'openid', ...params }));

    /** Runs a code flow for `trusted` (client_secret_post, no consent) and redeems the code. */
    async function trustedTokens(browser: UserAgent, params: Record<string, string> = {}) {
      let page = await authorize(browser, params);
      if (isLoginPage(page)) page = await browser.signIn(page, 'alice', password);
      const callback = callbackParams(page);
      assert.equal(callback.get('error'), null, page.location);
      const response = await tokenRequest(server.issuer(), {
        grant_type: 'authorization_code', code: callback.get('code')!, redirect_uri: redirectUri, client_id: 'trusted', client_secret: 'trusted-secret',
      });
      assert.equal(response.status, 200, JSON.stringify(response.body));
      return { callback, response, tokens: response.body, idToken: decodeJwt(response.body.id_token as string) };
    }

    test('BASIC-01, COMMON-07, COMMON-08, COMMON-09, COMMON-10, CORE-16, CORE-18, CORE-19, OAUTH-26, OAUTH-30: a full code flow with client_secret_basic meets every common check', async () => {
      const browser = new UserAgent(server.url);
      const code = await codeFor(server, browser, { client: 'web', scope: 'openid', params: { nonce: 'nonce-basic-01' } });
      assert.ok(Buffer.from(code.code, 'base64url').length >= 16, 'the code carries at least 128 bits');
      const response = await redeem(server, 'web', code);
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
      assert.match(response.headers.get('cache-control') ?? '', /no-store/);
      const body = response.body;
      assert.equal(body.error, undefined);
      assert.ok(body.access_token && body.id_token);
      assert.equal(body.token_type, 'Bearer');
      assert.ok(typeof body.expires_in === 'number' && body.expires_in > 0);

      const { payload, protectedHeader } = await jwtVerify(body.id_token, jwks, { issuer: server.issuer(), audience: 'web' });
      assert.equal(protectedHeader.alg, 'RS256');
      assert.ok(protectedHeader.kid);
      const now = Math.floor(Date.now() / 1000);
      assert.ok(payload.exp! > now && payload.exp! < now + 50 * 365 * 86400, 'exp is in seconds, in the future');
      assert.ok(payload.iat! <= now + 5 && payload.iat! > now - 300, 'iat is recent and not in the future');
      assert.ok(typeof payload.auth_time === 'number' && payload.auth_time <= now + 5);
      assert.ok(typeof payload.acr === 'string' && payload.acr.length > 0);
      assert.ok(typeof payload.sub === 'string' && payload.sub.length > 0 && payload.sub.length <= 255 && /^[\x20-\x7E]+$/.test(payload.sub));
      assert.equal(payload.nonce, 'nonce-basic-01');
      assert.equal(payload.name, undefined, 'no claims that were not requested');
      assert.equal(payload.email, undefined);
    });

    test('BASIC-08, COMMON-10: a code request without nonce still gets a code, and the ID token then has no nonce', async () => {
      const { idToken } = await trustedTokens(new UserAgent(server.url));
      assert.equal(idToken.nonce, undefined);
    });

    test('COMMON-04, OAUTH-02: no state (or an empty one) sent means no state back', async () => {
      const browser = new UserAgent(server.url);
      await trustedTokens(browser);
      for (const extra of [{}, { state: '' }] as Record<string, string>[]) {
        const callback = callbackParams(await authorize(browser, extra));
        assert.ok(callback.get('code'));
        assert.equal(callback.has('state'), false);
      }
    });

    test('COMMON-05, BCP-17, BCP-18: iss in success and error authorization responses equals the discovery issuer', async () => {
      const metadata = await (await fetch(`${server.issuer()}/.well-known/openid-configuration`)).json() as Record<string, unknown>;
      const browser = new UserAgent(server.url);
      const { callback } = await trustedTokens(browser, { state: 's' });
      assert.equal(callback.get('iss'), metadata.issuer);
      const error = callbackParams(await authorize(new UserAgent(server.url), { prompt: 'none', state: 's' }));
      assert.equal(error.get('error'), 'login_required');
      assert.equal(error.get('iss'), metadata.issuer);
    });

    test('BASIC-18, COMMON-14, CORE-06: prompt=none without a session gets login_required in the query with the 128-char state intact, no code and only allowed parameters', async () => {
      assert.equal(state128.length, 128);
      const page = await authorize(new UserAgent(server.url), { prompt: 'none', state: state128 });
      const url = new URL(page.location!);
      assert.equal(url.hash, '');
      const params = url.searchParams;
      assert.ok(['login_required', 'interaction_required', 'account_selection_required', 'consent_required'].includes(params.get('error')!));
      assert.equal(params.get('state'), state128);
      assert.equal(params.get('code'), null);
      for (const key of params.keys()) assert.ok(['error', 'error_description', 'error_uri', 'state', 'session_state', 'iss'].includes(key), key);
      assert.match(params.get('error_description') ?? '', descriptionChars);
    });

    test('COMMON-15, CORE-17, OAUTH-27: a token endpoint error is 400 application/json with an RFC 6749 §5.2 error code', async () => {
      const response = await token(server, 'web', { grant_type: 'authorization_code', code: 'not-a-code', redirect_uri: redirectUri });
      assert.equal(response.status, 400);
      assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
      assert.equal(response.body.error, 'invalid_grant');
      assert.match(response.body.error_description ?? '', descriptionChars);
    });

    test('BASIC-05, BASIC-06, COMMON-13, CORE-28: userinfo by GET and by POST with a Bearer header answers 200 JSON whose sub is the ID token sub', async () => {
      const { tokens, idToken } = await trustedTokens(new UserAgent(server.url));
      for (const method of ['GET', 'POST']) {
        const response = await fetch(`${server.issuer()}/protocol/openid-connect/userinfo`, { method, headers: { authorization: `Bearer ${tokens.access_token}` } });
        assert.equal(response.status, 200, method);
        assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
        const claims = await response.json() as Record<string, unknown>;
        assert.equal(claims.sub, idToken.sub);
      }
    });

    test('BASIC-10, CORE-30: scope email puts email and email_verified in userinfo, and neither email nor name in the ID token or name in userinfo', async () => {
      const { tokens, idToken } = await trustedTokens(new UserAgent(server.url), { scope: 'openid email' });
      assert.equal(idToken.email, undefined);
      assert.equal(idToken.name, undefined);
      const info = await userinfo(server, tokens.access_token);
      assert.equal(info.body.email, 'alice@example.com');
      assert.equal(info.body.email_verified, true);
      assert.equal(info.body.name, undefined);
    });

    test('BASIC-13: scope openid profile email address phone releases every scope claim at userinfo', async () => {
      const tokens = (await redeem(server, 'web', await codeFor(server, new UserAgent(server.url), { client: 'web', scope: 'openid profile email address phone' }))).body;
      const info = await userinfo(server, tokens.access_token);
      assert.equal(info.status, 200);
      for (const claim of ['name', 'given_name', 'family_name', 'email', 'email_verified', 'address', 'phone_number']) assert.notEqual(info.body[claim], undefined, claim);
    });

    test('BASIC-14, OAUTH-01, OAUTH-03: scope in reverse order and reordered query parameters succeed', async () => {
      const browser = new UserAgent(server.url);
      await trustedTokens(browser);
      const url = `${server.issuer()}/protocol/openid-connect/auth?${new URLSearchParams([
        ['state', 's'], ['scope', 'email openid'], ['redirect_uri', redirectUri], ['response_type', 'code'], ['client_id', 'trusted'],
      ])}`;
      const callback = callbackParams(await browser.open(url));
      assert.ok(callback.get('code'));
      assert.equal(callback.get('state'), 's');
    });

    test('BASIC-15, BASIC-16, BASIC-22, BASIC-25, BASIC-26, CORE-14, OAUTH-03: display=page/popup, ui_locales=se, claims_locales=se and an unknown parameter are accepted', async () => {
      const browser = new UserAgent(server.url);
      await trustedTokens(browser);
      for (const extra of [{ display: 'page' }, { display: 'popup' }, { ui_locales: 'se' }, { claims_locales: 'se' }, { extra: 'foobar' }] as Record<string, string>[]) {
        const callback = callbackParams(await authorize(browser, { ...extra, state: 's' }));
        assert.equal(callback.get('error'), null, JSON.stringify(extra));
        assert.ok(callback.get('code'));
      }
    });

    test('BASIC-15, BASIC-24, BASIC-25: without a session, display, login_hint and ui_locales still show the login page, not an error', async () => {
      for (const extra of [{ display: 'page' }, { display: 'popup' }, { login_hint: 'buffy@127.0.0.1' }, { ui_locales: 'se' }] as Record<string, string>[]) {
        const page = await authorize(new UserAgent(server.url), extra);
        assert.ok(isLoginPage(page), JSON.stringify(extra));
      }
    });

    test('BASIC-27: acr_values with the advertised values succeeds and the acr is one of them', async () => {
      const { idToken } = await trustedTokens(new UserAgent(server.url), { acr_values: '1 2' });
      assert.ok(['1', '2'].includes(idToken.acr as string));
    });

    test('BASIC-19, CORE-06: prompt=none with a session answers silently for the same sub and auth_time', async () => {
      const browser = new UserAgent(server.url);
      const first = await trustedTokens(browser);
      const second = await trustedTokens(browser, { prompt: 'none' });
      assert.equal(second.idToken.sub, first.idToken.sub);
      assert.equal(second.idToken.auth_time, first.idToken.auth_time);
    });

    test('BASIC-20, CORE-10: after 2 s, max_age=1 shows the login page again and the new auth_time is later', async () => {
      const browser = new UserAgent(server.url);
      const first = await trustedTokens(browser);
      server.clock.advance(2);
      const page = await authorize(browser, { max_age: '1' });
      assert.ok(isLoginPage(page), 'the user must sign in again');
      const code = callbackParams(await browser.signIn(page, 'alice', password)).get('code')!;
      const second = await tokenRequest(server.issuer(), { grant_type: 'authorization_code', code, redirect_uri: redirectUri, client_id: 'trusted', client_secret: 'trusted-secret' });
      const idToken = decodeJwt(second.body.id_token);
      assert.ok(typeof idToken.auth_time === 'number');
      assert.ok(idToken.auth_time > (first.idToken.auth_time as number));
    });

    test('BASIC-21, CORE-10: max_age=15000 then max_age=10000 answer silently with the same auth_time and sub', async () => {
      const browser = new UserAgent(server.url);
      const first = await trustedTokens(browser, { max_age: '15000' });
      assert.ok(typeof first.idToken.auth_time === 'number');
      const second = await trustedTokens(browser, { max_age: '10000' });
      assert.equal(second.idToken.auth_time, first.idToken.auth_time);
      assert.equal(second.idToken.sub, first.idToken.sub);
    });

    test('BASIC-23, CORE-12: prompt=none with the first ID token as id_token_hint answers silently for the same sub and auth_time', async () => {
      const browser = new UserAgent(server.url);
      const first = await trustedTokens(browser);
      const second = await trustedTokens(browser, { prompt: 'none', id_token_hint: first.tokens.id_token });
      assert.equal(second.idToken.sub, first.idToken.sub);
      assert.equal(second.idToken.auth_time, first.idToken.auth_time);
    });

    test('BASIC-29: a code redeemed again 30 s later is 400 invalid_grant, and the first access token stops working at userinfo', async () => {
      const code = await codeFor(server, new UserAgent(server.url), { client: 'web', scope: 'openid' });
      const first = await redeem(server, 'web', code);
      assert.equal(first.status, 200);
      server.clock.advance(30);
      const again = await redeem(server, 'web', code);
      assert.equal(again.status, 400);
      assert.match(again.headers.get('content-type') ?? '', /^application\/json/);
      assert.equal(again.body.error, 'invalid_grant');
      assert.equal((await userinfo(server, first.body.access_token)).status, 401);
    });

    test('BASIC-32: a full code flow with client_secret_post', async () => {
      const { tokens } = await trustedTokens(new UserAgent(server.url));
      assert.ok(tokens.access_token && tokens.id_token);
    });

    test('BASIC-37, CORE-33, OAUTH-26: a refresh with scope answers 200 no-store Bearer with a new refresh token and an ID token keeping iss, sub, aud, auth_time and azp with a new iat; another client\'s refresh token is invalid_grant', async () => {
      const first = await trustedTokens(new UserAgent(server.url), { scope: 'openid offline_access' });
      assert.ok(first.tokens.refresh_token);
      server.clock.advance(2);
      const refreshed = await tokenRequest(server.issuer(), { grant_type: 'refresh_token', refresh_token: first.tokens.refresh_token, scope: 'openid offline_access', client_id: 'trusted', client_secret: 'trusted-secret' });
      assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
      assert.match(refreshed.headers.get('cache-control') ?? '', /no-store/);
      assert.equal(refreshed.body.token_type, 'Bearer');
      assert.ok(refreshed.body.expires_in > 0);
      assert.match(refreshed.body.access_token, /^[\x20-\x7E]+$/);
      assert.match(refreshed.body.refresh_token, /^[\x20-\x7E]+$/);
      assert.notEqual(refreshed.body.refresh_token, first.tokens.refresh_token);
      const idToken = decodeJwt(refreshed.body.id_token);
      for (const claim of ['iss', 'sub', 'aud', 'auth_time', 'azp'] as const) assert.deepEqual(idToken[claim], first.idToken[claim], claim);
      assert.ok(idToken.iat! > first.idToken.iat!);

      const other = await tokensForWeb();
      const stolen = await tokenRequest(server.issuer(), { grant_type: 'refresh_token', refresh_token: other.refresh_token, client_id: 'trusted', client_secret: 'trusted-secret' });
      assert.equal(stolen.status, 400);
      assert.equal(stolen.body.error, 'invalid_grant');
    });

    async function tokensForWeb(): Promise<Record<string, any>> {
      const response = await redeem(server, 'web', await codeFor(server, new UserAgent(server.url), { client: 'web', scope: 'openid offline_access' }));
      assert.equal(response.status, 200);
      return response.body;
    }

    test('BASIC-35, CORE-31: claims={"userinfo":{"name":{"essential":true}}} succeeds, puts name in userinfo and not in the ID token', async () => {
      const { tokens, idToken } = await trustedTokens(new UserAgent(server.url), { claims: JSON.stringify({ userinfo: { name: { essential: true } } }) });
      assert.equal(idToken.name, undefined);
      assert.equal((await userinfo(server, tokens.access_token)).body.name, 'Alice Liddell');
    });

    test('BASIC-03, DYN-01, CORE-14: the ID token of a client that registered no id_token_signed_response_alg is RS256 with a kid', async () => {
      const { tokens } = await trustedTokens(new UserAgent(server.url));
      const header = decodeProtectedHeader(tokens.id_token);
      assert.equal(header.alg, 'RS256');
      assert.ok(header.kid);
    });
  });
}
