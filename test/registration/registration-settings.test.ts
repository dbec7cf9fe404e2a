// Realm-file settings for dynamic client registration (RFC 7591 §3): `registration` ("open" or
// "protected", the default) and `initial_access_tokens`; how import stores them, what export
// writes, and the CLI command that issues a token.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { exportRealm, importRealm, parseRealmFile, RealmFileError } from '../../src/admin/realm-file.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { strixCommand } from '../helpers/command.js';

const token = 'a-long-enough-initial-access-token';
const realmWith = (extra: Record<string, unknown>) => ({ realms: [{ name: 'demo', ...extra }] });

function assertRejected(extra: Record<string, unknown>, where: string): void {
  assert.throws(() => parseRealmFile(realmWith(extra), 'file'), (error: unknown) => {
    assert.ok(error instanceof RealmFileError, String(error));
    assert.ok(error.message.includes(where), `"${error.message}" does not say ${where}`);
    return true;
  });
}

describe('realm file: dynamic registration settings', () => {
  test('registration is protected, with no initial access tokens, unless the file says otherwise', () => {
    const [realm] = parseRealmFile(realmWith({}), 'file');
    assert.equal(realm!.registration, 'protected');
    assert.deepEqual(realm!.initialAccessTokens, []);
  });

  test('"registration": "open" and a list of initial access tokens are read', () => {
    const [realm] = parseRealmFile(realmWith({ registration: 'open', initial_access_tokens: [token, token] }), 'file');
    assert.equal(realm!.registration, 'open');
    assert.deepEqual(realm!.initialAccessTokens, [token]);
  });

  test('they are realm settings, not client metadata or realm token settings', () => {
    const [realm] = parseRealmFile(realmWith({ registration: 'protected', initial_access_tokens: [token] }), 'file');
    assert.equal((realm!.settings as unknown as Record<string, unknown>).initial_access_tokens, undefined);
    assert.equal((realm!.settings as unknown as Record<string, unknown>).registration, undefined);
  });

  test('a registration other than "open" or "protected" is refused', () => {
    assertRejected({ registration: 'anonymous' }, 'realms[0].registration');
    assertRejected({ registration: true }, 'realms[0].registration');
  });

  test('initial access tokens must be a list of strings of at least 16 characters', () => {
    assertRejected({ initial_access_tokens: token }, 'realms[0].initial_access_tokens');
    assertRejected({ initial_access_tokens: [42] }, 'realms[0].initial_access_tokens');
    assertRejected({ initial_access_tokens: ['short-token'] }, 'realms[0].initial_access_tokens');
    assertRejected({ initial_access_tokens: ['has spaces in the token value'] }, 'realms[0].initial_access_tokens');
  });
});

describe('realm import and export: dynamic registration settings', () => {
  let server: TestServer;
  before(async () => { server = await startServer('sqlite', realmWith({ registration: 'open', initial_access_tokens: [token] })); });
  after(async () => { await server?.close(); });

  const digest = (t: string) => server.services.sealer.digest(t);

  test('import stores the policy and only a keyed digest of each token', async () => {
    const { registrations } = server.services.store;
    assert.equal(await registrations.policy('demo'), 'open');
    assert.equal(await registrations.isInitialAccessToken('demo', digest(token), Date.now()), true);
    assert.equal(await registrations.isInitialAccessToken('demo', token, Date.now()), false);
    assert.equal(await registrations.isInitialAccessToken('master', digest(token), Date.now()), false);
  });

  test('export writes the policy but never the tokens', async () => {
    const exported = await exportRealm(server.services, 'demo');
    assert.equal(exported!.registration, 'open');
    assert.equal(exported!.initial_access_tokens, undefined);
    assert.ok(!JSON.stringify(exported).includes(token));
  });

  test('re-importing replaces the file\'s tokens and keeps tokens issued otherwise', async () => {
    const { registrations } = server.services.store;
    await registrations.addInitialAccessToken('demo', digest('issued-by-the-cli-0123456789'), { id: 'cli', expiresAt: null, count: null }, server.clock.now());
    const next = 'the-next-initial-access-token';
    for (const realm of parseRealmFile(realmWith({ initial_access_tokens: [next] }), 'file')) await importRealm(server.services, realm);
    assert.equal(await registrations.policy('demo'), 'protected');
    assert.equal(await registrations.isInitialAccessToken('demo', digest(token), Date.now()), false);
    assert.equal(await registrations.isInitialAccessToken('demo', digest(next), Date.now()), true);
    assert.equal(await registrations.isInitialAccessToken('demo', digest('issued-by-the-cli-0123456789'), Date.now()), true);
  });
});

describe('strix registration token', () => {
  let dir: string;
  before(() => { dir = mkdtempSync(join(tmpdir(), 'strix-registration-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('prints a new initial access token once and stores only its digest', async () => {
    const databaseUrl = `sqlite:${join(dir, 'strix.db')}`;
    const env = { PATH: process.env.PATH, STRIX_DATABASE_URL: databaseUrl, STRIX_MASTER_KEY: 'registration-test-master-key-0123456789', STRIX_ADMIN_PASSWORD: 'admin-password-for-tests' };
    const run = (...args: string[]) => promisify(execFile)(process.execPath, [strixCommand, ...args], { env, cwd: dir });
    await run('migrate');
    const { bootstrap } = await import('../../src/admin/bootstrap.js');
    const { createLogger, createServices } = await import('../../src/app.js');
    const { loadConfig } = await import('../../src/config.js');
    const config = loadConfig(env);
    const services = await createServices(config, createLogger('silent'));
    try {
      await bootstrap(services, () => {});
      const { stdout } = await run('registration', 'token', '--realm', 'master');
      const issued = stdout.match(/initial access token: (\S+)/)?.[1];
      assert.ok(issued && issued.length >= 43, stdout);
      assert.equal(await services.store.registrations.isInitialAccessToken('master', services.sealer.digest(issued), Date.now()), true);
      await assert.rejects(run('registration', 'token', '--realm', 'nowhere'), /no realm named nowhere/);
    } finally {
      await services.store.close();
    }
  });
});
