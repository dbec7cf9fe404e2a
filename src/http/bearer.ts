// Access tokens presented in the Authorization header (RFC 6750 §2.1; the DPoP scheme of RFC 9449 §7.1)
// and the WWW-Authenticate challenge that answers a request without a usable one (RFC 6750 §3).
import type { Realm } from '../store/realms.js';
import type { User } from '../store/users.js';
import { inspectAccessToken, type InspectDeps, type InspectedAccessToken } from '../tokens/inspect.js';
import { OAuthError } from './errors.js';

export type TokenScheme = 'Bearer' | 'DPoP';

/** RFC 6750 §3.1 invalid_token. `presented` is false when no token came at all: the challenge then names no error. */
export class InvalidToken extends OAuthError {
  constructor(description: string, readonly presented = true) {
    super('invalid_token', description, 401);
  }
}

/** `scheme SP b64token` (RFC 6750 §2.1); scheme names are case-insensitive. */
const credentials = /^(Bearer|DPoP) ([A-Za-z0-9\-._~+/]+=*)$/i;

/** The scheme and token of an Authorization header, or undefined when it is not one of `schemes` with a b64token. */
export function authorizationToken(header: string, schemes: readonly TokenScheme[]): { scheme: TokenScheme; token: string } | undefined {
  const match = header.match(credentials);
  const scheme = schemes.find((name) => name.toLowerCase() === match?.[1]!.toLowerCase());
  return scheme === undefined ? undefined : { scheme, token: match![2]! };
}

/** A Bearer token from the Authorization header; `what` names the token in the InvalidToken thrown without one. */
export function bearerToken(header: string | undefined, what: string): string {
  if (header === undefined) throw new InvalidToken(`${what} is required`, false);
  const presented = authorizationToken(header, ['Bearer']);
  if (!presented) throw new InvalidToken(`${what} must be sent as a Bearer token`);
  return presented.token;
}

/**
 * The user's access token of a resource that takes Bearer tokens only, honoured now: signed by the
 * realm, unexpired, its grant and user standing, and not DPoP-bound (RFC 9449 §7.2: a bound token is
 * never a bearer token). Anything else throws InvalidToken.
 */
export async function userBearerToken(
  s: InspectDeps, realm: Realm, authorization: string | undefined, what: string,
): Promise<InspectedAccessToken & { user: User }> {
  const token = await inspectAccessToken(s, realm, bearerToken(authorization, what));
  if (!token || !token.active || !token.user) throw new InvalidToken(`${what} is invalid, expired or revoked, or its user disabled`);
  if (token.claims.cnf?.jkt !== undefined) throw new InvalidToken(`${what} is DPoP-bound, and this resource takes bearer tokens only`);
  return token as InspectedAccessToken & { user: User };
}

/**
 * `scheme realm="…"[, algs="…"][, error="…", error_description="…"]` (RFC 6750 §3; RFC 9449 §7.1 adds
 * `algs` to DPoP's). A request that presented no token gets no error (RFC 6750 §3.1).
 */
export function challenge(scheme: TokenScheme, realm: string, error?: OAuthError, algs?: readonly string[]): string {
  const params = [`realm="${realm}"`];
  if (algs) params.push(`algs="${algs.join(' ')}"`);
  if (error && !(error instanceof InvalidToken && !error.presented)) {
    params.push(`error="${error.code}"`, `error_description="${error.toJSON().error_description}"`);
  }
  return `${scheme} ${params.join(', ')}`;
}
