// Required actions (Keycloak's name; docs/email.md "Required actions"): what a user must do after
// the password step and before the client gets its code. An administrator sets them (admin API
// `required_actions`, execute-actions-email); some end by themselves once done elsewhere: a verified
// address ends verify_email, any second factor ends configure_totp.
import { mailEnabled } from '../mail/transport.js';
import type { Needs } from '../services.js';
import type { Realm } from '../store/realms.js';
import type { User } from '../store/users.js';
import { isEmailVerified } from './email-verification.js';
import { editedClaims } from './profile.js';
import { enrolledFactors, type MfaDeps } from './mfa.js';

/** In the order they run. */
export const requiredActionNames = ['update_password', 'verify_email', 'update_profile', 'configure_totp', 'terms_and_conditions'] as const;
export type RequiredAction = typeof requiredActionNames[number];

/** The claims update_profile asks for: the given and family names, then the realm's other sign-up fields (all required, as at sign-up). */
export function profileClaims(realm: Realm): string[] {
  return [...new Set(['given_name', 'family_name', ...realm.settings.registration_fields])];
}

export type RequiredActionsDeps = Needs<'clock' | 'config', 'users'> & MfaDeps;

/**
 * The action the user must take now, if any. Actions already done are cleared; an action this realm
 * cannot run (verify_email without mail or without an address, terms_and_conditions without
 * `terms_url`) waits, skipped, until it can.
 */
export async function pendingRequiredAction(s: RequiredActionsDeps, realm: Realm, user: User): Promise<RequiredAction | undefined> {
  if (user.requiredActions.length === 0) return undefined;
  const done: string[] = [];
  let pending: RequiredAction | undefined;
  for (const action of requiredActionNames) {
    if (!user.requiredActions.includes(action)) continue;
    if (action === 'verify_email' && isEmailVerified(user)) { done.push(action); continue; }
    if (action === 'verify_email' && (!user.email || !mailEnabled(s.config, realm))) continue;
    if (action === 'configure_totp') {
      const factors = await enrolledFactors(s, user);
      if (factors.totp || factors.passkeys > 0) { done.push(action); continue; }
    }
    if (action === 'terms_and_conditions' && !realm.settings.terms_url) continue;
    pending = action;
    break;
  }
  if (done.length > 0) await completeRequiredAction(s, user, ...done);
  return pending;
}

/** The user has done these actions. */
export async function completeRequiredAction(s: Needs<'clock', 'users'>, user: User, ...actions: string[]): Promise<void> {
  await s.store.users.setRequiredActions(user.id, user.requiredActions.filter((a) => !actions.includes(a)), s.clock.now());
}

/**
 * update_profile's form: the names and the realm's other sign-up fields, each required and checked
 * for its kind (a URL, a date, a zone…); saved only when all are right. Returns the values as typed.
 */
export async function saveProfile(
  s: Needs<'clock', 'users'>, realm: Realm, user: User, params: Record<string, string | undefined>, locales: readonly string[],
): Promise<{ saved: boolean; values: Record<string, string> }> {
  const fields = profileClaims(realm);
  const values = Object.fromEntries(fields.map((claim) => [claim, (params[claim] ?? '').trim()]));
  const edit = editedClaims(user.claims, fields, values, locales);
  if (fields.some((claim) => values[claim] === '') || 'problem' in edit) return { saved: false, values };
  await s.store.users.updateProfile(user.id, user.email, { ...edit.claims, name: `${values.given_name} ${values.family_name}` }, s.clock.now());
  return { saved: true, values };
}

/** terms_and_conditions accepted: which terms and when are kept on the account as `terms_accepted`. */
export async function acceptTerms(s: Needs<'clock', 'users'>, realm: Realm, user: User): Promise<void> {
  await s.store.users.updateProfile(user.id, user.email, {
    ...user.claims, terms_accepted: { url: realm.settings.terms_url, at: Math.floor(s.clock.now() / 1000) },
  }, s.clock.now());
}
