// Forgotten passwords (docs/email.md): a single-use link by e-mail, valid for the realm's
// `password_reset_lifetime`, stored only as a hash, replaced by a newer one and ended by a
// successful sign-in; then a new password under the realm's policy, and (unless the user says
// otherwise) every session and refresh token of the account ends. Nothing here signs the user in,
// so a second factor still applies at the next sign-in.
import { queueMail } from '../mail/outbox.js';
import { mailContext, resetPasswordMail } from '../mail/templates.js';
import { recordEvent } from '../security/audit.js';
import { endUserSessions, type LogoutNotificationsDeps } from './logout-notifications.js';
import { changePassword, passwordProblems, PasswordPolicyError } from '../security/password-policy.js';
import type { Needs } from '../services.js';
import type { PasswordPolicyDeps } from '../security/password-policy.js';
import type { Realm } from '../store/realms.js';
import type { User } from '../store/users.js';

export type ResetRequestServices = Needs<'config' | 'clock' | 'sealer' | 'log' | 'audit', 'users' | 'emailActions' | 'mailOutbox'>;
/** What setting the new password uses. */
export type ResetPasswordDeps = Needs<'clock' | 'audit', 'emailActions' | 'users' | 'sessions' | 'grants'> & PasswordPolicyDeps & LogoutNotificationsDeps;

const maxIdentifierLength = 254;

/** The account a "username or e-mail" names: by username first, then by address. */
export async function accountFor(s: Needs<never, 'users'>, realm: Realm, identifier: string): Promise<User | undefined> {
  const value = identifier.trim();
  if (value === '' || value.length > maxIdentifierLength) return undefined;
  return (await s.store.users.findByUsername(realm.name, value)) ?? (value.includes('@') ? await s.store.users.findByEmail(realm.name, value) : undefined);
}

/**
 * Sends a reset link to the account, if it may have one (enabled, with an address). The page that
 * asked answers the same whatever happens here, so this runs after the answer is on its way.
 */
export async function sendResetLink(
  s: ResetRequestServices, realm: Realm, user: User, o: { link: (token: string) => string; locale: string; ip: string },
): Promise<void> {
  if (!user.enabled || !user.email) return;
  const now = s.clock.now();
  const lifetime = realm.settings.password_reset_lifetime;
  const { token } = await s.store.emailActions.issue({ realm: realm.name, userId: user.id, purpose: 'reset_password', email: user.email, expiresAt: now + lifetime * 1000 }, now);
  const message = resetPasswordMail(mailContext(s, realm, { email: user.email, username: user.username }, o.locale), o.link(token), Math.round(lifetime / 60));
  const queued = await queueMail(s, realm, 'reset_password', message);
  await recordEvent(s, { realm, type: 'password_reset_requested', userId: user.id, ip: o.ip, details: { username: user.username, sent: queued } });
}

/** A successful sign-in ends the reset links the account has pending. */
export async function endPasswordResets(s: Needs<'clock', 'emailActions'>, user: User): Promise<void> {
  await s.store.emailActions.invalidate(user.id, 'reset_password', s.clock.now());
}

export type ResetOutcome = { kind: 'done'; user: User } | { kind: 'invalid' } | { kind: 'refused'; problems: string[]; token: string };

/**
 * Sets the new password with the link `token`. The link is used up only by a password that is
 * accepted: the policy is checked first, and a refusal found only once the link is used (a reused
 * old password) comes back with a fresh link that expires when the old one would have.
 */
export async function resetPassword(
  s: ResetPasswordDeps, realm: Realm, token: string, password: string, o: { signOutEverywhere: boolean; ip: string },
): Promise<ResetOutcome> {
  const pending = await s.store.emailActions.find(realm.name, 'reset_password', token, s.clock.now());
  const pendingUser = pending && await s.store.users.findById(pending.userId);
  if (!pending || !pendingUser || !pendingUser.enabled) return { kind: 'invalid' };
  const problems = await passwordProblems(realm.settings.password_policy, password, pendingUser);
  if (problems.length > 0) return { kind: 'refused', problems, token };
  const action = await s.store.emailActions.consume(realm.name, 'reset_password', token, s.clock.now());
  if (!action) return { kind: 'invalid' };
  try {
    await changePassword(s, realm, pendingUser, password);
  } catch (error) {
    if (!(error instanceof PasswordPolicyError)) throw error;
    const fresh = await s.store.emailActions.issue({ ...action, purpose: 'reset_password' }, s.clock.now());
    return { kind: 'refused', problems: error.problems, token: fresh.token };
  }
  const now = s.clock.now();
  if (o.signOutEverywhere) {
    await endUserSessions(s, realm, pendingUser.id);
  }
  // A new password chosen by link is the update_password an administrator may have asked for.
  if (pendingUser.requiredActions.includes('update_password')) {
    await s.store.users.setRequiredActions(pendingUser.id, pendingUser.requiredActions.filter((a) => a !== 'update_password'), now);
  }
  await recordEvent(s, { realm, type: 'password_reset', userId: pendingUser.id, ip: o.ip, details: { username: pendingUser.username, signed_out_everywhere: o.signOutEverywhere } });
  return { kind: 'done', user: pendingUser };
}
