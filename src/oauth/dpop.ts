// DPoP (RFC 9449): reading the `DPoP` header and checking a proof against the request it came with
// (§4.3), for the token endpoint (§5) and for userinfo as a protected resource (§7).
import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { calculateJwkThumbprint, decodeProtectedHeader, EmbeddedJWK, jwtVerify, type JWK, type ProtectedHeaderParameters } from 'jose';
import { endpointUrl } from '../http/endpoint.js';
import { OAuthError } from '../http/errors.js';
import { safeEqual, seconds } from '../runtime.js';
import type { Needs } from '../services.js';
import type { Client } from '../store/clients.js';
import type { Realm } from '../store/realms.js';
import { oauthEndpoints } from './endpoints.js';

/** What this module uses (services.ts `Needs`). */
export type DpopDeps = Needs<'clock' | 'config' | 'sealer', 'dpopProofs'>;

/** Asymmetric algorithms only (§4.2): never `none`, never an HMAC. Discovery advertises exactly these. */
export const dpopSigningAlgs = ['ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519', 'PS256', 'PS384', 'PS512', 'RS256', 'RS384', 'RS512'];

/**
 * How far a proof's iat may be from our clock, either way (§4.3 check 11, §11.1). Short, because a
 * proof is made for one request; the same span bounds how long its jti must be remembered.
 */
export const proofWindowSeconds = 60;

/** JWK members holding private or symmetric key material (RFC 7518 §6.2.2, §6.3.2, §6.4.1). */
const privateJwkMembers = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

const compactJws = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** What a checked proof establishes: the key (as its RFC 7638 SHA-256 thumbprint) the sender holds. */
export interface VerifiedProof { jkt: string }

/**
 * What the proof must match: the request's method and URI, at a resource the access token it
 * accompanies, and when the realm requires nonces (§8, §9), the nonces it currently accepts.
 */
export interface ProofExpectation { htm: string; htu: string; accessToken?: string; nonces?: DPoPNonces }

/** §5: a token request with an unacceptable proof; the resource side answers 401 instead (§7.1). */
export class InvalidDPoPProof extends OAuthError {
  constructor(description: string) {
    super('invalid_dpop_proof', description, 400);
  }
}

/** §8: the proof lacks a nonce, or carries one that is no longer (or never was) valid; the answer names a fresh one. */
export class UseDPoPNonce extends OAuthError {
  constructor(description: string) {
    super('use_dpop_nonce', description, 400);
  }
}

/** How long one nonce is issued for; it is accepted for that window and the next, so at least this long. */
const nonceWindowMs = 5 * 60_000;

/**
 * Server-provided nonces (§8, §9) without storage: a nonce is a time window and a keyed MAC of it
 * (the master key is shared by every node), so any node checks any node's nonce.
 */
export class DPoPNonces {
  constructor(private readonly s: Needs<'sealer' | 'clock'>, private readonly realm: string) {}

  private mac(window: number): string {
    return this.s.sealer.digest(`dpop-nonce v1|${this.realm}|${window}`);
  }

  private window(): number {
    return Math.floor(this.s.clock.now() / nonceWindowMs);
  }

  current(): string {
    const window = this.window();
    return `${window}.${this.mac(window)}`;
  }

  accepts(nonce: string): boolean {
    const match = /^(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(nonce);
    if (!match) return false;
    const window = Number(match[1]);
    const now = this.window();
    return (window === now || window === now - 1) && safeEqual(match[2]!, this.mac(window));
  }
}

/** The realm's nonces when it requires them; each response then names the current one (DPoP-Nonce). */
export function nonceChallenge(s: Needs<'sealer' | 'clock'>, realm: Realm, reply: FastifyReply): DPoPNonces | undefined {
  if (!realm.settings.dpop_nonce_required) return undefined;
  const nonces = new DPoPNonces(s, realm.name);
  reply.header('dpop-nonce', nonces.current());
  return nonces;
}

/**
 * The value of the request's `DPoP` header, or undefined when there is none. More than one header
 * (Node joins repeats with a comma) or anything but one compact JWS is refused (§4.3 checks 1-2).
 */
export function dpopHeader(request: FastifyRequest): string | undefined {
  const raw = request.raw.rawHeaders;
  let count = 0;
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.toLowerCase() === 'dpop') count += 1;
  if (count === 0) return undefined;
  if (count > 1) throw new InvalidDPoPProof('send exactly one DPoP header');
  const value = request.headers.dpop;
  if (typeof value !== 'string' || !compactJws.test(value)) throw new InvalidDPoPProof('the DPoP header is not a single compact JWT');
  return value;
}

/**
 * Checks a proof (§4.3) and uses up its jti: typ, an asymmetric alg, a public `jwk` whose key verifies
 * the signature, jti, htm, htu (query and fragment ignored, URIs normalised), a recent iat, and `ath`
 * when an access token goes with it. The jti check comes last, so refused proofs cost no storage.
 */
export async function verifyDPoPProof(
  proof: string, expected: ProofExpectation, s: DpopDeps,
): Promise<VerifiedProof> {
  const header = proofHeader(proof);
  const jwk = header.jwk as JWK;
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(proof, EmbeddedJWK, { algorithms: dpopSigningAlgs, currentDate: new Date(s.clock.now()) }));
  } catch (error) {
    throw new InvalidDPoPProof(`the DPoP proof does not verify: ${(error as Error).message}`);
  }
  const { jti, htm, htu, iat, ath } = payload;
  if (typeof jti !== 'string' || jti === '' || jti.length > 256) throw new InvalidDPoPProof('the DPoP proof needs a jti');
  if (typeof htm !== 'string' || htm !== expected.htm) throw new InvalidDPoPProof(`the DPoP proof htm must be ${expected.htm}`);
  if (typeof htu !== 'string' || !sameUri(htu, expected.htu)) throw new InvalidDPoPProof(`the DPoP proof htu must be ${expected.htu}`);
  const now = seconds(s.clock.now());
  if (typeof iat !== 'number' || !Number.isFinite(iat)) throw new InvalidDPoPProof('the DPoP proof needs an iat');
  if (Math.abs(now - iat) > proofWindowSeconds) throw new InvalidDPoPProof('the DPoP proof iat is not recent: make a new proof for each request');
  if (expected.accessToken !== undefined && ath !== accessTokenHash(expected.accessToken)) {
    throw new InvalidDPoPProof('the DPoP proof ath does not match the access token');
  }
  if (expected.nonces) {
    const { nonce } = payload;
    if (nonce === undefined) throw new UseDPoPNonce('the DPoP proof needs the nonce given in the DPoP-Nonce header');
    if (typeof nonce !== 'string' || !expected.nonces.accepts(nonce)) throw new UseDPoPNonce('the DPoP proof nonce is not valid (any more): use the one in the DPoP-Nonce header');
  }
  const jkt = await calculateJwkThumbprint(jwk, 'sha256');
  const expiresAt = (Math.max(iat, now) + proofWindowSeconds + 1) * 1000;
  if (!(await s.store.dpopProofs.useOnce({ jkt, jti, expiresAt }, s.clock.now()))) throw new InvalidDPoPProof('the DPoP proof jti was already used');
  return { jkt };
}

/** §4.2 header checks, worded for the client; jose then verifies the signature with this jwk. */
function proofHeader(proof: string): ProtectedHeaderParameters {
  let header: ProtectedHeaderParameters;
  try {
    header = decodeProtectedHeader(proof);
  } catch {
    throw new InvalidDPoPProof('the DPoP proof header is malformed');
  }
  if (typeof header.typ !== 'string' || header.typ.toLowerCase() !== 'dpop+jwt') throw new InvalidDPoPProof('the DPoP proof typ must be dpop+jwt');
  if (typeof header.alg !== 'string' || !dpopSigningAlgs.includes(header.alg)) {
    throw new InvalidDPoPProof(`the DPoP proof alg must be one of ${dpopSigningAlgs.join(', ')}`);
  }
  const jwk = header.jwk as Record<string, unknown> | undefined;
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) throw new InvalidDPoPProof('the DPoP proof header needs the public key as jwk');
  const secret = privateJwkMembers.find((member) => member in jwk);
  if (secret) throw new InvalidDPoPProof(`the DPoP proof jwk holds private key material ("${secret}")`);
  return header;
}

/**
 * §4.3 check 9: htu equals the URI of the request, without query and fragment, after syntax- and
 * scheme-based normalisation (RFC 3986 §6.2.2-6.2.3; WHATWG URL parsing lowercases scheme and host
 * and drops default ports). The expected URI comes from STRIX_PUBLIC_URL, never the Host header.
 */
function sameUri(htu: string, expected: string): boolean {
  let actual: URL;
  try {
    actual = new URL(htu);
  } catch {
    return false;
  }
  actual.search = '';
  actual.hash = '';
  return actual.href === new URL(expected).href;
}

/** §4.2 `ath`: base64url of the SHA-256 of the access token's ASCII bytes. */
export function accessTokenHash(accessToken: string): string {
  return createHash('sha256').update(accessToken, 'ascii').digest('base64url');
}

/** A client must use DPoP when it registered dpop_bound_access_tokens (§5.2), or is public in a realm that asks it of them. */
export function dpopRequired(realm: Realm, client: Client): boolean {
  return client.metadata.dpop_bound_access_tokens === true || (!client.confidential && realm.settings.dpop_required_for_public_clients);
}

/**
 * The checked proof of a token request (§5), or undefined when none was sent and none is needed.
 * Called after client authentication, so that an unauthenticated caller learns nothing about proofs.
 */
export async function tokenRequestProof(
  request: FastifyRequest, reply: FastifyReply, s: DpopDeps, realm: Realm, client: Client,
): Promise<VerifiedProof | undefined> {
  const proof = dpopHeader(request);
  if (proof === undefined) {
    if (dpopRequired(realm, client)) throw new OAuthError('invalid_request', 'this client must send a DPoP proof with its token requests');
    return undefined;
  }
  const nonces = nonceChallenge(s, realm, reply);
  return verifyDPoPProof(proof, { htm: 'POST', htu: endpointUrl(s.config, realm, oauthEndpoints.token_endpoint), nonces }, s);
}
