// Rows read on every request and rarely written (a grant, a user, a revocation), kept in memory for
// as long as the database is known not to have changed at all since they were read. On SQLite that
// is exact: the data version changes with every write of this process and every commit of another
// (src/store/sqlite-group-commit.ts), so a revocation, a disabled user or a new role is seen by the
// very next read, on every worker. The check costs a fraction of the query it saves. PostgreSQL
// has no such cheap signal, so nothing is kept there.

/** A number that differs whenever the database may have changed since it was last taken. */
export type VersionSource = () => number;

export interface ReadCache {
  /** `load`'s value for `key`, from memory if nothing can have changed since it was loaded. The value is frozen: it is shared. */
  read<T>(key: string, load: () => Promise<T>): Promise<T>;
}

const maxEntries = 10_000;

export const noReadCache: ReadCache = { read: (_key, load) => load() };

export function readCache(version: VersionSource): ReadCache {
  const entries = new Map<string, unknown>();
  let validAt = Number.NaN;
  return {
    async read<T>(key: string, load: () => Promise<T>): Promise<T> {
      const now = version();
      if (now !== validAt) {
        entries.clear();
        validAt = now;
      } else if (entries.has(key)) {
        return entries.get(key) as T;
      }
      const value = deepFreeze(await load());
      // Only if nothing was written meanwhile; otherwise the value may be older than the version says.
      if (validAt === now) {
        if (entries.size >= maxEntries) entries.delete(entries.keys().next().value!);
        entries.set(key, value);
      }
      return value;
    },
  };
}

function deepFreeze<T>(value: T): T {
  // Typed arrays cannot be frozen; nothing cached holds one, and one would stay mutable.
  if (typeof value === 'object' && value !== null && !ArrayBuffer.isView(value) && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}
