// Bounded growth (docs/operations.md): purgeExpired deletes rows no flow can use any more and keeps
// the ones that still matter: live refresh tokens, and used codes for an hour so replays are caught.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { Kysely } from 'kysely';
import { openDatabase } from '../../src/store/db.js';
import { purgeExpired } from '../../src/store/purge.js';
import type { Database } from '../../src/store/schema.js';
import { databases } from '../helpers/databases.js';
import { codeFor, redeem, token } from '../helpers/flows.js';
import { password, testRealm } from '../helpers/realm.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { authorizeUrl, endpointRequest, isLoginPage, UserAgent } from '../helpers/user-agent.js';

const hours = (n: number) => n * 3600;

for (const database of databases) {
  describe(`purging expired rows (${database})`, () => {
    let server: TestServer;
    let db: Kysely<Database>;
    before(async () => { server = await startServer(database, testRealm()); db = (await openDatabase(server.databaseUrl)).db; });
    after(async () => { await db?.destroy(); await server?.close(); });
    // Each test starts from an empty slate of flow rows, purged at a clock far past anything earlier tests made.
    beforeEach(async () => {
      server.clock.advance(hours(24 * 400));
      for (const table of ['authorization_codes', 'interactions', 'sessions', 'refresh_tokens', 'grants', 'login_failures'] as const) {
        await db.deleteFrom(table).execute();
      }
    });

    const rows = async (table: keyof Database) => Number((await db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
    const purge = () => purgeExpired(server.services.store, server.clock.now());
    const offlineCode = () => codeFor(server, new UserAgent(server.url), { client: 'trusted', scope: 'openid offline_access' });
    const grantIdOf = (accessToken: string) => JSON.parse(Buffer.from(accessToken.split('.')[1]!, 'base64url').toString()).gid as string;

    test('spent codes, abandoned sign-ins, old sessions and rotated refresh tokens are purged; a live refresh token keeps working', async () => {
      const code = await offlineCode();
      const first = await redeem(server, 'trusted', code);
      assert.equal(first.status, 200, JSON.stringify(first.body));
      const rotated = await token(server, 'trusted', { grant_type: 'refresh_token', refresh_token: first.body.refresh_token });
      assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
      const abandoned = await new UserAgent(server.url).open(authorizeUrl(server.issuer(), {
        client_id: 'trusted', redirect_uri: 'http://127.0.0.1:3999/callback', response_type: 'code', scope: 'openid',
      }));
      assert.ok(isLoginPage(abandoned));
      assert.equal(await rows('interactions'), 1);

      server.clock.advance(hours(35));   // past the session's 10 h maximum plus a day; the offline token idles 30 days
      const counts = await purge();

      assert.equal(counts.authorization_codes, 1);
      assert.equal(counts.interactions, 1);
      assert.equal(counts.sessions, 1);
      assert.equal(counts.refresh_tokens, 1);
      assert.equal(counts.grants, 0);
      assert.equal(await server.services.store.authorizationCodes.find(code.code), undefined);
      assert.equal(await server.services.store.refreshTokens.find(first.body.refresh_token), undefined);
      assert.equal(await rows('grants'), 1);
      const again = await token(server, 'trusted', { grant_type: 'refresh_token', refresh_token: rotated.body.refresh_token });
      assert.equal(again.status, 200, JSON.stringify(again.body));
    });

    test('a code replayed within the hour after its use is still detected after a purge, and revokes the grant', async () => {
      const code = await offlineCode();
      const first = await redeem(server, 'trusted', code);
      assert.equal(first.status, 200, JSON.stringify(first.body));
      server.clock.advance(hours(0.5));
      const counts = await purge();
      assert.equal(counts.authorization_codes, 0);

      const replay = await redeem(server, 'trusted', code);
      assert.equal(replay.status, 400);
      assert.equal(replay.body.error, 'invalid_grant');
      const refresh = await token(server, 'trusted', { grant_type: 'refresh_token', refresh_token: first.body.refresh_token });
      assert.equal(refresh.status, 400);
      assert.equal(refresh.body.error, 'invalid_grant');
    });

    test('a revoked grant goes a day after the revocation, not before; its expired refresh token as soon as it is dead', async () => {
      const code = await codeFor(server, new UserAgent(server.url), { client: 'trusted', scope: 'openid' });
      const first = await redeem(server, 'trusted', code);
      assert.equal(first.status, 200, JSON.stringify(first.body));
      const grantId = grantIdOf(first.body.access_token);
      assert.equal((await redeem(server, 'trusted', code)).status, 400);   // the replay revokes the grant

      server.clock.advance(hours(23));   // the refresh token has expired (30 min idle) and its grant is revoked
      const early = await purge();
      assert.equal(early.refresh_tokens, 1);
      assert.equal(early.grants, 0);
      assert.ok(await server.services.store.grants.get(grantId));

      server.clock.advance(hours(2));
      assert.equal((await purge()).grants, 1);
      assert.equal(await server.services.store.grants.get(grantId), undefined);
    });

    test('sign-in failure counters are kept for a day, then purged', async () => {
      const browser = new UserAgent(server.url);
      const login = await browser.open(authorizeUrl(server.issuer(), {
        client_id: 'trusted', redirect_uri: 'http://127.0.0.1:3999/callback', response_type: 'code', scope: 'openid',
      }));
      const failed = await browser.signIn(login, 'bob', `not ${password}`);
      assert.equal(failed.status, 401);
      const counters = await rows('login_failures');
      assert.ok(counters > 0);

      server.clock.advance(hours(13));   // past failure_reset_time (12 h), within the day
      assert.equal((await purge()).login_failures, 0);
      server.clock.advance(hours(12));
      assert.equal((await purge()).login_failures, counters);
      assert.equal(await rows('login_failures'), 0);
    });

    test('used client assertion ids are forgotten once the assertion has expired', async () => {
      const now = server.clock.now();
      const assertion = { realm: 'demo', clientId: 'web', jti: 'jti-1', expiresAt: now + 60_000 };
      assert.equal(await server.services.store.clientAssertions.useOnce(assertion, now), true);
      assert.equal((await purge()).client_assertion_jtis, 0);
      server.clock.advance(61);
      assert.equal((await purge()).client_assertion_jtis, 1);
      assert.equal(await rows('client_assertion_jtis'), 0);
    });

    test('used DPoP proof ids are forgotten once the proof is past its acceptance window', async () => {
      const now = server.clock.now();
      assert.equal(await server.services.store.dpopProofs.useOnce({ jkt: 'jkt-1', jti: 'jti-1', expiresAt: now + 61_000 }, now), true);
      assert.equal((await purge()).dpop_proof_jtis, 0);
      server.clock.advance(62);
      assert.equal((await purge()).dpop_proof_jtis, 1);
      assert.equal(await rows('dpop_proof_jtis'), 0);
    });

    test('REV-08: the record of a revoked client_credentials access token is purged once the token has expired, not before', async () => {
      const service = { id: 'service', secret: 'service-secret' };
      const issued = await token(server, 'service', { grant_type: 'client_credentials', scope: 'api:read' });
      assert.equal(issued.status, 200, JSON.stringify(issued.body));
      assert.equal((await endpointRequest(server.issuer(), 'revoke', { token: issued.body.access_token }, service)).status, 200);
      assert.equal(await rows('revoked_access_tokens'), 1);
      const active = async () => (await endpointRequest(server.issuer(), 'token/introspect', { token: issued.body.access_token }, service)).body.active;
      assert.equal(await active(), false);

      server.clock.advance(issued.body.expires_in - 1);   // still unexpired: the record must stay
      assert.equal((await purge()).revoked_access_tokens, 0);
      assert.equal(await active(), false);
      server.clock.advance(62);   // expired, plus the minute allowed for other nodes' clocks
      assert.equal((await purge()).revoked_access_tokens, 1);
      assert.equal(await rows('revoked_access_tokens'), 0);
    });

    test('a purge deletes in batches until no expired row is left', async () => {
      const now = server.clock.now();
      for (let i = 0; i < 5; i++) {
        await server.services.store.authorizationCodes.issue({
          grantId: `g${i}`, realm: 'demo', clientId: 'web', redirectUri: null, codeChallenge: null, codeChallengeMethod: null, expiresAt: now,
        });
      }
      server.clock.advance(hours(2));
      assert.equal((await purgeExpired(server.services.store, server.clock.now(), 2)).authorization_codes, 5);
      assert.equal(await rows('authorization_codes'), 0);
    });
  });
}
