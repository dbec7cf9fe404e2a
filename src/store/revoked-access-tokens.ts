// Access tokens revoked on their own (RFC 7009): those that stem from no grant, i.e.
// client_credentials tokens, whose revocation cannot go through a grant. Each is kept by its jti
// until it expires (src/store/purge.ts); issuing a token writes nothing here.
import type { Kysely } from 'kysely';
import type { ReadCache } from './read-cache.js';
import type { Database } from './schema.js';

export function revokedAccessTokensRepository(db: Kysely<Database>, reads: ReadCache) {
  return {
    /** Idempotent: revoking a token twice keeps one record. `expiresAt` (ms) is the token's exp. */
    async revoke(jti: string, expiresAt: number): Promise<void> {
      await db.insertInto('revoked_access_tokens').values({ jti, expires_at: expiresAt })
        .onConflict((oc) => oc.column('jti').doNothing())
        .execute();
    },
    async isRevoked(jti: string): Promise<boolean> {
      return reads.read(`revoked ${jti}`, async () =>
        (await db.selectFrom('revoked_access_tokens').select('jti').where('jti', '=', jti).executeTakeFirst()) !== undefined);
    },
  };
}
export type RevokedAccessTokensRepository = ReturnType<typeof revokedAccessTokensRepository>;
