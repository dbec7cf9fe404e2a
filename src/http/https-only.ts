// Every endpoint requires TLS (RFC 6749 §1.6, §3.1, §3.2, §10.9). Strix speaks plain HTTP behind a
// TLS-terminating proxy, so it can only refuse what the proxy tells it about: with an https public
// URL, a request that a trusted proxy says (X-Forwarded-Proto) reached it over plain http is not
// served. GET and HEAD are redirected to the https public URL; anything else is refused before any
// endpoint work, since its credentials have already crossed the network in the clear.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import { addressAllowed } from '../security/ip-rules.js';
import { matchedEndpoint } from './endpoint.js';
import { OAuthError } from './errors.js';

/** proxy-addr's range names, which STRIX_TRUST_PROXY accepts besides addresses and CIDR blocks. */
const namedRanges: Record<string, string[]> = {
  loopback: ['127.0.0.0/8', '::1/128'],
  linklocal: ['169.254.0.0/16', 'fe80::/10'],
  uniquelocal: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
};


export function httpsOnly(app: FastifyInstance, config: Pick<Config, 'publicUrl' | 'trustProxy'>): void {
  if (!config.publicUrl.startsWith('https:') || config.trustProxy === false) return;
  const trusted = trustedPeer(config.trustProxy);
  app.addHook('onRequest', async (request, reply) => {
    if (matchedEndpoint(request)?.plainHttp === 'allowed' || forwardedProtocol(request, trusted) !== 'http') return;
    if (request.method === 'GET' || request.method === 'HEAD') {
      return reply.code(301).header('location', `${config.publicUrl}${request.url}`).send();
    }
    throw new OAuthError('invalid_request', 'HTTPS is required');
  });
}

/**
 * Whether the TCP peer is one of the proxies STRIX_TRUST_PROXY names: the first hop Fastify's
 * trustProxy looks at (a hop count of 1 or more, and `true`, trust it whoever it is).
 */
function trustedPeer(trustProxy: true | number | string[]): (address: string) => boolean {
  if (!Array.isArray(trustProxy)) return () => true;
  const rules = trustProxy.flatMap((entry) => namedRanges[entry] ?? [entry]);
  return (address) => addressAllowed({ ip_allow: rules }, address);
}

/** The scheme the client used with the proxy, as a trusted peer reports it (the last X-Forwarded-Proto entry, as Fastify reads it); undefined when no trusted peer says. */
function forwardedProtocol(request: FastifyRequest, trusted: (address: string) => boolean): string | undefined {
  const header = request.headers['x-forwarded-proto'];
  if (header === undefined || !trusted(request.socket.remoteAddress ?? '')) return undefined;
  const value = Array.isArray(header) ? header.join(',') : header;
  return value.slice(value.lastIndexOf(',') + 1).trim().toLowerCase();
}
