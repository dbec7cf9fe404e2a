// The audit event log as an administrator and a webhook receiver see it: sign-ins, lockouts,
// tokens, refresh-token reuse, new devices and CLI changes appear in the admin API with filters,
// the API refuses callers who are not master-realm admins (admin-api.test.ts has the rest), and webhooks arrive signed and retried.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { exportRealm, parseRealmFile, RealmFileError } from '../../src/admin/realm-file.js';
import { purgeExpired } from '../../src/store/purge.js';
import { launchBrowser, newContext, skipWithoutChromium, submitSignInForm } from '../helpers/browser.js';
import { databases } from '../helpers/databases.js';
import { adminConsoleCode, adminConsoleRedirectUri, adminConsoleToken, codeFor, redeem, token, tokensFor } from '../helpers/flows.js';
import { password, testRealm } from '../helpers/realm.js';
import { freePort, masterKey, startServer, type TestServer } from '../helpers/server.js';
import { authorizeUrl, isLoginPage, UserAgent } from '../helpers/user-agent.js';
import { strixCommand } from '../helpers/command.js';

const run = promisify(execFile);
const webhookSecret = 'whsec-test-0123456789abcdef';
const adminPassword = 'admin-password-for-tests';

interface Hit { body: string; signature: string; status: number; at: number }
/** A delivery the receiver never answered: when it arrived, and when Strix gave up and closed the connection. */
interface Hung { body: string; at: number; closedAt?: number }

/** Events about this username are not answered the first time: the receiver hangs. */
const hangingUsername = 'webhook-timeout-probe';

/**
 * A webhook receiver on 127.0.0.1 that fails the first delivery of each event with 500, or, for an
 * event about `hangingUsername`, never answers it.
 */
async function startReceiver(): Promise<{ url: string; hits: Hit[]; hung: Hung[]; close(): Promise<void> }> {
  const port = await freePort();
  const hits: Hit[] = [];
  const hung: Hung[] = [];
  const seen = new Set<string>();
  const server: Server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => { body += chunk; });
    request.on('end', () => {
      const id = (JSON.parse(body) as { id: string }).id;
      const first = !seen.has(id);
      seen.add(id);
      if (first && body.includes(`"username":"${hangingUsername}"`)) {
        const entry: Hung = { body, at: Date.now() };
        hung.push(entry);
        request.socket.once('close', () => { entry.closedAt = Date.now(); });
        return;
      }
      const status = first ? 500 : 200;
      hits.push({ body, signature: String(request.headers['strix-signature']), status, at: Date.now() });
      response.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${port}/hooks/strix`, hits, hung,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

/** The verification docs/security.md shows receivers. */
function verifySignature(secret: string, header: string, body: string, toleranceSeconds = 300): boolean {
  const parts = Object.fromEntries(header.split(',').map((part) => part.split('=') as [string, string]));
  const t = Number(parts.t);
  if (!Number.isInteger(t) || Math.abs(Date.now() / 1000 - t) > toleranceSeconds || !parts.v1) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  const given = Buffer.from(parts.v1, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function auditedRealm(webhookUrl: string) {
  const demo = testRealm().realms[0]!;
  return {
    realms: [
      {
        ...demo,
        brute_force: { failure_factor: 3 },
        events: { retention_days: 7 },
        event_webhooks: [{ url: webhookUrl, secret: webhookSecret, types: ['login_failure'] }],
        users: [...demo.users, { username: 'carol', password }, { username: 'dave', password }],
      },
      {
        name: 'master', display_name: 'Strix',
        users: [{ username: 'operator', password }],
      },
    ],
  };
}

const until = async <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
};

for (const database of databases) {
  describe(`audit events (${database})`, () => {
    let server: TestServer;
    let receiver: Awaited<ReturnType<typeof startReceiver>>;
    let adminToken: string;

    before(async () => {
      receiver = await startReceiver();
      server = await startServer(database, auditedRealm(receiver.url));
      adminToken = await adminConsoleToken(server, 'admin', adminPassword);
    });
    after(async () => {
      await server?.close();
      await receiver?.close();
    });

    async function events(query: string, bearer = adminToken, realm = 'demo'): Promise<{ status: number; body: any; challenge: string | null }> {
      const response = await fetch(`${server.url}/admin/realms/${realm}/events${query}`, { headers: bearer ? { authorization: `Bearer ${bearer}` } : {} });
      return { status: response.status, body: await response.json(), challenge: response.headers.get('www-authenticate') };
    }

    async function list(query: string): Promise<any[]> {
      const answer = await events(query);
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      return answer.body as any[];
    }

    async function signIn(browser: UserAgent, username: string, pw: string) {
      const page = await browser.open(authorizeUrl(server.issuer(), {
        client_id: 'trusted', redirect_uri: 'http://127.0.0.1:3999/callback', response_type: 'code', scope: 'openid', state: 's', prompt: 'login',
      }));
      assert.ok(isLoginPage(page), page.html.slice(0, 300));
      return browser.submit(page, { username, password: pw });
    }

    test('a failed then a successful sign-in appear newest first, with the failure reason, filtered by type, user and client', async () => {
      const browser = new UserAgent(server.url);
      assert.equal((await signIn(browser, 'alice', 'wrong password')).status, 401);
      assert.equal((await signIn(browser, 'nobody-here', 'whatever')).status, 401);
      assert.equal((await signIn(browser, 'alice', password)).status, 303);
      const alice = await list('?type=login_success&type=login_failure&user=alice');
      assert.deepEqual(alice.slice(0, 2).map((e) => e.type), ['login_success', 'login_failure']);
      const [success, failure] = alice;
      assert.equal(failure.details.reason, 'bad_password');
      assert.equal(failure.details.username, 'alice');
      assert.equal(success.clientId, 'trusted');
      assert.equal(success.ipAddress, '127.0.0.1');
      assert.ok(success.sessionId);
      assert.equal(success.userId, failure.userId);
      assert.ok(success.time >= failure.time);
      // The same events by user id, and nothing of alice's under another client.
      assert.deepEqual((await list(`?type=login_success&user=${success.userId}`)).map((e) => e.id), [success.id]);
      assert.deepEqual(await list('?type=login_success&user=alice&client=web'), []);
      const unknown = await list('?type=login_failure&max=10');
      assert.ok(unknown.some((e) => e.details.username === 'nobody-here' && e.details.reason === 'unknown_user' && e.userId === null));
      assert.ok(!JSON.stringify(await list('')).includes(password), 'no password in any event');
    });

    test('date filters and paging: from/to as ISO dates or milliseconds, max and first', async () => {
      const all = await list('?type=login_success&type=login_failure');
      assert.ok(all.length >= 3);
      assert.deepEqual(await list(`?type=login_failure&type=login_success&from=${all[0].time + 1}`), []);
      assert.deepEqual((await list(`?type=login_failure&type=login_success&to=${new Date(all[0].time).toISOString()}`)).length, all.length);
      assert.deepEqual((await list('?type=login_failure&type=login_success&max=1&first=1')).map((e) => e.id), [all[1].id]);
      assert.equal((await events('?max=5000')).status, 400);
      assert.equal((await events('?type=no_such_type')).status, 400);
      assert.equal((await events('?from=yesterday')).status, 400);
    });

    test('a lockout is recorded with the account it locked', async () => {
      for (let i = 0; i < 3; i++) assert.ok([401, 429].includes((await signIn(new UserAgent(server.url), 'bob', `wrong-${i}`)).status));
      const [lockout] = await list('?type=lockout&user=bob');
      assert.ok(lockout, 'lockout event');
      assert.equal(lockout.details.locked, 'account');
      assert.equal(lockout.details.username, 'bob');
      assert.equal(lockout.details.lockouts, 1);
    });

    test('a reused refresh token is recorded as refresh_reuse_detected, and each issue as token_issued', async () => {
      const tokens = await tokensFor(server, new UserAgent(server.url), { client: 'trusted', scope: 'openid offline_access' });
      assert.equal((await token(server, 'trusted', { grant_type: 'refresh_token', refresh_token: tokens.refresh_token })).status, 200);
      assert.equal((await token(server, 'trusted', { grant_type: 'refresh_token', refresh_token: tokens.refresh_token })).status, 400);
      const [reuse] = await list('?type=refresh_reuse_detected&client=trusted');
      assert.ok(reuse, 'refresh_reuse_detected event');
      assert.equal(reuse.details.grant_revoked, true);
      assert.equal(reuse.userId, (await server.services.store.users.findByUsername('demo', 'alice'))!.id);
      const issued = await until('token_issued events', async () => {
        const found = await list('?type=token_issued&client=trusted&user=alice');
        return found.length >= 2 ? found : undefined;
      });
      assert.deepEqual(issued.slice(0, 2).map((e) => e.details.grant_type), ['refresh_token', 'authorization_code']);
      assert.ok(!JSON.stringify(issued).includes(tokens.refresh_token as string), 'no token in any event');
    });

    test('client_credentials tokens are recorded as token_issued without a user', async () => {
      assert.equal((await token(server, 'service', { grant_type: 'client_credentials', scope: 'api:read' })).status, 200);
      const [issued] = await until('a token_issued event', async () => {
        const found = await list('?type=token_issued&client=service');
        return found.length > 0 ? found : undefined;
      });
      assert.equal(issued.userId, null);
      assert.equal(issued.details.grant_type, 'client_credentials');
      assert.equal(issued.details.scope, 'api:read');
    });

    test('a second browser is a new device; the same browser again and the very first browser are not', async () => {
      const first = new UserAgent(server.url);
      assert.equal((await signIn(first, 'carol', password)).status, 303);
      assert.ok(first.cookies.has('strix_device'));
      assert.equal((await signIn(first, 'carol', password)).status, 303);
      assert.deepEqual(await list('?type=new_device&user=carol'), []);
      const second = new UserAgent(server.url);
      const answer = await second.request(authorizeUrl(server.issuer(), {
        client_id: 'trusted', redirect_uri: 'http://127.0.0.1:3999/callback', response_type: 'code', scope: 'openid', state: 's',
      }), { headers: { 'user-agent': 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0' } });
      const form = await second.submit(answer, { username: 'carol', password });
      assert.equal(form.status, 303);
      const newDevice = await list('?type=new_device&user=carol');
      assert.equal(newDevice.length, 1);
      assert.equal(newDevice[0].clientId, 'trusted');
      assert.equal((await signIn(second, 'carol', password)).status, 303);
      assert.equal((await list('?type=new_device&user=carol')).length, 1);
    });

    test('consent on the consent page, a replayed code and a logout are recorded', async () => {
      const browser = new UserAgent(server.url);
      const code = await codeFor(server, browser, { client: 'web', scope: 'openid api:read', user: 'carol' });
      const tokens = await redeem(server, 'web', code);
      assert.equal(tokens.status, 200);
      assert.equal((await redeem(server, 'web', code)).status, 400);
      const logout = new URL(`${server.issuer()}/protocol/openid-connect/logout`);
      logout.searchParams.set('id_token_hint', tokens.body.id_token as string);
      await browser.request(logout.href);
      const carol = (await list('?client=web&user=carol&type=consent_granted&type=code_replay_detected&type=logout')).reverse();
      assert.deepEqual(carol.map((e) => e.type), ['consent_granted', 'code_replay_detected', 'logout']);
      assert.deepEqual(carol[0].details.scope, ['openid', 'api:read']);
      assert.equal(carol[1].details.grant_revoked, true);
      assert.equal(carol[2].sessionId, carol[0].sessionId);
    });

    test('the API refuses a request without a token (401 with a Bearer challenge) and a malformed or foreign one', async () => {
      const none = await events('', '');
      assert.equal(none.status, 401);
      assert.equal(none.challenge, 'Bearer realm="master"');
      const garbage = await events('', 'not-a-token');
      assert.equal(garbage.status, 401);
      assert.match(garbage.challenge ?? '', /error="invalid_token"/);
      // alice holds a role named admin, but in the demo realm, and the token is another application's:
      // a valid token that does not open the admin API is 403 insufficient_scope (RFC 6750 §3.1).
      const demoToken = (await tokensFor(server, new UserAgent(server.url), { client: 'trusted', scope: 'openid' })).access_token as string;
      const foreign = await events('', demoToken);
      assert.equal(foreign.status, 403);
      assert.match(foreign.challenge ?? '', /error="insufficient_scope"/);
    });

    test('the API refuses an admin token bound to a DPoP key when it is presented as a bearer token', async () => {
      const { code, verifier } = await adminConsoleCode(server, 'admin', adminPassword);
      const keys = await generateKeyPair('ES256', { extractable: true });
      const tokenUrl = `${server.issuer('master')}/protocol/openid-connect/token`;
      const proof = await new SignJWT({ jti: randomUUID(), htm: 'POST', htu: tokenUrl, iat: Math.floor(Date.now() / 1000) })
        .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: await exportJWK(keys.publicKey) }).sign(keys.privateKey);
      const response = await fetch(tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', dpop: proof },
        body: new URLSearchParams({
          grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: adminConsoleRedirectUri(server), client_id: 'strix-admin-console',
        }).toString(),
      });
      const bound = await response.json() as Record<string, string>;
      assert.equal(bound.token_type, 'DPoP', JSON.stringify(bound));
      const answer = await events('', bound.access_token!);
      assert.equal(answer.status, 401);
      assert.match(answer.challenge ?? '', /error="invalid_token"/);
      assert.equal((await events('')).status, 200, 'the same user with a bearer token is served');
    });

    test('the API refuses a master-realm user without the admin role (403)', async () => {
      const answer = await events('', await adminConsoleToken(server, 'operator', password));
      assert.equal(answer.status, 403);
      assert.equal(answer.body.error, 'insufficient_scope');
    });

    test('an admin token whose grant was revoked is refused (401)', async () => {
      const revoked = await adminConsoleToken(server, 'admin', adminPassword);
      assert.equal((await events('?max=1', revoked)).status, 200);
      const answer = await fetch(`${server.issuer('master')}/protocol/openid-connect/revoke`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: revoked, client_id: 'strix-admin-console' }).toString(),
      });
      assert.equal(answer.status, 200);
      const refused = await events('?max=1', revoked);
      assert.equal(refused.status, 401);
      assert.match(refused.challenge ?? '', /error="invalid_token"/);
    });

    test('an unknown realm is 404 for an admin', async () => {
      assert.equal((await events('', adminToken, 'no-such-realm')).status, 404);
    });

    test('a webhook receives the event signed with its secret, and gets it again after answering 500', async () => {
      assert.equal((await signIn(new UserAgent(server.url), 'webhook-probe', 'whatever')).status, 401);
      const [event] = await list('?type=login_failure&max=1');
      assert.equal(event.details.username, 'webhook-probe');
      const hits = await until('the retried delivery', async () => {
        const mine = receiver.hits.filter((hit) => JSON.parse(hit.body).id === event.id);
        return mine.length >= 2 ? mine : undefined;
      });
      assert.deepEqual(hits.map((hit) => hit.status), [500, 200]);
      assert.ok(hits[1]!.at - hits[0]!.at >= 900, `retried after ${hits[1]!.at - hits[0]!.at} ms`);
      for (const hit of hits) {
        assert.deepEqual(JSON.parse(hit.body), event);
        assert.ok(verifySignature(webhookSecret, hit.signature, hit.body), hit.signature);
        assert.equal(verifySignature('another-secret-0123456789', hit.signature, hit.body), false);
        assert.equal(verifySignature(webhookSecret, hit.signature, hit.body.replace('webhook-probe', 'someone-else')), false);
      }
      // Only the types the webhook asked for are sent.
      assert.ok(receiver.hits.every((hit) => JSON.parse(hit.body).type === 'login_failure'));
    });

    test('a receiver that never answers is given up on after 5 seconds, and the delivery is retried', async () => {
      assert.equal((await signIn(new UserAgent(server.url), hangingUsername, 'whatever')).status, 401);
      const [event] = await list(`?type=login_failure&max=1`);
      assert.equal(event.details.username, hangingUsername);
      const hung = await until('the unanswered delivery to be closed by Strix', async () => receiver.hung.find((h) => JSON.parse(h.body).id === event.id && h.closedAt !== undefined), 15_000);
      const waited = hung.closedAt! - hung.at;
      assert.ok(waited >= 4_900 && waited < 8_000, `Strix closed the connection after ${waited} ms`);
      const retried = await until('the retried delivery', async () => receiver.hits.find((hit) => JSON.parse(hit.body).id === event.id), 15_000);
      assert.equal(retried.status, 200);
      assert.deepEqual(JSON.parse(retried.body), event);
    });

    test('an administrative change through the CLI is recorded', async () => {
      const env = { PATH: process.env.PATH, STRIX_DATABASE_URL: server.databaseUrl, STRIX_MASTER_KEY: masterKey, STRIX_LOG_LEVEL: 'silent' };
      await run(process.execPath, [strixCommand, 'users', 'disable', 'dave', '--realm', 'demo'], { env });
      const [disabled] = await list('?type=admin_user_disabled&user=dave');
      assert.ok(disabled, 'admin_user_disabled event');
      assert.equal(disabled.details.actor, 'cli');
      assert.equal(disabled.details.username, 'dave');
    });

    test('events older than the realm\'s retention are purged; newer ones stay', async () => {
      const store = server.services.store;
      const now = server.clock.now();
      const old = { id: 'old-event', realm: 'demo', time: now - 8 * 86_400_000, type: 'logout', userId: null, clientId: null, ip: null, sessionId: null, details: {} };
      const recent = { ...old, id: 'recent-event', time: now - 6 * 86_400_000 };
      await store.events.append([{ event: old, deliveries: [] }, { event: recent, deliveries: [] }], now);
      await purgeExpired(store, now);
      const left = (await list('?type=logout&max=1000')).map((e) => e.id);
      assert.ok(left.includes('recent-event'));
      assert.ok(!left.includes('old-event'));
    });

    test('nodes claiming webhook deliveries at once never get the same one, and a lapsed lease frees it again', async () => {
      const store = server.services.store;
      const now = server.clock.now() + 3_600_000;   // past every delivery the other tests queued
      const event = { id: 'claim-event', realm: 'demo', time: now, type: 'logout', userId: null, clientId: null, ip: null, sessionId: null, details: {} };
      const url = 'https://hooks.invalid/claim-test';
      await store.events.append([{ event, deliveries: Array.from({ length: 6 }, () => ({ url, body: '{}' })) }], now);
      const mine = (list: { url: string; id: string }[]) => list.filter((d) => d.url === url).map((d) => d.id);
      const [a, b] = await Promise.all([store.events.claimDeliveries(now, 30_000, 4), store.events.claimDeliveries(now, 30_000, 4)]);
      const claimed = [...mine(a), ...mine(b)];
      assert.equal(new Set(claimed).size, claimed.length, 'no delivery claimed twice');
      const rest = mine(await store.events.claimDeliveries(now, 30_000, 20));
      assert.equal(claimed.length + rest.length, 6);
      assert.deepEqual(mine(await store.events.claimDeliveries(now + 1000, 30_000, 20)), [], 'all leased');
      assert.equal(mine(await store.events.claimDeliveries(now + 31_000, 30_000, 20)).length, 6, 'leases lapsed');
      for (const id of [...claimed, ...rest]) await store.events.delivered(id);
    });

    test('export leaves webhook secrets out, and importing the export keeps them', async () => {
      const exported = await exportRealm(server.services, 'demo');
      assert.ok(!JSON.stringify(exported).includes(webhookSecret));
      assert.deepEqual(exported!.event_webhooks, [{ url: receiver.url, types: ['login_failure'] }]);
      const { importRealm } = await import('../../src/admin/realm-file.js');
      await importRealm(server.services, parseRealmFile({ realms: [exported] }, 'export')[0]!);
      const stored = (await server.services.store.realms.get('demo'))!.settings.event_webhooks;
      assert.equal(server.services.sealer.open(stored[0]!.secret_sealed), webhookSecret);
    });
  });
}

describe('audit settings in realm files', () => {
  const realm = (extra: Record<string, unknown>) => ({ realms: [{ name: 'r', ...extra }] });
  test('a webhook must use https, or http to a loopback address, and a secret of 16 characters', () => {
    assert.throws(() => parseRealmFile(realm({ event_webhooks: [{ url: 'http://example.com/hook', secret: webhookSecret }] }), 'f'), RealmFileError);
    assert.throws(() => parseRealmFile(realm({ event_webhooks: [{ url: 'https://example.com/hook', secret: 'short' }] }), 'f'), RealmFileError);
    assert.throws(() => parseRealmFile(realm({ event_webhooks: [{ url: 'https://example.com/hook', secret: webhookSecret, types: ['nope'] }] }), 'f'), /not an event type/);
    assert.equal(parseRealmFile(realm({ event_webhooks: [{ url: 'https://example.com/hook', secret: webhookSecret }] }), 'f')[0]!.eventWebhooks!.length, 1);
    assert.equal(parseRealmFile(realm({ event_webhooks: [{ url: 'http://127.0.0.1:9000/hook', secret: webhookSecret }] }), 'f')[0]!.eventWebhooks!.length, 1);
  });
  test('events settings merge over the defaults and refuse unknown keys', () => {
    assert.deepEqual(parseRealmFile(realm({ events: { retention_days: 90 } }), 'f')[0]!.settings.events, { enabled: true, retention_days: 90, types: [] });
    assert.throws(() => parseRealmFile(realm({ events: { retention: 90 } }), 'f'), /not an events setting/);
  });
});

for (const database of databases) {
  describe(`events turned off or narrowed per realm (${database})`, () => {
    let server: TestServer;
    before(async () => {
      const demo = testRealm().realms[0]!;
      server = await startServer(database, { realms: [{ ...demo, events: { types: ['login_failure'] } }] });
    });
    after(async () => { await server?.close(); });

    test('only the listed types are recorded', async () => {
      const browser = new UserAgent(server.url);
      await tokensFor(server, browser, { client: 'trusted', scope: 'openid' });
      await server.services.audit.flush();
      const page = await browser.open(authorizeUrl(server.issuer(), {
        client_id: 'trusted', redirect_uri: 'http://127.0.0.1:3999/callback', response_type: 'code', scope: 'openid', state: 's', prompt: 'login',
      }));
      await browser.submit(page, { username: 'alice', password: 'wrong' });
      const stored = await server.services.store.events.find({ realm: 'demo', first: 0, max: 100 });
      assert.deepEqual(stored.map((e) => e.type), ['login_failure']);
    });
  });
}

for (const database of databases) {
  describe(`new devices in Chromium (${database})`, () => {
    if (skipWithoutChromium()) return;
    let server: TestServer;
    before(async () => { server = await startServer(database, testRealm()); });
    after(async () => { await server?.close(); });

    test('the device cookie is HttpOnly and SameSite=Lax; a second browser context is a new device', async () => {
      const browser = await launchBrowser();
      try {
        const signInWith = async () => {
          const context = await newContext(browser);
          const page = await context.newPage();
          await page.goto(authorizeUrl(server.issuer(), {
            client_id: 'trusted', redirect_uri: 'http://127.0.0.1:3999/callback', response_type: 'code', scope: 'openid', state: 's',
          }));
          await Promise.all([page.waitForRequest((r) => r.url().startsWith('http://127.0.0.1:3999/callback')), submitSignInForm(page, 'bob')]);
          const cookies = await context.cookies();
          await context.close();
          return cookies.find((c) => c.name === 'strix_device');
        };
        const device = await signInWith();
        assert.ok(device, 'strix_device cookie');
        assert.equal(device.httpOnly, true);
        assert.equal(device.sameSite, 'Lax');
        assert.ok(device.expires > Date.now() / 1000 + 300 * 86_400, 'long-lived');
        await server.services.audit.flush();
        assert.deepEqual(await server.services.store.events.find({ realm: 'demo', types: ['new_device'], first: 0, max: 10 }), []);
        await signInWith();
        await server.services.audit.flush();
        const found = await server.services.store.events.find({ realm: 'demo', types: ['new_device'], first: 0, max: 10 });
        assert.equal(found.length, 1);
        assert.equal(found[0]!.details.user_agent, 'Chrome on Linux');
      } finally {
        await browser.close();
      }
    });
  });
}
