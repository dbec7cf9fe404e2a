// Cache invalidation across processes. A write to a cached row (a client, a realm's settings, a
// realm's signing keys) is announced; every listener in this process drops its copy at once, and on
// PostgreSQL every other node does too, through LISTEN/NOTIFY on one dedicated connection per node
// that reconnects by itself (a lost notification is bounded by the caches' short TTLs). SQLite has
// no such channel: an announcement bumps the topic's counter in the database, and every process
// (workers, the CLI) compares the counters before it reads a cached client whenever another process
// has committed or a store of this process has announced something since its last look; this
// process's other writes (grants, codes, sessions: every request of a code flow) do not count.
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type pg from 'pg';
import type { Announcements } from './db.js';
import type { Database } from './schema.js';

export type CachedTopic = 'client' | 'realm' | 'keys';
/** `key` undefined: drop everything of that topic (after a reconnection, notifications may have been missed). */
export type ChangeListener = (key: string | undefined) => void;

export interface Changes {
  /** Drops this process's copies now, and tells the other nodes. Never throws: the TTL is the safety net. */
  announce(topic: CachedTopic, key: string): Promise<void>;
  on(topic: CachedTopic, listener: ChangeListener): void;
  /** Catches up with other processes' announcements that were not pushed here (SQLite); called before reading a cache. */
  poll(): Promise<void>;
  /** Starts receiving other nodes' announcements (PostgreSQL); resolves once listening or after the first failed attempt. */
  listen(): Promise<void>;
  close(): Promise<void>;
}

const channel = 'strix_cache';
const firstRetryMs = 250;
const maxRetryMs = 10_000;

export function localChanges(): Changes & { emit(topic: CachedTopic, key: string | undefined): void } {
  const listeners = new Map<CachedTopic, Set<ChangeListener>>();
  const emit = (topic: CachedTopic, key: string | undefined) => {
    for (const listener of listeners.get(topic) ?? []) listener(key);
  };
  return {
    emit,
    async announce(topic, key) { emit(topic, key); },
    on(topic, listener) {
      if (!listeners.has(topic)) listeners.set(topic, new Set());
      listeners.get(topic)!.add(listener);
    },
    async poll() {},
    async listen() {},
    async close() { listeners.clear(); },
  };
}

/** PostgreSQL: NOTIFY through the pool, LISTEN on a dedicated client. */
export function postgresChanges(db: Kysely<Database>, connect: () => pg.Client, onError: (error: Error) => void): Changes {
  const local = localChanges();
  const topics: CachedTopic[] = ['client', 'realm', 'keys'];
  let client: pg.Client | undefined;
  let closed = false;
  let retryMs = firstRetryMs;
  let retry: NodeJS.Timeout | undefined;
  let started: Promise<void> | undefined;

  const reconnectLater = () => {
    if (closed || retry) return;
    retry = setTimeout(() => { retry = undefined; void attach(); }, retryMs);
    retry.unref();
    retryMs = Math.min(maxRetryMs, retryMs * 2);
  };
  const attach = async (): Promise<void> => {
    const next = connect();
    client = next;
    next.on('error', (error) => { onError(error); next.end().catch(() => {}); });
    next.on('end', () => {
      if (client === next) client = undefined;
      reconnectLater();
    });
    next.on('notification', (message) => {
      if (message.channel !== channel || !message.payload) return;
      try {
        const { topic, key } = JSON.parse(message.payload) as { topic: CachedTopic; key: string };
        local.emit(topic, key);
      } catch { /* not ours */ }
    });
    try {
      await next.connect();
      await next.query(`listen ${channel}`);
      retryMs = firstRetryMs;
      // Whatever changed while this node was not listening is unknown: start from the database again.
      for (const topic of topics) local.emit(topic, undefined);
    } catch (error) {
      onError(error as Error);
      next.end().catch(() => {});
      if (client === next) client = undefined;
      reconnectLater();
    }
  };
  return {
    async announce(topic, key) {
      local.emit(topic, key);
      try {
        await sql`select pg_notify(${channel}, ${JSON.stringify({ topic, key })})`.execute(db);
      } catch (error) {
        onError(error as Error);
      }
    },
    on: local.on,
    poll: local.poll,
    listen() {
      started ??= attach();
      return started;
    },
    async close() {
      closed = true;
      clearTimeout(retry);
      await client?.end().catch(() => {});
      await local.close();
    },
  };
}

/**
 * SQLite: announce bumps the topic's counter; poll reads the counters only when another process
 * committed or a store of this process announced since the last look (one pragma, no query,
 * otherwise), and drops everything of each topic whose counter moved (someone else changed it).
 */
export function sqliteChanges(db: Kysely<Database>, announcements: Announcements, onError: (error: Error) => void): Changes {
  const local = localChanges();
  const seen = new Map<string, number>();
  let lookedAt = Number.NaN;
  return {
    async announce(topic, key) {
      local.emit(topic, key);
      try {
        const bumped = await db.updateTable('cache_changes').set({ counter: sql`counter + 1` }).where('topic', '=', topic)
          .returning('counter').executeTakeFirst();
        // Nobody else moved the counter meanwhile: this process already dropped what it had to.
        if (bumped && seen.get(topic) === bumped.counter - 1) seen.set(topic, bumped.counter);
        // After the write: another store of this process that looks now reads the new counter.
        announcements.announced();
      } catch (error) {
        onError(error as Error);
      }
    },
    on: local.on,
    async poll() {
      const now = announcements.version();
      if (now === lookedAt) return;
      const counters = await db.selectFrom('cache_changes').select(['topic', 'counter']).execute();
      for (const { topic, counter } of counters) {
        const before = seen.get(topic);
        seen.set(topic, counter);
        if (before !== undefined && before !== counter) local.emit(topic as CachedTopic, undefined);
      }
      lookedAt = now;
    },
    listen: local.listen,
    close: local.close,
  };
}
