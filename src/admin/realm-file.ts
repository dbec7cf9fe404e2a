// Realm files (DESIGN "realm file"): clients as RFC 7591 metadata (with their `roles`), users as OIDC
// standard claims, groups as a tree. Import is idempotent: realms, clients, roles and groups are
// created or updated; existing users get their profile, roles, client roles and groups updated but
// keep their password unless the file sets `password_hash`.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { assertDeclaredClientRoles, declaredRoles, normalisedClientRoles, parseClientRoleAssignments } from '../clients/client-roles.js';
import { parseClientMetadata, type ClientInput } from '../clients/metadata.js';
import { hashProblem } from '../identity/password-hashes.js';
import { hashPassword } from '../identity/passwords.js';
import { isObject, type JsonObject } from '../json.js';
import { currentBranding } from '../realms/branding.js';
import { parseInitialAccessTokens, parseRealmSettings, parseRegistrationPolicy, parseWebhooks, type WebhookInput } from '../realms/settings.js';
import { assertServiceAccountRoles } from '../clients/service-account-roles.js';
import { newId } from '../runtime.js';
import type { Needs } from '../services.js';
import { storedSecret } from '../store/clients.js';
import type { Group } from '../store/groups.js';
import type { RegistrationPolicy } from '../store/registrations.js';
import type { EventWebhook, Realm, RealmSettings } from '../store/realms.js';
import { userAttributeClaims } from '../tokens/claims.js';
import { parseTokenHook, type TokenHookInput, type TokenHookSettings } from '../tokens/token-hook.js';
import { assertAcceptable, PasswordPolicyError } from '../security/password-policy.js';
import { optionalString, stringList, ValidationError } from '../validation.js';

/** What this module uses (services.ts `Needs`). */
export type RealmFileDeps = Needs<'clock' | 'keystore' | 'sealer', 'clients' | 'groups' | 'realms' | 'registrations' | 'roles' | 'users'>;

/** A problem in a realm file, whichever module found it; the message names the file and the field. */
export class RealmFileError extends ValidationError {
  constructor(where: string, problem: string) {
    super(where, problem);
    this.name = 'RealmFileError';
  }
}

/** Runs a check of realm file content, reporting its ValidationError as a RealmFileError. */
export function inRealmFile<T>(check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof ValidationError && !(error instanceof RealmFileError)) throw new RealmFileError(error.field, error.problem);
    throw error;
  }
}

/** A client entry of a realm file (src/clients/metadata.ts checks it). */
export function parseClient(raw: unknown, where: string): ClientInput {
  return inRealmFile(() => parseClientMetadata(raw, where));
}

/** A client as a realm file or the admin API gives it: `enabled` absent leaves it as stored (a new client is enabled). */
export type RealmClientInput = ClientInput & { enabled?: boolean };

export interface UserInput {
  username: string; password?: string; password_hash?: string; email: string | null;
  claims: Record<string, unknown>; roles: string[]; enabled: boolean;
  /** Client roles given directly, `{"<client_id>": ["editor"]}`. */
  clientRoles: Record<string, string[]>;
  /** The paths of the groups the user is a member of (`/engineering/backend`). */
  groups: string[];
}

/** A group of a realm file: realm roles and client roles for its members (and its subgroups' members), and its subgroups. */
export interface GroupInput { name: string; roles: string[]; clientRoles: Record<string, string[]>; subgroups: GroupInput[] }
export interface RealmInput {
  name: string; displayName: string; settings: RealmSettings; roles: string[];
  clients: RealmClientInput[]; users: UserInput[];
  /** The realm's group tree; memberships are on the users (their `groups`). */
  groups: GroupInput[];
  /** Dynamic client registration (RFC 7591): left as stored when absent. */
  registration?: RegistrationPolicy;
  /** The realm file's initial access tokens, in clear; on import they replace the file's previous ones. */
  initialAccessTokens?: string[];
  /** The token hook with its secret in clear; sealed on import (settings.token_hook holds the sealed form). */
  tokenHook?: TokenHookInput | null;
  /** Event webhooks, secrets in clear (sealed on import); left as stored when absent. A missing secret keeps the stored one. */
  eventWebhooks?: WebhookInput[];
}

const groupName = /^[^/\s][^/]{0,99}$/;
const maxGroupDepth = 32;

/** A group path as written (`/engineering/backend`, or `engineering` for a top-level group), with its leading slash. */
export function groupPath(value: string, where: string): string {
  const names = value.split('/').filter((name, i) => !(i === 0 && name === ''));
  if (names.length === 0 || names.some((name) => !groupName.test(name))) throw new RealmFileError(where, `"${value}" is not a group path like /engineering/backend`);
  return `/${names.join('/')}`;
}

/** A realm file's `groups` tree; sibling names are unique. */
function parseGroups(value: unknown, where: string, depth = 1): GroupInput[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new RealmFileError(where, 'must be a list of groups ({"name", "roles", "client_roles", "subgroups"})');
  if (depth > maxGroupDepth) throw new RealmFileError(where, `groups nest at most ${maxGroupDepth} levels deep`);
  const groups = value.map((raw, i): GroupInput => {
    const at = `${where}[${i}]`;
    if (!isObject(raw)) throw new RealmFileError(at, 'must be an object');
    const unknown = Object.keys(raw).find((key) => !['name', 'roles', 'client_roles', 'subgroups'].includes(key));
    if (unknown !== undefined) throw new RealmFileError(`${at}.${unknown}`, 'is not a field of a group (name, roles, client_roles, subgroups)');
    const name = optionalString(raw.name, `${at}.name`);
    if (name === undefined || !groupName.test(name)) throw new RealmFileError(`${at}.name`, 'is required: no slashes, not starting with a space, at most 100 characters');
    return {
      name, roles: [...new Set(stringList(raw.roles, `${at}.roles`))], clientRoles: parseClientRoleAssignments(raw.client_roles, `${at}.client_roles`),
      subgroups: parseGroups(raw.subgroups, `${at}.subgroups`, depth + 1),
    };
  });
  groups.forEach((group, i) => {
    if (groups.findIndex((g) => g.name === group.name) !== i) throw new RealmFileError(`${where}[${i}].name`, `a second group named ${group.name} here`);
  });
  return groups;
}

/** Every group of a tree with its path, parents first. */
export function flattenGroups(groups: GroupInput[], parent = ''): { path: string; group: GroupInput }[] {
  return groups.flatMap((group) => [{ path: `${parent}/${group.name}`, group }, ...flattenGroups(group.subgroups, `${parent}/${group.name}`)]);
}

/** A user of a realm file, or one sent to the admin API (password in clear, never a hash in an answer). */
export function parseUser(raw: unknown, where: string): UserInput {
  if (!isObject(raw)) throw new RealmFileError(where, 'must be an object');
  const username = optionalString(raw.username, `${where}.username`);
  if (!username || !/^[^\s]{1,200}$/.test(username)) throw new RealmFileError(`${where}.username`, 'is required, without spaces');
  const claims: Record<string, unknown> = {};
  for (const claim of userAttributeClaims) if (raw[claim] !== undefined) claims[claim] = raw[claim];
  // Custom attributes (for user_attribute mappers).
  if (raw.attributes !== undefined) {
    if (!isObject(raw.attributes)) throw new RealmFileError(`${where}.attributes`, 'must be an object of attribute names and values');
    claims.attributes = raw.attributes;
  }
  if (raw.enabled !== undefined && typeof raw.enabled !== 'boolean') throw new RealmFileError(`${where}.enabled`, 'must be true or false');
  const passwordHash = optionalString(raw.password_hash, `${where}.password_hash`);
  // A hash Strix cannot verify, or one whose parameters would make each sign-in a denial of service, is refused.
  const problem = passwordHash === undefined ? undefined : hashProblem(passwordHash);
  if (problem !== undefined) throw new RealmFileError(`${where}.password_hash`, problem);
  return {
    username,
    password: optionalString(raw.password, `${where}.password`),
    password_hash: passwordHash,
    email: optionalString(raw.email, `${where}.email`) ?? null,
    claims,
    roles: stringList(raw.roles, `${where}.roles`),
    enabled: raw.enabled !== false,
    clientRoles: parseClientRoleAssignments(raw.client_roles, `${where}.client_roles`),
    groups: [...new Set(stringList(raw.groups, `${where}.groups`).map((path, i) => groupPath(path, `${where}.groups[${i}]`)))],
  };
}

export function parseRealmFile(content: unknown, source: string): RealmInput[] {
  if (!isObject(content) || !Array.isArray(content.realms)) throw new RealmFileError(source, 'must be an object with a "realms" list');
  const realms = content.realms;
  return inRealmFile(() => realms.map((raw, i) => parseRealm(raw, `${source}: realms[${i}]`)));
}

/** One realm entry of a realm file, or a realm sent to the admin API; errors name the field under `where`. */
export function parseRealm(raw: unknown, where: string): RealmInput {
  if (!isObject(raw)) throw new ValidationError(where, 'must be an object');
  const name = optionalString(raw.name, `${where}.name`);
  if (!name || !/^[A-Za-z0-9_-]{1,64}$/.test(name)) throw new ValidationError(`${where}.name`, 'is required: letters, digits, - and _');
  const { name: _n, display_name, roles, clients, users, groups, registration, initial_access_tokens, event_webhooks, ...rest } = raw;
  const realmRoles = stringList(roles, `${where}.roles`);
  const parsedUsers = (Array.isArray(users) ? users : []).map((u, j) => parseUser(u, `${where}.users[${j}]`));
  const parsedGroups = parseGroups(groups, `${where}.groups`);
  for (const held of [...parsedUsers, ...flattenGroups(parsedGroups).map((g) => g.group)]) for (const r of held.roles) if (!realmRoles.includes(r)) realmRoles.push(r);
  return {
    name,
    displayName: optionalString(display_name, `${where}.display_name`) ?? name,
    settings: parseRealmSettings(rest, where),
    roles: realmRoles,
    clients: (Array.isArray(clients) ? clients : []).map((c, j) => realmClient(name, c, `${where}.clients[${j}]`)),
    users: parsedUsers,
    groups: parsedGroups,
    registration: parseRegistrationPolicy(registration, `${where}.registration`),
    initialAccessTokens: parseInitialAccessTokens(initial_access_tokens, `${where}.initial_access_tokens`),
    tokenHook: parseTokenHook(rest.token_hook, `${where}.token_hook`),
    eventWebhooks: parseWebhooks(event_webhooks, `${where}.event_webhooks`),
  };
}

/**
 * A client of a realm, as the realm file and the admin API say it: its RFC 7591 metadata, and
 * `enabled` (Strix's own member, kept apart from the metadata). Admin API rights are checked against
 * the realm, so that a realm's administrators cannot give rights beyond their realm.
 */
export function realmClient(realm: string, raw: unknown, where: string): RealmClientInput {
  const { enabled, ...metadata } = isObject(raw) ? raw : {};
  if (enabled !== undefined && typeof enabled !== 'boolean') throw new ValidationError(`${where}.enabled`, 'must be true or false');
  const input = parseClientMetadata(isObject(raw) ? metadata : raw, where);
  if (input.metadata.service_account_roles !== undefined) assertServiceAccountRoles(realm, input.metadata.service_account_roles, `${where}${where ? '.' : ''}service_account_roles`);
  return enabled === undefined ? input : { ...input, enabled };
}

export function readRealmFiles(path: string): RealmInput[] {
  const files = statSync(path).isDirectory()
    ? readdirSync(path).filter((f) => f.endsWith('.json')).sort().map((f) => join(path, f))
    : [path];
  return files.flatMap((file) => {
    let content: unknown;
    try {
      content = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      throw new RealmFileError(file, `not valid JSON (${(error as Error).message})`);
    }
    return parseRealmFile(withEnvSecrets(content, file, process.env), file);
  });
}

/**
 * A realm file on disk may name its secrets by environment variable — `{"env": "VAR"}` for a
 * client's `client_secret`, a user's `password`, the token hook's and webhooks' `secret`, and each
 * initial access token — so the file can live in version control. They are read here, from the
 * file only: the admin API and dynamic registration take secrets as given, so no caller can make
 * Strix read its environment. (An identity provider's `client_secret` stays a reference, read when used.)
 */
export function withEnvSecrets(content: unknown, file: string, env: Record<string, string | undefined>): unknown {
  const resolve = (value: unknown, where: string): unknown => {
    if (!isObject(value) || !('env' in value)) return value;
    const name = value.env;
    if (Object.keys(value).length !== 1 || typeof name !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new RealmFileError(where, 'an {"env": "VARIABLE"} reference names one environment variable');
    const found = env[name];
    if (found === undefined || found === '') throw new RealmFileError(where, `the environment variable ${name} is not set`);
    return found;
  };
  if (!isObject(content) || !Array.isArray(content.realms)) return content;
  return {
    ...content,
    realms: content.realms.map((realm, r) => {
      if (!isObject(realm)) return realm;
      const at = `${file}: realms[${r}]`;
      const each = (list: unknown, field: string, name: string) => (Array.isArray(list)
        ? list.map((item, i) => (isObject(item) && item[field] !== undefined ? { ...item, [field]: resolve(item[field], `${at}.${name}[${i}].${field}`) } : item))
        : list);
      return {
        ...realm,
        ...(realm.clients !== undefined ? { clients: each(realm.clients, 'client_secret', 'clients') } : {}),
        ...(realm.users !== undefined ? { users: each(realm.users, 'password', 'users') } : {}),
        ...(realm.event_webhooks !== undefined ? { event_webhooks: each(realm.event_webhooks, 'secret', 'event_webhooks') } : {}),
        ...(isObject(realm.token_hook) && realm.token_hook.secret !== undefined ? { token_hook: { ...realm.token_hook, secret: resolve(realm.token_hook.secret, `${at}.token_hook.secret`) } } : {}),
        ...(Array.isArray(realm.initial_access_tokens) ? { initial_access_tokens: realm.initial_access_tokens.map((t, i) => resolve(t, `${at}.initial_access_tokens[${i}]`)) } : {}),
      };
    }),
  };
}

/** A password a realm file sets must meet that realm's policy, like any other. */
async function acceptablePassword(input: Pick<RealmInput, 'name' | 'settings'>, user: UserInput): Promise<void> {
  try {
    await assertAcceptable(input.settings.password_policy, user.password!, user);
  } catch (error) {
    if (error instanceof PasswordPolicyError) throw new RealmFileError(`realm ${input.name}, user ${user.username}`, error.message);
    throw error;
  }
}

export interface ImportSummary { realm: string; created: boolean; clients: number; users: number }

/**
 * Client roles given to groups and users must be declared by their clients, and users' groups must
 * exist, in the file or already in the realm: checked before anything is written.
 */
async function assertReferences(s: RealmFileDeps, input: RealmInput): Promise<void> {
  const stored = (await s.store.clients.list(input.name)).filter((c) => !input.clients.some((f) => f.metadata.client_id === c.clientId));
  const declared = declaredRoles([...stored, ...input.clients]);
  const groups = flattenGroups(input.groups);
  const paths = new Set([...groups.map((g) => g.path), ...(await s.store.groups.all(input.name)).map((g) => g.path)]);
  inRealmFile(() => {
    for (const { path, group } of groups) assertDeclaredClientRoles(group.clientRoles, declared, `realm ${input.name}, group ${path}.client_roles`);
    for (const user of input.users) {
      assertDeclaredClientRoles(user.clientRoles, declared, `realm ${input.name}, user ${user.username}.client_roles`);
      const unknown = user.groups.find((path) => !paths.has(path));
      if (unknown !== undefined) throw new RealmFileError(`realm ${input.name}, user ${user.username}.groups`, `no group ${unknown} in the file or the realm`);
    }
  });
}

/** Creates or updates the file's groups, found by their path; groups the file does not name are left alone. */
async function importGroups(s: RealmFileDeps, realm: string, groups: GroupInput[], parentId: string | null): Promise<void> {
  const siblings = await s.store.groups.children(realm, parentId, 0, 1_000_000);
  for (const group of groups) {
    const existing = siblings.find((g) => g.name === group.name);
    const id = existing?.id ?? newId();
    const roles = { roles: group.roles, clientRoles: normalisedClientRoles(group.clientRoles) };
    if (existing) await s.store.groups.update({ id, realm, name: group.name, ...roles });
    else await s.store.groups.create({ id, realm, name: group.name, parentId, ...roles }, s.clock.now());
    await importGroups(s, realm, group.subgroups, id);
  }
}

export async function importRealm(s: RealmFileDeps, input: RealmInput): Promise<ImportSummary> {
  await assertReferences(s, input);
  const now = s.clock.now();
  const { store } = s;
  const stored = (await store.realms.get(input.name))?.settings.event_webhooks ?? [];
  const eventWebhooks = input.eventWebhooks === undefined ? stored : input.eventWebhooks.map((w) => sealedWebhook(s, input.name, w, stored));
  const settings = { ...input.settings, token_hook: await sealedTokenHook(s, input), event_webhooks: eventWebhooks };
  const created = await store.realms.upsert({ name: input.name, displayName: input.displayName, settings }, now);
  await s.keystore.ensure(input.name);
  await store.roles.ensure(input.name, input.roles);
  if (input.registration !== undefined) await store.registrations.setPolicy(input.name, input.registration);
  if (input.initialAccessTokens !== undefined) {
    await store.registrations.replaceFileTokens(input.name, input.initialAccessTokens.map((t) => s.sealer.digest(t)), now);
  }
  for (const client of input.clients) {
    const existing = await store.clients.get(input.name, client.metadata.client_id);
    const method = client.metadata.token_endpoint_auth_method;
    // A client_secret_jwt client needs its secret sealed; a digest kept from another method is not enough.
    const stored = method === 'client_secret_jwt' ? existing?.secretSealed : existing?.secretHash;
    if (method !== 'none' && method !== 'private_key_jwt' && client.secret === undefined && !stored) {
      const problem = method === 'client_secret_jwt' ? 'a client_secret_jwt client needs a client_secret' : 'a confidential client needs a client_secret';
      throw new RealmFileError(`realm ${input.name}, client ${client.metadata.client_id}`, problem);
    }
    const secret = client.secret === undefined ? undefined : storedSecret(client.secret, method, s.sealer);
    await store.clients.upsert(input.name, client.metadata, secret?.hash ?? null, now, secret?.sealed ?? null);
    if (client.enabled !== undefined && client.enabled !== (existing?.enabled ?? true)) await store.clients.setEnabled(input.name, client.metadata.client_id, client.enabled, now);
  }
  await importGroups(s, input.name, input.groups, null);
  await importUsers(s, input, input.users);
  return { realm: input.name, created, clients: input.clients.length, users: input.users.length };
}

/** Creates or updates users of a realm (roles by name; the roles must exist). */
export async function importUsers(s: RealmFileDeps, input: Pick<RealmInput, 'name' | 'settings'>, users: UserInput[]): Promise<void> {
  const now = s.clock.now();
  const { store } = s;
  for (const user of users) {
    const existing = await store.users.findByUsername(input.name, user.username);
    const setPassword = user.password !== undefined && !existing?.passwordHash;
    if (setPassword) await acceptablePassword(input, user);
    const passwordHash = user.password_hash ?? (setPassword ? await hashPassword(user.password!, input.settings.password_policy.hashing) : undefined);
    let id: string;
    if (existing) {
      id = existing.id;
      await store.users.updateProfile(id, user.email, user.claims, now);
      if (passwordHash) await store.users.setPasswordHash(id, passwordHash, now);
      if (existing.enabled !== user.enabled) await store.users.setEnabled(id, user.enabled, now);
    } else {
      id = newId();
      await store.users.create({ id, realm: input.name, username: user.username, email: user.email, passwordHash: passwordHash ?? null, claims: user.claims, enabled: user.enabled }, now);
    }
    await store.users.setRoles(id, user.roles);
    await store.users.setClientRoles(id, input.name, normalisedClientRoles(user.clientRoles));
    const groups = await Promise.all(user.groups.map((path) => store.groups.byPath(input.name, path)));
    await store.groups.setMemberships(id, groups.flatMap((group) => (group ? [group.id] : [])));
  }
}

/** The hook secret is sealed with the master key; a file without one keeps the stored secret. */
async function sealedTokenHook(s: RealmFileDeps, input: RealmInput): Promise<TokenHookSettings | null> {
  if (!input.tokenHook) return null;
  const { secret, ...hook } = input.tokenHook;
  const stored = secret === undefined ? (await s.store.realms.get(input.name))?.settings.token_hook?.secret_sealed : undefined;
  if (secret === undefined && !stored) throw new RealmFileError(`realm ${input.name}, token_hook.secret`, 'is required');
  return { ...hook, secret_sealed: secret === undefined ? stored! : s.sealer.seal(secret) };
}

/** A webhook as stored: its secret sealed, or the stored secret of the same URL when the file gives none (as export writes it). */
function sealedWebhook(s: Needs<'sealer'>, realm: string, w: WebhookInput, stored: EventWebhook[]): EventWebhook {
  const kept = stored.find((existing) => existing.url === w.url)?.secret_sealed;
  if (w.secret === undefined && kept === undefined) throw new RealmFileError(`realm ${realm}, webhook ${w.url}`, 'needs a secret');
  return { url: w.url, ...(w.types ? { types: w.types } : {}), secret_sealed: w.secret === undefined ? kept! : s.sealer.seal(w.secret) };
}

/** The token hook as exported: without its secret. */
function exportedTokenHook(hook: TokenHookSettings | null): Omit<TokenHookSettings, 'secret_sealed'> | undefined {
  if (!hook) return undefined;
  const { secret_sealed: _secret, ...rest } = hook;
  return rest;
}

/**
 * A realm's own settings in the realm file's shape (what the admin API's realm resource is): no
 * clients, users or roles, and without the secrets of the token hook and webhooks.
 */
export async function realmRepresentation(s: Needs<never, 'registrations'>, realm: Realm): Promise<JsonObject> {
  return {
    name: realm.name,
    display_name: realm.displayName,
    ...realm.settings,
    token_hook: exportedTokenHook(realm.settings.token_hook) ?? null,
    branding: currentBranding(realm.settings.branding),
    event_webhooks: realm.settings.event_webhooks.map(({ url, types }) => ({ url, ...(types ? { types } : {}) })),
    registration: await s.store.registrations.policy(realm.name),
  };
}

/**
 * The realm as a realm file entry. Client secrets and initial access tokens cannot be exported
 * (only hashes are kept), nor the token hook's and webhooks' secrets.
 */
export async function exportRealm(s: RealmFileDeps, name: string): Promise<JsonObject | undefined> {
  const realm = await s.store.realms.get(name);
  if (!realm) return undefined;
  const clients = await s.store.clients.list(name);
  const users = await s.store.users.list(name);
  const { token_hook, ...settings } = await realmRepresentation(s, realm);
  return {
    ...settings,
    ...(token_hook === null ? {} : { token_hook }),
    roles: await s.store.roles.list(name),
    clients: clients.map((c) => (c.enabled ? c.metadata : { ...c.metadata, enabled: false })),
    groups: groupTree(await s.store.groups.all(name), null),
    users: users.map((u) => ({
      username: u.username,
      ...(u.passwordHash ? { password_hash: u.passwordHash } : {}),
      ...(u.email ? { email: u.email } : {}),
      ...u.claims,
      roles: u.assignedRoles,
      ...(Object.keys(u.assignedClientRoles).length > 0 ? { client_roles: u.assignedClientRoles } : {}),
      ...(u.groups.length > 0 ? { groups: u.groups } : {}),
      ...(u.enabled ? {} : { enabled: false }),
    })),
  };
}

/** The realm's groups as a realm file's `groups` tree. */
function groupTree(groups: Group[], parentId: string | null): JsonObject[] {
  return groups.filter((g) => g.parentId === parentId).map((g) => {
    const subgroups = groupTree(groups, g.id);
    return {
      name: g.name, ...(g.roles.length > 0 ? { roles: g.roles } : {}),
      ...(Object.keys(g.clientRoles).length > 0 ? { client_roles: g.clientRoles } : {}),
      ...(subgroups.length > 0 ? { subgroups } : {}),
    };
  });
}
