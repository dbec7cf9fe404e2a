// Resolves the `:realm` path parameter once per request (cached briefly: realms change rarely).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Needs } from '../services.js';
import { Lru } from '../store/lru.js';
import type { Realm } from '../store/realms.js';
import { PageError } from './errors.js';

/** What this module uses (services.ts `Needs`). */
export type RealmResolverDeps = Needs<'clock' | 'config', 'changes' | 'realms'>;

declare module 'fastify' {
  interface FastifyRequest { realm?: Realm }
}

const cacheTtlMs = 2_000;

export function realmResolver(app: FastifyInstance, s: RealmResolverDeps): void {
  // Realms kept (least recently used go first): the working set, not every realm in the database.
  const cache = new Lru<string, { realm: Realm; loadedAt: number }>(s.config.cache.realms);
  // A change announced while a read is in flight must not be overwritten by what that read found.
  let generation = 0;
  // Requests that miss together share one read (else every request in flight when the entry expires
  // reads the realm again); one arriving after a change reads anew.
  const reading = new Map<string, { generation: number; realm: Promise<Realm | undefined> }>();
  s.store.changes.on('realm', (name) => {
    generation++;
    if (name === undefined) cache.clear();
    else cache.delete(name);
  });
  app.decorateRequest('realm', undefined);
  const resolve = (request: FastifyRequest, name: string, realm: Realm | undefined): PageError | undefined => {
    if (!realm) return new PageError('Not found', `There is no realm named "${name}".`, 404);
    request.realm = realm;
  };
  // A callback hook: nearly every request finds its realm in the cache and waits for nothing.
  app.addHook('preHandler', (request, _reply, done) => {
    const name = (request.params as { realm?: unknown } | undefined)?.realm;
    if (typeof name !== 'string') return done();
    const now = s.clock.now();
    const entry = cache.get(name);
    if (entry && now - entry.loadedAt <= cacheTtlMs) return done(resolve(request, name, entry.realm));
    let pending = reading.get(name);
    if (pending?.generation !== generation) {
      const started = generation;
      const realm = s.store.realms.get(name).then((found) => {
        if (found && started === generation) cache.set(name, { realm: found, loadedAt: now });
        return found;
      }).finally(() => {
        if (reading.get(name)?.realm === realm) reading.delete(name);
      });
      reading.set(name, pending = { generation, realm });
    }
    pending.realm.then((realm) => done(resolve(request, name, realm)), done);
  });
}
