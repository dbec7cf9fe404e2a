// Password hashing as a denial-of-service lever (docs/security.md "Brute-force protection"): a
// locked attempt costs no argon2id hash, the line of waiting password checks is bounded (503 with
// Retry-After beyond it), and a realm-wide failure budget refuses addresses that keep failing when
// many attack at once, while a user from a clean address still signs in. The last test measures
// a legitimate user's sign-in time while 200 loopback addresses attack (printed, not asserted).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { maxWaitingVerifications } from '../../src/identity/passwords.js';
import type { BruteForceSettings } from '../../src/store/realms.js';
import { databases } from '../helpers/databases.js';
import { password, testRealmWith } from '../helpers/realm.js';
import { sendFrom, type Answer } from '../helpers/source-address.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { authorizeUrl, isLoginPage, parseForm, UserAgent } from '../helpers/user-agent.js';

const lockedMessage = /Too many failed attempts\. This account is temporarily locked; try again in a few minutes\./;

function realmWith(bruteForce: Partial<BruteForceSettings>) {
  const legacy = {
    client_id: 'legacy', client_secret: 'legacy-secret', grant_types: ['password'], token_endpoint_auth_method: 'client_secret_basic', scope: 'openid',
  };
  // Request rate limits are not what these tests attack: one address may post as often as it likes.
  return testRealmWith({ clients: [legacy], brute_force: bruteForce, rate_limits: { enabled: false } });
}

/** A fresh sign-in page: returns a function that posts it from a chosen loopback address. */
async function signInForm(server: TestServer) {
  const browser = new UserAgent(server.url);
  const page = await browser.open(authorizeUrl(server.issuer(), {
    client_id: 'trusted', redirect_uri: 'http://127.0.0.1:3999/callback', response_type: 'code', scope: 'openid', state: 'load',
  }));
  assert.ok(isLoginPage(page), page.html.slice(0, 300));
  const form = parseForm(page.html);
  const cookie = [...browser.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  const action = new URL(form.action, page.url).href;
  return (username: string, pw: string, from: string): Promise<Answer> =>
    sendFrom(action, { from, form: { ...form.fields, username, password: pw }, headers: { cookie, accept: 'text/html' } });
}

async function passwordChecks(server: TestServer): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return Number(/^strix_password_checks_total\{outcome="run"\} (\d+)$/m.exec(text)?.[1] ?? 0);
}

/** 127.0.{block}.{n}: a distinct loopback address per attacker. */
const address = (block: number, n: number) => `127.0.${block}.${n}`;

for (const database of databases) {
  describe(`sign-in under load (${database})`, () => {
    let server: TestServer;
    before(async () => {
      server = await startServer(database, realmWith({ failure_factor: 3, ip_failure_limit: 1000, realm_failure_limit: 10, realm_failure_window: 60 }));
    });
    after(async () => { await server?.close(); });

    test('attempts on a locked account get the same 429 page and run no password check', async () => {
      const post = await signInForm(server);
      for (let i = 0; i < 3; i++) assert.equal((await post('bob', `wrong-${i}`, '127.0.0.1')).status, i < 2 ? 401 : 429);
      const before = await passwordChecks(server);
      for (let i = 0; i < 5; i++) {
        const refused = await post('bob', i === 4 ? password : `again-${i}`, '127.0.0.1');
        assert.equal(refused.status, 429);
        assert.match(refused.body, lockedMessage);
      }
      assert.equal(await passwordChecks(server), before);
    });

    test('past realm_failure_limit failures across the realm, addresses that failed are refused unhashed until the window ends; a clean address still signs in', async () => {
      // bob's lockout above counted 3 of the realm's 10; eight more addresses fail once each.
      const post = await signInForm(server);
      for (let n = 1; n <= 8; n++) assert.equal((await post(`nobody-${n}`, 'guess', address(2, n))).status, 401);
      const before = await passwordChecks(server);
      const refused = await post('carol', 'guess', address(2, 1));
      assert.equal(refused.status, 429);
      assert.match(refused.body, lockedMessage);
      assert.ok(Number(refused.retryAfter) >= 1 && Number(refused.retryAfter) <= 60, `Retry-After: ${refused.retryAfter}`);
      assert.equal(await passwordChecks(server), before);

      const clean = await (await signInForm(server))('alice', password, address(2, 99));
      assert.equal(clean.status, 303, clean.body.slice(0, 300));
      assert.match(clean.location ?? '', /[?&]code=/);
    });
  });

  describe(`the line of waiting password checks (${database})`, () => {
    let server: TestServer;
    before(async () => { server = await startServer(database, realmWith({ ip_failure_limit: 1000, realm_failure_limit: 100_000 })); });
    after(async () => { await server?.close(); });

    test('simultaneous sign-ins beyond the line are answered 503 with Retry-After at once, never 500; the others are checked', async () => {
      const post = await signInForm(server);
      const flood = maxWaitingVerifications * 3;
      const answers = await Promise.all(Array.from({ length: flood }, (_, i) => post(`nobody-${i}`, 'guess', address(3, 1 + (i % 250)))));
      const statuses = answers.map((a) => a.status);
      assert.ok(statuses.every((status) => status === 401 || status === 503), JSON.stringify(statuses));
      const busy = answers.filter((a) => a.status === 503);
      assert.ok(busy.length > 0, 'some attempts found the line full');
      assert.ok(statuses.filter((status) => status === 401).length >= maxWaitingVerifications, 'a full line of attempts was checked');
      for (const answer of busy) {
        assert.equal(answer.retryAfter, '1');
        assert.match(answer.body, /Temporarily unavailable/);
      }
    });

    test('the password grant beyond the line gets 503 temporarily_unavailable with Retry-After, never 500', async () => {
      const basic = `Basic ${Buffer.from('legacy:legacy-secret').toString('base64')}`;
      const answers = await Promise.all(Array.from({ length: maxWaitingVerifications * 3 }, (_, i) => sendFrom(`${server.issuer()}/protocol/openid-connect/token`, {
        from: address(5, 1 + (i % 250)), form: { grant_type: 'password', username: `nobody-${i}`, password: 'guess' }, headers: { authorization: basic },
      })));
      const errors = answers.map((a) => `${a.status} ${(JSON.parse(a.body) as { error: string }).error}`);
      assert.ok(errors.every((e) => e === '400 invalid_grant' || e === '503 temporarily_unavailable'), JSON.stringify(errors));
      const busy = answers.filter((a) => a.status === 503);
      assert.ok(busy.length > 0, 'some requests found the line full');
      for (const answer of busy) assert.equal(answer.retryAfter, '1');
    });
  });

  describe(`a legitimate sign-in while 200 addresses attack (${database})`, () => {
    let server: TestServer;
    before(async () => { server = await startServer(database, realmWith({})); });
    after(async () => { await server?.close(); });

    test('the user signs in (or is told 503, retry in 1 s) while 200 addresses guess passwords; the time each sign-in took is printed', async () => {
      const attack = await signInForm(server);
      const attackerAnswers = new Map<number, number>();
      let attacking = true;
      // Bounded: 200 addresses, 5 guesses each, one at a time per address.
      const attackers = Array.from({ length: 200 }, async (_, n) => {
        for (let i = 0; i < 5; i++) {
          const answer = await attack(`victim-${n % 20}`, `guess-${i}`, address(4, n + 1));
          attackerAnswers.set(answer.status, (attackerAnswers.get(answer.status) ?? 0) + 1);
        }
      });
      const all = Promise.all(attackers).finally(() => { attacking = false; });
      const timings: number[] = [];
      const outcomes: number[] = [];
      while (attacking && timings.length < 20) {
        const post = await signInForm(server);
        const started = performance.now();
        const answer = await post('alice', password, '127.0.0.99');
        timings.push(performance.now() - started);
        outcomes.push(answer.status);
        assert.ok(answer.status === 303 || answer.status === 503, `${answer.status}: ${answer.body.slice(0, 200)}`);
      }
      await all;
      assert.ok([...attackerAnswers.keys()].every((status) => [401, 429, 503].includes(status)), JSON.stringify([...attackerAnswers]));
      const sorted = [...timings].sort((a, b) => a - b);
      const at = (q: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!);
      console.log(`[sign-in under attack, ${database}] legitimate sign-ins: ${timings.length}, signed in: ${outcomes.filter((s) => s === 303).length}, `
        + `503: ${outcomes.filter((s) => s === 503).length}; latency median ${at(0.5)} ms, p90 ${at(0.9)} ms, max ${at(1)} ms; `
        + `attacker answers ${JSON.stringify(Object.fromEntries(attackerAnswers))}`);
      assert.ok(outcomes.includes(303), 'the user signed in at least once during the attack');
    });
  });
}
