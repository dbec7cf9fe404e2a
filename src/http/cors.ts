// CORS for browser-based clients on the endpoints they call directly (discovery, JWKS, token, PAR,
// userinfo, logout, revocation). A preflight, and a request before its client is known, is allowed
// for any origin a client of the realm allows — by default the origins of its redirect URIs, plus its
// `allowed_origins` (clients/web-origins.ts). Once the handler knows the client (client
// authentication, the access token's client, the logout's client), forClient() narrows the grant to
// that client's origins. Endpoints marked `corsCredentials` answer `Access-Control-Allow-Credentials:
// true` to an allowed origin, which is always echoed, never `*` (keycloak-js sends its token requests
// with `credentials: 'include'`). The authorization endpoint never answers CORS.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { clientOrigins } from '../clients/web-origins.js';
import type { Needs } from '../services.js';
import type { Client } from '../store/clients.js';
import { RecentCache } from '../store/recent-cache.js';
import { matchedEndpoint } from './endpoint.js';

/** What this module uses (services.ts `Needs`). */
export type CorsDeps = Needs<'clock' | 'config', 'changes' | 'clients'>;

const cacheTtlMs = 2_000;

const grantHeaders = ['access-control-allow-origin', 'access-control-allow-credentials', 'access-control-expose-headers'];

/**
 * Narrows a CORS grant made for the realm to the client the request turned out to be for: an origin
 * that client does not allow loses it. No client (undefined): no grant.
 */
export function forClient(request: FastifyRequest, reply: FastifyReply, client: Client | undefined): void {
  const origin = request.headers.origin;
  if (origin === undefined || !reply.hasHeader('access-control-allow-origin')) return;
  if (client && client.enabled && clientOrigins(client).has(origin)) return;
  for (const header of grantHeaders) reply.removeHeader(header);
}

export function corsPolicy(s: CorsDeps) {
  // Realms whose origins are kept (least recently used go first); any realm name in a URL reaches this
  // cache. Keyed by realm; a changed client (key "realm\0client_id") drops its realm's origins.
  const cache = new RecentCache<Set<string>>(cacheTtlMs, s.config.cache.realms, () => s.clock.now());
  s.store.changes.on('client', (key) => (key === undefined ? cache.clear() : cache.delete(key.split('\u0000')[0]!)));
  const readOrigins = async (realm: string): Promise<Set<string>> => {
    const origins = new Set<string>();
    for (const client of await s.store.clients.list(realm)) if (client.enabled) for (const o of clientOrigins(client)) origins.add(o);
    return origins;
  };
  // readOrigins always finds a set (empty for a realm without clients), so through() never gives undefined.
  const realmOrigins = async (realm: string): Promise<Set<string>> => (await cache.through(realm, () => readOrigins(realm)))!;
  return {
    /** The origins any enabled client of the realm allows (the session iframe's frame-ancestors too). */
    realmOrigins,
    /** onRequest-style hook: answers preflights, and marks allowed origins on the response. */
    async apply(request: FastifyRequest, reply: FastifyReply): Promise<boolean> {
      const origin = request.headers.origin;
      const realm = (request.params as { realm?: string }).realm;
      reply.header('vary', 'Origin');
      if (!origin || !realm) return false;
      if (!(await realmOrigins(realm)).has(origin)) return false;
      reply.header('access-control-allow-origin', origin);
      if (matchedEndpoint(request)?.corsCredentials) reply.header('access-control-allow-credentials', 'true');
      // RFC 9449 §8-9: a browser client must read the nonce it is asked to use, and the challenge naming it.
      reply.header('access-control-expose-headers', 'DPoP-Nonce, WWW-Authenticate');
      if (request.method === 'OPTIONS') {
        reply.header('access-control-allow-methods', 'GET, POST, OPTIONS')
          .header('access-control-allow-headers', 'Authorization, Content-Type, DPoP')
          .header('access-control-max-age', '600');
      }
      return true;
    },
  };
}
