// Password policy rules and argon2id parameters (docs/security.md "Password policy").
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseRealmFile, RealmFileError } from '../../src/admin/realm-file.js';
import { hashPassword, needsRehash, verifyPassword } from '../../src/identity/passwords.js';
import { passwordProblems } from '../../src/security/password-policy.js';
import { defaultPasswordPolicy } from '../../src/store/realms.js';

const owner = { username: 'alice', email: 'alice@example.com' };

describe('password policy', () => {
  test('a long, uncommon password that is neither the username nor the email passes the default policy', async () => {
    assert.deepEqual(await passwordProblems(defaultPasswordPolicy, 'correct horse battery staple', owner), []);
  });

  test('a password shorter than min_length is refused, counting characters not bytes', async () => {
    assert.match((await passwordProblems(defaultPasswordPolicy, 'abc12', owner)).join(), /at least 8 characters/);
    assert.deepEqual(await passwordProblems({ ...defaultPasswordPolicy, not_common: false }, 'ééééééééé', owner), []);
  });

  test('a password longer than max_length is refused', async () => {
    assert.match((await passwordProblems(defaultPasswordPolicy, 'x'.repeat(129), owner)).join(), /at most 128/);
  });

  test('the username and the email address are refused, whatever their case', async () => {
    const policy = { ...defaultPasswordPolicy, min_length: 1 };
    assert.match((await passwordProblems(policy, 'ALICE', owner)).join(), /username/);
    assert.match((await passwordProblems(policy, 'Alice@Example.com', owner)).join(), /email/);
  });

  test('one of the most common passwords is refused, and the rule can be switched off', async () => {
    assert.match((await passwordProblems(defaultPasswordPolicy, 'Password1', owner)).join(), /most commonly used/);
    assert.match((await passwordProblems(defaultPasswordPolicy, 'qwertyuiop', owner)).join(), /most commonly used/);
    assert.deepEqual(await passwordProblems({ ...defaultPasswordPolicy, not_common: false }, 'qwertyuiop', owner), []);
  });

  test('a hash made with other argon2id parameters needs re-hashing; one made with the policy\'s does not', async () => {
    const cheap = await hashPassword('correct horse battery staple', { memory_cost: 8_192, time_cost: 1, parallelism: 1 });
    assert.equal(needsRehash(cheap, defaultPasswordPolicy.hashing), true);
    assert.equal(needsRehash(await hashPassword('correct horse battery staple'), defaultPasswordPolicy.hashing), false);
    assert.equal(needsRehash('$2b$10$somebcrypthash', defaultPasswordPolicy.hashing), true);
  });

  const realmWith = (password_policy: unknown) => ({ realms: [{ name: 'r', password_policy }] });

  test('many verifications at once (more than there are cores, which take turns) each get their own right answer', async () => {
    const cheap = { memory_cost: 8_192, time_cost: 1, parallelism: 1 };
    const [alice, bob] = await Promise.all([hashPassword('alice-password', cheap), hashPassword('bob-password', cheap)]);
    const checks = Array.from({ length: 12 }, (_, i) => ({
      hash: i % 2 === 0 ? alice : bob, password: i % 3 === 0 ? 'alice-password' : 'bob-password',
    }));
    const results = await Promise.all(checks.map((c) => verifyPassword(c.hash, c.password)));
    assert.deepEqual(results, checks.map((c) => (c.hash === alice) === (c.password === 'alice-password')));
    // A failing verification (a malformed hash) gives its turn back: later ones still run.
    assert.equal(await verifyPassword('not-a-hash', 'x'), false);
    assert.equal(await verifyPassword(alice, 'alice-password'), true);
  });

  test('a realm file may set part of the policy; the rest keeps its defaults', () => {
    const [realm] = parseRealmFile(realmWith({ min_length: 12, hashing: { time_cost: 3 } }), 'f');
    assert.equal(realm!.settings.password_policy.min_length, 12);
    assert.equal(realm!.settings.password_policy.hashing.time_cost, 3);
    assert.equal(realm!.settings.password_policy.hashing.memory_cost, 19_456);
    assert.equal(realm!.settings.password_policy.not_common, true);
  });

  for (const [bad, where] of [
    [{ min_lenght: 12 }, 'password_policy.min_lenght'],
    [{ hashing: { memory_cost: 1024 } }, 'password_policy.hashing.memory_cost'],
    [{ history: 30 }, 'password_policy.history'],
    [{ min_length: 40, max_length: 20 }, 'password_policy.min_length'],
    [{ not_common: 'yes' }, 'password_policy.not_common'],
  ] as const) {
    test(`a realm file with password_policy ${JSON.stringify(bad)} is refused, naming ${where}`, () => {
      assert.throws(() => parseRealmFile(realmWith(bad), 'f'), (error: Error) => error instanceof RealmFileError && error.message.includes(where));
    });
  }
});
