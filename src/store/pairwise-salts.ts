// The secret salt of each realm's pairwise subject identifiers (OIDC Core §8.1), stored sealed.
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

export function pairwiseSaltsRepository(db: Kysely<Database>) {
  return {
    /**
     * The realm's sealed salt, storing `candidate` first if the realm has none. Several nodes may
     * race to create it; all of them get the one that was stored first.
     */
    async ensure(realm: string, candidate: string, now: number): Promise<string> {
      await db.insertInto('pairwise_salts').values({ realm, salt_sealed: candidate, created_at: now })
        .onConflict((oc) => oc.column('realm').doNothing()).execute();
      const row = await db.selectFrom('pairwise_salts').select('salt_sealed').where('realm', '=', realm).executeTakeFirstOrThrow();
      return row.salt_sealed;
    },
  };
}
export type PairwiseSaltsRepository = ReturnType<typeof pairwiseSaltsRepository>;
