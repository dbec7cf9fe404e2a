// Previous password hashes of a user, so a password policy can refuse reusing one.
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

export function passwordHistoryRepository(db: Kysely<Database>) {
  return {
    async recent(userId: string, count: number): Promise<string[]> {
      if (count <= 0) return [];
      const rows = await db.selectFrom('password_history').select('password_hash').where('user_id', '=', userId)
        .orderBy('created_at', 'desc').limit(count).execute();
      return rows.map((r) => r.password_hash);
    },
    /** Remembers a replaced hash and forgets all but the newest `keep`. */
    async remember(userId: string, passwordHash: string, keep: number, now: number): Promise<void> {
      if (keep <= 0) return;
      await db.insertInto('password_history').values({ user_id: userId, password_hash: passwordHash, created_at: now }).execute();
      const stale = await db.selectFrom('password_history').select('created_at').where('user_id', '=', userId)
        .orderBy('created_at', 'desc').offset(keep).limit(1).executeTakeFirst();
      if (stale) await db.deleteFrom('password_history').where('user_id', '=', userId).where('created_at', '<=', stale.created_at).execute();
    },
  };
}
export type PasswordHistoryRepository = ReturnType<typeof passwordHistoryRepository>;
