// Dynamic client registration (RFC 7591), its management protocol (RFC 7592) and the MUSTs of
// OpenID Connect Dynamic Client Registration 1.0: who may register, what a registration answers,
// which metadata is refused and why, and that a registered client really signs users in.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { CryptoKey } from 'jose';
import * as client from 'openid-client';
import { databases } from '../helpers/databases.js';
import { jwksServer, keyPair } from '../helpers/key-server.js';
import { password, testRealm } from '../helpers/realm.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { authorizeUrl, callbackParams, isLoginPage, pkcePair, tokenRequest, UserAgent } from '../helpers/user-agent.js';

const initialAccessToken = 'initial-access-token-for-tests-0123';
const redirectUri = 'http://127.0.0.1:3999/callback';
const ecPublic = { kty: 'EC', kid: 'ec-1', crv: 'P-256', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0' };

/** `demo` is protected by an initial access token; `open` lets anyone register. */
function registrationRealms() {
  const file = testRealm() as { realms: Record<string, unknown>[] };
  const demo = file.realms[0]!;
  demo.initial_access_tokens = [initialAccessToken];
  file.realms.push({ ...demo, name: 'open', display_name: 'Open', registration: 'open', initial_access_tokens: [], clients: [] });
  return file;
}

interface Answer { status: number; body: Record<string, any>; headers: Headers }

/** openid-client's code flow (PKCE, state, nonce checked by the library), with alice signing in and consenting. */
async function openidClientCodeFlow(server: TestServer, config: client.Configuration, scope = 'openid', extra: Record<string, string> = {}) {
  const verifier = client.randomPKCECodeVerifier();
  const nonce = client.randomNonce();
  const browser = new UserAgent(server.url);
  let page = await browser.open(client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri, scope, state: 'st', nonce, code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', ...extra,
  }).href);
  page = await browser.signIn(page, 'alice', password);
  assert.ok(page.location, `expected a redirect, got ${page.status}`);
  return client.authorizationCodeGrant(config, new URL(page.location), { pkceCodeVerifier: verifier, expectedState: 'st', expectedNonce: nonce });
}

/** Registers a private_key_jwt client with openid-client; `keys` is jwks or jwks_uri. */
function registerKeyClient(server: TestServer, key: { key: CryptoKey; kid: string }, metadata: Partial<client.ClientMetadata>) {
  return client.dynamicClientRegistration(new URL(server.issuer()), {
    client_name: 'private_key_jwt app', redirect_uris: [redirectUri], token_endpoint_auth_method: 'private_key_jwt', ...metadata,
  }, client.PrivateKeyJwt(key), { initialAccessToken, execute: [client.allowInsecureRequests] });
}

for (const database of databases) {
  describe(`dynamic client registration (${database})`, () => {
    let server: TestServer;
    before(async () => { server = await startServer(database, registrationRealms()); });
    after(async () => { await server?.close(); });

    const endpoint = (realm = 'demo') => `${server.issuer(realm)}/protocol/openid-connect/registrations`;
    const call = async (method: string, url: string, init: { token?: string; body?: unknown; contentType?: string } = {}): Promise<Answer> => {
      const headers: Record<string, string> = {};
      if (init.token !== undefined) headers.authorization = `Bearer ${init.token}`;
      if (init.body !== undefined) headers['content-type'] = init.contentType ?? 'application/json';
      const response = await fetch(url, { method, headers, body: typeof init.body === 'string' ? init.body : init.body === undefined ? undefined : JSON.stringify(init.body) });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : {}, headers: response.headers };
    };
    const register = (metadata: unknown, token: string | null = initialAccessToken, realm = 'demo') => call('POST', endpoint(realm), { token: token ?? undefined, body: metadata });
    const webApp = (extra: Record<string, unknown> = {}) => ({ client_name: 'Registered app', redirect_uris: [redirectUri], ...extra });
    const assertError = (answer: Answer, status: number, error: string) => {
      assert.equal(answer.status, status, JSON.stringify(answer.body));
      assert.equal(answer.body.error, error, JSON.stringify(answer.body));
    };

    /** Signs alice in with a (registered) client and returns the authorization code. */
    async function codeFor(clientId: string, challenge: string): Promise<string> {
      const browser = new UserAgent(server.url);
      let page = await browser.open(authorizeUrl(server.issuer(), {
        client_id: clientId, redirect_uri: redirectUri, response_type: 'code', scope: 'openid profile', state: 's',
        code_challenge: challenge, code_challenge_method: 'S256',
      }));
      assert.ok(isLoginPage(page), `expected the sign-in page, got ${page.status} ${page.location ?? ''}`);
      page = await browser.signIn(page, 'alice', password);
      const code = callbackParams(page).get('code');
      assert.ok(code, `no code in ${page.location}`);
      return code;
    }

    /** A full code flow (PKCE, client_secret_basic) with a registered client: its token response. */
    async function signInAndRedeem(registered: Record<string, any>) {
      const { verifier, challenge } = pkcePair();
      const code = await codeFor(registered.client_id, challenge);
      const tokens = await tokenRequest(server.issuer(), { grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier },
        { id: registered.client_id, secret: registered.client_secret });
      assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
      return tokens;
    }

    test('discovery advertises the registration endpoint', async () => {
      const metadata = await (await fetch(`${server.issuer()}/.well-known/openid-configuration`)).json() as Record<string, any>;
      assert.equal(metadata.registration_endpoint, endpoint());
    });

    test('registering with an initial access token answers 201 with the metadata, the defaults and every issued value', async () => {
      const answer = await register(webApp());
      assert.equal(answer.status, 201, JSON.stringify(answer.body));
      assert.match(answer.headers.get('content-type') ?? '', /^application\/json/);
      assert.equal(answer.headers.get('cache-control'), 'no-store');
      const { body } = answer;
      assert.match(body.client_id, /^[A-Za-z0-9_-]{16,}$/);
      assert.equal(typeof body.client_secret, 'string');
      assert.ok(body.client_secret.length >= 32);
      assert.equal(body.client_secret_expires_at, 0);
      const now = Math.floor(server.clock.now() / 1000);
      assert.ok(Math.abs(body.client_id_issued_at - now) <= 5, `client_id_issued_at ${body.client_id_issued_at}`);
      assert.equal(typeof body.registration_access_token, 'string');
      assert.equal(body.registration_client_uri, `${endpoint()}/${body.client_id}`);
      assert.equal(body.client_name, 'Registered app');
      assert.deepEqual(body.redirect_uris, [redirectUri]);
      assert.deepEqual(body.grant_types, ['authorization_code']);
      assert.deepEqual(body.response_types, ['code']);
      assert.equal(body.token_endpoint_auth_method, 'client_secret_basic');
      assert.equal(body.scope, 'openid profile email');
      assert.equal(body.require_consent, true);
    });

    test('BCP-20: a client_id in the request is ignored: Strix chooses it', async () => {
      const answer = await register(webApp({ client_id: 'web' }));
      assert.equal(answer.status, 201, JSON.stringify(answer.body));
      assert.notEqual(answer.body.client_id, 'web');
      assert.equal((await server.services.store.clients.get('demo', 'web'))?.metadata.client_name, 'Demo web app');
    });

    test('a registered client signs a user in and redeems the code with its new secret (Basic)', async () => {
      const { body: registered } = await register(webApp());
      const tokens = await signInAndRedeem(registered);
      assert.equal(typeof tokens.body.id_token, 'string');
      assert.equal(typeof tokens.body.access_token, 'string');
    });

    test('openid-client registers dynamically with an initial access token and completes a code flow', async () => {
      const config = await client.dynamicClientRegistration(new URL(server.issuer()), {
        client_name: 'openid-client app', redirect_uris: [redirectUri], token_endpoint_auth_method: 'client_secret_basic',
      }, client.ClientSecretBasic(), { initialAccessToken, execute: [client.allowInsecureRequests] });
      const metadata = config.clientMetadata();
      assert.equal(typeof metadata.client_secret, 'string');
      assert.equal(typeof metadata.registration_access_token, 'string');
      const tokens = await openidClientCodeFlow(server, config);
      assert.equal(tokens.claims()?.aud, metadata.client_id);
    });

    test('a realm with open registration lets anyone register, without a token', async () => {
      const answer = await register(webApp(), null, 'open');
      assert.equal(answer.status, 201, JSON.stringify(answer.body));
      assert.equal(answer.body.registration_client_uri, `${endpoint('open')}/${answer.body.client_id}`);
    });

    test('a protected realm refuses registration without a token: 401 invalid_token with a Bearer challenge', async () => {
      const answer = await register(webApp(), null);
      assertError(answer, 401, 'invalid_token');
      assert.match(answer.headers.get('www-authenticate') ?? '', /^Bearer realm="demo"$/);
    });

    test('a protected realm refuses a wrong initial access token, and one of another realm', async () => {
      const wrong = await register(webApp(), 'not-the-initial-access-token');
      assertError(wrong, 401, 'invalid_token');
      assert.match(wrong.headers.get('www-authenticate') ?? '', /^Bearer realm="demo", error="invalid_token"/);
      const { body: other } = await register(webApp(), null, 'open');
      assertError(await register(webApp(), other.registration_access_token), 401, 'invalid_token');
    });

    test('DYN-08, OAUTH-10: redirect URIs with a fragment, relative ones and none at all are invalid_redirect_uri', async () => {
      assertError(await register(webApp({ redirect_uris: ['https://app.example.com/cb#fragment'] })), 400, 'invalid_redirect_uri');
      assertError(await register(webApp({ redirect_uris: ['/callback'] })), 400, 'invalid_redirect_uri');
      assertError(await register(webApp({ redirect_uris: [] })), 400, 'invalid_redirect_uri');
      assertError(await register({ client_name: 'no redirect', grant_types: ['implicit'], response_types: ['id_token'] }), 400, 'invalid_redirect_uri');
    });

    test('a web client using implicit must register https redirect URIs, not localhost (OIDC Registration §2)', async () => {
      const implicit = { grant_types: ['implicit'], response_types: ['id_token'] };
      assertError(await register(webApp({ ...implicit, redirect_uris: ['http://app.example.com/cb'] })), 400, 'invalid_redirect_uri');
      assertError(await register(webApp({ ...implicit, redirect_uris: ['https://localhost/cb'] })), 400, 'invalid_redirect_uri');
      assert.equal((await register(webApp({ ...implicit, redirect_uris: ['https://app.example.com/cb'] }))).status, 201);
    });

    test('unsupported grant types, response types, auth methods, bad keys and unknown scopes are invalid_client_metadata', async () => {
      assertError(await register(webApp({ grant_types: ['authorization_code', 'urn:example:unknown'] })), 400, 'invalid_client_metadata');
      assertError(await register(webApp({ response_types: ['code token id_token_x'] })), 400, 'invalid_client_metadata');
      assertError(await register(webApp({ token_endpoint_auth_method: 'tls_client_auth' })), 400, 'invalid_client_metadata');
      assertError(await register(webApp({ token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [{ ...ecPublic, d: 'secret' }] } })), 400, 'invalid_client_metadata');
      assertError(await register(webApp({ token_endpoint_auth_method: 'private_key_jwt' })), 400, 'invalid_client_metadata');
      assertError(await register(webApp({ scope: 'openid api:admin' })), 400, 'invalid_client_metadata');
      assertError(await register(webApp({ grant_types: ['client_credentials'], redirect_uris: [] })), 400, 'invalid_client_metadata');
      assertError(await register(webApp({ id_token_encrypted_response_alg: 'RSA-OAEP' })), 400, 'invalid_client_metadata');
      assertError(await register(webApp({ subject_type: 'ephemeral' })), 400, 'invalid_client_metadata');
    });

    test('client_credentials, password and token exchange clients cannot be registered: an administrator creates them', async () => {
      assertError(await register(webApp({ grant_types: ['client_credentials'], redirect_uris: [] })), 400, 'invalid_client_metadata');
      assertError(await register(webApp({ grant_types: ['authorization_code', 'password'] })), 400, 'invalid_client_metadata');
      assertError(await register(webApp({ grant_types: ['authorization_code', 'urn:ietf:params:oauth:grant-type:token-exchange'] })), 400, 'invalid_client_metadata');
    });

    test('a body that is not a JSON object, or not JSON, is refused with 400', async () => {
      assertError(await register(['not', 'an', 'object']), 400, 'invalid_client_metadata');
      assertError(await call('POST', endpoint(), { token: initialAccessToken, body: 'redirect_uris=x', contentType: 'application/x-www-form-urlencoded' }), 400, 'invalid_request');
      assertError(await call('POST', endpoint(), { token: initialAccessToken, body: '{"redirect_uris": [', contentType: 'application/json' }), 400, 'invalid_request');
    });

    test('settings reserved to the realm administrator are not taken from a registration', async () => {
      const answer = await register(webApp({ require_consent: false, access_token_lifetime: 86_400, pkce_plain_allowed: true, email_sign_in: 'code', scope: 'openid api:read' }));
      assert.equal(answer.status, 201, JSON.stringify(answer.body));
      assert.equal(answer.body.require_consent, true);
      assert.equal(answer.body.email_sign_in, undefined, 'sign-in methods are the administrator\'s choice');
      assert.equal(answer.body.access_token_lifetime, undefined);
      assert.equal(answer.body.pkce_plain_allowed, undefined);
      assert.equal(answer.body.scope, 'openid api:read');
    });

    test('a client\'s roles are the administrator\'s: a registration cannot declare them, and its update keeps them and their holders', async () => {
      const answer = await register(webApp({ roles: [{ name: 'superuser' }] }));
      assert.equal(answer.status, 201, JSON.stringify(answer.body));
      assert.equal(answer.body.roles, undefined);
      const { client_id: clientId, registration_client_uri: uri, registration_access_token: token } = answer.body;
      const stored = (await server.services.store.clients.get('demo', clientId))!;
      assert.equal(stored.metadata.roles, undefined);
      await server.services.store.clients.upsert('demo', { ...stored.metadata, roles: [{ name: 'editor' }] }, null, server.clock.now());
      const alice = (await server.services.store.users.findByUsername('demo', 'alice'))!;
      await server.services.store.users.setClientRoles(alice.id, 'demo', { [clientId]: ['editor'] });
      const updated = await call('PUT', uri, { token, body: { client_id: clientId, client_secret: answer.body.client_secret, redirect_uris: ['https://app.example.com/cb'], roles: [] } });
      assert.equal(updated.status, 200, JSON.stringify(updated.body));
      assert.deepEqual((await server.services.store.clients.get('demo', clientId))!.metadata.roles, [{ name: 'editor' }]);
      assert.deepEqual((await server.services.store.users.findById(alice.id))!.assignedClientRoles, { [clientId]: ['editor'] });
      await server.services.store.users.setClientRoles(alice.id, 'demo', {});
    });

    test('a public client (token_endpoint_auth_method none) gets no secret', async () => {
      const answer = await register(webApp({ token_endpoint_auth_method: 'none' }));
      assert.equal(answer.status, 201, JSON.stringify(answer.body));
      assert.equal(answer.body.client_secret, undefined);
      assert.equal(answer.body.client_secret_expires_at, undefined);
      assert.equal(typeof answer.body.registration_access_token, 'string');
      const stored = await server.services.store.clients.get('demo', answer.body.client_id);
      assert.equal(stored?.secretHash, null);
    });

    test('a private_key_jwt client registered with jwks gets no secret', async () => {
      const answer = await register(webApp({ token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [ecPublic] } }));
      assert.equal(answer.status, 201, JSON.stringify(answer.body));
      assert.equal(answer.body.client_secret, undefined);
      assert.deepEqual(answer.body.jwks, { keys: [ecPublic] });
    });

    test('the registration access token reads the registration (RFC 7592 §2.1), without the secret', async () => {
      const { body: registered } = await register(webApp({ contacts: ['ops@example.com'] }));
      const read = await call('GET', registered.registration_client_uri, { token: registered.registration_access_token });
      assert.equal(read.status, 200, JSON.stringify(read.body));
      assert.equal(read.headers.get('cache-control'), 'no-store');
      const { client_secret: _secret, ...expected } = registered;
      assert.deepEqual(read.body, expected);
    });

    test('the registration access token replaces the metadata (RFC 7592 §2.2)', async () => {
      const { body: registered } = await register(webApp());
      const uri = registered.registration_client_uri;
      const token = registered.registration_access_token;
      const update = { client_id: registered.client_id, client_secret: registered.client_secret, client_name: 'Renamed', redirect_uris: ['https://app.example.com/cb'], grant_types: ['authorization_code', 'refresh_token'], scope: 'openid offline_access' };
      const updated = await call('PUT', uri, { token, body: update });
      assert.equal(updated.status, 200, JSON.stringify(updated.body));
      assert.equal(updated.body.client_name, 'Renamed');
      assert.deepEqual(updated.body.redirect_uris, ['https://app.example.com/cb']);
      assert.deepEqual(updated.body.grant_types, ['authorization_code', 'refresh_token']);
      assert.equal(updated.body.client_secret, undefined, 'the secret is kept, so it is not shown again');
      assert.equal(updated.body.client_id_issued_at, registered.client_id_issued_at);
      assert.equal((await call('GET', uri, { token })).body.client_name, 'Renamed');
      const stored = await server.services.store.clients.get('demo', registered.client_id);
      assert.equal(stored?.secretHash, server.services.sealer.digest(registered.client_secret), 'the secret still works');
    });

    test('an update that names another client, changes the secret or sends issued values is invalid_request', async () => {
      const { body: registered } = await register(webApp());
      const put = (body: unknown) => call('PUT', registered.registration_client_uri, { token: registered.registration_access_token, body });
      assertError(await put(webApp()), 400, 'invalid_request');
      assertError(await put(webApp({ client_id: 'web' })), 400, 'invalid_request');
      assertError(await put(webApp({ client_id: registered.client_id, client_secret: 'my-own-secret' })), 400, 'invalid_request');
      assertError(await put(webApp({ client_id: registered.client_id, registration_access_token: registered.registration_access_token })), 400, 'invalid_request');
      assertError(await put(webApp({ client_id: registered.client_id, redirect_uris: ['https://x.example.com/cb#f'] })), 400, 'invalid_redirect_uri');
    });

    test('switching a public client to client_secret_basic issues its first secret, shown once', async () => {
      const { body: registered } = await register(webApp({ token_endpoint_auth_method: 'none' }));
      const updated = await call('PUT', registered.registration_client_uri, {
        token: registered.registration_access_token, body: webApp({ client_id: registered.client_id, token_endpoint_auth_method: 'client_secret_basic' }),
      });
      assert.equal(updated.status, 200, JSON.stringify(updated.body));
      assert.equal(typeof updated.body.client_secret, 'string');
      assert.equal(updated.body.client_secret_expires_at, 0);
    });

    test('a wrong, missing or other client\'s registration access token gets 401 invalid_token', async () => {
      const { body: one } = await register(webApp());
      const { body: two } = await register(webApp());
      const missing = await call('GET', one.registration_client_uri);
      assertError(missing, 401, 'invalid_token');
      assert.match(missing.headers.get('www-authenticate') ?? '', /^Bearer realm="demo"$/);
      const wrong = await call('GET', one.registration_client_uri, { token: 'wrong-token' });
      assertError(wrong, 401, 'invalid_token');
      assert.match(wrong.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
      assertError(await call('GET', one.registration_client_uri, { token: two.registration_access_token }), 401, 'invalid_token');
      assertError(await call('DELETE', one.registration_client_uri, { token: two.registration_access_token }), 401, 'invalid_token');
      assertError(await call('GET', `${endpoint()}/does-not-exist`, { token: two.registration_access_token }), 401, 'invalid_token');
      assertError(await call('GET', one.registration_client_uri.replace('/demo/', '/open/'), { token: one.registration_access_token }), 401, 'invalid_token');
      assertError(await call('GET', one.registration_client_uri, { token: initialAccessToken }), 401, 'invalid_token');
    });

    test('clients created by import cannot be managed with any token', async () => {
      assertError(await call('GET', `${endpoint()}/web`, { token: initialAccessToken }), 401, 'invalid_token');
      assertError(await call('DELETE', `${endpoint()}/web`, { token: 'anything-at-all' }), 401, 'invalid_token');
      assert.ok(await server.services.store.clients.get('demo', 'web'));
    });

    test('deleting a registration (RFC 7592 §2.3) answers 204; the token endpoint then says invalid_client and the token stops working', async () => {
      const { body: registered } = await register(webApp());
      const { verifier, challenge } = pkcePair();
      const code = await codeFor(registered.client_id, challenge);
      const deleted = await call('DELETE', registered.registration_client_uri, { token: registered.registration_access_token });
      assert.equal(deleted.status, 204);
      const tokens = await tokenRequest(server.issuer(), { grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier },
        { id: registered.client_id, secret: registered.client_secret });
      assertError(tokens, 401, 'invalid_client');
      assertError(await call('GET', registered.registration_client_uri, { token: registered.registration_access_token }), 401, 'invalid_token');
      assertError(await call('DELETE', registered.registration_client_uri, { token: registered.registration_access_token }), 401, 'invalid_token');
      assert.equal(await server.services.store.clients.get('demo', registered.client_id), undefined);
    });

    test('deleting a registration revokes the grants of that client, so its access tokens stop working at userinfo', async () => {
      const { body: registered } = await register(webApp());
      const tokens = await signInAndRedeem(registered);
      const userinfo = () => fetch(`${server.issuer()}/protocol/openid-connect/userinfo`, { headers: { authorization: `Bearer ${tokens.body.access_token}` } });
      assert.equal((await userinfo()).status, 200);
      assert.equal((await call('DELETE', registered.registration_client_uri, { token: registered.registration_access_token })).status, 204);
      assert.equal((await userinfo()).status, 401);
    });

    test('COMMON-16: a client registers with name, grant and response types, jwks, auth method, redirect URIs and contacts, and is deleted at cleanup', async () => {
      const metadata = {
        client_name: 'conformance COMMON-16',
        grant_types: ['authorization_code', 'implicit'],
        jwks: { keys: [ecPublic] },
        token_endpoint_auth_method: 'client_secret_basic',
        response_types: ['code', 'id_token', 'code id_token'],
        redirect_uris: ['https://rp.example.com/callback', 'https://rp.example.com/callback2'],
        contacts: ['certification@example.com'],
      };
      const answer = await register(metadata);
      assert.equal(answer.status, 201, JSON.stringify(answer.body));
      assert.match(answer.headers.get('content-type') ?? '', /^application\/json/);
      const { body } = answer;
      assert.equal(typeof body.client_id, 'string');
      assert.equal(typeof body.client_secret, 'string', 'client_secret_basic needs a secret');
      assert.equal(body.client_secret_expires_at, 0);
      assert.equal(typeof body.registration_access_token, 'string');
      assert.equal(body.registration_client_uri, `${endpoint()}/${body.client_id}`);
      for (const [name, value] of Object.entries(metadata)) assert.deepEqual(body[name], value, name);
      const read = await call('GET', body.registration_client_uri, { token: body.registration_access_token });
      assert.equal(read.status, 200);
      assert.equal(read.body.client_id, body.client_id);
      assert.equal(read.body.registration_client_uri, body.registration_client_uri);
      assert.equal((await call('DELETE', body.registration_client_uri, { token: body.registration_access_token })).status, 204);
    });

    test('RPIL-11: registration stores post_logout_redirect_uris and logout redirects to one; an invalid one fails the registration and nothing is stored', async () => {
      const postLogout = 'http://127.0.0.1:3999/signed-out';
      const answer = await register(webApp({ post_logout_redirect_uris: [postLogout] }));
      assert.equal(answer.status, 201, JSON.stringify(answer.body));
      assert.deepEqual(answer.body.post_logout_redirect_uris, [postLogout]);
      const read = await call('GET', answer.body.registration_client_uri, { token: answer.body.registration_access_token });
      assert.deepEqual(read.body.post_logout_redirect_uris, [postLogout]);
      const tokens = await signInAndRedeem(answer.body);
      const logout = await fetch(`${server.issuer()}/protocol/openid-connect/logout?${new URLSearchParams({ id_token_hint: tokens.body.id_token, post_logout_redirect_uri: postLogout, state: 'bye' })}`, { redirect: 'manual' });
      assert.equal(logout.headers.get('location'), `${postLogout}?state=bye`);

      const before = (await server.services.store.clients.list('demo')).length;
      assertError(await register(webApp({ client_name: 'bad logout URI', post_logout_redirect_uris: ['https://app.example.com/bye#fragment'] })), 400, 'invalid_client_metadata');
      assertError(await register(webApp({ client_name: 'bad logout URI', post_logout_redirect_uris: ['not a uri'] })), 400, 'invalid_client_metadata');
      const clients = await server.services.store.clients.list('demo');
      assert.equal(clients.length, before, 'a failed registration stores nothing');
      assert.ok(!clients.some((c) => c.metadata.client_name === 'bad logout URI'));
    });

    test('BCLO-03: registration accepts a back-channel logout URI and backchannel_logout_session_required; a fragment, or http for a public client, is invalid_client_metadata', async () => {
      const https = await register(webApp({ backchannel_logout_uri: 'https://app.example.com/backchannel?x=1', backchannel_logout_session_required: true }));
      assert.equal(https.status, 201, JSON.stringify(https.body));
      assert.equal(https.body.backchannel_logout_uri, 'https://app.example.com/backchannel?x=1');
      assert.equal(https.body.backchannel_logout_session_required, true);
      const confidentialHttp = await register(webApp({ backchannel_logout_uri: 'http://127.0.0.1:3999/backchannel' }));
      assert.equal(confidentialHttp.status, 201, JSON.stringify(confidentialHttp.body));
      const publicHttps = await register(webApp({ token_endpoint_auth_method: 'none', backchannel_logout_uri: 'https://app.example.com/backchannel' }));
      assert.equal(publicHttps.status, 201, JSON.stringify(publicHttps.body));
      assertError(await register(webApp({ token_endpoint_auth_method: 'none', backchannel_logout_uri: 'http://127.0.0.1:3999/backchannel' })), 400, 'invalid_client_metadata');
      assertError(await register(webApp({ backchannel_logout_uri: 'https://app.example.com/backchannel#f' })), 400, 'invalid_client_metadata');
      assertError(await register(webApp({ backchannel_logout_uri: 'https://app.example.com/backchannel', backchannel_logout_session_required: 'yes' })), 400, 'invalid_client_metadata');
    });

    test('DYN-10: openid-client registers a private_key_jwt client with jwks, then completes the code flow authenticating with a signed assertion', async () => {
      const { privateKey, jwk } = await keyPair('ES256', 'dyn-10');
      const config = await registerKeyClient(server, { key: privateKey, kid: 'dyn-10' }, { jwks: { keys: [jwk] } });
      const metadata = config.clientMetadata();
      assert.equal(metadata.client_secret, undefined);
      const tokens = await openidClientCodeFlow(server, config, 'openid profile');
      assert.equal(tokens.claims()?.aud, metadata.client_id);
      assert.equal(typeof tokens.access_token, 'string');
      const info = await client.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub);
      assert.equal(info.name, 'Alice Liddell');
    });

    test('DYN-14: a client registered with jwks_uri instead of jwks is authenticated with the keys Strix fetches from it', async () => {
      const { privateKey, jwk } = await keyPair('ES256', 'dyn-14');
      const keys = await jwksServer({ keys: [jwk] });
      try {
        const config = await registerKeyClient(server, { key: privateKey, kid: 'dyn-14' }, { jwks_uri: keys.url });
        assert.equal(config.clientMetadata().jwks_uri, keys.url);
        const tokens = await openidClientCodeFlow(server, config);
        assert.equal(tokens.claims()?.aud, config.clientMetadata().client_id);
        assert.ok(keys.hits() >= 1, 'the key set was fetched');
      } finally {
        await keys.close();
      }
    });

    test('DYN-21: with private_key_jwt, a signed request object\'s redirect_uri wins over an unregistered one in the query, and the refresh grant (with scope) works; another client\'s refresh token is invalid_grant', async () => {
      const { privateKey, jwk } = await keyPair('ES256', 'dyn-21');
      const key = { key: privateKey, kid: 'dyn-21' };
      const metadata = { jwks: { keys: [jwk] }, grant_types: ['authorization_code', 'refresh_token'], scope: 'openid profile offline_access' };
      const config = await registerKeyClient(server, key, metadata);
      const other = await registerKeyClient(server, key, metadata);

      const verifier = client.randomPKCECodeVerifier();
      const url = await client.buildAuthorizationUrlWithJAR(config, {
        redirect_uri: redirectUri, scope: 'openid offline_access', state: 'st', prompt: 'consent',
        code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
      }, key);
      url.searchParams.set('redirect_uri', 'https://attacker.example.com/cb');
      const browser = new UserAgent(server.url);
      const page = await browser.signIn(await browser.open(url.href), 'alice', password);
      assert.ok(page.location?.startsWith(`${redirectUri}?`), `redirected to ${page.location}`);
      const tokens = await client.authorizationCodeGrant(config, new URL(page.location!), { pkceCodeVerifier: verifier, expectedState: 'st' });
      assert.ok(tokens.refresh_token, 'offline_access gives a refresh token');

      const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token, { scope: 'openid' });
      assert.equal(refreshed.token_type, 'bearer');
      assert.notEqual(refreshed.refresh_token, tokens.refresh_token);
      assert.equal(refreshed.claims()?.sub, tokens.claims()?.sub);
      await assert.rejects(client.refreshTokenGrant(other, refreshed.refresh_token!), (error: any) => error.error === 'invalid_grant');
    });
  });
}

for (const database of databases) {
  describe(`a registered client rotating its keys (${database})`, () => {
    let server: TestServer;
    before(async () => { server = await startServer(database, registrationRealms()); });
    after(async () => { await server?.close(); });

    test('DYN-18: after the RP publishes a new key at its jwks_uri, a refresh authenticated with the new kid gets 200 once the refetch cooldown has passed', async () => {
      const first = await keyPair('ES256', 'rp-key-1');
      const second = await keyPair('ES256', 'rp-key-2');
      const published = { keys: [first.jwk] };
      const keys = await jwksServer(published);
      try {
        const config = await registerKeyClient(server, { key: first.privateKey, kid: 'rp-key-1' }, {
          jwks_uri: keys.url, grant_types: ['authorization_code', 'refresh_token'], scope: 'openid offline_access',
        });
        const tokens = await openidClientCodeFlow(server, config, 'openid offline_access', { prompt: 'consent' });
        assert.ok(tokens.refresh_token, 'offline_access gives a refresh token');

        published.keys = [second.jwk];
        const rotated = (skewSeconds: number) => {
          const next = new client.Configuration(config.serverMetadata(), config.clientMetadata().client_id,
            { ...config.clientMetadata(), [client.clockSkew]: skewSeconds }, client.PrivateKeyJwt({ key: second.privateKey, kid: 'rp-key-2' }));
          client.allowInsecureRequests(next);
          return next;
        };
        // Within the cooldown a made-up kid cannot make Strix fetch the client's keys again.
        await assert.rejects(client.refreshTokenGrant(rotated(0), tokens.refresh_token), (error: any) => error.error === 'invalid_client');
        // The conformance module waits 60 s; Strix's clock stands in for the wait.
        server.clock.advance(31);
        const refreshed = await client.refreshTokenGrant(rotated(31), tokens.refresh_token);
        assert.equal(typeof refreshed.access_token, 'string');
        assert.equal(refreshed.claims()?.sub, tokens.claims()?.sub);
      } finally {
        await keys.close();
      }
    });
  });
}
