// Keycloak's realm export (`kc.sh export`, the console's partial export; versions 18–26) as an
// import plan: realm settings, clients, roles, groups and users in the realm file's shapes, with
// their password hashes and TOTP secrets, and a report of what could not be carried over and why.
import type { JsonObject } from '../../json.js';
import { inRealmFile, parseRealm } from '../realm-file.js';
import { ClientRoleFilter, clientScopes, keycloakClient, keycloakClients, maxSeconds, seconds } from './keycloak-clients.js';
import { keycloakUsers, requiredAction } from './keycloak-users.js';
import { keycloakIdentityProviders } from './keycloak-providers.js';
import { emptyPlan, type ImportPlan } from './plan.js';
import { flag, list, object, optionalObject, refuse, text, texts, whole } from './read.js';
import { ImportReport } from './report.js';

const maxGroupDepth = 32;
const roleName = /^[^\s,]{1,100}$/;
const groupName = /^[^/\s][^/]{0,99}$/;

/** The realms of an export: one realm object, or a list of them (`kc.sh export --file` of several). */
export function keycloakRealms(content: unknown, source: string, only?: string): ImportPlan[] {
  const realms = Array.isArray(content) ? list(content, source, 1000) : [object(content, source)];
  const plans: ImportPlan[] = [];
  realms.forEach((raw, i) => {
    const where = Array.isArray(content) ? `${source}[${i}]` : source;
    const name = text(object(raw, where).realm, `${where}.realm`) ?? refuse(`${where}.realm`, 'is required (the realm\'s name)');
    if (only === undefined || only === name) plans.push(keycloakRealm(object(raw, where), where));
  });
  if (only !== undefined && plans.length === 0) refuse(source, `has no realm named ${only}`);
  return plans;
}

/** One realm of a Keycloak export as a checked plan; throws RealmFileError naming the place of a problem. */
export function keycloakRealm(kc: JsonObject, where: string): ImportPlan {
  const name = text(kc.realm, `${where}.realm`)!;
  const report = new ImportReport(`Keycloak realm ${name} (${where})`);
  const plan = emptyPlan(report);
  if (name === 'master') {
    report.leftOut('realm master', 'Keycloak\'s master realm holds its administrators; Strix has its own: import your application realms');
    return plan;
  }
  const file: JsonObject = { name, display_name: text(kc.displayName, `${where}.displayName`, 200) ?? name, token_claims: 'keycloak' };
  report.approximate('token shape', 'tokens carry Keycloak\'s claims too (realm_access, resource_access, preferred_username, azp, typ): "token_claims": "keycloak"');
  if (flag(kc.enabled, `${where}.enabled`) === false) report.leftOut('realm disabled', 'a Strix realm is always enabled');
  Object.assign(file, realmSettings(kc, where, report));
  const roles = realmRoles(kc, where, report, plan);
  file.roles = [...roles];
  const scopes = clientScopes(kc, where, report);
  file.scopes = scopes.custom.map((s) => ({ name: s.name, description: s.description }));
  file.claim_mappers = scopes.mappers;
  const defaults = texts(kc.defaultDefaultClientScopes, `${where}.defaultDefaultClientScopes`).filter((s) => ['profile', 'email', 'address', 'phone'].includes(s));
  if (defaults.length > 0) file.default_scopes = defaults;
  const clients = list(kc.clients, `${where}.clients`).flatMap((raw, i) => keycloakClient(raw, `${where}.clients[${i}]`, report, plan, scopes.custom.map((s) => s.name)));
  const clientRoles = clientRoleDefinitions(kc, where, clients.map((c) => String(c.client_id)), report);
  file.clients = clients.map((c) => (clientRoles.has(String(c.client_id)) ? { ...c, roles: clientRoles.get(String(c.client_id)) } : c));
  const held = new ClientRoleFilter(clientRoles, report);
  const groupPaths = new Set<string>();
  file.groups = list(kc.groups, `${where}.groups`).map((raw, i) => group(raw, `${where}.groups[${i}]`, '', 1, { roles, clientRoles: held, paths: groupPaths, report }));
  file.users = keycloakUsers(kc, where, roles, held, groupPaths, report, plan);
  const providers = keycloakIdentityProviders(kc, where, report);
  if (providers.length > 0) file.identity_providers = providers;
  leftOutFeatures(kc, where, report);
  plan.realm = inRealmFile(() => parseRealm(file, `${where} (as a Strix realm)`));
  return plan;
}

function realmSettings(kc: JsonObject, where: string, report: ImportReport): JsonObject {
  const out: JsonObject = {};
  const set = (setting: string, value: unknown, from: string) => {
    if (value === undefined) return;
    out[setting] = value;
    report.imported(`setting ${setting}`, `${String(value)} (from ${from})`);
  };
  const at = (key: string) => `${where}.${key}`;
  const access = seconds(kc.accessTokenLifespan, at('accessTokenLifespan'));
  set('access_token_lifetime', access, 'accessTokenLifespan');
  set('id_token_lifetime', access, 'accessTokenLifespan');
  set('authorization_code_lifetime', seconds(kc.accessCodeLifespan, at('accessCodeLifespan')), 'accessCodeLifespan');
  const idle = seconds(kc.ssoSessionIdleTimeout, at('ssoSessionIdleTimeout'));
  const max = seconds(kc.ssoSessionMaxLifespan, at('ssoSessionMaxLifespan'));
  set('sso_session_idle_lifetime', idle, 'ssoSessionIdleTimeout');
  set('sso_session_max_lifetime', max, 'ssoSessionMaxLifespan');
  // Keycloak's refresh tokens live as long as the session (or the client session, when set).
  set('refresh_token_idle_lifetime', seconds(kc.clientSessionIdleTimeout, at('clientSessionIdleTimeout')) ?? idle, 'clientSessionIdleTimeout or ssoSessionIdleTimeout');
  set('refresh_token_absolute_lifetime', seconds(kc.clientSessionMaxLifespan, at('clientSessionMaxLifespan')) ?? max, 'clientSessionMaxLifespan or ssoSessionMaxLifespan');
  set('offline_token_idle_lifetime', seconds(kc.offlineSessionIdleTimeout, at('offlineSessionIdleTimeout')), 'offlineSessionIdleTimeout');
  if (flag(kc.offlineSessionMaxLifespanEnabled, at('offlineSessionMaxLifespanEnabled')) === true) {
    set('offline_token_absolute_lifetime', seconds(kc.offlineSessionMaxLifespan, at('offlineSessionMaxLifespan')), 'offlineSessionMaxLifespan');
  }
  const registration = flag(kc.registrationAllowed, at('registrationAllowed'));
  set('user_registration', registration, 'registrationAllowed');
  set('email_as_username', flag(kc.registrationEmailAsUsername, at('registrationEmailAsUsername')), 'registrationEmailAsUsername');
  const verifyEmail = flag(kc.verifyEmail, at('verifyEmail'));
  if (verifyEmail === true) {
    out.sign_in_requires_verified_email = true;
    report.approximate('setting sign_in_requires_verified_email', 'true (from verifyEmail): Strix refuses sign-in until the address is verified, where Keycloak asks to verify it during sign-in');
  } else {
    set('sign_in_requires_verified_email', verifyEmail, 'verifyEmail');
  }
  if (flag(kc.resetPasswordAllowed, at('resetPasswordAllowed')) !== undefined) {
    report.approximate('resetPasswordAllowed', 'Strix offers "Forgot password?" whenever the realm can send mail');
  }
  const bruteForce = bruteForceSettings(kc, where, report);
  if (bruteForce) out.brute_force = bruteForce;
  const policy = passwordPolicy(text(kc.passwordPolicy, at('passwordPolicy')), at('passwordPolicy'), report);
  if (policy) out.password_policy = policy;
  const smtp = smtpSettings(optionalObject(kc.smtpServer, at('smtpServer')), at('smtpServer'), String(kc.realm), report);
  if (smtp) out.smtp = smtp;
  return out;
}

function bruteForceSettings(kc: JsonObject, where: string, report: ImportReport): JsonObject | undefined {
  const enabled = flag(kc.bruteForceProtected, `${where}.bruteForceProtected`);
  if (enabled === undefined) return undefined;
  const out: JsonObject = { enabled };
  const positive = (key: string, setting: string, limit: number) => {
    const n = whole(kc[key], `${where}.${key}`, limit);
    if (n !== undefined && n > 0) out[setting] = n;
  };
  positive('failureFactor', 'failure_factor', 1_000_000);
  positive('waitIncrementSeconds', 'wait_increment', maxSeconds);
  positive('maxFailureWaitSeconds', 'max_wait', maxSeconds);
  positive('maxDeltaTimeSeconds', 'failure_reset_time', maxSeconds);
  const permanent = flag(kc.permanentLockout, `${where}.permanentLockout`);
  if (permanent !== undefined) out.permanent_lockout = permanent;
  const temporary = whole(kc.maxTemporaryLockouts, `${where}.maxTemporaryLockouts`, 1_000_000);
  if (temporary !== undefined) out.max_temporary_lockouts = temporary;
  report.imported('setting brute_force', JSON.stringify(out));
  if (kc.quickLoginCheckMilliSeconds !== undefined) report.leftOut('quick login check', 'Strix limits failures per address and per realm instead (brute_force.ip_failure_limit, realm_failure_limit)');
  return out;
}

/** Keycloak's policy string: `length(12) and notUsername(undefined) and passwordHistory(3) and …`. */
function passwordPolicy(value: string | undefined, where: string, report: ImportReport): JsonObject | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const out: JsonObject = { not_username: false, not_email: false };
  for (const part of value.split(/\s+and\s+/)) {
    const match = /^\s*([A-Za-z]+)\((.*)\)\s*$/.exec(part);
    if (!match) refuse(where, `"${part.slice(0, 100)}" is not a policy of the form name(value)`);
    const [, policy, argument] = match as unknown as [string, string, string];
    const number = () => whole(argument, `${where} ${policy}`, 10_000, 0);
    if (policy === 'length') out.min_length = Math.max(1, number()!);
    else if (policy === 'maxLength') out.max_length = Math.max(1, number()!);
    else if (policy === 'notUsername') out.not_username = true;
    else if (policy === 'notEmail') out.not_email = true;
    else if (policy === 'passwordHistory') {
      const n = number()!;
      out.history = Math.min(n, 24);
      if (n > 24) report.approximate('password policy passwordHistory', `${n} previous passwords: Strix keeps at most 24`);
    } else if (policy === 'hashAlgorithm' || policy === 'hashIterations') {
      report.leftOut(`password policy ${policy}(${argument})`, 'Strix hashes new passwords with argon2id (password_policy.hashing); imported hashes are verified as Keycloak wrote them and upgraded at sign-in');
      continue;
    } else {
      report.leftOut(`password policy ${policy}(${argument.slice(0, 100)})`, 'Strix has no such rule: it refuses the ~49,000 most common passwords instead of composition rules');
      continue;
    }
    report.imported(`password policy ${policy}`, argument === 'undefined' ? '' : argument);
  }
  report.approximate('password policy not_common', 'Strix also refuses the most common passwords (password_policy.not_common)');
  if (typeof out.min_length === 'number' && typeof out.max_length === 'number' && out.min_length > out.max_length) refuse(where, 'length is greater than maxLength');
  return out;
}

function smtpSettings(smtp: JsonObject | undefined, where: string, realm: string, report: ImportReport): JsonObject | undefined {
  if (!smtp || Object.keys(smtp).length === 0) return undefined;
  const host = text(smtp.host, `${where}.host`, 255);
  if (!host) {
    report.leftOut('SMTP server', 'it names no host');
    return undefined;
  }
  const port = whole(smtp.port, `${where}.port`, 65_535, 1);
  const user = smtp.auth === 'true' || smtp.auth === true ? text(smtp.user, `${where}.user`, 500) : undefined;
  const ssl = smtp.ssl === 'true' || smtp.ssl === true;
  const url = new URL(`${ssl ? 'smtps' : 'smtp'}://placeholder`);
  url.hostname = host;
  if (port !== undefined) url.port = String(port);
  if (user) url.username = user;
  const from = text(smtp.from, `${where}.from`, 500);
  const display = text(smtp.fromDisplayName, `${where}.fromDisplayName`, 200);
  const out: JsonObject = { url: url.href.replace(/\/$/, '') };
  if (from) out.from = display ? `"${display.replace(/["\r\n]/g, '')}" <${from}>` : from;
  if (user) {
    const env = `STRIX_SMTP_PASSWORD_${realm.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
    out.password = { env };
    report.approximate('SMTP server', `${out.url}: its password is not stored with the realm; set the environment variable ${env} to it on every Strix server`);
  } else {
    report.imported('SMTP server', String(out.url));
  }
  if (smtp.starttls === 'true' && ssl) report.approximate('SMTP starttls', 'smtps:// uses implicit TLS; smtp:// uses STARTTLS when the server offers it');
  return out;
}

/** Realm roles by name; composites among realm roles go into the plan. */
function realmRoles(kc: JsonObject, where: string, report: ImportReport, plan: ImportPlan): Set<string> {
  const roles = optionalObject(kc.roles, `${where}.roles`) ?? {};
  const names = new Set<string>();
  const raws = list(roles.realm, `${where}.roles.realm`).map((raw, i) => ({ raw: object(raw, `${where}.roles.realm[${i}]`), at: `${where}.roles.realm[${i}]` }));
  for (const { raw, at } of raws) {
    const role = text(raw.name, `${at}.name`) ?? refuse(`${at}.name`, 'is required');
    if (!roleName.test(role)) report.leftOut(`role ${role}`, 'Strix role names have no spaces or commas (and at most 100 characters)');
    else names.add(role);
  }
  for (const { raw, at } of raws) {
    const role = String(raw.name);
    if (!names.has(role)) continue;
    const composites = optionalObject(raw.composites, `${at}.composites`);
    if (!composites) continue;
    const inner = texts(composites.realm, `${at}.composites.realm`).filter((r) => names.has(r) && r !== role);
    if (inner.length > 0) plan.composites.set(role, inner);
    if (optionalObject(composites.client, `${at}.composites.client`) && Object.keys(composites.client as JsonObject).length > 0) {
      report.leftOut(`role ${role} client composites`, 'a realm role that brings client roles: Strix\'s composites stay among realm roles or among one client\'s roles; give the client roles to the users or groups instead');
    }
  }
  assertNoCycle(plan.composites, `${where}.roles.realm`);
  report.imported('realm roles', `${names.size}${plan.composites.size ? `, ${plan.composites.size} of them composite` : ''}`);
  return names;
}

/**
 * Client roles (`roles.client.<clientId>`) as the imported clients' `roles`, with descriptions and
 * composites among the same client's roles; Keycloak's own clients' roles and roles of clients not
 * imported are reported.
 */
function clientRoleDefinitions(kc: JsonObject, where: string, imported: string[], report: ImportReport): Map<string, JsonObject[]> {
  const all = optionalObject(optionalObject(kc.roles, `${where}.roles`)?.client, `${where}.roles.client`) ?? {};
  const out = new Map<string, JsonObject[]>();
  for (const [clientId, raws] of Object.entries(all)) {
    const at = `${where}.roles.client.${clientId}`;
    const entries = list(raws, at).map((raw, i) => ({ role: object(raw, `${at}[${i}]`), at: `${at}[${i}]` }));
    if (entries.length === 0 || keycloakClients.includes(clientId)) continue;
    if (!imported.includes(clientId)) {
      report.leftOut(`client ${clientId} roles`, 'the client is not imported');
      continue;
    }
    const names = new Set<string>();
    for (const { role, at: rat } of entries) {
      const name = text(role.name, `${rat}.name`) ?? refuse(`${rat}.name`, 'is required');
      if (roleName.test(name)) names.add(name);
      else report.leftOut(`client ${clientId} role ${name}`, 'Strix role names have no spaces or commas (and at most 100 characters)');
    }
    const graph = new Map<string, string[]>();
    const roles = entries.filter(({ role }) => names.has(String(role.name))).map(({ role, at: rat }): JsonObject => {
      const name = String(role.name);
      const description = text(role.description, `${rat}.description`, 500);
      const composites = optionalObject(role.composites, `${rat}.composites`);
      const own = texts(optionalObject(composites?.client, `${rat}.composites.client`)?.[clientId], `${rat}.composites.client.${clientId}`).filter((r) => names.has(r) && r !== name);
      const other = [...texts(composites?.realm, `${rat}.composites.realm`), ...Object.keys(optionalObject(composites?.client, `${rat}.composites.client`) ?? {}).filter((c) => c !== clientId)];
      if (other.length > 0) report.leftOut(`client ${clientId} role ${name} composites ${other.join(', ')}`, 'a client role brings only roles of its own client in Strix');
      if (own.length > 0) graph.set(name, own);
      return { name, ...(description ? { description } : {}), ...(own.length > 0 ? { composites: own } : {}) };
    });
    assertNoCycle(graph, at);
    out.set(clientId, roles);
    report.imported(`client ${clientId} roles`, `${roles.length}${graph.size ? `, ${graph.size} of them composite` : ''}`);
  }
  return out;
}

function assertNoCycle(graph: Map<string, string[]>, where: string): void {
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (role: string): void => {
    if (state.get(role) === 'done') return;
    if (state.get(role) === 'visiting') refuse(where, `composite roles form a cycle through ${role}`);
    state.set(role, 'visiting');
    for (const inner of graph.get(role) ?? []) visit(inner);
    state.set(role, 'done');
  };
  for (const role of graph.keys()) visit(role);
}

interface GroupContext { roles: Set<string>; clientRoles: ClientRoleFilter; paths: Set<string>; report: ImportReport }

/** A Keycloak group (with its subgroups) as a realm file group. */
function group(raw: unknown, where: string, parent: string, depth: number, ctx: GroupContext): JsonObject {
  if (depth > maxGroupDepth) refuse(where, `groups nest deeper than ${maxGroupDepth} levels`);
  const kc = object(raw, where);
  const groupNameValue = text(kc.name, `${where}.name`, 100) ?? refuse(`${where}.name`, 'is required');
  if (!groupName.test(groupNameValue)) refuse(`${where}.name`, 'a Strix group name has no slash and does not start with a space');
  const path = `${parent}/${groupNameValue}`;
  if (ctx.paths.has(path)) refuse(`${where}.name`, `a second group at ${path}`);
  ctx.paths.add(path);
  const groupRoles = texts(kc.realmRoles, `${where}.realmRoles`).filter((r) => ctx.roles.has(r));
  const clientRoles = ctx.clientRoles.held(kc.clientRoles, `${where}.clientRoles`, `group ${path}`);
  if (optionalObject(kc.attributes, `${where}.attributes`) && Object.keys(kc.attributes as JsonObject).length > 0) ctx.report.leftOut(`group ${path} attributes`, 'Strix groups have no attributes');
  const carried = [...(groupRoles.length ? [`roles ${groupRoles.join(', ')}`] : []), ...(clientRoles ? [`client roles ${Object.entries(clientRoles).map(([c, r]) => `${c}: ${(r as string[]).join(', ')}`).join('; ')}`] : [])];
  ctx.report.imported(`group ${path}`, carried.join('; '));
  const subgroups = list(kc.subGroups, `${where}.subGroups`).map((sub, i) => group(sub, `${where}.subGroups[${i}]`, path, depth + 1, ctx));
  return { name: groupNameValue, roles: groupRoles, ...(clientRoles ? { client_roles: clientRoles } : {}), ...(subgroups.length > 0 ? { subgroups } : {}) };
}

function leftOutFeatures(kc: JsonObject, where: string, report: ImportReport): void {
  const count = (key: string) => list(kc[key], `${where}.${key}`).length;
  const flows = count('authenticationFlows');
  if (flows > 0) report.leftOut(`authentication flows (${flows})`, 'Strix\'s sign-in is fixed: password, then a second factor when enrolled or required (realm mfa)');
  const federation = count('userFederationProviders');
  const components = optionalObject(kc.components, `${where}.components`) ?? {};
  const storage = list(components['org.keycloak.storage.UserStorageProvider'], `${where}.components.UserStorageProvider`).length;
  if (federation + storage > 0) report.leftOut(`user federation (${federation + storage})`, 'Strix does not read LDAP or Kerberos: export those users with their passwords, or let them reset them');
  const actions = list(kc.requiredActions, `${where}.requiredActions`).map((a, i) => text(object(a, `${where}.requiredActions[${i}]`).alias, `${where}.requiredActions[${i}].alias`))
    .filter((a) => a !== undefined && requiredAction(a) === undefined);
  if (actions.length > 0) report.leftOut(`required actions ${actions.join(', ')}`, 'Strix has no such required action');
  if (count('scopeMappings') + Object.keys(optionalObject(kc.clientScopeMappings, `${where}.clientScopeMappings`) ?? {}).length > 0) {
    report.leftOut('scope mappings', 'every role of a user goes into their tokens');
  }
}
