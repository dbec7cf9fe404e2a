// Realm roles: names that users hold and that tokens carry in the `roles` claim.
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

export function rolesRepository(db: Kysely<Database>) {
  return {
    async ensure(realm: string, names: string[]): Promise<void> {
      for (const name of names) {
        await db.insertInto('roles').values({ realm, name, description: null })
          .onConflict((oc) => oc.columns(['realm', 'name']).doNothing()).execute();
      }
    },
    async list(realm: string): Promise<string[]> {
      return (await db.selectFrom('roles').select('name').where('realm', '=', realm).orderBy('name').execute()).map((r) => r.name);
    },
  };
}
export type RolesRepository = ReturnType<typeof rolesRepository>;
