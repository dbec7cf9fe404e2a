// Random tokens (codes, refresh tokens, session secrets, jti) come from a pool of CSPRNG bytes
// (src/runtime.ts): every token must be fresh, whole and of the length asked for, across refills.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { randomToken } from '../../src/runtime.js';

test('tokens never repeat and have the requested number of random bytes, across many refills of the pool', () => {
  const seen = new Set<string>();
  // 32- and 16-byte tokens interleaved with odd sizes, so that refills happen mid-token.
  for (let i = 0; i < 3000; i++) {
    const bytes = [32, 16, 9, 31][i % 4]!;
    const token = randomToken(bytes);
    assert.equal(Buffer.from(token, 'base64url').length, bytes);
    assert.match(token, /^[A-Za-z0-9_-]+$/);
    assert.ok(!seen.has(token), 'a token came out twice');
    seen.add(token);
  }
  // Larger than the pool: still served.
  assert.equal(Buffer.from(randomToken(5000), 'base64url').length, 5000);
});

test('the bytes look uniformly random: each of the 256 values turns up about equally often', () => {
  const counts = new Array<number>(256).fill(0);
  for (let i = 0; i < 4000; i++) for (const byte of Buffer.from(randomToken(32), 'base64url')) counts[byte]!++;
  // 128,000 bytes: 500 expected per value; a stuck or reused pool would skew this far more.
  assert.ok(Math.min(...counts) > 350 && Math.max(...counts) < 650, `${Math.min(...counts)}..${Math.max(...counts)}`);
});
