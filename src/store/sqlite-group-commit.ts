// SQLite with group commit. A durable commit waits for an fsync, and better-sqlite3 runs on the event
// loop's thread: one commit per request would cap every endpoint that writes at the disk's fsync
// rate, whatever the CPU could do. Here, the writes of all requests handled in one turn of the event
// loop share one transaction, and the commits of many turns share one fsync:
//
// - the first write opens the shared transaction (BEGIN IMMEDIATE) and schedules its commit for the
//   end of the turn (setImmediate);
// - a Kysely transaction runs inside it as a SAVEPOINT, so its rollback undoes its own work only;
// - the COMMIT itself only writes the log (WAL with synchronous=NORMAL); the log is then fsynced on
//   libuv's thread pool (LogSync), so the event loop goes on serving requests meanwhile. That is
//   SQLite's synchronous=FULL in WAL mode, whose only difference from NORMAL is that fsync of the
//   log after each commit, moved off the event loop;
// - whoever wrote is answered only after an fsync that began after its COMMIT has returned: a
//   caller never hears "done" for a write that is not durable, so a crash, of the process or of the
//   machine, loses nothing that was acknowledged;
// - if the commit or the fsync fails, or SQLite drops the transaction on an I/O error, every caller
//   of that group gets the error.
//
// Reads within the process may see writes of the open group before they are committed. Nothing
// that depends on them can leave the process before the commit, since the writers' own requests are
// still waiting for it. Other processes see the group when it is committed, as with any transaction,
// which may be up to one fsync before it is durable: only a crash of the machine in that window
// could undo what another process read (never what was acknowledged to the writer).
import { closeSync, fsync, openSync } from 'node:fs';
import { resolve } from 'node:path';
import type Database from 'better-sqlite3';
import { queryCounts } from './query-counts.js';
import {
  CompiledQuery, SqliteAdapter, SqliteIntrospector, SqliteQueryCompiler,
  type DatabaseConnection, type Dialect, type Driver, type Kysely, type QueryResult,
} from 'kysely';

/** A lock for the one connection (Kysely's own SQLite driver does the same). */
class Mutex {
  #held: Promise<void> | undefined;
  #release: (() => void) | undefined;
  async lock(): Promise<void> {
    while (this.#held) await this.#held;
    this.#held = new Promise((resolve) => { this.#release = resolve; });
  }
  unlock(): void {
    const release = this.#release;
    this.#held = undefined;
    this.#release = undefined;
    release?.();
  }
}

let unopened = 0;

const droppedByError = 'SQLite ended the transaction after an error; its writes were not committed';

/** One shared transaction: settled when it is committed, or rejected when it is not. */
class Generation {
  readonly committed: Promise<void>;
  #resolve!: () => void;
  #reject!: (error: unknown) => void;
  constructor() {
    this.committed = new Promise((resolve, reject) => { this.#resolve = resolve; this.#reject = reject; });
    // Nobody may be waiting (the writer's request failed first): not an unhandled rejection.
    this.committed.catch(() => {});
  }
  /** Durable, or (with an error) not committed or not synced. */
  settle(error?: unknown): void {
    if (error === undefined) this.#resolve();
    else this.#reject(error);
  }
}

/**
 * A number that changes whenever what this process reads may have changed: with each of its own
 * writes and rollbacks, and with each commit of another process (SQLite's `data_version`, which a
 * connection sees change when any other connection commits). A cache of reads stays valid while the
 * number stays the same (src/store/read-cache.ts).
 *
 * A second, coarser number (`announcements`) changes only with another process's commit and with an
 * announcement of a change to cached rows by a store of this process (src/store/changes.ts), not with
 * this process's other writes: the caches' change counters can only have moved then, so a code flow,
 * which writes on every request, does not re-read them on every request.
 */
export class DataVersion {
  #value = 0;
  #announcements = 0;
  #external: unknown;
  readonly #dataVersion: Database.Statement;
  constructor(db: Database.Database) {
    this.#dataVersion = db.prepare('pragma data_version').pluck();
  }
  changed(): void {
    this.#value++;
  }
  announced(): void {
    this.#announcements++;
  }
  current(): number {
    this.#look();
    return this.#value;
  }
  announcements(): number {
    this.#look();
    return this.#announcements;
  }
  /**
   * Another process's commit reaches this process's requests only through I/O, and each callback from
   * the event loop ends by running the queued ticks: so one look serves every read until then (a
   * request's client, grant, user and revocation reads, three or four looks before), and a request
   * that arrives after the commit, in a later callback, looks again. 11% of introspection's CPU went
   * to repeated looks (docs/performance.md).
   */
  #looked = false;
  readonly #forget = (): void => { this.#looked = false; };
  #look(): void {
    if (this.#looked) return;
    this.#looked = true;
    process.nextTick(this.#forget);
    const external = this.#dataVersion.get();
    if (external !== this.#external) {
      this.#external = external;
      this.#value++;
      this.#announcements++;
    }
  }
}

/**
 * Makes committed transactions durable off the event loop: one fsync of the write-ahead log at a
 * time, on libuv's thread pool; the commits made while one runs wait for the next, which covers them
 * all. Linux's fsync flushes the file, whichever descriptor names it, so this one (kept until the
 * connection is closed) flushes what SQLite wrote through its own.
 */
class LogSync {
  #running = false;
  #waiting: Generation[] = [];
  #idle: (() => void) | undefined;

  private constructor(private readonly fd: number) {}

  /**
   * For a connection in WAL mode on a file; undefined otherwise (then COMMIT must sync by itself).
   * The log is named after the file as SQLite resolved it (through symbolic links), and a read
   * makes SQLite create it if need be.
   */
  static open(db: Database.Database): LogSync | undefined {
    if (db.pragma('journal_mode', { simple: true }) !== 'wal') return undefined;
    db.pragma('schema_version');
    const file = (db.pragma('database_list') as Array<{ name: string; file: string }>).find((entry) => entry.name === 'main')?.file;
    if (!file) return undefined;
    try {
      return new LogSync(openSync(`${file}-wal`, 'r'));
    } catch {
      return undefined;
    }
  }

  /** `generation` is committed; it settles once the log is on disk. */
  after(generation: Generation): void {
    this.#waiting.push(generation);
    if (!this.#running) this.#start();
  }

  #start(): void {
    const batch = this.#waiting;
    this.#waiting = [];
    this.#running = true;
    fsync(this.fd, (error) => this.#done(batch, error ?? undefined));
  }

  #done(batch: Generation[], error: unknown): void {
    this.#running = false;
    for (const generation of batch) generation.settle(error);
    if (this.#waiting.length > 0) this.#start();
    else this.#idle?.();
  }

  /** Waits for the fsyncs under way, then lets go of the log (after the connection is closed). */
  async close(): Promise<void> {
    while (this.#running) await new Promise<void>((resolve) => { this.#idle = resolve; });
    this.#idle = undefined;
    closeSync(this.fd);
  }
}

/** The shared transaction, opened by the first write of a turn and committed at its end. */
class Group {
  #open: Generation | undefined;
  #scheduled = false;

  /** `sync`: the log's fsync after each commit; without it, COMMIT itself is durable (or nothing is: :memory:). */
  constructor(
    private readonly db: Database.Database, private readonly mutex: Mutex, private readonly version: DataVersion,
    private readonly sync: LogSync | undefined,
  ) {}

  /** The open shared transaction, opened now if need be, for a write or a savepoint. */
  join(): Generation {
    if (this.#open && !this.db.inTransaction) this.end(new Error(droppedByError));
    if (this.#open) return this.#open;
    this.db.exec('BEGIN IMMEDIATE');
    this.#open = new Generation();
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => { void this.commitWhenFree(); });
    }
    return this.#open;
  }

  /** Commits at the next moment no caller holds the connection (a Kysely transaction may be mid-way). */
  async commitWhenFree(): Promise<void> {
    await this.mutex.lock();
    try {
      this.commitNow();
    } finally {
      this.mutex.unlock();
    }
  }

  /** The caller holds the connection, outside any savepoint. */
  commitNow(): void {
    this.#scheduled = false;
    if (!this.#open) return;
    if (!this.db.inTransaction) return this.end(new Error(droppedByError));
    try {
      this.db.exec('COMMIT');
      queryCounts.commits++;
    } catch (error) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      return this.end(error);
    }
    if (!this.sync) return this.end();
    this.sync.after(this.#open);
    this.#open = undefined;
  }

  private end(error?: unknown): void {
    const generation = this.#open!;
    this.#open = undefined;
    // Rolled back: whatever was read of its writes is gone.
    if (error !== undefined) this.version.changed();
    generation.settle(error);
  }
}

/**
 * Prepared statements by SQL text. Kysely sends the same few dozen parameterised statements over
 * and over, and preparing one (parsing and planning it) costs more than running it: a statement
 * left out of this cache is prepared on every use (the user-with-roles query, 2,161 characters since
 * client roles, was: 16% of a code flow's CPU). Only very long texts (large multi-row inserts, whose
 * text depends on the row count) are not kept; the oldest goes first.
 */
class Statements {
  readonly #cache = new Map<string, Database.Statement>();
  constructor(private readonly db: Database.Database) {}
  get(sql: string): Database.Statement {
    const cached = this.#cache.get(sql);
    if (cached) return cached;
    const statement = this.db.prepare(sql);
    queryCounts.prepares++;
    if (sql.length <= maxCachedSql) {
      if (this.#cache.size >= maxCachedStatements) this.#cache.delete(this.#cache.keys().next().value!);
      this.#cache.set(sql, statement);
    }
    return statement;
  }
}
const maxCachedStatements = 500;
const maxCachedSql = 16_000;

/** One use of the connection, from acquire to release: it remembers whether it wrote. */
class Lease implements DatabaseConnection {
  /** The shared transactions this use wrote in (more than one only if SQLite dropped one meanwhile). */
  readonly wrote = new Set<Generation>();
  #savepoints = 0;

  constructor(
    private readonly db: Database.Database, private readonly group: Group, private readonly statements: Statements,
    private readonly version: DataVersion,
  ) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const statement = this.statements.get(query.sql);
    // `readonly`, not `reader`: an INSERT … RETURNING returns rows and writes.
    if (!statement.readonly) {
      this.wrote.add(this.group.join());
      this.version.changed();
    }
    try {
      if (statement.reader) return { rows: statement.all(query.parameters) as R[] };
      const { changes, lastInsertRowid } = statement.run(query.parameters);
      return { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] };
    } catch (error) {
      // A failed write may have made SQLite roll back the whole shared transaction, and with it
      // writes that reads in this process have already seen.
      if (!statement.readonly) this.version.changed();
      throw error;
    }
  }

  async *streamQuery<R>(query: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    const statement = this.db.prepare(query.sql);
    if (!statement.reader) throw new Error('only SELECT queries can be streamed');
    for (const row of statement.iterate(query.parameters)) yield { rows: [row as R] };
  }

  begin(): void {
    this.wrote.add(this.group.join());
    this.db.exec(`SAVEPOINT s${++this.#savepoints}`);
  }

  release(): void {
    this.db.exec(`RELEASE s${this.#savepoints--}`);
  }

  rollback(): void {
    const name = `s${this.#savepoints--}`;
    this.version.changed();
    // An error may already have ended the whole transaction; the group then reports it to its writers.
    if (!this.db.inTransaction) return;
    this.db.exec(`ROLLBACK TO ${name}`);
    this.db.exec(`RELEASE ${name}`);
  }
}

/**
 * One connection per database file and process, shared by every store opened on it: two
 * connections of one process would wait for each other's write lock on the event loop's thread,
 * which is a deadlock, since the lock is only given up on a later turn of that same loop.
 */
interface Shared {
  db: Database.Database; mutex: Mutex; group: Group; statements: Statements; version: DataVersion; sync: LogSync | undefined; users: number;
}
const sharedFiles = new Map<string, Shared>();

class GroupCommitDriver implements Driver {
  #shared: Shared | undefined;

  constructor(private readonly file: string | undefined, private readonly open: () => Database.Database) {}

  async init(): Promise<void> {
    let shared = this.file === undefined ? undefined : sharedFiles.get(this.file);
    if (!shared) {
      const db = this.open();
      const mutex = new Mutex();
      const version = new DataVersion(db);
      const sync = LogSync.open(db);
      // Durable all the same: LogSync does the fsync that FULL would do on the event loop.
      db.pragma(`synchronous = ${sync ? 'NORMAL' : 'FULL'}`);
      shared = { db, mutex, group: new Group(db, mutex, version, sync), statements: new Statements(db), version, sync, users: 0 };
      if (this.file !== undefined) sharedFiles.set(this.file, shared);
    }
    shared.users++;
    this.#shared = shared;
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const { db, mutex, group, statements, version } = this.#shared!;
    await mutex.lock();
    return new Lease(db, group, statements, version);
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    (connection as Lease).begin();
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    (connection as Lease).release();
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    (connection as Lease).rollback();
  }

  /** Frees the connection at once, then waits, if this use wrote, until the group is committed. */
  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    const written = [...(connection as Lease).wrote];
    this.#shared!.mutex.unlock();
    for (const generation of written) await generation.committed;
  }

  /** Undefined until the first query has opened the connection, and after it is closed. */
  get version(): DataVersion | undefined {
    return this.#shared?.version;
  }

  async destroy(): Promise<void> {
    const shared = this.#shared;
    if (!shared) return;
    this.#shared = undefined;
    await shared.mutex.lock();
    try {
      shared.group.commitNow();
      if (--shared.users > 0) return;
      if (this.file !== undefined) sharedFiles.delete(this.file);
      shared.db.close();
      await shared.sync?.close();
    } finally {
      shared.mutex.unlock();
    }
  }
}

/** `open` opens and sets up the connection; it is called only if this process has none to the file yet. */
export class GroupCommitSqliteDialect implements Dialect {
  private readonly file: string | undefined;
  constructor(path: string, private readonly open: () => Database.Database) {
    this.file = path === ':memory:' ? undefined : resolve(path);
  }
  #driver: GroupCommitDriver | undefined;
  createDriver(): Driver { return this.#driver = new GroupCommitDriver(this.file, this.open); }
  /** See DataVersion; a fresh number each time while the connection is not open, so that nothing is cached then. */
  dataVersion(): number {
    return this.#driver?.version?.current() ?? --unopened;
  }
  /** See DataVersion.announcements. */
  announcementVersion(): number {
    return this.#driver?.version?.announcements() ?? --unopened;
  }
  /** A store of this process changed the caches' change counters (after the write). */
  announced(): void {
    this.#driver?.version?.announced();
  }
  createQueryCompiler() { return new SqliteQueryCompiler(); }
  createAdapter() { return new SqliteAdapter(); }
  createIntrospector(db: Kysely<any>) { return new SqliteIntrospector(db); }
}
