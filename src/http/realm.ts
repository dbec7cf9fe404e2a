// Resolves the `:realm` path parameter once per request (cached briefly: realms change rarely).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Needs } from '../services.js';
import { RecentCache } from '../store/recent-cache.js';
import type { Realm } from '../store/realms.js';
import { PageError } from './errors.js';

/** What this module uses (services.ts `Needs`). */
export type RealmResolverDeps = Needs<'clock' | 'config', 'changes' | 'realms'>;

declare module 'fastify' {
  interface FastifyRequest { realm?: Realm }
}

const cacheTtlMs = 2_000;

export function realmResolver(app: FastifyInstance, s: RealmResolverDeps): void {
  // The working set of realms, not every realm in the database; requests that miss together share
  // one read, and a change announced during a read is not overwritten by it (RecentCache).
  const cache = new RecentCache<Realm>(cacheTtlMs, s.config.cache.realms, () => s.clock.now());
  s.store.changes.on('realm', (name) => (name === undefined ? cache.clear() : cache.delete(name)));
  app.decorateRequest('realm', undefined);
  const resolve = (request: FastifyRequest, name: string, realm: Realm | undefined): PageError | undefined => {
    if (!realm) return new PageError('Not found', `There is no realm named "${name}".`, 404);
    request.realm = realm;
  };
  // A callback hook: nearly every request finds its realm in the cache and waits for nothing.
  app.addHook('preHandler', (request, _reply, done) => {
    const name = (request.params as { realm?: unknown } | undefined)?.realm;
    if (typeof name !== 'string') return done();
    const cached = cache.get(name);
    if (cached) return done(resolve(request, name, cached));
    cache.through(name, () => s.store.realms.get(name)).then((realm) => done(resolve(request, name, realm)), done);
  });
}
