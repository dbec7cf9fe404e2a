// Conformance checklist lines that have no test file of their own: the general authorization
// endpoint rules (CORE-04, CORE-05), what ID and access tokens never carry (CORE-21, PKCE-09,
// JWTAT-07), the token response scope (OAUTH-15), revocation (REV-01), the dynamic OP's features
// (CORE-37), and discovery values matching behaviour (DISC-11).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, SignJWT, UnsecuredJWT, type JWK } from 'jose';
import { databases } from '../helpers/databases.js';
import { userinfo } from '../helpers/flows.js';
import { keyPair, type Signer } from '../helpers/key-server.js';
import { hybridClient, password, testRealm } from '../helpers/realm.js';
import { requestObjectServer } from '../helpers/relying-party.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { authorizeUrl, callbackParams, isConsentPage, isLoginPage, parseForm, pkcePair, tokenRequest, UserAgent, type Page } from '../helpers/user-agent.js';

const redirectUri = 'http://127.0.0.1:3999/callback';
const sharedSecret = 'a-client-secret-long-enough-for-hs512-assertions-0123456789abcdef';
const assertionType = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** One key per asymmetric algorithm Strix advertises (client assertions, request objects, DPoP), named by it. */
const keyAlgs = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];

const userApp = (clientId: string, extra: Record<string, unknown>) => ({
  client_id: clientId, client_secret: `${clientId}-secret`, redirect_uris: [redirectUri], grant_types: ['authorization_code'],
  token_endpoint_auth_method: 'client_secret_post', scope: 'openid profile email', require_consent: false, ...extra,
});

function realm(publicKeys: unknown[]) {
  const file = testRealm();
  const demo = file.realms[0]! as Record<string, any>;
  demo.registration = 'open';
  // Two resource servers, so that scopes could pick between them if Strix mapped scopes to resources (JWTAT-07).
  demo.resources = [{ uri: 'https://api.example.com' }, { uri: 'https://other.example.com' }];
  demo.clients.push(
    hybridClient(redirectUri),
    userApp('unsigned-requests', { request_object_signing_alg: 'none' }),
    userApp('pairwise-app', { subject_type: 'pairwise' }),
    ...['RS256', 'ES256', 'EdDSA'].map((alg) => userApp(`signs-${alg}`, { id_token_signed_response_alg: alg, userinfo_signed_response_alg: alg })),
    { client_id: 'jwt-secret', client_secret: sharedSecret, token_endpoint_auth_method: 'client_secret_jwt', grant_types: ['client_credentials'], scope: 'api:read' },
    { client_id: 'jwt-key', token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: publicKeys }, grant_types: ['client_credentials'], scope: 'api:read' },
    userApp('signed-requests', { client_secret: sharedSecret, token_endpoint_auth_method: 'client_secret_jwt', jwks: { keys: publicKeys } }),
  );
  return file;
}

for (const database of databases) {
  describe(`conformance: the remaining checklist lines (${database})`, () => {
    let server: TestServer;
    let browser: UserAgent;
    let signers: Record<string, Signer>;
    let publicKeys: Record<string, JWK>;
    let requestObjects: Awaited<ReturnType<typeof requestObjectServer>>;
    let discovery: Record<string, any>;
    before(async () => {
      const pairs = await Promise.all(keyAlgs.map((alg) => keyPair(alg, alg)));
      signers = Object.fromEntries(pairs.map((p) => [p.signer.alg, p.signer]));
      requestObjects = await requestObjectServer();
      publicKeys = Object.fromEntries(pairs.map((p) => [p.signer.alg, p.jwk]));
      server = await startServer(database, realm(pairs.map((p) => p.jwk)));
      discovery = await (await fetch(`${server.issuer()}/.well-known/openid-configuration`)).json() as Record<string, any>;
      browser = new UserAgent(server.url);
      await browser.signIn(await browser.open(authorizeUrl(server.issuer(), { client_id: 'trusted', redirect_uri: redirectUri, response_type: 'code', scope: 'openid' })), 'alice', password);
    });
    after(async () => {
      await server?.close();
      await requestObjects?.close();
    });

    const authorize = (params: Record<string, string>, agent = browser) => agent.open(authorizeUrl(server.issuer(), {
      client_id: 'hybrid', redirect_uri: redirectUri, response_type: 'code', scope: 'openid', state: 'st', nonce: 'nn', ...params,
    }));
    /** The authorization response: in the query for response_type=code, else in the fragment. */
    const responseOf = (page: Page, responseType = 'code') => {
      assert.ok(page.location?.startsWith(redirectUri), `expected a redirect to the client, got ${page.status} ${page.location ?? page.html.slice(0, 300)}`);
      const url = new URL(page.location!);
      assert.equal(responseType === 'code' ? url.hash : url.search, '', `${responseType}: the other part of the URL stays empty`);
      return responseType === 'code' ? url.searchParams : new URLSearchParams(url.hash.slice(1));
    };
    const assertError = (page: Page, error: string, responseType = 'code') => {
      const response = responseOf(page, responseType);
      assert.equal(response.get('error'), error, `${responseType}: ${response.get('error_description')}`);
      assert.equal(response.get('state'), 'st');
      assert.equal(response.get('code'), null);
    };
    /** Signs in and consents as asked, up to the redirect to the client. */
    async function through(page: Page, agent = browser, user = 'alice'): Promise<Page> {
      if (isLoginPage(page)) page = await agent.signIn(page, user, password);
      if (isConsentPage(page)) page = await agent.submit(page, {}, { name: 'decision', value: 'allow' });
      return page;
    }
    /** A code flow with a client of this realm (secrets are `<id>-secret`, Basic for hybrid and web): its token response. */
    async function codeTokens(clientId: string, params: Record<string, string> = {}, agent = browser, user = 'alice') {
      // A request object carries the whole request, so PKCE only goes with a plain one.
      const pair = params.request || params.request_uri ? undefined : pkcePair();
      const pkce: Record<string, string> = pair ? { code_challenge: pair.challenge, code_challenge_method: 'S256' } : {};
      const page = await through(await authorize({ client_id: clientId, ...pkce, ...params }, agent), agent, user);
      const code = responseOf(page).get('code');
      assert.ok(code, `no code: ${page.location}`);
      const form = { grant_type: 'authorization_code', code, redirect_uri: redirectUri, ...(pair ? { code_verifier: pair.verifier } : {}) };
      const tokens = clientId === 'hybrid' || clientId === 'web'
        ? await tokenRequest(server.issuer(), form, { id: clientId, secret: `${clientId}-secret` })
        : await tokenRequest(server.issuer(), { ...form, client_id: clientId, client_secret: `${clientId}-secret` });
      assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
      return tokens;
    }
    const jwks = async () => createLocalJWKSet(await (await fetch(discovery.jwks_uri)).json() as never);
    const assertion = (clientId: string, signer: Signer) => new SignJWT({ jti: randomUUID() })
      .setProtectedHeader({ alg: signer.alg, ...(signer.kid ? { kid: signer.kid } : {}) })
      .setIssuer(clientId).setSubject(clientId).setAudience(discovery.token_endpoint)
      .setIssuedAt(Math.floor(server.clock.now() / 1000)).setExpirationTime(Math.floor(server.clock.now() / 1000) + 60).sign(signer.key);
    /** A client_credentials request authenticated with a JWT assertion. */
    const withAssertion = async (clientId: string, signer: Signer) =>
      tokenRequest(server.issuer(), { grant_type: 'client_credentials', client_assertion_type: assertionType, client_assertion: await assertion(clientId, signer) });

    test('CORE-04: invalid parameters of every kind get an error response at the redirect URI with state, and the OP never answers for another user', async () => {
      const invalid: [Record<string, string>, string][] = [
        [{ response_type: 'code unknown' }, 'unsupported_response_type'],
        [{ response_mode: 'unknown' }, 'invalid_request'],
        [{ scope: 'openid no-such-scope' }, 'invalid_scope'],
        [{ prompt: 'none login' }, 'invalid_request'],
        [{ prompt: 'sometimes' }, 'invalid_request'],
        [{ max_age: 'soon' }, 'invalid_request'],
        [{ code_challenge: pkcePair().challenge, code_challenge_method: 'S512' }, 'invalid_request'],
        [{ claims: '{not json' }, 'invalid_request'],
        [{ id_token_hint: 'not-a-token' }, 'invalid_request'],
        [{ request: 'not-a-jwt' }, 'invalid_request_object'],
        [{ registration: '{}' }, 'registration_not_supported'],
      ];
      for (const [params, error] of invalid) assertError(await authorize(params), error);
      // alice is signed in; a request naming bob (by an ID token of his, or an essential sub) must not be answered with alice.
      const bob = new UserAgent(server.url);
      const bobsToken = (await codeTokens('hybrid', {}, bob, 'bob')).body.id_token as string;
      assertError(await authorize({ prompt: 'none', id_token_hint: bobsToken }), 'login_required');
      const bobSub = decodeJwt(bobsToken).sub!;
      assertError(await authorize({ prompt: 'none', claims: JSON.stringify({ id_token: { sub: { value: bobSub } } }) }), 'login_required');
    });

    test('CORE-05: each OIDC error code Strix uses reaches the redirect URI with the state, in the query for code and in the fragment for hybrid', async () => {
      const stranger = new UserAgent(server.url);
      const cases: [string, Record<string, string>, UserAgent][] = [
        ['login_required', { prompt: 'none' }, stranger],
        ['interaction_required', { prompt: 'none', acr_values: '2' }, browser],
        ['invalid_request_uri', { request_uri: `${requestObjects.base}/missing` }, browser],
        ['invalid_request_object', { request: 'not-a-jwt' }, browser],
        ['registration_not_supported', { registration: '{"client_name":"x"}' }, browser],
      ];
      for (const responseType of ['code', 'code id_token']) {
        for (const [error, params, agent] of cases) assertError(await authorize({ response_type: responseType, ...params }, agent), error, responseType);
      }
      // web asks for consent, which alice has not given it; it may use only the code flow.
      assertError(await authorize({ client_id: 'web', prompt: 'none' }), 'consent_required');
      // account_selection_required has no use: there is no account chooser, and prompt=none with select_account is invalid_request.
      assertError(await authorize({ prompt: 'none select_account' }), 'invalid_request');
    });

    test('CORE-21: ID tokens from both endpoints are JWS-signed with an advertised alg (never none), and a client cannot register none', async () => {
      const keys = await jwks();
      const front = callbackParams(await authorize({ response_type: 'code id_token' }));
      const back = await tokenRequest(server.issuer(), { grant_type: 'authorization_code', code: front.get('code')!, redirect_uri: redirectUri }, { id: 'hybrid', secret: 'hybrid-secret' });
      for (const idToken of [front.get('id_token')!, back.body.id_token as string]) {
        const { alg } = decodeProtectedHeader(idToken);
        assert.ok(alg !== 'none' && discovery.id_token_signing_alg_values_supported.includes(alg), `alg ${alg}`);
        await jwtVerify(idToken, keys, { issuer: server.issuer(), audience: 'hybrid' });
      }
      const registered = await fetch(discovery.registration_endpoint, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ redirect_uris: [redirectUri], id_token_signed_response_alg: 'none' }),
      });
      assert.equal(registered.status, 400);
      assert.equal((await registered.json() as { error: string }).error, 'invalid_client_metadata');
    });

    test('PKCE-09: the code_challenge appears in no response, code or token: not the redirect, the token response, the tokens, introspection or userinfo', async () => {
      const pair = pkcePair();
      const page = await authorize({ client_id: 'web', scope: 'openid profile', code_challenge: pair.challenge, code_challenge_method: 'S256' });
      const consented = isConsentPage(page) ? await browser.submit(page, {}, { name: 'decision', value: 'allow' }) : page;
      const code = responseOf(consented).get('code')!;
      const tokens = await tokenRequest(server.issuer(), { grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: pair.verifier }, { id: 'web', secret: 'web-secret' });
      assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
      const introspection = await (await fetch(discovery.introspection_endpoint, {
        method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from('web:web-secret').toString('base64')}` },
        body: new URLSearchParams({ token: tokens.body.access_token }).toString(),
      })).text();
      const info = JSON.stringify((await userinfo(server, tokens.body.access_token)).body);
      const decoded = [tokens.body.access_token, tokens.body.id_token].map((jwt: string) => JSON.stringify(decodeJwt(jwt)));
      for (const [where, text] of Object.entries({ redirect: consented.location!, code, tokenResponse: JSON.stringify(tokens.body), introspection, info, accessToken: decoded[0]!, idToken: decoded[1]! })) {
        assert.ok(!text.includes(pair.challenge), `the challenge is in the ${where}`);
        assert.ok(!text.includes('code_challenge'), `code_challenge is named in the ${where}`);
      }
    });

    test('OAUTH-15: when the issued scope differs from the requested one, the response names the issued scope', async () => {
      const service = await tokenRequest(server.issuer(), { grant_type: 'client_credentials' }, { id: 'service', secret: 'service-secret' });
      assert.equal(service.status, 200, JSON.stringify(service.body));
      assert.equal(service.body.scope, 'api:read api:write', 'no scope requested: the client\'s scopes are issued and named');
      // offline_access is dropped when no code is issued (OIDC Core §11).
      const implicit = new URLSearchParams(new URL((await authorize({ response_type: 'id_token token', scope: 'openid offline_access' })).location!).hash.slice(1));
      assert.ok(implicit.get('access_token'));
      assert.equal(implicit.get('scope'), 'openid');
    });

    test('REV-01: the advertised revocation endpoint takes a form POST with token and token_type_hint, and the token is then revoked', async () => {
      assert.equal(discovery.revocation_endpoint, `${server.issuer()}/protocol/openid-connect/revoke`);
      const revoke = (form: Record<string, string>) => fetch(discovery.revocation_endpoint, {
        method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from('hybrid:hybrid-secret').toString('base64')}` },
        body: new URLSearchParams(form).toString(),
      });
      const withHint = await codeTokens('hybrid');
      assert.equal((await userinfo(server, withHint.body.access_token)).status, 200);
      assert.equal((await revoke({ token: withHint.body.access_token, token_type_hint: 'access_token' })).status, 200);
      assert.equal((await userinfo(server, withHint.body.access_token)).status, 401);
      const withoutHint = await codeTokens('hybrid');
      assert.equal((await revoke({ token: withoutHint.body.access_token })).status, 200);
      assert.equal((await userinfo(server, withoutHint.body.access_token)).status, 401);
    });

    test('JWTAT-07: scopes never map to different default resources: without resource, any mix of scopes gets the one default audience', async () => {
      for (const scope of ['api:read', 'api:read api:write', '']) {
        const response = await tokenRequest(server.issuer(), { grant_type: 'client_credentials', ...(scope ? { scope } : {}) }, { id: 'service', secret: 'service-secret' });
        assert.equal(response.status, 200, JSON.stringify(response.body));
        assert.equal(decodeJwt(response.body.access_token).aud, 'service', `scope "${scope}"`);
      }
      const user = decodeJwt((await codeTokens('hybrid', { scope: 'openid profile email offline_access' })).body.access_token);
      assert.equal(user.aud, 'hybrid');
    });

    test('CORE-37: the dynamic OP features are there: discovery, registration, the id_token response type, userinfo, bare JWKs and request_uri', async () => {
      assert.equal(discovery.request_uri_parameter_supported, true);
      assert.ok(discovery.response_types_supported.includes('id_token'));
      const registration = await fetch(discovery.registration_endpoint, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ redirect_uris: ['https://rp.example.com/cb'], grant_types: ['implicit'], response_types: ['id_token'] }),
      });
      assert.equal(registration.status, 201);
      const registered = await registration.json() as { client_id: string };
      const page = await through(await authorize({ client_id: registered.client_id, redirect_uri: 'https://rp.example.com/cb', response_type: 'id_token' }));
      const implicit = new URLSearchParams(new URL(page.location!).hash.slice(1));
      assert.equal(decodeJwt(implicit.get('id_token')!).aud, registered.client_id);
      requestObjects.objects.set('/core-37', new UnsecuredJWT({ client_id: 'unsigned-requests', response_type: 'code', redirect_uri: redirectUri, scope: 'openid', state: 'st' }).encode());
      const byReference = await codeTokens('unsigned-requests', { request_uri: `${requestObjects.base}/core-37` });
      assert.equal((await userinfo(server, byReference.body.access_token)).status, 200);
      const { keys } = await (await fetch(discovery.jwks_uri)).json() as { keys: Record<string, unknown>[] };
      for (const key of keys) {
        assert.ok(key.kty === 'RSA' ? key.n && key.e : key.x, `key ${key.kid} is a bare JWK with its public key parameters`);
        assert.equal(key.x5u, undefined);
      }
    });

    test('DISC-11: every member that has a default when absent is advertised, so no default applies; request_uri registration and PAR are not required', () => {
      for (const member of ['response_modes_supported', 'grant_types_supported', 'token_endpoint_auth_methods_supported', 'claims_parameter_supported',
        'request_parameter_supported', 'request_uri_parameter_supported', 'require_request_uri_registration']) {
        assert.ok(member in discovery, member);
      }
      assert.equal(discovery.require_request_uri_registration, false);
      assert.equal(discovery.require_pushed_authorization_requests, false);
    });

    test('DISC-11: every advertised response type, in every advertised response mode, answers as that mode says', async () => {
      for (const responseType of discovery.response_types_supported as string[]) {
        for (const mode of discovery.response_modes_supported as string[]) {
          const page = await authorize({ response_type: responseType, response_mode: mode });
          const returnsTokens = responseType !== 'code';
          const inFragment = mode === 'fragment' || (mode === 'query' && returnsTokens);
          const response = mode === 'form_post' ? new URLSearchParams(parseForm(page.html).fields)
            : inFragment ? new URLSearchParams(new URL(page.location!).hash.slice(1)) : new URL(page.location!).searchParams;
          // Tokens never travel in a query string: that request is refused, in the fragment.
          if (mode === 'query' && returnsTokens) assert.equal(response.get('error'), 'invalid_request', `${responseType} / ${mode}`);
          else assert.ok(response.get(responseType.startsWith('code') ? 'code' : 'id_token'), `${responseType} / ${mode}: ${response}`);
          assert.equal(response.get('state'), 'st');
        }
      }
    });

    test('DISC-11: every advertised grant type is recognised at the token endpoint, and one not advertised is unsupported_grant_type', async () => {
      for (const grantType of (discovery.grant_types_supported as string[]).filter((g) => g !== 'implicit')) {
        const response = await tokenRequest(server.issuer(), { grant_type: grantType }, { id: 'service', secret: 'service-secret' });
        assert.notEqual(response.body.error, 'unsupported_grant_type', grantType);
      }
      const unknown = await tokenRequest(server.issuer(), { grant_type: 'urn:example:not-advertised' }, { id: 'service', secret: 'service-secret' });
      assert.equal(unknown.body.error, 'unsupported_grant_type');
    });

    test('DISC-11: every advertised token endpoint auth method and assertion algorithm authenticates a client', async () => {
      const methods = discovery.token_endpoint_auth_methods_supported as string[];
      const byMethod: Record<string, () => Promise<{ status: number; body: Record<string, any> }>> = {
        client_secret_basic: () => tokenRequest(server.issuer(), { grant_type: 'client_credentials' }, { id: 'service', secret: 'service-secret' }),
        client_secret_post: () => codeTokens('trusted'),
        client_secret_jwt: () => withAssertion('jwt-secret', { key: new TextEncoder().encode(sharedSecret), alg: 'HS256' }),
        private_key_jwt: () => withAssertion('jwt-key', signers.ES256!),
        none: async () => {
          const pair = pkcePair();
          const page = await authorize({ client_id: 'spa', redirect_uri: 'http://127.0.0.1:5173/callback', code_challenge: pair.challenge, code_challenge_method: 'S256' });
          const code = new URL(page.location!).searchParams;
          return tokenRequest(server.issuer(), { grant_type: 'authorization_code', client_id: 'spa', code: code.get('code')!, redirect_uri: 'http://127.0.0.1:5173/callback', code_verifier: pair.verifier });
        },
      };
      for (const method of methods) {
        assert.ok(byMethod[method], `no check for ${method}`);
        const response = await byMethod[method]!();
        assert.equal(response.status, 200, `${method}: ${JSON.stringify(response.body)}`);
      }
      for (const alg of discovery.token_endpoint_auth_signing_alg_values_supported as string[]) {
        const response = alg.startsWith('HS')
          ? await withAssertion('jwt-secret', { key: new TextEncoder().encode(sharedSecret), alg })
          : await withAssertion('jwt-key', signers[alg]!);
        assert.equal(response.status, 200, `${alg}: ${JSON.stringify(response.body)}`);
      }
    });

    test('DISC-11: every advertised ID token and userinfo signing alg is what a client registered for it gets', async () => {
      const keys = await jwks();
      for (const alg of discovery.id_token_signing_alg_values_supported as string[]) {
        const { id_token: idToken } = (await codeTokens(`signs-${alg}`)).body;
        assert.equal(decodeProtectedHeader(idToken).alg, alg);
        await jwtVerify(idToken, keys, { algorithms: [alg] });
      }
      for (const alg of discovery.userinfo_signing_alg_values_supported as string[]) {
        const info = await fetch(discovery.userinfo_endpoint, { headers: { authorization: `Bearer ${(await codeTokens(`signs-${alg}`)).body.access_token}` } });
        assert.match(info.headers.get('content-type') ?? '', /^application\/jwt/);
        const signed = await info.text();
        assert.equal(decodeProtectedHeader(signed).alg, alg);
        await jwtVerify(signed, keys, { algorithms: [alg] });
      }
    });

    test('DISC-11: every advertised request object alg, DPoP proof alg and introspection and revocation auth method is accepted', async () => {
      const hmac = new TextEncoder().encode(sharedSecret);
      for (const alg of discovery.request_object_signing_alg_values_supported as string[]) {
        if (alg === 'none') continue;   // unsigned objects: the request tests of the DISC-11 test below
        const claims = { client_id: 'signed-requests', response_type: 'code', redirect_uri: redirectUri, scope: 'openid', state: 'st', aud: server.issuer(), iss: 'signed-requests' };
        const jwt = await new SignJWT(claims).setProtectedHeader({ alg, kid: alg.startsWith('HS') ? undefined : alg }).sign(alg.startsWith('HS') ? hmac : signers[alg]!.key);
        const response = responseOf(await authorize({ client_id: 'signed-requests', request: jwt }));
        assert.ok(response.get('code'), `request object ${alg}: ${response.get('error_description')}`);
      }
      for (const alg of discovery.dpop_signing_alg_values_supported as string[]) {
        const { kid: _kid, use: _use, ...jwk } = publicKeys[alg]!;
        const proof = await new SignJWT({ htm: 'POST', htu: discovery.token_endpoint, jti: randomUUID(), iat: Math.floor(server.clock.now() / 1000) })
          .setProtectedHeader({ alg, typ: 'dpop+jwt', jwk }).sign(signers[alg]!.key);
        const response = await fetch(discovery.token_endpoint, {
          method: 'POST', body: new URLSearchParams({ grant_type: 'client_credentials' }).toString(),
          headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from('service:service-secret').toString('base64')}`, dpop: proof },
        });
        const body = await response.json() as Record<string, unknown>;
        assert.equal(body.token_type, 'DPoP', `DPoP ${alg}: ${JSON.stringify(body)}`);
      }
      const authenticated: Record<string, () => Promise<Record<string, string>>> = {
        client_secret_basic: async () => ({ authorization: `Basic ${Buffer.from('web:web-secret').toString('base64')}` }),
        client_secret_post: async () => ({ client_id: 'trusted', client_secret: 'trusted-secret' }),
        client_secret_jwt: async () => ({ client_assertion_type: assertionType, client_assertion: await assertion('jwt-secret', { key: new TextEncoder().encode(sharedSecret), alg: 'HS256' }) }),
        private_key_jwt: async () => ({ client_assertion_type: assertionType, client_assertion: await assertion('jwt-key', signers.ES256!) }),
        none: async () => ({ client_id: 'spa' }),
      };
      for (const [endpoint, methods] of [[discovery.introspection_endpoint, discovery.introspection_endpoint_auth_methods_supported], [discovery.revocation_endpoint, discovery.revocation_endpoint_auth_methods_supported]] as [string, string[]][]) {
        for (const method of methods) {
          const { authorization, ...form } = await authenticated[method]!();
          const response = await fetch(endpoint, {
            method: 'POST', body: new URLSearchParams({ token: 'not-a-token', ...form }).toString(),
            headers: { 'content-type': 'application/x-www-form-urlencoded', ...(authorization ? { authorization } : {}) },
          });
          assert.equal(response.status, 200, `${endpoint} with ${method}: ${await response.text()}`);
        }
      }
    });

    test('DISC-11: PKCE, scopes, subject types, claims, prompt values, locales, acr values and the request parameters behave as advertised', async () => {
      assert.deepEqual(discovery.code_challenge_methods_supported, ['S256']);
      assertError(await authorize({ code_challenge: 'a'.repeat(43), code_challenge_method: 'plain' }), 'invalid_request');

      const allScopes = (discovery.scopes_supported as string[]).join(' ');
      const web = await codeTokens('web', { scope: allScopes, prompt: 'consent' });
      assert.deepEqual(web.body.scope.split(' ').sort(), [...discovery.scopes_supported].sort(), 'every advertised scope is granted to a client allowed it');
      const info = (await userinfo(server, web.body.access_token)).body as Record<string, unknown>;
      // at_hash and c_hash bind tokens together; they are not claims a client can ask for.
      const idTokenClaims = Object.keys(decodeJwt(web.body.id_token)).filter((claim) => claim !== 'at_hash' && claim !== 'c_hash');
      for (const claim of [...Object.keys(info), ...idTokenClaims]) {
        assert.ok(discovery.claims_supported.includes(claim), `${claim} is returned but not in claims_supported`);
      }

      assert.deepEqual(discovery.subject_types_supported, ['public', 'pairwise']);
      const publicSub = decodeJwt((await codeTokens('hybrid')).body.id_token).sub;
      const pairwiseSub = decodeJwt((await codeTokens('pairwise-app')).body.id_token).sub;
      assert.notEqual(pairwiseSub, publicSub);

      for (const prompt of discovery.prompt_values_supported as string[]) {
        if (prompt === 'none') {
          assertError(await authorize({ prompt }, new UserAgent(server.url)), 'login_required');
          continue;
        }
        const page = await authorize({ client_id: 'web', prompt });
        assert.ok(prompt === 'consent' ? isConsentPage(page) : isLoginPage(page), `prompt=${prompt}: ${page.status} ${page.location ?? ''}`);
      }

      for (const locale of discovery.ui_locales_supported as string[]) {
        assert.match((await authorize({ ui_locales: locale }, new UserAgent(server.url))).html, new RegExp(`<html lang="${locale}"`));
      }

      const acrs = discovery.acr_values_supported as string[];
      assert.deepEqual(acrs, ['1', '2', '3']);
      assert.equal(decodeJwt((await codeTokens('hybrid', { acr_values: '1' })).body.id_token).acr, '1');
      for (const acr of acrs.slice(1)) assertError(await authorize({ prompt: 'none', acr_values: acr }), 'interaction_required');

      assert.equal(discovery.claims_parameter_supported, true);
      const claimed = await codeTokens('hybrid', { claims: JSON.stringify({ id_token: { email: { essential: true } } }) });
      assert.equal(decodeJwt(claimed.body.id_token).email, 'alice@example.com');
      assert.equal(discovery.request_parameter_supported, true);
      const byValue = new UnsecuredJWT({ client_id: 'unsigned-requests', response_type: 'code', redirect_uri: redirectUri, scope: 'openid', state: 'st' }).encode();
      assert.ok((await codeTokens('unsigned-requests', { request: byValue })).body.id_token);
      assert.equal(discovery.request_uri_parameter_supported, true);
      assert.equal(discovery.require_request_uri_registration, false, 'the client registered no request_uris');
      requestObjects.objects.set('/disc-11', byValue);
      assert.ok((await codeTokens('unsigned-requests', { request_uri: `${requestObjects.base}/disc-11` })).body.id_token);
    });
  });
}
