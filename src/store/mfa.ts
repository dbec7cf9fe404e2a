// Second factors of users (src/identity/mfa.ts): a TOTP secret (sealed by the caller), TOTP secrets
// being set up (one per session, short-lived), recovery codes (keyed hashes), WebAuthn credentials,
// and pending WebAuthn challenges.
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

export interface TotpCredential { sealedSecret: string; lastCounter: number | null }

export interface WebAuthnCredential {
  id: string;            // base64url credential id
  userId: string;
  publicKey: string;     // base64url COSE public key
  counter: number;
  transports: string[];
  deviceType: string;    // 'singleDevice' | 'multiDevice'
  /** What the account console calls it: the browser and system it was registered from ("Chrome on macOS"); null before 0021. */
  name: string | null;
}

/** A stored passkey with when it was registered and last used (ms; null: never). */
export interface StoredWebAuthnCredential extends WebAuthnCredential { createdAt: number; lastUsedAt: number | null }

export function mfaRepository(db: Kysely<Database>) {
  return {
    async totp(userId: string): Promise<TotpCredential | undefined> {
      const row = await db.selectFrom('totp_credentials').selectAll().where('user_id', '=', userId).executeTakeFirst();
      return row && { sealedSecret: row.secret_sealed, lastCounter: row.last_counter };
    },
    /**
     * Stores the secret a session's set-up page shows, replacing the session's previous one; expired
     * ones are dropped on the way, so the table stays as small as its live rows.
     */
    async putTotpEnrolment(sessionId: string, userId: string, sealedSecret: string, expiresAt: number, now: number): Promise<void> {
      await db.deleteFrom('totp_enrolments').where('expires_at', '<=', now).execute();
      await db.insertInto('totp_enrolments').values({ session_id: sessionId, user_id: userId, secret_sealed: sealedSecret, expires_at: expiresAt })
        .onConflict((oc) => oc.column('session_id').doUpdateSet({ user_id: userId, secret_sealed: sealedSecret, expires_at: expiresAt })).execute();
    },
    /** The secret being set up in this session by this user, until it expires. */
    async totpEnrolment(sessionId: string, userId: string, now: number): Promise<string | undefined> {
      const row = await db.selectFrom('totp_enrolments').select('secret_sealed')
        .where('session_id', '=', sessionId).where('user_id', '=', userId).where('expires_at', '>', now).executeTakeFirst();
      return row?.secret_sealed;
    },
    /**
     * Makes a secret the user's authenticator app (its code for time step `lastCounter` already
     * spent), and drops every secret still being set up by any of the user's sessions. False when
     * the user already has one (another session confirmed first).
     */
    async addTotp(userId: string, sealedSecret: string, lastCounter: number | null, now: number): Promise<boolean> {
      return db.transaction().execute(async (tx) => {
        await tx.deleteFrom('totp_enrolments').where('user_id', '=', userId).execute();
        const result = await tx.insertInto('totp_credentials')
          .values({ user_id: userId, secret_sealed: sealedSecret, confirmed_at: now, last_counter: lastCounter, created_at: now })
          .onConflict((oc) => oc.column('user_id').doNothing()).returning('user_id').executeTakeFirst();
        return result !== undefined;
      });
    },
    /**
     * Records `counter` as the last time step used, only if it is later than the previous one:
     * true for exactly one caller per step, so a code is never accepted twice.
     */
    async useTotpCounter(userId: string, counter: number): Promise<boolean> {
      const result = await db.updateTable('totp_credentials').set({ last_counter: counter })
        .where('user_id', '=', userId)
        .where((eb) => eb.or([eb('last_counter', 'is', null), eb('last_counter', '<', counter)]))
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
    /** Removes the user's authenticator app; true when there was one. */
    async removeTotp(userId: string): Promise<boolean> {
      const result = await db.deleteFrom('totp_credentials').where('user_id', '=', userId).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },
    /** Removes one of the user's passkeys; true when it was theirs and is gone. */
    async removeWebauthnCredential(userId: string, id: string): Promise<boolean> {
      const result = await db.deleteFrom('webauthn_credentials').where('user_id', '=', userId).where('id', '=', id).executeTakeFirst();
      return Number(result.numDeletedRows) === 1;
    },
    async removeRecoveryCodes(userId: string): Promise<void> {
      await db.deleteFrom('recovery_codes').where('user_id', '=', userId).execute();
    },
    /** Replaces all of a user's recovery codes. */
    async replaceRecoveryCodes(userId: string, hashes: string[], now: number): Promise<void> {
      await db.transaction().execute(async (tx) => {
        await tx.deleteFrom('recovery_codes').where('user_id', '=', userId).execute();
        await tx.insertInto('recovery_codes').values(hashes.map((h) => ({ user_id: userId, code_hash: h, used_at: null, created_at: now }))).execute();
      });
    },
    /** Spends a recovery code; true for exactly one caller per code. */
    async useRecoveryCode(userId: string, hash: string, now: number): Promise<boolean> {
      const result = await db.updateTable('recovery_codes').set({ used_at: now })
        .where('user_id', '=', userId).where('code_hash', '=', hash).where('used_at', 'is', null).executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
    /** What second factors a user has set up, in one query (asked on every authorization request). */
    async enrolledFactors(userId: string): Promise<{ totp: boolean; passkeys: number; recoveryCodes: number }> {
      const row = await db.selectNoFrom((eb) => [
        eb.selectFrom('totp_credentials').select((e) => e.fn.countAll<number>().as('n'))
          .where('user_id', '=', userId).where('confirmed_at', 'is not', null).as('totp'),
        eb.selectFrom('webauthn_credentials').select((e) => e.fn.countAll<number>().as('n')).where('user_id', '=', userId).as('passkeys'),
        eb.selectFrom('recovery_codes').select((e) => e.fn.countAll<number>().as('n'))
          .where('user_id', '=', userId).where('used_at', 'is', null).as('recovery_codes'),
      ]).executeTakeFirstOrThrow();
      return { totp: Number(row.totp) > 0, passkeys: Number(row.passkeys), recoveryCodes: Number(row.recovery_codes) };
    },
    async webauthnCredentials(userId: string): Promise<StoredWebAuthnCredential[]> {
      const rows = await db.selectFrom('webauthn_credentials').selectAll().where('user_id', '=', userId).orderBy('created_at').execute();
      return rows.map(toCredential);
    },
    async webauthnCredential(id: string): Promise<WebAuthnCredential | undefined> {
      const row = await db.selectFrom('webauthn_credentials').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toCredential(row);
    },
    async addWebauthnCredential(c: WebAuthnCredential, now: number): Promise<void> {
      await db.insertInto('webauthn_credentials').values({
        id: c.id, user_id: c.userId, public_key: c.publicKey, counter: c.counter, transports: JSON.stringify(c.transports),
        device_type: c.deviceType, name: c.name, created_at: now, last_used_at: null,
      }).execute();
    },
    async useWebauthnCredential(id: string, counter: number, now: number): Promise<void> {
      await db.updateTable('webauthn_credentials').set({ counter, last_used_at: now }).where('id', '=', id).execute();
    },
    /**
     * Remembers the challenge issued for `key` (one per interaction or session), replacing an older
     * one; expired challenges are dropped on the way, so the table stays as small as its live rows.
     */
    async putChallenge(key: string, challenge: string, expiresAt: number, now: number): Promise<void> {
      await db.deleteFrom('webauthn_challenges').where('expires_at', '<=', now).execute();
      await db.insertInto('webauthn_challenges').values({ key, challenge, expires_at: expiresAt })
        .onConflict((oc) => oc.column('key').doUpdateSet({ challenge, expires_at: expiresAt })).execute();
    },
    /** Takes the challenge for `key` (single use); undefined when none is pending or it expired. */
    async takeChallenge(key: string, now: number): Promise<string | undefined> {
      const row = await db.selectFrom('webauthn_challenges').selectAll().where('key', '=', key).executeTakeFirst();
      if (!row) return undefined;
      const result = await db.deleteFrom('webauthn_challenges').where('key', '=', key).where('challenge', '=', row.challenge).executeTakeFirst();
      return Number(result.numDeletedRows) === 1 && row.expires_at > now ? row.challenge : undefined;
    },
  };
}

function toCredential(row: Database['webauthn_credentials']): StoredWebAuthnCredential {
  return {
    id: row.id, userId: row.user_id, publicKey: row.public_key, counter: Number(row.counter),
    transports: JSON.parse(row.transports) as string[], deviceType: row.device_type, name: row.name,
    createdAt: Number(row.created_at), lastUsedAt: row.last_used_at === null ? null : Number(row.last_used_at),
  };
}
export type MfaRepository = ReturnType<typeof mfaRepository>;
