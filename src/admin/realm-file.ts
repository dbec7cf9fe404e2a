// Realm files (DESIGN "realm file"): clients as RFC 7591 metadata, users as OIDC standard claims.
// Import is idempotent: realms, clients and roles are created or updated; existing users get their
// profile and roles updated but keep their password unless the file sets `password_hash`.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { hashPassword } from '../identity/passwords.js';
import { adminRealm, isServiceAccountRole } from './api-access.js';
import { newId } from '../runtime.js';
import type { Services } from '../services.js';
import type { JWK } from 'jose';
import {
  clientAssertionAlgs, storedSecret, tokenEndpointAuthMethods,
  type ClientAssertionAlg, type ClientMetadata, type PublicJwks, type TokenEndpointAuthMethod,
} from '../store/clients.js';
import { registrationPolicies, type RegistrationPolicy } from '../store/registrations.js';
import {
  defaultBruteForceSettings, defaultEventSettings, defaultPasswordPolicy, defaultRateLimitSettings, defaultRealmSettings, signingAlgs,
  type BruteForceSettings, type EventSettings, type EventWebhook, type MfaPolicy, type PasswordPolicy, type RateLimitSettings, type RealmSettings,
} from '../store/realms.js';
import { eventTypes } from '../security/audit.js';
import { acceptableWebhookUrl } from '../security/webhooks.js';
import { parseAddressRule } from '../security/ip-rules.js';
import { userAttributeClaims } from '../tokens/claims.js';
import { sectorOf, subjectTypes } from '../tokens/subject.js';
import { CustomRuleError, parseClaimMappers, type ClaimMapper } from '../tokens/mappers.js';
import { parseTokenHook, type TokenHookInput, type TokenHookSettings } from '../tokens/token-hook.js';
import { assertAcceptable, PasswordPolicyError } from '../security/password-policy.js';
import { deviceCodeGrantType } from '../oauth/device.js';
import { requestObjectSigningAlgs } from '../oauth/request-object.js';
import { httpsOrLoopback } from '../http/outbound.js';
import { transportAllowed } from '../authorization/redirect-uris.js';
import { canonicalResponseType, responseTypes, returnsTokens } from '../authorization/response-types.js';
import { isResourceUri } from '../tokens/resources.js';
import { tokenExchangeGrantType } from '../oauth/grants/token-exchange.js';

export class RealmFileError extends Error {
  constructor(readonly where: string, problem: string) {
    super(`${where}: ${problem}`);
    this.name = 'RealmFileError';
  }
}

type Json = Record<string, unknown>;

export interface ClientInput { metadata: ClientMetadata; secret?: string }
export interface UserInput {
  username: string; password?: string; password_hash?: string; email: string | null;
  claims: Record<string, unknown>; roles: string[]; enabled: boolean;
}
export interface RealmInput {
  name: string; displayName: string; settings: RealmSettings; roles: string[];
  clients: ClientInput[]; users: UserInput[];
  /** Dynamic client registration (RFC 7591): left as stored when absent. */
  registration?: RegistrationPolicy;
  /** The realm file's initial access tokens, in clear; on import they replace the file's previous ones. */
  initialAccessTokens?: string[];
  /** The token hook with its secret in clear; sealed on import (settings.token_hook holds the sealed form). */
  tokenHook?: TokenHookInput | null;
  /** Event webhooks, secrets in clear (sealed on import); left as stored when absent. A missing secret keeps the stored one. */
  eventWebhooks?: WebhookInput[];
}

export interface WebhookInput { url: string; secret?: string; types?: string[] }

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function stringList(value: unknown, where: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw new RealmFileError(where, 'must be a list of strings');
  return value as string[];
}

function optionalString(value: unknown, where: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new RealmFileError(where, 'must be a string');
  return value;
}

function optionalPositiveInt(value: unknown, where: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) throw new RealmFileError(where, 'must be a positive whole number of seconds');
  return value;
}

function optionalBoolean(value: unknown, where: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw new RealmFileError(where, 'must be true or false');
  return value;
}

/** Logout URIs (back- and front-channel) are absolute http(s) URIs without a fragment. */
function logoutUri(value: unknown, where: string): string | undefined {
  const uri = optionalString(value, where);
  if (uri === undefined) return undefined;
  validateRedirectUri(uri, where);
  if (!/^https?:/.test(uri)) throw new RealmFileError(where, `"${uri}" must be an http or https URI`);
  return uri;
}

/** A resource indicator (RFC 8707 §2): an absolute URI without a fragment, compared as written. */
function resourceUri(uri: string, where: string): string {
  if (!isResourceUri(uri)) throw new RealmFileError(where, `"${uri}" must be an absolute URI without a fragment or spaces`);
  return uri;
}

/** Informational URIs (client_uri, logo_uri, policy_uri, tos_uri) are absolute http(s) URLs. */
function webUri(value: unknown, where: string): string | undefined {
  const uri = optionalString(value, where);
  if (uri !== undefined && !(URL.canParse(uri) && ['http:', 'https:'].includes(new URL(uri).protocol))) {
    throw new RealmFileError(where, `"${uri}" is not an http(s) URL`);
  }
  return uri;
}

/** initiate_login_uri (OIDC Registration §2, Core §4): https only. */
function httpsUri(value: unknown, where: string): string | undefined {
  const uri = optionalString(value, where);
  if (uri !== undefined && !(URL.canParse(uri) && new URL(uri).protocol === 'https:')) throw new RealmFileError(where, `"${uri}" must be an https URL`);
  return uri;
}

function applicationType(value: unknown, where: string): ClientMetadata['application_type'] {
  if (value === undefined) return undefined;
  if (value !== 'web' && value !== 'native') throw new RealmFileError(where, 'must be "web" or "native"');
  return value;
}

/** Redirect URIs must be absolute and have no fragment (RFC 6749 §3.1.2); they are then matched exactly. */
export function validateRedirectUri(uri: string, where: string): string {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new RealmFileError(where, `"${uri}" is not an absolute URI`);
  }
  if (url.hash || uri.includes('#')) throw new RealmFileError(where, `"${uri}" must not contain a fragment`);
  if (url.protocol === 'javascript:' || url.protocol === 'data:') throw new RealmFileError(where, `"${uri}" uses a forbidden scheme`);
  return uri;
}

/** A redirect URI also travels over TLS unless it stays on the machine (RFC 9700 §2.6). */
function redirectUri(uri: string, where: string): string {
  validateRedirectUri(uri, where);
  if (!transportAllowed(new URL(uri))) throw new RealmFileError(where, `"${uri}" must use https (plain http only for loopback hosts: 127.0.0.1, [::1], localhost)`);
  return uri;
}

// Webhooks hold secrets: they are parsed apart (parseWebhooks) and sealed on import.
const settingNames = (Object.keys(defaultRealmSettings) as (keyof RealmSettings)[]).filter((name) => name !== 'event_webhooks');

function eventTypeList(value: unknown, where: string): string[] {
  const types = stringList(value, where);
  const unknown = types.find((t) => !(eventTypes as readonly string[]).includes(t));
  if (unknown !== undefined) throw new RealmFileError(where, `"${unknown}" is not an event type (known: ${eventTypes.join(', ')})`);
  return types;
}

/** A partial `events` object merges over the defaults. */
function parseEventSettings(value: unknown, where: string): EventSettings {
  if (!isObject(value)) throw new RealmFileError(where, 'must be an object');
  const settings: EventSettings = { ...defaultEventSettings };
  for (const [key, raw] of Object.entries(value)) {
    const at = `${where}.${key}`;
    if (key === 'enabled') settings.enabled = optionalBoolean(raw, at)!;
    else if (key === 'retention_days') {
      if (typeof raw !== 'number' || !Number.isInteger(raw) || raw <= 0) throw new RealmFileError(at, 'must be a positive whole number of days');
      settings.retention_days = raw;
    } else if (key === 'types') settings.types = eventTypeList(raw, at);
    else throw new RealmFileError(at, `is not an events setting (known: ${Object.keys(defaultEventSettings).join(', ')})`);
  }
  return settings;
}

/** `event_webhooks`: [{"url": https URL (http for loopback only), "secret": at least 16 characters, "types": [...]}]. */
function parseWebhooks(value: unknown, where: string): WebhookInput[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) throw new RealmFileError(where, 'must be a list of {"url", "secret", "types"}');
  return value.map((raw: unknown, i) => {
    const at = `${where}[${i}]`;
    if (!isObject(raw)) throw new RealmFileError(at, 'must be an object');
    for (const key of Object.keys(raw)) if (!['url', 'secret', 'types'].includes(key)) throw new RealmFileError(`${at}.${key}`, 'is not a webhook field (known: url, secret, types)');
    const url = optionalString(raw.url, `${at}.url`);
    if (url === undefined || !acceptableWebhookUrl(url)) throw new RealmFileError(`${at}.url`, 'must be an https URL (http only to a loopback address), without credentials or fragment');
    const secret = optionalString(raw.secret, `${at}.secret`);
    if (secret !== undefined && secret.length < 16) throw new RealmFileError(`${at}.secret`, 'must be at least 16 characters long');
    return { url, secret, types: raw.types === undefined ? undefined : eventTypeList(raw.types, `${at}.types`) };
  });
}

/** Custom rules validate themselves (src/tokens/mappers.ts); their errors name the field like ours. */
function claimMappers(value: unknown, where: string): ClaimMapper[] {
  try {
    return parseClaimMappers(value, where);
  } catch (error) {
    if (error instanceof CustomRuleError) throw new RealmFileError(error.field, error.message.slice(error.field.length + 2));
    throw error;
  }
}

function tokenHook(value: unknown, where: string): TokenHookInput | null {
  try {
    return parseTokenHook(value, where);
  } catch (error) {
    if (error instanceof CustomRuleError) throw new RealmFileError(error.field, error.message.slice(error.field.length + 2));
    throw error;
  }
}

/** A partial `password_policy` merges over the defaults; unknown keys are refused, like brute_force's. */
function parsePasswordPolicy(value: unknown, where: string): PasswordPolicy {
  if (!isObject(value)) throw new RealmFileError(where, 'must be an object');
  const policy: PasswordPolicy = { ...defaultPasswordPolicy, hashing: { ...defaultPasswordPolicy.hashing } };
  for (const [key, raw] of Object.entries(value)) {
    const at = `${where}.${key}`;
    if (key === 'hashing') {
      if (!isObject(raw)) throw new RealmFileError(at, 'must be an object');
      for (const [name, cost] of Object.entries(raw)) {
        if (!(name in policy.hashing)) throw new RealmFileError(`${at}.${name}`, `is not a hashing setting (known: ${Object.keys(policy.hashing).join(', ')})`);
        policy.hashing[name as keyof PasswordPolicy['hashing']] = optionalPositiveInt(cost, `${at}.${name}`)!;
      }
      // Below OWASP's floor for argon2id (7 MiB with t=5 … 19 MiB with t=2) a leaked hash is cheap to attack.
      if (policy.hashing.memory_cost < 7_168) throw new RealmFileError(`${at}.memory_cost`, 'must be at least 7168 KiB');
    } else if (key === 'not_username' || key === 'not_email' || key === 'not_common') {
      policy[key] = optionalBoolean(raw, at)!;
    } else if (key === 'history') {
      if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < 0 || raw > 24) throw new RealmFileError(at, 'must be a whole number from 0 to 24');
      policy.history = raw;
    } else if (key === 'min_length' || key === 'max_length') {
      policy[key] = optionalPositiveInt(raw, at)!;
    } else {
      throw new RealmFileError(at, `is not a password_policy setting (known: ${Object.keys(defaultPasswordPolicy).join(', ')})`);
    }
  }
  if (policy.min_length > policy.max_length) throw new RealmFileError(`${where}.min_length`, 'must not exceed max_length');
  return policy;
}

/** A partial `brute_force` object merges over the defaults; unknown keys are refused so a typo cannot silently weaken it. */
function parseBruteForce(value: unknown, where: string): BruteForceSettings {
  if (!isObject(value)) throw new RealmFileError(where, 'must be an object');
  const settings: BruteForceSettings = { ...defaultBruteForceSettings };
  const names = Object.keys(defaultBruteForceSettings) as (keyof BruteForceSettings)[];
  for (const [name, v] of Object.entries(value)) {
    const key = name as keyof BruteForceSettings;
    if (!names.includes(key)) throw new RealmFileError(`${where}.${name}`, `is not a brute_force setting (known: ${names.join(', ')})`);
    if (key === 'enabled' || key === 'permanent_lockout') {
      if (typeof v !== 'boolean') throw new RealmFileError(`${where}.${name}`, 'must be true or false');
      settings[key] = v;
    } else if (key === 'max_temporary_lockouts') {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new RealmFileError(`${where}.${name}`, 'must be a whole number, 0 or more');
      settings[key] = v;
    } else if (key === 'failure_factor' || key === 'ip_failure_limit' || key === 'realm_failure_limit') {
      if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw new RealmFileError(`${where}.${name}`, 'must be a positive whole number of failures');
      settings[key] = v;
    } else {
      settings[key] = optionalPositiveInt(v, `${where}.${name}`)!;
    }
  }
  return settings;
}

/** A partial `rate_limits` object merges over the defaults, as does a partial limit ({"max": 10} keeps the window). */
function parseRateLimits(value: unknown, where: string): RateLimitSettings {
  if (!isObject(value)) throw new RealmFileError(where, 'must be an object');
  const settings: RateLimitSettings = { ...defaultRateLimitSettings };
  const names = Object.keys(defaultRateLimitSettings) as (keyof RateLimitSettings)[];
  for (const [name, v] of Object.entries(value)) {
    const key = name as keyof RateLimitSettings;
    if (!names.includes(key)) throw new RealmFileError(`${where}.${name}`, `is not a rate_limits setting (known: ${names.join(', ')})`);
    if (key === 'enabled') {
      if (typeof v !== 'boolean') throw new RealmFileError(`${where}.${name}`, 'must be true or false');
      settings.enabled = v;
      continue;
    }
    if (!isObject(v)) throw new RealmFileError(`${where}.${name}`, 'must be an object: {"max": requests, "window_seconds": seconds}');
    const limit = { ...defaultRateLimitSettings[key] };
    for (const [field, n] of Object.entries(v)) {
      if (field !== 'max' && field !== 'window_seconds') throw new RealmFileError(`${where}.${name}.${field}`, 'is not a limit field (known: max, window_seconds)');
      if (typeof n !== 'number' || !Number.isInteger(n) || n <= 0) {
        throw new RealmFileError(`${where}.${name}.${field}`, field === 'max' ? 'must be a positive whole number of requests' : 'must be a positive whole number of seconds');
      }
      limit[field] = n;
    }
    settings[key] = limit;
  }
  return settings;
}

/** `ip_allow` / `ip_deny`: addresses and CIDR blocks, IPv4 or IPv6 (checked with src/security/ip-rules.ts). */
function addressRules(value: unknown, where: string): string[] {
  return stringList(value, where).map((text) => {
    try {
      parseAddressRule(text);
    } catch (error) {
      throw new RealmFileError(where, (error as Error).message);
    }
    return text.trim();
  });
}

/** `mfa`: "optional", "required", or {"required_for_roles": [...]} (src/identity/mfa.ts). */
function parseMfaPolicy(value: unknown, where: string): MfaPolicy {
  if (value === 'optional' || value === 'required') return value;
  if (isObject(value) && Object.keys(value).length === 1 && value.required_for_roles !== undefined) {
    return { required_for_roles: stringList(value.required_for_roles, `${where}.required_for_roles`) };
  }
  throw new RealmFileError(where, 'must be "optional", "required" or {"required_for_roles": ["role", ...]}');
}

function parseSettings(raw: Json, where: string): RealmSettings {
  const settings: RealmSettings = { ...defaultRealmSettings, scopes: [] };
  for (const name of settingNames) {
    const value = raw[name];
    if (value === undefined) continue;
    if (name === 'scopes') {
      if (!Array.isArray(value) || !value.every((s) => isObject(s) && typeof s.name === 'string' && typeof s.description === 'string')) {
        throw new RealmFileError(`${where}.scopes`, 'must be a list of {"name", "description"}');
      }
      settings.scopes = value.map((s) => ({ name: String((s as Json).name), description: String((s as Json).description) }));
    } else if (name === 'resources') {
      if (!Array.isArray(value) || !value.every((r) => isObject(r) && typeof r.uri === 'string' && Object.keys(r).length === 1)) {
        throw new RealmFileError(`${where}.resources`, 'must be a list of {"uri"}');
      }
      settings.resources = value.map((r) => ({ uri: resourceUri(String((r as Json).uri), `${where}.resources`) }));
    } else if (name === 'access_token_signing_alg' || name === 'id_token_signing_alg') {
      if (!signingAlgs.includes(value as never)) throw new RealmFileError(`${where}.${name}`, `must be one of ${signingAlgs.join(', ')}`);
      settings[name] = value as RealmSettings[typeof name];
    } else if (name === 'pkce_plain_allowed' || name === 'dpop_required_for_public_clients' || name === 'dpop_nonce_required' || name === 'require_pushed_authorization_requests') {
      if (typeof value !== 'boolean') throw new RealmFileError(`${where}.${name}`, 'must be true or false');
      settings[name] = value;
    } else if (name === 'default_locale') {
      settings.default_locale = optionalString(value, `${where}.${name}`) ?? 'en';
    } else if (name === 'password_policy') {
      settings.password_policy = parsePasswordPolicy(value, `${where}.password_policy`);
    } else if (name === 'brute_force') {
      settings.brute_force = parseBruteForce(value, `${where}.brute_force`);
    } else if (name === 'rate_limits') {
      settings.rate_limits = parseRateLimits(value, `${where}.rate_limits`);
    } else if (name === 'ip_allow' || name === 'ip_deny') {
      settings[name] = addressRules(value, `${where}.${name}`);
    } else if (name === 'claim_mappers') {
      settings.claim_mappers = claimMappers(value, `${where}.claim_mappers`);
    } else if (name === 'token_hook') {
      continue;   // parsed into RealmInput.tokenHook: its secret is sealed on import
    } else if (name === 'events') {
      settings.events = parseEventSettings(value, `${where}.events`);
    } else if (name === 'mfa') {
      settings.mfa = parseMfaPolicy(value, `${where}.mfa`);
    } else {
      settings[name] = optionalPositiveInt(value, `${where}.${name}`)!;
    }
  }
  return settings;
}

/** JWK members holding private or symmetric key material (RFC 7518 §6.2.2, §6.3.2, §6.4.1). */
const privateJwkMembers = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

function publicJwks(value: unknown, where: string): PublicJwks {
  if (!isObject(value) || !Array.isArray(value.keys) || value.keys.length === 0) throw new RealmFileError(where, 'must be a JWK Set: {"keys": [ ... ]}');
  value.keys.forEach((key: unknown, i) => {
    if (!isObject(key) || !['RSA', 'EC', 'OKP'].includes(key.kty as string)) throw new RealmFileError(`${where}.keys[${i}]`, 'must be a JWK with kty RSA, EC or OKP');
    const secret = privateJwkMembers.find((member) => member in key);
    if (secret) throw new RealmFileError(`${where}.keys[${i}]`, `holds private key material ("${secret}"): register public keys only`);
  });
  return { keys: value.keys as JWK[] };
}

/** The client's public keys (RFC 7591 §2): inline `jwks` or an https `jwks_uri` (http only to loopback), never both. */
function clientKeys(raw: Json, method: TokenEndpointAuthMethod, where: string): Pick<ClientMetadata, 'jwks' | 'jwks_uri'> {
  if (raw.jwks !== undefined && raw.jwks_uri !== undefined) throw new RealmFileError(`${where}.jwks_uri`, 'jwks and jwks_uri must not both be set');
  const jwks = raw.jwks === undefined ? undefined : publicJwks(raw.jwks, `${where}.jwks`);
  const jwksUri = optionalString(raw.jwks_uri, `${where}.jwks_uri`);
  if (jwksUri !== undefined && !(URL.canParse(jwksUri) && httpsOrLoopback(new URL(jwksUri)))) {
    throw new RealmFileError(`${where}.jwks_uri`, `"${jwksUri}" must be an https URL (http only for loopback hosts)`);
  }
  if (method === 'private_key_jwt' && !jwks && !jwksUri) throw new RealmFileError(`${where}.jwks`, 'a private_key_jwt client needs jwks or jwks_uri');
  return { jwks, jwks_uri: jwksUri };
}

/** RFC 7591 §2 token_endpoint_auth_signing_alg: an HMAC for client_secret_jwt, a signature for private_key_jwt. */
function assertionAlg(value: unknown, method: TokenEndpointAuthMethod, where: string): ClientAssertionAlg | undefined {
  if (value === undefined) return undefined;
  if (method !== 'client_secret_jwt' && method !== 'private_key_jwt') throw new RealmFileError(where, 'applies only to client_secret_jwt and private_key_jwt');
  const algs: readonly string[] = clientAssertionAlgs[method];
  if (typeof value !== 'string' || !algs.includes(value)) throw new RealmFileError(where, `must be one of ${algs.join(', ')} for ${method}`);
  return value as ClientAssertionAlg;
}

/**
 * OIDC Registration §2 request_object_signing_alg: an HMAC needs the sealed secret that only
 * client_secret_jwt clients keep; a signature needs the client's keys; "none" opts in to unsigned objects.
 */
function requestObjectAlg(value: unknown, method: TokenEndpointAuthMethod, keys: Pick<ClientMetadata, 'jwks' | 'jwks_uri'>, where: string): ClientMetadata['request_object_signing_alg'] {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !requestObjectSigningAlgs.includes(value)) throw new RealmFileError(where, `must be one of ${requestObjectSigningAlgs.join(', ')}`);
  if (value.startsWith('HS') && method !== 'client_secret_jwt') throw new RealmFileError(where, `${value} needs a client_secret_jwt client (Strix keeps the secret only for those)`);
  if (value !== 'none' && !value.startsWith('HS') && !keys.jwks && !keys.jwks_uri) throw new RealmFileError(where, `${value} needs the client's jwks or jwks_uri`);
  return value as ClientMetadata['request_object_signing_alg'];
}

/** OIDC Registration §2 request_uris: where this client's request objects may be fetched from. */
function requestUris(value: unknown, where: string): string[] | undefined {
  if (value === undefined) return undefined;
  return stringList(value, where).map((uri) => {
    if (!URL.canParse(uri) || !httpsOrLoopback(new URL(uri))) throw new RealmFileError(where, `"${uri}" must be an https URL (http only for loopback hosts)`);
    return uri;
  });
}

/**
 * OIDC Core §8 subject_type, and the sector_identifier_uri (OIDC Registration §2, §5) that a
 * pairwise client needs unless its redirect URIs share one host. Whether the URI's document lists
 * the redirect URIs is checked when a client registers (src/oauth/sector-identifier.ts).
 */
function subjectType(raw: Json, where: string): Pick<ClientMetadata, 'subject_type' | 'sector_identifier_uri'> {
  const type = raw.subject_type;
  if (type !== undefined && !subjectTypes.includes(type as never)) throw new RealmFileError(`${where}.subject_type`, `must be one of ${subjectTypes.join(', ')}`);
  const uri = optionalString(raw.sector_identifier_uri, `${where}.sector_identifier_uri`);
  if (uri !== undefined && !(URL.canParse(uri) && httpsOrLoopback(new URL(uri)))) {
    throw new RealmFileError(`${where}.sector_identifier_uri`, `"${uri}" must be an https URL (http only for loopback hosts)`);
  }
  const metadata = { subject_type: type as ClientMetadata['subject_type'], sector_identifier_uri: uri };
  if (type === 'pairwise' && sectorOf({ ...metadata, redirect_uris: stringList(raw.redirect_uris, `${where}.redirect_uris`) }) === undefined) {
    throw new RealmFileError(`${where}.sector_identifier_uri`, 'a pairwise client whose redirect URIs are not all on one host needs a sector_identifier_uri');
  }
  return metadata;
}

/** The admin API rights of a master-realm service account (src/admin/api-access.ts). */
function serviceAccountRoles(value: unknown, where: string): string[] {
  const roles = stringList(value, where);
  const wrong = roles.find((role) => !isServiceAccountRole(role));
  if (wrong !== undefined) throw new RealmFileError(where, `"${wrong}" is not one of admin, realm-admin:{realm}, realm-viewer:{realm}`);
  return roles;
}

export function parseClient(raw: unknown, where: string): ClientInput {
  if (!isObject(raw)) throw new RealmFileError(where, 'must be an object');
  const clientId = optionalString(raw.client_id, `${where}.client_id`);
  if (!clientId || !/^[\x21-\x7E]{1,200}$/.test(clientId)) throw new RealmFileError(`${where}.client_id`, 'is required: printable characters, no spaces');
  const method = (raw.token_endpoint_auth_method ?? 'client_secret_basic') as ClientMetadata['token_endpoint_auth_method'];
  if (!tokenEndpointAuthMethods.includes(method)) {
    throw new RealmFileError(`${where}.token_endpoint_auth_method`, `must be one of ${tokenEndpointAuthMethods.join(', ')}`);
  }
  const secret = optionalString(raw.client_secret, `${where}.client_secret`);
  if (method === 'none' && secret !== undefined) throw new RealmFileError(`${where}.client_secret`, 'a public client (token_endpoint_auth_method "none") has no secret');
  if (method === 'private_key_jwt' && secret !== undefined) throw new RealmFileError(`${where}.client_secret`, 'a private_key_jwt client authenticates with its keys and has no secret');
  const keys = clientKeys(raw, method, where);
  const alg = (name: string) => {
    const value = raw[name];
    if (value !== undefined && !signingAlgs.includes(value as never)) throw new RealmFileError(`${where}.${name}`, `must be one of ${signingAlgs.join(', ')}`);
    return value as ClientMetadata['id_token_signed_response_alg'];
  };
  if (raw.require_consent !== undefined && typeof raw.require_consent !== 'boolean') throw new RealmFileError(`${where}.require_consent`, 'must be true or false');
  if (raw.pkce_plain_allowed !== undefined && typeof raw.pkce_plain_allowed !== 'boolean') throw new RealmFileError(`${where}.pkce_plain_allowed`, 'must be true or false');
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
        throw new RealmFileError(`${where}.allowed_origins`, `"${o}" is not an origin`);
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
    claim_mappers: raw.claim_mappers === undefined ? undefined : claimMappers(raw.claim_mappers, `${where}.claim_mappers`),
    mfa: raw.mfa === undefined ? undefined : parseMfaPolicy(raw.mfa, `${where}.mfa`),
    service_account_roles: raw.service_account_roles === undefined ? undefined : serviceAccountRoles(raw.service_account_roles, `${where}.service_account_roles`),
  };
  const known = ['authorization_code', 'implicit', 'refresh_token', 'client_credentials', 'password', deviceCodeGrantType, tokenExchangeGrantType];
  for (const g of metadata.grant_types) if (!known.includes(g)) throw new RealmFileError(`${where}.grant_types`, `"${g}" is not supported (supported: ${known.join(', ')})`);
  metadata.response_types = metadata.response_types.map((r) => {
    const type = canonicalResponseType(r);
    if (!type) throw new RealmFileError(`${where}.response_types`, `"${r}" is not supported (supported: ${responseTypes.join(', ')})`);
    // RFC 7591 §2.1: response types and grant types must agree.
    const needs = [...(type.includes('code') ? ['authorization_code'] : []), ...(returnsTokens(type) ? ['implicit'] : [])];
    for (const grant of needs) {
      if (!metadata.grant_types.includes(grant)) throw new RealmFileError(`${where}.grant_types`, `response_type "${type}" needs the ${grant} grant type`);
    }
    return type;
  });
  // OIDC Dynamic Registration §2: redirect_uris is REQUIRED for the code and implicit flows.
  const redirecting = metadata.grant_types.find((g) => g === 'authorization_code' || g === 'implicit');
  if (redirecting && metadata.redirect_uris.length === 0) {
    throw new RealmFileError(`${where}.redirect_uris`, `a client using ${redirecting} needs at least one redirect URI`);
  }
  if (metadata.grant_types.includes('client_credentials') && method === 'none') {
    throw new RealmFileError(`${where}.grant_types`, 'client_credentials needs a confidential client');
  }
  if (metadata.grant_types.includes(tokenExchangeGrantType) && method === 'none') {
    throw new RealmFileError(`${where}.grant_types`, 'token exchange needs a confidential client');
  }
  if (metadata.service_account_roles && !metadata.grant_types.includes('client_credentials')) {
    throw new RealmFileError(`${where}.service_account_roles`, 'only a client_credentials client acts as a service account');
  }
  // Back-Channel Logout §2.2: http is allowed only for confidential clients.
  if (metadata.backchannel_logout_uri?.startsWith('http:') && method === 'none') {
    throw new RealmFileError(`${where}.backchannel_logout_uri`, 'a public client must use an https back-channel logout URI');
  }
  return { metadata: JSON.parse(JSON.stringify(metadata)) as ClientMetadata, secret };
}

function parseUser(raw: unknown, where: string): UserInput {
  if (!isObject(raw)) throw new RealmFileError(where, 'must be an object');
  const username = optionalString(raw.username, `${where}.username`);
  if (!username || !/^[^\s]{1,200}$/.test(username)) throw new RealmFileError(`${where}.username`, 'is required, without spaces');
  const claims: Record<string, unknown> = {};
  for (const claim of userAttributeClaims) if (raw[claim] !== undefined) claims[claim] = raw[claim];
  // Custom attributes (for user_attribute mappers) and groups (for groups mappers).
  if (raw.attributes !== undefined) {
    if (!isObject(raw.attributes)) throw new RealmFileError(`${where}.attributes`, 'must be an object of attribute names and values');
    claims.attributes = raw.attributes;
  }
  if (raw.groups !== undefined) claims.groups = stringList(raw.groups, `${where}.groups`);
  if (raw.enabled !== undefined && typeof raw.enabled !== 'boolean') throw new RealmFileError(`${where}.enabled`, 'must be true or false');
  return {
    username,
    password: optionalString(raw.password, `${where}.password`),
    password_hash: optionalString(raw.password_hash, `${where}.password_hash`),
    email: optionalString(raw.email, `${where}.email`) ?? null,
    claims,
    roles: stringList(raw.roles, `${where}.roles`),
    enabled: raw.enabled !== false,
  };
}

export function parseRealmFile(content: unknown, source: string): RealmInput[] {
  if (!isObject(content) || !Array.isArray(content.realms)) throw new RealmFileError(source, 'must be an object with a "realms" list');
  return content.realms.map((raw, i) => {
    const where = `${source}: realms[${i}]`;
    if (!isObject(raw)) throw new RealmFileError(where, 'must be an object');
    const name = optionalString(raw.name, `${where}.name`);
    if (!name || !/^[A-Za-z0-9_-]{1,64}$/.test(name)) throw new RealmFileError(`${where}.name`, 'is required: letters, digits, - and _');
    const { name: _n, display_name, roles, clients, users, registration, initial_access_tokens, event_webhooks, ...rest } = raw;
    const realmRoles = stringList(roles, `${where}.roles`);
    const parsedUsers = (Array.isArray(users) ? users : []).map((u, j) => parseUser(u, `${where}.users[${j}]`));
    for (const u of parsedUsers) for (const r of u.roles) if (!realmRoles.includes(r)) realmRoles.push(r);
    return {
      name,
      displayName: optionalString(display_name, `${where}.display_name`) ?? name,
      settings: parseSettings(rest, where),
      roles: realmRoles,
      clients: masterOnlyServiceAccounts(name, (Array.isArray(clients) ? clients : []).map((c, j) => parseClient(c, `${where}.clients[${j}]`)), where),
      users: parsedUsers,
      registration: registrationPolicy(registration, `${where}.registration`),
      initialAccessTokens: initialAccessTokens(initial_access_tokens, `${where}.initial_access_tokens`),
      tokenHook: tokenHook(rest.token_hook, `${where}.token_hook`),
      eventWebhooks: parseWebhooks(event_webhooks, `${where}.event_webhooks`),
    };
  });
}

/** Admin API rights are given to master-realm clients only: another realm's administrators must not grant them. */
function masterOnlyServiceAccounts(realm: string, clients: ClientInput[], where: string): ClientInput[] {
  const index = clients.findIndex((client) => client.metadata.service_account_roles !== undefined);
  if (realm !== adminRealm && index >= 0) throw new RealmFileError(`${where}.clients[${index}].service_account_roles`, `only clients of the ${adminRealm} realm may have admin API roles`);
  return clients;
}

function registrationPolicy(value: unknown, where: string): RegistrationPolicy {
  if (value === undefined) return 'protected';
  if (!registrationPolicies.includes(value as RegistrationPolicy)) throw new RealmFileError(where, `must be one of ${registrationPolicies.join(', ')}`);
  return value as RegistrationPolicy;
}

/** Bearer tokens for the registration endpoint: long enough not to be guessed, and b64token characters (RFC 6750 §2.1). */
function initialAccessTokens(value: unknown, where: string): string[] {
  const tokens = stringList(value, where);
  for (const token of tokens) {
    if (token.length < 16) throw new RealmFileError(where, 'each token must be at least 16 characters long');
    if (!/^[A-Za-z0-9\-._~+/]+=*$/.test(token)) throw new RealmFileError(where, 'tokens may only use letters, digits and -._~+/ (RFC 6750 b64token)');
  }
  return [...new Set(tokens)];
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
    return parseRealmFile(content, file);
  });
}

/** A password a realm file sets must meet that realm's policy, like any other. */
async function acceptablePassword(input: RealmInput, user: UserInput): Promise<void> {
  try {
    await assertAcceptable(input.settings.password_policy, user.password!, user);
  } catch (error) {
    if (error instanceof PasswordPolicyError) throw new RealmFileError(`realm ${input.name}, user ${user.username}`, error.message);
    throw error;
  }
}

export interface ImportSummary { realm: string; created: boolean; clients: number; users: number }

export async function importRealm(s: Pick<Services, 'store' | 'keystore' | 'sealer' | 'clock'>, input: RealmInput): Promise<ImportSummary> {
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
  }
  for (const user of input.users) {
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
  }
  return { realm: input.name, created, clients: input.clients.length, users: input.users.length };
}

/** The hook secret is sealed with the master key; a file without one keeps the stored secret. */
async function sealedTokenHook(s: Pick<Services, 'store' | 'sealer'>, input: RealmInput): Promise<TokenHookSettings | null> {
  if (!input.tokenHook) return null;
  const { secret, ...hook } = input.tokenHook;
  const stored = secret === undefined ? (await s.store.realms.get(input.name))?.settings.token_hook?.secret_sealed : undefined;
  if (secret === undefined && !stored) throw new RealmFileError(`realm ${input.name}, token_hook.secret`, 'is required');
  return { ...hook, secret_sealed: secret === undefined ? stored! : s.sealer.seal(secret) };
}

/** A webhook as stored: its secret sealed, or the stored secret of the same URL when the file gives none (as export writes it). */
function sealedWebhook(s: Pick<Services, 'sealer'>, realm: string, w: WebhookInput, stored: EventWebhook[]): EventWebhook {
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
 * The realm as a realm file entry. Client secrets and initial access tokens cannot be exported
 * (only hashes are kept), nor the token hook's and webhooks' secrets.
 */
export async function exportRealm(s: Pick<Services, 'store'>, name: string): Promise<Json | undefined> {
  const realm = await s.store.realms.get(name);
  if (!realm) return undefined;
  const clients = await s.store.clients.list(name);
  const users = await s.store.users.list(name);
  return {
    name: realm.name,
    display_name: realm.displayName,
    ...realm.settings,
    token_hook: exportedTokenHook(realm.settings.token_hook),
    event_webhooks: realm.settings.event_webhooks.map(({ url, types }) => ({ url, ...(types ? { types } : {}) })),
    registration: await s.store.registrations.policy(name),
    roles: await s.store.roles.list(name),
    clients: clients.map((c) => c.metadata),
    users: users.map((u) => ({
      username: u.username,
      ...(u.passwordHash ? { password_hash: u.passwordHash } : {}),
      ...(u.email ? { email: u.email } : {}),
      ...u.claims,
      roles: u.roles,
      ...(u.enabled ? {} : { enabled: false }),
    })),
  };
}
