// CORS for browser-based clients on the endpoints they call directly (discovery, JWKS, token, PAR,
// userinfo, logout): an origin is allowed when a client of the realm allows it — by default the
// origins of its redirect URIs, plus its `allowed_origins`. The authorization endpoint never answers CORS.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Needs } from '../services.js';
import type { Client } from '../store/clients.js';

/** What this module uses (services.ts `Needs`). */
export type CorsDeps = Needs<'clock', 'changes' | 'clients'>;

const cacheTtlMs = 2_000;

export function clientOrigins(client: Client): Set<string> {
  const origins = new Set(client.metadata.allowed_origins ?? []);
  for (const uri of client.metadata.redirect_uris) {
    try {
      const { origin } = new URL(uri);
      if (origin !== 'null') origins.add(origin);
    } catch { /* validated at registration */ }
  }
  return origins;
}

export function corsPolicy(s: CorsDeps) {
  const cache = new Map<string, { origins: Set<string>; loadedAt: number }>();
  // Keyed by realm; a changed client (key "realm\0client_id") drops its realm's origins.
  s.store.changes.on('client', (key) => (key === undefined ? cache.clear() : cache.delete(key.split('\u0000')[0]!)));
  const realmOrigins = async (realm: string): Promise<Set<string>> => {
    const now = s.clock.now();
    const cached = cache.get(realm);
    if (cached && now - cached.loadedAt < cacheTtlMs) return cached.origins;
    const origins = new Set<string>();
    for (const client of await s.store.clients.list(realm)) if (client.enabled) for (const o of clientOrigins(client)) origins.add(o);
    cache.set(realm, { origins, loadedAt: now });
    return origins;
  };
  return {
    /** onRequest-style hook: answers preflights, and marks allowed origins on the response. */
    async apply(request: FastifyRequest, reply: FastifyReply): Promise<boolean> {
      const origin = request.headers.origin;
      const realm = (request.params as { realm?: string }).realm;
      reply.header('vary', 'Origin');
      if (!origin || !realm) return false;
      if (!(await realmOrigins(realm)).has(origin)) return false;
      reply.header('access-control-allow-origin', origin);
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
