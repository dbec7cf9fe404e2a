// DPoP proof ids already used (RFC 9449 §11.1): a proof is accepted once, on whichever node sees it
// first; its id is remembered until the proof's iat falls out of the acceptance window.
import type { Kysely } from 'kysely';
import { sha256 } from '../runtime.js';
import type { Database } from './schema.js';

export interface UsedProof { jkt: string; jti: string; expiresAt: number }

export function dpopProofsRepository(db: Kysely<Database>) {
  return {
    /** Records the proof's jti for its key; true for exactly one caller however many race, false for a replay. */
    async useOnce(p: UsedProof, now: number): Promise<boolean> {
      // A proof whose window has passed is refused as stale, so its id can go (the index keeps this cheap).
      await db.deleteFrom('dpop_proof_jtis').where('expires_at', '<=', now).execute();
      const result = await db.insertInto('dpop_proof_jtis')
        .values({ hash: sha256(JSON.stringify([p.jkt, p.jti])), expires_at: p.expiresAt })
        .onConflict((oc) => oc.column('hash').doNothing())
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
    },
  };
}
export type DpopProofsRepository = ReturnType<typeof dpopProofsRepository>;
