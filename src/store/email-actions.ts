// The single-use links e-mails carry (password reset, e-mail verification, sign-in) and the 6-digit
// code that may stand in for a verification or sign-in link: stored only as hashes, used at most once, and a newer
// link of the same purpose replaces the older ones.
import type { Kysely } from 'kysely';
import { randomToken, sha256 } from '../runtime.js';
import type { Database } from './schema.js';

export type EmailActionPurpose = 'reset_password' | 'verify_email' | 'change_email' | 'sign_in' | 'execute_actions';

const purposes = (p: EmailActionPurpose | EmailActionPurpose[]) => (Array.isArray(p) ? p : [p]);

export interface EmailAction {
  id: string; realm: string; userId: string; purpose: EmailActionPurpose; email: string; expiresAt: number;
  /** What the link does beyond its purpose, as given when issued (execute_actions). */
  details?: Record<string, unknown>;
}

export interface NewEmailAction {
  realm: string; userId: string; purpose: EmailActionPurpose; email: string; expiresAt: number;
  /** The id the code form carries, when the form is shown before the action is issued; random otherwise. */
  id?: string;
  /** A keyed digest of the code that may stand in for the link (computed by the caller, who holds the key). */
  codeDigest?: (id: string) => string;
  details?: Record<string, unknown>;
}

export function emailActionsRepository(db: Kysely<Database>) {
  const toAction = (row: Pick<Database['email_actions'], 'id' | 'realm' | 'user_id' | 'purpose' | 'email' | 'expires_at' | 'details'>): EmailAction => ({
    id: row.id, realm: row.realm, userId: row.user_id, purpose: row.purpose as EmailActionPurpose, email: row.email, expiresAt: row.expires_at,
    ...(row.details === null ? {} : { details: JSON.parse(row.details) as Record<string, unknown> }),
  });
  const columns = ['id', 'realm', 'user_id', 'purpose', 'email', 'expires_at', 'details'] as const;
  return {
    /** Issues a link (its secret returned once) and ends every earlier unused one of the user for the same purpose. */
    async issue(a: NewEmailAction, now: number): Promise<{ id: string; token: string }> {
      const token = randomToken();
      const id = a.id ?? randomToken(16);
      await db.transaction().execute(async (tx) => {
        await tx.updateTable('email_actions').set({ used_at: now })
          .where('user_id', '=', a.userId).where('purpose', '=', a.purpose).where('used_at', 'is', null).execute();
        await tx.insertInto('email_actions').values({
          id, realm: a.realm, user_id: a.userId, purpose: a.purpose, token_hash: sha256(token), code_digest: a.codeDigest?.(id) ?? null,
          code_attempts: 0, email: a.email, created_at: now, expires_at: a.expiresAt, used_at: null,
          details: a.details === undefined ? null : JSON.stringify(a.details),
        }).execute();
      });
      return { id, token };
    },
    /** The unused, unexpired link a secret names, without using it (to show its form). */
    async find(realm: string, purpose: EmailActionPurpose | EmailActionPurpose[], token: string, now: number): Promise<EmailAction | undefined> {
      const row = await db.selectFrom('email_actions').select(columns).where('token_hash', '=', sha256(token)).where('realm', '=', realm)
        .where('purpose', 'in', purposes(purpose)).where('used_at', 'is', null).where('expires_at', '>', now).executeTakeFirst();
      return row && toAction(row);
    },
    /** Uses the link: only one caller ever gets it back. */
    async consume(realm: string, purpose: EmailActionPurpose | EmailActionPurpose[], token: string, now: number): Promise<EmailAction | undefined> {
      const row = await db.updateTable('email_actions').set({ used_at: now }).where('token_hash', '=', sha256(token)).where('realm', '=', realm)
        .where('purpose', 'in', purposes(purpose)).where('used_at', 'is', null).where('expires_at', '>', now).returning(columns).executeTakeFirst();
      return row && toAction(row);
    },
    /**
     * Tries the code of link `id`: each try is counted, and once `maxAttempts` are spent the code is
     * dead. `matches` compares the stored digest in constant time.
     */
    async consumeByCode(realm: string, purpose: EmailActionPurpose | EmailActionPurpose[], id: string, matches: (storedDigest: string) => boolean, maxAttempts: number, now: number): Promise<EmailAction | undefined> {
      const row = await db.updateTable('email_actions').set((eb) => ({ code_attempts: eb('code_attempts', '+', 1) }))
        .where('id', '=', id).where('realm', '=', realm).where('purpose', 'in', purposes(purpose)).where('used_at', 'is', null).where('expires_at', '>', now)
        .where('code_attempts', '<', maxAttempts).where('code_digest', 'is not', null)
        .returning([...columns, 'code_digest']).executeTakeFirst();
      if (!row || !matches(row.code_digest!)) return undefined;
      const used = await db.updateTable('email_actions').set({ used_at: now }).where('id', '=', id).where('used_at', 'is', null).executeTakeFirst();
      return Number(used.numUpdatedRows) > 0 ? toAction(row) : undefined;
    },
    /** Ends the user's unused links of this purpose (a successful sign-in ends pending password resets). */
    async invalidate(userId: string, purpose: EmailActionPurpose, now: number): Promise<void> {
      await db.updateTable('email_actions').set({ used_at: now })
        .where('user_id', '=', userId).where('purpose', '=', purpose).where('used_at', 'is', null).execute();
    },
    async purge(before: number, batch: number): Promise<number> {
      const result = await db.deleteFrom('email_actions').where('id', 'in',
        db.selectFrom('email_actions').select('id').where('expires_at', '<', before).limit(batch)).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
export type EmailActionsRepository = ReturnType<typeof emailActionsRepository>;
