// Realm files that converge (docs/admin-api.md "Plan and apply"): what applying a file would create,
// change and delete, and applying it through the same import as at start — with --prune, the
// clients, users, roles and groups the file no longer has are deleted too (users as the admin API deletes
// them: their sessions end and their clients hear of it). Secrets are compared, never printed.
import { adminConsoleClientId, adminRealm } from './api-access.js';
import { accountConsoleClientId } from '../clients/built-in.js';
import { normalisedClientRoles } from '../clients/client-roles.js';
import { adminRole } from '../clients/service-account-roles.js';
import { endUserSessions, type LogoutNotificationsDeps } from '../identity/logout-notifications.js';
import { safeEqual } from '../runtime.js';
import type { Needs } from '../services.js';
import type { Client } from '../store/clients.js';
import type { User } from '../store/users.js';
import { flattenGroups, importRealm, type RealmFileDeps, type RealmInput } from './realm-file.js';

export type RealmPlanDeps = RealmFileDeps & LogoutNotificationsDeps & Needs<never, 'sessions' | 'grants'>;

export interface PlanChange {
  action: 'create' | 'change' | 'delete' | 'absent';
  kind: 'realm' | 'client' | 'user' | 'role' | 'group';
  /** A group's is its path (`/engineering/backend`). */
  name: string;
  /** What changes: field names only, never values (a secret is "client_secret"). */
  fields?: string[];
}

export interface RealmPlan { realm: string; changes: PlanChange[] }

/** JSON with sorted keys, so that two equal objects compare equal whatever their keys' order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value).sort().filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

const differing = (a: Record<string, unknown>, b: Record<string, unknown>): string[] =>
  [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((key) => canonical(a[key]) !== canonical(b[key])).sort();

/** The clients Strix made itself, never deleted for being absent from a file. */
const builtIn = (_realm: string, clientId: string) => clientId === accountConsoleClientId || clientId === adminConsoleClientId;

export async function planRealm(s: RealmPlanDeps, input: RealmInput, prune: boolean): Promise<RealmPlan> {
  const changes: PlanChange[] = [];
  const stored = await s.store.realms.get(input.name);
  if (!stored) changes.push({ action: 'create', kind: 'realm', name: input.name });
  else {
    // Secrets of the token hook and webhooks are sealed when stored: compared by what the file says of them besides.
    const { token_hook: _h, event_webhooks: _w, ...fileSettings } = input.settings as unknown as Record<string, unknown>;
    const { token_hook: _sh, event_webhooks: _sw, ...storedSettings } = stored.settings as unknown as Record<string, unknown>;
    const fields = [...(stored.displayName !== input.displayName ? ['display_name'] : []), ...differing(fileSettings, storedSettings)];
    if (fields.length > 0) changes.push({ action: 'change', kind: 'realm', name: input.name, fields });
  }
  const roles = stored ? await s.store.roles.list(input.name) : [];
  for (const role of input.roles) if (!roles.includes(role)) changes.push({ action: 'create', kind: 'role', name: role });
  for (const role of roles) if (!input.roles.includes(role)) changes.push({ action: prune ? 'delete' : 'absent', kind: 'role', name: role });

  const clients = stored ? await s.store.clients.list(input.name) : [];
  for (const client of input.clients) {
    const existing = clients.find((c) => c.clientId === client.metadata.client_id);
    if (!existing) { changes.push({ action: 'create', kind: 'client', name: client.metadata.client_id }); continue; }
    const fields = differing(client.metadata as unknown as Record<string, unknown>, existing.metadata as unknown as Record<string, unknown>);
    if (client.secret !== undefined && !sameSecret(s, existing, client.secret)) fields.push('client_secret');
    if (client.enabled !== undefined && client.enabled !== existing.enabled) fields.push('enabled');
    if (fields.length > 0) changes.push({ action: 'change', kind: 'client', name: client.metadata.client_id, fields: fields.sort() });
  }
  for (const client of clients) {
    if (builtIn(input.name, client.clientId) || input.clients.some((c) => c.metadata.client_id === client.clientId)) continue;
    changes.push({ action: prune ? 'delete' : 'absent', kind: 'client', name: client.clientId });
  }

  const groups = stored ? await s.store.groups.all(input.name) : [];
  const fileGroups = flattenGroups(input.groups);
  for (const { path, group } of fileGroups) {
    const existing = groups.find((g) => g.path === path);
    if (!existing) { changes.push({ action: 'create', kind: 'group', name: path }); continue; }
    const fields = [
      ...(canonical([...existing.roles].sort()) !== canonical([...group.roles].sort()) ? ['roles'] : []),
      ...(canonical(normalisedClientRoles(existing.clientRoles)) !== canonical(normalisedClientRoles(group.clientRoles)) ? ['client_roles'] : []),
    ];
    if (fields.length > 0) changes.push({ action: 'change', kind: 'group', name: path, fields });
  }
  for (const group of groups) {
    if (fileGroups.some((g) => g.path === group.path)) continue;
    changes.push({ action: prune ? 'delete' : 'absent', kind: 'group', name: group.path });
  }

  const users = stored ? await s.store.users.list(input.name) : [];
  for (const user of input.users) {
    const existing = users.find((u) => u.username === user.username);
    if (!existing) { changes.push({ action: 'create', kind: 'user', name: user.username }); continue; }
    const fields = [
      ...(existing.email !== user.email ? ['email'] : []), ...(existing.enabled !== user.enabled ? ['enabled'] : []),
      ...(canonical(withoutVerified(existing.claims)) !== canonical(withoutVerified(user.claims)) ? ['claims'] : []),
      ...(canonical([...existing.assignedRoles].sort()) !== canonical([...user.roles].sort()) ? ['roles'] : []),
      ...(canonical(normalisedClientRoles(existing.assignedClientRoles)) !== canonical(normalisedClientRoles(user.clientRoles)) ? ['client_roles'] : []),
      ...(canonical([...existing.groups].sort()) !== canonical([...user.groups].sort()) ? ['groups'] : []),
      // A file's password is set only on a user who has none (import never overwrites one).
      ...(((user.password !== undefined || user.password_hash !== undefined) && !existing.passwordHash) ? ['password'] : []),
    ];
    if (fields.length > 0) changes.push({ action: 'change', kind: 'user', name: user.username, fields });
  }
  for (const user of users) {
    if (input.users.some((u) => u.username === user.username)) continue;
    changes.push({ action: prune && !isMasterAdmin(input.name, user) ? 'delete' : 'absent', kind: 'user', name: user.username });
  }
  return { realm: input.name, changes };
}

/** The master realm's administrators are never pruned: a file without them must not lock everyone out. */
function isMasterAdmin(realm: string, user: User): boolean {
  return realm === adminRealm && user.roles.includes(adminRole);
}

/** email_verified is kept by Strix as the user proves addresses; a file that does not say it changes nothing. */
function withoutVerified(claims: Record<string, unknown>): Record<string, unknown> {
  const { email_verified: _v, ...rest } = claims;
  return rest;
}

function sameSecret(s: RealmPlanDeps, client: Client, secret: string): boolean {
  if (client.metadata.token_endpoint_auth_method === 'client_secret_jwt') {
    try {
      return client.secretSealed !== null && client.secretSealed !== undefined && safeEqual(s.sealer.open(client.secretSealed), secret);
    } catch {
      return false;
    }
  }
  return client.secretHash !== null && client.secretHash !== undefined && safeEqual(s.sealer.digest(secret), client.secretHash);
}

/** Applies the file as import does, then deletes what the plan says to delete (only with prune). */
export async function applyRealm(s: RealmPlanDeps, input: RealmInput, prune: boolean): Promise<RealmPlan> {
  const plan = await planRealm(s, input, prune);
  await importRealm(s, input);
  const realm = (await s.store.realms.get(input.name))!;
  for (const change of plan.changes.filter((c) => c.action === 'delete')) {
    if (change.kind === 'client') await s.store.clients.remove(input.name, change.name);
    if (change.kind === 'role') await s.store.roles.remove(input.name, change.name);
    if (change.kind === 'group') {
      // A subgroup went with its parent already.
      const group = await s.store.groups.byPath(input.name, change.name);
      if (group) await s.store.groups.remove(group.id);
    }
    if (change.kind === 'user') {
      const user = await s.store.users.findByUsername(input.name, change.name);
      if (!user) continue;
      await endUserSessions(s, realm, user.id);
      await s.store.users.remove(user.id);
    }
  }
  return plan;
}

const signs: Record<PlanChange['action'], string> = { create: '+', change: '~', delete: '-', absent: '?' };

/** The plan as an operator reads it: one line per change, secrets never shown. */
export function planText(plan: RealmPlan, applied: boolean): string {
  const lines = plan.changes.map((c) => {
    const what = `${signs[c.action]} ${c.kind} ${c.name}`;
    if (c.action === 'change') return `${what} (${c.fields!.join(', ')})`;
    if (c.action === 'absent') return `${what} (not in the file: kept; --prune deletes it)`;
    return what;
  });
  const verb = applied ? 'applied' : 'plan';
  return `${verb} realm ${plan.realm}: ${plan.changes.filter((c) => c.action !== 'absent').length === 0 ? 'no changes' : `${count(plan, 'create')} to create, ${count(plan, 'change')} to change, ${count(plan, 'delete')} to delete`}\n${lines.map((l) => `  ${l}\n`).join('')}`;
}

const count = (plan: RealmPlan, action: PlanChange['action']) => plan.changes.filter((c) => c.action === action).length;
