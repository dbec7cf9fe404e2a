// Self-registration (docs/email.md): an account made on the sign-in page, under the realm's
// password policy, with its address unverified until the verification message is answered. An
// address that already has an account gets the same answer, and its owner a notice instead.
import { hashPassword } from './passwords.js';
import { recordEvent } from '../security/audit.js';
import { passwordProblems } from '../security/password-policy.js';
import { newId } from '../runtime.js';
import type { Needs } from '../services.js';
import type { Realm } from '../store/realms.js';
import type { User } from '../store/users.js';

export type RegistrationServices = Needs<'clock' | 'audit', 'users'>;

export interface Registration {
  username: string; email: string; password: string; claims: Record<string, string>;
  /** The terms the person accepted (their URL), recorded on the account with the time. */
  termsAccepted?: string;
}

export type WithEmail = User & { email: string };

export type RegistrationOutcome =
  | { kind: 'new'; passwordHash: string }
  | { kind: 'email_taken'; owner: WithEmail }
  | { kind: 'username_taken' }
  | { kind: 'refused'; problems: string[] };

/**
 * Checks a sign-up: the password policy, the username, the address. Nothing is written here: the
 * page answers the same for a new address and a taken one, and the writes (the account, or the
 * message to the address's owner) happen after the answer, so that both take as long.
 */
export async function checkRegistration(s: RegistrationServices, realm: Realm, r: Registration): Promise<RegistrationOutcome> {
  const policy = realm.settings.password_policy;
  const problems = await passwordProblems(policy, r.password, r);
  if (problems.length > 0) return { kind: 'refused', problems };
  const owner = await s.store.users.findByEmail(realm.name, r.email);
  const sameName = await s.store.users.findByUsername(realm.name, r.username);
  // The hash is made either way, so that an address with an account answers as slowly as a new one.
  const passwordHash = await hashPassword(r.password, policy.hashing);
  if (owner?.email) return { kind: 'email_taken', owner: owner as WithEmail };
  if (sameName) return sameName.email && sameName.email.toLowerCase() === r.email.toLowerCase() ? { kind: 'email_taken', owner: sameName as WithEmail } : { kind: 'username_taken' };
  return { kind: 'new', passwordHash };
}

/** Creates the checked account; undefined when another sign-up took the name meanwhile (the username is unique). */
export async function createRegisteredUser(s: RegistrationServices, realm: Realm, r: Registration, passwordHash: string, ip: string): Promise<WithEmail | undefined> {
  const now = s.clock.now();
  const id = newId();
  try {
    await s.store.users.create({ id, realm: realm.name, username: r.username, email: r.email, passwordHash, claims: { ...r.claims, email_verified: false, ...(r.termsAccepted ? { terms_accepted: { url: r.termsAccepted, at: Math.floor(now / 1000) } } : {}) }, enabled: true }, now);
  } catch {
    return undefined;
  }
  const user = (await s.store.users.findById(id))!;
  await recordEvent(s, { realm, type: 'user_registered', userId: id, ip, details: { username: user.username } });
  return user as WithEmail;
}
