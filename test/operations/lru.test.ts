// The bound on per-realm and per-client caches (src/store/lru.ts): memory follows the realms in use,
// not the realms in the database.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Lru } from '../../src/store/lru.js';
import { RecentCache } from '../../src/store/recent-cache.js';

describe('bounded caches', () => {
  test('an LRU full of entries forgets the least recently used one, and reading an entry keeps it', () => {
    const lru = new Lru<string, number>(2);
    lru.set('a', 1);
    lru.set('b', 2);
    assert.equal(lru.get('a'), 1);
    lru.set('c', 3);
    assert.equal(lru.get('b'), undefined);
    assert.equal(lru.get('a'), 1);
    assert.equal(lru.get('c'), 3);
    assert.equal(lru.size, 2);
  });

  test('setting a key that is there replaces its value without evicting another', () => {
    const lru = new Lru<string, number>(2);
    lru.set('a', 1);
    lru.set('b', 2);
    lru.set('a', 10);
    assert.equal(lru.get('a'), 10);
    assert.equal(lru.get('b'), 2);
  });

  test('a full RecentCache keeps the rows in use instead of starting empty', () => {
    const cache = new RecentCache<string>(60_000, 3);
    for (const key of ['a', 'b', 'c']) cache.set(key, key);
    cache.get('a');
    cache.set('d', 'd');
    assert.equal(cache.get('a'), 'a');
    assert.equal(cache.get('b'), undefined);
    assert.equal(cache.get('d'), 'd');
  });
});
