// Sign-in failure counters for brute-force protection. Every change is one atomic statement
// (an upsert or an UPDATE … SET n = n + 1), never read-modify-write, so nodes sharing the database
// cannot lose each other's counts.
import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.js';

export interface FailureCount { failures: number; lockouts: number; firstFailureAt: number }

export interface FailureRecord extends FailureCount {
  key: string;
  lastFailureAt: number;
  lockedUntil: number | null;
  disabledByLockout: boolean;
}

/**
 * When a new failure starts the count again instead of adding to it: `idle` when the last failure
 * is older than `before` (consecutive failures), `window` when the first one is (a fixed window).
 */
export interface Restart { when: 'idle' | 'window'; before: number }

export function loginFailuresRepository(db: Kysely<Database>) {
  const row = (realm: string, key: string) => db.updateTable('login_failures').where('realm', '=', realm).where('key', '=', key);
  return {
    async find(realm: string, keys: string[]): Promise<FailureRecord[]> {
      const rows = await db.selectFrom('login_failures').selectAll().where('realm', '=', realm).where('key', 'in', keys).execute();
      return rows.map((r) => ({
        key: r.key, failures: r.failures, lockouts: r.lockouts, firstFailureAt: r.first_failure_at,
        lastFailureAt: r.last_failure_at, lockedUntil: r.locked_until, disabledByLockout: r.disabled_by_lockout === 1,
      }));
    },
    /** Adds one failure and returns the counts after it. A restart also forgets earlier lockouts. */
    async countFailure(realm: string, key: string, now: number, restart: Restart): Promise<FailureCount> {
      const column = restart.when === 'idle' ? 'last_failure_at' : 'first_failure_at';
      const stale = sql`${sql.ref(`login_failures.${column}`)} <= ${restart.before}`;
      const result = await db.insertInto('login_failures')
        .values({ realm, key, failures: 1, lockouts: 0, first_failure_at: now, last_failure_at: now, locked_until: null, disabled_by_lockout: 0 })
        .onConflict((oc) => oc.columns(['realm', 'key']).doUpdateSet({
          failures: sql`case when ${stale} then 1 else login_failures.failures + 1 end`,
          lockouts: sql`case when ${stale} then 0 else login_failures.lockouts end`,
          first_failure_at: sql`case when ${stale} then cast(${now} as bigint) else login_failures.first_failure_at end`,
          last_failure_at: now,
        }))
        .returning(['failures', 'lockouts', 'first_failure_at'])
        .executeTakeFirstOrThrow();
      return { failures: result.failures, lockouts: result.lockouts, firstFailureAt: result.first_failure_at };
    },
    /** Counts one more lockout and returns how many there have been. */
    async addLockout(realm: string, key: string): Promise<number> {
      const result = await row(realm, key).set({ lockouts: sql`lockouts + 1` }).returning('lockouts').executeTakeFirst();
      return result?.lockouts ?? 0;
    },
    /** Locks until `until`; a lock already running longer is kept. */
    async lockUntil(realm: string, key: string, until: number): Promise<void> {
      await row(realm, key)
        .set({ locked_until: sql`case when locked_until is null or locked_until < ${until} then cast(${until} as bigint) else locked_until end` })
        .execute();
    },
    /** Remembers that the lockout (not an administrator) disabled the account, so unlocking may enable it again. */
    async markDisabledByLockout(realm: string, key: string): Promise<void> {
      await row(realm, key).set({ disabled_by_lockout: 1 }).execute();
    },
    async clear(realm: string, keys: string[]): Promise<void> {
      await db.deleteFrom('login_failures').where('realm', '=', realm).where('key', 'in', keys).execute();
    },
    /** Deletes `key` and every key starting with `prefix`; true when one of them had disabled the account. */
    async clearAccount(realm: string, key: string, prefix: string): Promise<boolean> {
      const deleted = await db.deleteFrom('login_failures').where('realm', '=', realm)
        .where((eb) => eb.or([eb('key', '=', key), eb(sql`substr(key, 1, ${sql.lit(prefix.length)})`, '=', prefix)]))
        .returning('disabled_by_lockout').execute();
      return deleted.some((r) => r.disabled_by_lockout === 1);
    },
  };
}
export type LoginFailuresRepository = ReturnType<typeof loginFailuresRepository>;
