// Request objects (OIDC Core §6, RFC 9101 JAR): an authorization request carried in a JWT, by value
// (`request`) or by reference (`request_uri`). Turns the outer parameters into the effective ones.
import { decodeProtectedHeader, jwtVerify, UnsecuredJWT, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { AssertionRejected, clientKeys, secretKey } from '../http/client-assertion.js';
import { OAuthError, PageError } from '../http/errors.js';
import { httpsOrLoopback } from '../http/outbound.js';
import { isRepeatable, joinedValues, type Params } from '../http/params.js';
import { wellFormedText } from '../http/well-formed-input.js';
import { issuerOf, type Needs } from '../services.js';
import { clientAssertionAlgs, requestObjectSigningAlgs, type Client } from '../store/clients.js';
import type { Realm } from '../store/realms.js';
import { trustedRedirect, type TrustedRedirect } from '../authorization/request.js';

/** What this module uses (services.ts `Needs`). */
export type RequestObjectDeps = Needs<'clock' | 'config' | 'outbound' | 'sealer', 'changes'>;

const hmacAlgs: readonly string[] = clientAssertionAlgs.client_secret_jwt;

/** Tolerated difference between the client's clock and ours, as for client assertions. */
const clockSkewSeconds = 30;
const fetchTimeoutMs = 5_000;
const maxRequestObjectBytes = 64 * 1024;
/** JWT claims that describe the request object itself, not the authorization request (RFC 7519 §4.1). */
const jwtClaims = new Set(['iss', 'aud', 'exp', 'nbf', 'iat', 'jti']);

/** A rejected request object whose error may go to `replyTo`, a registered redirect URI. */
export class RejectedRequestObject extends OAuthError {
  constructor(error: OAuthError, readonly replyTo: TrustedRedirect) {
    super(error.code, error.description, error.status);
  }
}

/**
 * The parameters the authorization request really has. Without `request` / `request_uri` they
 * are the outer ones; with one, they are the request object's claims alone. OIDC Core §6.3.3
 * would merge in outer parameters the object lacks; RFC 9101 §5 (which updates it) does not, and
 * neither does Strix, so unsigned query values never add to a signed request. The outer
 * `client_id` is required and must match the object's; an outer `response_type` must match too
 * (OIDC Core §6.1); anything else outside is ignored. Throws RejectedRequestObject, or PageError
 * when no redirect URI can be trusted for the error.
 */
export async function resolveRequestObject(
  s: RequestObjectDeps, realm: Realm, client: Client | undefined, outer: Params,
): Promise<Params> {
  if (outer.request === undefined && outer.request_uri === undefined) return outer;
  // Without a known client there are no keys to verify with; trustedRedirect shows the page.
  if (outer.client_id === undefined || !client?.enabled) return outer;
  let verified: Params | undefined;
  try {
    if (outer.request !== undefined && outer.request_uri !== undefined) {
      throw new OAuthError('invalid_request', 'request and request_uri must not be sent together');
    }
    const jwt = outer.request ?? await fetchRequestObject(s, client, outer.request_uri!);
    const claims = await verifiedClaims(s, client, jwt);
    checkStorable(claims);
    verified = { ...asParams(claims), client_id: client.clientId };
    checkClaims(claims, outer, client, issuerOf(s.config, realm));
    return verified;
  } catch (error) {
    if (!(error instanceof OAuthError)) throw error;
    throw rejection(client, error, verified ?? (outer.redirect_uri !== undefined ? outer : undefined));
  }
}

/**
 * A request object pushed to the PAR endpoint (RFC 9126 §3) by a client that has authenticated:
 * verified and checked as at the authorization endpoint, but its errors are answered as JSON.
 */
export async function pushedRequestObject(
  s: RequestObjectDeps, realm: Realm, client: Client, outer: Params,
): Promise<Params> {
  if (outer.request === undefined) return outer;
  const claims = await verifiedClaims(s, client, outer.request);
  checkStorable(claims);
  checkClaims(claims, outer, client, issuerOf(s.config, realm));
  return { ...asParams(claims), client_id: client.clientId };
}

/**
 * Where a request object error goes. Once the signature checked out, the client itself named the
 * object's redirect_uri (and state and response_mode), so a registered one is trusted even when a
 * later check fails; an unsigned object's are trusted as far as the query's would be (registered).
 * An object that could not be verified (bad signature or alg, expired or not yet valid — jose checks exp and nbf with the signature — or not fetched) proves nothing, so its
 * contents are never used: the error goes to the outer redirect_uri, but only when the client
 * sent one explicitly and it is registered (OIDC Core §3.1.2.6, RFC 9700 §4.1) — no worse than
 * any malformed plain request. Otherwise the user sees an error page.
 */
export function rejection(client: Client, error: OAuthError, replyTo: Params | undefined): Error {
  if (replyTo) {
    try {
      return new RejectedRequestObject(error, trustedRedirect(client, replyTo));
    } catch (unsafe) {
      if (!(unsafe instanceof PageError)) throw unsafe;
    }
  }
  const title = error.code === 'invalid_request_uri' ? 'Invalid request URI' : error.code === 'invalid_request_object' ? 'Invalid request object' : 'Invalid request';
  return new PageError(title, error.description);
}

const invalidObject = (description: string) => new OAuthError('invalid_request_object', description);

async function verifiedClaims(
  s: RequestObjectDeps, client: Client, jwt: string,
): Promise<JWTPayload> {
  const alg = signingAlg(jwt);
  // A client that registered an alg gets only that one (an unsigned object from it is refused).
  const registered = client.metadata.request_object_signing_alg;
  if (registered !== undefined && alg !== registered) throw invalidObject(`request objects from this client must use ${registered}, not ${alg}`);
  const options = { currentDate: new Date(s.clock.now()), clockTolerance: clockSkewSeconds };
  const keys = alg === 'none' ? undefined : verificationKeys(s, client, alg);
  try {
    if (!keys) return UnsecuredJWT.decode(jwt, options).payload;
    return (await jwtVerify(jwt, keys, { ...options, algorithms: [alg] })).payload;
  } catch (error) {
    // Includes a jwks_uri that cannot be fetched: without the keys the object cannot be trusted.
    throw invalidObject(`request object rejected: ${(error as Error).message}`);
  }
}

function signingAlg(jwt: string): string {
  let header;
  try {
    header = decodeProtectedHeader(jwt);
  } catch {
    throw invalidObject('request is not a JWT');
  }
  if (jwt.split('.').length === 5 || header.enc !== undefined) throw invalidObject('encrypted request objects are not supported');
  if (typeof header.alg !== 'string' || !requestObjectSigningAlgs.includes(header.alg)) {
    throw invalidObject(`request object alg must be one of ${requestObjectSigningAlgs.join(', ')}`);
  }
  return header.alg;
}

/** The family comes from the alg: an HMAC keyed with the secret, a signature checked with the client's keys. */
function verificationKeys(s: RequestObjectDeps, client: Client, alg: string): JWTVerifyGetKey {
  try {
    return hmacAlgs.includes(alg) ? secretKey(client, s.sealer) : clientKeys(client, s.clock.now(), s.store.changes, s.outbound);
  } catch (error) {
    if (!(error instanceof AssertionRejected)) throw error;
    throw invalidObject(hmacAlgs.includes(alg)
      ? `${alg} request objects need the client secret, which Strix keeps only for client_secret_jwt clients`
      : `${alg} request objects need the client's jwks or jwks_uri`);
  }
}

/** RFC 9101 §4 and §6.3, OIDC Core §6.1 and §6.3.3. */
function checkClaims(claims: JWTPayload, outer: Params, client: Client, issuer: string): void {
  if (claims.iss !== undefined && claims.iss !== client.clientId) throw invalidObject('request object iss must be the client_id');
  if (claims.aud !== undefined && !(Array.isArray(claims.aud) ? claims.aud : [claims.aud]).includes(issuer)) {
    throw invalidObject('request object aud must be the issuer');
  }
  if (claims.client_id !== undefined && claims.client_id !== outer.client_id) throw invalidObject('client_id differs from the request object\'s');
  if (claims.request !== undefined || claims.request_uri !== undefined) throw invalidObject('a request object must not contain request or request_uri');
  const responseType = (value: unknown) => typeof value === 'string' ? value.split(' ').filter(Boolean).sort().join(' ') : undefined;
  if (outer.response_type !== undefined && responseType(outer.response_type) !== responseType(claims.response_type)) {
    throw invalidObject('response_type differs from the request object\'s');
  }
}

/** The object's values become request parameters, held to the same rule as the query's (no NUL, no ill-formed text). */
function checkStorable(claims: JWTPayload): void {
  const texts = Object.entries(claims).flatMap(([name, value]) => [name, ...(Array.isArray(value) ? value : [value])]);
  if (!texts.every((text) => typeof text !== 'string' || wellFormedText(text))) {
    throw invalidObject('request object values must not hold NUL or ill-formed text');
  }
}

/** Claims as request parameters: JSON members (`claims`) serialized, numbers (`max_age`) as text. */
function asParams(claims: JWTPayload): Params {
  const params: Params = {};
  for (const [name, value] of Object.entries(claims)) {
    if (jwtClaims.has(name) || value === null || value === undefined || value === '') continue;
    const values = Array.isArray(value) ? value : [value];
    if (isRepeatable(name) && values.every((v): v is string => typeof v === 'string')) {
      // RFC 8707 §2 / RFC 9101: `resource` may be a JSON array of strings.
      const joined = joinedValues(values);
      if (joined !== undefined) params[name] = joined;
      continue;
    }
    params[name] = typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
  }
  return params;
}

/**
 * OIDC Registration §2: the fragment of a registered request_uri only versions its content, and
 * a registered URI also covers the ones below it. The prefix must end at a "/", so that
 * https://rp.example cannot cover https://rp.example.evil.com.
 */
function registeredRequestUri(registered: string, requestUri: string): boolean {
  const base = registered.split('#')[0]!;
  const candidate = requestUri.split('#')[0]!;
  return candidate === base || candidate.startsWith(base.endsWith('/') ? base : `${base}/`);
}

async function fetchRequestObject(s: Needs<'outbound'>, client: Client, requestUri: string): Promise<string> {
  const invalidUri = (description: string) => new OAuthError('invalid_request_uri', description);
  if (!URL.canParse(requestUri) || !httpsOrLoopback(new URL(requestUri))) throw invalidUri('request_uri must be an https URL');
  const registered = client.metadata.request_uris ?? [];
  if (registered.length > 0 && !registered.some((uri) => registeredRequestUri(uri, requestUri))) {
    throw invalidUri('request_uri is not registered for this client');
  }
  try {
    // No redirects: the registration check above must hold for the URL actually fetched. Whether
    // the address was refused, did not answer or answered wrongly, the caller learns one thing.
    const response = await s.outbound.request(requestUri, {
      purpose: 'request_uri', headers: { accept: 'application/oauth-authz-req+jwt, application/jwt' }, timeoutMs: fetchTimeoutMs, maxBytes: maxRequestObjectBytes,
    });
    if (response.status !== 200) throw new Error(`status ${response.status}`);
    return response.text().trim();
  } catch {
    throw invalidUri('the request object could not be fetched from request_uri');
  }
}
