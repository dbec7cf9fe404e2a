// Resolves the `:realm` path parameter once per request (cached briefly: realms change rarely).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Services } from '../services.js';
import type { Realm } from '../store/realms.js';
import { PageError } from './errors.js';

declare module 'fastify' {
  interface FastifyRequest { realm?: Realm }
}

const cacheTtlMs = 2_000;

export function realmResolver(app: FastifyInstance, s: Services): void {
  const cache = new Map<string, { realm: Realm | undefined; loadedAt: number }>();
  // A change announced while a read is in flight must not be overwritten by what that read found.
  let generation = 0;
  s.store.changes.on('realm', (name) => {
    generation++;
    if (name === undefined) cache.clear();
    else cache.delete(name);
  });
  app.decorateRequest('realm', undefined);
  app.addHook('preHandler', async (request: FastifyRequest) => {
    const name = (request.params as { realm?: unknown } | undefined)?.realm;
    if (typeof name !== 'string') return;
    const now = s.clock.now();
    let entry = cache.get(name);
    if (!entry || now - entry.loadedAt > cacheTtlMs) {
      const started = generation;
      entry = { realm: await s.store.realms.get(name), loadedAt: now };
      if (entry.realm && started === generation) cache.set(name, entry);
    }
    if (!entry.realm) throw new PageError('Not found', `There is no realm named "${name}".`, 404);
    request.realm = entry.realm;
  });
}
