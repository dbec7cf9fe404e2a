// A grant: what a user (or a client on its own behalf) authorized a client to do. Access tokens
// carry its id; revoking it revokes every token issued from it.
import type { Kysely } from 'kysely';
import { timeOrderedId } from '../runtime.js';
import type { ReadCache } from './read-cache.js';
import type { Database } from './schema.js';

export interface Grant {
  id: string;
  realm: string;
  clientId: string;
  userId: string | null;
  sessionId: string | null;
  scope: string;
  authTime: number | null;   // ms
  amr: string[];
  acr: string | null;
  nonce: string | null;
  /** The `claims` request parameter the grant was made with (OIDC Core §5.5), if any. */
  claims: Record<string, unknown> | null;
  offline: boolean;
  expiresAt: number;
  revoked: boolean;
  /** The resource servers (RFC 8707) authorized; tokens from this grant may be for these only. */
  resources: string[];
  /** For a token exchange (RFC 8693), the grant of the token exchanged: revoking it ends this one too. */
  parentId: string | null;
  /** The upstream provider of the sign-in the grant came from (the tokens' idp claim). */
  idp?: string;
}

/** What creating a grant takes; `resources` defaults to none, `parentId` to null. */
export type NewGrant = Omit<Grant, 'id' | 'revoked' | 'resources' | 'parentId'> & { resources?: string[]; parentId?: string | null };

/** Exchanges of exchanged tokens stop here: a longer chain of grants is never active. */
const maxGrantDepth = 8;

export function grantsRepository(db: Kysely<Database>, reads: ReadCache) {
  const toGrant = (row: Database['grants']): Grant => ({
    id: row.id, realm: row.realm, clientId: row.client_id, userId: row.user_id, sessionId: row.session_id,
    scope: row.scope, authTime: row.auth_time, amr: JSON.parse(row.amr) as string[], acr: row.acr,
    nonce: row.nonce, claims: row.claims === null ? null : JSON.parse(row.claims) as Record<string, unknown>, offline: row.offline === 1, expiresAt: row.expires_at, revoked: row.revoked_at !== null,
    resources: row.resources === null ? [] : JSON.parse(row.resources) as string[], parentId: row.parent_id, ...(row.idp ? { idp: row.idp } : {}),
  });
  return {
    async create(g: NewGrant, now: number): Promise<Grant> {
      const id = timeOrderedId();
      const resources = g.resources ?? [];
      const parentId = g.parentId ?? null;
      await db.insertInto('grants').values({
        id, realm: g.realm, client_id: g.clientId, user_id: g.userId, session_id: g.sessionId, scope: g.scope,
        auth_time: g.authTime, amr: JSON.stringify(g.amr), acr: g.acr, nonce: g.nonce, claims: g.claims === null ? null : JSON.stringify(g.claims), offline: g.offline ? 1 : 0,
        created_at: now, expires_at: g.expiresAt, revoked_at: null, resources: resources.length > 0 ? JSON.stringify(resources) : null, parent_id: parentId,
        idp: g.idp ?? null,
      }).execute();
      return { ...g, id, revoked: false, resources, parentId };
    },
    /** Frozen: it may be shared with other requests. */
    async get(id: string): Promise<Grant | undefined> {
      return reads.read(`grant ${id}`, async () => {
        const row = await db.selectFrom('grants').selectAll().where('id', '=', id).executeTakeFirst();
        return row && toGrant(row);
      });
    },
    /** A grant is usable while neither it nor a grant it was exchanged from is revoked or past its absolute expiry. */
    async isActive(id: string, now: number): Promise<boolean> {
      let current: string | null = id;
      for (let depth = 0; current !== null && depth < maxGrantDepth; depth++) {
        const row: { parent_id: string | null } | undefined = await db.selectFrom('grants').select('parent_id').where('id', '=', current)
          .where('revoked_at', 'is', null).where('expires_at', '>', now).executeTakeFirst();
        if (!row) return false;
        current = row.parent_id;
      }
      return current === null;
    },
    async revoke(id: string, now: number): Promise<void> {
      await db.updateTable('grants').set({ revoked_at: now }).where('id', '=', id).where('revoked_at', 'is', null).execute();
    },
    /** A deleted client's grants end with it, so the access tokens it still holds stop working. */
    async revokeForClient(realm: string, clientId: string, now: number): Promise<void> {
      await db.updateTable('grants').set({ revoked_at: now })
        .where('realm', '=', realm).where('client_id', '=', clientId).where('revoked_at', 'is', null).execute();
    },
    /** Consent revoked on the account page: every grant of the user to the client ends, offline ones included. */
    async revokeForUserAndClient(realm: string, userId: string, clientId: string, now: number): Promise<void> {
      await db.updateTable('grants').set({ revoked_at: now })
        .where('realm', '=', realm).where('user_id', '=', userId).where('client_id', '=', clientId).where('revoked_at', 'is', null).execute();
    },
    /** The clients a browser session signed in to: the ones to tell when it ends. */
    /** A password reset that signs out everywhere: every grant of the user ends, offline ones included, and with them their refresh tokens. */
    async revokeForUser(userId: string, now: number): Promise<void> {
      await db.updateTable('grants').set({ revoked_at: now }).where('user_id', '=', userId).where('revoked_at', 'is', null).execute();
    },
    async clientIdsForSession(sessionId: string): Promise<string[]> {
      const rows = await db.selectFrom('grants').select('client_id').distinct().where('session_id', '=', sessionId).orderBy('client_id').execute();
      return rows.map((r) => r.client_id);
    },
    /** Logout: the grants bound to a browser session end with it; offline grants outlive it. */
    async revokeForSession(sessionId: string, now: number): Promise<void> {
      await db.updateTable('grants').set({ revoked_at: now })
        .where('session_id', '=', sessionId).where('offline', '=', 0).where('revoked_at', 'is', null).execute();
    },
  };
}
export type GrantsRepository = ReturnType<typeof grantsRepository>;
