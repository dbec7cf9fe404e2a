// What an import from another system will write, fully checked before anything is: the realm in the
// realm file's shapes (so realm-file.ts validates and imports it like any other, groups and client
// roles included), and what realm files do not carry — composite realm roles, TOTP secrets, required actions.
import { needsRehash } from '../../identity/passwords.js';
import type { Needs } from '../../services.js';
import { importRealm, importUsers, parseRealm, type RealmFileDeps, type RealmInput, type UserInput } from '../realm-file.js';
import type { ImportReport } from './report.js';

export interface ImportPlan {
  report: ImportReport;
  /** The whole realm (settings, roles, clients, users): Keycloak. */
  realm?: RealmInput;
  /** Only users, into an existing realm or a new one with default settings: Auth0. */
  users?: { realm: string; users: UserInput[] };
  composites: Map<string, string[]>;
  /** username → TOTP secret (base32). */
  totp: Map<string, string>;
  /** username → required actions (Strix's names). */
  requiredActions: Map<string, string[]>;
  disabledClients: string[];
}

export function emptyPlan(report: ImportReport): ImportPlan {
  return { report, composites: new Map(), totp: new Map(), requiredActions: new Map(), disabledClients: [] };
}

/** What applying a plan uses (services.ts `Needs`). */
export type ApplyPlanDeps = RealmFileDeps & Needs<never, 'mfa'>;

/** Writes a checked plan. Idempotent: a user's existing TOTP secret is kept. */
export async function applyPlan(s: ApplyPlanDeps, plan: ImportPlan): Promise<string | undefined> {
  const now = s.clock.now();
  let realm: string;
  if (!plan.realm && !plan.users) return undefined;
  if (plan.realm) {
    realm = plan.realm.name;
    await importRealm(s, { ...plan.realm, users: await withoutStrixPasswords(s, plan.realm.name, plan.realm.users) });
  } else {
    realm = plan.users!.realm;
    if (!(await s.store.realms.get(realm))) await importRealm(s, parseRealm({ name: realm }, 'realm'));
    const stored = (await s.store.realms.get(realm))!;
    await importUsers(s, stored, await withoutStrixPasswords(s, realm, plan.users!.users));
  }
  for (const [name, composites] of plan.composites) {
    const role = await s.store.roles.get(realm, name);
    if (role) await s.store.roles.update(realm, { ...role, composites });
  }
  for (const [username, secret] of plan.totp) {
    const user = await s.store.users.findByUsername(realm, username);
    if (user && !(await s.store.mfa.totp(user.id))) await s.store.mfa.addTotp(user.id, s.sealer.seal(secret), null, now);
  }
  for (const [username, actions] of plan.requiredActions) {
    const user = await s.store.users.findByUsername(realm, username);
    if (user) await s.store.users.setRequiredActions(user.id, actions, now);
  }
  for (const clientId of plan.disabledClients) await s.store.clients.setEnabled(realm, clientId, false, now);
  return realm;
}

/**
 * An import run again (to bring the users created since) keeps the passwords users already have in
 * Strix — upgraded at a sign-in or changed here, so hashed with the realm's argon2id parameters —
 * instead of putting back the hash they had in the other system.
 */
async function withoutStrixPasswords(s: Needs<never, 'realms' | 'users'>, realm: string, users: UserInput[]): Promise<UserInput[]> {
  const hashing = (await s.store.realms.get(realm))?.settings.password_policy.hashing;
  if (!hashing) return users;
  const kept: UserInput[] = [];
  for (const user of users) {
    const stored = user.password_hash === undefined ? undefined : (await s.store.users.findByUsername(realm, user.username))?.passwordHash;
    kept.push(stored && !needsRehash(stored, hashing) ? { ...user, password_hash: undefined } : user);
  }
  return kept;
}
