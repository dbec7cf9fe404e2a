// Which account at an upstream identity provider is which user (src/identity/brokering.ts): one row
// per (realm, provider alias, subject at the provider), removed with the user.
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

export interface UserIdentity { realm: string; provider: string; subject: string; userId: string; email: string | null; createdAt: number }

export function userIdentitiesRepository(db: Kysely<Database>) {
  const toIdentity = (row: Database['user_identities']): UserIdentity => ({
    realm: row.realm, provider: row.provider, subject: row.subject, userId: row.user_id, email: row.email, createdAt: row.created_at,
  });
  return {
    async find(realm: string, provider: string, subject: string): Promise<UserIdentity | undefined> {
      const row = await db.selectFrom('user_identities').selectAll().where('realm', '=', realm).where('provider', '=', provider)
        .where('subject', '=', subject).executeTakeFirst();
      return row && toIdentity(row);
    },
    async forUser(userId: string): Promise<UserIdentity[]> {
      const rows = await db.selectFrom('user_identities').selectAll().where('user_id', '=', userId).orderBy('provider').execute();
      return rows.map(toIdentity);
    },
    /** Links the account; false when that account is linked already (to this user or another). */
    async link(i: Omit<UserIdentity, 'createdAt'>, now: number): Promise<boolean> {
      const result = await db.insertInto('user_identities').values({
        realm: i.realm, provider: i.provider, subject: i.subject, user_id: i.userId, email: i.email, created_at: now, tokens: null,
      }).onConflict((oc) => oc.doNothing()).executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
    },
    /** Keeps the provider's latest tokens (sealed by the caller) on the user's link, or forgets them (null). */
    async setTokens(userId: string, provider: string, sealedTokens: string | null): Promise<void> {
      await db.updateTable('user_identities').set({ tokens: sealedTokens }).where('user_id', '=', userId).where('provider', '=', provider).execute();
    },
    /** The sealed tokens kept on the user's link with the provider, if any. */
    async tokens(userId: string, provider: string): Promise<string | undefined> {
      const row = await db.selectFrom('user_identities').select('tokens').where('user_id', '=', userId).where('provider', '=', provider).executeTakeFirst();
      return row?.tokens ?? undefined;
    },
    async unlink(userId: string, provider: string): Promise<boolean> {
      const result = await db.deleteFrom('user_identities').where('user_id', '=', userId).where('provider', '=', provider).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },
  };
}
export type UserIdentitiesRepository = ReturnType<typeof userIdentitiesRepository>;
