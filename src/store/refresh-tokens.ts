// Refresh tokens (RFC 6749 §6, RFC 9700 §4.14.2): opaque, hash-stored, rotated on every use.
import type { Kysely } from 'kysely';
import { randomToken, sha256 } from '../runtime.js';
import type { Database } from './schema.js';

export interface FoundRefreshToken {
  grantId: string; issuedAt: number; expiresAt: number; used: boolean;
  /** RFC 9449 §5: refreshing needs a DPoP proof with this key thumbprint. */
  dpopJkt: string | null;
}

export function refreshTokensRepository(db: Kysely<Database>) {
  return {
    async issue(grantId: string, expiresAt: number, now: number, dpopJkt: string | null = null): Promise<string> {
      const token = randomToken();
      await db.insertInto('refresh_tokens').values({ hash: sha256(token), grant_id: grantId, created_at: now, expires_at: expiresAt, used_at: null, dpop_jkt: dpopJkt }).execute();
      return token;
    },
    async find(token: string): Promise<FoundRefreshToken | undefined> {
      const row = await db.selectFrom('refresh_tokens').selectAll().where('hash', '=', sha256(token)).executeTakeFirst();
      return row && { grantId: row.grant_id, issuedAt: row.created_at, expiresAt: row.expires_at, used: row.used_at !== null, dpopJkt: row.dpop_jkt };
    },
    /**
     * Uses the token up and issues its successor in one transaction (one commit, one fsync); undefined
     * when it was already used, for every caller but one, so a second use is always detected as reuse.
     */
    async rotate(token: string, next: { grantId: string; expiresAt: number; dpopJkt: string | null }, now: number): Promise<string | undefined> {
      return db.transaction().execute(async (tx) => {
        const used = await tx.updateTable('refresh_tokens').set({ used_at: now })
          .where('hash', '=', sha256(token)).where('used_at', 'is', null).executeTakeFirst();
        if (Number(used.numUpdatedRows) !== 1) return undefined;
        const fresh = randomToken();
        await tx.insertInto('refresh_tokens').values({
          hash: sha256(fresh), grant_id: next.grantId, created_at: now, expires_at: next.expiresAt, used_at: null, dpop_jkt: next.dpopJkt,
        }).execute();
        return fresh;
      });
    },
  };
}
export type RefreshTokensRepository = ReturnType<typeof refreshTokensRepository>;
