// Remembered consent: the scopes a user allowed a client, so the consent page is shown once per scope set.
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

export function consentsRepository(db: Kysely<Database>) {
  return {
    async grantedScopes(userId: string, clientId: string): Promise<Set<string>> {
      const row = await db.selectFrom('consents').select('scope').where('user_id', '=', userId).where('client_id', '=', clientId).executeTakeFirst();
      return new Set(row ? row.scope.split(' ').filter(Boolean) : []);
    },
    async remember(realm: string, userId: string, clientId: string, scopes: Iterable<string>, now: number): Promise<void> {
      const scope = [...new Set(scopes)].sort().join(' ');
      await db.insertInto('consents').values({ realm, user_id: userId, client_id: clientId, scope, updated_at: now })
        .onConflict((oc) => oc.columns(['user_id', 'client_id']).doUpdateSet({ scope, updated_at: now })).execute();
    },
  };
}
export type ConsentsRepository = ReturnType<typeof consentsRepository>;
