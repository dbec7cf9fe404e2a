// Bounded interaction rows (docs/security.md "Rate limits", docs/operations.md "Bounded growth"):
// every sign-in page parks its authorization request, so each parameter has a length cap, the
// authorization endpoint is rate-limited per address, the sign-in page stores no WebAuthn challenge
// until its passkey button is pressed, and one purge run removes every expired row however many a
// flood made.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { Kysely } from 'kysely';
import { openDatabase } from '../../src/store/db.js';
import { purgeExpired } from '../../src/store/purge.js';
import type { Database } from '../../src/store/schema.js';
import { databases } from '../helpers/databases.js';
import { testRealmWith } from '../helpers/realm.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { sendFrom } from '../helpers/source-address.js';
import { authorizeUrl, isLoginPage, parseForm, UserAgent } from '../helpers/user-agent.js';

const redirectUri = 'http://127.0.0.1:3999/callback';
const request = { client_id: 'trusted', redirect_uri: redirectUri, response_type: 'code', scope: 'openid', state: 'bounds' };

// An hour's window: however slowly the loaded machine serves the flood, it stays within one window.
const allowedPerAddress = 100;
function limitedRealm() {
  return testRealmWith({ rate_limits: { authorization_per_ip: { max: allowedPerAddress, window_seconds: 3600 } } });
}

for (const database of databases) {
  describe(`bounded interaction rows (${database})`, () => {
    let server: TestServer;
    let db: Kysely<Database>;
    before(async () => { server = await startServer(database, limitedRealm()); db = (await openDatabase(server.databaseUrl)).db; });
    after(async () => { await db?.destroy(); await server?.close(); });
    beforeEach(async () => {
      await db.deleteFrom('interactions').execute();
      await db.deleteFrom('webauthn_challenges').execute();
    });

    const rows = async (table: 'interactions' | 'webauthn_challenges') =>
      Number((await db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
    const authorizeEndpoint = () => `${server.issuer()}/protocol/openid-connect/auth`;

    test('a 60 KB login_hint is refused with invalid_request at the redirect URI, and nothing is parked', async () => {
      const answer = await sendFrom(authorizeEndpoint(), { from: '127.0.0.20', form: { ...request, login_hint: 'a'.repeat(60_000) } });
      assert.equal(answer.status, 302, answer.body.slice(0, 300));
      const location = new URL(answer.location!);
      assert.equal(location.origin + location.pathname, redirectUri);
      assert.equal(location.searchParams.get('error'), 'invalid_request');
      assert.match(location.searchParams.get('error_description') ?? '', /login_hint is longer than 2048 characters/);
      assert.equal(location.searchParams.get('state'), 'bounds');
      assert.equal(await rows('interactions'), 0);
    });

    test('a state over its cap is refused and not echoed back; a login_hint at the cap still gets the sign-in page', async () => {
      const refused = await sendFrom(authorizeEndpoint(), { from: '127.0.0.20', form: { ...request, state: 's'.repeat(4097) } });
      const location = new URL(refused.location!);
      assert.equal(location.searchParams.get('error'), 'invalid_request');
      assert.equal(location.searchParams.get('state'), null);

      const page = await new UserAgent(server.url).open(authorizeUrl(server.issuer(), { ...request, login_hint: 'a'.repeat(2048) }));
      assert.ok(isLoginPage(page), page.html.slice(0, 300));
      assert.equal(await rows('interactions'), 1);
    });

    test('the sign-in page stores no WebAuthn challenge; pressing "Use a passkey" (fetching its options) stores one', async () => {
      const browser = new UserAgent(server.url);
      const page = await browser.open(authorizeUrl(server.issuer(), request));
      assert.ok(isLoginPage(page));
      assert.match(page.html, /data-webauthn-options-url="[^"]*\/login-actions\/passkey-options"/);
      assert.doesNotMatch(page.html, /data-webauthn-options="/);
      assert.equal(await rows('webauthn_challenges'), 0);

      const { fields } = parseForm(page.html);
      const options = await browser.open(`${server.issuer()}/login-actions/passkey-options`, { method: 'POST', form: { csrf: fields.csrf!, interaction: fields.interaction! } });
      assert.equal(options.status, 200, options.html.slice(0, 300));
      assert.match((JSON.parse(options.html) as { challenge: string }).challenge, /^[A-Za-z0-9_-]{20,}$/);
      assert.equal(await rows('webauthn_challenges'), 1);

      const forged = await new UserAgent(server.url).open(`${server.issuer()}/login-actions/passkey-options`, { method: 'POST', form: { csrf: 'forged', interaction: fields.interaction! } });
      assert.equal(forged.status, 403);
      assert.equal(await rows('webauthn_challenges'), 1);
    });

    test('a flood of authorization requests parks at most authorization_per_ip rows per address, and one purge run removes them all once expired', async () => {
      // A bounded flood: four addresses, each sending 120 requests (20 more than its limit), 15 at a time.
      const addresses = ['127.0.0.21', '127.0.0.22', '127.0.0.23', '127.0.0.24'];
      const statuses = new Map<number, number>();
      await Promise.all(addresses.map(async (from) => {
        for (let sent = 0; sent < allowedPerAddress + 20; sent += 15) {
          const answers = await Promise.all(Array.from({ length: 15 }, () => sendFrom(authorizeUrl(server.issuer(), request), { from })));
          for (const answer of answers) statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
        }
      }));
      assert.deepEqual([...statuses.keys()].sort(), [200, 429], JSON.stringify([...statuses]));
      assert.equal(statuses.get(429), 4 * 20);
      assert.equal(await rows('interactions'), 4 * allowedPerAddress);
      assert.equal(await rows('webauthn_challenges'), 0);

      server.clock.advance(31 * 60);   // past the 30 min an interaction lives
      const counts = await purgeExpired(server.services.store, server.clock.now(), 50);
      assert.equal(counts.interactions, 4 * allowedPerAddress);
      assert.equal(await rows('interactions'), 0);
    });
  });
}
