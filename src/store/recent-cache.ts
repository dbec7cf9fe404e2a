// A small in-process cache for hot, rarely changing rows (clients, realms, a realm's CORS origins), kept for at most `ttlMs`.
// Writes drop the entry at once on this node and, on PostgreSQL, on every node (changes.ts); the
// TTL bounds staleness when an announcement is missed, and on SQLite, where there are none across
// processes (DESIGN "Scale": changes take effect on every node within a second). Only found rows are
// cached, so lookups of made-up ids cannot grow it, and it never holds more than `maxEntries`: past
// that the least recently used entry goes (src/store/lru.ts). Concurrent misses of one key share one
// read: otherwise every request in flight when an entry expires reads the same row again.
import { Lru } from './lru.js';

export class RecentCache<V> {
  private readonly entries: Lru<string, { value: V; storedAt: number }>;
  /** Bumped by every delete: a read that started before one must not cache what it read (see set). */
  private generation = 0;
  private readonly reading = new Map<string, { generation: number; value: Promise<V | undefined> }>();

  /** `now`: milliseconds on any monotonic-enough scale (the services' clock where tests move time). */
  constructor(private readonly ttlMs: number, maxEntries = 10_000, private readonly now: () => number = () => performance.now()) {
    this.entries = new Lru(maxEntries);
  }

  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (this.now() - entry.storedAt < this.ttlMs) return entry.value;
    this.entries.delete(key);
    return undefined;
  }

  /**
   * The cached value, else what `read` finds (cached if found). A lookup joins a read already in
   * flight for the key only if nothing was deleted since it started: a lookup after a change reads anew.
   */
  async through(key: string, read: () => Promise<V | undefined>): Promise<V | undefined> {
    const cached = this.get(key);
    if (cached !== undefined) return cached;
    const pending = this.reading.get(key);
    if (pending && pending.generation === this.generation) return pending.value;
    const generation = this.generation;
    const value = read().then((found) => {
      if (found !== undefined) this.set(key, found, generation);
      return found;
    }).finally(() => {
      if (this.reading.get(key)?.value === value) this.reading.delete(key);
    });
    this.reading.set(key, { generation, value });
    return value;
  }

  /** `generation`: the value of `this.generation` when the read of `value` started. */
  set(key: string, value: V, generation = this.generation): void {
    if (generation !== this.generation) return;
    this.entries.set(key, { value, storedAt: this.now() });
  }

  delete(key: string): void {
    this.generation++;
    this.entries.delete(key);
  }

  clear(): void {
    this.generation++;
    this.entries.clear();
  }
}
