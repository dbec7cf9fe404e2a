// "What is this token?": recognises the tokens Strix issues — RFC 9068 access tokens (verified
// against the realm's keys) and refresh tokens (looked up by the hash of their whole text) — and says whether each
// may still be honoured. UserInfo, introspection (RFC 7662) and revocation (RFC 7009) all ask here.
import { jwtVerify, type JWTPayload } from 'jose';
import { issuerOf, type Needs } from '../services.js';
import type { Grant } from '../store/grants.js';
import { signingAlgs, type Realm } from '../store/realms.js';
import type { User } from '../store/users.js';
import { keysCacheTtlMs } from './keystore.js';

/** What this module uses (services.ts `Needs`). */
export type InspectDeps = Needs<'clock' | 'config' | 'keystore', 'changes' | 'clients' | 'grants' | 'refreshTokens' | 'revokedAccessTokens' | 'users'>;

/** The claims signAccessToken writes; `gid` is absent on client_credentials tokens. */
export interface AccessTokenClaims extends JWTPayload {
  /** Every access token has one: a token without a grant is revoked by it (src/store/revoked-access-tokens.ts). */
  jti: string;
  exp: number;
  client_id: string;
  scope: string;
  gid?: string;
  sid?: string;
  auth_time?: number;
  /** RFC 9449 §6.1: the thumbprint of the DPoP key the token is bound to. */
  cnf?: { jkt?: string };
}

interface Inspected {
  /** The client the token was issued to. */
  clientId: string;
  scope: string[];
  /** The user the token acts for, if any; possibly disabled since. */
  user: User | undefined;
  /** Unexpired, unused, not revoked (nor its grant), its user and its client enabled: the token may be honoured now. */
  active: boolean;
}

export interface InspectedAccessToken extends Inspected {
  type: 'access_token';
  claims: AccessTokenClaims;
  /** Undefined for client_credentials tokens, which stem from no grant. */
  grant: Grant | undefined;
}

export interface InspectedRefreshToken extends Inspected {
  type: 'refresh_token';
  grant: Grant;
  issuedAt: number;    // ms
  expiresAt: number;   // ms
}

export type InspectedToken = InspectedAccessToken | InspectedRefreshToken;

/**
 * Either kind of token. The hint (RFC 7009 §2.1, RFC 7662 §2.1) only decides which kind is tried
 * first: a wrong or unknown hint must not change the answer, so the other kind is always tried too.
 */
export async function inspectToken(s: InspectDeps, realm: Realm, token: string, hint?: string): Promise<InspectedToken | undefined> {
  const order = hint === 'refresh_token' ? [inspectRefreshToken, inspectAccessToken] : [inspectAccessToken, inspectRefreshToken];
  for (const inspect of order) {
    const found = await inspect(s, realm, token);
    if (found) return found;
  }
  return undefined;
}

/** Undefined unless the token is an access token this realm signed that has not expired. */
export async function inspectAccessToken(s: InspectDeps, realm: Realm, token: string): Promise<InspectedAccessToken | undefined> {
  const claims = await verifiedClaims(s, realm, token);
  if (!claims) return undefined;
  const grant = claims.gid === undefined ? undefined : await s.store.grants.get(claims.gid);
  if (claims.gid !== undefined && (!grant || grant.realm !== realm.name)) return undefined;
  const user = await userOf(s, grant);
  const now = s.clock.now();
  // A token with a grant is revoked with its grant; only one without is looked up on its own.
  const revoked = grant === undefined && await s.store.revokedAccessTokens.isRevoked(claims.jti);
  return {
    type: 'access_token', claims, clientId: claims.client_id, scope: scopeList(claims.scope), grant, user,
    active: !revoked && stands(realm, grant, user, now) && await parentsStand(s, grant, now) && await clientEnabled(s, realm, claims.client_id),
  };
}

/** Undefined unless the token is a refresh token of this realm (used or expired ones included). */
export async function inspectRefreshToken(s: InspectDeps, realm: Realm, token: string): Promise<InspectedRefreshToken | undefined> {
  const found = await s.store.refreshTokens.find(token);
  const grant = found && await s.store.grants.get(found.grantId);
  if (!found || !grant || grant.realm !== realm.name) return undefined;
  const user = await userOf(s, grant);
  const now = s.clock.now();
  return {
    type: 'refresh_token', clientId: grant.clientId, scope: scopeList(grant.scope), grant, user, issuedAt: found.issuedAt, expiresAt: found.expiresAt,
    active: !found.used && found.expiresAt > now && stands(realm, grant, user, now) && await parentsStand(s, grant, now) && await clientEnabled(s, realm, grant.clientId),
  };
}

/** A disabled client's tokens are honoured nowhere, as its authentication is refused (read from the client cache). */
async function clientEnabled(s: InspectDeps, realm: Realm, clientId: string): Promise<boolean> {
  return (await s.store.clients.get(realm.name, clientId))?.enabled === true;
}

/**
 * A grant from a token exchange (RFC 8693) ends with the grant it was exchanged from: only those
 * grants pay for the walk up the chain; every other grant's own row has already said enough.
 */
async function parentsStand(s: InspectDeps, grant: Grant | undefined, now: number): Promise<boolean> {
  return grant?.parentId == null || s.store.grants.isActive(grant.parentId, now);
}

/**
 * Access tokens this process has verified, by their exact text, until they expire. A resource
 * server presents the same token again and again (introspection, userinfo), and checking an ES256
 * signature is the largest cost of those requests. Only the signature check is saved: the grant,
 * the user and the revocation list are still read on every request. A verification is trusted no
 * longer than the keys themselves are cached, bounded in number (oldest out first), and forgotten
 * when any realm's signing keys change on any node (src/store/changes.ts).
 */
const maxVerified = 4096;
interface Verified { claims: AccessTokenClaims; until: number }
const verifiedTokens = new WeakMap<object, Map<string, Verified>>();

function verifiedCache(s: InspectDeps): Map<string, Verified> {
  let cache = verifiedTokens.get(s.store);
  if (!cache) {
    const created = new Map<string, Verified>();
    s.store.changes.on('keys', () => created.clear());
    verifiedTokens.set(s.store, cache = created);
  }
  return cache;
}

async function verifiedClaims(s: InspectDeps, realm: Realm, token: string): Promise<AccessTokenClaims | undefined> {
  const cache = verifiedCache(s);
  const key = `${realm.name} ${token}`;
  const now = s.clock.now();
  const known = cache.get(key);
  if (known && now < known.until) return known.claims;
  if (known) cache.delete(key);
  const claims = await verifySignedClaims(s, realm, token);
  if (claims) {
    if (cache.size >= maxVerified) cache.delete(cache.keys().next().value!);
    // Shared by every later request with the same token: nobody may change it.
    cache.set(key, { claims: Object.freeze(claims), until: Math.min(claims.exp! * 1000, now + keysCacheTtlMs) });
  }
  return claims;
}

async function verifySignedClaims(s: InspectDeps, realm: Realm, token: string): Promise<AccessTokenClaims | undefined> {
  try {
    const { payload } = await jwtVerify(token, await s.keystore.verifier(realm.name), {
      issuer: issuerOf(s.config, realm), typ: 'at+jwt', algorithms: signingAlgs, currentDate: new Date(s.clock.now()),
    });
    if (typeof payload.client_id !== 'string' || typeof payload.scope !== 'string') return undefined;
    if (typeof payload.jti !== 'string' || typeof payload.exp !== 'number') return undefined;
    if (payload.gid !== undefined && typeof payload.gid !== 'string') return undefined;
    if (payload.cnf !== undefined && (typeof payload.cnf !== 'object' || payload.cnf === null || typeof (payload.cnf as { jkt?: unknown }).jkt !== 'string')) return undefined;
    return payload as AccessTokenClaims;
  } catch {
    return undefined;
  }
}

async function userOf(s: InspectDeps, grant: Grant | undefined): Promise<User | undefined> {
  return grant?.userId ? s.store.users.findById(grant.userId) : undefined;
}

/** The grant is neither revoked nor past its absolute expiry, and the user it was made for can still sign in. */
function stands(realm: Realm, grant: Grant | undefined, user: User | undefined, now: number): boolean {
  if (!grant) return true;
  // The grant row was read by this very request: revocation is honoured as of now, without a second query.
  if (grant.revoked || grant.expiresAt <= now) return false;
  return grant.userId === null || (user !== undefined && user.enabled && user.realm === realm.name);
}

const scopeList = (scope: string): string[] => scope.split(' ').filter(Boolean);
