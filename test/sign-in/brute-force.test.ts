// Brute-force protection of the sign-in form (docs/security.md), attacked the way an attacker
// would: password guessing against one account, guessing against usernames that may not exist,
// credential stuffing from one address across many accounts, and guesses spread over two nodes.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApp, createLogger, createServices } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { hashPassword } from '../../src/identity/passwords.js';
import { newId } from '../../src/runtime.js';
import { accountKeys, unlockAccount } from '../../src/security/brute-force.js';
import type { Services } from '../../src/services.js';
import type { BruteForceSettings } from '../../src/store/realms.js';
import { databases } from '../helpers/databases.js';
import { password, testRealmWith } from '../helpers/realm.js';
import { freePort, masterKey, startServer, type TestServer } from '../helpers/server.js';
import { authorizeUrl, isLoginPage, parseForm, UserAgent } from '../helpers/user-agent.js';
import { strixCommand } from '../helpers/command.js';

const redirectUri = 'http://127.0.0.1:3999/callback';
const lockedMessage = /Too many failed attempts\. This account is temporarily locked; try again in a few minutes\./;

/** The test realm with brute-force settings small enough to reach in a test. */
function guardedRealm(bruteForce: Partial<BruteForceSettings>) {
  return testRealmWith({ brute_force: bruteForce });
}

interface Answer { status: number; html: string; location?: string; retryAfter: string | null; session: boolean }

// The form is posted with node:http rather than the UserAgent's fetch, which cannot choose the
// source address: 127.0.0.2, 127.0.0.3, … stand in for different clients on the loopback network.
function post(url: string, form: Record<string, string>, cookie: string, from: string): Promise<Answer> {
  const body = new URLSearchParams(form).toString();
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, {
      method: 'POST', localAddress: from,
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body), accept: 'text/html', cookie },
    }, (response) => {
      let html = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => { html += chunk; });
      response.on('end', () => resolve({
        status: response.statusCode!, html, location: response.headers.location,
        retryAfter: (response.headers['retry-after'] as string | undefined) ?? null,
        session: (response.headers['set-cookie'] ?? []).some((c) => c.startsWith('strix_session=')),
      }));
    });
    request.on('error', reject);
    request.end(body);
  });
}

/** A fresh sign-in page (its own interaction and CSRF cookie), ready to be posted to `node` (default: the server). */
async function signInForm(server: TestServer, node = server.url) {
  const browser = new UserAgent(server.url);
  const page = await browser.open(authorizeUrl(server.issuer(), {
    client_id: 'trusted', redirect_uri: redirectUri, response_type: 'code', scope: 'openid', state: 'bf',
  }));
  assert.ok(isLoginPage(page), page.html.slice(0, 300));
  const form = parseForm(page.html);
  const cookie = [...browser.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  const action = new URL(form.action, page.url).href.replace(server.url, node);
  return (username: string, pw: string, from = '127.0.0.1') => post(action, { ...form.fields, username, password: pw }, cookie, from);
}

async function signIn(server: TestServer, username: string, pw: string, from = '127.0.0.1'): Promise<Answer> {
  return (await signInForm(server))(username, pw, from);
}

function assertSignedIn(answer: Answer): void {
  assert.equal(answer.status, 303, answer.html.slice(0, 400));
  assert.ok(answer.location?.startsWith(`${redirectUri}?`), answer.location);
  assert.ok(new URL(answer.location!).searchParams.get('code'));
  assert.ok(answer.session);
}

function assertInvalid(answer: Answer): void {
  assert.equal(answer.status, 401, answer.html.slice(0, 400));
  assert.match(answer.html, /Invalid username or password\./);
  assert.equal(answer.retryAfter, null);
}

/** Refused as locked: the sign-in page again, 429, Retry-After, no session, no redirect. */
function assertLocked(answer: Answer, retryAfter?: number): void {
  assert.equal(answer.status, 429, answer.html.slice(0, 400));
  assert.match(answer.html, lockedMessage);
  assert.match(answer.html, /name="password"/);
  assert.ok(answer.retryAfter && Number(answer.retryAfter) > 0, `Retry-After: ${answer.retryAfter}`);
  if (retryAfter !== undefined) assert.ok(Math.abs(Number(answer.retryAfter) - retryAfter) <= 1, `Retry-After ${answer.retryAfter}, expected ${retryAfter}`);
  assert.equal(answer.session, false);
  assert.equal(answer.location, undefined);
}

async function addUser(server: TestServer, username: string): Promise<string> {
  const id = newId();
  await server.services.store.users.create({
    id, realm: 'demo', username, email: null, passwordHash: await hashPassword(password), claims: {}, enabled: true,
  }, server.clock.now());
  return id;
}

async function failTimes(server: TestServer, username: string, times: number, from?: string): Promise<Answer> {
  let last: Answer | undefined;
  for (let i = 0; i < times; i++) last = await signIn(server, username, `wrong-${i}`, from);
  return last!;
}

async function accountCount(server: TestServer, username: string) {
  const key = accountKeys(username).user;
  return (await server.services.store.loginFailures.find('demo', [key]))[0];
}

for (const database of databases) {
  describe(`brute-force lockout of an account (${database})`, () => {
    let server: TestServer;
    before(async () => {
      server = await startServer(database, guardedRealm({ failure_factor: 3, wait_increment: 30, max_wait: 120, failure_reset_time: 600, ip_failure_limit: 1000 }));
    });
    after(async () => { await server?.close(); });

    test('failure_factor wrong passwords lock the account, and then even the right password is refused', async () => {
      await addUser(server, 'victim1');
      assertInvalid(await signIn(server, 'victim1', 'guess-1'));
      assertInvalid(await signIn(server, 'victim1', 'guess-2'));
      assertLocked(await signIn(server, 'victim1', 'guess-3'), 30);
      assertLocked(await signIn(server, 'victim1', password), 30);
    });

    test('the lockout holds whatever case the username is typed in', async () => {
      await addUser(server, 'victim2');
      await failTimes(server, 'victim2', 3);
      assertLocked(await signIn(server, ' VICTIM2 ', password));
    });

    test('an unknown username is locked after the same failures, with the same answers as a real one', async () => {
      await addUser(server, 'victim3');
      for (let i = 0; i < 2; i++) {
        const real = await signIn(server, 'victim3', `guess-${i}`);
        const unknown = await signIn(server, 'nobody-here', `guess-${i}`);
        assertInvalid(real);
        assertInvalid(unknown);
      }
      const real = await signIn(server, 'victim3', 'guess-3');
      const unknown = await signIn(server, 'nobody-here', 'guess-3');
      assertLocked(real, 30);
      assertLocked(unknown, 30);
      assert.equal(unknown.html.match(lockedMessage)?.[0], real.html.match(lockedMessage)?.[0]);
      assertLocked(await signIn(server, 'nobody-here', password), 30);
    });

    test('after the wait the right password signs in, and the next lockout is a first one again', async () => {
      await addUser(server, 'victim4');
      await failTimes(server, 'victim4', 3);
      server.clock.advance(31);
      assertSignedIn(await signIn(server, 'victim4', password));
      assert.equal(await accountCount(server, 'victim4'), undefined);
      assertLocked(await failTimes(server, 'victim4', 3), 30);
    });

    test('each lockout waits one wait_increment longer, up to max_wait', async () => {
      await addUser(server, 'victim5');
      for (const wait of [30, 60, 90, 120, 120]) {
        assertLocked(await failTimes(server, 'victim5', 3), wait);
        server.clock.advance(wait + 1);
      }
    });

    test('a successful sign-in forgets earlier failures', async () => {
      await addUser(server, 'victim6');
      await failTimes(server, 'victim6', 2);
      assertSignedIn(await signIn(server, 'victim6', password));
      assertInvalid(await signIn(server, 'victim6', 'guess-a'));
      assertInvalid(await signIn(server, 'victim6', 'guess-b'));
    });

    test('failures further apart than failure_reset_time are not consecutive', async () => {
      await addUser(server, 'victim7');
      await failTimes(server, 'victim7', 2);
      server.clock.advance(601);
      assertInvalid(await signIn(server, 'victim7', 'guess-a'));
      assertInvalid(await signIn(server, 'victim7', 'guess-b'));
      assertLocked(await signIn(server, 'victim7', 'guess-c'));
    });

    test('attempts refused during a lockout are not counted', async () => {
      await addUser(server, 'victim8');
      await failTimes(server, 'victim8', 3);
      await failTimes(server, 'victim8', 4);
      assert.equal((await accountCount(server, 'victim8'))?.failures, 3);
    });
  });

  describe(`brute-force throttling of an address (${database})`, () => {
    let server: TestServer;
    before(async () => {
      server = await startServer(database, guardedRealm({ failure_factor: 100, ip_failure_limit: 4, ip_failure_window: 600 }));
    });
    after(async () => { await server?.close(); });

    test('failures across many usernames from one address block it, even for a right password; other addresses are not', async () => {
      for (const name of ['list-1', 'list-2', 'list-3']) assertInvalid(await signIn(server, name, 'leaked', '127.0.0.2'));
      assertLocked(await signIn(server, 'list-4', 'leaked', '127.0.0.2'), 600);
      assertLocked(await signIn(server, 'alice', password, '127.0.0.2'));
      assertSignedIn(await signIn(server, 'alice', password, '127.0.0.3'));
      server.clock.advance(601);
      assertSignedIn(await signIn(server, 'alice', password, '127.0.0.2'));
    });

    test('a successful sign-in from the address does not reset its count', async () => {
      for (const name of ['list-5', 'list-6', 'list-7']) assertInvalid(await signIn(server, name, 'leaked', '127.0.0.4'));
      assertSignedIn(await signIn(server, 'bob', password, '127.0.0.4'));
      assertLocked(await signIn(server, 'list-8', 'leaked', '127.0.0.4'));
    });
  });

  describe(`brute-force counting across nodes (${database})`, () => {
    let server: TestServer;
    let second: { app: FastifyInstance; services: Services; url: string };
    before(async () => {
      server = await startServer(database, guardedRealm({ failure_factor: 1000, ip_failure_limit: 1000 }));
      const port = await freePort();
      const config = loadConfig({
        STRIX_DATABASE_URL: server.databaseUrl, STRIX_PORT: String(port), STRIX_HOST: '127.0.0.1', STRIX_MASTER_KEY: masterKey,
        STRIX_LOG_LEVEL: 'silent', STRIX_PUBLIC_URL: server.url,
      });
      const services = await createServices(config, createLogger('silent'), server.clock);
      const app = await buildApp(services);
      await app.listen({ port, host: '127.0.0.1' });
      second = { app, services, url: `http://127.0.0.1:${port}` };
    });
    after(async () => {
      await second?.app.close();
      await second?.services.store.close();
      await server?.close();
    });

    test('ten simultaneous wrong passwords on two nodes are all counted', async () => {
      await addUser(server, 'target');
      const forms = await Promise.all(Array.from({ length: 10 }, (_, i) => signInForm(server, i % 2 === 0 ? server.url : second.url)));
      const answers = await Promise.all(forms.map((attempt, i) => attempt('target', `parallel-${i}`, '127.0.0.5')));
      for (const answer of answers) assertInvalid(answer);
      const [user, address] = await Promise.all([
        accountCount(server, 'target'),
        server.services.store.loginFailures.find('demo', ['ip:127.0.0.5']).then((rows) => rows[0]),
      ]);
      assert.equal(user?.failures, 10);
      assert.equal(address?.failures, 10);
    });
  });

  describe(`permanent lockout (${database})`, () => {
    let server: TestServer;
    const run = promisify(execFile);
    const strix = (...args: string[]) => run(process.execPath, [strixCommand, ...args], {
      env: { PATH: process.env.PATH, STRIX_DATABASE_URL: server.databaseUrl, STRIX_MASTER_KEY: masterKey },
    });
    before(async () => {
      server = await startServer(database, guardedRealm({
        failure_factor: 3, wait_increment: 30, permanent_lockout: true, max_temporary_lockouts: 1, ip_failure_limit: 1000,
      }));
    });
    after(async () => { await server?.close(); });

    /** One temporary lockout, then the lockout that disables the account. */
    async function lockOutTwice(username: string): Promise<void> {
      assertLocked(await failTimes(server, username, 3), 30);
      server.clock.advance(31);
      assertLocked(await failTimes(server, username, 3), 60);
      server.clock.advance(61);
    }

    test('the lockout after max_temporary_lockouts disables the account, and `strix users unlock` enables it again', async () => {
      const id = await addUser(server, 'perm1');
      await lockOutTwice('perm1');
      assert.equal((await server.services.store.users.findById(id))?.enabled, false);
      assertInvalid(await signIn(server, 'perm1', password));
      assert.match((await strix('users', 'unlock', 'perm1', '--realm', 'demo')).stdout, /unlocked and re-enabled perm1/);
      assert.equal((await server.services.store.users.findById(id))?.enabled, true);
      assertSignedIn(await signIn(server, 'perm1', password));
    });

    test('an unknown username gets the same answers as an account that permanent lockout disables', async () => {
      await addUser(server, 'perm2');
      await lockOutTwice('perm2');
      await lockOutTwice('nobody-perm');
      assertInvalid(await signIn(server, 'perm2', password));
      assertInvalid(await signIn(server, 'nobody-perm', password));
    });

    test('unlock clears the lockout of an account an administrator disabled, but does not enable it', async () => {
      const id = await addUser(server, 'perm3');
      await server.services.store.users.setEnabled(id, false, server.clock.now());
      await lockOutTwice('perm3');
      assert.deepEqual(await unlockAccount(server.services, 'demo', 'perm3'), { reenabled: false });
      assert.equal(await accountCount(server, 'perm3'), undefined);
      assert.equal((await server.services.store.users.findById(id))?.enabled, false);
    });
  });
}
