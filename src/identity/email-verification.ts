// E-mail verification (docs/email.md): a single-use link, and a 6-digit code for when the link
// opens on another device, both valid for the realm's `email_verification_lifetime` and stored only
// as a hash (the code as a keyed digest, tried at most five times). Either sets `email_verified`,
// provided the account still has the address the message went to.
import { randomInt } from 'node:crypto';
import { queueMail } from '../mail/outbox.js';
import { verifyEmailMail } from '../mail/templates.js';
import { recordEvent } from '../security/audit.js';
import { safeEqual } from '../runtime.js';
import type { Needs } from '../services.js';
import type { EmailAction } from '../store/email-actions.js';
import type { Realm } from '../store/realms.js';
import type { User } from '../store/users.js';

export type VerificationServices = Needs<'clock' | 'sealer' | 'log' | 'audit', 'users' | 'emailActions' | 'mailOutbox'>;

const maxCodeAttempts = 5;

const codeDigest = (s: Needs<'sealer'>, id: string, code: string) => s.sealer.digest(`email-code\0${id}\0${code}`);

export const isEmailVerified = (user: User): boolean => user.claims.email_verified === true;

/** Sends the link and code to the account's address; returns the id the code form carries (not a secret). */
export async function sendVerification(
  s: VerificationServices, realm: Realm, user: User & { email: string }, o: { link: (token: string) => string; locale: string },
): Promise<string> {
  const now = s.clock.now();
  const lifetime = realm.settings.email_verification_lifetime;
  const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
  const { id, token } = await s.store.emailActions.issue({
    realm: realm.name, userId: user.id, purpose: 'verify_email', email: user.email, expiresAt: now + lifetime * 1000,
    codeDigest: (actionId) => codeDigest(s, actionId, code),
  }, now);
  const message = verifyEmailMail({ to: user.email, realmName: realm.displayName, username: user.username, locale: o.locale }, o.link(token), code, Math.round(lifetime / 3600));
  await queueMail(s, realm, 'verify_email', message);
  return id;
}

export async function verifyByLink(s: VerificationServices, realm: Realm, token: string, ip: string): Promise<User | undefined> {
  return verified(s, realm, await s.store.emailActions.consume(realm.name, 'verify_email', token, s.clock.now()), ip);
}

export async function verifyByCode(s: VerificationServices, realm: Realm, id: string, code: string, ip: string): Promise<User | undefined> {
  const typed = code.replace(/\s+/g, '');
  if (!/^\d{6}$/.test(typed) || id === '') return undefined;
  const expected = codeDigest(s, id, typed);
  return verified(s, realm, await s.store.emailActions.consumeByCode(realm.name, 'verify_email', id, (stored) => safeEqual(stored, expected), maxCodeAttempts, s.clock.now()), ip);
}

async function verified(s: VerificationServices, realm: Realm, action: EmailAction | undefined, ip: string): Promise<User | undefined> {
  const user = action && await s.store.users.findById(action.userId);
  if (!action || !user || user.email?.toLowerCase() !== action.email.toLowerCase()) return undefined;
  await s.store.users.updateProfile(user.id, user.email, { ...user.claims, email_verified: true }, s.clock.now());
  await recordEvent(s, { realm, type: 'email_verified', userId: user.id, ip, details: { username: user.username } });
  return user;
}
