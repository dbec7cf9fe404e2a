// Pushed Authorization Requests (RFC 9126) as certified clients use them: oauth4webapi and
// openid-client push the request, Chromium signs in with the request_uri alone, and the code is
// redeemed; then the ways a request_uri must fail, and the endpoint's own errors.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { exportJWK, generateKeyPair, SignJWT, UnsecuredJWT, type CryptoKey } from 'jose';
import * as oauth from 'oauth4webapi';
import * as client from 'openid-client';
import type { Page } from 'playwright-core';
import { buildApp, createLogger, createServices } from '../../src/app.js';
import { pagePerTest, skipWithoutChromium, submitSignInForm } from '../helpers/browser.js';
import { databases } from '../helpers/databases.js';
import { password, testRealm } from '../helpers/realm.js';
import { startRelyingParty, type RelyingParty } from '../helpers/relying-party.js';
import { freePort, startServer, type TestServer } from '../helpers/server.js';
import { authorizeUrl, callbackParams, isLoginPage, pkcePair, tokenRequest, UserAgent, type Page as AgentPage } from '../helpers/user-agent.js';

const urnPrefix = 'urn:ietf:params:oauth:request_uri:';
type Auth = { basic: [string, string] } | { form: Record<string, string> };

for (const database of databases) {
  describe(`pushed authorization requests (${database})`, () => {
    let rp: RelyingParty;
    let server: TestServer;
    let keyed: CryptoKey;

    before(async () => {
      rp = await startRelyingParty();
      const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
      keyed = privateKey;
      const realm = testRealm(rp.base);
      const app = (extra: Record<string, unknown>) => ({
        redirect_uris: [rp.redirectUri], grant_types: ['authorization_code'], scope: 'openid profile email', ...extra,
      });
      realm.realms[0]!.clients.push(
        app({ client_id: 'par-only', client_secret: 'par-only-secret', require_pushed_authorization_requests: true }) as never,
        app({ client_id: 'unsigned', client_secret: 'unsigned-secret', request_object_signing_alg: 'none' }) as never,
        app({ client_id: 'keyed', token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [{ ...(await exportJWK(publicKey)), kid: 'k1' }] } }) as never,
      );
      realm.realms.push(
        { name: 'strict', require_pushed_authorization_requests: true, clients: [app({ client_id: 'app', client_secret: 'app-secret' })] } as never,
        { name: 'limited', rate_limits: { par_per_ip: { max: 3, window_seconds: 60 } }, clients: [app({ client_id: 'app', client_secret: 'app-secret' })] } as never,
      );
      server = await startServer(database, realm);
    });
    after(async () => {
      await server?.close();
      await rp?.close();
    });

    const parUrl = (realm = 'demo') => `${server.issuer(realm)}/protocol/openid-connect/ext/par/request`;

    async function push(form: Record<string, string>, auth: Auth = { basic: ['web', 'web-secret'] }, realm = 'demo', base = server.url) {
      const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
      if ('basic' in auth) headers.authorization = `Basic ${Buffer.from(auth.basic.join(':')).toString('base64')}`;
      const body = new URLSearchParams({ ...form, ...('form' in auth ? auth.form : {}) });
      const response = await fetch(parUrl(realm).replace(server.url, base), { method: 'POST', headers, body });
      return { status: response.status, headers: response.headers, body: await response.json() as Record<string, any> };
    }

    /** A complete code request for `clientId`, to be pushed. */
    function codeRequest(clientId: string, extra: Record<string, string> = {}) {
      const pair = pkcePair();
      return {
        verifier: pair.verifier,
        form: {
          client_id: clientId, response_type: 'code', redirect_uri: rp.redirectUri, scope: 'openid', state: 'pushed-state',
          code_challenge: pair.challenge, code_challenge_method: 'S256', ...extra,
        },
      };
    }

    const authorizeWith = (clientId: string, requestUri: string, extra: Record<string, string> = {}, realm = 'demo') =>
      authorizeUrl(server.issuer(realm), { client_id: clientId, request_uri: requestUri, ...extra });

    function assertErrorPage(page: AgentPage, title: string): void {
      assert.equal(page.location, undefined, `expected an error page, got a redirect to ${page.location}`);
      assert.equal(page.status, 400);
      assert.match(page.html, new RegExp(`<h1>${title}</h1>`));
    }

    test('PAR-01, DISC-13: discovery advertises the PAR endpoint and, per realm, whether pushing is required', async () => {
      const demo = await (await fetch(`${server.issuer()}/.well-known/openid-configuration`)).json() as Record<string, unknown>;
      assert.equal(demo.pushed_authorization_request_endpoint, parUrl());
      assert.equal(demo.require_pushed_authorization_requests, false);
      const strict = await (await fetch(`${server.issuer('strict')}/.well-known/openid-configuration`)).json() as Record<string, unknown>;
      assert.equal(strict.pushed_authorization_request_endpoint, parUrl('strict'));
      assert.equal(strict.require_pushed_authorization_requests, true);
    });

    test('PAR-06: a push answers 201 with a random urn request_uri and a positive integer expires_in, never cached', async () => {
      const first = await push(codeRequest('web').form);
      const second = await push(codeRequest('web').form);
      assert.equal(first.status, 201, JSON.stringify(first.body));
      assert.ok(first.body.request_uri.startsWith(urnPrefix));
      assert.ok(first.body.request_uri.length >= urnPrefix.length + 43, 'at least 256 random bits');
      assert.notEqual(first.body.request_uri, second.body.request_uri);
      assert.equal(first.body.expires_in, 60);
      assert.ok(Number.isInteger(first.body.expires_in) && first.body.expires_in > 0);
      assert.equal(first.headers.get('cache-control'), 'no-store');
    });

    test('PAR-03, PAR-11: a wrong secret, an unknown client and no authentication at all are invalid_client as JSON', async () => {
      for (const [clientId, secret] of [['web', 'wrong'], ['nobody', 'x']] as const) {
        const refused = await push(codeRequest(clientId).form, { basic: [clientId, secret] });
        assert.equal(refused.status, 401);
        assert.equal(refused.body.error, 'invalid_client');
      }
      const { client_id: _id, ...anonymous } = codeRequest('web').form;
      const refused = await push(anonymous, { form: {} });
      assert.equal(refused.status, 401);
      assert.equal(refused.body.error, 'invalid_client');
    });

    test('a browser-based public client may push from an allowed origin (CORS), and only from one', async () => {
      const preflight = await fetch(parUrl(), { method: 'OPTIONS', headers: { origin: 'https://spa.example.com', 'access-control-request-method': 'POST' } });
      assert.equal(preflight.status, 204);
      assert.equal(preflight.headers.get('access-control-allow-origin'), 'https://spa.example.com');
      assert.match(preflight.headers.get('access-control-allow-methods') ?? '', /POST/);
      const form = codeRequest('spa', { redirect_uri: 'http://127.0.0.1:5173/callback' }).form;
      const pushed = await fetch(parUrl(), {
        method: 'POST', headers: { origin: 'https://spa.example.com', 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form),
      });
      assert.equal(pushed.status, 201);
      assert.equal(pushed.headers.get('access-control-allow-origin'), 'https://spa.example.com');
      const stranger = await fetch(parUrl(), { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
      assert.equal(stranger.headers.get('access-control-allow-origin'), null);
    });

    test('PAR-04: a push that itself carries a request_uri is invalid_request', async () => {
      const refused = await push(codeRequest('web', { request_uri: `${urnPrefix}abc` }).form);
      assert.equal(refused.status, 400);
      assert.equal(refused.body.error, 'invalid_request');
    });

    test('PAR-05, PAR-11, PAR-13: pushed parameters are validated as at the authorization endpoint, errors answered as JSON', async () => {
      const cases: [Record<string, string>, Auth, string][] = [
        [{ redirect_uri: 'https://attacker.example/callback' }, { basic: ['web', 'web-secret'] }, 'invalid_request'],
        [{ scope: 'openid admin:everything' }, { basic: ['web', 'web-secret'] }, 'invalid_scope'],
        [{ response_type: 'code bogus' }, { basic: ['web', 'web-secret'] }, 'unsupported_response_type'],
        [{ response_type: 'id_token', nonce: 'n' }, { basic: ['web', 'web-secret'] }, 'unauthorized_client'],
        [{ prompt: 'sometimes' }, { basic: ['web', 'web-secret'] }, 'invalid_request'],
      ];
      for (const [extra, auth, error] of cases) {
        const refused = await push(codeRequest('web', extra).form, auth);
        assert.equal(refused.status, 400, JSON.stringify(extra));
        assert.equal(refused.body.error, error, JSON.stringify(refused.body));
        assert.match(refused.headers.get('content-type') ?? '', /^application\/json/);
      }
      // A public client (PKCE, no secret) may push, but not to a redirect URI it did not register.
      const spa = codeRequest('spa', { redirect_uri: 'http://127.0.0.1:5173/callback' }).form;
      assert.equal((await push(spa, { form: {} })).status, 201);
      const unregistered = await push({ ...spa, redirect_uri: 'http://127.0.0.1:5173/elsewhere' }, { form: {} });
      assert.equal(unregistered.status, 400);
      assert.equal(unregistered.body.error, 'invalid_request');
      const noPkce = await push({ ...spa, code_challenge: '', code_challenge_method: '' }, { form: {} });
      assert.equal(noPkce.body.error, 'invalid_request', 'public clients need PKCE here too');
    });

    test('PAR-11: an over-size push is 413 and a push over the rate limit is 429 with Retry-After', async () => {
      const huge = await push({ ...codeRequest('web').form, state: 'x'.repeat(70 * 1024) });
      assert.equal(huge.status, 413);
      const statuses: number[] = [];
      let retryAfter: string | null = null;
      for (let i = 0; i < 5; i++) {
        const answer = await push(codeRequest('app').form, { basic: ['app', 'app-secret'] }, 'limited');
        statuses.push(answer.status);
        if (answer.status === 429) {
          assert.equal(answer.body.error, 'temporarily_unavailable');
          retryAfter = answer.headers.get('retry-after');
        }
      }
      assert.deepEqual(statuses, [201, 201, 201, 429, 429]);
      assert.ok(Number(retryAfter) > 0);
    });

    test('PAR-02, OAUTH-18: GET, PUT and DELETE at the PAR, token, introspection and revocation endpoints are 405 with Allow: POST', async () => {
      for (const path of ['ext/par/request', 'token', 'token/introspect', 'revoke']) {
        for (const method of ['GET', 'PUT', 'DELETE']) {
          const response = await fetch(`${server.issuer()}/protocol/openid-connect/${path}`, { method });
          assert.equal(response.status, 405, `${method} ${path}`);
          assert.equal(response.headers.get('allow'), 'POST');
          assert.equal((await response.json() as { error: string }).error, 'invalid_request');
        }
      }
    });

    test('PAR-09: parameters on the authorization URL other than client_id and request_uri are ignored, and the request_uri works once', async () => {
      const { form, verifier } = codeRequest('trusted', { scope: 'openid', state: 'pushed-state' });
      const pushed = await push(form, { form: { client_secret: 'trusted-secret' } });
      const browser = new UserAgent(server.url);
      const url = authorizeWith('trusted', pushed.body.request_uri, { scope: 'openid email', state: 'outer-state', redirect_uri: 'https://attacker.example/cb' });
      const login = await browser.open(url);
      assert.ok(isLoginPage(login));
      const callback = callbackParams(await browser.submit(login, { username: 'alice', password }));
      assert.equal(callback.get('state'), 'pushed-state');
      const tokens = await tokenRequest(server.issuer(), {
        grant_type: 'authorization_code', code: callback.get('code')!, redirect_uri: rp.redirectUri, code_verifier: verifier,
        client_id: 'trusted', client_secret: 'trusted-secret',
      });
      assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
      assert.equal(tokens.body.scope, 'openid', 'the outer scope was ignored');

      // Signed in now: a replay would go straight back to the client if it were accepted.
      assertErrorPage(await browser.open(url.replace(/&redirect_uri=[^&]*/, '')), 'Invalid request URI');
    });

    test('PAR-09: a replayed request_uri with a registered redirect_uri on the URL is redirected back as invalid_request_uri', async () => {
      const pushed = await push(codeRequest('trusted').form, { form: { client_secret: 'trusted-secret' } });
      const browser = new UserAgent(server.url);
      assert.ok(isLoginPage(await browser.open(authorizeWith('trusted', pushed.body.request_uri))));
      const replay = await browser.open(authorizeWith('trusted', pushed.body.request_uri, { redirect_uri: rp.redirectUri, state: 'outer' }));
      const callback = callbackParams(replay);
      assert.equal(callback.get('error'), 'invalid_request_uri');
      assert.equal(callback.get('state'), 'outer');
      assert.equal(callback.get('code'), null);
    });

    test('PAR-07: a request_uri presented with another client_id is refused, and stays usable by the client that pushed it', async () => {
      const pushed = await push(codeRequest('web').form);
      const browser = new UserAgent(server.url);
      assertErrorPage(await browser.open(authorizeWith('trusted', pushed.body.request_uri)), 'Invalid request URI');
      assert.ok(isLoginPage(await browser.open(authorizeWith('web', pushed.body.request_uri))));
    });

    test('PAR-08: an expired request_uri is refused', async () => {
      const pushed = await push(codeRequest('web').form);
      server.clock.advance(61);
      assertErrorPage(await new UserAgent(server.url).open(authorizeWith('web', pushed.body.request_uri)), 'Invalid request URI');
    });

    test('an unknown request_uri is refused with an error page', async () => {
      assertErrorPage(await new UserAgent(server.url).open(authorizeWith('web', `${urnPrefix}${'A'.repeat(43)}`)), 'Invalid request URI');
    });

    test('PAR-10: a client registered with require_pushed_authorization_requests gets invalid_request without PAR, and signs in with it', async () => {
      const { form } = codeRequest('par-only');
      const browser = new UserAgent(server.url);
      const refused = callbackParams(await browser.open(authorizeUrl(server.issuer(), form)));
      assert.equal(refused.get('error'), 'invalid_request');
      assert.equal(refused.get('state'), 'pushed-state');
      const pushed = await push(form, { basic: ['par-only', 'par-only-secret'] });
      assert.equal(pushed.status, 201);
      assert.ok(isLoginPage(await browser.open(authorizeWith('par-only', pushed.body.request_uri))));
    });

    test('PAR-10: in a realm that requires PAR, every client gets invalid_request without it', async () => {
      const { form } = codeRequest('app');
      const browser = new UserAgent(server.url);
      const refused = callbackParams(await browser.open(authorizeUrl(server.issuer('strict'), form)));
      assert.equal(refused.get('error'), 'invalid_request');
      const pushed = await push(form, { basic: ['app', 'app-secret'] }, 'strict');
      assert.equal(pushed.status, 201);
      assert.ok(isLoginPage(await browser.open(authorizeWith('app', pushed.body.request_uri, {}, 'strict'))));
    });

    test('a request object may be pushed: its parameters are the request', async () => {
      const pair = pkcePair();
      const jwt = new UnsecuredJWT({
        client_id: 'unsigned', response_type: 'code', redirect_uri: rp.redirectUri, scope: 'openid', state: 'from-the-object',
        code_challenge: pair.challenge, code_challenge_method: 'S256',
      }).setIssuer('unsigned').setAudience(server.issuer()).setIssuedAt().setExpirationTime('1m').encode();
      const pushed = await push({ client_id: 'unsigned', request: jwt }, { basic: ['unsigned', 'unsigned-secret'] });
      assert.equal(pushed.status, 201, JSON.stringify(pushed.body));
      const browser = new UserAgent(server.url);
      const callback = callbackParams(await browser.signIn(await browser.open(authorizeWith('unsigned', pushed.body.request_uri)), 'alice', password));
      assert.equal(callback.get('state'), 'from-the-object');
      assert.ok(callback.get('code'));

      const foreign = new UnsecuredJWT({ response_type: 'code', scope: 'openid' }).setIssuer('unsigned').setAudience('https://elsewhere.example').encode();
      const refused = await push({ client_id: 'unsigned', request: foreign }, { basic: ['unsigned', 'unsigned-secret'] });
      assert.equal(refused.status, 400);
      assert.equal(refused.body.error, 'invalid_request_object');
    });

    test('PAR-12: a private_key_jwt assertion addressed to the issuer, the token endpoint or the PAR endpoint authenticates the push', async () => {
      const assertion = (audience: string) => new SignJWT({ jti: randomUUID() }).setProtectedHeader({ alg: 'ES256', kid: 'k1' })
        .setIssuer('keyed').setSubject('keyed').setAudience(audience).setIssuedAt().setExpirationTime('1m').sign(keyed);
      const withAssertion = async (audience: string) => push(codeRequest('keyed').form, {
        form: { client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: await assertion(audience) },
      });
      for (const audience of [server.issuer(), `${server.issuer()}/protocol/openid-connect/token`, parUrl()]) {
        const pushed = await withAssertion(audience);
        assert.equal(pushed.status, 201, `${audience}: ${JSON.stringify(pushed.body)}`);
      }
      const misaddressed = await withAssertion(`${server.issuer()}/protocol/openid-connect/userinfo`);
      assert.equal(misaddressed.status, 401);
      assert.equal(misaddressed.body.error, 'invalid_client');
    });

    test('a request pushed to one node is used on another node of the same database', async () => {
      const services = await createServices(server.services.config, createLogger('silent'), server.clock);
      const other = await buildApp(services);
      const port = await freePort();
      await other.listen({ port, host: '127.0.0.1' });
      try {
        const pushed = await push(codeRequest('web').form, { basic: ['web', 'web-secret'] }, 'demo', `http://127.0.0.1:${port}`);
        assert.equal(pushed.status, 201);
        assert.ok(isLoginPage(await new UserAgent(server.url).open(authorizeWith('web', pushed.body.request_uri))));
      } finally {
        await other.close();
        await services.store.close();
      }
    });

    describe('with certified clients driving Chromium', () => {
      if (skipWithoutChromium()) return;
      let page: Page;
      pagePerTest((p) => { page = p; });

      const atRelyingParty = () => new URL(page.url()).origin === rp.base;

      async function signIn(): Promise<void> {
        await submitSignInForm(page, 'alice', password, (url) => url.origin === rp.base || url.pathname.endsWith('/login-actions/authenticate'));
        if (!atRelyingParty()) await Promise.all([page.waitForURL((url) => url.origin === rp.base), page.getByRole('button', { name: 'Allow' }).click()]);
      }

      test('PAR-03, PAR-06, PAR-09: oauth4webapi pushes, the user signs in and consents, the code is redeemed, and a replay fails', async () => {
        const issuer = new URL(server.issuer());
        const insecure = { [oauth.allowInsecureRequests]: true };
        const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, insecure));
        const rpClient: oauth.Client = { client_id: 'web' };
        const auth = oauth.ClientSecretBasic('web-secret');
        const verifier = oauth.generateRandomCodeVerifier();
        const state = oauth.generateRandomState();
        const nonce = oauth.generateRandomNonce();
        const response = await oauth.pushedAuthorizationRequest(as, rpClient, auth, {
          redirect_uri: rp.redirectUri, response_type: 'code', scope: 'openid profile', state, nonce,
          code_challenge: await oauth.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
        }, insecure);
        assert.equal(response.status, 201);
        const pushed = await oauth.processPushedAuthorizationResponse(as, rpClient, response);
        const url = new URL(as.authorization_endpoint!);
        url.searchParams.set('client_id', 'web');
        url.searchParams.set('request_uri', pushed.request_uri);

        await page.goto(url.href);
        await signIn();
        const params = oauth.validateAuthResponse(as, rpClient, new URL(page.url()), state);
        const tokens = await oauth.processAuthorizationCodeResponse(as, rpClient,
          await oauth.authorizationCodeGrantRequest(as, rpClient, auth, params, rp.redirectUri, verifier, insecure), { expectedNonce: nonce, requireIdToken: true });
        assert.equal(oauth.getValidatedIdTokenClaims(tokens)!.aud, 'web');

        const replay = await page.goto(url.href);
        assert.equal(replay?.status(), 400);
        assert.ok(!atRelyingParty(), 'the used request_uri did not lead back to the client');
        assert.ok(await page.getByRole('heading', { name: 'Invalid request URI' }).isVisible());
      });

      test('PAR-06: openid-client buildAuthorizationUrlWithPAR sends only client_id and request_uri through the browser and gets tokens', async () => {
        const config = await client.discovery(new URL(server.issuer()), 'trusted', 'trusted-secret', client.ClientSecretPost('trusted-secret'), {
          execute: [client.allowInsecureRequests],
        });
        const verifier = client.randomPKCECodeVerifier();
        const state = client.randomState();
        const nonce = client.randomNonce();
        const url = await client.buildAuthorizationUrlWithPAR(config, {
          redirect_uri: rp.redirectUri, scope: 'openid email', state, nonce,
          code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
        });
        assert.deepEqual([...url.searchParams.keys()].sort(), ['client_id', 'request_uri']);

        await page.goto(url.href);
        await signIn();
        const tokens = await client.authorizationCodeGrant(config, new URL(page.url()), { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce });
        const userinfo = await client.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub);
        assert.equal(userinfo.email, 'alice@example.com');
      });
    });
  });
}
