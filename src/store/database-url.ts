// The file a `sqlite:` database URL names (`sqlite:./data/strix.db`, `sqlite:///abs/path.db`).

/** `sqlite:./data/strix.db`, `sqlite:///abs/path.db` or `sqlite::memory:` → the path better-sqlite3 opens. */
export function sqlitePath(databaseUrl: string): string {
  const rest = databaseUrl.slice('sqlite:'.length);
  return rest.startsWith('//') ? rest.slice(2) : rest;
}
