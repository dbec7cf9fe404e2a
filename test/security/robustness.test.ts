// Bad input everywhere gets a spec-shaped error or a friendly page, never a 500 (bounded fuzz). The
// fuzz draws NUL bytes and ill-formed UTF-8 into every endpoint's path, query, body and credentials,
// on PostgreSQL too, which refuses them ("invalid byte sequence for encoding UTF8: 0x00").
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { UnsecuredJWT } from 'jose';
import { databases } from '../helpers/databases.js';
import { testRealm } from '../helpers/realm.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { tokenRequest } from '../helpers/user-agent.js';

/** `{realm}` is replaced by a drawn realm name; paths starting with / are outside the realm. */
const endpoints = [
  { method: 'GET', path: 'protocol/openid-connect/auth' },
  { method: 'POST', path: 'protocol/openid-connect/auth' },
  { method: 'POST', path: 'protocol/openid-connect/token' },
  { method: 'POST', path: 'protocol/openid-connect/token/introspect' },
  { method: 'POST', path: 'protocol/openid-connect/revoke' },
  { method: 'GET', path: 'protocol/openid-connect/userinfo' },
  { method: 'POST', path: 'protocol/openid-connect/userinfo' },
  { method: 'GET', path: 'protocol/openid-connect/logout' },
  { method: 'POST', path: 'protocol/openid-connect/logout' },
  { method: 'POST', path: 'protocol/openid-connect/logout/confirm' },
  { method: 'GET', path: 'protocol/openid-connect/login-status-iframe.html' },
  { method: 'GET', path: 'protocol/openid-connect/login-status-iframe.html/init' },
  { method: 'POST', path: 'protocol/openid-connect/auth/device' },
  { method: 'POST', path: 'protocol/openid-connect/ext/par/request' },
  { method: 'POST', path: 'protocol/openid-connect/registrations' },
  { method: 'GET', path: 'protocol/openid-connect/registrations/web%00' },
  { method: 'PUT', path: 'protocol/openid-connect/registrations/%FFweb' },
  { method: 'DELETE', path: 'protocol/openid-connect/registrations/web' },
  { method: 'GET', path: 'device' },
  { method: 'POST', path: 'device' },
  { method: 'POST', path: 'login-actions/authenticate' },
  { method: 'POST', path: 'login-actions/consent' },
  { method: 'POST', path: 'login-actions/update-password' },
  { method: 'POST', path: 'login-actions/second-factor' },
  { method: 'POST', path: 'login-actions/enrol-totp' },
  { method: 'POST', path: 'login-actions/continue' },
  { method: 'POST', path: 'login-actions/passkey' },
  { method: 'POST', path: 'login-actions/passkey-sign-in' },
  { method: 'POST', path: 'login-actions/passkey-options' },
  { method: 'GET', path: 'login-actions/forgot-password' },
  { method: 'POST', path: 'login-actions/forgot-password' },
  { method: 'GET', path: 'login-actions/reset-password' },
  { method: 'POST', path: 'login-actions/reset-password' },
  { method: 'GET', path: 'login-actions/verify-email' },
  { method: 'POST', path: 'login-actions/verify-email' },
  { method: 'POST', path: 'login-actions/verify-email-code' },
  { method: 'GET', path: 'login-actions/registration' },
  { method: 'POST', path: 'login-actions/registration' },
  { method: 'POST', path: 'login-actions/email-code' },
  { method: 'POST', path: 'login-actions/email-code-verify' },
  { method: 'GET', path: 'login-actions/email-link' },
  { method: 'POST', path: 'login-actions/email-link' },
  { method: 'GET', path: 'broker/corp/login' },
  { method: 'GET', path: 'broker/corp/endpoint' },
  { method: 'POST', path: 'broker/corp/link' },
  { method: 'POST', path: 'broker/corp/backchannel-logout' },
  { method: 'GET', path: 'broker/c%00rp/endpoint' },
  { method: 'GET', path: 'account/email' },
  { method: 'POST', path: 'account/email' },
  { method: 'GET', path: 'account/linked-accounts' },
  { method: 'POST', path: 'account/linked-accounts/link' },
  { method: 'POST', path: 'account/linked-accounts/unlink' },
  { method: 'GET', path: 'account/applications' },
  { method: 'POST', path: 'account/applications/revoke' },
  { method: 'GET', path: 'account/mfa' },
  { method: 'GET', path: 'account/mfa/totp' },
  { method: 'POST', path: 'account/mfa/totp' },
  { method: 'POST', path: 'account/mfa/totp/remove' },
  { method: 'POST', path: 'account/mfa/passkey' },
  { method: 'POST', path: 'account/mfa/passkey/remove' },
  { method: 'POST', path: 'account/mfa/recovery-codes' },
  { method: 'GET', path: '.well-known/openid-configuration' },
  { method: 'GET', path: 'protocol/openid-connect/certs' },
  { method: 'GET', path: '/.well-known/oauth-authorization-server/realms/{realm}' },
  { method: 'GET', path: '/admin/realms/{realm}/events' },
  { method: 'GET', path: '/admin/realms' },
  { method: 'POST', path: '/admin/realms' },
  { method: 'PUT', path: '/admin/realms/{realm}' },
  { method: 'GET', path: '/admin/realms/{realm}/clients' },
  { method: 'POST', path: '/admin/realms/{realm}/clients' },
  { method: 'PUT', path: '/admin/realms/{realm}/clients/web' },
  { method: 'POST', path: '/admin/realms/{realm}/clients/%00/secret' },
  { method: 'POST', path: '/admin/realms/{realm}/clients-initial-access' },
  { method: 'GET', path: '/admin/realms/{realm}/clients-initial-access' },
  { method: 'DELETE', path: '/admin/realms/{realm}/clients-initial-access/%FF' },
  { method: 'GET', path: '/admin/{realm}/console/' },
  { method: 'GET', path: '/admin/realms/{realm}/users' },
  { method: 'POST', path: '/admin/realms/{realm}/users' },
  { method: 'PUT', path: '/admin/realms/{realm}/users/%FF/password' },
  { method: 'PUT', path: '/admin/realms/{realm}/users/x/roles' },
  { method: 'POST', path: '/admin/realms/{realm}/roles' },
  { method: 'GET', path: '/admin/realms/{realm}/sessions' },
  { method: 'POST', path: '/admin/realms/{realm}/groups' },
  { method: 'DELETE', path: '/admin/realms/{realm}/users/x/consents/web' },
  { method: 'DELETE', path: '/admin/realms/{realm}/users/x/credentials/otp' },
  { method: 'POST', path: '/admin/realms/{realm}/groups/%00/children' },
  { method: 'PUT', path: '/admin/realms/{realm}/users/x/groups/y' },
  { method: 'DELETE', path: '/admin/realms/{realm}/sessions/%FF' },
  { method: 'POST', path: '/admin/realms/{realm}/users/x/logout' },
  { method: 'PUT', path: '/admin/realms/{realm}/roles/viewer' },
  { method: 'GET', path: '/health/ready' },
  { method: 'GET', path: '/health/live' },
  { method: 'GET', path: '/metrics' },
];

/** Realm names as they appear in the path, percent-encoded as sent: mostly the real one. */
const realmNames = ['demo', 'demo', 'demo', 'demo', 'master', 'a%00b', '%00', '%FF', 'de%C0%80mo', '%ED%A0%80', '%E0%A4%A'];

const parameterNames = ['client_id', 'redirect_uri', 'response_type', 'scope', 'state', 'nonce', 'prompt', 'max_age',
  'code_challenge', 'code_challenge_method', 'response_mode', 'grant_type', 'code', 'code_verifier', 'refresh_token',
  'client_secret', 'access_token', 'id_token_hint', 'post_logout_redirect_uri', 'interaction', 'csrf', 'username',
  'password', 'decision', 'login_hint', 'ui_locales', 'request', 'request_uri', 'token', 'token_type_hint', 'user_code',
  'device_code', 'resource', 'client_assertion', 'client_assertion_type', 'type', 'user', 'client', 'ipAddress', 'first', 'max'];

const knownValues = ['web', 'spa', 'service', 'trusted', 'code', 'openid', 'none', 'login', 'S256', 'plain', 'authorization_code',
  'refresh_token', 'client_credentials', 'password', 'http://127.0.0.1:3999/callback', 'allow', 'alice', '-1', '0',
  '99999999999999999999', 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', 'login_failure'];

/** Sent as is, already percent-encoded: NUL, bytes that are not UTF-8, overlong and surrogate encodings. */
interface Raw { raw: string; text: string }
const raws: Raw[] = [
  { raw: '%00', text: '\u0000' },
  { raw: 'web%00', text: 'web\u0000' },
  { raw: 'a%00b', text: 'a\u0000b' },
  { raw: '%FF', text: '\uFFFF' },
  { raw: 'web%FE%FF', text: 'web\uFFFE' },
  { raw: '%C0%80', text: '\u0000' },
  { raw: '%C3', text: '\uD800' },
  { raw: '%ED%A0%80', text: '\uD800' },
  { raw: 'x%F4%90%80%80', text: '\uDFFF' },
];

const value: fc.Arbitrary<string | Raw> = fc.oneof(
  fc.constantFrom(...knownValues),
  fc.constantFrom(...raws),
  fc.constantFrom(...raws),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constant('x'.repeat(5000)),
  fc.constant('%E0%A4%A'),
  fc.constant('eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.'),
);

const basic = (userPass: string, encoding: BufferEncoding = 'utf8') => `Basic ${Buffer.from(userPass, encoding).toString('base64')}`;

const request = fc.record({
  endpoint: fc.constantFrom(...endpoints),
  realm: fc.constantFrom(...realmNames),
  params: fc.array(fc.tuple(fc.oneof(fc.constantFrom(...parameterNames), fc.string({ maxLength: 10 }), fc.constantFrom(...raws)), value), { maxLength: 8 }),
  contentType: fc.constantFrom('application/x-www-form-urlencoded', 'application/json', 'text/plain', 'multipart/form-data', undefined),
  authorization: fc.option(fc.oneof(
    fc.constant('Basic d2ViOndlYi1zZWNyZXQ='), fc.constant('Basic !!!'), fc.constant('Bearer'), fc.constant('admin'),
    fc.constantFrom(basic('a\u0000b:x'), basic('a%00b:x'), basic('web:%00'), basic('a\u00ffb:x', 'latin1'), basic('%ED%A0%80:x'), basic('web\u0000:web-secret')),
    fc.string({ maxLength: 30 }).map((s) => `Bearer ${s}`),
  ), { nil: undefined }),
  origin: fc.option(fc.constantFrom('http://127.0.0.1:3999', 'http://127.0.0.1:5173', 'https://evil.example'), { nil: undefined }),
  cookie: fc.option(fc.oneof(
    fc.constant('strix_session=abc; strix_csrf=def'), fc.constant('strix_session=%00; strix_interaction=a%00b'),
    fc.string({ maxLength: 30 }).map((s) => `strix_csrf=${s}`),
  ), { nil: undefined }),
  rawBody: fc.option(fc.oneof(
    fc.constant('{"a":'), fc.constant('a=1&a=2&&=&%zz'), fc.string({ maxLength: 100 }),
    fc.constant('{"client_id":"a\\u0000b","grant_type":"client_credentials"}'), fc.constant('{"x":"\\ud800"}'),
    fc.constant(Uint8Array.from(Buffer.from('grant_type=client_credentials&client_id=a\u0000b', 'latin1'))),
    fc.constant(Uint8Array.from(Buffer.from('client_id=web\u00ff\u00fe&username=al\u00c0\u0080ice', 'latin1'))),
  ), { nil: undefined }),
});

const encoded = (part: string | Raw) => typeof part === 'string' ? encodeURIComponent(part) : part.raw;
const asText = (part: string | Raw) => typeof part === 'string' ? part : part.text;

/** A master-realm service account holding the admin role, so that the fuzz reaches the admin API past authentication. */
function fuzzedRealms() {
  const file = testRealm();
  // Every e-mail and provider page exists: a realm with sign-up, e-mail codes, its own SMTP server (never reached) and a provider.
  Object.assign(file.realms[0]!, {
    user_registration: true, email_sign_in: 'code_and_link', smtp: { url: 'smtp://mailer@127.0.0.1:9' },
    identity_providers: [{ alias: 'corp', issuer: 'http://127.0.0.1:9', client_id: 'strix' }],
  });
  (file.realms as unknown[]).push({
    name: 'master', display_name: 'Strix',
    clients: [{ client_id: 'ops-bot', client_secret: 'ops-bot-secret', grant_types: ['client_credentials'], scope: 'openid', service_account_roles: ['admin'] }],
  });
  return file;
}

/** A token request whose User-Agent holds `bytes` as sent (fetch and node:http would re-encode them); the status line's code. */
function statusWithRawUserAgent(server: TestServer, bytes: Buffer): Promise<number> {
  const { hostname, port } = new URL(server.url);
  const body = 'grant_type=client_credentials';
  const head = `POST /realms/demo/protocol/openid-connect/token HTTP/1.1\r\nHost: ${hostname}:${port}\r\nConnection: close\r\n`
    + `Authorization: Basic ${Buffer.from('service:service-secret').toString('base64')}\r\n`
    + `Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\nUser-Agent: `;
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(Buffer.concat([Buffer.from(head), bytes, Buffer.from(`\r\n\r\n${body}`)])));
    let answer = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => { answer += chunk; });
    socket.on('end', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0)));
    socket.on('error', reject);
  });
}

for (const database of databases) {
  describe(`robustness (${database})`, () => {
    let server: TestServer;
    let adminToken: string;
    before(async () => {
      server = await startServer(database, fuzzedRealms());
      const answer = await tokenRequest(server.issuer('master'), { grant_type: 'client_credentials' }, { id: 'ops-bot', secret: 'ops-bot-secret' });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      adminToken = answer.body.access_token;
    });
    after(async () => { await server?.close(); });

    /** A request to `path` (under /realms/{realm}/ unless absolute), whose answer must be an error a client can read. */
    async function send(method: string, path: string, options: { query?: string; body?: string | Uint8Array; headers?: Record<string, string> } = {}) {
      const response = await fetch(`${server.url}${path}${options.query ? `?${options.query}` : ''}`, {
        method, headers: options.headers, body: options.body as RequestInit['body'], redirect: 'manual',
      });
      return { status: response.status, location: response.headers.get('location'), text: await response.text() };
    }

    test('no request to any endpoint, however malformed, with NUL or ill-formed UTF-8 anywhere, gets a 5xx', async () => {
      await fc.assert(fc.asyncProperty(request, async (r) => {
        const path = r.endpoint.path.startsWith('/') ? r.endpoint.path.replace('{realm}', r.realm) : `/realms/${r.realm}/${r.endpoint.path}`;
        const headers: Record<string, string> = {};
        let body: string | Uint8Array | undefined;
        let query: string | undefined;
        const form = r.params.map(([k, v]) => `${encoded(k)}=${encoded(v)}`).join('&');
        if (r.endpoint.method === 'GET' || r.endpoint.method === 'DELETE') {
          query = form;
        } else {
          body = r.rawBody ?? (r.contentType === 'application/json' ? JSON.stringify(Object.fromEntries(r.params.map(([k, v]) => [asText(k), asText(v)]))) : form);
          if (r.contentType) headers['content-type'] = r.contentType;
        }
        if (r.authorization) headers.authorization = r.authorization === 'admin' ? `Bearer ${adminToken}` : r.authorization;
        if (r.cookie) headers.cookie = r.cookie;
        if (r.origin) headers.origin = r.origin;
        const response = await send(r.endpoint.method, path, { query, body, headers });
        assert.ok(response.status < 500, `${r.endpoint.method} ${path}${query ? `?${query}` : ''} → ${response.status}: ${response.text.slice(0, 300)}`);
        assert.equal(/at .*\.js:\d+/.test(response.text), false, 'a stack trace leaked');
      }), { numRuns: 600, seed: 20261207 });
    });

    test('client_id=a%00b at the token endpoint is refused with 400 invalid_request', async () => {
      const response = await send('POST', `/realms/demo/protocol/openid-connect/token`, {
        body: 'grant_type=client_credentials&client_id=a%00b&client_secret=x', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      assert.equal(response.status, 400);
      assert.equal(JSON.parse(response.text).error, 'invalid_request');
    });

    test('client_id=a%00b or ill-formed UTF-8 at the authorization endpoint gets the 400 error page, not a redirect', async () => {
      for (const clientId of ['a%00b', 'a%FFb', 'a%ED%A0%80b']) {
        const response = await send('GET', `/realms/demo/protocol/openid-connect/auth`, {
          query: `client_id=${clientId}&redirect_uri=http%3A%2F%2F127.0.0.1%3A3999%2Fcallback&response_type=code&scope=openid`,
        });
        assert.equal(response.status, 400, clientId);
        assert.match(response.text, /^<!doctype html>/i);
      }
    });

    test('a Basic user name holding NUL or ill-formed UTF-8 at introspection is refused with 401 invalid_client', async () => {
      for (const authorization of [basic('a%00b:x'), basic('a\u0000b:x'), basic('a\u00ffb:x', 'latin1')]) {
        const response = await send('POST', `/realms/demo/protocol/openid-connect/token/introspect`, {
          body: 'token=x', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization },
        });
        assert.equal(response.status, 401, authorization);
        assert.equal(JSON.parse(response.text).error, 'invalid_client');
      }
    });

    test('a realm name holding %00 or ill-formed UTF-8 in the path gets 400: invalid_request from discovery, the error page from the authorization endpoint', async () => {
      for (const realm of ['a%00b', '%FF', '%C0%80']) {
        const discovery = await send('GET', `/realms/${realm}/.well-known/openid-configuration`);
        assert.equal(discovery.status, 400, realm);
        assert.equal(JSON.parse(discovery.text).error, 'invalid_request');
        const page = await send('GET', `/realms/${realm}/protocol/openid-connect/auth`, { query: 'client_id=web' });
        assert.equal(page.status, 400, realm);
        assert.match(page.text, /^<!doctype html>/i);
      }
    });

    test('a cross-origin request or preflight naming a realm that holds %00 gets 400 invalid_request, before any CORS lookup', async () => {
      const headers = { origin: 'http://127.0.0.1:3999', 'access-control-request-method': 'POST' };
      for (const method of ['GET', 'OPTIONS']) {
        const response = await send(method, '/realms/a%00b/.well-known/openid-configuration', { headers });
        assert.equal(response.status, 400, method);
        assert.equal(JSON.parse(response.text).error, 'invalid_request');
      }
    });

    test('the admin API refuses a realm name or a filter holding %00 with 400 invalid_request', async () => {
      const headers = { authorization: `Bearer ${adminToken}` };
      assert.equal((await send('GET', '/admin/realms/demo/events', { headers })).status, 200, 'the token opens the admin API');
      for (const [path, query] of [['/admin/realms/a%00b/events', ''], ['/admin/realms/demo/events', 'user=a%00b'], ['/admin/realms/demo/events', 'client=%ED%A0%80']] as const) {
        const response = await send('GET', path, { query, headers });
        assert.equal(response.status, 400, `${path}?${query}`);
        assert.equal(JSON.parse(response.text).error, 'invalid_request');
      }
    });

    test('a JSON body holding a NUL (\\u0000) is refused with 400 invalid_request at dynamic registration', async () => {
      const response = await send('POST', `/realms/demo/protocol/openid-connect/registrations`, {
        body: JSON.stringify({ redirect_uris: ['http://127.0.0.1:3999/callback'], client_name: 'a\u0000b' }), headers: { 'content-type': 'application/json' },
      });
      assert.equal(response.status, 400);
      assert.equal(JSON.parse(response.text).error, 'invalid_request');
    });

    test('a header value that is not UTF-8 is refused with 400 invalid_request', async () => {
      assert.equal(await statusWithRawUserAgent(server, Buffer.from([0x61, 0xff, 0xfe, 0x62])), 400);
      assert.equal(await statusWithRawUserAgent(server, Buffer.from([0x61, 0xc3, 0xa9, 0x62])), 200, 'well-formed UTF-8 in a header is fine');
    });

    test('a client assertion whose iss holds a NUL is refused with 401 invalid_client', async () => {
      const assertion = new UnsecuredJWT({ iss: 'service\u0000', sub: 'service\u0000', aud: server.issuer() }).setIssuedAt().setExpirationTime('1m').encode();
      const response = await tokenRequest(server.issuer(), {
        grant_type: 'client_credentials', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion,
      });
      assert.equal(response.status, 401);
      assert.equal(response.body.error, 'invalid_client');
    });

    test('an unsigned request object whose values hold a NUL is refused with invalid_request_object', async () => {
      const object = new UnsecuredJWT({
        client_id: 'web', response_type: 'code', redirect_uri: 'http://127.0.0.1:3999/callback', scope: 'openid', state: 'st', nonce: 'n\u0000',
      }).encode();
      const outer = { client_id: 'web', response_type: 'code', redirect_uri: 'http://127.0.0.1:3999/callback', request: object };
      const response = await send('GET', `/realms/demo/protocol/openid-connect/auth`, { query: new URLSearchParams(outer).toString() });
      assert.equal(response.status, 302, response.text.slice(0, 300));
      assert.equal(new URL(response.location!).searchParams.get('error'), 'invalid_request_object');
    });

    test('the server still serves after the fuzzing', async () => {
      const response = await fetch(`${server.issuer()}/.well-known/openid-configuration`);
      assert.equal(response.status, 200);
    });
  });
}
