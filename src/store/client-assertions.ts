// Client assertion ids already used (RFC 7523 §3 item 7): a JWT client assertion is accepted
// once, on whichever node sees it first; its id is remembered until the assertion expires.
import type { Kysely } from 'kysely';
import { sha256 } from '../runtime.js';
import type { Database } from './schema.js';

export interface UsedAssertion { realm: string; clientId: string; jti: string; expiresAt: number }

export function clientAssertionsRepository(db: Kysely<Database>) {
  return {
    /**
     * Records the assertion's jti; true for exactly one caller per (client, jti) however many
     * race, false for a replay. The primary key, not a read-then-write, decides the winner.
     */
    async useOnce(a: UsedAssertion, now: number): Promise<boolean> {
      // Expired ids can no longer be replayed (their assertions are rejected as expired), so they are
      // dropped here; the index on expires_at keeps this cheap and the table small without a sweeper.
      await db.deleteFrom('client_assertion_jtis').where('expires_at', '<=', now).execute();
      const result = await db.insertInto('client_assertion_jtis')
        .values({ hash: sha256(JSON.stringify([a.realm, a.clientId, a.jti])), expires_at: a.expiresAt })
        .onConflict((oc) => oc.column('hash').doNothing())
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
    },
  };
}
export type ClientAssertionsRepository = ReturnType<typeof clientAssertionsRepository>;
