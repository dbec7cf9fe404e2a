// Brute-force settings in realm files (docs/security.md): defaults on, partial objects merge with
// the defaults, bad values are refused with the path of the setting, and the wait arithmetic.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parseRealmFile, RealmFileError } from '../../src/admin/realm-file.js';
import { addressBlockedUntil, disablesAccount, lockoutWait } from '../../src/security/brute-force.js';
import { openStore } from '../../src/store/index.js';
import { defaultBruteForceSettings, defaultRealmSettings } from '../../src/store/realms.js';

const parse = (brute_force?: unknown) =>
  parseRealmFile({ realms: [{ name: 'demo', ...(brute_force === undefined ? {} : { brute_force }) }] }, 'realm.json')[0]!.settings.brute_force;

describe('brute_force realm setting', () => {
  test('is on by default with Keycloak-like numbers', () => {
    assert.deepEqual(parse(), {
      enabled: true, failure_factor: 5, wait_increment: 60, max_wait: 900, failure_reset_time: 43_200,
      permanent_lockout: false, max_temporary_lockouts: 0, ip_failure_limit: 20, ip_failure_window: 900,
      realm_failure_limit: 100, realm_failure_window: 60,
    });
  });

  test('a partial object keeps the defaults of the settings it leaves out', () => {
    assert.deepEqual(parse({ failure_factor: 3, permanent_lockout: true }), { ...defaultBruteForceSettings, failure_factor: 3, permanent_lockout: true });
  });

  test('can be turned off', () => {
    assert.equal(parse({ enabled: false }).enabled, false);
  });

  test('max_temporary_lockouts may be 0', () => {
    assert.equal(parse({ max_temporary_lockouts: 0 }).max_temporary_lockouts, 0);
  });

  const rejected: [string, unknown, RegExp][] = [
    ['a list instead of an object', [], /realms\[0\]\.brute_force: must be an object/],
    ['true instead of an object', true, /realms\[0\]\.brute_force: must be an object/],
    ['a failure_factor of 0', { failure_factor: 0 }, /realms\[0\]\.brute_force\.failure_factor: must be a positive whole number/],
    ['a fractional ip_failure_limit', { ip_failure_limit: 2.5 }, /realms\[0\]\.brute_force\.ip_failure_limit: must be a positive whole number/],
    ['a wait_increment given as a string', { wait_increment: '60' }, /realms\[0\]\.brute_force\.wait_increment: must be a positive whole number of seconds/],
    ['a negative max_wait', { max_wait: -1 }, /realms\[0\]\.brute_force\.max_wait: must be a positive whole number of seconds/],
    ['enabled as a string', { enabled: 'yes' }, /realms\[0\]\.brute_force\.enabled: must be true or false/],
    ['a negative max_temporary_lockouts', { max_temporary_lockouts: -1 }, /realms\[0\]\.brute_force\.max_temporary_lockouts: must be a whole number, 0 or more/],
    ['a misspelt setting', { failure_facter: 3 }, /realms\[0\]\.brute_force\.failure_facter: is not a brute_force setting/],
  ];
  for (const [what, value, message] of rejected) {
    test(`${what} is refused with the setting's path`, () => {
      assert.throws(() => parse(value), (error: unknown) => error instanceof RealmFileError && message.test(error.message));
    });
  }

  test('a realm stored before the setting existed gets the defaults', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'strix-bf-'));
    const store = await openStore(`sqlite:${join(dir, 'strix.db')}`);
    try {
      const { brute_force: _omitted, ...older } = defaultRealmSettings;
      await store.realms.upsert({ name: 'old', displayName: 'Old', settings: older as typeof defaultRealmSettings }, Date.now());
      assert.deepEqual((await store.realms.get('old'))?.settings.brute_force, defaultBruteForceSettings);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('brute-force arithmetic', () => {
  const settings = { ...defaultBruteForceSettings, wait_increment: 60, max_wait: 150 };

  test('each lockout waits one wait_increment more, capped at max_wait', () => {
    assert.deepEqual([1, 2, 3, 4].map((n) => lockoutWait(settings, n)), [60, 120, 150, 150]);
  });

  test('permanent lockout disables the account on the lockout after max_temporary_lockouts', () => {
    const permanent = { ...settings, permanent_lockout: true, max_temporary_lockouts: 2 };
    assert.deepEqual([1, 2, 3].map((n) => disablesAccount(permanent, n)), [false, false, true]);
    assert.equal(disablesAccount({ ...permanent, max_temporary_lockouts: 0 }, 1), true);
    assert.equal(disablesAccount({ ...settings, permanent_lockout: false }, 100), false);
  });

  test('an address is blocked from its ip_failure_limit-th failure until its window ends', () => {
    const limits = { ...settings, ip_failure_limit: 3, ip_failure_window: 600 };
    assert.equal(addressBlockedUntil(limits, 2, 1_000), 0);
    assert.equal(addressBlockedUntil(limits, 3, 1_000), 601_000);
  });
});
