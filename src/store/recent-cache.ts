// A small in-process cache for hot, rarely changing rows (clients), kept for at most `ttlMs`.
// Writes drop the entry at once on this node and, on PostgreSQL, on every node (changes.ts); the
// TTL bounds staleness when an announcement is missed, and on SQLite, where there are none across
// processes (DESIGN "Scale": changes take effect on every node within a second). Only found rows are
// cached, so lookups of made-up ids cannot grow it, and it never holds more than `maxEntries`: past
// that the least recently used entry goes (src/store/lru.ts).
import { Lru } from './lru.js';

export class RecentCache<V> {
  private readonly entries: Lru<string, { value: V; storedAt: number }>;
  /** Bumped by every delete: a read that started before one must not cache what it read (see set). */
  generation = 0;

  constructor(private readonly ttlMs: number, maxEntries = 10_000) {
    this.entries = new Lru(maxEntries);
  }

  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (performance.now() - entry.storedAt < this.ttlMs) return entry.value;
    this.entries.delete(key);
    return undefined;
  }

  /** `generation`: the value of `this.generation` when the read of `value` started. */
  set(key: string, value: V, generation = this.generation): void {
    if (generation !== this.generation) return;
    this.entries.set(key, { value, storedAt: performance.now() });
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
