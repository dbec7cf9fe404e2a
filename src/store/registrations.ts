// Dynamic client registration (RFC 7591 §3, RFC 7592): a realm's registration policy, the initial
// access tokens that authorize registration, and each registered client's registration access
// token. Tokens are kept only as hashes; callers hash them (see src/oauth/register.ts).
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

/** Who may register a client: anyone ("open"), or holders of an initial access token ("protected"). */
export type RegistrationPolicy = 'open' | 'protected';
export const registrationPolicies: readonly RegistrationPolicy[] = ['open', 'protected'];

/** Initial access tokens listed in a realm file are replaced on re-import; issued ones are kept. */
export type InitialAccessTokenSource = 'file' | 'issued';

/** This aggregate's tables (migrations 0005, 0022); declared here so that schema.ts need not know them. */
type RegistrationTables = {
  registration_policies: { realm: string; open: number };
  initial_access_tokens: {
    token_hash: string; realm: string; source: string; created_at: number;
    /** Null for tokens of realm files and of earlier versions (they have none of these limits). */
    id: string | null; expires_at: number | null; count: number | null; remaining: number | null;
  };
  client_registrations: { realm: string; client_id: string; token_hash: string; issued_at: number };
};

export interface ClientRegistration { realm: string; clientId: string; issuedAt: number }

/** An issued initial access token's limits: until when (ms, null: no end) and how many registrations (null: any number). */
export interface InitialAccessLimits { id: string; expiresAt: number | null; count: number | null }

/** An initial access token as an administrator sees it: never the token, which is kept only as a digest. */
export interface InitialAccessToken { id: string | null; source: InitialAccessTokenSource; createdAt: number; expiresAt: number | null; count: number | null; remaining: number | null }

export function registrationsRepository(database: Kysely<Database>) {
  const db = database.withTables<RegistrationTables>();
  return {
    async policy(realm: string): Promise<RegistrationPolicy> {
      const row = await db.selectFrom('registration_policies').select('open').where('realm', '=', realm).executeTakeFirst();
      return row?.open === 1 ? 'open' : 'protected';
    },
    async setPolicy(realm: string, policy: RegistrationPolicy): Promise<void> {
      const open = policy === 'open' ? 1 : 0;
      await db.insertInto('registration_policies').values({ realm, open })
        .onConflict((oc) => oc.column('realm').doUpdateSet({ open })).execute();
    },
    async addInitialAccessToken(realm: string, tokenHash: string, limits: InitialAccessLimits, now: number): Promise<void> {
      await db.insertInto('initial_access_tokens').values({
        token_hash: tokenHash, realm, source: 'issued', created_at: now,
        id: limits.id, expires_at: limits.expiresAt, count: limits.count, remaining: limits.count,
      }).execute();
    },
    /** The realm's initial access tokens, newest first. */
    async listInitialAccessTokens(realm: string): Promise<InitialAccessToken[]> {
      const rows = await db.selectFrom('initial_access_tokens').selectAll().where('realm', '=', realm).orderBy('created_at', 'desc').orderBy('token_hash').execute();
      return rows.map((row) => ({
        id: row.id, source: row.source as InitialAccessTokenSource, createdAt: Number(row.created_at),
        expiresAt: row.expires_at === null ? null : Number(row.expires_at), count: row.count, remaining: row.remaining,
      }));
    },
    async removeInitialAccessToken(realm: string, id: string): Promise<boolean> {
      const result = await db.deleteFrom('initial_access_tokens').where('realm', '=', realm).where('id', '=', id).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },
    /** Makes the realm's file-listed tokens exactly these (a token dropped from the file stops working). */
    async replaceFileTokens(realm: string, tokenHashes: string[], now: number): Promise<void> {
      await db.transaction().execute(async (tx) => {
        let removal = tx.deleteFrom('initial_access_tokens').where('realm', '=', realm).where('source', '=', 'file');
        if (tokenHashes.length > 0) removal = removal.where('token_hash', 'not in', tokenHashes);
        await removal.execute();
        for (const hash of tokenHashes) {
          await tx.insertInto('initial_access_tokens').values({ token_hash: hash, realm, source: 'file', created_at: now })
            .onConflict((oc) => oc.column('token_hash').doNothing()).execute();
        }
      });
    },
    /** Unexpired, with registrations left. */
    async isInitialAccessToken(realm: string, tokenHash: string, now: number): Promise<boolean> {
      const row = await db.selectFrom('initial_access_tokens').select('token_hash')
        .where('token_hash', '=', tokenHash).where('realm', '=', realm)
        .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
        .where((eb) => eb.or([eb('remaining', 'is', null), eb('remaining', '>', 0)]))
        .executeTakeFirst();
      return row !== undefined;
    },
    /**
     * Spends one registration of the token, in one statement so that two registrations racing for the
     * last one cannot both have it; false when the token has expired or has none left. A token whose
     * last registration is spent goes.
     */
    async spendInitialAccessToken(realm: string, tokenHash: string, now: number): Promise<boolean> {
      const result = await db.updateTable('initial_access_tokens').set((eb) => ({ remaining: eb('remaining', '-', 1) }))
        .where('token_hash', '=', tokenHash).where('realm', '=', realm)
        .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
        .where((eb) => eb.or([eb('remaining', 'is', null), eb('remaining', '>', 0)]))
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) return false;
      await db.deleteFrom('initial_access_tokens').where('token_hash', '=', tokenHash).where('remaining', '=', 0).execute();
      return true;
    },

    /** Expired issued tokens register nothing (a realm file's have no end): deletes up to `batch`. */
    async purge(now: number, batch: number): Promise<number> {
      const result = await db.deleteFrom('initial_access_tokens').where('token_hash', 'in',
        db.selectFrom('initial_access_tokens').select('token_hash').where('expires_at', '<=', now).limit(batch)).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
    /** Remembers that `clientId` was registered dynamically and is managed with this token. */
    async record(realm: string, clientId: string, tokenHash: string, now: number): Promise<void> {
      await db.insertInto('client_registrations').values({ realm, client_id: clientId, token_hash: tokenHash, issued_at: now }).execute();
    },
    /** The registration a registration access token manages; removing the client removes it too. */
    async byToken(realm: string, tokenHash: string): Promise<ClientRegistration | undefined> {
      const row = await db.selectFrom('client_registrations').selectAll()
        .where('token_hash', '=', tokenHash).where('realm', '=', realm).executeTakeFirst();
      return row && { realm: row.realm, clientId: row.client_id, issuedAt: row.issued_at };
    },
  };
}
export type RegistrationsRepository = ReturnType<typeof registrationsRepository>;
