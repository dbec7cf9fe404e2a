// The mail outbox (src/mail/outbox.ts): messages are written here before anyone is told they were
// sent, and every node sends from it, claiming due rows with a lease so that one node sends each.
// Sent rows stay a while: the per-address limit counts them.
import { sql, type ExpressionBuilder, type Kysely } from 'kysely';
import { timeOrderedId } from '../runtime.js';
import type { Database } from './schema.js';

export interface NewMail { realm: string; template: string; recipientDigest: string; messageSealed: string }
export interface QueuedMail { id: string; realm: string; template: string; messageSealed: string; attempts: number }

export function mailOutboxRepository(db: Kysely<Database>) {
  const pending = (eb: ExpressionBuilder<Database, 'mail_outbox'>) => eb.and([eb('sent_at', 'is', null), eb('failed_at', 'is', null)]);
  return {
    async queue(mail: NewMail, now: number): Promise<string> {
      const id = timeOrderedId(now);
      await db.insertInto('mail_outbox').values({
        id, realm: mail.realm, template: mail.template, recipient_digest: mail.recipientDigest, message_sealed: mail.messageSealed,
        attempts: 0, next_attempt_at: now, claimed_until: null, created_at: now, sent_at: null, failed_at: null,
      }).execute();
      return id;
    },
    /** Messages queued for this address (by digest) since `since`, sent or not. */
    async countFor(realm: string, recipientDigest: string, since: number): Promise<number> {
      const row = await db.selectFrom('mail_outbox').select((eb) => eb.fn.countAll<string | number>().as('n'))
        .where('realm', '=', realm).where('recipient_digest', '=', recipientDigest).where('created_at', '>=', since).executeTakeFirst();
      return Number(row?.n ?? 0);
    },
    /** Due messages nobody holds, each claimed for `leaseMs` with its attempt counted. */
    async claim(now: number, leaseMs: number, limit: number): Promise<QueuedMail[]> {
      const free = (eb: ExpressionBuilder<Database, 'mail_outbox'>) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<', now)]);
      return db.updateTable('mail_outbox')
        .set({ claimed_until: now + leaseMs, attempts: sql`attempts + 1` })
        .where('id', 'in', db.selectFrom('mail_outbox').select('id').where(pending).where('next_attempt_at', '<=', now).where(free)
          .orderBy('next_attempt_at').limit(limit))
        .where(pending).where('next_attempt_at', '<=', now).where(free)
        .returning(['id', 'realm', 'template', 'message_sealed as messageSealed', 'attempts'])
        .execute();
    },
    async sent(id: string, now: number): Promise<void> {
      await db.updateTable('mail_outbox').set({ sent_at: now, claimed_until: null, message_sealed: '' }).where('id', '=', id).execute();
    },
    async retryAt(id: string, at: number): Promise<void> {
      await db.updateTable('mail_outbox').set({ next_attempt_at: at, claimed_until: null }).where('id', '=', id).execute();
    },
    async givenUp(id: string, now: number): Promise<void> {
      await db.updateTable('mail_outbox').set({ failed_at: now, claimed_until: null, message_sealed: '' }).where('id', '=', id).execute();
    },
    /** Messages not yet sent nor given up (operations and tests). */
    async pendingCount(): Promise<number> {
      const row = await db.selectFrom('mail_outbox').select((eb) => eb.fn.countAll<string | number>().as('n')).where(pending).executeTakeFirst();
      return Number(row?.n ?? 0);
    },
    /** Sent or given-up messages older than `before`. */
    async purge(before: number, batch: number): Promise<number> {
      const result = await db.deleteFrom('mail_outbox').where('id', 'in',
        db.selectFrom('mail_outbox').select('id').where((eb) => eb.or([eb('sent_at', '<', before), eb('failed_at', '<', before)])).limit(batch)).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
export type MailOutboxRepository = ReturnType<typeof mailOutboxRepository>;
