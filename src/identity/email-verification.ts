// E-mail verification (docs/email.md): a single-use link, and a 6-digit code for when the link
// opens on another device, both valid for the realm's `email_verification_lifetime` and stored only
// as a hash (the code as a keyed digest, tried at most five times). Either sets `email_verified`,
// provided the account still has the address the message went to.
import { randomInt } from 'node:crypto';
import { queueMail } from '../mail/outbox.js';
import { addressInUseMail, changeEmailMail, emailChangeNoticeMail, mailContext, verifyEmailMail } from '../mail/templates.js';
import { recordEvent } from '../security/audit.js';
import { randomToken, safeEqual } from '../runtime.js';
import type { Needs } from '../services.js';
import type { EmailAction, EmailActionPurpose } from '../store/email-actions.js';
import type { Realm } from '../store/realms.js';
import type { User } from '../store/users.js';

export type VerificationServices = Needs<'config' | 'clock' | 'sealer' | 'log' | 'audit', 'users' | 'emailActions' | 'mailOutbox'>;

const maxCodeAttempts = 5;

const codeDigest = (s: Needs<'sealer'>, id: string, code: string) => s.sealer.digest(`email-code\0${id}\0${code}`);

/** An address a message can be sent to: one @, a dotted domain, nothing that would break a header. */
export const isEmailAddress = (value: string): boolean => value.length <= 254 && /^[^\s@<>",;]{1,64}@[^\s@<>",;]+\.[^\s@<>",;]+$/.test(value);

export const isEmailVerified = (user: User): boolean => user.claims.email_verified === true;

/** Sends the link and code to the account's address; returns the id the code form carries (not a secret). */
export async function sendVerification(
  s: VerificationServices, realm: Realm, user: User & { email: string }, o: { link: (token: string) => string; locale: string; id?: string },
): Promise<string> {
  const now = s.clock.now();
  const lifetime = realm.settings.email_verification_lifetime;
  const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
  const { id, token } = await s.store.emailActions.issue({
    ...(o.id ? { id: o.id } : {}), realm: realm.name, userId: user.id, purpose: 'verify_email', email: user.email, expiresAt: now + lifetime * 1000,
    codeDigest: (actionId) => codeDigest(s, actionId, code),
  }, now);
  const message = verifyEmailMail(mailContext(s, realm, user, o.locale), o.link(token), code, Math.round(lifetime / 3600));
  await queueMail(s, realm, 'verify_email', message);
  return id;
}

/**
 * Starts changing the account's address to `newEmail`: a link and code go to the new address, a
 * notice to the old one, and nothing changes until the new address is confirmed. An address that
 * belongs to another account gets a message saying so instead; the caller shows the same page
 * either way (the id it returns then names nothing).
 */
export async function sendAddressChange(
  s: VerificationServices, realm: Realm, user: User, newEmail: string, o: { link: (token: string) => string; locale: string; ip: string },
): Promise<string> {
  const holder = await s.store.users.findByEmail(realm.name, newEmail);
  const context = (to: string) => mailContext(s, realm, { email: to, username: user.username }, o.locale);
  if (holder && holder.id !== user.id) {
    await queueMail(s, realm, 'address_in_use', addressInUseMail({ ...context(newEmail), username: holder.username }));
    return randomToken(16);
  }
  const now = s.clock.now();
  const lifetime = realm.settings.email_verification_lifetime;
  const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
  const { id, token } = await s.store.emailActions.issue({
    realm: realm.name, userId: user.id, purpose: 'change_email', email: newEmail, expiresAt: now + lifetime * 1000,
    codeDigest: (actionId) => codeDigest(s, actionId, code),
  }, now);
  await queueMail(s, realm, 'change_email', changeEmailMail(context(newEmail), o.link(token), code, Math.round(lifetime / 3600)));
  if (user.email) await queueMail(s, realm, 'email_change_notice', emailChangeNoticeMail(context(user.email), newEmail));
  await recordEvent(s, { realm, type: 'email_change_requested', userId: user.id, ip: o.ip, details: { username: user.username } });
  return id;
}

/** What a verification link or code may confirm: the account's address, or the new address it asked for. */
export const confirmable: EmailActionPurpose[] = ['verify_email', 'change_email'];

export async function verifyByLink(s: VerificationServices, realm: Realm, token: string, ip: string): Promise<User | undefined> {
  return verified(s, realm, await s.store.emailActions.consume(realm.name, confirmable, token, s.clock.now()), ip);
}

export async function verifyByCode(s: VerificationServices, realm: Realm, id: string, code: string, ip: string): Promise<User | undefined> {
  const typed = code.replace(/\s+/g, '');
  if (!/^\d{6}$/.test(typed) || id === '') return undefined;
  const expected = codeDigest(s, id, typed);
  return verified(s, realm, await s.store.emailActions.consumeByCode(realm.name, confirmable, id, (stored) => safeEqual(stored, expected), maxCodeAttempts, s.clock.now()), ip);
}

async function verified(s: VerificationServices, realm: Realm, action: EmailAction | undefined, ip: string): Promise<User | undefined> {
  const user = action && await s.store.users.findById(action.userId);
  if (!action || !user) return undefined;
  if (action.purpose === 'change_email') {
    // The new address is the account's once confirmed, unless another account took it meanwhile.
    const holder = await s.store.users.findByEmail(realm.name, action.email);
    if (holder && holder.id !== user.id) return undefined;
    await s.store.users.updateProfile(user.id, action.email, { ...user.claims, email_verified: true }, s.clock.now());
    await recordEvent(s, { realm, type: 'email_changed', userId: user.id, ip, details: { username: user.username } });
    return user;
  }
  if (user.email?.toLowerCase() !== action.email.toLowerCase()) return undefined;
  await s.store.users.updateProfile(user.id, user.email, { ...user.claims, email_verified: true }, s.clock.now());
  await recordEvent(s, { realm, type: 'email_verified', userId: user.id, ip, details: { username: user.username } });
  return user;
}
