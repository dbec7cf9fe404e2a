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
    /** The clients a user consented to in a realm, with the scopes allowed (the account page's list). */
    async forUser(realm: string, userId: string): Promise<{ clientId: string; scopes: string[] }[]> {
      const rows = await db.selectFrom('consents').select(['client_id', 'scope']).where('realm', '=', realm).where('user_id', '=', userId).orderBy('client_id').execute();
      return rows.map((r) => ({ clientId: r.client_id, scopes: r.scope.split(' ').filter(Boolean) }));
    },
    /** Forgets a user's consent to a client; the scopes it allowed, or undefined when there was none. */
    async forget(realm: string, userId: string, clientId: string): Promise<string[] | undefined> {
      const row = await db.deleteFrom('consents').where('realm', '=', realm).where('user_id', '=', userId).where('client_id', '=', clientId)
        .returning('scope').executeTakeFirst();
      return row ? row.scope.split(' ').filter(Boolean) : undefined;
    },
  };
}
export type ConsentsRepository = ReturnType<typeof consentsRepository>;
