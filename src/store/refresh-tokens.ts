// Refresh tokens (RFC 6749 §6, RFC 9700 §4.14.2): hash-stored, rotated on every use. The caller
// makes the token (a JWT in Keycloak's shape, src/tokens/refresh-token.ts, or any other secret);
// the store keeps only the hash of the whole text, so that a token is honoured exactly as issued.
import type { Kysely } from 'kysely';
import { sha256 } from '../runtime.js';
import type { Database } from './schema.js';

export interface FoundRefreshToken {
  grantId: string; issuedAt: number; expiresAt: number; used: boolean;
  /** RFC 9449 §5: refreshing needs a DPoP proof with this key thumbprint. */
  dpopJkt: string | null;
}

/** A refresh token to store: its text (shown once, never stored) and what it is for. */
export interface NewRefreshToken { token: string; grantId: string; expiresAt: number; dpopJkt: string | null }

export function refreshTokensRepository(db: Kysely<Database>) {
  const row = (next: NewRefreshToken, now: number) => ({
    hash: sha256(next.token), grant_id: next.grantId, created_at: now, expires_at: next.expiresAt, used_at: null, dpop_jkt: next.dpopJkt,
  });
  return {
    async issue(next: NewRefreshToken, now: number): Promise<void> {
      await db.insertInto('refresh_tokens').values(row(next, now)).execute();
    },
    async find(token: string): Promise<FoundRefreshToken | undefined> {
      const found = await db.selectFrom('refresh_tokens').selectAll().where('hash', '=', sha256(token)).executeTakeFirst();
      return found && { grantId: found.grant_id, issuedAt: found.created_at, expiresAt: found.expires_at, used: found.used_at !== null, dpopJkt: found.dpop_jkt };
    },
    /**
     * Uses the token up and stores its successor in one transaction (one commit, one fsync); false
     * when it was already used, for every caller but one, so a second use is always detected as reuse.
     */
    async rotate(token: string, next: NewRefreshToken, now: number): Promise<boolean> {
      return db.transaction().execute(async (tx) => {
        const used = await tx.updateTable('refresh_tokens').set({ used_at: now })
          .where('hash', '=', sha256(token)).where('used_at', 'is', null).executeTakeFirst();
        if (Number(used.numUpdatedRows) !== 1) return false;
        await tx.insertInto('refresh_tokens').values(row(next, now)).execute();
        return true;
      });
    },
  };
}
export type RefreshTokensRepository = ReturnType<typeof refreshTokensRepository>;
