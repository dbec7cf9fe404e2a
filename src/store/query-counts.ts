// How much this process asks of its database: statements sent (reads and writes apart) and, on
// SQLite, commits (one per turn of the event loop that wrote: src/store/sqlite-group-commit.ts) and
// statements prepared (parsed and planned; once per SQL text while the statement cache holds it).
// /metrics exports them; divided by the requests answered they give the database load per flow
// (docs/operations.md "Sizing").
import type { LogEvent } from 'kysely';

export const queryCounts = { reads: 0, writes: 0, commits: 0, prepares: 0 };

/** Kysely's `log` option: called once per statement. */
export function countStatement(event: LogEvent): void {
  if (/^\s*(select|with|pragma)\b/i.test(event.query.sql)) queryCounts.reads++;
  else queryCounts.writes++;
}
