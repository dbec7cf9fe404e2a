// Sign-in by e-mail (docs/email.md): a 6-digit code, and where the realm wants it a link, sent to
// the account's verified address only. Both work once, for the realm's `email_sign_in_lifetime`;
// the link is stored as a hash, the code as a keyed digest tried at most five times, and a newer
// code ends the older one. The session this starts says `otp` in its amr (RFC 8176 §2).
import { randomInt } from 'node:crypto';
import { queueMail } from '../mail/outbox.js';
import { mailEnabled } from '../mail/transport.js';
import { mailContext, signInCodeMail } from '../mail/templates.js';
import { recordEvent } from '../security/audit.js';
import { randomToken, safeEqual } from '../runtime.js';
import type { Needs } from '../services.js';
import type { EmailAction } from '../store/email-actions.js';
import type { Client } from '../store/clients.js';
import type { EmailSignIn, Realm } from '../store/realms.js';
import type { User } from '../store/users.js';
import { isEmailVerified } from './email-verification.js';

export type EmailSignInServices = Needs<'config' | 'clock' | 'sealer' | 'log' | 'audit', 'users' | 'emailActions' | 'mailOutbox'>;

/** What a session started by an e-mail code or link says in its amr (RFC 8176: "otp", a one-time password). */
export const emailSignInAmr = ['otp'];

const maxCodeAttempts = 5;

const codeDigest = (s: Needs<'sealer'>, id: string, code: string) => s.sealer.digest(`email-sign-in\0${id}\0${code}`);

/** How sign-ins to `client` (any client's, without one) may go by e-mail: the client's own choice, else the realm's. */
export const emailSignInMode = (realm: Realm, client?: Client): EmailSignIn => client?.metadata.email_sign_in ?? realm.settings.email_sign_in;

/** Whether the sign-in page (for `client`) offers `Email me a sign-in code`: the client or realm wants it and the realm can send mail. */
export const emailSignInOffered = (s: Needs<'config'>, realm: Realm, client?: Client): boolean =>
  emailSignInMode(realm, client) !== 'off' && mailEnabled(s.config, realm);

/** An account may be sent a sign-in code only when it is enabled and its address is verified. */
export const mayReceiveSignInCode = (user: User | undefined): user is User & { email: string } =>
  !!user && user.enabled && !!user.email && isEmailVerified(user);

/** The id the code form carries: made before the account is looked up, so the page is the same either way. */
export const newSignInChallenge = (): string => randomToken(16);

/**
 * Sends the code (and the link, if `link` is given) for `challenge`. The page that asked answers the
 * same whether or not anything is sent, so this runs after the answer is on its way.
 */
export async function sendSignInCode(
  s: EmailSignInServices, realm: Realm, user: User & { email: string }, o: { challenge: string; link?: (token: string) => string; locale: string; ip: string },
): Promise<void> {
  const now = s.clock.now();
  const lifetime = realm.settings.email_sign_in_lifetime;
  const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
  const { token } = await s.store.emailActions.issue({
    id: o.challenge, realm: realm.name, userId: user.id, purpose: 'sign_in', email: user.email, expiresAt: now + lifetime * 1000,
    codeDigest: (id) => codeDigest(s, id, code),
  }, now);
  const message = signInCodeMail(mailContext(s, realm, user, o.locale), code, o.link?.(token), Math.round(lifetime / 60));
  const queued = await queueMail(s, realm, 'sign_in_code', message);
  await recordEvent(s, { realm, type: 'email_code_sent', userId: user.id, ip: o.ip, details: { username: user.username, sent: queued } });
}

/** The account a typed code signs in, if the code is the one sent for `challenge` and the account may still use it. */
export async function signInByCode(s: EmailSignInServices, realm: Realm, challenge: string, code: string): Promise<User | undefined> {
  const typed = code.replace(/\s+/g, '');
  if (!/^\d{6}$/.test(typed) || challenge === '') return undefined;
  const expected = codeDigest(s, challenge, typed);
  return signedIn(s, await s.store.emailActions.consumeByCode(realm.name, 'sign_in', challenge, (stored) => safeEqual(stored, expected), maxCodeAttempts, s.clock.now()));
}

/** The account a sign-in link signs in (used up here). */
export async function signInByLink(s: EmailSignInServices, realm: Realm, token: string): Promise<User | undefined> {
  if (token === '') return undefined;
  const action = await s.store.emailActions.consume(realm.name, 'sign_in', token, s.clock.now());
  return signedIn(s, action);
}

async function signedIn(s: EmailSignInServices, action: EmailAction | undefined): Promise<User | undefined> {
  if (!action) return undefined;
  const user = await s.store.users.findById(action.userId);
  // The code went to an address: it signs in only while the account still has that address, verified.
  if (!mayReceiveSignInCode(user) || user.email.toLowerCase() !== action.email.toLowerCase()) return undefined;
  return user;
}
