// A validated authorization request parked while the user signs in or consents,
// so that any node can continue it.
import type { Kysely } from 'kysely';
import { randomToken, sha256 } from '../runtime.js';
import type { Database } from './schema.js';

export interface Interaction<Request> {
  realm: string;
  clientId: string;
  request: Request;
  sessionId: string | null;
  expiresAt: number;
}

export function interactionsRepository(db: Kysely<Database>) {
  return {
    async create<R>(i: Interaction<R>, now: number): Promise<string> {
      const id = randomToken();
      await db.insertInto('interactions').values({
        id_hash: sha256(id), realm: i.realm, client_id: i.clientId, request: JSON.stringify(i.request),
        session_id: i.sessionId, created_at: now, expires_at: i.expiresAt,
      }).execute();
      return id;
    },
    async get<R>(id: string, now: number): Promise<Interaction<R> | undefined> {
      const row = await db.selectFrom('interactions').selectAll()
        .where('id_hash', '=', sha256(id)).where('expires_at', '>', now).executeTakeFirst();
      return row && {
        realm: row.realm, clientId: row.client_id, request: JSON.parse(row.request) as R,
        sessionId: row.session_id, expiresAt: row.expires_at,
      };
    },
    async attachSession(id: string, sessionId: string): Promise<void> {
      await db.updateTable('interactions').set({ session_id: sessionId }).where('id_hash', '=', sha256(id)).execute();
    },
    /** Ends the interaction; true only for the one caller that removed it (no double completion). */
    async finish(id: string): Promise<boolean> {
      const result = await db.deleteFrom('interactions').where('id_hash', '=', sha256(id)).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },
  };
}
export type InteractionsRepository = ReturnType<typeof interactionsRepository>;
