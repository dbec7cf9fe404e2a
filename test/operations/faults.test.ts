// Faults (docs/operations.md "Faults"): PostgreSQL becoming unreachable (through a TCP proxy the
// test cuts; the machine's PostgreSQL is never touched), a node killed with SIGKILL under load on
// PostgreSQL, and a SQLite server killed with SIGKILL while it writes. Strix must answer 503 quickly
// during an outage and recover by itself, and every token whose response a client received must
// survive a crash.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { bootstrap } from '../../src/admin/bootstrap.js';
import { importRealm, parseRealmFile } from '../../src/admin/realm-file.js';
import { buildApp, createLogger, createServices } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import type { Services } from '../../src/services.js';
import { spawnNode, startTwoNodes, waitUntilReady, type Node } from '../helpers/nodes.js';
import { databases, freshDatabase } from '../helpers/databases.js';
import { password, testRealm } from '../helpers/realm.js';
import { freePort, masterKey } from '../helpers/server.js';
import { tcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';
import { authorizeUrl, callbackParams, isLoginPage, pkcePair, tokenRequest, UserAgent } from '../helpers/user-agent.js';

const rpBase = 'http://127.0.0.1:3999';
const redirectUri = `${rpBase}/callback`;
const web = { id: 'web', secret: 'web-secret' };
const service = { id: 'service', secret: 'service-secret' };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Sends a request and returns its status and JSON (or text) body, and how long it took. */
async function timed(url: string, init: RequestInit = {}): Promise<{ status: number; ms: number; body: string }> {
  const started = Date.now();
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(15_000) });
  const body = await response.text();
  return { status: response.status, ms: Date.now() - started, body };
}

function basicAuth(client: { id: string; secret: string }): string {
  return `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}`;
}

// ---- real `strix start` processes ------------------------------------------------------------

/** How long a node may take to start here. */
const readyTimeoutMs = 60_000;

async function kill(node: Node | undefined, signal: NodeJS.Signals): Promise<void> {
  if (!node || node.process.exitCode !== null || node.process.signalCode !== null) return;
  const exited = new Promise((resolve) => node.process.once('exit', resolve));
  node.process.kill(signal);
  await exited;
}

/** Signs alice in on `issuer` once; the browser's SSO session then yields codes without a form. */
async function signedInBrowser(issuer: string, base: string): Promise<UserAgent> {
  const browser = new UserAgent(base);
  const { challenge } = pkcePair();
  const login = await browser.open(authorizeUrl(issuer, {
    client_id: 'web', redirect_uri: redirectUri, response_type: 'code', scope: 'openid profile', state: 's', nonce: 'n',
    code_challenge: challenge, code_challenge_method: 'S256',
  }));
  assert.ok(isLoginPage(login), `expected the login page, got ${login.status}`);
  assert.ok(callbackParams(await browser.signIn(login, 'alice', password)).get('code'));
  return browser;
}

/** One authorization code flow in the browser's session, on `issuer`: the token response. */
async function codeGrant(browser: UserAgent, issuer: string): Promise<{ status: number; body: Record<string, any> }> {
  const { verifier, challenge } = pkcePair();
  const page = await browser.request(authorizeUrl(issuer, {
    client_id: 'web', redirect_uri: redirectUri, response_type: 'code', scope: 'openid profile', state: 's', nonce: 'n',
    code_challenge: challenge, code_challenge_method: 'S256',
  }));
  const code = callbackParams(page).get('code');
  if (!code) return { status: page.status, body: {} };
  return tokenRequest(issuer, { grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier }, web);
}

/**
 * What a client holds: its latest refresh and access token. `inDoubt` when a request carrying the
 * refresh token got no response (the node died with it in flight): the server may or may not have
 * rotated it, and the client cannot know, so that chain is left out of the checks.
 */
interface Held { refreshToken: string; accessToken: string; inDoubt: boolean; rotations: number }

/**
 * Load until `stop()`: `chains` clients rotate their refresh tokens over and over, and `coders`
 * clients redeem new authorization codes; every 200 response is kept. Requests alternate between the nodes.
 */
function underLoad(issuers: string[], browser: UserAgent, starting: string[], coders: number) {
  const held: Held[] = [];
  let stopping = false;
  let turn = 0;
  const nextIssuer = () => issuers[turn++ % issuers.length]!;
  const rotate = async (h: Held) => {
    while (!stopping) {
      try {
        const r = await tokenRequest(nextIssuer(), { grant_type: 'refresh_token', refresh_token: h.refreshToken }, web);
        if (r.status !== 200) throw new Error(`refresh answered ${r.status} ${JSON.stringify(r.body)}`);
        h.refreshToken = r.body.refresh_token;
        h.accessToken = r.body.access_token;
        h.rotations++;
      } catch (error) {
        if (!stopping) throw error;
        h.inDoubt = true;
        return;
      }
    }
  };
  const redeem = async () => {
    while (!stopping) {
      try {
        const r = await codeGrant(browser, nextIssuer());
        if (r.status !== 200) throw new Error(`code flow answered ${r.status} ${JSON.stringify(r.body)}`);
        held.push({ refreshToken: r.body.refresh_token, accessToken: r.body.access_token, inDoubt: false, rotations: 0 });
      } catch (error) {
        if (!stopping) throw error;
        return;
      }
    }
  };
  const chains = starting.map((refreshToken) => ({ refreshToken, accessToken: '', inDoubt: false, rotations: 0 }));
  held.push(...chains);
  const running = Promise.all([...chains.map(rotate), ...Array.from({ length: coders }, redeem)]);
  return {
    held,
    /** Marks the load as ending (errors from now on are the crash's), then waits for every client. */
    async stop(crash: () => Promise<void>): Promise<void> {
      stopping = true;
      await crash();
      await running;
    },
  };
}

const rotations = (held: Held[]) => held.reduce((n, h) => n + h.rotations, 0);

/**
 * Lets the load run until it has rotated at least 20 refresh tokens and redeemed at least 5 codes
 * (whose tokens are settled when the kill comes, unlike the rotating chains, which are usually in
 * flight), at most 20 s: the machine may be slow.
 */
async function loadFor(held: Held[]): Promise<void> {
  const started = Date.now();
  const redeemed = () => held.filter((h) => h.rotations === 0 && h.accessToken !== '').length;
  while ((rotations(held) < 20 || redeemed() < 5) && Date.now() - started < 20_000) await sleep(100);
}

/** Every token a client received (and did not lose in flight) still works on `issuer`. */
async function assertAllValid(held: Held[], issuer: string, report: (line: string) => void): Promise<void> {
  const settled = held.filter((h) => !h.inDoubt);
  report(`${held.length} clients, ${rotations(held)} rotations received, ${held.length - settled.length} in doubt (request in flight at the kill), ${settled.length} checked`);
  assert.ok(settled.length >= 5, `only ${settled.length} clients kept a known token`);
  const failures: string[] = [];
  for (const h of settled) {
    if (h.accessToken) {
      const info = await fetch(`${issuer}/protocol/openid-connect/userinfo`, { headers: { authorization: `Bearer ${h.accessToken}` } });
      if (info.status !== 200) failures.push(`access token after ${h.rotations} rotations: userinfo ${info.status}`);
    }
    const r = await tokenRequest(issuer, { grant_type: 'refresh_token', refresh_token: h.refreshToken }, web);
    if (r.status !== 200) failures.push(`refresh token after ${h.rotations} rotations: ${r.status} ${JSON.stringify(r.body)}`);
  }
  assert.deepEqual(failures, [], `${failures.length} of ${settled.length} received tokens no longer work`);
}

// ---- (a) PostgreSQL unreachable -------------------------------------------------------------

if (!databases.includes('postgres')) {
  test.skip('faults on PostgreSQL: PostgreSQL is not reachable, so these are skipped (they run under CI=true)');
} else {
  describe('PostgreSQL becomes unreachable (a proxy between Strix and PostgreSQL is cut), then comes back', () => {
    const dir = mkdtempSync(join(tmpdir(), 'strix-faults-'));
    let db: { url: string; drop: () => Promise<void> };
    let proxy: TcpProxy;
    let services: Services;
    let app: FastifyInstance;
    let issuer: string;
    let refreshToken: string;

    before(async () => {
      db = await freshDatabase('postgres', dir);
      const direct = new URL(db.url);
      proxy = await tcpProxy({ host: direct.hostname, port: Number(direct.port || 5432) });
      const proxied = new URL(db.url);
      proxied.port = String(proxy.port);
      const port = await freePort();
      const config = loadConfig({
        STRIX_DATABASE_URL: proxied.href, STRIX_PORT: String(port), STRIX_HOST: '127.0.0.1', STRIX_MASTER_KEY: masterKey,
        STRIX_LOG_LEVEL: 'silent', STRIX_ADMIN_PASSWORD: 'admin-password-for-tests',
      });
      services = await createServices(config, createLogger(config.logLevel));
      await bootstrap(services, () => {});
      for (const realm of parseRealmFile(testRealm(rpBase), 'test realm')) await importRealm(services, realm);
      app = await buildApp(services);
      await app.listen({ port, host: '127.0.0.1' });
      issuer = `${config.publicUrl}/realms/demo`;
      const browser = await signedInBrowser(issuer, config.publicUrl);
      const tokens = await codeGrant(browser, issuer);
      assert.equal(tokens.status, 200);
      refreshToken = tokens.body.refresh_token;
    });

    after(async () => {
      await app?.close();
      await services?.store.close();
      await proxy?.close();
      await db?.drop();
      rmSync(dir, { recursive: true, force: true });
    });

    const refresh = () => timed(`${issuer}/protocol/openid-connect/token`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth(web) },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }).toString(),
    });
    const clientCredentials = () => timed(`${issuer}/protocol/openid-connect/token`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth(service) },
      body: 'grant_type=client_credentials&scope=api%3Aread',
    });

    test('while it is away, requests that need it answer 503 within 5 s, without a stack, and readiness says 503', async (t) => {
      await proxy.cut();
      await sleep(1200);   // past the 1 s client cache: every request below needs the database
      const ready = await timed(`${issuer.replace(/\/realms\/demo$/, '')}/health/ready`);
      assert.equal(ready.status, 503, ready.body);
      assert.ok(ready.ms < 5000, `readiness took ${ready.ms} ms`);
      assert.deepEqual(JSON.parse(ready.body), { status: 'unavailable', reason: 'database' });

      let slowest = ready.ms;
      for (const [what, call] of [['refresh_token grant', refresh], ['client_credentials grant', clientCredentials]] as const) {
        for (let i = 0; i < 3; i++) {
          const r = await call();
          assert.equal(r.status, 503, `${what}: ${r.status} ${r.body}`);
          assert.ok(r.ms < 5000, `${what} took ${r.ms} ms`);
          slowest = Math.max(slowest, r.ms);
          const body = JSON.parse(r.body) as Record<string, string>;
          assert.equal(body.error, 'server_error');
          assert.doesNotMatch(r.body, /at .*\.js|stack|ECONN|pg/i, 'no internals in the answer');
        }
      }
      const page = await timed(authorizeUrl(issuer, { client_id: 'web', redirect_uri: redirectUri, response_type: 'code', scope: 'openid', state: 's' }), {
        headers: { accept: 'text/html' },
      });
      assert.equal(page.status, 503);
      assert.ok(page.ms < 5000, `authorize took ${page.ms} ms`);
      assert.match(page.body, /Temporarily unavailable/);
      assert.equal((await timed(`${issuer.replace(/\/realms\/demo$/, '')}/health/live`)).status, 200, 'the process itself is alive');
      t.diagnostic(`slowest answer during the outage: ${Math.max(slowest, page.ms)} ms`);
    });

    test('once it is back, Strix recovers by itself: ready again, and the refresh token refused meanwhile works', async (t) => {
      await proxy.restore();
      const base = issuer.replace(/\/realms\/demo$/, '');
      let ready = 0;
      const started = Date.now();
      while (ready !== 200 && Date.now() - started < 15_000) {
        ready = (await timed(`${base}/health/ready`)).status;
        if (ready !== 200) await sleep(200);
      }
      assert.equal(ready, 200, 'ready again within 15 s');
      t.diagnostic(`ready again ${Date.now() - started} ms after the proxy was restored`);
      const r = await refresh();
      assert.equal(r.status, 200, r.body);
      assert.equal((await clientCredentials()).status, 200);
    });
  });

  // ---- (b) a node killed with SIGKILL under load, PostgreSQL -------------------------------------

  test('a node killed with SIGKILL under load: every token a client received still works on the surviving node', { timeout: 120_000 }, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'strix-faults-'));
    const db = await freshDatabase('postgres', dir);
    let a: Node | undefined;
    let b: Node | undefined;
    try {
      [a, b] = await startTwoNodes(dir, db.url, testRealm(rpBase), readyTimeoutMs);
      const browser = await signedInBrowser(a.issuer, a.url);
      const starting: string[] = [];
      for (let i = 0; i < 8; i++) starting.push((await codeGrant(browser, a.issuer)).body.refresh_token);

      const load = underLoad([a.issuer, b.issuer], browser, starting, 2);
      await loadFor(load.held);
      await load.stop(() => kill(a, 'SIGKILL'));
      assert.ok(rotations(load.held) > 10, 'the load rotated refresh tokens');
      await assertAllValid(load.held, b.issuer, (line) => t.diagnostic(line));
    } finally {
      await kill(a, 'SIGKILL');
      await kill(b, 'SIGTERM');
      await db.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

// ---- (c) SQLite: SIGKILL while writing ------------------------------------------------------------

test('SQLite: Strix killed with SIGKILL while it writes, then restarted: every token a client received still works', { timeout: 120_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'strix-faults-'));
  let node: Node | undefined;
  try {
    const realmFile = join(dir, 'realm.json');
    writeFileSync(realmFile, JSON.stringify(testRealm(rpBase)));
    const port = await freePort();
    const env = {
      STRIX_DATABASE_URL: `sqlite:${join(dir, 'strix.db')}`, STRIX_PUBLIC_URL: `http://127.0.0.1:${port}`, STRIX_MASTER_KEY: masterKey,
      STRIX_ADMIN_PASSWORD: 'admin-password-for-tests', STRIX_LOG_LEVEL: 'warn', STRIX_IMPORT: realmFile,
    };
    node = spawnNode(port, env, dir);
    await waitUntilReady(node, readyTimeoutMs);
    const browser = await signedInBrowser(node.issuer, node.url);
    const starting: string[] = [];
    for (let i = 0; i < 8; i++) starting.push((await codeGrant(browser, node.issuer)).body.refresh_token);

    const load = underLoad([node.issuer], browser, starting, 2);
    await loadFor(load.held);
    const killed = node;
    await load.stop(() => kill(killed, 'SIGKILL'));
    assert.ok(rotations(load.held) > 10, 'the load rotated refresh tokens');

    node = spawnNode(port, env, dir);
    await waitUntilReady(node, readyTimeoutMs);
    await assertAllValid(load.held, node.issuer, (line) => t.diagnostic(line));
  } finally {
    await kill(node, 'SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
});
