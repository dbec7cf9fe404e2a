// Pushed authorization requests (RFC 9126 §2.2, §4): the parameters a client pushed, kept in the
// database (not in memory) so that any node can answer the authorization request that names them.
import type { Kysely } from 'kysely';
import { randomToken, sha256 } from '../runtime.js';
import type { Database } from './schema.js';

export interface PushedRequest {
  realm: string;
  clientId: string;
  params: Record<string, string>;
  expiresAt: number;
}

export function pushedRequestsRepository(db: Kysely<Database>) {
  return {
    /** Stores the request; returns the random reference (256 bits), of which only a hash is kept. */
    async create(r: PushedRequest, now: number): Promise<string> {
      const id = randomToken();
      await db.insertInto('pushed_requests').values({
        id_hash: sha256(id), realm: r.realm, client_id: r.clientId, params: JSON.stringify(r.params), created_at: now, expires_at: r.expiresAt,
      }).execute();
      return id;
    },
    /**
     * Removes and returns the request pushed by this client (expired or not: the caller tells
     * the two apart). One caller wins however many race; another client's reference is left alone.
     */
    async take(realm: string, clientId: string, id: string): Promise<PushedRequest | undefined> {
      const match = db.selectFrom('pushed_requests').selectAll()
        .where('id_hash', '=', sha256(id)).where('realm', '=', realm).where('client_id', '=', clientId);
      const row = await match.executeTakeFirst();
      if (!row) return undefined;
      const removed = await db.deleteFrom('pushed_requests').where('id_hash', '=', row.id_hash).executeTakeFirst();
      if (Number(removed.numDeletedRows) !== 1) return undefined;
      return { realm: row.realm, clientId: row.client_id, params: JSON.parse(row.params) as Record<string, string>, expiresAt: row.expires_at };
    },
  };
}
export type PushedRequestsRepository = ReturnType<typeof pushedRequestsRepository>;
