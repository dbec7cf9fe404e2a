// Client metadata (RFC 7591 §2, OIDC Dynamic Client Registration §2, and Strix's own members), checked
// once for every way a client is made: realm files, dynamic registration, the CLI and the admin API.
import type { JWK } from 'jose';
import { canonicalResponseType, responseTypes, returnsTokens } from '../authorization/response-types.js';
import { httpsOrLoopback, isLoopbackHost } from '../http/outbound.js';
import { isObject, type JsonObject } from '../json.js';
import { addressRules, parseMfaPolicy, resourceUri } from '../realms/settings.js';
import {
  clientAssertionAlgs, requestObjectSigningAlgs, tokenEndpointAuthMethods,
  type ClientAssertionAlg, type ClientMetadata, type PublicJwks, type TokenEndpointAuthMethod,
} from '../store/clients.js';
import { emailSignInModes, signingAlgs, type EmailSignIn } from '../store/realms.js';
import { parseClaimMappers } from '../tokens/mappers.js';
import { sectorOf, subjectTypes } from '../tokens/subject.js';
import { optionalBoolean, optionalPositiveInt, optionalString, stringList, ValidationError } from '../validation.js';
import { supportedGrantTypes, tokenExchangeGrantType } from './grant-types.js';
import { parseClientRoleDefinitions } from './client-roles.js';
import { isServiceAccountRole } from './service-account-roles.js';

export interface ClientInput { metadata: ClientMetadata; secret?: string }

/** Logout URIs (back- and front-channel) are absolute http(s) URIs without a fragment. */
function logoutUri(value: unknown, where: string): string | undefined {
  const uri = optionalString(value, where);
  if (uri === undefined) return undefined;
  validateRedirectUri(uri, where);
  if (!/^https?:/.test(uri)) throw new ValidationError(where, `"${uri}" must be an http or https URI`);
  return uri;
}

/** Informational URIs (client_uri, logo_uri, policy_uri, tos_uri) are absolute http(s) URLs. */
function webUri(value: unknown, where: string): string | undefined {
  const uri = optionalString(value, where);
  if (uri !== undefined && !(URL.canParse(uri) && ['http:', 'https:'].includes(new URL(uri).protocol))) {
    throw new ValidationError(where, `"${uri}" is not an http(s) URL`);
  }
  return uri;
}

/** initiate_login_uri (OIDC Registration §2, Core §4): https only. */
function httpsUri(value: unknown, where: string): string | undefined {
  const uri = optionalString(value, where);
  if (uri !== undefined && !(URL.canParse(uri) && new URL(uri).protocol === 'https:')) throw new ValidationError(where, `"${uri}" must be an https URL`);
  return uri;
}

function applicationType(value: unknown, where: string): ClientMetadata['application_type'] {
  if (value === undefined) return undefined;
  if (value !== 'web' && value !== 'native') throw new ValidationError(where, 'must be "web" or "native"');
  return value;
}

/** Redirect URIs must be absolute and have no fragment (RFC 6749 §3.1.2); they are then matched exactly. */
function validateRedirectUri(uri: string, where: string): string {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new ValidationError(where, `"${uri}" is not an absolute URI`);
  }
  if (url.hash || uri.includes('#')) throw new ValidationError(where, `"${uri}" must not contain a fragment`);
  if (url.protocol === 'javascript:' || url.protocol === 'data:') throw new ValidationError(where, `"${uri}" uses a forbidden scheme`);
  return uri;
}

/**
 * RFC 9700 §2.6: plain http would expose the code or tokens on the network, so it is refused
 * except on a loopback host, where the traffic never leaves the machine (native apps, RFC 8252
 * §7.3, and web apps under development).
 */
function transportAllowed(url: URL): boolean {
  return url.protocol !== 'http:' || isLoopbackHost(url.hostname);
}

/** A redirect URI also travels over TLS unless it stays on the machine (RFC 9700 §2.6). */
function redirectUri(uri: string, where: string): string {
  validateRedirectUri(uri, where);
  if (!transportAllowed(new URL(uri))) throw new ValidationError(where, `"${uri}" must use https (plain http only for loopback hosts: 127.0.0.1, [::1], localhost)`);
  return uri;
}

/** JWK members holding private or symmetric key material (RFC 7518 §6.2.2, §6.3.2, §6.4.1). */
const privateJwkMembers = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

function publicJwks(value: unknown, where: string): PublicJwks {
  if (!isObject(value) || !Array.isArray(value.keys) || value.keys.length === 0) throw new ValidationError(where, 'must be a JWK Set: {"keys": [ ... ]}');
  value.keys.forEach((key: unknown, i) => {
    if (!isObject(key) || !['RSA', 'EC', 'OKP'].includes(key.kty as string)) throw new ValidationError(`${where}.keys[${i}]`, 'must be a JWK with kty RSA, EC or OKP');
    const secret = privateJwkMembers.find((member) => member in key);
    if (secret) throw new ValidationError(`${where}.keys[${i}]`, `holds private key material ("${secret}"): register public keys only`);
  });
  return { keys: value.keys as JWK[] };
}

/** The client's public keys (RFC 7591 §2): inline `jwks` or an https `jwks_uri` (http only to loopback), never both. */
function clientPublicKeys(raw: JsonObject, method: TokenEndpointAuthMethod, where: string): Pick<ClientMetadata, 'jwks' | 'jwks_uri'> {
  if (raw.jwks !== undefined && raw.jwks_uri !== undefined) throw new ValidationError(`${where}.jwks_uri`, 'jwks and jwks_uri must not both be set');
  const jwks = raw.jwks === undefined ? undefined : publicJwks(raw.jwks, `${where}.jwks`);
  const jwksUri = optionalString(raw.jwks_uri, `${where}.jwks_uri`);
  if (jwksUri !== undefined && !(URL.canParse(jwksUri) && httpsOrLoopback(new URL(jwksUri)))) {
    throw new ValidationError(`${where}.jwks_uri`, `"${jwksUri}" must be an https URL (http only for loopback hosts)`);
  }
  if (method === 'private_key_jwt' && !jwks && !jwksUri) throw new ValidationError(`${where}.jwks`, 'a private_key_jwt client needs jwks or jwks_uri');
  return { jwks, jwks_uri: jwksUri };
}

/** RFC 7591 §2 token_endpoint_auth_signing_alg: an HMAC for client_secret_jwt, a signature for private_key_jwt. */
function assertionAlg(value: unknown, method: TokenEndpointAuthMethod, where: string): ClientAssertionAlg | undefined {
  if (value === undefined) return undefined;
  if (method !== 'client_secret_jwt' && method !== 'private_key_jwt') throw new ValidationError(where, 'applies only to client_secret_jwt and private_key_jwt');
  const algs: readonly string[] = clientAssertionAlgs[method];
  if (typeof value !== 'string' || !algs.includes(value)) throw new ValidationError(where, `must be one of ${algs.join(', ')} for ${method}`);
  return value as ClientAssertionAlg;
}

/**
 * OIDC Registration §2 request_object_signing_alg: an HMAC needs the sealed secret that only
 * client_secret_jwt clients keep; a signature needs the client's keys; "none" opts in to unsigned objects.
 */
function requestObjectAlg(value: unknown, method: TokenEndpointAuthMethod, keys: Pick<ClientMetadata, 'jwks' | 'jwks_uri'>, where: string): ClientMetadata['request_object_signing_alg'] {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !requestObjectSigningAlgs.includes(value)) throw new ValidationError(where, `must be one of ${requestObjectSigningAlgs.join(', ')}`);
  if (value.startsWith('HS') && method !== 'client_secret_jwt') throw new ValidationError(where, `${value} needs a client_secret_jwt client (Strix keeps the secret only for those)`);
  if (value !== 'none' && !value.startsWith('HS') && !keys.jwks && !keys.jwks_uri) throw new ValidationError(where, `${value} needs the client's jwks or jwks_uri`);
  return value as ClientMetadata['request_object_signing_alg'];
}

/** OIDC Registration §2 request_uris: where this client's request objects may be fetched from. */
function requestUris(value: unknown, where: string): string[] | undefined {
  if (value === undefined) return undefined;
  return stringList(value, where).map((uri) => {
    if (!URL.canParse(uri) || !httpsOrLoopback(new URL(uri))) throw new ValidationError(where, `"${uri}" must be an https URL (http only for loopback hosts)`);
    return uri;
  });
}

/**
 * OIDC Core §8 subject_type, and the sector_identifier_uri (OIDC Registration §2, §5) that a
 * pairwise client needs unless its redirect URIs share one host. Whether the URI's document lists
 * the redirect URIs is checked when a client registers (src/oauth/sector-identifier.ts).
 */
function subjectType(raw: JsonObject, where: string): Pick<ClientMetadata, 'subject_type' | 'sector_identifier_uri'> {
  const type = raw.subject_type;
  if (type !== undefined && !subjectTypes.includes(type as never)) throw new ValidationError(`${where}.subject_type`, `must be one of ${subjectTypes.join(', ')}`);
  const uri = optionalString(raw.sector_identifier_uri, `${where}.sector_identifier_uri`);
  if (uri !== undefined && !(URL.canParse(uri) && httpsOrLoopback(new URL(uri)))) {
    throw new ValidationError(`${where}.sector_identifier_uri`, `"${uri}" must be an https URL (http only for loopback hosts)`);
  }
  const metadata = { subject_type: type as ClientMetadata['subject_type'], sector_identifier_uri: uri };
  if (type === 'pairwise' && sectorOf({ ...metadata, redirect_uris: stringList(raw.redirect_uris, `${where}.redirect_uris`) }) === undefined) {
    throw new ValidationError(`${where}.sector_identifier_uri`, 'a pairwise client whose redirect URIs are not all on one host needs a sector_identifier_uri');
  }
  return metadata;
}

/** Passwordless by e-mail for this client's sign-ins, in place of the realm's `email_sign_in` (docs/email.md). */
function emailSignIn(value: unknown, where: string): EmailSignIn | undefined {
  if (value !== undefined && !emailSignInModes.includes(value as never)) throw new ValidationError(where, `must be one of ${emailSignInModes.join(', ')}`);
  return value as EmailSignIn | undefined;
}

/** The admin API rights of a service account (src/admin/api-access.ts); which of them its realm may give is assertServiceAccountRoles's. */
function serviceAccountRoles(value: unknown, where: string): string[] {
  const roles = stringList(value, where);
  const wrong = roles.find((role) => !isServiceAccountRole(role));
  if (wrong !== undefined) throw new ValidationError(where, `"${wrong}" is not one of admin, realm-admin[:{realm}], realm-viewer[:{realm}]`);
  return roles;
}

/** A client's RFC 7591 metadata (with Strix's own members) and its secret, checked as a whole; errors name the field under `where`. */
export function parseClientMetadata(raw: unknown, where: string): ClientInput {
  if (!isObject(raw)) throw new ValidationError(where, 'must be an object');
  const clientId = optionalString(raw.client_id, `${where}.client_id`);
  if (!clientId || !/^[\x21-\x7E]{1,200}$/.test(clientId)) throw new ValidationError(`${where}.client_id`, 'is required: printable characters, no spaces');
  const method = (raw.token_endpoint_auth_method ?? 'client_secret_basic') as ClientMetadata['token_endpoint_auth_method'];
  if (!tokenEndpointAuthMethods.includes(method)) {
    throw new ValidationError(`${where}.token_endpoint_auth_method`, `must be one of ${tokenEndpointAuthMethods.join(', ')}`);
  }
  const secret = optionalString(raw.client_secret, `${where}.client_secret`);
  if (method === 'none' && secret !== undefined) throw new ValidationError(`${where}.client_secret`, 'a public client (token_endpoint_auth_method "none") has no secret');
  if (method === 'private_key_jwt' && secret !== undefined) throw new ValidationError(`${where}.client_secret`, 'a private_key_jwt client authenticates with its keys and has no secret');
  const keys = clientPublicKeys(raw, method, where);
  const alg = (name: string) => {
    const value = raw[name];
    if (value !== undefined && !signingAlgs.includes(value as never)) throw new ValidationError(`${where}.${name}`, `must be one of ${signingAlgs.join(', ')}`);
    return value as ClientMetadata['id_token_signed_response_alg'];
  };
  if (raw.require_consent !== undefined && typeof raw.require_consent !== 'boolean') throw new ValidationError(`${where}.require_consent`, 'must be true or false');
  if (raw.pkce_plain_allowed !== undefined && typeof raw.pkce_plain_allowed !== 'boolean') throw new ValidationError(`${where}.pkce_plain_allowed`, 'must be true or false');
  const metadata: ClientMetadata = {
    client_id: clientId,
    client_name: optionalString(raw.client_name, `${where}.client_name`),
    application_type: applicationType(raw.application_type, `${where}.application_type`),
    contacts: raw.contacts === undefined ? undefined : stringList(raw.contacts, `${where}.contacts`),
    client_uri: webUri(raw.client_uri, `${where}.client_uri`),
    logo_uri: webUri(raw.logo_uri, `${where}.logo_uri`),
    policy_uri: webUri(raw.policy_uri, `${where}.policy_uri`),
    tos_uri: webUri(raw.tos_uri, `${where}.tos_uri`),
    redirect_uris: stringList(raw.redirect_uris, `${where}.redirect_uris`).map((u) => redirectUri(u, `${where}.redirect_uris`)),
    post_logout_redirect_uris: stringList(raw.post_logout_redirect_uris, `${where}.post_logout_redirect_uris`)
      .map((u) => validateRedirectUri(u, `${where}.post_logout_redirect_uris`)),
    grant_types: raw.grant_types === undefined ? ['authorization_code'] : stringList(raw.grant_types, `${where}.grant_types`),
    // RFC 7591 §2: the default is "code", but a client without the authorization_code grant has none.
    response_types: raw.response_types !== undefined ? stringList(raw.response_types, `${where}.response_types`)
      : raw.grant_types === undefined || stringList(raw.grant_types, `${where}.grant_types`).includes('authorization_code') ? ['code'] : [],
    token_endpoint_auth_method: method,
    ...keys,
    token_endpoint_auth_signing_alg: assertionAlg(raw.token_endpoint_auth_signing_alg, method, `${where}.token_endpoint_auth_signing_alg`),
    request_object_signing_alg: requestObjectAlg(raw.request_object_signing_alg, method, keys, `${where}.request_object_signing_alg`),
    request_uris: requestUris(raw.request_uris, `${where}.request_uris`),
    scope: optionalString(raw.scope, `${where}.scope`) ?? 'openid profile email',
    require_consent: raw.require_consent === true,
    allowed_origins: raw.allowed_origins === undefined ? undefined : stringList(raw.allowed_origins, `${where}.allowed_origins`).map((o) => {
      try {
        return new URL(o).origin;
      } catch {
        throw new ValidationError(`${where}.allowed_origins`, `"${o}" is not an origin`);
      }
    }),
    id_token_signed_response_alg: alg('id_token_signed_response_alg'),
    userinfo_signed_response_alg: alg('userinfo_signed_response_alg'),
    access_token_signed_response_alg: alg('access_token_signed_response_alg'),
    access_token_lifetime: optionalPositiveInt(raw.access_token_lifetime, `${where}.access_token_lifetime`),
    id_token_lifetime: optionalPositiveInt(raw.id_token_lifetime, `${where}.id_token_lifetime`),
    refresh_token_idle_lifetime: optionalPositiveInt(raw.refresh_token_idle_lifetime, `${where}.refresh_token_idle_lifetime`),
    refresh_token_absolute_lifetime: optionalPositiveInt(raw.refresh_token_absolute_lifetime, `${where}.refresh_token_absolute_lifetime`),
    pkce_plain_allowed: raw.pkce_plain_allowed as boolean | undefined,
    backchannel_logout_uri: logoutUri(raw.backchannel_logout_uri, `${where}.backchannel_logout_uri`),
    backchannel_logout_session_required: optionalBoolean(raw.backchannel_logout_session_required, `${where}.backchannel_logout_session_required`),
    frontchannel_logout_uri: logoutUri(raw.frontchannel_logout_uri, `${where}.frontchannel_logout_uri`),
    frontchannel_logout_session_required: optionalBoolean(raw.frontchannel_logout_session_required, `${where}.frontchannel_logout_session_required`),
    dpop_bound_access_tokens: optionalBoolean(raw.dpop_bound_access_tokens, `${where}.dpop_bound_access_tokens`),
    ip_allow: raw.ip_allow === undefined ? undefined : addressRules(raw.ip_allow, `${where}.ip_allow`),
    ip_deny: raw.ip_deny === undefined ? undefined : addressRules(raw.ip_deny, `${where}.ip_deny`),
    allowed_resources: raw.allowed_resources === undefined ? undefined
      : stringList(raw.allowed_resources, `${where}.allowed_resources`).map((uri) => resourceUri(uri, `${where}.allowed_resources`)),
    token_exchange_subject_clients: raw.token_exchange_subject_clients === undefined ? undefined
      : stringList(raw.token_exchange_subject_clients, `${where}.token_exchange_subject_clients`),
    ...subjectType(raw, where),
    require_pushed_authorization_requests: optionalBoolean(raw.require_pushed_authorization_requests, `${where}.require_pushed_authorization_requests`),
    initiate_login_uri: httpsUri(raw.initiate_login_uri, `${where}.initiate_login_uri`),
    claim_mappers: raw.claim_mappers === undefined ? undefined : parseClaimMappers(raw.claim_mappers, `${where}.claim_mappers`),
    mfa: raw.mfa === undefined ? undefined : parseMfaPolicy(raw.mfa, `${where}.mfa`),
    email_sign_in: emailSignIn(raw.email_sign_in, `${where}.email_sign_in`),
    service_account_roles: raw.service_account_roles === undefined ? undefined : serviceAccountRoles(raw.service_account_roles, `${where}.service_account_roles`),
    roles: parseClientRoleDefinitions(raw.roles, `${where}.roles`),
  };
  for (const g of metadata.grant_types) {
    if (!supportedGrantTypes.includes(g)) throw new ValidationError(`${where}.grant_types`, `"${g}" is not supported (supported: ${supportedGrantTypes.join(', ')})`);
  }
  metadata.response_types = metadata.response_types.map((r) => {
    const type = canonicalResponseType(r);
    if (!type) throw new ValidationError(`${where}.response_types`, `"${r}" is not supported (supported: ${responseTypes.join(', ')})`);
    // RFC 7591 §2.1: response types and grant types must agree.
    const needs = [...(type.includes('code') ? ['authorization_code'] : []), ...(returnsTokens(type) ? ['implicit'] : [])];
    for (const grant of needs) {
      if (!metadata.grant_types.includes(grant)) throw new ValidationError(`${where}.grant_types`, `response_type "${type}" needs the ${grant} grant type`);
    }
    return type;
  });
  // OIDC Dynamic Registration §2: redirect_uris is REQUIRED for the code and implicit flows.
  const redirecting = metadata.grant_types.find((g) => g === 'authorization_code' || g === 'implicit');
  if (redirecting && metadata.redirect_uris.length === 0) {
    throw new ValidationError(`${where}.redirect_uris`, `a client using ${redirecting} needs at least one redirect URI`);
  }
  if (metadata.grant_types.includes('client_credentials') && method === 'none') {
    throw new ValidationError(`${where}.grant_types`, 'client_credentials needs a confidential client');
  }
  if (metadata.grant_types.includes(tokenExchangeGrantType) && method === 'none') {
    throw new ValidationError(`${where}.grant_types`, 'token exchange needs a confidential client');
  }
  if (metadata.service_account_roles && !metadata.grant_types.includes('client_credentials')) {
    throw new ValidationError(`${where}.service_account_roles`, 'only a client_credentials client acts as a service account');
  }
  // Back-Channel Logout §2.2: http is allowed only for confidential clients.
  if (metadata.backchannel_logout_uri?.startsWith('http:') && method === 'none') {
    throw new ValidationError(`${where}.backchannel_logout_uri`, 'a public client must use an https back-channel logout URI');
  }
  return { metadata: JSON.parse(JSON.stringify(metadata)) as ClientMetadata, secret };
}
