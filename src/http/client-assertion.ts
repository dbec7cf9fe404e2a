// Client authentication with a signed JWT (RFC 7523 §2.2 and §3, OIDC Core §9): client_secret_jwt
// (an HMAC keyed with the client secret) and private_key_jwt (signed with a key from the client's
// `jwks` or `jwks_uri`). client-auth.ts decides when an assertion is the method in use.
import { createLocalJWKSet, createRemoteJWKSet, customFetch, decodeJwt, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey, type JWTVerifyOptions } from 'jose';
import type { Changes } from '../store/changes.js';
import type { ClientAssertionsRepository } from '../store/client-assertions.js';
import { clientAssertionAlgs, clientCacheKey, type Client } from '../store/clients.js';
import { keySetFetch, type Outbound } from './outbound.js';
import type { Sealer } from '../tokens/master-key.js';
import { wellFormedText } from './well-formed-input.js';

export const jwtBearerAssertionType = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** Tolerated difference between the client's clock and ours. */
const clockSkewSeconds = 30;
/**
 * Longest lifetime left in an accepted assertion (exp − now). RFC 7523 sets no limit, but a short
 * one bounds how long a leaked assertion stays usable and how long its jti must be remembered;
 * client libraries mint assertions that live about a minute.
 */
const maxLifetimeSeconds = 10 * 60;

/** Why an assertion was refused: for the debug log only; the client gets one generic error. */
export class AssertionRejected extends Error {}

export interface AssertionCheck {
  client: Client;
  /** Accepted `aud` values: the issuer, the token endpoint, and the endpoint being called. */
  audiences: string[];
  now: number;
  sealer: Pick<Sealer, 'open'>;
  outbound: Outbound;
  jtis: ClientAssertionsRepository;
  /** Announces client changes, which drop the client's fetched key set. */
  changes: Changes;
}

/** The client an assertion says it comes from (`iss`), read before verification to find its keys. */
export function assertionIssuer(assertion: string): string | undefined {
  try {
    const { iss } = decodeJwt(assertion);
    // Looked up before the signature is checked: a NUL here must not reach the store.
    return typeof iss === 'string' && wellFormedText(iss) ? iss : undefined;
  } catch {
    return undefined;
  }
}

/** Resolves when the assertion authenticates check.client, and uses up its jti; throws AssertionRejected otherwise. */
export async function verifyClientAssertion(assertion: string, check: AssertionCheck): Promise<void> {
  const payload = await verifiedClaims(assertion, check);
  const now = Math.floor(check.now / 1000);
  // jose checks iat only against a maximum age; a future iat is as suspect as a future nbf.
  if (typeof payload.iat === 'number' && payload.iat > now + clockSkewSeconds) throw new AssertionRejected('iat is in the future');
  if (payload.exp! > now + maxLifetimeSeconds + clockSkewSeconds) throw new AssertionRejected(`exp is more than ${maxLifetimeSeconds} s away`);
  if (typeof payload.jti !== 'string' || payload.jti === '') throw new AssertionRejected('jti is missing');
  // Remembered for as long as the assertion would still pass the exp check, skew included.
  const used = { realm: check.client.realm, clientId: check.client.clientId, jti: payload.jti, expiresAt: (payload.exp! + clockSkewSeconds) * 1000 };
  if (!(await check.jtis.useOnce(used, check.now))) throw new AssertionRejected('jti was already used');
}

async function verifiedClaims(assertion: string, { client, audiences, now, sealer, changes, outbound }: AssertionCheck): Promise<JWTPayload> {
  const { token_endpoint_auth_method: method, token_endpoint_auth_signing_alg: registered } = client.metadata;
  if (method !== 'client_secret_jwt' && method !== 'private_key_jwt') throw new AssertionRejected(`client is registered for ${method}`);
  // The family comes from the method, so an HMAC keyed with a public key (or alg none) never passes.
  const algorithms = clientAssertionAlgs[method].filter((alg) => registered === undefined || alg === registered);
  const options: JWTVerifyOptions = {
    algorithms, issuer: client.clientId, subject: client.clientId, audience: audiences,
    requiredClaims: ['exp', 'jti'], clockTolerance: clockSkewSeconds, currentDate: new Date(now),
  };
  // Opened outside the try: a master key that cannot decrypt is Strix's fault, not the client's.
  const keys = method === 'client_secret_jwt' ? secretKey(client, sealer) : clientKeys(client, now, changes, outbound);
  try {
    return (await jwtVerify(assertion, keys, options)).payload;
  } catch (error) {
    // Includes a jwks_uri that cannot be fetched: the client's keys are unavailable, so it is not authenticated.
    throw new AssertionRejected((error as Error).message);
  }
}

/** The HMAC key of a client_secret_jwt client (its sealed secret); also verifies its HS* request objects. */
export function secretKey(client: Client, sealer: Pick<Sealer, 'open'>): JWTVerifyGetKey {
  if (!client.secretSealed) throw new AssertionRejected('client has no sealed secret (set its secret again)');
  const secret = new TextEncoder().encode(sealer.open(client.secretSealed));
  return () => secret;
}

/** The client's registered public keys (`jwks` or `jwks_uri`, as known at `now`); also verify its signed request objects. */
export function clientKeys(client: Client, now: number, changes: Changes, outbound: Outbound): JWTVerifyGetKey {
  const { jwks, jwks_uri } = client.metadata;
  if (jwks) return createLocalJWKSet(jwks);
  if (jwks_uri) return remoteKeySet(client, jwks_uri, now, changes, outbound);
  throw new AssertionRejected('client has neither jwks nor jwks_uri');
}

/**
 * How long after a fetch of a jwks_uri an unknown kid waits before it may fetch the keys again:
 * a client that rotates keys is served within this time, and a client sending made-up kids
 * cannot make Strix fetch its URI more often than this.
 */
const refetchCooldownMs = 30_000;
const jwksTimeoutMs = 5_000;
const maxKeySetBytes = 256 * 1024;

/** Key sets kept at most; the least recently used goes first (clients may register without limit). */
const maxRemoteKeySets = 1_000;

interface RemoteKeys { uri: string; keySet: ReturnType<typeof createRemoteJWKSet>; fetchedAt: number }

/**
 * One fetched key set per jwks_uri client, shared across requests. jose caches the keys (5 minutes)
 * and gives up a fetch after 5 s; the refetch on an unknown kid is ours, timed by Strix's clock
 * (jose's own cooldown reads the system clock). A client's entry is dropped when the client
 * changes or is deleted, on any node (changes.ts): keys removed from its jwks_uri, or a new
 * jwks_uri, count from its next request, not when jose's cache expires.
 */
const remoteKeySets = new WeakMap<Changes, Map<string, RemoteKeys>>();

function keySetsOf(changes: Changes): Map<string, RemoteKeys> {
  let sets = remoteKeySets.get(changes);
  if (!sets) {
    const created = new Map<string, RemoteKeys>();
    changes.on('client', (key) => {
      if (key === undefined) created.clear();
      else created.delete(key);
    });
    remoteKeySets.set(changes, sets = created);
  }
  return sets;
}

function remoteKeySet(client: Client, uri: string, now: number, changes: Changes, outbound: Outbound): JWTVerifyGetKey {
  const sets = keySetsOf(changes);
  const key = clientCacheKey(client.realm, client.clientId);
  let remote = sets.get(key);
  // Re-inserted on every use, so that the first in the map is the least recently used.
  sets.delete(key);
  if (!remote || remote.uri !== uri) {
    const keySet = createRemoteJWKSet(new URL(uri), {
      timeoutDuration: jwksTimeoutMs, cacheMaxAge: 5 * 60_000, cooldownDuration: Infinity, [customFetch]: keySetFetch(outbound, { purpose: 'jwks_uri', timeoutMs: jwksTimeoutMs, maxBytes: maxKeySetBytes }),
    });
    remote = { uri, keySet, fetchedAt: now };
    if (sets.size >= maxRemoteKeySets) sets.delete(sets.keys().next().value!);
  }
  sets.set(key, remote);
  const known = remote;
  return async (header, token) => {
    try {
      return await known.keySet(header, token);
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey) || now < known.fetchedAt + refetchCooldownMs) throw error;
      known.fetchedAt = now;
      await known.keySet.reload();
      return known.keySet(header, token);
    }
  };
}
