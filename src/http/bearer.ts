// Access tokens presented in the Authorization header (RFC 6750 §2.1; the DPoP scheme of RFC 9449 §7.1)
// and the WWW-Authenticate challenge that answers a request without a usable one (RFC 6750 §3).
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
