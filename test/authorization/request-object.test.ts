// Request objects (OIDC Core §6, RFC 9101): the authorization request as a JWT, by value
// (`request`) or by reference (`request_uri`), verified with the client's keys or secret.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt, SignJWT, UnsecuredJWT, type JWTPayload } from 'jose';
import { parseClient, RealmFileError } from '../../src/admin/realm-file.js';
import { databases } from '../helpers/databases.js';
import { keyPair, type Signer } from '../helpers/key-server.js';
import { userinfo } from '../helpers/flows.js';
import { password, testRealm } from '../helpers/realm.js';
import { requestObjectServer } from '../helpers/relying-party.js';
import { freePort, startServer, type TestServer } from '../helpers/server.js';
import { authorizeUrl, callbackParams, isLoginPage, tokenRequest, UserAgent, type Page } from '../helpers/user-agent.js';

const redirectUri = 'http://127.0.0.1:3999/callback';
const sharedSecret = 'a-client-secret-long-enough-for-hs256-request-objects-0123';

const userClient = (clientId: string, extra: Record<string, unknown>) => ({
  client_id: clientId, redirect_uris: [redirectUri], grant_types: ['authorization_code'], scope: 'openid profile email', require_consent: false, ...extra,
});

/** A redirect to the registered URI with this OAuth error and state. */
function assertErrorRedirect(server: TestServer, page: Page, error: string, state: string | null): void {
  assert.ok(page.location?.startsWith(`${redirectUri}?`), `expected a redirect to ${redirectUri}, got ${page.status} ${page.location} ${page.html.slice(0, 300)}`);
  const params = callbackParams(page);
  assert.equal(params.get('error'), error, params.get('error_description') ?? '');
  assert.equal(params.get('state'), state);
  assert.equal(params.get('iss'), server.issuer());
  assert.equal(params.get('code'), null);
}

function assertErrorPage(page: Page): void {
  assert.equal(page.status, 400, page.html.slice(0, 300));
  assert.equal(page.location, undefined, `unexpected redirect to ${page.location}`);
  assert.match(page.html, /^<!doctype html>/i);
}

for (const database of databases) {
  describe(`request objects (${database})`, () => {
    let server: TestServer;
    let browser: UserAgent;
    let keys: { rsa: Signer; ec: Signer; stranger: Signer };
    let objects: Awaited<ReturnType<typeof requestObjectServer>>;

    before(async () => {
      const [rsa, ec, stranger] = await Promise.all([keyPair('RS256', 'rsa-1'), keyPair('ES256', 'ec-1'), keyPair('RS256', 'stranger')]);
      keys = { rsa: rsa.signer, ec: ec.signer, stranger: stranger.signer };
      objects = await requestObjectServer();
      const realm = testRealm();
      realm.realms[0]!.clients.push(
        userClient('jar', { client_secret: 'jar-secret', jwks: { keys: [rsa.jwk, ec.jwk] } }) as never,
        userClient('jar-pinned', { client_secret: 'jar-secret', jwks: { keys: [rsa.jwk, ec.jwk] }, request_object_signing_alg: 'ES256' }) as never,
        userClient('jar-hmac', { client_secret: sharedSecret, token_endpoint_auth_method: 'client_secret_jwt' }) as never,
        userClient('jar-unsigned', { client_secret: 'jar-secret', request_object_signing_alg: 'none' }) as never,
        userClient('jar-uris', { client_secret: 'jar-secret', jwks: { keys: [rsa.jwk] }, request_uris: [`${objects.base}/registered/`] }) as never,
      );
      server = await startServer(database, realm);
      browser = new UserAgent(server.url);
      const login = await browser.open(authorizeUrl(server.issuer(), { client_id: 'trusted', redirect_uri: redirectUri, response_type: 'code', scope: 'openid' }));
      await browser.signIn(login, 'alice', password);
    });
    after(async () => {
      await server?.close();
      await objects?.close();
    });

    /** A request object for `clientId` asking for a code; `claims` overrides (undefined removes a claim). */
    async function requestObject(clientId: string, signer: Signer | 'none', claims: Partial<Record<string, unknown>> = {}): Promise<string> {
      const now = Math.floor(server.clock.now() / 1000);
      const payload = {
        iss: clientId, aud: server.issuer(), client_id: clientId, response_type: 'code', redirect_uri: redirectUri,
        scope: 'openid', state: 'inner-state', nonce: 'inner-nonce', iat: now, exp: now + 300, ...claims,
      } as JWTPayload;
      for (const [name, value] of Object.entries(payload)) if (value === undefined) delete payload[name];
      if (signer === 'none') return new UnsecuredJWT(payload).encode();
      return new SignJWT(payload).setProtectedHeader({ alg: signer.alg, ...(signer.kid ? { kid: signer.kid } : {}) }).sign(signer.key);
    }

    const authorize = (params: Record<string, string>, agent = browser) => agent.open(authorizeUrl(server.issuer(), params));
    /** The outer query of a by-value request: client_id and response_type duplicated, as OIDC clients send them. */
    const byValue = (clientId: string, request: string, extra: Record<string, string> = {}, agent = browser) =>
      authorize({ client_id: clientId, response_type: 'code', scope: 'openid', request, ...extra }, agent);

    test('CORE-34: an RS256 request object verified with the client\'s jwks runs the code flow with the state and nonce inside it', async () => {
      const agent = new UserAgent(server.url);
      let page = await byValue('jar', await requestObject('jar', keys.rsa), { state: 'outer-state' }, agent);
      assert.ok(isLoginPage(page), `expected the login page, got ${page.status} ${page.location}`);
      page = await agent.signIn(page, 'alice', password);
      const callback = callbackParams(page);
      assert.equal(callback.get('state'), 'inner-state');
      const tokens = await tokenRequest(server.issuer(), { grant_type: 'authorization_code', code: callback.get('code')!, redirect_uri: redirectUri }, { id: 'jar', secret: 'jar-secret' });
      assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
      assert.equal(decodeJwt(tokens.body.id_token).nonce, 'inner-nonce');
    });

    test('an HS256 request object from a client_secret_jwt client is verified with its secret', async () => {
      const signer = { key: new TextEncoder().encode(sharedSecret), alg: 'HS256' };
      const callback = callbackParams(await byValue('jar-hmac', await requestObject('jar-hmac', signer)));
      assert.ok(callback.get('code'));
      assert.equal(callback.get('state'), 'inner-state');
    });

    test('an HS256 request object from a client without a sealed secret is refused with invalid_request_object', async () => {
      const signer = { key: new TextEncoder().encode('jar-secret'), alg: 'HS256' };
      assertErrorRedirect(server, await byValue('jar', await requestObject('jar', signer), { redirect_uri: redirectUri, state: 'outer' }), 'invalid_request_object', 'outer');
    });

    test('DYN-20: a request_uri served over loopback http yields an RS256 request object that is used', async () => {
      objects.objects.set('/registered/signed.jwt', await requestObject('jar-uris', keys.rsa));
      const callback = callbackParams(await authorize({ client_id: 'jar-uris', response_type: 'code', scope: 'openid', request_uri: `${objects.base}/registered/signed.jwt` }));
      assert.ok(callback.get('code'));
      assert.equal(callback.get('state'), 'inner-state');
    });

    test('DYN-19 / BASIC-33: an unsigned request object by reference is used for a client that opted in', async () => {
      objects.objects.set('/unsigned.jwt', await requestObject('jar-unsigned', 'none'));
      const callback = callbackParams(await authorize({ client_id: 'jar-unsigned', response_type: 'code', scope: 'openid', request_uri: `${objects.base}/unsigned.jwt#v1` }));
      assert.ok(callback.get('code'));
      assert.equal(callback.get('state'), 'inner-state');
    });

    test('a request object signed with a key the client did not register gets an error page when the query names no redirect_uri', async () => {
      assertErrorPage(await byValue('jar', await requestObject('jar', keys.stranger), { state: 'outer' }));
    });

    test('CORE-34: a request object with a bad signature is redirected as invalid_request_object to the registered redirect_uri of the query', async () => {
      const page = await byValue('jar', await requestObject('jar', keys.stranger, { state: 'forged' }), { redirect_uri: redirectUri, state: 'outer' });
      assertErrorRedirect(server, page, 'invalid_request_object', 'outer');
    });

    test('BASIC-34: an unsigned request object from a client that registered no request_object_signing_alg is used, as discovery advertises none', async () => {
      const callback = callbackParams(await byValue('jar', await requestObject('jar', 'none'), { redirect_uri: redirectUri, state: 'outer' }));
      assert.ok(callback.get('code'), callback.get('error_description') ?? '');
      assert.equal(callback.get('state'), 'inner-state');
    });

    test('BASIC-33: an unsigned request object by reference is used for a client that registered no request_object_signing_alg', async () => {
      objects.objects.set('/unsigned-jar.jwt', await requestObject('jar', 'none'));
      const callback = callbackParams(await authorize({ client_id: 'jar', response_type: 'code', scope: 'openid', request_uri: `${objects.base}/unsigned-jar.jwt` }));
      assert.ok(callback.get('code'), callback.get('error_description') ?? '');
      assert.equal(callback.get('state'), 'inner-state');
    });

    test('an unsigned request object naming an unregistered redirect_uri gets an error page, never a redirect', async () => {
      assertErrorPage(await byValue('jar', await requestObject('jar', 'none', { redirect_uri: 'https://evil.example/callback' })));
    });

    test('an unsigned request object naming another client is refused with invalid_request_object', async () => {
      const page = await byValue('jar', await requestObject('trusted', 'none'), { redirect_uri: redirectUri, state: 'outer' });
      assertErrorRedirect(server, page, 'invalid_request_object', 'inner-state');
    });

    test('BASIC-34: an unsigned request object from a client registered with request_object_signing_alg none is used', async () => {
      const callback = callbackParams(await byValue('jar-unsigned', await requestObject('jar-unsigned', 'none')));
      assert.ok(callback.get('code'));
      assert.equal(callback.get('state'), 'inner-state');
    });

    test('CORE-34: an alg other than the registered request_object_signing_alg is refused with invalid_request_object', async () => {
      const page = await byValue('jar-pinned', await requestObject('jar-pinned', keys.rsa), { redirect_uri: redirectUri, state: 'outer' });
      assertErrorRedirect(server, page, 'invalid_request_object', 'outer');
      const accepted = callbackParams(await byValue('jar-pinned', await requestObject('jar-pinned', keys.ec)));
      assert.ok(accepted.get('code'));
    });

    test('an unsigned request object from a client pinned to a signing alg is refused with invalid_request_object', async () => {
      const page = await byValue('jar-pinned', await requestObject('jar-pinned', 'none'), { redirect_uri: redirectUri, state: 'outer' });
      assertErrorRedirect(server, page, 'invalid_request_object', 'outer');
    });

    test('an expired request object is refused with invalid_request_object', async () => {
      const now = Math.floor(server.clock.now() / 1000);
      const page = await byValue('jar', await requestObject('jar', keys.rsa, { iat: now - 600, exp: now - 300 }), { redirect_uri: redirectUri, state: 'outer' });
      assertErrorRedirect(server, page, 'invalid_request_object', 'outer');
    });

    test('a request object that is not valid yet (nbf) is refused with invalid_request_object', async () => {
      const now = Math.floor(server.clock.now() / 1000);
      const page = await byValue('jar', await requestObject('jar', keys.rsa, { nbf: now + 300 }), { redirect_uri: redirectUri, state: 'outer' });
      assertErrorRedirect(server, page, 'invalid_request_object', 'outer');
    });

    test('CORE-34: a client_id in the query other than the request object\'s is refused with invalid_request_object', async () => {
      const page = await byValue('jar', await requestObject('jar', keys.rsa, { client_id: 'trusted', iss: undefined }));
      assertErrorRedirect(server, page, 'invalid_request_object', 'inner-state');
    });

    test('CORE-34: a response_type in the query other than the request object\'s is refused with invalid_request_object', async () => {
      const page = await authorize({ client_id: 'jar', response_type: 'id_token', scope: 'openid', request: await requestObject('jar', keys.rsa) });
      assertErrorRedirect(server, page, 'invalid_request_object', 'inner-state');
    });

    test('a request object whose aud is not the issuer is refused with invalid_request_object', async () => {
      const page = await byValue('jar', await requestObject('jar', keys.rsa, { aud: 'https://other.example' }));
      assertErrorRedirect(server, page, 'invalid_request_object', 'inner-state');
    });

    test('a request object whose iss is not the client is refused with invalid_request_object', async () => {
      const page = await byValue('jar', await requestObject('jar', keys.rsa, { iss: 'trusted' }));
      assertErrorRedirect(server, page, 'invalid_request_object', 'inner-state');
    });

    test('a request object that itself carries a request parameter is refused with invalid_request_object', async () => {
      const page = await byValue('jar', await requestObject('jar', keys.rsa, { request: 'eyJhbGciOiJub25lIn0.e30.' }));
      assertErrorRedirect(server, page, 'invalid_request_object', 'inner-state');
    });

    test('an encrypted request object is refused with invalid_request_object', async () => {
      const jwe = 'eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.a.b.c.d';
      assertErrorRedirect(server, await byValue('jar', jwe, { redirect_uri: redirectUri, state: 'outer' }), 'invalid_request_object', 'outer');
    });

    test('CORE-34: request and request_uri together are refused with invalid_request', async () => {
      const page = await byValue('jar', await requestObject('jar', keys.rsa), { request_uri: `${objects.base}/registered/signed.jwt`, redirect_uri: redirectUri, state: 'outer' });
      assertErrorRedirect(server, page, 'invalid_request', 'outer');
    });

    test('a request_uri outside the client\'s registered request_uris is refused with invalid_request_uri', async () => {
      objects.objects.set('/elsewhere/signed.jwt', await requestObject('jar-uris', keys.rsa));
      const page = await authorize({ client_id: 'jar-uris', response_type: 'code', scope: 'openid', redirect_uri: redirectUri, state: 'outer', request_uri: `${objects.base}/elsewhere/signed.jwt` });
      assertErrorRedirect(server, page, 'invalid_request_uri', 'outer');
    });

    test('CORE-34: an unreachable request_uri is refused with invalid_request_uri', async () => {
      const closedPort = await freePort();
      const page = await authorize({ client_id: 'jar', response_type: 'code', scope: 'openid', redirect_uri: redirectUri, state: 'outer', request_uri: `http://127.0.0.1:${closedPort}/request.jwt` });
      assertErrorRedirect(server, page, 'invalid_request_uri', 'outer');
    });

    test('a request_uri that answers 404 is refused with invalid_request_uri', async () => {
      const page = await authorize({ client_id: 'jar', response_type: 'code', scope: 'openid', redirect_uri: redirectUri, state: 'outer', request_uri: `${objects.base}/missing.jwt` });
      assertErrorRedirect(server, page, 'invalid_request_uri', 'outer');
    });

    test('a plain-http request_uri to a non-loopback host and a pushed-request URN are refused with invalid_request_uri', async () => {
      for (const requestUri of ['http://rp.example/request.jwt', 'urn:ietf:params:oauth:request_uri:abc']) {
        const page = await authorize({ client_id: 'jar', response_type: 'code', scope: 'openid', redirect_uri: redirectUri, state: 'outer', request_uri: requestUri });
        assertErrorRedirect(server, page, 'invalid_request_uri', 'outer');
      }
    });

    test('CORE-34: parameters outside the request object are ignored: an outer scope=openid email grants only openid', async () => {
      const page = await byValue('jar', await requestObject('jar', keys.rsa, { scope: 'openid' }), { scope: 'openid email', state: 'outer-state', nonce: 'outer-nonce' });
      const callback = callbackParams(page);
      assert.equal(callback.get('state'), 'inner-state');
      const tokens = await tokenRequest(server.issuer(), { grant_type: 'authorization_code', code: callback.get('code')!, redirect_uri: redirectUri }, { id: 'jar', secret: 'jar-secret' });
      assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
      assert.equal(decodeJwt(tokens.body.id_token).nonce, 'inner-nonce');
      const info = await userinfo(server, tokens.body.access_token);
      assert.equal(info.status, 200);
      assert.equal(info.body.email, undefined);
    });

    test('BASIC-36: the request object\'s redirect_uri is used even when the query carries an unregistered one', async () => {
      const page = await byValue('jar', await requestObject('jar', keys.rsa), { redirect_uri: 'https://attacker.example/callback' });
      assert.ok(page.location?.startsWith(`${redirectUri}?`), `got ${page.status} ${page.location}`);
      assert.ok(callbackParams(page).get('code'));
    });

    test('CONFIG-10: discovery advertises request and request_uri support and the request object algs, RS256 and none included', async () => {
      const metadata = await (await fetch(`${server.issuer()}/.well-known/openid-configuration`)).json() as Record<string, any>;
      assert.equal(metadata.request_parameter_supported, true);
      assert.equal(metadata.request_uri_parameter_supported, true);
      assert.equal(metadata.require_request_uri_registration, false);
      assert.ok(metadata.request_object_signing_alg_values_supported.includes('RS256'));
      assert.ok(metadata.request_object_signing_alg_values_supported.includes('none'));
    });
  });
}

describe('request object client metadata in realm files', () => {
  const base = { client_id: 'c', redirect_uris: [redirectUri], client_secret: 's' };

  test('an HMAC request_object_signing_alg needs a client_secret_jwt client', () => {
    assert.throws(() => parseClient({ ...base, request_object_signing_alg: 'HS256' }, 'c'), RealmFileError);
    assert.equal(parseClient({ ...base, token_endpoint_auth_method: 'client_secret_jwt', request_object_signing_alg: 'HS256' }, 'c').metadata.request_object_signing_alg, 'HS256');
  });

  test('a signature request_object_signing_alg needs the client\'s keys', () => {
    assert.throws(() => parseClient({ ...base, request_object_signing_alg: 'RS256' }, 'c'), RealmFileError);
    assert.throws(() => parseClient({ ...base, request_object_signing_alg: 'HS1' }, 'c'), RealmFileError);
  });

  test('request_uris must be https, or http on a loopback host', () => {
    assert.throws(() => parseClient({ ...base, request_uris: ['http://rp.example/r.jwt'] }, 'c'), RealmFileError);
    const uris = ['https://rp.example/r.jwt#abc', 'http://127.0.0.1:8080/r.jwt'];
    assert.deepEqual(parseClient({ ...base, request_uris: uris }, 'c').metadata.request_uris, uris);
  });
});
