// The store: one repository per aggregate over one Kysely database (SQLite or PostgreSQL).
import { sql } from 'kysely';
import { openDatabase, type Dialect } from './db.js';
import { migrate } from './migrations.js';
import { realmsRepository } from './realms.js';
import { clientsRepository } from './clients.js';
import { clientAssertionsRepository } from './client-assertions.js';
import { dpopProofsRepository } from './dpop-proofs.js';
import { usersRepository } from './users.js';
import { rolesRepository } from './roles.js';
import { groupsRepository } from './groups.js';
import { sessionsRepository } from './sessions.js';
import { interactionsRepository } from './interactions.js';
import { grantsRepository } from './grants.js';
import { authorizationCodesRepository } from './authorization-codes.js';
import { refreshTokensRepository } from './refresh-tokens.js';
import { revokedAccessTokensRepository } from './revoked-access-tokens.js';
import { signingKeysRepository } from './signing-keys.js';
import { consentsRepository } from './consents.js';
import { passwordHistoryRepository } from './password-history.js';
import { loginFailuresRepository } from './login-failures.js';
import { registrationsRepository } from './registrations.js';
import { purgeRepository } from './purge.js';
import { deviceCodesRepository } from './device-codes.js';
import { pairwiseSaltsRepository } from './pairwise-salts.js';
import { pushedRequestsRepository } from './pushed-requests.js';
import { eventsRepository, knownDevicesRepository } from './events.js';
import { mfaRepository } from './mfa.js';
import { mailOutboxRepository } from './mail-outbox.js';
import { emailActionsRepository } from './email-actions.js';
import { userIdentitiesRepository } from './user-identities.js';
import { postgresChanges, sqliteChanges } from './changes.js';
import { noReadCache, readCache } from './read-cache.js';

/** `cachedClients`: how many clients the client cache keeps (STRIX_CACHE_CLIENTS; src/config.ts). */
export async function openStore(databaseUrl: string, options: { migrate?: boolean; onChangesError?: (error: Error) => void; cachedClients?: number } = {}) {
  const { db, dialect, poolStats, dedicatedClient, dataVersion, announcements } = await openDatabase(databaseUrl);
  /** Grants, users and revocations read on every request, kept while the database has not changed (SQLite only). */
  const reads = dataVersion ? readCache(dataVersion) : noReadCache;
  if (options.migrate !== false) await migrate(db);
  /** Invalidation of cached clients, realms and keys across processes (changes.ts). */
  const onChangesError = options.onChangesError ?? (() => {});
  const changes = dedicatedClient ? postgresChanges(db, dedicatedClient, onChangesError) : sqliteChanges(db, announcements!, onChangesError);
  return {
    changes,
    dialect: dialect as Dialect,
    poolStats,
    realms: realmsRepository(db, changes),
    clients: clientsRepository(db, changes, options.cachedClients),
    clientAssertions: clientAssertionsRepository(db),
    dpopProofs: dpopProofsRepository(db),
    users: usersRepository(db, dialect, reads),
    roles: rolesRepository(db),
    groups: groupsRepository(db),
    sessions: sessionsRepository(db),
    interactions: interactionsRepository(db),
    grants: grantsRepository(db, reads),
    authorizationCodes: authorizationCodesRepository(db),
    refreshTokens: refreshTokensRepository(db),
    revokedAccessTokens: revokedAccessTokensRepository(db, reads),
    signingKeys: signingKeysRepository(db),
    consents: consentsRepository(db),
    passwordHistory: passwordHistoryRepository(db),
    loginFailures: loginFailuresRepository(db),
    registrations: registrationsRepository(db),
    purge: purgeRepository(db),
    deviceCodes: deviceCodesRepository(db),
    pairwiseSalts: pairwiseSaltsRepository(db),
    pushedRequests: pushedRequestsRepository(db),
    events: eventsRepository(db, dialect),
    knownDevices: knownDevicesRepository(db),
    mfa: mfaRepository(db),
    mailOutbox: mailOutboxRepository(db),
    emailActions: emailActionsRepository(db),
    userIdentities: userIdentitiesRepository(db),
    /** Resolves when the database answers a trivial query (readiness checks). */
    ping: async () => { await sql`select 1`.execute(db); },
    migrate: () => migrate(db),
    close: async () => {
      await changes.close();
      await db.destroy();
    },
  };
}
export type Store = Awaited<ReturnType<typeof openStore>>;
