// Claim mappers (docs/security.md "Custom rules"): data, not code, that adds claims to ID tokens,
// access tokens and userinfo — a user attribute, a fixed value, the user's roles or groups — or an
// audience to access tokens. Configured per realm (`claim_mappers`) and per client (same field in
// its metadata). No mapper may write a claim the protocol depends on (protectedClaims).
import type { Client } from '../store/clients.js';
import { mapperTargets, type ClaimMapper, type MapperTarget } from '../store/custom-rules.js';
import type { Realm } from '../store/realms.js';
import type { User } from '../store/users.js';
import { isObject } from '../json.js';
import { ValidationError } from '../validation.js';


export const mapperTypes = ['user_attribute', 'fixed', 'roles', 'groups', 'audience'] as const;

/**
 * Claims that carry the protocol's guarantees (who issued the token, to whom, for whom, until when,
 * bound to what). `gid` is Strix's own: the grant an access token belongs to, which revocation checks.
 */
export const protectedClaims = new Set([
  'iss', 'sub', 'aud', 'exp', 'iat', 'nbf', 'jti', 'auth_time', 'nonce', 'acr', 'amr', 'azp', 'sid', 'cnf',
  'client_id', 'scope', 'at_hash', 'c_hash', 'gid',
]);

/**
 * A claim name is a path of dot-separated members (`realm_access.roles` nests), unless it is a URI
 * (`https://example.com/claims/dept`), which is one member: namespaced claim names contain dots.
 */
export function claimPath(claim: string): string[] {
  return /^(https?:\/\/|urn:)/.test(claim) ? [claim] : claim.split('.');
}

function claimName(value: unknown, where: string): string {
  if (typeof value !== 'string' || value === '' || value.length > 200) throw new ValidationError(where, 'must be a claim name');
  const path = claimPath(value);
  if (path.some((member) => !/^[\x21-\x7E]+$/.test(member))) throw new ValidationError(where, `"${value}" is not a valid claim name (dots separate nested members)`);
  if (protectedClaims.has(path[0]!)) throw new ValidationError(where, `"${path[0]}" is a protected claim that mappers may not set`);
  if (path.some((member) => member === '__proto__' || member === 'constructor' || member === 'prototype')) throw new ValidationError(where, `"${value}" is not allowed`);
  return value;
}

const allowedFields: Record<ClaimMapper['type'], string[]> = {
  user_attribute: ['type', 'attribute', 'claim', 'tokens', 'scope'],
  fixed: ['type', 'claim', 'value', 'tokens', 'scope'],
  roles: ['type', 'claim', 'tokens', 'scope'],
  groups: ['type', 'claim', 'tokens', 'scope', 'full_path'],
  audience: ['type', 'audience', 'scope'],
};

function parseMapper(raw: unknown, where: string): ClaimMapper {
  if (!isObject(raw)) throw new ValidationError(where, 'must be an object');
  const type = raw.type as ClaimMapper['type'];
  if (!mapperTypes.includes(type)) throw new ValidationError(`${where}.type`, `must be one of ${mapperTypes.join(', ')}`);
  for (const field of Object.keys(raw)) {
    if (!allowedFields[type].includes(field)) throw new ValidationError(`${where}.${field}`, `is not a field of a ${type} mapper (known: ${allowedFields[type].join(', ')})`);
  }
  let scope: string | undefined;
  if (raw.scope !== undefined) {
    if (typeof raw.scope !== 'string' || !/^[\x21\x23-\x5B\x5D-\x7E]+$/.test(raw.scope)) throw new ValidationError(`${where}.scope`, 'must be one scope value');
    scope = raw.scope;
  }
  if (type === 'audience') {
    const audience = raw.audience;
    if (typeof audience !== 'string' || audience === '' || audience.length > 500) throw new ValidationError(`${where}.audience`, 'must be a non-empty string (the resource server\'s identifier)');
    return { type, audience, ...(scope ? { scope } : {}) };
  }
  let tokens: MapperTarget[] | undefined;
  if (raw.tokens !== undefined) {
    if (!Array.isArray(raw.tokens) || raw.tokens.length === 0 || raw.tokens.some((t) => !mapperTargets.includes(t as MapperTarget))) {
      throw new ValidationError(`${where}.tokens`, `must be a non-empty list of ${mapperTargets.join(', ')}`);
    }
    tokens = [...new Set(raw.tokens as MapperTarget[])];
  }
  const claim = claimName(raw.claim, `${where}.claim`);
  const common = { claim, ...(tokens ? { tokens } : {}), ...(scope ? { scope } : {}) };
  switch (type) {
    case 'user_attribute': {
      if (typeof raw.attribute !== 'string' || !/^[A-Za-z0-9_\-:.]{1,100}$/.test(raw.attribute)) throw new ValidationError(`${where}.attribute`, 'must be an attribute name');
      return { type, attribute: raw.attribute, ...common };
    }
    case 'fixed':
      if (raw.value === undefined || raw.value === null) throw new ValidationError(`${where}.value`, 'is required (any JSON value but null)');
      return { type, value: raw.value, ...common };
    case 'groups':
      if (raw.full_path !== undefined && typeof raw.full_path !== 'boolean') throw new ValidationError(`${where}.full_path`, 'must be true or false');
      return { type, ...common, ...(raw.full_path === false ? { full_path: false } : {}) };
    default:
      return { type, ...common };
  }
}

/** Validates a `claim_mappers` list strictly: an unknown field or a protected claim stops the import. */
export function parseClaimMappers(value: unknown, where: string): ClaimMapper[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new ValidationError(where, 'must be a list of mappers');
  return value.map((raw, i) => parseMapper(raw, `${where}[${i}]`));
}

/**
 * The mappers in force for a client: the realm's, then the client's. A client mapper replaces every
 * realm mapper that writes the same claim; audience mappers always add up.
 */
export function effectiveMappers(realm: Realm, client: Client): ClaimMapper[] {
  const own = client.metadata.claim_mappers ?? [];
  const claimed = new Set(own.flatMap((m) => (m.type === 'audience' ? [] : [m.claim])));
  const inherited = (realm.settings.claim_mappers ?? []).filter((m) => m.type === 'audience' || !claimed.has(m.claim));
  return [...inherited, ...own];
}

/** The groups the user is a direct member of: their paths, or (fullPath false) their names — Keycloak's group membership mapper. */
export function groupsOf(user: User, fullPath = true): string[] {
  return fullPath ? user.groups : user.groups.map((path) => path.slice(path.lastIndexOf('/') + 1));
}

/**
 * A user attribute by name: username and email, a standard claim kept on the user, or a custom
 * attribute from the user's `attributes` object.
 */
function attributeOf(user: User, name: string): unknown {
  if (name === 'username' || name === 'preferred_username') return user.username;
  if (name === 'email') return user.email ?? undefined;
  const custom = user.claims.attributes;
  if (isObject(custom) && Object.hasOwn(custom, name)) return custom[name];
  if (name === 'attributes') return undefined;
  return Object.hasOwn(user.claims, name) ? user.claims[name] : undefined;
}

function setClaim(out: Record<string, unknown>, claim: string, value: unknown): void {
  const path = claimPath(claim);
  let node = out;
  for (const member of path.slice(0, -1)) {
    const next = node[member];
    if (!isObject(next)) node[member] = {};
    node = node[member] as Record<string, unknown>;
  }
  node[path.at(-1)!] = value;
}

export interface MappedClaims {
  claims: Record<string, unknown>;
  /** Extra access token audiences (audience mappers), in order, without duplicates. */
  audiences: string[];
}

/**
 * What the mappers add to one token. Without a user (client_credentials) only fixed and audience
 * mappers apply.
 */
export function mappedClaims(mappers: ClaimMapper[], target: MapperTarget, p: { user?: User; scope: Iterable<string> }): MappedClaims {
  const granted = new Set(p.scope);
  const out: MappedClaims = { claims: {}, audiences: [] };
  for (const mapper of mappers) {
    if (mapper.scope !== undefined && !granted.has(mapper.scope)) continue;
    if (mapper.type === 'audience') {
      if (target === 'access_token' && !out.audiences.includes(mapper.audience)) out.audiences.push(mapper.audience);
      continue;
    }
    if (!(mapper.tokens ?? mapperTargets).includes(target)) continue;
    let value: unknown;
    if (mapper.type === 'fixed') value = mapper.value;
    else if (!p.user) continue;
    else if (mapper.type === 'roles') value = p.user.roles;
    else if (mapper.type === 'groups') value = groupsOf(p.user, mapper.full_path !== false);
    else value = attributeOf(p.user, mapper.attribute);
    if (value !== undefined && value !== null) setClaim(out.claims, mapper.claim, value);
  }
  return out;
}

/** Merges added claims over `base`, nested objects member by member; protected claims are never touched. */
export function mergeClaims(base: Record<string, unknown>, added: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [name, value] of Object.entries(added)) if (!protectedClaims.has(name)) out[name] = merged(out[name], value);
  return out;
}

function merged(existing: unknown, value: unknown): unknown {
  if (!isObject(existing) || !isObject(value)) return value;
  const out: Record<string, unknown> = { ...existing };
  for (const [name, member] of Object.entries(value)) out[name] = merged(out[name], member);
  return out;
}

export { mapperTargets, type ClaimMapper, type MapperTarget };
