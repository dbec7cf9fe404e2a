// Bad input everywhere gets a spec-shaped error or a friendly page, never a 500 (bounded fuzz).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { databases } from '../helpers/databases.js';
import { testRealm } from '../helpers/realm.js';
import { startServer, type TestServer } from '../helpers/server.js';

const endpoints = [
  { method: 'GET', path: 'protocol/openid-connect/auth' },
  { method: 'POST', path: 'protocol/openid-connect/auth' },
  { method: 'POST', path: 'protocol/openid-connect/token' },
  { method: 'GET', path: 'protocol/openid-connect/userinfo' },
  { method: 'POST', path: 'protocol/openid-connect/userinfo' },
  { method: 'GET', path: 'protocol/openid-connect/logout' },
  { method: 'POST', path: 'protocol/openid-connect/logout/confirm' },
  { method: 'POST', path: 'login-actions/authenticate' },
  { method: 'POST', path: 'login-actions/consent' },
  { method: 'GET', path: '.well-known/openid-configuration' },
  { method: 'GET', path: 'protocol/openid-connect/certs' },
];

const parameterNames = ['client_id', 'redirect_uri', 'response_type', 'scope', 'state', 'nonce', 'prompt', 'max_age',
  'code_challenge', 'code_challenge_method', 'response_mode', 'grant_type', 'code', 'code_verifier', 'refresh_token',
  'client_secret', 'access_token', 'id_token_hint', 'post_logout_redirect_uri', 'interaction', 'csrf', 'username',
  'password', 'decision', 'login_hint', 'ui_locales', 'request', 'request_uri'];

const knownValues = ['web', 'spa', 'service', 'code', 'openid', 'none', 'login', 'S256', 'plain', 'authorization_code',
  'refresh_token', 'client_credentials', 'http://127.0.0.1:3999/callback', 'allow', 'alice', '-1', '0', '99999999999999999999'];

const value = fc.oneof(
  fc.constantFrom(...knownValues),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constant('x'.repeat(5000)),
  fc.constant('%E0%A4%A'),
  fc.constant('eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.'),
);

const request = fc.record({
  endpoint: fc.constantFrom(...endpoints),
  params: fc.array(fc.tuple(fc.oneof(fc.constantFrom(...parameterNames), fc.string({ maxLength: 10 })), value), { maxLength: 8 }),
  contentType: fc.constantFrom('application/x-www-form-urlencoded', 'application/json', 'text/plain', 'multipart/form-data', undefined),
  authorization: fc.option(fc.oneof(fc.constant('Basic d2ViOndlYi1zZWNyZXQ='), fc.constant('Basic !!!'), fc.constant('Bearer'), fc.string({ maxLength: 30 }).map((s) => `Bearer ${s}`)), { nil: undefined }),
  cookie: fc.option(fc.oneof(fc.constant('strix_session=abc; strix_csrf=def'), fc.string({ maxLength: 30 }).map((s) => `strix_csrf=${s}`)), { nil: undefined }),
  rawBody: fc.option(fc.oneof(fc.constant('{"a":'), fc.constant('a=1&a=2&&=&%zz'), fc.string({ maxLength: 100 })), { nil: undefined }),
});

for (const database of databases) {
  describe(`robustness (${database})`, () => {
    let server: TestServer;
    before(async () => { server = await startServer(database, testRealm()); });
    after(async () => { await server?.close(); });

    test('no request to any endpoint, however malformed, gets a 5xx', async () => {
      await fc.assert(fc.asyncProperty(request, async (r) => {
        const url = new URL(`${server.issuer()}/${r.endpoint.path}`);
        const headers: Record<string, string> = {};
        let body: string | undefined;
        const encoded = r.params.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
        if (r.endpoint.method === 'GET') {
          url.search = encoded;
        } else {
          body = r.rawBody ?? (r.contentType === 'application/json' ? JSON.stringify(Object.fromEntries(r.params)) : encoded);
          if (r.contentType) headers['content-type'] = r.contentType;
        }
        if (r.authorization) headers.authorization = r.authorization;
        if (r.cookie) headers.cookie = r.cookie;
        const response = await fetch(url, { method: r.endpoint.method, headers, body, redirect: 'manual' });
        const text = await response.text();
        assert.ok(response.status < 500, `${r.endpoint.method} ${url.pathname} → ${response.status}: ${text.slice(0, 300)}`);
        assert.equal(/at .*\.js:\d+/.test(text), false, 'a stack trace leaked');
      }), { numRuns: 400, seed: 20261123 });
    });

    test('the server still serves after the fuzzing', async () => {
      const response = await fetch(`${server.issuer()}/.well-known/openid-configuration`);
      assert.equal(response.status, 200);
    });
  });
}
