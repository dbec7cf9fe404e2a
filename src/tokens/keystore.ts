// Signing keys per realm (RS256, ES256, EdDSA): generated on first use, private parts sealed at
// rest, rotated with an overlap window. JWKS publishes next, current and recently retired keys.
import { createPrivateKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, createLocalJWKSet, exportJWK, generateKeyPair, type JSONWebKeySet, type JWK } from 'jose';
import type { Clock } from '../runtime.js';
import { Lru } from '../store/lru.js';
import type { Changes } from '../store/changes.js';
import { signingAlgs, type SigningAlg } from '../store/realms.js';
import type { PublishedKey, SigningKeysRepository, StoredKey } from '../store/signing-keys.js';
import type { Sealer } from './master-key.js';

/** How long a retired key stays published: longer than any token signed with it lives. */
export const retiredKeyRetentionMs = 7 * 86_400_000;
/** How long a realm's keys are kept before being read again (changes on other nodes are also announced). */
export const keysCacheTtlMs = 5_000;
/**
 * How many realms' keys are kept in memory unless told (least recently used go first): an opened
 * ES256 key holds ~8.5 KiB of OpenSSL memory outside the heap and the key set a few KiB in it, so
 * 1,000 realms cost ~10 MiB here and 10,000 ten times that (docs/operations.md "Cache bounds").
 */
export const keysCacheRealms = 1_000;

export interface SigningKey { kid: string; alg: SigningAlg; key: KeyObject }

/**
 * A realm's keys as read, without their private parts. The private key of an algorithm is read,
 * decrypted and imported when that algorithm first signs (a realm that only ever signs ES256 never
 * imports its RSA key), and the verifier made when first asked for. Opened keys outlive the reread
 * that follows the TTL while their key is still current (a key's material never changes; only its
 * status does), so a realm pays the import once, not every `keysCacheTtlMs`.
 */
interface RealmKeys {
  loadedAt: number;
  current: Map<SigningAlg, PublishedKey>;
  /** By kid. */
  opened: Map<string, Promise<SigningKey>>;
  jwks: JSONWebKeySet;
  verify?: ReturnType<typeof createLocalJWKSet>;
}

export class Keystore {
  private readonly cache: Lru<string, Promise<RealmKeys>>;

  /**
   * `changes`: rotations are announced to, and learnt from, the other nodes (src/store/changes.ts).
   * `cachedRealms`: how many realms' keys are kept (STRIX_CACHE_REALMS).
   */
  constructor(
    private readonly repo: SigningKeysRepository, private readonly sealer: Sealer, private readonly clock: Clock, private readonly changes?: Changes,
    cachedRealms = keysCacheRealms,
  ) {
    this.cache = new Lru(cachedRealms);
    changes?.on('keys', (realm) => (realm === undefined ? this.cache.clear() : this.cache.delete(realm)));
  }

  /** Makes sure the realm has a current and a next key of every algorithm. */
  async ensure(realm: string): Promise<void> {
    const keys = await this.repo.list(realm);
    let generated = false;
    for (const alg of signingAlgs) {
      for (const status of ['current', 'next'] as const) {
        if (keys.some((k) => k.alg === alg && k.status === status)) continue;
        await this.generate(realm, alg, status);
        generated = true;
      }
    }
    if (generated) await this.changed(realm);
  }

  /** `ensure` for every realm that needs it, found with one query (start-up reads no realm's keys otherwise). */
  async ensureEveryRealm(): Promise<void> {
    for (const realm of await this.repo.realmsLacking(signingAlgs)) await this.ensure(realm);
  }

  /** next → current, current → retired, a fresh next; retired keys past retention are removed. */
  async rotate(realm: string): Promise<void> {
    await this.ensure(realm);
    const now = this.clock.now();
    const keys = await this.repo.list(realm);
    for (const alg of signingAlgs) {
      const current = keys.filter((k) => k.alg === alg && k.status === 'current');
      const next = keys.find((k) => k.alg === alg && k.status === 'next');
      for (const k of current) await this.repo.setStatus(k.kid, 'retired', now);
      if (next) await this.repo.setStatus(next.kid, 'current', null);
      await this.generate(realm, alg, 'next');
    }
    for (const k of keys) {
      if (k.status === 'retired' && k.retiredAt !== null && now - k.retiredAt > retiredKeyRetentionMs) await this.repo.remove(k.kid);
    }
    await this.changed(realm);
  }

  /** Drops the realm's keys here and, through `changes`, on every node. */
  private async changed(realm: string): Promise<void> {
    this.cache.delete(realm);
    await this.changes?.announce('keys', realm);
  }

  async list(realm: string): Promise<StoredKey[]> {
    return this.repo.list(realm);
  }

  async signingKey(realm: string, alg: SigningAlg): Promise<SigningKey> {
    const keys = await this.load(realm);
    const current = keys.current.get(alg);
    if (!current) throw new Error(`realm ${realm} has no current ${alg} key`);
    let opening = keys.opened.get(current.kid);
    if (!opening) {
      opening = this.open(current);
      keys.opened.set(current.kid, opening);
      opening.catch(() => keys.opened.delete(current.kid));
    }
    return opening;
  }

  private async open({ kid, alg }: PublishedKey): Promise<SigningKey> {
    const sealed = await this.repo.sealedPrivateJwk(kid);
    if (sealed === undefined) throw new Error(`signing key ${kid} is gone`);
    const jwk = JSON.parse(this.sealer.open(sealed)) as JWK;
    return { kid, alg, key: createPrivateKey({ key: jwk as JsonWebKey, format: 'jwk' }) };
  }

  async jwks(realm: string): Promise<JSONWebKeySet> {
    return (await this.load(realm)).jwks;
  }

  /** Key resolver for jose's jwtVerify over the published keys. */
  async verifier(realm: string): Promise<ReturnType<typeof createLocalJWKSet>> {
    const keys = await this.load(realm);
    return (keys.verify ??= createLocalJWKSet(keys.jwks));
  }

  invalidate(realm: string): void {
    this.cache.delete(realm);
  }

  private load(realm: string): Promise<RealmKeys> {
    const cached = this.cache.get(realm);
    const now = this.clock.now();
    if (cached) {
      return cached.then((keys) => (now - keys.loadedAt < keysCacheTtlMs ? keys : this.reload(realm, keys)));
    }
    return this.reload(realm);
  }

  /** `previous`: the realm's expired entry, whose opened keys still current are kept. */
  private reload(realm: string, previous?: RealmKeys): Promise<RealmKeys> {
    const loading = this.read(realm, previous);
    this.cache.set(realm, loading);
    loading.catch(() => this.cache.delete(realm));
    return loading;
  }

  private async read(realm: string, previous?: RealmKeys): Promise<RealmKeys> {
    const now = this.clock.now();
    let keys = await this.repo.published(realm);
    if (!signingAlgs.every((alg) => keys.some((k) => k.alg === alg && k.status === 'current'))) {
      await this.ensure(realm);
      keys = await this.repo.published(realm);
    }
    keys.sort((a, b) => a.createdAt - b.createdAt || a.kid.localeCompare(b.kid));
    const current = new Map<SigningAlg, PublishedKey>();
    // The newest current key of an algorithm signs, so every node picks the same one.
    for (const k of keys) if (k.status === 'current') current.set(k.alg, k);
    const opened = new Map<string, Promise<SigningKey>>();
    for (const { kid } of current.values()) {
      const key = previous?.opened.get(kid);
      if (key) opened.set(kid, key);
    }
    const published = keys.filter((k) => k.status !== 'retired' || (k.retiredAt !== null && now - k.retiredAt <= retiredKeyRetentionMs));
    const jwks: JSONWebKeySet = { keys: published.map((k) => ({ ...k.publicJwk, kid: k.kid, alg: k.alg, use: 'sig' })) };
    return { loadedAt: now, current, opened, jwks };
  }

  private async generate(realm: string, alg: SigningAlg, status: 'current' | 'next'): Promise<void> {
    const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}) });
    const publicJwk = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(publicJwk);
    const privateJwk = await exportJWK(privateKey);
    await this.repo.insert({
      kid, realm, alg, status, publicJwk: publicJwk as Record<string, unknown>,
      encryptedPrivateJwk: this.sealer.seal(JSON.stringify(privateJwk)), createdAt: this.clock.now(), retiredAt: null,
    });
  }
}
