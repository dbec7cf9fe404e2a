// SSO sessions: one per browser and realm; the cookie holds a secret, the store only its hash.
import type { Kysely } from 'kysely';
import { randomToken, sha256 } from '../runtime.js';
import type { Database } from './schema.js';

export interface Session {
  id: string;          // public: the `sid` claim
  realm: string;
  userId: string;
  authTime: number;    // ms
  amr: string[];
  acr: string;
  expiresAt: number;
  /** The upstream provider that signed the user in (its alias), if one did, and the provider's own session id (its ID token's sid). */
  idp?: string;
  idpSid?: string;
  /** The provider's ID token, sealed: the hint of a logout at the provider. */
  idpIdToken?: string;
  /** The browser's User-Agent header at sign-in, and the address the session was last used from (the account console's Devices and sessions). */
  userAgent?: string;
  ipAddress?: string;
  /** When the session was last used (ms); kept at most a minute stale (src/identity/sso.ts). */
  lastSeenAt?: number;
}

/** A session as the admin API lists it: with when it started and was last used. */
export interface ListedSession extends Session { createdAt: number; lastSeenAt: number }

/** A User-Agent header is kept this long at most: enough to name the browser, not a place to store anything. */
const maxUserAgentLength = 512;

export function sessionsRepository(db: Kysely<Database>) {
  const toSession = (row: Database['sessions']): Session => ({
    id: row.id, realm: row.realm, userId: row.user_id, authTime: row.auth_time,
    amr: JSON.parse(row.amr) as string[], acr: row.acr, expiresAt: row.expires_at, lastSeenAt: row.last_seen_at,
    ...(row.idp ? { idp: row.idp } : {}), ...(row.idp_sid ? { idpSid: row.idp_sid } : {}),
    ...(row.user_agent ? { userAgent: row.user_agent } : {}), ...(row.ip_address ? { ipAddress: row.ip_address } : {}),
    ...(row.idp_id_token ? { idpIdToken: row.idp_id_token } : {}),
  });
  return {
    /** Returns the session and the cookie secret (shown once). */
    async create(s: Omit<Session, 'id'>, now: number): Promise<{ session: Session; secret: string }> {
      const secret = randomToken();
      const id = randomToken(16);
      await db.insertInto('sessions').values({
        id, realm: s.realm, user_id: s.userId, secret_hash: sha256(secret), auth_time: s.authTime,
        amr: JSON.stringify(s.amr), acr: s.acr, created_at: now, last_seen_at: now, expires_at: s.expiresAt, ended_at: null, idp: s.idp ?? null, idp_sid: s.idpSid ?? null,
        user_agent: s.userAgent?.slice(0, maxUserAgentLength) ?? null, ip_address: s.ipAddress ?? null,
        idp_id_token: s.idpIdToken ?? null,
      }).execute();
      return { session: { ...s, id, lastSeenAt: now }, secret };
    },
    /** The live sessions an upstream provider signed in: those of its session `idpSid`, or of the user `userId`. */
    async findByUpstream(realm: string, idp: string, by: { idpSid?: string; userId?: string }, now: number): Promise<Session[]> {
      let query = db.selectFrom('sessions').selectAll().where('realm', '=', realm).where('idp', '=', idp)
        .where('ended_at', 'is', null).where('expires_at', '>', now);
      if (by.idpSid !== undefined) query = query.where('idp_sid', '=', by.idpSid);
      if (by.userId !== undefined) query = query.where('user_id', '=', by.userId);
      return (await query.limit(1000).execute()).map(toSession);
    },
    /** The live session a cookie secret names, if it has not ended, expired or gone idle. */
    async findActive(realm: string, secret: string, now: number, idleMs: number): Promise<Session | undefined> {
      const row = await db.selectFrom('sessions').selectAll()
        .where('secret_hash', '=', sha256(secret)).where('realm', '=', realm)
        .where('ended_at', 'is', null).where('expires_at', '>', now).where('last_seen_at', '>', now - idleMs)
        .executeTakeFirst();
      return row && toSession(row);
    },
    /** Whether the session with this id (the `sid` claim) has neither ended nor expired. */
    async isActive(id: string, now: number): Promise<boolean> {
      const row = await db.selectFrom('sessions').select('id').where('id', '=', id)
        .where('ended_at', 'is', null).where('expires_at', '>', now).executeTakeFirst();
      return row !== undefined;
    },
    /** The session with this id (the `sid` claim), if it has neither ended nor expired. */
    async findLive(id: string, now: number): Promise<Session | undefined> {
      const row = await db.selectFrom('sessions').selectAll().where('id', '=', id)
        .where('ended_at', 'is', null).where('expires_at', '>', now).executeTakeFirst();
      return row && toSession(row);
    },
    /** The session was used now, from `ipAddress` when given. */
    async touch(id: string, now: number, ipAddress?: string): Promise<void> {
      await db.updateTable('sessions').set({ last_seen_at: now, ...(ipAddress ? { ip_address: ipAddress } : {}) }).where('id', '=', id).execute();
    },
    /** Records a further factor (step-up): the session's methods and context class grow. */
    async upgrade(id: string, amr: string[], acr: string): Promise<void> {
      await db.updateTable('sessions').set({ amr: JSON.stringify(amr), acr }).where('id', '=', id).execute();
    },
    /** Replaces the session's cookie secret (the old one stops working); returns the new one, shown once. */
    async rotateSecret(id: string): Promise<string> {
      const secret = randomToken();
      await db.updateTable('sessions').set({ secret_hash: sha256(secret) }).where('id', '=', id).execute();
      return secret;
    },
    /** The user authenticated again in this session (re-authentication): a new auth_time and a new cookie secret, returned once. */
    async reauthenticated(id: string, authTime: number): Promise<string> {
      const secret = randomToken();
      await db.updateTable('sessions').set({ auth_time: authTime, secret_hash: sha256(secret) }).where('id', '=', id).execute();
      return secret;
    },
    /** Live sessions (not ended, not expired) of the realm or of one user, newest first. */
    async listLive(filter: { realm: string; userId?: string }, now: number, first: number, max: number): Promise<ListedSession[]> {
      let query = db.selectFrom('sessions').selectAll().where('realm', '=', filter.realm).where('ended_at', 'is', null).where('expires_at', '>', now);
      if (filter.userId !== undefined) query = query.where('user_id', '=', filter.userId);
      const rows = await query.orderBy('created_at', 'desc').orderBy('id').limit(max).offset(first).execute();
      return rows.map((row) => ({ ...toSession(row), createdAt: row.created_at, lastSeenAt: row.last_seen_at }));
    },
    /** Ends every live session of the user (a password reset signs out everywhere). */
    async endForUser(userId: string, now: number): Promise<void> {
      await db.updateTable('sessions').set({ ended_at: now }).where('user_id', '=', userId).where('ended_at', 'is', null).execute();
    },
    async end(id: string, now: number): Promise<void> {
      await db.updateTable('sessions').set({ ended_at: now }).where('id', '=', id).where('ended_at', 'is', null).execute();
    },
  };
}
export type SessionsRepository = ReturnType<typeof sessionsRepository>;
