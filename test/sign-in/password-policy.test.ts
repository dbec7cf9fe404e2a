// The password policy where passwords are set (realm import, CLI, first start) and the hash
// upgrade at sign-in, on each database.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { bootstrap } from '../../src/admin/bootstrap.js';
import { importRealm, parseRealmFile, RealmFileError } from '../../src/admin/realm-file.js';
import { hashPassword } from '../../src/identity/passwords.js';
import { changePassword, PasswordPolicyError } from '../../src/security/password-policy.js';
import { databases } from '../helpers/databases.js';
import { password, testRealm } from '../helpers/realm.js';
import { masterKey, startServer, testClock, type TestServer } from '../helpers/server.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.js';
import { openStore } from '../../src/store/index.js';
import { Keystore } from '../../src/tokens/keystore.js';
import { createSealer } from '../../src/tokens/master-key.js';
import { authorizeUrl, callbackParams, UserAgent } from '../helpers/user-agent.js';
import { strixCommand } from '../helpers/command.js';

const run = promisify(execFile);

for (const database of databases) {
  describe(`password policy (${database})`, () => {
    let server: TestServer;
    before(async () => { server = await startServer(database, testRealm()); });
    after(async () => { await server?.close(); });

    const realm = async () => (await server.services.store.realms.get('demo'))!;
    const user = async (name: string) => (await server.services.store.users.findByUsername('demo', name))!;

    test('importing a user with one of the most common passwords is refused, naming the user', async () => {
      const file = { realms: [{ name: 'demo', users: [{ username: 'weakling', password: 'iloveyou' }] }] };
      await assert.rejects(importRealm(server.services, parseRealmFile(file, 'weak.json')[0]!),
        (error: Error) => error instanceof RealmFileError && /user weakling/.test(error.message) && /common/.test(error.message));
      assert.equal(await server.services.store.users.findByUsername('demo', 'weakling'), undefined);
    });

    test('a new password may not repeat the current one or the last ones the history keeps', async () => {
      await changePassword(server.services, await realm(), await user('bob'), 'first new password 1');
      await changePassword(server.services, await realm(), await user('bob'), 'second new password 2');
      await assert.rejects(changePassword(server.services, await realm(), await user('bob'), 'second new password 2'), PasswordPolicyError);
      await assert.rejects(changePassword(server.services, await realm(), await user('bob'), 'first new password 1'), /last 3 passwords/);
      await assert.rejects(changePassword(server.services, await realm(), await user('bob'), password), PasswordPolicyError);
      await changePassword(server.services, await realm(), await user('bob'), 'a third, quite new one');
    });

    test('a password hashed with weaker argon2id parameters is re-hashed with the policy\'s at the next sign-in', async () => {
      const alice = await user('alice');
      await server.services.store.users.setPasswordHash(alice.id, await hashPassword(password, { memory_cost: 8_192, time_cost: 1, parallelism: 1 }), Date.now());
      const browser = new UserAgent(server.url);
      const login = await browser.open(authorizeUrl(server.issuer(), { client_id: 'trusted', redirect_uri: 'http://127.0.0.1:3999/callback', response_type: 'code', scope: 'openid' }));
      assert.ok(callbackParams(await browser.signIn(login, 'alice', password)).get('code'));
      assert.match((await user('alice')).passwordHash!, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    });

    test('strix users set-password refuses a password the policy forbids, with the reason', async () => {
      const env = { PATH: process.env.PATH, STRIX_DATABASE_URL: server.databaseUrl, STRIX_MASTER_KEY: 'test-master-key-test-master-key-0123456789' };
      await assert.rejects(run(process.execPath, [strixCommand, 'users', 'set-password', 'alice', '--realm', 'demo', '--password', 'alice'], { env }),
        (error: Error & { stderr?: string }) => /at least 8 characters/.test(error.stderr ?? '') && /username/.test(error.stderr ?? ''));
    });
  });
}

describe('the first start', () => {
  test('refuses a weak STRIX_ADMIN_PASSWORD and creates nothing, so a later start with a good one succeeds', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'strix-bootstrap-'));
    const store = await openStore(`sqlite:${dir}/strix.db`);
    try {
      const clock = testClock();
      const keystore = new Keystore(store.signingKeys, createSealer(masterKey), clock);
      const config = loadConfig({ STRIX_DATABASE_URL: `sqlite:${dir}/strix.db`, STRIX_ADMIN_PASSWORD: 'admin' });
      await assert.rejects(bootstrap({ store, keystore, clock, config }, () => {}), (error: Error) => error instanceof PasswordPolicyError && /at least 8/.test(error.message));
      assert.equal(await store.realms.get('master'), undefined);
      const lines: string[] = [];
      await bootstrap({ store, keystore, clock, config: { ...config, adminPassword: 'a much better admin password' } }, (line) => lines.push(line));
      assert.ok(await store.users.findByUsername('master', 'admin'));
      assert.match(lines.join(), /STRIX_ADMIN_PASSWORD/);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
