// Nothing secret in logs: the request line logged for each request (at debug and trace) has its
// secret-bearing query parameters masked. RP-initiated logout takes an ID token in the query
// (OIDC RP-Initiated Logout §2), and any client may put a code or token in a URL by mistake.
import type { FastifyRequest } from 'fastify';

const secretParameters = new Set([
  'id_token_hint', 'id_token', 'code', 'access_token', 'refresh_token', 'token', 'client_secret', 'client_assertion',
  'assertion', 'password', 'request', 'device_code', 'user_code', 'login_hint_token', 'logout_token',
  // A form token in a link (the e-mail sign-in link, a provider button): with its cookie it acts for the browser.
  'csrf',
]);

export const censor = '[redacted]';

/** The URL with every secret-bearing query parameter's value replaced by the censor mark. */
export function redactedUrl(url: string): string {
  const query = url.indexOf('?');
  if (query < 0) return url;
  const params = url.slice(query + 1).split('&').map((pair) => {
    const eq = pair.indexOf('=');
    const rawName = eq < 0 ? pair : pair.slice(0, eq);
    let name = rawName;
    try {
      name = decodeURIComponent(rawName.replace(/\+/g, ' '));
    } catch {
      return `${rawName}=${censor}`;    // undecodable: mask rather than guess
    }
    return secretParameters.has(name) && eq >= 0 ? `${rawName}=${censor}` : pair;
  });
  return `${url.slice(0, query)}?${params.join('&')}`;
}

/** Replaces Fastify's request serializer (same fields) so that logged URLs are redacted. */
export function requestSerializer(request: FastifyRequest): Record<string, unknown> {
  return {
    method: request.method,
    url: redactedUrl(request.url),
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  };
}
