// Authorization codes (RFC 6749 §4.1.2): 256-bit random, stored as a hash, single use.
import type { Kysely } from 'kysely';
import { randomToken, sha256 } from '../runtime.js';
import type { Database } from './schema.js';

export interface AuthorizationCode {
  grantId: string;
  realm: string;
  clientId: string;
  redirectUri: string | null;
  codeChallenge: string | null;
  codeChallengeMethod: string | null;
  expiresAt: number;
  /** RFC 9449 §10: the token request must carry a DPoP proof with this key thumbprint. */
  dpopJkt?: string | null;
}

export interface FoundCode extends AuthorizationCode { used: boolean }

export function authorizationCodesRepository(db: Kysely<Database>) {
  return {
    async issue(c: AuthorizationCode): Promise<string> {
      const code = randomToken();
      await db.insertInto('authorization_codes').values({
        hash: sha256(code), grant_id: c.grantId, realm: c.realm, client_id: c.clientId, redirect_uri: c.redirectUri,
        code_challenge: c.codeChallenge, code_challenge_method: c.codeChallengeMethod, expires_at: c.expiresAt, used_at: null,
        dpop_jkt: c.dpopJkt ?? null,
      }).execute();
      return code;
    },
    async find(code: string): Promise<FoundCode | undefined> {
      const row = await db.selectFrom('authorization_codes').selectAll().where('hash', '=', sha256(code)).executeTakeFirst();
      return row && {
        grantId: row.grant_id, realm: row.realm, clientId: row.client_id, redirectUri: row.redirect_uri,
        codeChallenge: row.code_challenge, codeChallengeMethod: row.code_challenge_method, expiresAt: row.expires_at,
        used: row.used_at !== null, dpopJkt: row.dpop_jkt,
      };
    },
    /** Marks the code used; true for exactly one caller per code, however many race. */
    async markUsed(code: string, now: number): Promise<boolean> {
      const result = await db.updateTable('authorization_codes').set({ used_at: now })
        .where('hash', '=', sha256(code)).where('used_at', 'is', null).executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
  };
}
export type AuthorizationCodesRepository = ReturnType<typeof authorizationCodesRepository>;
