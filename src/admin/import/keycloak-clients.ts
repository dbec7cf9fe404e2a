// Keycloak's clients and client scopes (realm export) in the realm file's client metadata: grant and
// response types from the flow switches, redirect URIs Strix can compare exactly, web origins, logout
// URLs, scopes, and the protocol mappers that have a Strix claim mapper.
import { randomBytes } from 'node:crypto';
import { deviceCodeGrantType } from '../../clients/grant-types.js';
import { isLoopbackHost } from '../../http/outbound.js';
import type { JsonObject } from '../../json.js';
import { ValidationError } from '../../validation.js';
import { parseClient } from '../realm-file.js';
import type { ImportPlan } from './plan.js';
import { flag, list, object, optionalObject, refuse, text, texts, whole } from './read.js';
import type { ImportReport } from './report.js';

/** Lifetimes beyond ten years are not a setting but a mistake or an attack. */
export const maxSeconds = 10 * 365 * 86_400;

/** Clients every Keycloak realm has for its own pages and APIs. */
export const keycloakClients = ['account', 'account-console', 'admin-cli', 'broker', 'realm-management', 'security-admin-console'];
/** Scopes Strix has built in; Keycloak's own (web-origins, acr, basic, role_list, …) are covered by token_claims "keycloak". */
const builtInScopes = ['profile', 'email', 'address', 'phone', 'roles', 'offline_access'];
const keycloakOwnScopes = ['web-origins', 'acr', 'basic', 'role_list', 'microprofile-jwt', 'organization', 'saml_organization'];
const scopeToken = /^[\x21\x23-\x5B\x5D-\x7E]{1,200}$/;

/** A lifetime in seconds; Keycloak's 0 means not set. */
export function seconds(value: unknown, where: string): number | undefined {
  const n = whole(value, where, maxSeconds);
  return n === 0 ? undefined : n;
}


export interface Scopes {
  custom: { name: string; description: string }[];
  mappers: JsonObject[];
}

/** Client scopes: Strix's built-in ones by name, others as plain scopes with their mappers as realm mappers for that scope. */
export function clientScopes(kc: JsonObject, where: string, report: ImportReport): Scopes {
  const result: Scopes = { custom: [], mappers: [] };
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
      const mapper = protocolMapper(m, `${at}.protocolMappers[${j}]`, `client scope ${scopeName}`, report);
      if (mapper) result.mappers.push({ ...mapper, scope: scopeName });
    });
  });
  return result;
}

/** Keycloak's common protocol mappers as Strix claim mappers; others are reported. */
function protocolMapper(raw: unknown, where: string, owner: string, report: ImportReport): JsonObject | undefined {
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
    const fullPath = conf('full.path') !== 'false';
    report.imported(`${owner} mapper ${mapperName}`, `the user's groups in "${claim}" (${fullPath ? 'paths' : 'names'})`);
    return { type: 'groups', claim, tokens, ...(fullPath ? {} : { full_path: false }) };
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

export function keycloakClient(raw: unknown, where: string, report: ImportReport, plan: ImportPlan, customScopes: string[]): JsonObject[] {
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
      report.approximate(`${item} secret`, `the export does not hold it (the console's partial export masks it): a new one, stored when the import runs (a dry run's is discarded): ${String(out.client_secret)}`);
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
    .map((m, j) => protocolMapper(m, `${where}.protocolMappers[${j}]`, item, report))
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

/** Keeps the client roles that the imported clients declare, reporting the others (Keycloak's own clients' are dropped silently). */
export class ClientRoleFilter {
  constructor(private readonly defined: Map<string, JsonObject[]>, private readonly report: ImportReport) {}

  held(value: unknown, where: string, item: string): JsonObject | undefined {
    const raw = optionalObject(value, where);
    if (!raw) return undefined;
    const out: JsonObject = {};
    for (const [clientId, names] of Object.entries(raw)) {
      if (keycloakClients.includes(clientId)) continue;
      const declared = (this.defined.get(clientId) ?? []).map((r) => String(r.name));
      const roles = texts(names, `${where}.${clientId}`);
      const unknown = roles.filter((r) => !declared.includes(r));
      if (unknown.length > 0) this.report.leftOut(`${item} client roles ${clientId}: ${unknown.join(', ')}`, 'not roles of an imported client');
      const kept = roles.filter((r) => declared.includes(r));
      if (kept.length > 0) out[clientId] = kept;
    }
    return Object.keys(out).length > 0 ? out : undefined;
  }
}
