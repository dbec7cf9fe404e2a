// Subject identifiers (OIDC Core §8): public — the user's id, the same for every client — or
// pairwise (§8.1) — a different value per sector, so that clients of different organisations
// cannot correlate a user: sub = base64url(SHA-256(sector ‖ user id ‖ realm salt)).
import { createHash } from 'node:crypto';
import { randomToken } from '../runtime.js';
import type { Needs } from '../services.js';
import type { Client, ClientMetadata } from '../store/clients.js';
import { Lru } from '../store/lru.js';

/** What this module uses (services.ts `Needs`). */
export type SubjectDeps = Needs<'clock' | 'config' | 'sealer', 'pairwiseSalts'>;

export const subjectTypes = ['public', 'pairwise'] as const;
export type SubjectType = typeof subjectTypes[number];

/**
 * The sector of a pairwise client (§8.1): the host of its sector_identifier_uri, else the one host
 * of its redirect URIs. Undefined when there is none, or several (registration refuses those).
 */
export function sectorOf(metadata: Pick<ClientMetadata, 'sector_identifier_uri' | 'redirect_uris'>): string | undefined {
  const uris = metadata.sector_identifier_uri ? [metadata.sector_identifier_uri] : metadata.redirect_uris;
  const hosts = new Set(uris.map((uri) => URL.canParse(uri) ? new URL(uri).hostname : ''));
  const [host] = hosts;
  return hosts.size === 1 && host ? host : undefined;
}

/** Salts never change once stored, so each store's are cached (the realms used last: STRIX_CACHE_REALMS). */
const salts = new WeakMap<object, Lru<string, Promise<string>>>();

function realmSalt(s: SubjectDeps, realm: string): Promise<string> {
  let cache = salts.get(s.store);
  if (!cache) salts.set(s.store, cache = new Lru(s.config.cache.realms));
  let salt = cache.get(realm);
  if (!salt) {
    salt = s.store.pairwiseSalts.ensure(realm, s.sealer.seal(randomToken()), s.clock.now()).then((sealed) => s.sealer.open(sealed));
    salt.catch(() => cache.delete(realm));
    cache.set(realm, salt);
  }
  return salt;
}

/** The `sub` a client knows a user by; a client that is unknown (or public) gets the user id. */
export async function subjectFor(s: SubjectDeps, realm: string, client: Client | undefined, userId: string): Promise<string> {
  if (client?.metadata.subject_type !== 'pairwise') return userId;
  const sector = sectorOf(client.metadata);
  if (sector === undefined) throw new Error(`pairwise client ${client.clientId} has no sector (sector_identifier_uri or one redirect URI host)`);
  const salt = await realmSalt(s, realm);
  return createHash('sha256').update(sector + userId + salt).digest('base64url');
}
