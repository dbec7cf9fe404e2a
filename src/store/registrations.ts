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

/** This aggregate's tables (migration 0005); declared here so that schema.ts need not know them. */
type RegistrationTables = {
  registration_policies: { realm: string; open: number };
  initial_access_tokens: { token_hash: string; realm: string; source: string; created_at: number };
  client_registrations: { realm: string; client_id: string; token_hash: string; issued_at: number };
};

export interface ClientRegistration { realm: string; clientId: string; issuedAt: number }

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
    async addInitialAccessToken(realm: string, tokenHash: string, source: InitialAccessTokenSource, now: number): Promise<void> {
      await db.insertInto('initial_access_tokens').values({ token_hash: tokenHash, realm, source, created_at: now })
        .onConflict((oc) => oc.column('token_hash').doNothing()).execute();
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
    async isInitialAccessToken(realm: string, tokenHash: string): Promise<boolean> {
      const row = await db.selectFrom('initial_access_tokens').select('token_hash')
        .where('token_hash', '=', tokenHash).where('realm', '=', realm).executeTakeFirst();
      return row !== undefined;
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
