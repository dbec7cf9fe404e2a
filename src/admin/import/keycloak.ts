// Keycloak's realm export (`kc.sh export`, the console's partial export; versions 18–26) as an
// import plan: realm settings, clients, roles, groups and users in the realm file's shapes, with
// their password hashes and TOTP secrets, and a report of what could not be carried over and why.
import { randomBytes } from 'node:crypto';
import { Secret } from 'otpauth';
import { deviceCodeGrantType } from '../../clients/grant-types.js';
import { isLoopbackHost } from '../../http/outbound.js';
import { argon2PhcHash, hashLimits, hashProblem, keycloakPbkdf2Hash, type Pbkdf2Digest } from '../../identity/password-hashes.js';
import type { JsonObject } from '../../json.js';
import { ValidationError } from '../../validation.js';
import { parseClient, parseRealm, RealmFileError } from '../realm-file.js';
import { emptyPlan, type GroupPlan, type ImportPlan } from './plan.js';
import { embeddedJson, flag, list, object, optionalObject, refuse, text, texts, whole } from './read.js';
import { ImportReport } from './report.js';

/** Lifetimes beyond ten years are not a setting but a mistake or an attack. */
const maxSeconds = 10 * 365 * 86_400;
const maxGroupDepth = 32;

/** Clients every Keycloak realm has for its own pages and APIs. */
const keycloakClients = ['account', 'account-console', 'admin-cli', 'broker', 'realm-management', 'security-admin-console'];
/** Scopes Strix has built in; Keycloak's own (web-origins, acr, basic, role_list, …) are covered by token_claims "keycloak". */
const builtInScopes = ['profile', 'email', 'address', 'phone', 'roles', 'offline_access'];
const keycloakOwnScopes = ['web-origins', 'acr', 'basic', 'role_list', 'microprofile-jwt', 'organization', 'saml_organization'];
const scopeToken = /^[\x21\x23-\x5B\x5D-\x7E]{1,200}$/;
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
  file.clients = list(kc.clients, `${where}.clients`).flatMap((raw, i) => client(raw, `${where}.clients[${i}]`, report, plan, scopes.custom.map((s) => s.name)));
  const groupPaths = new Set<string>();
  plan.groups = list(kc.groups, `${where}.groups`).map((raw, i) => group(raw, `${where}.groups[${i}]`, '', 1, roles, groupPaths, report));
  file.users = users(kc, where, roles, groupPaths, report, plan, scopes.fullPathGroups);
  leftOutFeatures(kc, where, report);
  try {
    plan.realm = parseRealm(file, `${where} (as a Strix realm)`);
  } catch (error) {
    if (error instanceof ValidationError && !(error instanceof RealmFileError)) throw new RealmFileError(error.field, error.problem);
    throw error;
  }
  return plan;
}

function seconds(value: unknown, where: string): number | undefined {
  const n = whole(value, where, maxSeconds);
  return n === 0 ? undefined : n;
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
      report.leftOut(`role ${role} client composites`, 'a realm role that brings client roles: Strix gives client roles to users directly (client_roles)');
    }
  }
  assertNoCycle(plan.composites, `${where}.roles.realm`);
  report.imported('realm roles', `${names.size}${plan.composites.size ? `, ${plan.composites.size} of them composite` : ''}`);
  const clientRoles = optionalObject(roles.client, `${where}.roles.client`) ?? {};
  const defined = Object.entries(clientRoles).filter(([clientId, r]) => !keycloakClients.includes(clientId) && list(r, `${where}.roles.client.${clientId}`).length > 0);
  if (defined.length > 0) report.approximate('client roles', `Strix keeps them on each user (client_roles → resource_access in tokens): ${defined.map(([c]) => c).join(', ')}; their descriptions and composites are left out`);
  return names;
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

interface Scopes {
  custom: { name: string; description: string }[];
  mappers: JsonObject[];
  /** Whether group claims carry full paths (Keycloak's group membership mapper's `full.path`). */
  fullPathGroups: boolean;
}

/** Client scopes: Strix's built-in ones by name, others as plain scopes with their mappers as realm mappers for that scope. */
function clientScopes(kc: JsonObject, where: string, report: ImportReport): Scopes {
  const result: Scopes = { custom: [], mappers: [], fullPathGroups: true };
  list(kc.clientScopes, `${where}.clientScopes`).forEach((raw, i) => {
    const at = `${where}.clientScopes[${i}]`;
    const scope = object(raw, at);
    const scopeName = text(scope.name, `${at}.name`) ?? refuse(`${at}.name`, 'is required');
    if (text(scope.protocol, `${at}.protocol`) === 'saml') return;
    if (builtInScopes.includes(scopeName) || keycloakOwnScopes.includes(scopeName)) return;
    if (!scopeToken.test(scopeName)) {
      report.leftOut(`client scope ${scopeName}`, 'not a valid OAuth scope token');
      return;
    }
    result.custom.push({ name: scopeName, description: text(scope.description, `${at}.description`, 500) || scopeName });
    report.approximate(`client scope ${scopeName}`, 'a plain scope, granted when asked for and allowed to the client');
    list(scope.protocolMappers, `${at}.protocolMappers`).forEach((m, j) => {
      const mapper = protocolMapper(m, `${at}.protocolMappers[${j}]`, `client scope ${scopeName}`, report, result);
      if (mapper) result.mappers.push({ ...mapper, scope: scopeName });
    });
  });
  return result;
}

/** Keycloak's common protocol mappers as Strix claim mappers; others are reported. */
function protocolMapper(raw: unknown, where: string, owner: string, report: ImportReport, scopes: Scopes): JsonObject | undefined {
  const mapper = object(raw, where);
  const type = text(mapper.protocolMapper, `${where}.protocolMapper`) ?? '';
  const mapperName = text(mapper.name, `${where}.name`) ?? type;
  const config = optionalObject(mapper.config, `${where}.config`) ?? {};
  const conf = (key: string) => text(config[key], `${where}.config.${key}`);
  const tokens = [['access.token.claim', 'access_token'], ['id.token.claim', 'id_token'], ['userinfo.token.claim', 'userinfo']]
    .filter(([key]) => conf(key!) !== 'false').map(([, target]) => target);
  const claim = conf('claim.name');
  if (tokens.length === 0 && type !== 'oidc-audience-mapper') {
    report.leftOut(`${owner} mapper ${mapperName}`, 'it adds its claim to no token');
    return undefined;
  }
  if (type === 'oidc-group-membership-mapper' && claim) {
    if (conf('full.path') === 'false') scopes.fullPathGroups = false;
    report.imported(`${owner} mapper ${mapperName}`, `the user's groups in "${claim}"`);
    return { type: 'groups', claim, tokens };
  }
  if (type === 'oidc-usermodel-attribute-mapper' && claim && conf('user.attribute')) {
    report.imported(`${owner} mapper ${mapperName}`, `attribute ${conf('user.attribute')} in "${claim}"`);
    return { type: 'user_attribute', attribute: conf('user.attribute'), claim, tokens };
  }
  if (type === 'oidc-hardcoded-claim-mapper' && claim && conf('claim.value') !== undefined) {
    report.imported(`${owner} mapper ${mapperName}`, `"${claim}" fixed`);
    return { type: 'fixed', claim, value: conf('claim.value'), tokens };
  }
  if (type === 'oidc-audience-mapper' && (conf('included.custom.audience') || conf('included.client.audience'))) {
    report.imported(`${owner} mapper ${mapperName}`, 'an audience');
    return { type: 'audience', audience: conf('included.custom.audience') || conf('included.client.audience') };
  }
  report.leftOut(`${owner} mapper ${mapperName}`, `${type || 'this mapper type'} has no Strix equivalent (claims come from scopes, token_claims "keycloak" and claim mappers)`);
  return undefined;
}

/** A redirect URI Strix can compare exactly, or the reason it cannot. */
function redirectProblem(uri: string): string | undefined {
  if (uri.includes('*')) return 'a wildcard: Strix compares redirect URIs exactly, list each one';
  if (!URL.canParse(uri)) return 'not an absolute URI';
  const url = new URL(uri);
  if (uri.includes('#')) return 'it has a fragment';
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) return 'plain http is allowed only to loopback hosts';
  if (url.protocol === 'javascript:' || url.protocol === 'data:') return 'a forbidden scheme';
  return undefined;
}

function client(raw: unknown, where: string, report: ImportReport, plan: ImportPlan, customScopes: string[]): JsonObject[] {
  const kc = object(raw, where);
  const clientId = text(kc.clientId, `${where}.clientId`, 200) ?? refuse(`${where}.clientId`, 'is required');
  const item = `client ${clientId}`;
  if (keycloakClients.includes(clientId)) {
    report.leftOut(item, 'Keycloak\'s own client: Strix has its account pages and admin console');
    return [];
  }
  if (text(kc.protocol, `${where}.protocol`) === 'saml') {
    report.leftOut(item, 'a SAML client: Strix speaks OpenID Connect and OAuth 2.0 only');
    return [];
  }
  if (flag(kc.bearerOnly, `${where}.bearerOnly`) === true) {
    report.leftOut(item, 'bearer-only: an API needs no client in Strix, it verifies tokens with the realm\'s keys (JWKS) or introspection');
    return [];
  }
  const attributes = optionalObject(kc.attributes, `${where}.attributes`) ?? {};
  const attr = (key: string) => text(attributes[key], `${where}.attributes.${key}`);
  const isPublic = flag(kc.publicClient, `${where}.publicClient`) === true;
  const rootUrl = text(kc.rootUrl, `${where}.rootUrl`);
  const uris = (values: string[], what: string) => values.flatMap((value) => {
    const uri = value.startsWith('/') && rootUrl ? rootUrl.replace(/\/$/, '') + value : value;
    const problem = redirectProblem(uri);
    if (problem) {
      report.leftOut(`${item} ${what} ${value}`, problem);
      return [];
    }
    return [uri];
  });
  const redirectUris = uris(texts(kc.redirectUris, `${where}.redirectUris`), 'redirect URI');
  const out: JsonObject = { client_id: clientId, redirect_uris: redirectUris };
  const clientName = text(kc.name, `${where}.name`, 200);
  if (clientName && !clientName.includes('${')) out.client_name = clientName;

  const authenticator = text(kc.clientAuthenticatorType, `${where}.clientAuthenticatorType`) ?? 'client-secret';
  if (isPublic) out.token_endpoint_auth_method = 'none';
  else if (authenticator === 'client-secret') out.token_endpoint_auth_method = 'client_secret_basic';
  else if (authenticator === 'client-secret-jwt') out.token_endpoint_auth_method = 'client_secret_jwt';
  else if (authenticator === 'client-jwt' && attr('use.jwks.url') === 'true' && attr('jwks.url')) {
    out.token_endpoint_auth_method = 'private_key_jwt';
    out.jwks_uri = attr('jwks.url');
  } else {
    report.leftOut(item, `client authentication ${authenticator}${authenticator === 'client-jwt' ? ' with a certificate' : ''}: Strix knows client secrets and private_key_jwt with a JWKS URL`);
    return [];
  }
  if (!isPublic && out.token_endpoint_auth_method !== 'private_key_jwt') {
    const secret = text(kc.secret, `${where}.secret`, 500);
    if (secret === undefined || /^\*+$/.test(secret)) {
      out.client_secret = randomBytes(32).toString('base64url');
      report.approximate(`${item} secret`, `the export does not hold it (the console's partial export masks it): a new one was made: ${String(out.client_secret)}`);
    } else {
      out.client_secret = secret;
    }
  }

  const grants: string[] = [];
  const responses: string[] = [];
  if (flag(kc.standardFlowEnabled, `${where}.standardFlowEnabled`) !== false) {
    grants.push('authorization_code');
    responses.push('code');
  }
  if (flag(kc.implicitFlowEnabled, `${where}.implicitFlowEnabled`) === true) {
    grants.push('implicit');
    responses.push('id_token', 'id_token token');
  }
  if (flag(kc.directAccessGrantsEnabled, `${where}.directAccessGrantsEnabled`) === true) grants.push('password');
  if (flag(kc.serviceAccountsEnabled, `${where}.serviceAccountsEnabled`) === true && !isPublic) grants.push('client_credentials');
  if (attr('oauth2.device.authorization.grant.enabled') === 'true') grants.push(deviceCodeGrantType);
  if (grants.some((g) => ['authorization_code', 'password', deviceCodeGrantType].includes(g)) && attr('use.refresh.tokens') !== 'false') grants.push('refresh_token');
  out.grant_types = grants;
  out.response_types = responses;

  const pkce = attr('pkce.code.challenge.method');
  if (pkce === 'plain') out.pkce_plain_allowed = true;
  if (pkce === 'S256' && !isPublic) report.approximate(`${item} pkce.code.challenge.method`, 'Strix requires S256 of public clients and accepts it from confidential ones');
  const logout = attr('post.logout.redirect.uris');
  if (logout !== undefined) {
    const values = logout.split('##').filter((v) => v !== '');
    out.post_logout_redirect_uris = [...new Set([...(values.includes('+') ? redirectUris : []), ...uris(values.filter((v) => v !== '+'), 'post-logout redirect URI')])];
  }
  out.require_consent = flag(kc.consentRequired, `${where}.consentRequired`) === true;
  const frontchannel = attr('frontchannel.logout.url');
  if (flag(kc.frontchannelLogout, `${where}.frontchannelLogout`) === true && frontchannel) out.frontchannel_logout_uri = frontchannel;
  const backchannel = attr('backchannel.logout.url');
  if (backchannel) {
    out.backchannel_logout_uri = backchannel;
    out.backchannel_logout_session_required = attr('backchannel.logout.session.required') !== 'false';
  }
  const lifespan = seconds(attr('access.token.lifespan'), `${where}.attributes.access.token.lifespan`);
  if (lifespan !== undefined) out.access_token_lifetime = lifespan;

  const origins: string[] = [];
  for (const origin of texts(kc.webOrigins, `${where}.webOrigins`)) {
    if (origin === '+') continue;
    if (origin === '*' || !URL.canParse(origin) || new URL(origin).origin !== origin) report.leftOut(`${item} web origin ${origin}`, 'Strix lists exact origins (scheme, host and port)');
    else origins.push(origin);
  }
  if (origins.length > 0) out.allowed_origins = origins;

  const scopeNames = [...texts(kc.defaultClientScopes, `${where}.defaultClientScopes`), ...texts(kc.optionalClientScopes, `${where}.optionalClientScopes`)];
  const granted = scopeNames.filter((s) => builtInScopes.includes(s) || customScopes.includes(s));
  out.scope = [...new Set(['openid', ...(scopeNames.length === 0 ? ['profile', 'email'] : granted)])].join(' ');

  const mappers = list(kc.protocolMappers, `${where}.protocolMappers`)
    .map((m, j) => protocolMapper(m, `${where}.protocolMappers[${j}]`, item, report, { custom: [], mappers: [], fullPathGroups: true }))
    .filter((m): m is JsonObject => m !== undefined);
  if (mappers.length > 0) out.claim_mappers = mappers;
  if (flag(kc.authorizationServicesEnabled, `${where}.authorizationServicesEnabled`) === true) {
    report.leftOut(`${item} authorization services`, 'Strix has no policy-based authorization (UMA, resources, permissions)');
  }
  try {
    parseClient(out, where);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    report.leftOut(item, `Strix cannot hold it as it is: ${error.message}`);
    return [];
  }
  if (flag(kc.enabled, `${where}.enabled`) === false) plan.disabledClients.push(clientId);
  report.imported(item, `${isPublic ? 'public' : String(out.token_endpoint_auth_method)}; ${grants.join(', ')}`);
  return [out];
}

function group(raw: unknown, where: string, parent: string, depth: number, roles: Set<string>, paths: Set<string>, report: ImportReport): GroupPlan {
  if (depth > maxGroupDepth) refuse(where, `groups nest deeper than ${maxGroupDepth} levels`);
  const kc = object(raw, where);
  const groupNameValue = text(kc.name, `${where}.name`, 100) ?? refuse(`${where}.name`, 'is required');
  if (!groupName.test(groupNameValue)) refuse(`${where}.name`, 'a Strix group name has no slash and does not start with a space');
  const path = `${parent}/${groupNameValue}`;
  if (paths.has(path)) refuse(`${where}.name`, `a second group at ${path}`);
  paths.add(path);
  const groupRoles = texts(kc.realmRoles, `${where}.realmRoles`).filter((r) => roles.has(r));
  const clientRoles = optionalObject(kc.clientRoles, `${where}.clientRoles`);
  if (clientRoles && Object.keys(clientRoles).length > 0) report.leftOut(`group ${path} client roles`, 'Strix groups carry realm roles only');
  if (optionalObject(kc.attributes, `${where}.attributes`) && Object.keys(kc.attributes as JsonObject).length > 0) report.leftOut(`group ${path} attributes`, 'Strix groups have no attributes');
  report.imported(`group ${path}`, groupRoles.length ? `roles ${groupRoles.join(', ')}` : '');
  const children = list(kc.subGroups, `${where}.subGroups`).map((sub, i) => group(sub, `${where}.subGroups[${i}]`, path, depth + 1, roles, paths, report));
  return { name: groupNameValue, path, roles: groupRoles, children };
}

function users(kc: JsonObject, where: string, roles: Set<string>, groupPaths: Set<string>, report: ImportReport, plan: ImportPlan, fullPaths: boolean): JsonObject[] {
  const out: JsonObject[] = [];
  const algorithms = new Map<string, number>();
  let serviceAccounts = 0;
  let withTotp = 0;
  list(kc.users, `${where}.users`).forEach((raw, i) => {
    const at = `${where}.users[${i}]`;
    const user = object(raw, at);
    const username = text(user.username, `${at}.username`, 200) ?? refuse(`${at}.username`, 'is required');
    const item = `user ${username}`;
    if (text(user.serviceAccountClientId, `${at}.serviceAccountClientId`) !== undefined) {
      serviceAccounts++;
      return;
    }
    if (text(user.federationLink, `${at}.federationLink`) !== undefined) {
      report.leftOut(item, 'comes from user federation (LDAP, Kerberos): its password stays in the directory, which Strix does not read');
      return;
    }
    const first = text(user.firstName, `${at}.firstName`, 500);
    const last = text(user.lastName, `${at}.lastName`, 500);
    const entry: JsonObject = { username };
    const email = text(user.email, `${at}.email`, 500);
    if (email) entry.email = email;
    const verified = flag(user.emailVerified, `${at}.emailVerified`);
    if (verified !== undefined) entry.email_verified = verified;
    if (first) entry.given_name = first;
    if (last) entry.family_name = last;
    if (first || last) entry.name = [first, last].filter(Boolean).join(' ');
    const enabled = flag(user.enabled, `${at}.enabled`);
    if (enabled === false) entry.enabled = false;
    const attributes = optionalObject(user.attributes, `${at}.attributes`);
    if (attributes && Object.keys(attributes).length > 0) {
      entry.attributes = Object.fromEntries(Object.entries(attributes).map(([key, values]) => {
        const all = texts(values, `${at}.attributes.${key}`);
        return [key, all.length === 1 ? all[0] : all];
      }));
    }
    const userRoles = texts(user.realmRoles, `${at}.realmRoles`);
    const unknownRoles = userRoles.filter((r) => !roles.has(r));
    if (unknownRoles.length > 0) report.leftOut(`${item} roles ${unknownRoles.join(', ')}`, 'not realm roles of the export that Strix can hold');
    entry.roles = userRoles.filter((r) => roles.has(r));
    const clientRoles = optionalObject(user.clientRoles, `${at}.clientRoles`);
    if (clientRoles) {
      const mapped = Object.fromEntries(Object.entries(clientRoles).filter(([c]) => !keycloakClients.includes(c)).map(([c, r]) => [c, texts(r, `${at}.clientRoles.${c}`)]));
      if (Object.keys(mapped).length > 0) entry.client_roles = mapped;
    }
    const paths = texts(user.groups, `${at}.groups`).map((p) => (p.startsWith('/') ? p : `/${p}`));
    const unknownGroups = paths.filter((p) => !groupPaths.has(p));
    if (unknownGroups.length > 0) report.leftOut(`${item} groups ${unknownGroups.join(', ')}`, 'no such group in the export');
    const memberOf = paths.filter((p) => groupPaths.has(p));
    if (memberOf.length > 0) {
      plan.memberships.set(username.toLowerCase(), memberOf);
      entry.groups = fullPaths ? memberOf : memberOf.map((p) => p.slice(p.lastIndexOf('/') + 1));
    }
    const actions = texts(user.requiredActions, `${at}.requiredActions`);
    if (actions.includes('UPDATE_PASSWORD')) plan.requiredActions.set(username.toLowerCase(), ['update_password']);
    const otherActions = actions.filter((a) => a !== 'UPDATE_PASSWORD');
    if (otherActions.length > 0) report.leftOut(`${item} required actions ${otherActions.join(', ')}`, 'Strix\'s only required action is update_password');
    list(user.credentials, `${at}.credentials`, 100).forEach((c, j) => {
      const cat = `${at}.credentials[${j}]`;
      const credential = object(c, cat);
      const type = text(credential.type, `${cat}.type`);
      if (type === 'password') {
        if (entry.password_hash !== undefined) return;
        const hash = passwordHash(credential, cat, item, report);
        if (hash) {
          entry.password_hash = hash.stored;
          algorithms.set(hash.algorithm, (algorithms.get(hash.algorithm) ?? 0) + 1);
        }
      } else if (type === 'otp') {
        const secret = totpSecret(credential, cat, item, report);
        if (secret && !plan.totp.has(username.toLowerCase())) {
          plan.totp.set(username.toLowerCase(), secret);
          withTotp++;
        }
      } else {
        report.leftOut(`${item} credential ${type ?? '(no type)'}`, type === 'webauthn' || type === 'webauthn-passwordless' ? 'passkeys are bound to Keycloak\'s origin: the user registers them again' : 'Strix has no such credential');
      }
    });
    out.push(entry);
  });
  const hashes = [...algorithms].map(([a, n]) => `${n} ${a}`).join(', ');
  report.imported('users', `${out.length}${hashes ? ` (password hashes: ${hashes}; upgraded to argon2id at each user's next sign-in)` : ''}${withTotp ? `, ${withTotp} with TOTP` : ''}`);
  if (serviceAccounts > 0) report.leftOut(`service-account users (${serviceAccounts})`, 'a Strix client with client_credentials needs no user');
  const ids = out.map((u) => String(u.username).toLowerCase());
  const twice = ids.find((id, i) => ids.indexOf(id) !== i);
  if (twice !== undefined) refuse(`${where}.users`, `the username ${twice} appears twice`);
  return out;
}

/** A Keycloak password credential as a stored hash; unknown algorithms are reported, absurd parameters refused. */
function passwordHash(credential: JsonObject, where: string, item: string, report: ImportReport): { stored: string; algorithm: string } | undefined {
  const secret = embeddedJson(credential.secretData, `${where}.secretData`);
  const data = embeddedJson(credential.credentialData, `${where}.credentialData`);
  const algorithm = text(data.algorithm, `${where}.credentialData.algorithm`, 100) ?? 'pbkdf2-sha256';
  const value = text(secret.value, `${where}.secretData.value`) ?? refuse(`${where}.secretData.value`, 'is required');
  const saltText = text(secret.salt, `${where}.secretData.salt`) ?? refuse(`${where}.secretData.salt`, 'is required');
  const digest: Pbkdf2Digest | undefined = ({ pbkdf2: 'sha1', 'pbkdf2-sha256': 'sha256', 'pbkdf2-sha512': 'sha512' } as Record<string, Pbkdf2Digest>)[algorithm];
  let stored: string;
  if (digest) {
    const iterations = whole(data.hashIterations, `${where}.credentialData.hashIterations`, hashLimits.pbkdf2MaxIterations, 1) ?? refuse(`${where}.credentialData.hashIterations`, 'is required');
    stored = keycloakPbkdf2Hash(digest, iterations, saltText, value);
  } else if (algorithm === 'argon2') {
    const extra = optionalObject(data.additionalParameters, `${where}.credentialData.additionalParameters`) ?? {};
    const param = (key: string) => {
      const values = list(extra[key], `${where}.credentialData.additionalParameters.${key}`, 1);
      return values.length === 0 ? undefined : text(values[0], `${where}.credentialData.additionalParameters.${key}[0]`, 20);
    };
    const type = param('type') ?? 'id';
    const version = param('version') ?? '1.3';
    if (!['id', 'i', 'd'].includes(type)) refuse(`${where}.credentialData.additionalParameters.type`, 'must be id, i or d');
    if (!['1.3', '1.0'].includes(version)) refuse(`${where}.credentialData.additionalParameters.version`, 'must be 1.3 or 1.0');
    const memory = whole(param('memory') ?? '7168', `${where}.credentialData.additionalParameters.memory`, hashLimits.argon2MaxMemory, 8)!;
    const iterations = whole(data.hashIterations ?? 5, `${where}.credentialData.hashIterations`, hashLimits.argon2MaxIterations, 1)!;
    const parallelism = whole(param('parallelism') ?? '1', `${where}.credentialData.additionalParameters.parallelism`, hashLimits.argon2MaxParallelism, 1)!;
    const hashLength = whole(param('hashLength') ?? '32', `${where}.credentialData.additionalParameters.hashLength`, hashLimits.maxKeyBytes, 4)!;
    const hash = Buffer.from(value, 'base64');
    if (hash.length !== hashLength) refuse(`${where}.secretData.value`, `holds ${hash.length} bytes where hashLength says ${hashLength}`);
    stored = argon2PhcHash({ type: type as 'id', version: version as '1.3', memory, iterations, parallelism, salt: Buffer.from(saltText, 'base64'), hash });
  } else {
    report.leftOut(`${item} password`, `hashed with ${algorithm}, which Strix cannot verify: the user sets a new password ("Forgot password?")`);
    return undefined;
  }
  const problem = hashProblem(stored);
  if (problem !== undefined) refuse(`${where}.secretData`, problem);
  return { stored, algorithm: algorithm === 'argon2' ? 'argon2' : algorithm };
}

/** A Keycloak OTP credential as Strix's TOTP secret (base32), when Strix can check its codes (TOTP, SHA-1, 6 digits, 30 s). */
function totpSecret(credential: JsonObject, where: string, item: string, report: ImportReport): string | undefined {
  const secret = embeddedJson(credential.secretData, `${where}.secretData`);
  const data = embeddedJson(credential.credentialData, `${where}.credentialData`);
  const subType = text(data.subType, `${where}.credentialData.subType`) ?? 'totp';
  const digits = whole(data.digits ?? 6, `${where}.credentialData.digits`, 10, 1);
  const period = whole(data.period ?? 30, `${where}.credentialData.period`, 3600, 1);
  const algorithm = text(data.algorithm, `${where}.credentialData.algorithm`) ?? 'HmacSHA1';
  if (subType !== 'totp' || digits !== 6 || period !== 30 || algorithm !== 'HmacSHA1') {
    report.leftOut(`${item} OTP`, `${subType}, ${algorithm}, ${digits} digits, ${period} s: Strix checks TOTP with SHA-1, 6 digits and 30 s; the user sets up the app again`);
    return undefined;
  }
  const value = text(secret.value, `${where}.secretData.value`, 1000) ?? refuse(`${where}.secretData.value`, 'is required');
  if (text(data.secretEncoding, `${where}.credentialData.secretEncoding`) === 'BASE32') {
    if (!/^[A-Z2-7]+=*$/i.test(value)) refuse(`${where}.secretData.value`, 'is not base32');
    return value.toUpperCase().replace(/=+$/, '');
  }
  // Keycloak's own secrets are text whose UTF-8 bytes are the key.
  return Secret.fromUTF8(value).base32;
}

function leftOutFeatures(kc: JsonObject, where: string, report: ImportReport): void {
  const count = (key: string) => list(kc[key], `${where}.${key}`).length;
  const flows = count('authenticationFlows');
  if (flows > 0) report.leftOut(`authentication flows (${flows})`, 'Strix\'s sign-in is fixed: password, then a second factor when enrolled or required (realm mfa)');
  const providers = count('identityProviders');
  if (providers > 0) report.leftOut(`identity providers (${providers})`, 'not imported yet: describe them as identity_providers in the realm (their secrets are not in the export)');
  const federation = count('userFederationProviders');
  const components = optionalObject(kc.components, `${where}.components`) ?? {};
  const storage = list(components['org.keycloak.storage.UserStorageProvider'], `${where}.components.UserStorageProvider`).length;
  if (federation + storage > 0) report.leftOut(`user federation (${federation + storage})`, 'Strix does not read LDAP or Kerberos: export those users with their passwords, or let them reset them');
  const actions = list(kc.requiredActions, `${where}.requiredActions`).map((a, i) => text(object(a, `${where}.requiredActions[${i}]`).alias, `${where}.requiredActions[${i}].alias`))
    .filter((a) => a !== undefined && a !== 'UPDATE_PASSWORD');
  if (actions.length > 0) report.leftOut(`required actions ${actions.join(', ')}`, 'Strix\'s only required action is update_password');
  if (count('scopeMappings') + Object.keys(optionalObject(kc.clientScopeMappings, `${where}.clientScopeMappings`) ?? {}).length > 0) {
    report.leftOut('scope mappings', 'every role of a user goes into their tokens');
  }
}
