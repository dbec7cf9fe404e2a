// Opens the database named by STRIX_DATABASE_URL: SQLite (WAL, durable commits) or PostgreSQL.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect } from 'kysely';
import { GroupCommitSqliteDialect } from './sqlite-group-commit.js';
import { sqlitePath } from './database-url.js';
import type { VersionSource } from './read-cache.js';
import type { Database } from './schema.js';
import { countStatement } from './query-counts.js';

export type Dialect = 'sqlite' | 'postgres';

/** Connection counts of a PostgreSQL pool (for metrics). */
export interface PoolStats { total: number; idle: number; waiting: number }

export interface OpenedDatabase {
  db: Kysely<Database>;
  dialect: Dialect;
  poolStats?: () => PoolStats;
  /** PostgreSQL: a new client outside the pool (for LISTEN, which holds its connection). */
  dedicatedClient?: () => import('pg').Client;
  /** SQLite: changes whenever the database may have changed (src/store/read-cache.ts). */
  dataVersion?: VersionSource;
  /** SQLite: when the caches' change counters may have moved (src/store/changes.ts). */
  announcements?: Announcements;
}

/** SQLite: `version` changes with another process's commit and after each `announced()` of a store of this process. */
export interface Announcements { version: VersionSource; announced(): void }

export async function openDatabase(databaseUrl: string): Promise<OpenedDatabase> {
  if (databaseUrl.startsWith('sqlite:')) {
    const path = sqlitePath(databaseUrl);
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    const dialect = new GroupCommitSqliteDialect(path, () => {
      const database = new SQLite(path);
      database.pragma('journal_mode = WAL');
      database.pragma('foreign_keys = ON');
      database.pragma('busy_timeout = 5000');
      return database;
    });
    return { db: new Kysely<Database>({ dialect, log: countStatement }), dialect: 'sqlite',
      dataVersion: () => dialect.dataVersion(), announcements: { version: () => dialect.announcementVersion(), announced: () => dialect.announced() } };
  }
  // Loaded only when used: the SQLite default starts faster without it.
  const { default: pg } = await import('pg');
  // int8 columns (epoch milliseconds) come back as numbers; they stay far below 2^53.
  pg.types.setTypeParser(20, (value: string) => Number(value));
  // Bounded waits, so that an unreachable database turns into quick 503s rather than hung requests:
  // 3 s to get a connection (new or from the pool), 5 s for a query to answer (client side, for a
  // connection that went silent), and the same limit on the server's side.
  const pool = new pg.Pool({
    connectionString: databaseUrl, max: 10, connectionTimeoutMillis: 3000, query_timeout: 5000, statement_timeout: 5000, keepAlive: true,
  });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', () => {});
  const poolStats = () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount });
  const dedicatedClient = () => new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5000, keepAlive: true });
  return { db: new Kysely<Database>({ dialect: new PostgresDialect({ pool }), log: countStatement }), dialect: 'postgres', poolStats, dedicatedClient };
}

/** Errors that mean "the database cannot be reached or is overloaded right now", not "this request is wrong". */
const unavailableCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN',
  '57P01', '57P02', '57P03', '53300', '57014', 'SQLITE_BUSY', 'SQLITE_BUSY_SNAPSHOT', 'SQLITE_LOCKED']);
const unavailableMessages = /Connection terminated|timeout exceeded when trying to connect|Query read timeout|Connection ended unexpectedly|Client has encountered a connection error|connect ECONNREFUSED/i;

export function isDatabaseUnavailable(error: unknown): boolean {
  for (let e = error, depth = 0; e instanceof Error && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (unavailableCodes.has(code) || /^08/.test(code))) return true;
    if (unavailableMessages.test(e.message)) return true;
    if (e instanceof AggregateError && e.errors.some((inner) => isDatabaseUnavailable(inner))) return true;
  }
  return false;
}
