// Grants, users and access-token revocations are kept in memory between reads on SQLite
// (src/store/read-cache.ts). What a user of the store must never see is an old answer: a change made
// by this process, by another process on the same file (a worker, the CLI), or undone by a rollback
// is seen by the very next read (rollbacks: test/operations/sqlite-group-commit.test.ts).
import assert from 'node:assert/strict';
import { setImmediate } from 'node:timers/promises';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import SQLite from 'better-sqlite3';
import { openStore, type Store } from '../../src/store/index.js';
import { defaultRealmSettings } from '../../src/store/realms.js';
import { testClock } from '../helpers/server.js';

describe('cached reads on SQLite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'strix-read-cache-'));
  const path = join(dir, 'strix.db');
  const clock = testClock();
  let store: Store;
  /** Another connection to the same file, as another worker process or the CLI would have. */
  let other: SQLite.Database;
  let grantId: string;

  before(async () => {
    store = await openStore(`sqlite:${path}`);
    await store.realms.upsert({ name: 'demo', displayName: 'Demo', settings: defaultRealmSettings }, clock.now());
    await store.users.create({
      id: 'u1', realm: 'demo', username: 'alice', email: 'alice@example.com', passwordHash: null, claims: { name: 'Alice' }, enabled: true,
    }, clock.now());
    const grant = await store.grants.create({
      realm: 'demo', clientId: 'web', userId: 'u1', sessionId: null, scope: 'openid', authTime: clock.now(), amr: ['pwd'],
      acr: null, nonce: null, claims: { userinfo: { email: null } }, offline: false, expiresAt: clock.now() + 3_600_000,
    }, clock.now());
    grantId = grant.id;
    other = new SQLite(path);
    other.pragma('busy_timeout = 5000');
  });
  after(async () => {
    other.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a repeated read is answered from memory with a frozen value nobody can change', async () => {
    const first = await store.grants.get(grantId);
    const second = await store.grants.get(grantId);
    assert.equal(second, first, 'the same object: no query was made');
    assert.ok(Object.isFrozen(first) && Object.isFrozen(first!.amr) && Object.isFrozen(first!.claims!.userinfo));
    assert.throws(() => { (first!.amr as string[]).push('otp'); }, TypeError);
  });

  test('a revocation by this process is seen by the next read', async () => {
    assert.equal((await store.grants.get(grantId))!.revoked, false);
    await store.grants.revoke(grantId, clock.now());
    assert.equal((await store.grants.get(grantId))!.revoked, true);
  });

  // A request reaches this process through a callback of the event loop: one look at the database's
  // version serves the reads of one callback, so a commit elsewhere is seen from the next one on
  // (`setImmediate` here stands for the next request), never later.
  test('a change committed by another process is seen by the next read', async () => {
    assert.equal((await store.users.findById('u1'))!.enabled, true);
    assert.deepEqual((await store.users.findById('u1'))!.roles, []);
    other.prepare('update users set enabled = 0 where id = ?').run('u1');
    await setImmediate();
    assert.equal((await store.users.findById('u1'))!.enabled, false);
    other.prepare('insert into user_roles (user_id, role) values (?, ?)').run('u1', 'admin');
    await setImmediate();
    assert.deepEqual((await store.users.findById('u1'))!.roles, ['admin']);

    assert.equal(await store.revokedAccessTokens.isRevoked('jti-1'), false);
    other.prepare('insert into revoked_access_tokens (jti, expires_at) values (?, ?)').run('jti-1', clock.now() + 60_000);
    await setImmediate();
    assert.equal(await store.revokedAccessTokens.isRevoked('jti-1'), true);
  });
});
