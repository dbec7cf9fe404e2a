// OpenID Provider metadata (OIDC Discovery 1.0 §3, §4), the JWKS (RFC 7517), CORS for browser
// clients, and the security headers and cookie attributes of the browser-facing pages.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { databases } from '../helpers/databases.js';
import { token } from '../helpers/flows.js';
import { password, testRealm } from '../helpers/realm.js';
import { headerSamples } from '../helpers/security-headers.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { authorizeUrl, parseForm, UserAgent } from '../helpers/user-agent.js';

const privateMembers = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth'];

/** Adds the realm `legacy`, whose one client an administrator allowed the password grant. */
function withPasswordClientRealm(file: ReturnType<typeof testRealm>) {
  const legacy = {
    name: 'legacy', display_name: 'Legacy',
    clients: [{
      client_id: 'legacy', client_secret: 'legacy-secret', grant_types: ['password'],
      token_endpoint_auth_method: 'client_secret_basic', scope: 'openid profile',
    }],
  };
  return { realms: [...file.realms, legacy] } as unknown as ReturnType<typeof testRealm>;
}

for (const database of databases) {
  describe(`discovery, JWKS, CORS and headers (${database})`, () => {
    let server: TestServer;
    let metadata: Record<string, any>;
    before(async () => {
      server = await startServer(database, withPasswordClientRealm(testRealm()));
      metadata = await (await fetch(`${server.issuer()}/.well-known/openid-configuration`)).json() as Record<string, any>;
    });
    after(async () => { await server?.close(); });

    test('the issuer is the public URL plus /realms/{realm}, without a trailing slash', () => {
      assert.equal(metadata.issuer, `${server.url}/realms/demo`);
      assert.ok(!metadata.issuer.endsWith('/'));
    });

    test('the endpoints follow the Keycloak layout under the issuer', () => {
      const base = `${server.url}/realms/demo/protocol/openid-connect`;
      assert.equal(metadata.authorization_endpoint, `${base}/auth`);
      assert.equal(metadata.token_endpoint, `${base}/token`);
      assert.equal(metadata.userinfo_endpoint, `${base}/userinfo`);
      assert.equal(metadata.jwks_uri, `${base}/certs`);
      assert.equal(metadata.end_session_endpoint, `${base}/logout`);
    });

    test('it advertises the OpenID Connect response types, S256 PKCE and the iss response parameter', () => {
      assert.deepEqual(metadata.response_types_supported, ['code', 'id_token', 'id_token token', 'code id_token', 'code token', 'code id_token token']);
      assert.deepEqual(metadata.code_challenge_methods_supported, ['S256']);
      assert.equal(metadata.authorization_response_iss_parameter_supported, true);
      assert.equal(metadata.request_uri_parameter_supported, true);
      assert.equal(metadata.request_parameter_supported, true);
    });

    test('DISC-03, DISC-04: it lists the REQUIRED subject types and ID token signing algorithms, including RS256', () => {
      assert.ok(Array.isArray(metadata.subject_types_supported) && metadata.subject_types_supported.length > 0);
      assert.ok(metadata.id_token_signing_alg_values_supported.includes('RS256'));
      assert.ok(!metadata.id_token_signing_alg_values_supported.includes('none'));
    });

    test('the scopes include openid and the realm-described scope', () => {
      assert.ok(metadata.scopes_supported.includes('openid'));
      assert.ok(metadata.scopes_supported.includes('api:read'));
    });

    test('BCP-13: a realm where no client may use the password grant does not advertise it, and grant_type=password is refused with unauthorized_client', async () => {
      assert.ok(metadata.grant_types_supported.includes('authorization_code'));
      assert.ok(!metadata.grant_types_supported.includes('password'), JSON.stringify(metadata.grant_types_supported));
      for (const client of ['web', 'service'] as const) {
        const refused = await token(server, client, { grant_type: 'password', username: 'alice', password });
        assert.equal(refused.status, 400, client);
        assert.equal(refused.body.error, 'unauthorized_client', client);
      }
    });

    test('BCP-13: a realm with an enabled client allowed the password grant advertises it; disabling that client withdraws it at once', async () => {
      const grantTypes = async () => (await (await fetch(`${server.issuer('legacy')}/.well-known/openid-configuration`)).json() as { grant_types_supported: string[] }).grant_types_supported;
      assert.ok((await grantTypes()).includes('password'));
      const clients = server.services.store.clients;
      await clients.setEnabled('legacy', 'legacy', false, server.clock.now());
      try {
        assert.ok(!(await grantTypes()).includes('password'), 'a disabled client offers nothing');
      } finally {
        await clients.setEnabled('legacy', 'legacy', true, server.clock.now());
      }
      assert.ok((await grantTypes()).includes('password'), 'and enabling it again offers it again');
    });

    test('every advertised endpoint answers', async () => {
      for (const name of ['authorization_endpoint', 'jwks_uri', 'end_session_endpoint']) {
        const response = await fetch(metadata[name], { redirect: 'manual' });
        assert.notEqual(response.status, 404, name);
      }
    });

    test('COMMON-02, DISC-09: the JWKS keys have distinct kids, use "sig" and no private members', async () => {
      const response = await fetch(metadata.jwks_uri);
      assert.equal(response.status, 200);
      const { keys } = await response.json() as { keys: Record<string, unknown>[] };
      assert.ok(keys.length > 0);
      assert.equal(new Set(keys.map((k) => k.kid)).size, keys.length);
      assert.ok(keys.some((k) => k.kty === 'RSA' && (k.alg === undefined || k.alg === 'RS256')));
      for (const key of keys) {
        assert.ok(typeof key.kid === 'string' && key.kid.length > 0);
        assert.equal(key.use, 'sig');
        for (const member of privateMembers) assert.equal(key[member], undefined, `key ${key.kid} exposes "${member}"`);
      }
    });

    test('an unknown realm is 404', async () => {
      assert.equal((await fetch(`${server.url}/realms/nope/.well-known/openid-configuration`)).status, 404);
      assert.equal((await fetch(`${server.url}/realms/nope/protocol/openid-connect/certs`)).status, 404);
      const page = await new UserAgent(server.url).request(authorizeUrl(`${server.url}/realms/nope`, { client_id: 'web', response_type: 'code' }));
      assert.equal(page.status, 404);
    });

    const corsEndpoints = (origin: string) => [
      ['discovery', () => fetch(`${server.issuer()}/.well-known/openid-configuration`, { headers: { origin } })],
      ['JWKS', () => fetch(metadata.jwks_uri, { headers: { origin } })],
      ['token', () => fetch(metadata.token_endpoint, {
        method: 'POST', headers: { origin, 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=authorization_code&code=nope&client_id=spa&redirect_uri=http%3A%2F%2F127.0.0.1%3A5173%2Fcallback&code_verifier=' + 'v'.repeat(43),
      })],
    ] as const;

    for (const [why, origin] of [['the origin of its redirect URI', 'http://127.0.0.1:5173'], ['its allowed_origins', 'https://spa.example.com']] as const) {
      test(`discovery, JWKS and token allow a browser client's origin from ${why}`, async () => {
        for (const [name, call] of corsEndpoints(origin)) {
          const response = await call();
          assert.equal(response.headers.get('access-control-allow-origin'), origin, name);
        }
      });
    }

    test('discovery, JWKS and token do not allow an unknown origin', async () => {
      for (const [name, call] of corsEndpoints('https://evil.example')) {
        const response = await call();
        assert.equal(response.headers.get('access-control-allow-origin'), null, name);
        assert.equal(response.headers.get('access-control-allow-credentials'), null, name);
      }
    });

    test('a preflight to the token endpoint from an allowed origin gets 204 with the allowed methods', async () => {
      const response = await fetch(metadata.token_endpoint, {
        method: 'OPTIONS',
        headers: { origin: 'https://spa.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
      });
      assert.equal(response.status, 204);
      assert.equal(response.headers.get('access-control-allow-origin'), 'https://spa.example.com');
      assert.match(response.headers.get('access-control-allow-methods') ?? '', /POST/);
      assert.match(response.headers.get('access-control-allow-headers') ?? '', /content-type/i);
    });

    test('a preflight from an unknown origin is not allowed', async () => {
      const response = await fetch(metadata.token_endpoint, {
        method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
      });
      assert.equal(response.headers.get('access-control-allow-origin'), null);
      assert.equal(response.headers.get('access-control-allow-methods'), null);
    });

    test('BCP-15: the login page forbids framing and MIME sniffing', async () => {
      const response = await fetch(authorizeUrl(server.issuer(), {
        client_id: 'trusted', redirect_uri: 'http://127.0.0.1:3999/callback', response_type: 'code', scope: 'openid',
      }));
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
      assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
      assert.match(response.headers.get('cache-control') ?? '', /no-store/);
    });

    test('BCP-15: every HTML page and JSON endpoint sends a CSP without unsafe-inline that forbids framing, Referrer-Policy and nosniff, and no HSTS over http', async () => {
      for (const sample of await headerSamples(server)) {
        const csp = sample.headers.get('content-security-policy') ?? '';
        assert.match(csp, /frame-ancestors 'none'/, sample.name);
        assert.match(csp, /default-src 'self'/, sample.name);
        assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/, sample.name);
        assert.equal(sample.headers.get('x-frame-options'), 'DENY', sample.name);
        assert.equal(sample.headers.get('referrer-policy'), 'no-referrer', sample.name);
        assert.equal(sample.headers.get('x-content-type-options'), 'nosniff', sample.name);
        assert.equal(sample.headers.get('strict-transport-security'), null, `${sample.name}: HSTS only when STRIX_PUBLIC_URL is https`);
        assert.match(sample.headers.get('content-type') ?? '', sample.kind === 'html' ? /^text\/html/ : /^application\/([a-z-]+\+)?json/, sample.name);
      }
    });

    test('the session cookie is HttpOnly, SameSite=Lax and scoped to the realm path', async () => {
      const browser = new UserAgent(server.url);
      const login = await browser.open(authorizeUrl(server.issuer(), {
        client_id: 'trusted', redirect_uri: 'http://127.0.0.1:3999/callback', response_type: 'code', scope: 'openid',
      }));
      const form = parseForm(login.html);
      const response = await fetch(new URL(form.action, login.url), {
        method: 'POST', redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: [...browser.cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
        body: new URLSearchParams({ ...form.fields, username: 'alice', password }).toString(),
      });
      assert.equal(response.status, 303);
      const cookie = response.headers.getSetCookie().find((c) => c.startsWith('strix_session='));
      assert.ok(cookie, 'no session cookie was set');
      const attributes = cookie.split(';').map((a) => a.trim().toLowerCase());
      assert.ok(attributes.includes('httponly'), cookie);
      assert.ok(attributes.includes('samesite=lax'), cookie);
      assert.ok(attributes.includes('path=/realms/demo/'), cookie);
    });
  });
}
