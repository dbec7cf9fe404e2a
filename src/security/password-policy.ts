// Password policy (docs/security.md): length bounds, not the username or email, not one of the most
// common passwords (a list shipped with Strix, checked offline), not a recent previous password;
// and the argon2id parameters new hashes get, with old hashes upgraded at sign-in.
import { hashPassword, needsRehash, verifyPassword } from '../identity/passwords.js';
import type { Needs } from '../services.js';
import type { PasswordPolicy, Realm } from '../store/realms.js';
import type { User } from '../store/users.js';

/** What this module uses (services.ts `Needs`). */
export type PasswordPolicyDeps = Needs<'clock', 'passwordHistory' | 'users'>;

export class PasswordPolicyError extends Error {
  constructor(readonly problems: string[]) {
    super(`the password does not meet the realm's password policy: ${problems.join('; ')}`);
    this.name = 'PasswordPolicyError';
  }
}

let common: Promise<Set<string>> | undefined;

/** The ~49,000 most common passwords (zxcvbn-ts's list), loaded on first use. */
function commonPasswords(): Promise<Set<string>> {
  common ??= import('@zxcvbn-ts/language-common').then(({ dictionary }) => new Set(dictionary['passwords-common']));
  return common;
}

/** What is wrong with a password under a policy, in words for the person choosing it (empty: nothing). */
export async function passwordProblems(policy: PasswordPolicy, password: string, owner: { username: string; email?: string | null }): Promise<string[]> {
  const problems: string[] = [];
  const length = [...password].length;
  if (length < policy.min_length) problems.push(`use at least ${policy.min_length} characters`);
  if (length > policy.max_length) problems.push(`use at most ${policy.max_length} characters`);
  const lowered = password.toLowerCase();
  if (policy.not_username && lowered === owner.username.toLowerCase()) problems.push('do not use your username');
  if (policy.not_email && owner.email && lowered === owner.email.toLowerCase()) problems.push('do not use your email address');
  if (policy.not_common && (await commonPasswords()).has(lowered)) problems.push('this password is one of the most commonly used; choose another');
  return problems;
}

export async function assertAcceptable(policy: PasswordPolicy, password: string, owner: { username: string; email?: string | null }): Promise<void> {
  const problems = await passwordProblems(policy, password, owner);
  if (problems.length > 0) throw new PasswordPolicyError(problems);
}

/** Sets a user's new password under the realm's policy, history included; the old hash joins the history. */
export async function changePassword(s: PasswordPolicyDeps, realm: Realm, user: User, password: string): Promise<void> {
  const policy = realm.settings.password_policy;
  await assertAcceptable(policy, password, user);
  const previous = [...(user.passwordHash ? [user.passwordHash] : []), ...await s.store.passwordHistory.recent(user.id, policy.history)].slice(0, Math.max(policy.history, 0));
  for (const old of previous) {
    if (await verifyPassword(old, password)) throw new PasswordPolicyError([`do not reuse one of your last ${policy.history} passwords`]);
  }
  const now = s.clock.now();
  if (user.passwordHash) await s.store.passwordHistory.remember(user.id, user.passwordHash, policy.history, now);
  await s.store.users.setPasswordHash(user.id, await hashPassword(password, policy.hashing), now);
}

/** After a successful sign-in: re-hash a password stored with other argon2id parameters than the policy's. */
export async function upgradeHash(s: PasswordPolicyDeps, realm: Realm, user: User, password: string): Promise<void> {
  const { hashing } = realm.settings.password_policy;
  if (user.passwordHash && needsRehash(user.passwordHash, hashing)) {
    await s.store.users.setPasswordHash(user.id, await hashPassword(password, hashing), s.clock.now());
  }
}
