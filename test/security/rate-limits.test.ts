// Request rate limits (docs/security.md "Rate limits"): the sign-in form per address, the token
// endpoint per address and per client, counters shared through Redis by two nodes, failing open when
// Redis is unreachable, and X-Forwarded-For honoured only from a trusted proxy.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { RateLimitSettings } from '../../src/store/realms.js';
import { databases } from '../helpers/databases.js';
import { password, testRealmWith } from '../helpers/realm.js';
import { redisAvailable, redisUrl } from '../helpers/redis.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { authorizeUrl, isLoginPage, parseForm, UserAgent } from '../helpers/user-agent.js';
import { sendFrom, type Answer } from '../helpers/source-address.js';

type Limits = { [K in keyof RateLimitSettings]?: K extends 'enabled' ? boolean : { max: number; window_seconds?: number } };

/** The test realm with small limits; `name` gives Redis-backed tests a realm (and so keys) of their own. */
function limitedRealm(rateLimits: Limits, name = 'demo') {
  return testRealmWith({ name, rate_limits: rateLimits });
}

const send = sendFrom;

const basic = (id: string, secret: string) => ({ authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}` });

/** A client_credentials request of the `service` client to `issuer`'s token endpoint. */
function serviceToken(issuer: string, from = '127.0.0.1', headers: Record<string, string> = {}): Promise<Answer> {
  return send(`${issuer}/protocol/openid-connect/token`, {
    from, form: { grant_type: 'client_credentials', scope: 'api:read' }, headers: { ...basic('service', 'service-secret'), ...headers },
  });
}

function assertThrottled(answer: Answer): void {
  assert.equal(answer.status, 429, answer.body.slice(0, 300));
  assert.ok(answer.retryAfter && Number(answer.retryAfter) >= 1 && Number(answer.retryAfter) <= 60, `Retry-After: ${answer.retryAfter}`);
  const body = JSON.parse(answer.body) as { error: string; error_description: string };
  assert.equal(body.error, 'temporarily_unavailable');
  assert.match(body.error_description, /^too many requests, retry after \d+ seconds$/);
}

/** A fresh sign-in form: posts it from `from` with the given credentials. */
async function signInForm(server: TestServer) {
  const browser = new UserAgent(server.url);
  const page = await browser.open(authorizeUrl(server.issuer(), {
    client_id: 'trusted', redirect_uri: 'http://127.0.0.1:3999/callback', response_type: 'code', scope: 'openid', state: 'rl',
  }));
  assert.ok(isLoginPage(page), page.html.slice(0, 300));
  const form = parseForm(page.html);
  const cookie = [...browser.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  const action = new URL(form.action, page.url).href;
  return (username: string, pw: string, from = '127.0.0.1') =>
    send(action, { from, form: { ...form.fields, username, password: pw }, headers: { cookie, accept: 'text/html' } });
}

for (const database of databases) {
  describe(`rate limit of the sign-in form (${database})`, () => {
    let server: TestServer;
    before(async () => { server = await startServer(database, limitedRealm({ login_per_ip: { max: 3 } })); });
    after(async () => { await server?.close(); });

    test('one address is refused with 429 and Retry-After after login_per_ip posts, while another still signs in', async () => {
      const post = await signInForm(server);
      for (let i = 0; i < 3; i++) assert.equal((await post('nobody', `wrong-${i}`)).status, 401);
      const refused = await post('alice', password);
      assert.equal(refused.status, 429, refused.body.slice(0, 300));
      assert.ok(Number(refused.retryAfter) >= 1 && Number(refused.retryAfter) <= 60, `Retry-After: ${refused.retryAfter}`);
      assert.match(refused.body, /Too many requests\. Try again in \d+ seconds\./);
      assert.equal(refused.location, undefined);

      const other = await signInForm(server);
      const signedIn = await other('alice', password, '127.0.0.2');
      assert.equal(signedIn.status, 303, signedIn.body.slice(0, 300));
      assert.match(signedIn.location ?? '', /[?&]code=/);
    });
  });

  describe(`rate limits of the token endpoint (${database})`, () => {
    let server: TestServer;
    before(async () => {
      server = await startServer(database, limitedRealm({ token_per_client: { max: 3 }, token_per_ip: { max: 5 } }));
    });
    after(async () => { await server?.close(); });

    test('a client is refused after token_per_client requests, from any address, while other clients are not', async () => {
      for (let i = 0; i < 3; i++) assert.equal((await serviceToken(server.issuer(), '127.0.0.3')).status, 200);
      assertThrottled(await serviceToken(server.issuer(), '127.0.0.3'));
      assertThrottled(await serviceToken(server.issuer(), '127.0.0.4'));
      // `trusted` names itself in the form body (client_secret_post): counted apart from `service`.
      const other = await send(`${server.issuer()}/protocol/openid-connect/token`, {
        from: '127.0.0.4', form: { grant_type: 'refresh_token', refresh_token: 'unknown', client_id: 'trusted', client_secret: 'trusted-secret' },
      });
      assert.equal(other.status, 400, other.body);
      assert.equal(JSON.parse(other.body).error, 'invalid_grant');
    });

    test('an address is refused after token_per_ip requests, whichever clients it names', async () => {
      const from = '127.0.0.5';
      for (let i = 0; i < 5; i++) {
        const answer = await send(`${server.issuer()}/protocol/openid-connect/token`, {
          from, form: { grant_type: 'client_credentials', client_id: `client-${i}`, client_secret: 'guess' },
        });
        assert.equal(answer.status, 401, answer.body);
      }
      assertThrottled(await send(`${server.issuer()}/protocol/openid-connect/token`, {
        from, form: { grant_type: 'client_credentials', client_id: 'client-5', client_secret: 'guess' },
      }));
    });
  });

  describe(`per-client token limits count only authenticated requests (${database})`, () => {
    let server: TestServer;
    before(async () => {
      server = await startServer(database, limitedRealm({ token_per_client: { max: 3 }, failed_client_authentication_per_ip_and_client: { max: 4 } }));
    });
    after(async () => { await server?.close(); });

    const wrongSecret = (from: string) => send(`${server.issuer()}/protocol/openid-connect/token`, {
      from, form: { grant_type: 'client_credentials', scope: 'api:read' }, headers: basic('service', 'not-the-secret'),
    });

    test('strangers naming a client with wrong credentials do not use up its allowance: the client still gets its tokens', async () => {
      for (const from of ['127.0.0.10', '127.0.0.11']) {
        for (let i = 0; i < 4; i++) assert.equal((await wrongSecret(from)).status, 401);
      }
      for (let i = 0; i < 3; i++) {
        const answer = await serviceToken(server.issuer(), '127.0.0.12');
        assert.equal(answer.status, 200, answer.body);
      }
      assertThrottled(await serviceToken(server.issuer(), '127.0.0.12'));
    });

    test('an address over failed_client_authentication_per_ip_and_client is refused for that client, even with the right secret; other clients and addresses are not', async () => {
      const from = '127.0.0.13';
      for (let i = 0; i < 4; i++) assert.equal((await wrongSecret(from)).status, 401);
      assertThrottled(await wrongSecret(from));
      assertThrottled(await serviceToken(server.issuer(), from));
      const other = await send(`${server.issuer()}/protocol/openid-connect/token`, {
        from, form: { grant_type: 'refresh_token', refresh_token: 'unknown', client_id: 'trusted', client_secret: 'trusted-secret' },
      });
      assert.equal(JSON.parse(other.body).error, 'invalid_grant', other.body);
      assert.equal((await wrongSecret('127.0.0.14')).status, 401);
    });
  });

  describe(`rate limits switched off (${database})`, () => {
    let server: TestServer;
    before(async () => { server = await startServer(database, limitedRealm({ enabled: false, token_per_client: { max: 1 } })); });
    after(async () => { await server?.close(); });

    test('enabled: false lets every request through', async () => {
      for (let i = 0; i < 4; i++) assert.equal((await serviceToken(server.issuer())).status, 200);
    });
  });

  describe(`rate limits behind a trusted proxy (${database})`, () => {
    let proxied: TestServer;
    let direct: TestServer;
    before(async () => {
      proxied = await startServer(database, limitedRealm({ token_per_ip: { max: 2 } }), { env: { STRIX_TRUST_PROXY: '127.0.0.1' } });
      direct = await startServer(database, limitedRealm({ token_per_ip: { max: 2 } }));
    });
    after(async () => {
      await proxied?.close();
      await direct?.close();
    });

    test('with STRIX_TRUST_PROXY the X-Forwarded-For address is the one limited', async () => {
      const via = (client: string) => serviceToken(proxied.issuer(), '127.0.0.1', { 'x-forwarded-for': client });
      assert.equal((await via('198.51.100.1')).status, 200);
      assert.equal((await via('198.51.100.1')).status, 200);
      assertThrottled(await via('198.51.100.1'));
      assert.equal((await via('198.51.100.2')).status, 200);
    });

    test('without it, X-Forwarded-For is ignored: changing it does not escape the limit', async () => {
      const spoofed = (client: string) => serviceToken(direct.issuer(), '127.0.0.1', { 'x-forwarded-for': client });
      assert.equal((await spoofed('198.51.100.1')).status, 200);
      assert.equal((await spoofed('198.51.100.2')).status, 200);
      assertThrottled(await spoofed('198.51.100.3'));
    });
  });

  describe(`rate limits with Redis unreachable (${database})`, () => {
    let server: TestServer;
    before(async () => {
      server = await startServer(database, limitedRealm({ token_per_client: { max: 1 } }), { env: { STRIX_REDIS_URL: 'redis://127.0.0.1:1' } });
    });
    after(async () => { await server?.close(); });

    test('Strix starts and serves, failing open: requests are not refused', async () => {
      for (let i = 0; i < 3; i++) assert.equal((await serviceToken(server.issuer())).status, 200);
    });
  });

  describe(`rate limits shared through Redis by two nodes (${database})`, { skip: !redisAvailable && `Redis at ${redisUrl} is not reachable` }, () => {
    // A realm name of its own keeps these counters apart from any earlier run's, still in Redis.
    const realm = `rl-${randomBytes(6).toString('hex')}`;
    let a: TestServer;
    let b: TestServer;
    before(async () => {
      const file = limitedRealm({ token_per_client: { max: 4 } }, realm);
      a = await startServer(database, file, { env: { STRIX_REDIS_URL: redisUrl } });
      b = await startServer(database, file, { env: { STRIX_REDIS_URL: redisUrl } });
    });
    after(async () => {
      await a?.close();
      await b?.close();
    });

    test('requests spread across both nodes count together', async () => {
      for (let i = 0; i < 4; i++) assert.equal((await serviceToken((i % 2 === 0 ? a : b).issuer(realm), '127.0.0.6')).status, 200);
      assertThrottled(await serviceToken(a.issuer(realm), '127.0.0.6'));
      assertThrottled(await serviceToken(b.issuer(realm), '127.0.0.7'));
    });
  });
}
