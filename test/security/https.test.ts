// Behind an https public URL: cookies are Secure, HSTS is sent, and issuers use the public URL; a
// request a trusted proxy says came over plain http is redirected (GET, HEAD) or refused (OAUTH-17).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { password, testRealm } from '../helpers/realm.js';
import { headerSamples } from '../helpers/security-headers.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { authorizeUrl, UserAgent } from '../helpers/user-agent.js';

describe('served behind https://login.example.com', () => {
  let server: TestServer;
  before(async () => { server = await startServer('sqlite', testRealm(), { publicUrl: 'https://login.example.com' }); });
  after(async () => { await server?.close(); });

  test('the issuer and endpoints in discovery use the public URL', async () => {
    const discovery = await (await fetch(`${server.issuer()}/.well-known/openid-configuration`)).json() as Record<string, string>;
    assert.equal(discovery.issuer, 'https://login.example.com/realms/demo');
    assert.equal(discovery.token_endpoint, 'https://login.example.com/realms/demo/protocol/openid-connect/token');
  });

  test('the RFC 8414 metadata location serves the same document', async () => {
    const response = await fetch(`${server.url}/.well-known/oauth-authorization-server/realms/demo`);
    assert.equal(response.status, 200);
    assert.equal((await response.json() as Record<string, string>).issuer, 'https://login.example.com/realms/demo');
  });

  test('pages send Strict-Transport-Security', async () => {
    const response = await fetch(authorizeUrl(server.issuer(), { client_id: 'trusted', redirect_uri: 'http://127.0.0.1:3999/callback', response_type: 'code', scope: 'openid' }));
    assert.match(response.headers.get('strict-transport-security') ?? '', /max-age=\d+/);
  });

  test('every HTML page and JSON endpoint sends Strict-Transport-Security', async () => {
    for (const sample of await headerSamples(server, { consent: false })) {
      assert.match(sample.headers.get('strict-transport-security') ?? '', /max-age=\d{7,}/, sample.name);
      assert.match(sample.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/, sample.name);
    }
  });

  test('the CSRF and session cookies are Secure, HttpOnly and SameSite=Lax', async () => {
    const browser = new UserAgent(server.url);
    const login = await browser.request(authorizeUrl(server.issuer(), { client_id: 'trusted', redirect_uri: 'http://127.0.0.1:3999/callback', response_type: 'code', scope: 'openid' }));
    const fields = Object.fromEntries([...login.html.matchAll(/name="(csrf|interaction)" value="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    const response = await fetch(`${server.issuer()}/login-actions/authenticate`, {
      method: 'POST', redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: [...browser.cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
      body: new URLSearchParams({ ...fields, username: 'alice', password }).toString(),
    });
    assert.equal(response.status, 303);
    const session = response.headers.getSetCookie().find((c) => c.startsWith('strix_session='));
    assert.ok(session, 'no session cookie');
    for (const flag of [/;\s*Secure/i, /;\s*HttpOnly/i, /;\s*SameSite=Lax/i, /;\s*Path=\/realms\/demo\//]) assert.match(session, flag);
  });
});

/** A client_credentials request of `service`, as a proxy forwards it with X-Forwarded-Proto `proto`. */
function forwardedTokenRequest(server: TestServer, proto: string, secret = 'service-secret'): Promise<Response> {
  return fetch(`${server.issuer()}/protocol/openid-connect/token`, {
    method: 'POST', body: 'grant_type=client_credentials',
    headers: {
      'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`service:${secret}`).toString('base64')}`,
      'x-forwarded-proto': proto,
    },
  });
}

describe('behind a trusted TLS-terminating proxy (STRIX_TRUST_PROXY=loopback), a request that reached the proxy over plain http', () => {
  let server: TestServer;
  before(async () => { server = await startServer('sqlite', testRealm(), { publicUrl: 'https://login.example.com', env: { STRIX_TRUST_PROXY: 'loopback' } }); });
  after(async () => { await server?.close(); });

  const viaProxy = (path: string, proto: string, init: RequestInit = {}) =>
    fetch(`${server.url}${path}`, { ...init, redirect: 'manual', headers: { ...init.headers as Record<string, string>, 'x-forwarded-proto': proto } });
  const clientCredentials = (proto: string, secret?: string) => forwardedTokenRequest(server, proto, secret);

  test('OAUTH-17: GET and HEAD are redirected (301) to the same path and query on the https public URL', async () => {
    const path = '/realms/demo/.well-known/openid-configuration?probe=1';
    for (const method of ['GET', 'HEAD']) {
      const response = await viaProxy(path, 'http', { method });
      assert.equal(response.status, 301, method);
      assert.equal(response.headers.get('location'), `https://login.example.com${path}`, method);
    }
    assert.equal((await viaProxy(path, 'https')).status, 200, 'over https the same request is served');
  });

  test('OAUTH-17: a POST gets 400 invalid_request "HTTPS is required" before the endpoint runs: no token, not even client authentication', async () => {
    for (const secret of ['service-secret', 'wrong-secret']) {
      const response = await clientCredentials('http', secret);
      assert.equal(response.status, 400, secret);
      assert.deepEqual(await response.json(), { error: 'invalid_request', error_description: 'HTTPS is required' }, secret);
    }
    const served = await clientCredentials('https');
    assert.equal(served.status, 200, 'the same request over https gets its token');
    assert.ok((await served.json() as { access_token?: string }).access_token);
  });

  test('OAUTH-17: the last X-Forwarded-Proto entry (the trusted proxy\'s own) decides', async () => {
    assert.equal((await clientCredentials('https, http')).status, 400);
    assert.equal((await clientCredentials('http, https')).status, 200);
  });

  test('OAUTH-17: health probes and /metrics, which talk to the node directly, are served whatever X-Forwarded-Proto says', async () => {
    for (const path of ['/health/live', '/health/ready', '/metrics']) {
      assert.equal((await viaProxy(path, 'http')).status, 200, path);
    }
  });
});

describe('with https://login.example.com but X-Forwarded-Proto from a peer that is not a trusted proxy', () => {
  for (const trust of [undefined, '10.0.0.5']) {
    test(`OAUTH-17: Strix cannot tell how the request arrived, so it serves it (STRIX_TRUST_PROXY ${trust ?? 'unset'})`, async () => {
      const server = await startServer('sqlite', testRealm(), { publicUrl: 'https://login.example.com', env: trust ? { STRIX_TRUST_PROXY: trust } : {} });
      try {
        const discovery = await fetch(`${server.issuer()}/.well-known/openid-configuration`, { redirect: 'manual', headers: { 'x-forwarded-proto': 'http' } });
        assert.equal(discovery.status, 200);
        const issued = await forwardedTokenRequest(server, 'http');
        assert.equal(issued.status, 200, await issued.text());
      } finally {
        await server.close();
      }
    });
  }
});
