// The audit event log and its webhook outbox. An event and the deliveries it causes are written in
// one transaction, so a delivery is never lost once its event is stored, and never sent for an
// event that was not.
import { CompiledQuery, sql, type ExpressionBuilder, type Kysely } from 'kysely';
import type { Dialect } from './db.js';
import { timeOrderedId } from '../runtime.js';
import type { Database } from './schema.js';

export interface StoredEvent {
  id: string;
  realm: string;
  time: number;               // ms
  type: string;
  userId: string | null;
  clientId: string | null;
  ip: string | null;
  sessionId: string | null;
  details: Record<string, unknown>;
}

/** A webhook delivery to make: the event's JSON body, to `url`. */
export interface NewDelivery { url: string; body: string }

export interface EventQuery {
  realm: string;
  types?: string[];
  userId?: string;
  clientId?: string;
  ip?: string;
  from?: number;
  to?: number;
  first: number;
  max: number;
}

export interface Delivery { id: string; realm: string; url: string; body: string; attempts: number }

const eventRow = (e: StoredEvent) => ({
  id: e.id, realm: e.realm, time: e.time, type: e.type, user_id: e.userId, client_id: e.clientId,
  ip: e.ip, session_id: e.sessionId, details: JSON.stringify(e.details),
});

export function eventsRepository(db: Kysely<Database>, dialect: Dialect) {
  // SQLite stores a batch row by row through one prepared statement (compiled here once; a
  // multi-row statement would be compiled and prepared anew for every batch), PostgreSQL in one
  // multi-row statement (one round trip). Either way in one transaction: one commit per batch.
  const insertOne = db.insertInto('events').values(eventRow({
    id: '', realm: '', time: 0, type: '', userId: null, clientId: null, ip: null, sessionId: null, details: {},
  })).compile().sql;
  const toEvent = (row: Database['events']): StoredEvent => ({
    id: row.id, realm: row.realm, time: row.time, type: row.type, userId: row.user_id, clientId: row.client_id,
    ip: row.ip, sessionId: row.session_id, details: JSON.parse(row.details) as Record<string, unknown>,
  });
  return {
    /** Stores events and their deliveries in one transaction (one commit for a whole batch). */
    async append(batch: { event: StoredEvent; deliveries: NewDelivery[] }[], now: number): Promise<void> {
      if (batch.length === 0) return;
      await db.transaction().execute(async (tx) => {
        if (dialect === 'sqlite') {
          // eventRow lists the columns in the order they were compiled in.
          for (const { event } of batch) await tx.executeQuery(CompiledQuery.raw(insertOne, Object.values(eventRow(event))));
        } else {
          await tx.insertInto('events').values(batch.map(({ event }) => eventRow(event))).execute();
        }
        const deliveries = batch.flatMap(({ event, deliveries: list }) => list.map((d) => ({
          id: timeOrderedId(), realm: event.realm, event_id: event.id, url: d.url, body: d.body, attempts: 0,
          next_attempt_at: now, claimed_until: null, created_at: now,
        })));
        if (deliveries.length > 0) await tx.insertInto('event_outbox').values(deliveries).execute();
      });
    },
    /** Newest first. */
    async find(q: EventQuery): Promise<StoredEvent[]> {
      let query = db.selectFrom('events').selectAll().where('realm', '=', q.realm);
      if (q.types && q.types.length > 0) query = query.where('type', 'in', q.types);
      if (q.userId !== undefined) query = query.where('user_id', '=', q.userId);
      if (q.clientId !== undefined) query = query.where('client_id', '=', q.clientId);
      if (q.ip !== undefined) query = query.where('ip', '=', q.ip);
      if (q.from !== undefined) query = query.where('time', '>=', q.from);
      if (q.to !== undefined) query = query.where('time', '<=', q.to);
      const rows = await query.orderBy('time', 'desc').orderBy('id', 'desc').limit(q.max).offset(q.first).execute();
      return rows.map(toEvent);
    },
    /** Deletes a realm's events older than `before`, at most `batch` of them. */
    async purge(realm: string, before: number, batch: number): Promise<number> {
      const result = await db.deleteFrom('events').where('id', 'in',
        db.selectFrom('events').select('id').where('realm', '=', realm).where('time', '<', before).limit(batch)).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
    /**
     * Claims up to `limit` due deliveries for `leaseMs`. The claim condition is repeated outside the
     * subquery so that, when two nodes race for a row, PostgreSQL re-checks it on the row the other
     * node updated and only one of them gets it (SQLite serialises the writes).
     */
    async claimDeliveries(now: number, leaseMs: number, limit: number): Promise<Delivery[]> {
      const free = (eb: ExpressionBuilder<Database, 'event_outbox'>) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<', now)]);
      const rows = await db.updateTable('event_outbox')
        .set({ claimed_until: now + leaseMs, attempts: sql`attempts + 1` })
        .where('id', 'in', db.selectFrom('event_outbox').select('id').where('next_attempt_at', '<=', now).where(free)
          .orderBy('next_attempt_at').limit(limit))
        .where('next_attempt_at', '<=', now).where(free)
        .returning(['id', 'realm', 'url', 'body', 'attempts'])
        .execute();
      return rows;
    },
    async delivered(id: string): Promise<void> {
      await db.deleteFrom('event_outbox').where('id', '=', id).execute();
    },
    async retryAt(id: string, at: number): Promise<void> {
      await db.updateTable('event_outbox').set({ next_attempt_at: at, claimed_until: null }).where('id', '=', id).execute();
    },
  };
}
export type EventsRepository = ReturnType<typeof eventsRepository>;

/** Browsers a user has signed in from, by the hash of their device cookie. */
export function knownDevicesRepository(db: Kysely<Database>) {
  return {
    /**
     * Remembers the device (or refreshes its last sighting) and says whether it was new, and
     * whether the user had any device before it.
     */
    async sighted(userId: string, deviceHash: string, userAgent: string, now: number): Promise<{ isNew: boolean; hadOthers: boolean }> {
      const updated = await db.updateTable('known_devices').set({ last_seen_at: now, user_agent: userAgent })
        .where('user_id', '=', userId).where('device_hash', '=', deviceHash).executeTakeFirst();
      if (Number(updated.numUpdatedRows) > 0) return { isNew: false, hadOthers: true };
      const others = await db.selectFrom('known_devices').select('device_hash').where('user_id', '=', userId).limit(1).executeTakeFirst();
      const inserted = await db.insertInto('known_devices')
        .values({ user_id: userId, device_hash: deviceHash, user_agent: userAgent, first_seen_at: now, last_seen_at: now })
        .onConflict((oc) => oc.columns(['user_id', 'device_hash']).doNothing()).executeTakeFirst();
      return { isNew: Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0, hadOthers: others !== undefined };
    },
    /** Forgets devices unseen since `before` (few expire per run: each sign-in refreshes its device). */
    async purge(before: number): Promise<number> {
      const result = await db.deleteFrom('known_devices').where('last_seen_at', '<', before).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
export type KnownDevicesRepository = ReturnType<typeof knownDevicesRepository>;
