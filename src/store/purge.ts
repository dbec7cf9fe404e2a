// Bounded growth: deletes rows that no flow can use any more, in batches small enough that a run
// never holds long locks. The SQL lives here rather than in each repository because the rules
// span tables (a refresh token goes with its grant, a grant only once its tokens are dead).
import { sql, type Kysely } from 'kysely';
import { defaultEventSettings, type Realm } from './realms.js';
import type { Database } from './schema.js';
import type { eventsRepository, knownDevicesRepository } from './events.js';
import type { realmsRepository } from './realms.js';
import type { mailOutboxRepository } from './mail-outbox.js';
import type { emailActionsRepository } from './email-actions.js';
import type { registrationsRepository } from './registrations.js';

const minute = 60_000;
const hour = 60 * minute;
const day = 24 * hour;

export const defaultPurgeBatch = 1000;
/** The device cookie's lifetime (src/security/devices.ts): 400 days. */
const deviceMemory = 400 * day;

export interface PurgeCounts {
  authorization_codes: number;
  interactions: number;
  sessions: number;
  refresh_tokens: number;
  grants: number;
  client_assertion_jtis: number;
  dpop_proof_jtis: number;
  revoked_access_tokens: number;
  login_failures: number;
  device_codes: number;
  pushed_requests: number;
  events: number;
  known_devices: number;
  mail_outbox: number;
  email_actions: number;
  initial_access_tokens: number;
}

const deleted = (result: { numDeletedRows: bigint }) => Number(result.numDeletedRows);

export function purgeRepository(db: Kysely<Database>) {
  return {
    /** Used or expired codes stay an hour past expiry, so a late replay is still seen as one and revokes the grant. */
    async authorizationCodes(now: number, batch: number): Promise<number> {
      return deleted(await db.deleteFrom('authorization_codes').where('hash', 'in',
        db.selectFrom('authorization_codes').select('hash').where('expires_at', '<', now - hour).limit(batch)).executeTakeFirst());
    },
    async interactions(now: number, batch: number): Promise<number> {
      return deleted(await db.deleteFrom('interactions').where('id_hash', 'in',
        db.selectFrom('interactions').select('id_hash').where('expires_at', '<=', now).limit(batch)).executeTakeFirst());
    },
    /** Ended or expired sessions stay a day, for logout notifications and support questions. */
    async sessions(now: number, batch: number): Promise<number> {
      return deleted(await db.deleteFrom('sessions').where('id', 'in',
        db.selectFrom('sessions').select('id')
          .where((eb) => eb.or([eb('ended_at', '<', now - day), eb('expires_at', '<', now - day)])).limit(batch)).executeTakeFirst());
    },
    /**
     * A rotated token stays a day so that its reuse is detected (and revokes the grant); an expired
     * one goes once its grant is no longer active (or gone).
     */
    async refreshTokens(now: number, batch: number): Promise<number> {
      return deleted(await db.deleteFrom('refresh_tokens').where('hash', 'in',
        db.selectFrom('refresh_tokens').select('hash').where((eb) => eb.or([
          eb('used_at', '<', now - day),
          eb.and([
            eb('expires_at', '<=', now),
            eb.not(eb.exists(eb.selectFrom('grants').select('grants.id').whereRef('grants.id', '=', 'refresh_tokens.grant_id')
              .where('grants.revoked_at', 'is', null).where('grants.expires_at', '>', now))),
          ]),
        ])).limit(batch)).executeTakeFirst());
    },
    /** Revoked or expired grants stay a day, and longer while an unused, unexpired refresh token still names them. */
    async grants(now: number, batch: number): Promise<number> {
      return deleted(await db.deleteFrom('grants').where('id', 'in',
        db.selectFrom('grants').select('id').where((eb) => eb.and([
          eb.or([eb('revoked_at', '<', now - day), eb('expires_at', '<', now - day)]),
          eb.not(eb.exists(eb.selectFrom('refresh_tokens').select('refresh_tokens.hash').whereRef('refresh_tokens.grant_id', '=', 'grants.id')
            .where('refresh_tokens.used_at', 'is', null).where('refresh_tokens.expires_at', '>', now))),
        ])).limit(batch)).executeTakeFirst());
    },
    /** An expired assertion is rejected as expired, so its id no longer needs remembering. */
    async clientAssertionJtis(now: number, batch: number): Promise<number> {
      return deleted(await db.deleteFrom('client_assertion_jtis').where('hash', 'in',
        db.selectFrom('client_assertion_jtis').select('hash').where('expires_at', '<=', now).limit(batch)).executeTakeFirst());
    },
    /** Expired device codes stay an hour, so that a device still polling is told expired_token rather than invalid_grant. */
    async deviceCodes(now: number, batch: number): Promise<number> {
      return deleted(await db.deleteFrom('device_codes').where('device_code_hash', 'in',
        db.selectFrom('device_codes').select('device_code_hash').where('expires_at', '<', now - hour).limit(batch)).executeTakeFirst());
    },
    /** A proof past its acceptance window is refused as stale, so its id no longer needs remembering. */
    async dpopProofJtis(now: number, batch: number): Promise<number> {
      return deleted(await db.deleteFrom('dpop_proof_jtis').where('hash', 'in',
        db.selectFrom('dpop_proof_jtis').select('hash').where('expires_at', '<=', now).limit(batch)).executeTakeFirst());
    },
    /**
     * An expired access token is refused as expired, so its revocation no longer needs remembering;
     * the extra minute covers nodes whose clocks run a little behind this one's.
     */
    async revokedAccessTokens(now: number, batch: number): Promise<number> {
      return deleted(await db.deleteFrom('revoked_access_tokens').where('jti', 'in',
        db.selectFrom('revoked_access_tokens').select('jti').where('expires_at', '<', now - minute).limit(batch)).executeTakeFirst());
    },
    /** An expired pushed request is refused as expired only until it is purged; after that, as unknown. */
    async pushedRequests(now: number, batch: number): Promise<number> {
      return deleted(await db.deleteFrom('pushed_requests').where('id_hash', 'in',
        db.selectFrom('pushed_requests').select('id_hash').where('expires_at', '<=', now).limit(batch)).executeTakeFirst());
    },
    /**
     * The realms that have rows in `table`, by a walk of its realm-first index (one probe per realm
     * found): a purge run visits those, not every realm of the database.
     */
    async realmsWithRows(table: 'login_failures'): Promise<string[]> {
      const rows = await sql<{ realm: string | null }>`with recursive found(realm) as (
          select min(realm) from ${sql.table(table)}
          union all select (select min(realm) from ${sql.table(table)} where realm > found.realm) from found where found.realm is not null)
        select realm from found where realm is not null`.execute(db);
      return rows.rows.map((r) => r.realm!);
    },
    /**
     * Each realm that has events and the time of its oldest, by a walk of the (realm, time) index (two
     * probes per realm found): a purge run reads the settings of, and deletes in, only the realms whose
     * oldest event may have outlived their retention.
     */
    async oldestEventByRealm(): Promise<{ realm: string; oldest: number }[]> {
      const rows = await sql<{ realm: string; oldest: number }>`with recursive found(realm) as (
          select min(realm) from events
          union all select (select min(realm) from events where realm > found.realm) from found where found.realm is not null)
        select realm, (select min(e.time) from events e where e.realm = found.realm) as oldest from found where realm is not null`.execute(db);
      return rows.rows.map((r) => ({ realm: r.realm, oldest: Number(r.oldest) }));
    },
    /**
     * Counters idle for longer than `idleMs` would start again at the next failure anyway. Rows with
     * a running lock, or that record a lockout-disabled account (unlock re-enables it), are kept.
     */
    async loginFailures(realm: string, now: number, idleMs: number, batch: number): Promise<number> {
      return deleted(await db.deleteFrom('login_failures').where('realm', '=', realm).where('key', 'in',
        db.selectFrom('login_failures').select('key').where('realm', '=', realm)
          .where('last_failure_at', '<', now - idleMs).where('disabled_by_lockout', '=', 0)
          .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', now)]))
          .limit(batch)).executeTakeFirst());
    },
  };
}
export type PurgeRepository = ReturnType<typeof purgeRepository>;

/** How long a realm's failure counters matter: the longest of its reset times, and at least a day. */
function failureMemory(realm: Realm): number {
  const { failure_reset_time, ip_failure_window } = realm.settings.brute_force;
  return Math.max(day, failure_reset_time * 1000, ip_failure_window * 1000);
}

/**
 * Repeats a batched delete until a batch comes back short. Each batch is its own short statement (no
 * long locks), and a run leaves no expired row behind, so the purge keeps up with however fast rows
 * were made (a flood of sign-in pages parks a row each).
 */
async function drain(deleteBatch: (batch: number) => Promise<number>, batch: number): Promise<number> {
  let total = 0;
  for (;;) {
    const deletedRows = await deleteBatch(batch);
    total += deletedRows;
    if (deletedRows < batch) return total;
  }
}

/** One purge run: every row past its retention, `batch` rows per statement. Password history is never purged. */
/** The repositories one purge run uses (a Store has them all). */
export interface PurgeStores {
  purge: ReturnType<typeof purgeRepository>;
  realms: ReturnType<typeof realmsRepository>;
  events: ReturnType<typeof eventsRepository>;
  knownDevices: ReturnType<typeof knownDevicesRepository>;
  mailOutbox: ReturnType<typeof mailOutboxRepository>;
  emailActions: ReturnType<typeof emailActionsRepository>;
  registrations: ReturnType<typeof registrationsRepository>;
}

export async function purgeExpired(store: PurgeStores, now: number, batch = defaultPurgeBatch): Promise<PurgeCounts> {
  const p = store.purge;
  const all = (deleteBatch: (now: number, batch: number) => Promise<number>) => drain((n) => deleteBatch(now, n), batch);
  // Tokens before grants: a grant goes only once no live token names it.
  const counts: PurgeCounts = {
    authorization_codes: await all(p.authorizationCodes),
    interactions: await all(p.interactions),
    sessions: await all(p.sessions),
    refresh_tokens: await all(p.refreshTokens),
    grants: await all(p.grants),
    client_assertion_jtis: await all(p.clientAssertionJtis),
    dpop_proof_jtis: await all(p.dpopProofJtis),
    revoked_access_tokens: await all(p.revokedAccessTokens),
    login_failures: 0,
    device_codes: await all(p.deviceCodes),
    pushed_requests: await all(p.pushedRequests),
    initial_access_tokens: await drain((n) => store.registrations.purge(now, n), batch),
    events: 0,
    // A device unseen for longer than its cookie lives cannot be recognised any more.
    known_devices: await store.knownDevices.purge(now - deviceMemory),
    // Sent mail stays a day (the per-address limit counts it); used or expired links a day past expiry.
    mail_outbox: await drain((n) => store.mailOutbox.purge(now - day, n), batch),
    email_actions: await drain((n) => store.emailActions.purge(now - day, n), batch),
  };
  // Per realm (each has its own retention), but only realms with rows: 10,000 realms with no events
  // cost two index probes, not 20,000 statements and 10,000 settings read every minute.
  for (const name of await p.realmsWithRows('login_failures')) {
    const realm = await store.realms.get(name);
    if (realm) counts.login_failures += await drain((n) => p.loginFailures(realm.name, now, failureMemory(realm), n), batch);
  }
  // Retention is a day at least: a realm whose events are all younger costs no statement of its own
  // (888 realms with recent events took 1.5 s of statements a run on PostgreSQL before).
  for (const { realm: name, oldest } of await p.oldestEventByRealm()) {
    if (oldest >= now - day) continue;
    const realm = await store.realms.get(name);
    // A deleted realm's events stay (src/store/realms.ts remove); they go by the default retention.
    const before = now - (realm?.settings.events.retention_days ?? defaultEventSettings.retention_days) * day;
    if (oldest < before) counts.events += await drain((n) => store.events.purge(name, before, n), batch);
  }
  return counts;
}
