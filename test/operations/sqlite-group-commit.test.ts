// SQLite group commit (src/store/sqlite-group-commit.ts): the writes of one event-loop turn share a
// commit, and commits share the log's fsync, yet each caller is answered only once its write is
// committed and on disk, and one caller's failure or rollback never takes another's write with it.
import assert from 'node:assert/strict';
import { setImmediate, setTimeout } from 'node:timers/promises';
import fs, { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import SQLite from 'better-sqlite3';
import { Kysely, sql } from 'kysely';
import { GroupCommitSqliteDialect } from '../../src/store/sqlite-group-commit.js';
import { eventually } from '../helpers/eventually.js';

interface Tables { items: { id: number; name: string } }

const dir = mkdtempSync(join(tmpdir(), 'strix-group-commit-'));
const path = join(dir, 'test.db');
let dialect: GroupCommitSqliteDialect;
let db: Kysely<Tables>;
/** A second, independent connection: it sees only what is committed. */
let observer: SQLite.Database;

before(async () => {
  dialect = new GroupCommitSqliteDialect(path, () => {
    const database = new SQLite(path);
    database.pragma('journal_mode = WAL');
    database.pragma('synchronous = FULL');
    return database;
  });
  db = new Kysely<Tables>({ dialect });
  await sql`create table items (id integer primary key, name text not null unique)`.execute(db);
  observer = new SQLite(path, { readonly: true });
});

after(async () => {
  observer.close();
  await db.destroy();
  rmSync(dir, { recursive: true, force: true });
});

const committed = (id: number): boolean => observer.prepare('select 1 from items where id = ?').get(id) !== undefined;

test('a write is answered only after its commit; until then only this process sees it', async () => {
  let answered = false;
  const pending = db.insertInto('items').values({ id: 500, name: 'pending' }).execute().then(() => { answered = true; });
  // This read queues behind the insert, in the same turn of the event loop, before the commit.
  const seenHere = await db.selectFrom('items').select('name').where('id', '=', 500).executeTakeFirst();
  assert.deepEqual(seenHere, { name: 'pending' });
  assert.equal(committed(500), false, 'another connection does not see it yet');
  assert.equal(answered, false, 'the writer has not been answered yet');
  await pending;
  assert.ok(committed(500));
});

/** Runs `body` with every fsync of this process replaced by `fsync` (the group commit's import of it too). */
async function withFsync(fsync: (fd: number, done: (error: NodeJS.ErrnoException | null) => void) => void, body: () => Promise<void>): Promise<void> {
  const real = fs.fsync;
  fs.fsync = fsync as typeof fs.fsync;
  syncBuiltinESMExports();
  try {
    await body();
  } finally {
    fs.fsync = real;
    syncBuiltinESMExports();
  }
}

test('a write is answered only once the log is on disk; the fsync runs off the event loop, one at a time', async () => {
  const held: Array<() => void> = [];
  const waiting = (): number => held.length;
  const real = fs.fsync;
  await withFsync((fd, done) => { held.push(() => real(fd, done)); }, async () => {
    let firstAnswered = false;
    const first = db.insertInto('items').values({ id: 600, name: 'synced' }).execute().then(() => { firstAnswered = true; });
    await eventually(() => waiting() > 0 || undefined, 'an fsync of the log');
    assert.ok(committed(600), 'the fsync begins after the commit');
    // The event loop serves other requests while the disk works.
    assert.deepEqual(await db.selectFrom('items').select('name').where('id', '=', 600).executeTakeFirst(), { name: 'synced' });

    let secondAnswered = false;
    const second = db.insertInto('items').values({ id: 601, name: 'synced-later' }).execute().then(() => { secondAnswered = true; });
    await eventually(() => committed(601) || undefined, 'the second commit');
    await setTimeout(20);
    assert.equal(firstAnswered, false, 'not answered before its fsync has returned');
    assert.equal(waiting(), 1, 'the second commit waits for the fsync under way instead of starting its own');

    held.shift()!();
    await first;
    assert.equal(secondAnswered, false, 'committed while the first fsync ran, so not covered by it');
    await eventually(() => waiting() > 0 || undefined, 'the next fsync');
    held.shift()!();
    await second;
  });
});

test('a failed fsync reaches the writers it would have made durable, and the next write works', async () => {
  await withFsync((_fd, done) => { process.nextTick(done, Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' })); }, async () => {
    await assert.rejects(db.insertInto('items').values({ id: 700, name: 'not-durable' }).execute(), /EIO/);
  });
  await db.insertInto('items').values({ id: 701, name: 'durable' }).execute();
  assert.ok(committed(701));
});

test('a database reached through a symbolic link has its log synced off the event loop too', async () => {
  const link = join(dir, 'link.db');
  symlinkSync(path, link);
  const linked = new Kysely<Tables>({ dialect: new GroupCommitSqliteDialect(link, () => {
    const database = new SQLite(link);
    database.pragma('journal_mode = WAL');
    return database;
  }) });
  let syncs = 0;
  const real = fs.fsync;
  try {
    await withFsync((fd, done) => { syncs++; real(fd, done); }, async () => {
      await linked.insertInto('items').values({ id: 800, name: 'through-a-link' }).execute();
    });
    assert.ok(committed(800));
    assert.equal(syncs, 1, 'SQLite names the log after the file the link points to');
  } finally {
    await linked.destroy();
  }
});

test('each of many concurrent writes is committed when its caller hears back', async () => {
  await Promise.all(Array.from({ length: 200 }, async (_, i) => {
    const id = 1000 + i;
    await db.insertInto('items').values({ id, name: `item-${id}` }).execute();
    assert.ok(committed(id), `item ${id} is committed when its insert resolves`);
  }));
});

test('a transaction that fails is rolled back alone; the writes beside it commit', async () => {
  const results = await Promise.allSettled([
    db.insertInto('items').values({ id: 1, name: 'kept-1' }).execute(),
    db.transaction().execute(async (tx) => {
      await tx.insertInto('items').values({ id: 2, name: 'undone' }).execute();
      throw new Error('the caller gives up');
    }),
    db.transaction().execute(async (tx) => {
      await tx.insertInto('items').values({ id: 3, name: 'kept-3' }).execute();
      await tx.updateTable('items').set({ name: 'kept-3b' }).where('id', '=', 3).execute();
    }),
  ]);
  assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
  assert.ok(committed(1));
  assert.ok(!committed(2), 'the failed transaction left nothing behind');
  assert.equal((observer.prepare('select name from items where id = 3').get() as { name: string }).name, 'kept-3b');
});

test('a statement that violates a constraint fails alone', async () => {
  const results = await Promise.allSettled([
    db.insertInto('items').values({ id: 10, name: 'unique-name' }).execute(),
    db.insertInto('items').values({ id: 11, name: 'unique-name' }).execute(),
    db.insertInto('items').values({ id: 12, name: 'other-name' }).execute(),
  ]);
  assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
  assert.ok(committed(10) && !committed(11) && committed(12));
});

test('INSERT … RETURNING is a write: it waits for the commit too', async () => {
  const pending = db.insertInto('items').values({ id: 20, name: 'returned' }).returning('id').executeTakeFirstOrThrow();
  assert.ok(!committed(20));
  assert.deepEqual(await pending, { id: 20 });
  assert.ok(committed(20));
});

test('stores opened twice on one file in one process share the connection, so their writes never wait for each other', async () => {
  const twin = new Kysely<Tables>({ dialect: new GroupCommitSqliteDialect(path, () => { throw new Error('a second connection was opened'); }) });
  try {
    await Promise.all([
      db.insertInto('items').values({ id: 40, name: 'from-the-first' }).execute(),
      twin.insertInto('items').values({ id: 41, name: 'from-the-twin' }).execute(),
    ]);
    assert.ok(committed(40) && committed(41));
  } finally {
    // Closing one leaves the other working.
    await twin.destroy();
  }
  await db.insertInto('items').values({ id: 42, name: 'after-the-twin' }).execute();
  assert.ok(committed(42));
});

test('reads do not wait for a commit and see the data committed before them', async () => {
  await db.insertInto('items').values({ id: 30, name: 'read-me' }).execute();
  const row = await db.selectFrom('items').select('name').where('id', '=', 30).executeTakeFirst();
  assert.deepEqual(row, { name: 'read-me' });
});

test('the data version moves with every write, rollback and commit of another connection, and with nothing else', async () => {
  await db.insertInto('items').values({ id: 9000, name: 'versioned' }).execute();
  const start = dialect.dataVersion();
  await db.selectFrom('items').selectAll().execute();
  assert.equal(dialect.dataVersion(), start, 'reads change nothing');

  await db.updateTable('items').set({ name: 'renamed' }).where('id', '=', 9000).execute();
  const afterWrite = dialect.dataVersion();
  assert.notEqual(afterWrite, start);

  // A rollback undoes a write that a read in this process may have seen (and a cache kept).
  let insideTransaction = Number.NaN;
  await assert.rejects(db.transaction().execute(async (tx) => {
    await tx.updateTable('items').set({ name: 'undone' }).where('id', '=', 9000).execute();
    insideTransaction = dialect.dataVersion();
    throw new Error('roll back');
  }), /roll back/);
  assert.notEqual(insideTransaction, afterWrite);
  const afterRollback = dialect.dataVersion();
  assert.notEqual(afterRollback, insideTransaction);

  const other = new SQLite(path);
  try {
    other.pragma('busy_timeout = 5000');
    other.prepare('update items set name = ? where id = ?').run('from elsewhere', 9000);
  } finally {
    other.close();
  }
  // Another process's commit is seen from the event loop's next callback on (one look serves the reads of one callback).
  await setImmediate();
  assert.notEqual(dialect.dataVersion(), afterRollback, 'another connection committed');
  const settled = dialect.dataVersion();
  assert.equal(dialect.dataVersion(), settled);

  // A write that fails may take the shared transaction down with it: what was read may be gone.
  await assert.rejects(db.insertInto('items').values({ id: 9000, name: 'duplicate id' }).execute(), /UNIQUE|PRIMARY/);
  assert.notEqual(dialect.dataVersion(), settled);
});
