// IP allow and deny lists (docs/security.md "IP allow and deny lists"): a realm's lists guard every
// request under /realms/{realm}/, a client's lists its token requests and its authorization requests
// (an error page, never a redirect), and X-Forwarded-For counts only from a trusted proxy.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { databases } from '../helpers/databases.js';
import { testRealm } from '../helpers/realm.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { sendFrom, type Answer } from '../helpers/source-address.js';
import { authorizeUrl } from '../helpers/user-agent.js';

const send = sendFrom;

/** The test realm with realm-level settings and per-client metadata merged in. */
function realmWith(settings: Record<string, unknown>, clients: Record<string, Record<string, unknown>> = {}) {
  const realm = testRealm().realms[0]!;
  return { realms: [{ ...realm, ...settings, clients: realm.clients.map((c) => ({ ...c, ...clients[c.client_id] })) }] };
}

const discovery = (server: TestServer, from: string, headers: Record<string, string> = {}) =>
  send(`${server.issuer()}/.well-known/openid-configuration`, { from, headers });

const serviceToken = (server: TestServer, from: string) => send(`${server.issuer()}/protocol/openid-connect/token`, {
  from, form: { grant_type: 'client_credentials' },
  headers: { authorization: `Basic ${Buffer.from('service:service-secret').toString('base64')}` },
});

const authorize = (server: TestServer, from: string) => send(authorizeUrl(server.issuer(), {
  client_id: 'trusted', redirect_uri: 'http://127.0.0.1:3999/callback', response_type: 'code', scope: 'openid', state: 'ip',
}), { from, headers: { accept: 'text/html' } });

function assertDeniedJson(answer: Answer): void {
  assert.equal(answer.status, 403, answer.body.slice(0, 300));
  assert.equal(JSON.parse(answer.body).error, 'access_denied');
}

function assertDeniedPage(answer: Answer): void {
  assert.equal(answer.status, 403, answer.body.slice(0, 300));
  assert.match(answer.type ?? '', /text\/html/);
  assert.match(answer.body, /Access denied/);
  assert.equal(answer.location, undefined);
}

for (const database of databases) {
  describe(`a realm's IP deny list (${database})`, () => {
    let server: TestServer;
    before(async () => { server = await startServer(database, realmWith({ ip_deny: ['127.0.0.2/32', '2001:db8::/32'] })); });
    after(async () => { await server?.close(); });

    test('a denied address gets 403 access_denied from every endpoint of the realm; others are served', async () => {
      assert.equal((await discovery(server, '127.0.0.1')).status, 200);
      assertDeniedJson(await discovery(server, '127.0.0.2'));
      assertDeniedJson(await serviceToken(server, '127.0.0.2'));
      assert.equal((await serviceToken(server, '127.0.0.1')).status, 200);
    });

    test('a browser from a denied address gets a 403 page, not a sign-in page or a redirect', async () => {
      assertDeniedPage(await authorize(server, '127.0.0.2'));
      assert.equal((await authorize(server, '127.0.0.1')).status, 200);
    });

    test('addresses outside /realms/ (health checks, static files) are not subject to a realm\'s lists', async () => {
      assert.equal((await send(`${server.url}/health/live`, { from: '127.0.0.2' })).status, 200);
    });
  });

  describe(`a realm's IP allow list (${database})`, () => {
    let server: TestServer;
    before(async () => { server = await startServer(database, realmWith({ ip_allow: ['127.0.0.0/30'], ip_deny: ['127.0.0.2'] })); });
    after(async () => { await server?.close(); });

    test('only listed addresses are served, and deny wins over allow', async () => {
      assert.equal((await discovery(server, '127.0.0.1')).status, 200);
      assert.equal((await discovery(server, '127.0.0.3')).status, 200);
      assertDeniedJson(await discovery(server, '127.0.0.2'));
      assertDeniedJson(await discovery(server, '127.0.0.4'));
    });
  });

  describe(`a client's IP lists (${database})`, () => {
    let server: TestServer;
    before(async () => {
      server = await startServer(database, realmWith({}, { service: { ip_allow: ['127.0.0.1', '::1'] }, trusted: { ip_deny: ['127.0.0.2'] } }));
    });
    after(async () => { await server?.close(); });

    test('the token endpoint refuses a client outside its allow list with 403 access_denied after authenticating it', async () => {
      assert.equal((await serviceToken(server, '127.0.0.1')).status, 200);
      assertDeniedJson(await serviceToken(server, '127.0.0.3'));
    });

    test('the authorization endpoint shows an error page to a denied address, never a redirect to the client', async () => {
      assertDeniedPage(await authorize(server, '127.0.0.2'));
      assert.equal((await authorize(server, '127.0.0.3')).status, 200);
    });

    test('a client\'s lists do not affect other clients', async () => {
      const web = await send(authorizeUrl(server.issuer(), {
        client_id: 'web', redirect_uri: 'http://127.0.0.1:3999/callback', response_type: 'code', scope: 'openid', state: 'ip',
      }), { from: '127.0.0.2', headers: { accept: 'text/html' } });
      assert.equal(web.status, 200);
    });
  });

  describe(`IP rules behind a proxy (${database})`, () => {
    let proxied: TestServer;
    let direct: TestServer;
    before(async () => {
      const file = realmWith({ ip_deny: ['203.0.113.0/24', '127.0.0.2'] });
      proxied = await startServer(database, file, { env: { STRIX_TRUST_PROXY: '127.0.0.1' } });
      direct = await startServer(database, file);
    });
    after(async () => {
      await proxied?.close();
      await direct?.close();
    });

    test('with STRIX_TRUST_PROXY naming the proxy, the X-Forwarded-For address is the one checked', async () => {
      assertDeniedJson(await discovery(proxied, '127.0.0.1', { 'x-forwarded-for': '203.0.113.9' }));
      assert.equal((await discovery(proxied, '127.0.0.1', { 'x-forwarded-for': '198.51.100.1' })).status, 200);
    });

    test('a peer that is not a trusted proxy cannot choose its address with X-Forwarded-For', async () => {
      // 127.0.0.2 is not the trusted proxy, so its header is ignored and its own (denied) address counts.
      assertDeniedJson(await discovery(proxied, '127.0.0.2', { 'x-forwarded-for': '198.51.100.1' }));
    });

    test('without STRIX_TRUST_PROXY, X-Forwarded-For is ignored', async () => {
      assert.equal((await discovery(direct, '127.0.0.1', { 'x-forwarded-for': '203.0.113.9' })).status, 200);
      assertDeniedJson(await discovery(direct, '127.0.0.2', { 'x-forwarded-for': '198.51.100.1' }));
    });
  });
}
