// Device flow user codes (RFC 8628 §6.1): what people are shown, what they may type, how it is stored.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseClient } from '../../src/admin/realm-file.js';
import { newUserCode, normalizeUserCode, userCodeHash } from '../../src/authorization/user-code.js';
import { createSealer } from '../../src/tokens/master-key.js';

test('user codes are 8 consonants shown as XXXX-XXXX, with no vowels or look-alike digits', () => {
  const codes = new Set(Array.from({ length: 200 }, () => newUserCode()));
  assert.ok(codes.size > 195, 'codes are random');
  for (const code of codes) assert.match(code, /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
});

test('a typed code is compared case-insensitively, ignoring dashes and spaces; anything else is no code', () => {
  assert.equal(normalizeUserCode('bcdf-ghjk'), 'BCDFGHJK');
  assert.equal(normalizeUserCode(' BCDF GHJK '), 'BCDFGHJK');
  assert.equal(normalizeUserCode('BCDFGHJ'), undefined);
  assert.equal(normalizeUserCode('BCDF-GHJA'), undefined);   // a vowel is never in a code
  assert.equal(normalizeUserCode('BCDF-GHJ0'), undefined);
});

test('user codes are stored as a digest keyed with the master key', () => {
  const one = createSealer('master-key-one-master-key-one-0123456789');
  const two = createSealer('master-key-two-master-key-two-0123456789');
  assert.equal(userCodeHash(one, 'BCDFGHJK'), userCodeHash(one, 'BCDFGHJK'));
  assert.notEqual(userCodeHash(one, 'BCDFGHJK'), userCodeHash(two, 'BCDFGHJK'));
  assert.ok(!userCodeHash(one, 'BCDFGHJK').includes('BCDFGHJK'));
});

test('a realm file client may use the device_code grant without redirect URIs', () => {
  const { metadata } = parseClient({ client_id: 'tv', token_endpoint_auth_method: 'none', grant_types: ['urn:ietf:params:oauth:grant-type:device_code'] }, 'client');
  assert.deepEqual(metadata.grant_types, ['urn:ietf:params:oauth:grant-type:device_code']);
  assert.deepEqual(metadata.response_types, []);
});
