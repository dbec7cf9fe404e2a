// Conformance checklist, Part B: RFC 6749 (B1), RFC 9700 (B3), introspection (B5), JWT access
// tokens (B8) and OIDC Core (B11) checks not covered elsewhere (PKCE, B2: authorization/pkce.test.ts).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createLocalJWKSet, decodeJwt, jwtVerify } from 'jose';
import { databases } from '../helpers/databases.js';
import { codeFor, redeem, token, userinfo } from '../helpers/flows.js';
import { password, testRealm } from '../helpers/realm.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { authorizeUrl, callbackParams, parseForm, type Page, UserAgent } from '../helpers/user-agent.js';

const redirectUri = 'http://127.0.0.1:3999/callback';

function realmWithMulti() {
  const realm = testRealm();
  realm.realms[0]!.clients.push({
    client_id: 'multi', client_secret: 'multi-secret', redirect_uris: ['http://127.0.0.1:3999/a', 'http://127.0.0.1:3999/b?x=1'],
    grant_types: ['authorization_code'], token_endpoint_auth_method: 'client_secret_basic', scope: 'openid', require_consent: false,
  } as never);
  return realm;
}

function assertErrorPage(page: Page): void {
  assert.ok(page.status >= 400, `status ${page.status}`);
  assert.equal(page.location, undefined, `unexpected redirect to ${page.location}`);
}

for (const database of databases) {
  describe(`conformance: OAuth 2.0, security BCP and JWT access tokens (${database})`, () => {
    let server: TestServer;
    let browser: UserAgent;
    before(async () => {
      server = await startServer(database, realmWithMulti());
      browser = new UserAgent(server.url);
      const login = await browser.open(authorizeUrl(server.issuer(), { client_id: 'trusted', redirect_uri: redirectUri, response_type: 'code', scope: 'openid' }));
      await browser.signIn(login, 'alice', password);
    });
    after(async () => { await server?.close(); });

    const authorize = (params: Record<string, string>) => browser.open(authorizeUrl(server.issuer(), params));
    const trustedTokens = async (scope: string) => {
      const code = await codeFor(server, browser, { client: 'trusted', scope });
      const response = await redeem(server, 'trusted', code);
      assert.equal(response.status, 200, JSON.stringify(response.body));
      return response;
    };

    test('OAUTH-07, DYN-04: a client with two redirect URIs and none in the request gets an error page, no redirect', async () => {
      assertErrorPage(await browser.request(authorizeUrl(server.issuer(), { client_id: 'multi', response_type: 'code', scope: 'openid', state: 's' })));
    });

    test('OAUTH-09, DYN-05: a registered redirect URI with a query keeps that query in the callback', async () => {
      const page = await authorize({ client_id: 'multi', redirect_uri: 'http://127.0.0.1:3999/b?x=1', response_type: 'code', scope: 'openid', state: 's' });
      const url = new URL(page.location!);
      assert.equal(url.searchParams.get('x'), '1');
      assert.ok(url.searchParams.get('code'));
    });

    test('DYN-06, BCP-01: a registered redirect URI sent with another query gets an error page, no redirect', async () => {
      assertErrorPage(await browser.request(authorizeUrl(server.issuer(), { client_id: 'multi', redirect_uri: 'http://127.0.0.1:3999/b?x=2', response_type: 'code', scope: 'openid', state: 's' })));
    });

    test('OAUTH-14: an omitted scope and an unknown scope are redirected back as invalid_scope', async () => {
      for (const extra of [{}, { scope: 'openid bogus' }] as Record<string, string>[]) {
        const params = callbackParams(await authorize({ client_id: 'trusted', redirect_uri: redirectUri, response_type: 'code', state: 'q', ...extra }));
        assert.equal(params.get('error'), 'invalid_scope');
        assert.equal(params.get('state'), 'q');
      }
    });

    test('CORE-01: a request without openid gets no ID token', async () => {
      const response = await trustedTokens('profile');
      assert.ok(response.body.access_token);
      assert.equal(response.body.id_token, undefined);
    });

    test('OAUTH-03, OAUTH-26: an unknown token request parameter is ignored, and the token response is no-store with Pragma no-cache', async () => {
      const code = await codeFor(server, browser, { client: 'trusted', scope: 'openid' });
      const response = await token(server, 'trusted', { grant_type: 'authorization_code', code: code.code, redirect_uri: code.redirectUri, code_verifier: code.verifier!, foo: 'bar' });
      assert.equal(response.status, 200);
      assert.match(response.headers.get('cache-control') ?? '', /no-store/);
      assert.equal(response.headers.get('pragma'), 'no-cache');
    });

    test('BCP-08: five parallel redemptions of one code give exactly one 200, the rest invalid_grant', async () => {
      const code = await codeFor(server, browser, { client: 'trusted', scope: 'openid' });
      const answers = await Promise.all([1, 2, 3, 4, 5].map(() => redeem(server, 'trusted', code)));
      assert.equal(answers.filter((a) => a.status === 200).length, 1);
      for (const a of answers.filter((x) => x.status !== 200)) assert.equal(a.body.error, 'invalid_grant');
    });

    test('BCP-12: a tampered refresh token is invalid_grant', async () => {
      const { body } = await trustedTokens('openid offline_access');
      const rt = body.refresh_token as string;
      const tampered = `${rt.slice(0, -2)}${rt.endsWith('AA') ? 'BB' : 'AA'}`;
      const response = await token(server, 'trusted', { grant_type: 'refresh_token', refresh_token: tampered });
      assert.equal(response.status, 400);
      assert.equal(response.body.error, 'invalid_grant');
    });

    test('BCP-14: the sign-in form POST is answered with 303, never 307', async () => {
      const fresh = new UserAgent(server.url);
      const login = await fresh.open(authorizeUrl(server.issuer(), { client_id: 'trusted', redirect_uri: redirectUri, response_type: 'code', scope: 'openid' }));
      const form = parseForm(login.html);
      const answer = await fresh.request(new URL(form.action, login.url).href, { form: { ...form.fields, username: 'alice', password } });
      assert.equal(answer.status, 303);
    });

    test('INTRO-05: an inactive token is answered with {"active":false} and nothing more', async () => {
      const response = await fetch(`${server.issuer()}/protocol/openid-connect/token/introspect`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from('web:web-secret').toString('base64')}` },
        body: 'token=garbage',
      });
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), { active: false });
    });

    test('JWTAT-01, JWTAT-02, JWTAT-03, JWTAT-06: a user access token is a signed at+jwt with iss, exp, aud, sub, client_id, iat, jti and scope', async () => {
      const { body } = await trustedTokens('openid profile');
      const jwks = createLocalJWKSet(await (await fetch(`${server.issuer()}/protocol/openid-connect/certs`)).json() as never);
      const { payload, protectedHeader } = await jwtVerify(body.access_token, jwks, { issuer: server.issuer(), typ: 'at+jwt' });
      assert.notEqual(protectedHeader.alg, 'none');
      for (const claim of ['iss', 'exp', 'aud', 'sub', 'client_id', 'iat', 'jti']) assert.notEqual(payload[claim], undefined, claim);
      assert.equal(payload.client_id, 'trusted');
      assert.equal(payload.scope, 'openid profile');
    });

    test('JWTAT-08: a refreshed access token keeps auth_time and acr', async () => {
      const { body } = await trustedTokens('openid offline_access');
      const refreshed = await token(server, 'trusted', { grant_type: 'refresh_token', refresh_token: body.refresh_token });
      assert.equal(refreshed.status, 200);
      const before = decodeJwt(body.access_token);
      const after = decodeJwt(refreshed.body.access_token);
      assert.equal(after.auth_time, before.auth_time);
      assert.equal(after.acr, before.acr);
    });

    test('JWTAT-09: an ID token presented as a bearer token at userinfo gets 401', async () => {
      const { body } = await trustedTokens('openid');
      assert.equal((await userinfo(server, body.id_token)).status, 401);
    });
  });
}
