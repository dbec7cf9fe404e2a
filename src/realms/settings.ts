// Realm settings as a realm file or the admin API gives them: each partial object merges over the
// defaults in src/store/realms.ts, and unknown keys are refused so that a typo cannot weaken a setting.
import { smtpUrlProblem } from '../config.js';
import { isObject, type JsonObject } from '../json.js';
import { eventTypes } from '../security/audit.js';
import { parseAddressRule } from '../security/ip-rules.js';
import { acceptableWebhookUrl } from '../security/webhooks.js';
import {
  defaultBruteForceSettings, defaultEventSettings, defaultPasswordPolicy, defaultRateLimitSettings, defaultRealmSettings, signingAlgs, tokenClaimsShapes,
  type BruteForceSettings, type EventSettings, type MfaPolicy, type PasswordPolicy, type RateLimitSettings, type RealmSettings, type RealmSmtp,
  emailSignInModes, type EmailSignIn,
} from '../store/realms.js';
import { registrationPolicies, type RegistrationPolicy } from '../store/registrations.js';
import { parseClaimMappers } from '../tokens/mappers.js';
import { parseBranding } from './branding.js';
import { parseIdentityProviders } from './identity-providers.js';
import { userEditableClaimNames } from '../identity/profile.js';
import { httpsOrLoopback } from '../http/outbound.js';
import { isResourceUri } from '../tokens/resources.js';
import { optionalBoolean, optionalPositiveInt, optionalString, stringList, ValidationError } from '../validation.js';

export interface WebhookInput { url: string; secret?: string; types?: string[] }

/** A resource indicator (RFC 8707 §2): an absolute URI without a fragment, compared as written. */
export function resourceUri(uri: string, where: string): string {
  if (!isResourceUri(uri)) throw new ValidationError(where, `"${uri}" must be an absolute URI without a fragment or spaces`);
  return uri;
}

// Webhooks hold secrets: they are parsed apart (parseWebhooks) and sealed on import.
const settingNames = (Object.keys(defaultRealmSettings) as (keyof RealmSettings)[]).filter((name) => name !== 'event_webhooks');

function eventTypeList(value: unknown, where: string): string[] {
  const types = stringList(value, where);
  const unknown = types.find((t) => !(eventTypes as readonly string[]).includes(t));
  if (unknown !== undefined) throw new ValidationError(where, `"${unknown}" is not an event type (known: ${eventTypes.join(', ')})`);
  return types;
}

/** A partial `events` object merges over the defaults. */
function parseEventSettings(value: unknown, where: string): EventSettings {
  if (!isObject(value)) throw new ValidationError(where, 'must be an object');
  const settings: EventSettings = { ...defaultEventSettings };
  for (const [key, raw] of Object.entries(value)) {
    const at = `${where}.${key}`;
    if (key === 'enabled') settings.enabled = optionalBoolean(raw, at)!;
    else if (key === 'retention_days') {
      if (typeof raw !== 'number' || !Number.isInteger(raw) || raw <= 0) throw new ValidationError(at, 'must be a positive whole number of days');
      settings.retention_days = raw;
    } else if (key === 'types') settings.types = eventTypeList(raw, at);
    else throw new ValidationError(at, `is not an events setting (known: ${Object.keys(defaultEventSettings).join(', ')})`);
  }
  return settings;
}

/** `event_webhooks`: [{"url": https URL (http for loopback only), "secret": at least 16 characters, "types": [...]}]. */
export function parseWebhooks(value: unknown, where: string): WebhookInput[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) throw new ValidationError(where, 'must be a list of {"url", "secret", "types"}');
  return value.map((raw: unknown, i) => {
    const at = `${where}[${i}]`;
    if (!isObject(raw)) throw new ValidationError(at, 'must be an object');
    for (const key of Object.keys(raw)) if (!['url', 'secret', 'types'].includes(key)) throw new ValidationError(`${at}.${key}`, 'is not a webhook field (known: url, secret, types)');
    const url = optionalString(raw.url, `${at}.url`);
    if (url === undefined || !acceptableWebhookUrl(url)) throw new ValidationError(`${at}.url`, 'must be an https URL (http only to a loopback address), without credentials or fragment');
    const secret = optionalString(raw.secret, `${at}.secret`);
    if (secret !== undefined && secret.length < 16) throw new ValidationError(`${at}.secret`, 'must be at least 16 characters long');
    return { url, secret, types: raw.types === undefined ? undefined : eventTypeList(raw.types, `${at}.types`) };
  });
}

/** A partial `password_policy` merges over the defaults; unknown keys are refused, like brute_force's. */
function parsePasswordPolicy(value: unknown, where: string): PasswordPolicy {
  if (!isObject(value)) throw new ValidationError(where, 'must be an object');
  const policy: PasswordPolicy = { ...defaultPasswordPolicy, hashing: { ...defaultPasswordPolicy.hashing } };
  for (const [key, raw] of Object.entries(value)) {
    const at = `${where}.${key}`;
    if (key === 'hashing') {
      if (!isObject(raw)) throw new ValidationError(at, 'must be an object');
      for (const [name, cost] of Object.entries(raw)) {
        if (!(name in policy.hashing)) throw new ValidationError(`${at}.${name}`, `is not a hashing setting (known: ${Object.keys(policy.hashing).join(', ')})`);
        policy.hashing[name as keyof PasswordPolicy['hashing']] = optionalPositiveInt(cost, `${at}.${name}`)!;
      }
      // Below OWASP's floor for argon2id (7 MiB with t=5 … 19 MiB with t=2) a leaked hash is cheap to attack.
      if (policy.hashing.memory_cost < 7_168) throw new ValidationError(`${at}.memory_cost`, 'must be at least 7168 KiB');
    } else if (key === 'not_username' || key === 'not_email' || key === 'not_common') {
      policy[key] = optionalBoolean(raw, at)!;
    } else if (key === 'history') {
      if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < 0 || raw > 24) throw new ValidationError(at, 'must be a whole number from 0 to 24');
      policy.history = raw;
    } else if (key === 'min_length' || key === 'max_length') {
      policy[key] = optionalPositiveInt(raw, at)!;
    } else {
      throw new ValidationError(at, `is not a password_policy setting (known: ${Object.keys(defaultPasswordPolicy).join(', ')})`);
    }
  }
  if (policy.min_length > policy.max_length) throw new ValidationError(`${where}.min_length`, 'must not exceed max_length');
  return policy;
}

/** A partial `brute_force` object merges over the defaults; unknown keys are refused so a typo cannot silently weaken it. */
function parseBruteForce(value: unknown, where: string): BruteForceSettings {
  if (!isObject(value)) throw new ValidationError(where, 'must be an object');
  const settings: BruteForceSettings = { ...defaultBruteForceSettings };
  const names = Object.keys(defaultBruteForceSettings) as (keyof BruteForceSettings)[];
  for (const [name, v] of Object.entries(value)) {
    const key = name as keyof BruteForceSettings;
    if (!names.includes(key)) throw new ValidationError(`${where}.${name}`, `is not a brute_force setting (known: ${names.join(', ')})`);
    if (key === 'enabled' || key === 'permanent_lockout') {
      if (typeof v !== 'boolean') throw new ValidationError(`${where}.${name}`, 'must be true or false');
      settings[key] = v;
    } else if (key === 'max_temporary_lockouts') {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new ValidationError(`${where}.${name}`, 'must be a whole number, 0 or more');
      settings[key] = v;
    } else if (key === 'failure_factor' || key === 'ip_failure_limit' || key === 'realm_failure_limit') {
      if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw new ValidationError(`${where}.${name}`, 'must be a positive whole number of failures');
      settings[key] = v;
    } else {
      settings[key] = optionalPositiveInt(v, `${where}.${name}`)!;
    }
  }
  return settings;
}

/** A partial `rate_limits` object merges over the defaults, as does a partial limit ({"max": 10} keeps the window). */
function parseRateLimits(value: unknown, where: string): RateLimitSettings {
  if (!isObject(value)) throw new ValidationError(where, 'must be an object');
  const settings: RateLimitSettings = { ...defaultRateLimitSettings };
  const names = Object.keys(defaultRateLimitSettings) as (keyof RateLimitSettings)[];
  for (const [name, v] of Object.entries(value)) {
    const key = name as keyof RateLimitSettings;
    if (!names.includes(key)) throw new ValidationError(`${where}.${name}`, `is not a rate_limits setting (known: ${names.join(', ')})`);
    if (key === 'enabled') {
      if (typeof v !== 'boolean') throw new ValidationError(`${where}.${name}`, 'must be true or false');
      settings.enabled = v;
      continue;
    }
    if (!isObject(v)) throw new ValidationError(`${where}.${name}`, 'must be an object: {"max": requests, "window_seconds": seconds}');
    const limit = { ...defaultRateLimitSettings[key] };
    for (const [field, n] of Object.entries(v)) {
      if (field !== 'max' && field !== 'window_seconds') throw new ValidationError(`${where}.${name}.${field}`, 'is not a limit field (known: max, window_seconds)');
      if (typeof n !== 'number' || !Number.isInteger(n) || n <= 0) {
        throw new ValidationError(`${where}.${name}.${field}`, field === 'max' ? 'must be a positive whole number of requests' : 'must be a positive whole number of seconds');
      }
      limit[field] = n;
    }
    settings[key] = limit;
  }
  return settings;
}

/** `ip_allow` / `ip_deny`: addresses and CIDR blocks, IPv4 or IPv6 (checked with src/security/ip-rules.ts). */
export function addressRules(value: unknown, where: string): string[] {
  return stringList(value, where).map((text) => {
    try {
      parseAddressRule(text);
    } catch (error) {
      throw new ValidationError(where, (error as Error).message);
    }
    return text.trim();
  });
}

/** `mfa`: "optional", "required", or {"required_for_roles": [...]} (src/identity/mfa.ts). */
export function parseMfaPolicy(value: unknown, where: string): MfaPolicy {
  if (value === 'optional' || value === 'required') return value;
  if (isObject(value) && Object.keys(value).length === 1 && value.required_for_roles !== undefined) {
    return { required_for_roles: stringList(value.required_for_roles, `${where}.required_for_roles`) };
  }
  throw new ValidationError(where, 'must be "optional", "required" or {"required_for_roles": ["role", ...]}');
}

/** `smtp`: {"url": smtp:// or smtps:// without a password, "from": sender, "password": {"env": "VARIABLE"}}, or null. */
export function parseRealmSmtp(value: unknown, where: string): RealmSmtp | null {
  if (value === null) return null;
  if (!isObject(value)) throw new ValidationError(where, 'must be {"url", "from", "password": {"env": "VARIABLE"}} or null');
  for (const key of Object.keys(value)) if (!['url', 'from', 'password'].includes(key)) throw new ValidationError(`${where}.${key}`, 'is not an smtp field (known: url, from, password)');
  const url = optionalString(value.url, `${where}.url`);
  const problem = url === undefined ? 'is required' : smtpUrlProblem(url);
  if (problem) throw new ValidationError(`${where}.url`, problem);
  if (new URL(url!).password !== '') throw new ValidationError(`${where}.url`, 'must not hold a password (it would be stored and exported with the realm): use "password": {"env": "VARIABLE"}');
  const from = optionalString(value.from, `${where}.from`);
  if (from !== undefined && !/^[^\r\n]*@[^\r\n]+$/.test(from)) throw new ValidationError(`${where}.from`, 'must be an e-mail address, optionally with a name');
  const password = value.password;
  if (password !== undefined && !(isObject(password) && Object.keys(password).length === 1 && typeof password.env === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(password.env))) {
    throw new ValidationError(`${where}.password`, 'must be {"env": "VARIABLE"}: the name of an environment variable of the server holding it');
  }
  return { url: url!, ...(from ? { from } : {}), ...(password ? { password: { env: String((password as JsonObject).env) } } : {}) };
}

/** The sign-up form's extra fields: standard claims held as plain text. */
export const registrationFieldClaims = ['name', 'given_name', 'family_name', 'middle_name', 'nickname', 'preferred_username', 'website', 'zoneinfo', 'locale', 'phone_number', 'birthdate', 'gender'];

function registrationFields(value: unknown, where: string): string[] {
  const fields = stringList(value, where);
  const unknown = fields.find((f) => !registrationFieldClaims.includes(f));
  if (unknown !== undefined) throw new ValidationError(where, `"${unknown}" is not a field the sign-up form can ask for (known: ${registrationFieldClaims.join(', ')})`);
  return [...new Set(fields)];
}

function userEditableClaims(value: unknown, where: string): string[] {
  const claims = stringList(value, where);
  const unknown = claims.find((c) => !userEditableClaimNames.includes(c));
  if (unknown !== undefined) throw new ValidationError(where, `"${unknown}" is not a claim users can edit (known: ${userEditableClaimNames.join(', ')})`);
  return [...new Set(claims)];
}

/** Scopes granted without being asked for; never openid (what makes a request OpenID Connect) nor offline_access (a user's choice). */
function defaultScopes(value: unknown, where: string): string[] {
  const scopes = stringList(value, where);
  const wrong = scopes.find((scope) => !/^[\x21\x23-\x5B\x5D-\x7E]+$/.test(scope) || scope === 'openid' || scope === 'offline_access');
  if (wrong !== undefined) throw new ValidationError(where, `"${wrong}" cannot be a default scope (a scope token other than openid and offline_access)`);
  return [...new Set(scopes)];
}

export function parseRealmSettings(raw: JsonObject, where: string): RealmSettings {
  const settings: RealmSettings = { ...defaultRealmSettings, scopes: [] };
  for (const name of settingNames) {
    const value = raw[name];
    if (value === undefined) continue;
    if (name === 'scopes') {
      if (!Array.isArray(value) || !value.every((s) => isObject(s) && typeof s.name === 'string' && typeof s.description === 'string')) {
        throw new ValidationError(`${where}.scopes`, 'must be a list of {"name", "description"}');
      }
      settings.scopes = value.map((s) => ({ name: String((s as JsonObject).name), description: String((s as JsonObject).description) }));
    } else if (name === 'resources') {
      if (!Array.isArray(value) || !value.every((r) => isObject(r) && typeof r.uri === 'string' && Object.keys(r).length === 1)) {
        throw new ValidationError(`${where}.resources`, 'must be a list of {"uri"}');
      }
      settings.resources = value.map((r) => ({ uri: resourceUri(String((r as JsonObject).uri), `${where}.resources`) }));
    } else if (name === 'access_token_signing_alg' || name === 'id_token_signing_alg') {
      if (!signingAlgs.includes(value as never)) throw new ValidationError(`${where}.${name}`, `must be one of ${signingAlgs.join(', ')}`);
      settings[name] = value as RealmSettings[typeof name];
    } else if (name === 'pkce_plain_allowed' || name === 'dpop_required_for_public_clients' || name === 'dpop_nonce_required' || name === 'require_pushed_authorization_requests'
      || name === 'sign_in_requires_verified_email' || name === 'user_registration' || name === 'email_as_username') {
      if (typeof value !== 'boolean') throw new ValidationError(`${where}.${name}`, 'must be true or false');
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
      settings.claim_mappers = parseClaimMappers(value, `${where}.claim_mappers`);
    } else if (name === 'token_hook') {
      continue;   // parsed into RealmInput.tokenHook: its secret is sealed on import
    } else if (name === 'events') {
      settings.events = parseEventSettings(value, `${where}.events`);
    } else if (name === 'mfa') {
      settings.mfa = parseMfaPolicy(value, `${where}.mfa`);
    } else if (name === 'registration_fields') {
      settings.registration_fields = registrationFields(value, `${where}.registration_fields`);
    } else if (name === 'user_editable_claims') {
      settings.user_editable_claims = userEditableClaims(value, `${where}.user_editable_claims`);
    } else if (name === 'smtp') {
      settings.smtp = parseRealmSmtp(value, `${where}.smtp`);
    } else if (name === 'terms_url') {
      settings.terms_url = termsUrl(value, `${where}.terms_url`);
    } else if (name === 'identity_providers') {
      settings.identity_providers = parseIdentityProviders(value, `${where}.identity_providers`);
    } else if (name === 'email_sign_in') {
      if (!emailSignInModes.includes(value as never)) throw new ValidationError(`${where}.${name}`, `must be one of ${emailSignInModes.join(', ')}`);
      settings.email_sign_in = value as EmailSignIn;
    } else if (name === 'default_scopes') {
      settings.default_scopes = defaultScopes(value, `${where}.default_scopes`);
    } else if (name === 'branding') {
      settings.branding = parseBranding(value, `${where}.branding`);
    } else if (name === 'token_claims') {
      if (!tokenClaimsShapes.includes(value as never)) throw new ValidationError(`${where}.token_claims`, `must be one of ${tokenClaimsShapes.map((v) => `"${v}"`).join(', ')}`);
      settings.token_claims = value as RealmSettings['token_claims'];
    } else {
      settings[name] = optionalPositiveInt(value, `${where}.${name}`)!;
    }
  }
  return settings;
}

export function parseRegistrationPolicy(value: unknown, where: string): RegistrationPolicy {
  if (value === undefined) return 'protected';
  if (!registrationPolicies.includes(value as RegistrationPolicy)) throw new ValidationError(where, `must be one of ${registrationPolicies.join(', ')}`);
  return value as RegistrationPolicy;
}

/** Bearer tokens for the registration endpoint: long enough not to be guessed, and b64token characters (RFC 6750 §2.1). */
export function parseInitialAccessTokens(value: unknown, where: string): string[] {
  const tokens = stringList(value, where);
  for (const token of tokens) {
    if (token.length < 16) throw new ValidationError(where, 'each token must be at least 16 characters long');
    if (!/^[A-Za-z0-9\-._~+/]+=*$/.test(token)) throw new ValidationError(where, 'tokens may only use letters, digits and -._~+/ (RFC 6750 b64token)');
  }
  return [...new Set(tokens)];
}

/** The terms a new account accepts: an https page (a loopback http one for development), or null. */
function termsUrl(value: unknown, where: string): string | null {
  if (value === null) return null;
  let url: URL;
  try {
    url = new URL(String(value));
  } catch {
    throw new ValidationError(where, 'must be an https URL or null');
  }
  if (typeof value !== 'string' || !httpsOrLoopback(url) || url.username !== '' || url.password !== '') throw new ValidationError(where, 'must be an https URL or null');
  return url.href;
}
