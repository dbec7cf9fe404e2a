// Imported password hashes (src/identity/password-hashes.ts): Keycloak's pbkdf2 and argon2 verify
// at sign-in, absurd parameters are refused, and every one of them is re-hashed to argon2id after.
import assert from 'node:assert/strict';
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { hash as argon2Hash } from '@node-rs/argon2';
import bcrypt from 'bcryptjs';
import { argon2PhcHash, hashProblem, keycloakPbkdf2Hash, parseHash, type Pbkdf2Digest } from '../../src/identity/password-hashes.js';
import { needsRehash, verifyPassword } from '../../src/identity/passwords.js';
import { defaultPasswordPolicy } from '../../src/store/realms.js';

const password = 'correct horse battery staple';

/** A pbkdf2 hash as Keycloak computes it (PBKDF2WithHmacSHA*, UTF-8 password, 16-byte salt). */
function keycloakPbkdf2(digest: Pbkdf2Digest, iterations: number, keyBits: number, secret = password): string {
  const salt = randomBytes(16);
  const key = pbkdf2Sync(Buffer.from(secret, 'utf8'), salt, iterations, keyBits / 8, digest);
  return keycloakPbkdf2Hash(digest, iterations, salt.toString('base64'), key.toString('base64'));
}

describe('imported password hashes', () => {
  for (const [digest, iterations, bits] of [['sha256', 27_500, 256], ['sha256', 27_500, 512], ['sha512', 210_000, 512], ['sha1', 20_000, 160], ['sha1', 1, 512]] as const) {
    test(`Keycloak pbkdf2-${digest} with ${iterations} iterations and a ${bits}-bit key verifies the right password only`, async () => {
      const stored = keycloakPbkdf2(digest, iterations, bits);
      assert.equal(hashProblem(stored), undefined);
      assert.equal(await verifyPassword(stored, password), true);
      assert.equal(await verifyPassword(stored, 'correct horse battery stapler'), false);
      assert.equal(await verifyPassword(stored, ''), false);
    });
  }

  test('bcrypt ($2a$, $2b$, $2y$, as Auth0 exports it) verifies the right password only, and is re-hashed', async () => {
    for (const prefix of ['$2a$', '$2b$', '$2y$']) {
      const stored = bcrypt.hashSync('auth0 passphrase', 10).replace(/^\$2[aby]\$/, prefix);
      assert.equal(await verifyPassword(stored, 'auth0 passphrase'), true, prefix);
      assert.equal(await verifyPassword(stored, 'auth0 passphrasf'), false, prefix);
      assert.equal(needsRehash(stored, defaultPasswordPolicy.hashing), true);
    }
  });

  test('a non-ASCII password is hashed as UTF-8, as Java\'s PBKDF2 does', async () => {
    const stored = keycloakPbkdf2('sha256', 1000, 512, 'pässwörd ✓');
    assert.equal(await verifyPassword(stored, 'pässwörd ✓'), true);
    assert.equal(await verifyPassword(stored, 'passwort ✓'), false);
  });

  for (const type of ['id', 'i'] as const) {
    test(`Keycloak argon2${type} with its defaults (32-byte hash, 7168 KiB, 5 iterations, 1 lane, version 1.3) verifies the right password only`, async () => {
      const salt = randomBytes(16);
      // The raw hash Keycloak keeps in secretData.value, rebuilt into a PHC string as the import does.
      const phc = await argon2Hash(password, { algorithm: type === 'id' ? 2 : 1, memoryCost: 7168, timeCost: 5, parallelism: 1, outputLen: 32, salt });
      const raw = Buffer.from(phc.split('$').pop()!, 'base64');
      const stored = argon2PhcHash({ type, version: '1.3', memory: 7168, iterations: 5, parallelism: 1, salt, hash: raw });
      assert.equal(stored, phc);
      assert.equal(hashProblem(stored), undefined);
      assert.equal(await verifyPassword(stored, password), true);
      assert.equal(await verifyPassword(stored, 'Correct horse battery staple'), false);
    });
  }

  test('every imported format, and argon2id with other parameters, is re-hashed after sign-in', () => {
    const { hashing } = defaultPasswordPolicy;
    assert.equal(needsRehash(keycloakPbkdf2('sha512', 1, 512), hashing), true);
    assert.equal(needsRehash('$argon2id$v=19$m=7168,t=5,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g', hashing), true);
    assert.equal(needsRehash('$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy', hashing), true);
  });

  test('absurd parameters are refused before anything is computed, naming the parameter', () => {
    const salt = randomBytes(16).toString('base64');
    const key = randomBytes(32).toString('base64');
    assert.match(hashProblem(keycloakPbkdf2Hash('sha256', 1_000_000_000, salt, key))!, /pbkdf2 iterations 1000000000 is outside 1–2000000/);
    assert.match(hashProblem(keycloakPbkdf2Hash('sha256', 0, salt, key))!, /pbkdf2 iterations/);
    assert.match(hashProblem(keycloakPbkdf2Hash('sha256', 27_500, salt, randomBytes(129).toString('base64')))!, /pbkdf2 hash must be 1 to 128 bytes/);
    assert.match(hashProblem(keycloakPbkdf2Hash('sha256', 27_500, 'not base64!', key))!, /salt is not base64/);
    const big = argon2PhcHash({ type: 'id', version: '1.3', memory: 4_194_304, iterations: 1, parallelism: 1, salt: randomBytes(16), hash: randomBytes(32) });
    assert.match(hashProblem(big)!, /argon2 memory \(KiB\) 4194304 is outside/);
    const slow = argon2PhcHash({ type: 'id', version: '1.3', memory: 1_048_576, iterations: 10, parallelism: 1, salt: randomBytes(16), hash: randomBytes(32) });
    assert.match(hashProblem(slow)!, /memory × iterations/);
    assert.match(hashProblem('$md5$whatever')!, /not a password hash Strix knows/);
    assert.throws(() => parseHash('plain text'), /not a password hash/);
  });

  test('a stored pbkdf2 hash beyond the limits never matches, and costs nothing', async () => {
    const salt = randomBytes(16).toString('base64');
    const started = performance.now();
    assert.equal(await verifyPassword(keycloakPbkdf2Hash('sha512', 1_000_000_000, salt, randomBytes(64).toString('base64')), password), false);
    assert.ok(performance.now() - started < 1000);
  });
});
