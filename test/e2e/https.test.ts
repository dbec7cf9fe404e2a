// Behind an https public URL: cookies are Secure, HSTS is sent, and issuers use the public URL.
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
