// Brute-force protection of the sign-in form (docs/security.md), after Keycloak's brute force
// detection: consecutive failures per username lock it for a growing wait, and failures per address
// across usernames (credential stuffing) block that address for the rest of a window. When the
// whole realm fails more than its budget (many addresses at once), every address that failed
// recently is refused until the realm's window ends, while addresses with no failure still sign in.
// A refused attempt costs no password hash.
// Unknown usernames are counted and locked exactly like real ones, so a lockout never tells an
// attacker which usernames exist. Counters live in the database, so every node sees them.
import type { Logger } from 'pino';
import type { Needs } from '../services.js';
import type { FailureRecord } from '../store/login-failures.js';
import type { BruteForceSettings, Realm } from '../store/realms.js';
import type { User } from '../store/users.js';
import { recordEvent } from './audit.js';

/** What this module uses (services.ts `Needs`). */
export type BruteForceDeps = Needs<'audit' | 'clock', 'loginFailures' | 'users'>;

// Only `warn` is used, so a request's logger (with its request id) fits as well as the root one.
export interface SignInAttempt { realm: Realm; username: string; ip: string; log: Pick<Logger, 'warn'> }

/** A refused attempt: how long until the next one can succeed (for Retry-After). */
export interface Lock { retryAfter: number }

// Realm files refuse longer usernames, so nothing longer can exist; the bound keeps keys indexable
// when an attacker posts a megabyte-long username.
const maxUsernameLength = 200;

/** The counter keys of an account: its own, and the prefix of its per-address counters. */
export function accountKeys(username: string): { user: string; userIpPrefix: string } {
  const name = username.trim().toLowerCase().slice(0, maxUsernameLength);
  return { user: `user:${name}`, userIpPrefix: `userip:${name}|` };
}

function attemptKeys(attempt: SignInAttempt) {
  const { user, userIpPrefix } = accountKeys(attempt.username);
  return { user, userIp: `${userIpPrefix}${attempt.ip}`, ip: `ip:${attempt.ip}`, realm: 'realm' };
}

/** Seconds that lockout number `lockouts` (1, 2, …) lasts: Keycloak's linear wait increment, capped. */
export function lockoutWait(settings: BruteForceSettings, lockouts: number): number {
  return Math.min(settings.wait_increment * lockouts, settings.max_wait);
}

/** Permanent lockout disables the account once it has been locked more than `max_temporary_lockouts` times. */
export function disablesAccount(settings: BruteForceSettings, lockouts: number): boolean {
  return settings.permanent_lockout && lockouts > settings.max_temporary_lockouts;
}

/** When an address that failed `failures` times since `firstFailureAt` may try again (0: it is not blocked). */
export function addressBlockedUntil(settings: BruteForceSettings, failures: number, firstFailureAt: number): number {
  return failures >= settings.ip_failure_limit ? firstFailureAt + settings.ip_failure_window * 1000 : 0;
}

/**
 * While the realm is over its failure budget, an address that failed within its own window is
 * refused until the realm's window ends (0: not refused on that account).
 */
export function realmBudgetBlockedUntil(settings: BruteForceSettings, realm: FailureRecord | undefined, address: FailureRecord | undefined, now: number): number {
  if (!realm || !address || realm.failures < settings.realm_failure_limit) return 0;
  const realmUntil = realm.firstFailureAt + settings.realm_failure_window * 1000;
  const addressFailedRecently = address.firstFailureAt + settings.ip_failure_window * 1000 > now;
  return addressFailedRecently ? realmUntil : 0;
}

function lockFor(until: number, now: number): Lock | undefined {
  return until > now ? { retryAfter: Math.max(1, Math.ceil((until - now) / 1000)) } : undefined;
}

/** The lock that refuses this attempt before its password is looked at, if any. */
export async function currentLock(s: BruteForceDeps, attempt: SignInAttempt): Promise<Lock | undefined> {
  const settings = attempt.realm.settings.brute_force;
  if (!settings.enabled) return undefined;
  const keys = attemptKeys(attempt);
  const records = await s.store.loginFailures.find(attempt.realm.name, [keys.user, keys.ip, keys.realm]);
  const record = (key: string) => records.find((r) => r.key === key);
  const address = record(keys.ip);
  const now = s.clock.now();
  const until = Math.max(
    record(keys.user)?.lockedUntil ?? 0,
    address ? addressBlockedUntil(settings, address.failures, address.firstFailureAt) : 0,
    realmBudgetBlockedUntil(settings, record(keys.realm), address, now),
  );
  return lockFor(until, now);
}

/** Counts a failed sign-in (`user` when the username exists); returns the lock it started, if any. */
export async function recordFailure(s: BruteForceDeps, attempt: SignInAttempt, user: User | undefined): Promise<Lock | undefined> {
  const settings = attempt.realm.settings.brute_force;
  if (!settings.enabled) return undefined;
  const { loginFailures } = s.store;
  const realm = attempt.realm.name;
  const keys = attemptKeys(attempt);
  const now = s.clock.now();
  const idle = { when: 'idle', before: now - settings.failure_reset_time * 1000 } as const;
  const [account, address, , realmWide] = await Promise.all([
    loginFailures.countFailure(realm, keys.user, now, idle),
    loginFailures.countFailure(realm, keys.ip, now, { when: 'window', before: now - settings.ip_failure_window * 1000 }),
    loginFailures.countFailure(realm, keys.userIp, now, idle),
    loginFailures.countFailure(realm, keys.realm, now, { when: 'window', before: now - settings.realm_failure_window * 1000 }),
  ]);
  if (realmWide.failures === settings.realm_failure_limit) {
    attempt.log.warn({ realm, event: 'realm_failure_budget_spent', failures: realmWide.failures, window: settings.realm_failure_window },
      'too many failed sign-ins across the realm: addresses that failed recently are refused until the window ends');
  }
  // Each count is returned to exactly one request, so each threshold is crossed (and logged) once.
  const accountUntil = account.failures % settings.failure_factor === 0 ? await lockAccount(s, attempt, keys.user, user, now) : 0;
  const addressUntil = addressBlockedUntil(settings, address.failures, address.firstFailureAt);
  if (address.failures === settings.ip_failure_limit) {
    attempt.log.warn({ realm, event: 'ip_blocked', ip: attempt.ip, failures: address.failures }, 'too many failed sign-ins from one address');
    await recordEvent(s, {
      realm: attempt.realm, type: 'lockout', ip: attempt.ip,
      details: { locked: 'address', failures: address.failures, wait: settings.ip_failure_window },
    });
  }
  return lockFor(Math.max(accountUntil, addressUntil), now);
}

async function lockAccount(s: BruteForceDeps, attempt: SignInAttempt, key: string, user: User | undefined, now: number): Promise<number> {
  const settings = attempt.realm.settings.brute_force;
  const realm = attempt.realm.name;
  const lockouts = await s.store.loginFailures.addLockout(realm, key);
  const wait = lockoutWait(settings, lockouts);
  await s.store.loginFailures.lockUntil(realm, key, now + wait * 1000);
  const disable = disablesAccount(settings, lockouts) && user?.enabled === true;
  if (disable) {
    // The mark comes first: a crash in between leaves an enabled account marked, which is harmless,
    // never a lockout-disabled account that unlock would not re-enable.
    await s.store.loginFailures.markDisabledByLockout(realm, key);
    await s.store.users.setEnabled(user.id, false, now);
  }
  attempt.log.warn({
    realm, event: disable ? 'account_disabled_by_lockout' : 'account_locked', username: key.slice('user:'.length), ip: attempt.ip, lockouts, wait,
  }, disable ? 'account disabled after repeated lockouts' : 'account temporarily locked');
  await recordEvent(s, {
    realm: attempt.realm, type: 'lockout', userId: user?.id, ip: attempt.ip,
    details: { locked: 'account', username: key.slice('user:'.length), lockouts, wait, disabled: disable },
  });
  return now + wait * 1000;
}

/** A successful sign-in forgets the username's failures. The address's count stays: stuffing lists hold valid pairs too. */
export async function recordSuccess(s: BruteForceDeps, attempt: SignInAttempt): Promise<void> {
  if (!attempt.realm.settings.brute_force.enabled) return;
  const keys = attemptKeys(attempt);
  await s.store.loginFailures.clear(attempt.realm.name, [keys.user, keys.userIp]);
}

/**
 * Clears an account's lockout (`strix users unlock`). Re-enables the account only when a permanent
 * lockout disabled it, never one an administrator disabled on purpose.
 */
export async function unlockAccount(s: BruteForceDeps, realm: string, username: string): Promise<{ reenabled: boolean }> {
  const keys = accountKeys(username);
  const disabledByLockout = await s.store.loginFailures.clearAccount(realm, keys.user, keys.userIpPrefix);
  const user = disabledByLockout ? await s.store.users.findByUsername(realm, username) : undefined;
  if (!user || user.enabled) return { reenabled: false };
  await s.store.users.setEnabled(user.id, true, s.clock.now());
  return { reenabled: true };
}
