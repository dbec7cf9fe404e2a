// The `identity_providers` realm setting (docs/identity-providers.md): each upstream provider,
// validated whole, so a realm file and the admin API refuse the same mistakes.
import { isObject, type JsonObject } from '../json.js';
import { httpsOrLoopback } from '../http/outbound.js';
import {
  identityProviderLinkModes, identityProviderPresets, identityProviderSyncModes, signingAlgs, type IdentityProvider, type ProviderClaimMapper,
} from '../store/realms.js';
import { ValidationError } from '../validation.js';

const fields = ['alias', 'display_name', 'type', 'preset', 'issuer', 'tenant', 'allowed_tenants', 'team_id', 'key_id', 'private_key', 'authorization_endpoint', 'token_endpoint', 'user_endpoint', 'emails_endpoint', 'client_id', 'client_secret', 'token_endpoint_auth_method', 'token_endpoint_auth_signing_alg', 'scopes', 'link', 'sync', 'trust_email', 'hide_on_login_page', 'accept_mfa', 'claim_mappers', 'upstream_logout', 'store_tokens', 'review_profile'];
/** Attributes a mapper may not write: the ones Strix sets itself. */
const protectedAttributes = ['sub', 'email', 'email_verified', 'iss', 'aud', 'exp', 'iat', 'nbf', 'jti', 'auth_time', 'nonce', 'acr', 'amr', 'azp', 'sid', 'roles', 'scope', 'cnf', 'act'];
const claimName = /^[A-Za-z_][A-Za-z0-9_.:-]{0,127}$/;
const attributeName = /^[a-z][a-z0-9_]{0,63}$/;
const roleName = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;
const aliasPattern = /^[a-z0-9][a-z0-9_-]{0,31}$/;
const envName = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function parseIdentityProviders(value: unknown, where: string): IdentityProvider[] {
  if (!Array.isArray(value)) throw new ValidationError(where, 'must be a list of providers');
  const providers = value.map((entry, index) => parseProvider(entry, `${where}[${index}]`));
  const aliases = new Set<string>();
  for (const [index, provider] of providers.entries()) {
    if (aliases.has(provider.alias)) throw new ValidationError(`${where}[${index}].alias`, `"${provider.alias}" is used twice`);
    aliases.add(provider.alias);
  }
  return providers;
}

/** What a preset fills in; the provider's own fields win (tests point a preset at a local server). */
const presets: Record<string, { type: 'oidc' | 'oauth2'; display_name: string; scopes: string; issuer?: string; authorization_endpoint?: string; token_endpoint?: string; user_endpoint?: string; emails_endpoint?: string }> = {
  github: {
    type: 'oauth2', display_name: 'GitHub', scopes: 'read:user user:email',
    authorization_endpoint: 'https://github.com/login/oauth/authorize', token_endpoint: 'https://github.com/login/oauth/access_token',
    user_endpoint: 'https://api.github.com/user', emails_endpoint: 'https://api.github.com/user/emails',
  },
  google: { type: 'oidc', display_name: 'Google', scopes: 'openid profile email', issuer: 'https://accounts.google.com' },
  gitlab: { type: 'oidc', display_name: 'GitLab', scopes: 'openid profile email', issuer: 'https://gitlab.com' },
  // Microsoft Entra ID (v2.0 endpoints); its issuer is made from the tenant (entraIssuer).
  entra: { type: 'oidc', display_name: 'Microsoft', scopes: 'openid profile email' },
  // Sign in with Apple: its answer is a form_post, and its client secret a JWT (appleClientSecret in identity/brokering.ts).
  apple: { type: 'oidc', display_name: 'Apple', scopes: 'openid name email', issuer: 'https://appleid.apple.com' },
};

/** The apple preset's signing key: team, key ID and the environment variable holding the key's PEM (the .p8 Apple gives). */
function appleKey(value: JsonObject, where: string): NonNullable<IdentityProvider['apple']> {
  const id = (name: 'team_id' | 'key_id') => {
    const v = value[name];
    if (typeof v !== 'string' || !/^[A-Z0-9]{10}$/.test(v)) throw new ValidationError(`${where}.${name}`, 'is required with the apple preset: the 10-character ID from Apple\'s developer account');
    return v;
  };
  const key = value.private_key;
  if (!(isObject(key) && Object.keys(key).length === 1 && typeof key.env === 'string' && envName.test(key.env))) {
    throw new ValidationError(`${where}.private_key`, 'is required with the apple preset: {"env": "VARIABLE"}, the environment variable holding the key\'s PEM');
  }
  if (value.client_secret !== undefined) throw new ValidationError(`${where}.client_secret`, 'is not used with the apple preset: Strix makes the client secret from private_key');
  if (value.token_endpoint_auth_method !== undefined && value.token_endpoint_auth_method !== 'client_secret_post') {
    throw new ValidationError(`${where}.token_endpoint_auth_method`, 'is client_secret_post with the apple preset');
  }
  return { team_id: id('team_id'), key_id: id('key_id'), private_key: { env: key.env } };
}

const tenantId = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** The tenant values of a multi-tenant Entra app: its users' ID tokens carry their own tenant's issuer. */
export const entraMultiTenant = ['common', 'organizations', 'consumers'];

/** The Entra preset's tenant and, for a multi-tenant app, the tenants allowed; the issuer they make. */
function entraTenant(value: JsonObject, where: string): { tenant: string; allowed_tenants?: string[]; issuer: string } {
  const tenant = value.tenant;
  if (typeof tenant !== 'string' || !(tenantId.test(tenant) || entraMultiTenant.includes(tenant))) {
    throw new ValidationError(`${where}.tenant`, `is required with the entra preset: the tenant ID (a GUID such as 72f988bf-86f1-41af-91ab-2d7cd011db47) or ${entraMultiTenant.join(', ')}`);
  }
  const allowed = value.allowed_tenants;
  if (allowed !== undefined) {
    if (!entraMultiTenant.includes(tenant)) throw new ValidationError(`${where}.allowed_tenants`, 'is for a multi-tenant app (tenant common, organizations or consumers)');
    if (!Array.isArray(allowed) || allowed.length > 100 || !allowed.every((t) => typeof t === 'string' && tenantId.test(t))) {
      throw new ValidationError(`${where}.allowed_tenants`, 'must be a list of tenant IDs (GUIDs)');
    }
  }
  return { tenant, ...(allowed ? { allowed_tenants: allowed as string[] } : {}), issuer: `https://login.microsoftonline.com/${tenant}/v2.0` };
}

function parseProvider(value: unknown, where: string): IdentityProvider {
  if (!isObject(value)) throw new ValidationError(where, 'must be an object');
  for (const key of Object.keys(value)) if (!fields.includes(key)) throw new ValidationError(`${where}.${key}`, `is not a provider field (known: ${fields.join(', ')})`);
  const text = (name: string, fallback?: string): string => {
    const v = value[name] ?? fallback;
    if (typeof v !== 'string' || v.trim() === '' || v.length > 2048) throw new ValidationError(`${where}.${name}`, 'is required: a non-empty string');
    return v;
  };
  const alias = text('alias');
  if (!aliasPattern.test(alias)) throw new ValidationError(`${where}.alias`, 'must be 1 to 32 lower-case letters, digits, - or _, starting with a letter or digit');
  if (value.preset !== undefined && !identityProviderPresets.includes(value.preset as never)) {
    throw new ValidationError(`${where}.preset`, `must be one of ${identityProviderPresets.join(', ')}`);
  }
  const preset = value.preset === undefined ? undefined : presets[value.preset as IdentityProvider['preset'] & string];
  const type = value.type ?? preset?.type ?? 'oidc';
  if (type !== 'oidc' && type !== 'oauth2') throw new ValidationError(`${where}.type`, 'must be "oidc" or "oauth2"');
  if (preset && preset.type !== type) throw new ValidationError(`${where}.type`, `the ${String(value.preset)} preset is of type ${preset.type}`);
  const url = (name: string, fallback?: string): string => {
    const v = text(name, fallback);
    let parsed: URL;
    try {
      parsed = new URL(v);
    } catch {
      throw new ValidationError(`${where}.${name}`, 'must be a URL');
    }
    if (!httpsOrLoopback(parsed) || parsed.hash !== '' || parsed.username !== '' || parsed.password !== '' || (name === 'issuer' && parsed.search !== '')) {
      throw new ValidationError(`${where}.${name}`, 'must be an https URL (http only for a loopback host) without fragment or credentials');
    }
    return v;
  };
  if (type === 'oidc') {
    for (const name of ['authorization_endpoint', 'token_endpoint', 'user_endpoint', 'emails_endpoint']) {
      if (value[name] !== undefined) throw new ValidationError(`${where}.${name}`, 'is for oauth2 providers: an oidc provider\'s endpoints come from its discovery document');
    }
  } else if (value.issuer !== undefined) {
    throw new ValidationError(`${where}.issuer`, 'is for oidc providers: an oauth2 provider names its endpoints');
  }
  if (value.preset !== 'entra') {
    for (const name of ['tenant', 'allowed_tenants']) if (value[name] !== undefined) throw new ValidationError(`${where}.${name}`, 'is for the entra preset');
  }
  if (value.preset !== 'apple') {
    for (const name of ['team_id', 'key_id', 'private_key']) if (value[name] !== undefined) throw new ValidationError(`${where}.${name}`, 'is for the apple preset');
  }
  const apple = value.preset === 'apple' ? appleKey(value, where) : undefined;
  const entra = value.preset === 'entra' ? entraTenant(value, where) : undefined;
  const issuer = type === 'oidc' ? url('issuer', entra?.issuer ?? preset?.issuer) : '';
  const endpoints = type === 'oauth2' ? {
    authorization_endpoint: url('authorization_endpoint', preset?.authorization_endpoint), token_endpoint: url('token_endpoint', preset?.token_endpoint),
    user_endpoint: url('user_endpoint', preset?.user_endpoint),
    ...(value.emails_endpoint ?? preset?.emails_endpoint ? { emails_endpoint: url('emails_endpoint', preset?.emails_endpoint) } : {}),
  } : {};
  const secret = value.client_secret;
  if (secret !== undefined && !(isObject(secret) && Object.keys(secret).length === 1 && typeof secret.env === 'string' && envName.test(secret.env))) {
    throw new ValidationError(`${where}.client_secret`, 'must be {"env": "VARIABLE"}: the name of an environment variable of the server holding it');
  }
  const oneOf = <T extends string>(name: string, allowed: readonly T[], fallback: T): T => {
    const v = value[name] ?? fallback;
    if (!allowed.includes(v as T)) throw new ValidationError(`${where}.${name}`, `must be one of ${allowed.join(', ')}`);
    return v as T;
  };
  const flag = (name: string): boolean => {
    const v = value[name] ?? false;
    if (typeof v !== 'boolean') throw new ValidationError(`${where}.${name}`, 'must be true or false');
    return v;
  };
  /** private_key_jwt signs with the realm's own key, so it needs no secret; the secret methods do not sign. */
  const clientAuthentication = (): Pick<IdentityProvider, 'token_endpoint_auth_method' | 'token_endpoint_auth_signing_alg'> => {
    const method = oneOf('token_endpoint_auth_method', ['client_secret_basic', 'client_secret_post', 'private_key_jwt'] as const, apple ? 'client_secret_post' : 'client_secret_basic');
    if (method !== 'private_key_jwt') {
      if (value.token_endpoint_auth_signing_alg !== undefined) throw new ValidationError(`${where}.token_endpoint_auth_signing_alg`, 'is for private_key_jwt only');
      return { token_endpoint_auth_method: method };
    }
    if (secret !== undefined) throw new ValidationError(`${where}.client_secret`, 'is not used with private_key_jwt: Strix signs with the realm\'s key');
    return { token_endpoint_auth_method: method, token_endpoint_auth_signing_alg: oneOf('token_endpoint_auth_signing_alg', signingAlgs, 'RS256') };
  };
  const upstreamLogout = (): boolean => {
    const on = flag('upstream_logout');
    if (on && type !== 'oidc') throw new ValidationError(`${where}.upstream_logout`, 'is for oidc providers: an oauth2 provider has no end_session_endpoint');
    return on;
  };
  const scopes = text('scopes', preset?.scopes ?? (type === 'oidc' ? 'openid profile email' : undefined));
  if (type === 'oidc' && !scopes.split(' ').includes('openid')) throw new ValidationError(`${where}.scopes`, 'must include openid');
  return {
    alias, display_name: text('display_name', preset?.display_name ?? alias), type, ...(value.preset ? { preset: value.preset as IdentityProvider['preset'] } : {}),
    issuer: issuer.replace(/\/$/, ''), ...(entra ? { tenant: entra.tenant, ...(entra.allowed_tenants ? { allowed_tenants: entra.allowed_tenants } : {}) } : {}),
    ...(apple ? { apple } : {}), ...endpoints, client_id: text('client_id'),
    ...(secret ? { client_secret: { env: String((secret as JsonObject).env) } } : {}),
    ...clientAuthentication(),
    scopes, link: oneOf('link', identityProviderLinkModes, 'verified_email'), sync: oneOf('sync', identityProviderSyncModes, 'on_first_login'),
    trust_email: flag('trust_email'), hide_on_login_page: flag('hide_on_login_page'), accept_mfa: flag('accept_mfa'),
    claim_mappers: parseMappers(value.claim_mappers, `${where}.claim_mappers`), upstream_logout: upstreamLogout(), store_tokens: flag('store_tokens'),
    review_profile: oneOf('review_profile', ['missing', 'always', 'off'] as const, 'missing'),
  };
}

function parseMappers(value: unknown, where: string): ProviderClaimMapper[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new ValidationError(where, 'must be a list of mappers');
  return value.map((m, index): ProviderClaimMapper => {
    const at = `${where}[${index}]`;
    if (!isObject(m)) throw new ValidationError(at, 'must be an object');
    const field = (name: string, pattern: RegExp, what: string): string => {
      const v = m[name];
      if (typeof v !== 'string' || !pattern.test(v)) throw new ValidationError(`${at}.${name}`, `must be ${what}`);
      return v;
    };
    const only = (names: string[]) => {
      for (const key of Object.keys(m)) if (!names.includes(key)) throw new ValidationError(`${at}.${key}`, `is not a field of a ${String(m.type)} mapper (known: ${names.join(', ')})`);
    };
    switch (m.type) {
      case 'claim_to_attribute': {
        only(['type', 'claim', 'attribute']);
        const attribute = field('attribute', attributeName, 'a lower-case attribute name');
        if (protectedAttributes.includes(attribute)) throw new ValidationError(`${at}.attribute`, `"${attribute}" is set by Strix itself`);
        return { type: 'claim_to_attribute', claim: field('claim', claimName, 'a claim name'), attribute };
      }
      case 'claim_to_role':
        only(['type', 'claim', 'value', 'role']);
        if (typeof m.value !== 'string' || m.value === '' || m.value.length > 256) throw new ValidationError(`${at}.value`, 'must be the value (or list member) that grants the role');
        return { type: 'claim_to_role', claim: field('claim', claimName, 'a claim name'), value: m.value, role: field('role', roleName, 'a role name') };
      case 'claim_to_group': {
        only(['type', 'claim', 'value', 'group']);
        if (typeof m.value !== 'string' || m.value === '' || m.value.length > 256) throw new ValidationError(`${at}.value`, 'must be the value (or list member) that makes the user a member');
        const group = field('group', /^(\/[^/]{1,255})+$/, 'a group path such as /engineering/backend');
        return { type: 'claim_to_group', claim: field('claim', claimName, 'a claim name'), value: m.value, group };
      }
      case 'fixed_role':
        only(['type', 'role']);
        return { type: 'fixed_role', role: field('role', roleName, 'a role name') };
      default:
        throw new ValidationError(`${at}.type`, 'must be one of claim_to_attribute, claim_to_role, claim_to_group, fixed_role');
    }
  });
}
