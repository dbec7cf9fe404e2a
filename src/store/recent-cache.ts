// A small in-process cache for hot, rarely changing rows (clients), kept for at most `ttlMs`.
// Writes on this node drop the entry at once; other nodes' writes are seen within `ttlMs`
// (DESIGN "Scale": changes take effect on every node within a second). Only found rows are
// cached, so lookups of made-up ids cannot grow it, and it never holds more than `maxEntries`.
export class RecentCache<V> {
  private readonly entries = new Map<string, { value: V; storedAt: number }>();

  constructor(private readonly ttlMs: number, private readonly maxEntries = 10_000) {}

  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (performance.now() - entry.storedAt < this.ttlMs) return entry.value;
    this.entries.delete(key);
    return undefined;
  }

  set(key: string, value: V): void {
    if (this.entries.size >= this.maxEntries) this.entries.clear();
    this.entries.set(key, { value, storedAt: performance.now() });
  }

  delete(key: string): void {
    this.entries.delete(key);
  }
}
