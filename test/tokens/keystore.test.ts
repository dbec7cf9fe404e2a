// Signing keys: generation, rotation with an overlap window, and encryption at rest.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { openStore, type Store } from '../../src/store/index.js';
import { signJwt } from '../../src/tokens/jws.js';
import { Keystore, keysCacheTtlMs, retiredKeyRetentionMs } from '../../src/tokens/keystore.js';
import { createSealer } from '../../src/tokens/master-key.js';
import { defaultRealmSettings } from '../../src/store/realms.js';
import { testClock } from '../helpers/server.js';

describe('keystore', () => {
  let dir: string;
  let store: Store;
  const clock = testClock();
  const sealer = createSealer('a-master-key-of-at-least-32-characters!');
  let keystore: Keystore;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'strix-keys-'));
    store = await openStore(`sqlite:${dir}/keys.db`);
    await store.realms.upsert({ name: 'demo', displayName: 'Demo', settings: defaultRealmSettings }, clock.now());
    keystore = new Keystore(store.signingKeys, sealer, clock);
    await keystore.ensure('demo');
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a realm gets a current and a next key for RS256, ES256 and EdDSA, all published', async () => {
    const keys = await keystore.list('demo');
    for (const alg of ['RS256', 'ES256', 'EdDSA']) {
      assert.equal(keys.filter((k) => k.alg === alg && k.status === 'current').length, 1, alg);
      assert.equal(keys.filter((k) => k.alg === alg && k.status === 'next').length, 1, alg);
    }
    const jwks = await keystore.jwks('demo');
    assert.equal(jwks.keys.length, 6);
    assert.equal(new Set(jwks.keys.map((k) => k.kid)).size, 6);
    for (const key of jwks.keys) {
      for (const secret of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) assert.equal(secret in key, false, `JWKS leaks ${secret}`);
      assert.equal(key.use, 'sig');
    }
  });

  test('private keys are stored encrypted, not as JWK', async () => {
    for (const key of await store.signingKeys.list('demo')) {
      assert.ok(key.encryptedPrivateJwk.startsWith('v1.'));
      assert.equal(key.encryptedPrivateJwk.includes('"d"'), false);
    }
  });

  test('JWTs signed with the current key of each algorithm verify with jose against the published JWKS', async () => {
    const jwks = createLocalJWKSet(await keystore.jwks('demo'));
    for (const alg of ['RS256', 'ES256', 'EdDSA'] as const) {
      const key = await keystore.signingKey('demo', alg);
      const token = await signJwt({ sub: 'alice', n: 1, nested: { a: [1, 'b'] } }, { alg, kid: key.kid, typ: 'at+jwt' }, key.key);
      const { payload, protectedHeader } = await jwtVerify(token, jwks, { typ: 'at+jwt' });
      assert.deepEqual(protectedHeader, { alg, kid: key.kid, typ: 'at+jwt' });
      assert.deepEqual(payload, { sub: 'alice', n: 1, nested: { a: [1, 'b'] } });
      // RFC 7518 §3.4: an ES256 signature is r ‖ s, 64 bytes, not DER.
      if (alg === 'ES256') assert.equal(Buffer.from(token.split('.')[2]!, 'base64url').length, 64);
      const tampered = `${token.split('.').slice(0, 2).join('.')}.${Buffer.alloc(alg === 'RS256' ? 256 : 64, 1).toString('base64url')}`;
      await assert.rejects(jwtVerify(tampered, jwks), /signature verification failed/);
    }
  });

  test('another master key cannot open the stored private keys', async () => {
    const [key] = await store.signingKeys.list('demo');
    const other = createSealer('a-different-master-key-of-32-characters');
    assert.throws(() => other.open(key!.encryptedPrivateJwk), /STRIX_MASTER_KEY/);
  });

  test('CORE-27, DYN-17: rotation promotes the pre-published next key and keeps the old key verifying', async () => {
    const before = await keystore.signingKey('demo', 'ES256');
    const nextKid = (await keystore.list('demo')).find((k) => k.alg === 'ES256' && k.status === 'next')!.kid;
    const oldToken = await signJwt({ hello: 'world' }, { alg: 'ES256', kid: before.kid, typ: 'JWT' }, before.key);

    await keystore.rotate('demo');
    const after = await keystore.signingKey('demo', 'ES256');
    assert.equal(after.kid, nextKid);
    const jwks = await keystore.jwks('demo');
    assert.ok(jwks.keys.some((k) => k.kid === before.kid), 'the retired key stays published');
    await jwtVerify(oldToken, createLocalJWKSet(jwks));
  });

  test('a rotation made elsewhere without an announcement is signed with once the keys are read again, and not before', async () => {
    const other = new Keystore(store.signingKeys, sealer, clock);
    const before = await keystore.signingKey('demo', 'ES256');
    assert.equal((await keystore.signingKey('demo', 'ES256')).key, before.key, 'an opened key is reused');
    const nextKid = (await keystore.list('demo')).find((k) => k.alg === 'ES256' && k.status === 'next')!.kid;
    await other.rotate('demo');
    assert.equal((await keystore.signingKey('demo', 'ES256')).kid, before.kid, 'within the TTL the cached keys stand');
    clock.advance(keysCacheTtlMs / 1000 + 1);
    const after = await keystore.signingKey('demo', 'ES256');
    assert.equal(after.kid, nextKid);
    const token = await signJwt({ n: 1 }, { alg: 'ES256', kid: after.kid, typ: 'JWT' }, after.key);
    await jwtVerify(token, createLocalJWKSet(await other.jwks('demo')));
    clock.advance(keysCacheTtlMs / 1000 + 1);
    assert.equal((await keystore.signingKey('demo', 'ES256')).key, after.key, 'a key still current is not opened again after the TTL');
  });

  test('a retired key leaves the JWKS after the retention window', async () => {
    const retired = (await keystore.list('demo')).filter((k) => k.status === 'retired').map((k) => k.kid);
    assert.ok(retired.length > 0);
    clock.advance(retiredKeyRetentionMs / 1000 + 60);
    keystore.invalidate('demo');
    const published = (await keystore.jwks('demo')).keys.map((k) => k.kid);
    for (const kid of retired) assert.equal(published.includes(kid), false);
  });

  test('at start, a realm without keys gets them and a realm with keys keeps its own (ensureEveryRealm)', async () => {
    await store.realms.upsert({ name: 'keyless', displayName: 'Keyless', settings: defaultRealmSettings }, clock.now());
    const before = (await keystore.list('demo')).map((k) => k.kid).sort();
    await keystore.ensureEveryRealm();
    assert.deepEqual((await keystore.list('demo')).map((k) => k.kid).sort(), before);
    const keys = await keystore.list('keyless');
    for (const alg of ['RS256', 'ES256', 'EdDSA']) {
      for (const status of ['current', 'next']) assert.equal(keys.filter((k) => k.alg === alg && k.status === status).length, 1, `${alg} ${status}`);
    }
    assert.deepEqual(await store.signingKeys.realmsLacking(['RS256', 'ES256', 'EdDSA']), []);
  });
});
