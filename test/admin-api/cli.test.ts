// The `strix` command as an operator uses it: import, users, clients, keys, export, bad settings.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { testRealm } from '../helpers/realm.js';
import { strixCommand } from '../helpers/command.js';

const run = promisify(execFile);

describe('strix CLI', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const strix = (...args: string[]) => run(process.execPath, [strixCommand, ...args], { env, cwd: dir });

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'strix-cli-'));
    writeFileSync(join(dir, 'realm.json'), JSON.stringify(testRealm()));
    env = { PATH: process.env.PATH, STRIX_DATABASE_URL: `sqlite:${join(dir, 'strix.db')}`, STRIX_MASTER_KEY: 'cli-test-master-key-cli-test-master-key' };
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('import creates a realm, and importing again only updates it', async () => {
    assert.match((await strix('import', 'realm.json')).stdout, /created realm demo: 4 clients, 2 users/);
    assert.match((await strix('import', 'realm.json')).stdout, /updated realm demo/);
  });

  test('users add prints a generated password once; adding the same user again fails', async () => {
    const { stdout } = await strix('users', 'add', 'carol', '--realm', 'demo', '--role', 'viewer');
    assert.match(stdout, /created user carol with password: \S{12,}/);
    await assert.rejects(strix('users', 'add', 'carol', '--realm', 'demo'), /already exists/);
  });

  test('clients add prints a secret, and rotate-secret prints a different one', async () => {
    const created = (await strix('clients', 'add', 'cli-app', '--realm', 'demo', '--redirect-uri', 'https://app.example.com/cb')).stdout;
    const rotated = (await strix('clients', 'rotate-secret', 'cli-app', '--realm', 'demo')).stdout;
    const secret = (text: string) => text.match(/client_secret: (\S+)/)?.[1];
    assert.ok(secret(created) && secret(rotated));
    assert.notEqual(secret(created), secret(rotated));
  });

  test('clients disable marks the client disabled and enable lets it back', async () => {
    const { openStore } = await import('../../src/store/index.js');
    assert.match((await strix('clients', 'disable', 'service', '--realm', 'demo')).stdout, /disabled client service/);
    const store = await openStore(env.STRIX_DATABASE_URL!);
    try {
      assert.equal((await store.clients.get('demo', 'service'))?.enabled, false);
    } finally {
      await store.close();
    }
    assert.match((await strix('clients', 'enable', 'service', '--realm', 'demo')).stdout, /enabled client service/);
    await assert.rejects(strix('clients', 'disable', 'nobody', '--realm', 'demo'), /no client nobody/);
  });

  test('keys rotate makes the next key current and retires the old one', async () => {
    const kidsWith = (listing: string, status: string) =>
      listing.split('\n').filter((line) => new RegExp(`\\b${status}\\b`).test(line)).map((line) => line.split(' ')[0]).sort();
    const before = (await strix('keys', 'list', '--realm', 'demo')).stdout;
    await strix('keys', 'rotate', '--realm', 'demo');
    const after = (await strix('keys', 'list', '--realm', 'demo')).stdout;
    assert.deepEqual(kidsWith(after, 'current'), kidsWith(before, 'next'));
    assert.deepEqual(kidsWith(after, 'retired'), kidsWith(before, 'current'));
  });

  test('export writes a realm file that import accepts, without client secrets', async () => {
    await strix('export', '--realm', 'demo', '--out', 'export.json');
    const exported = readFileSync(join(dir, 'export.json'), 'utf8');
    assert.equal(exported.includes('web-secret'), false);
    const parsed = JSON.parse(exported);
    assert.equal(parsed.realms[0].name, 'demo');
    assert.ok(parsed.realms[0].users.some((u: { username: string }) => u.username === 'carol'));
    assert.match((await strix('import', 'export.json')).stdout, /updated realm demo/);
  });

  test('users disable disables the account', async () => {
    assert.match((await strix('users', 'disable', 'carol', '--realm', 'demo')).stdout, /disabled carol/);
  });

  test('roles add makes a composite role and refuses an unknown composite or a duplicate; roles list shows them; roles remove deletes one', async () => {
    assert.match((await strix('roles', 'add', 'editor', '--realm', 'demo', '--composite', 'viewer', '--description', 'Edits')).stdout, /created role editor/);
    assert.match((await strix('roles', 'list', '--realm', 'demo')).stdout, /^editor {2}→ viewer {2}\(Edits\)$/m);
    await assert.rejects(strix('roles', 'add', 'boss', '--realm', 'demo', '--composite', 'ghost'), /composites\[0\]: the realm has no role ghost/);
    assert.match((await strix('roles', 'add', 'chief', '--realm', 'demo', '--composite', 'editor')).stdout, /created role chief/);
    await assert.rejects(strix('roles', 'add', 'editor', '--realm', 'demo'), /already exists/);
    assert.match((await strix('roles', 'remove', 'chief', '--realm', 'demo')).stdout, /deleted role chief/);
    assert.doesNotMatch((await strix('roles', 'list', '--realm', 'demo')).stdout, /^chief/m);
  });

  test('groups add creates nested groups with roles; add-member puts a user in one; groups list shows the paths', async () => {
    assert.match((await strix('groups', 'add', '/engineering', '--realm', 'demo')).stdout, /created group \/engineering/);
    assert.match((await strix('groups', 'add', '/engineering/backend', '--realm', 'demo', '--role', 'viewer')).stdout, /created group \/engineering\/backend/);
    await assert.rejects(strix('groups', 'add', '/nowhere/backend', '--realm', 'demo'), /no group \/nowhere/);
    await assert.rejects(strix('groups', 'add', '/engineering/backend', '--realm', 'demo'), /already exists/);
    assert.match((await strix('groups', 'add-member', '/engineering/backend', 'alice', '--realm', 'demo')).stdout, /alice is a member of \/engineering\/backend/);
    assert.equal((await strix('groups', 'list', '--realm', 'demo')).stdout, '/engineering\n/engineering/backend  roles: viewer\n');
  });

  test('a bad setting stops the command with a message naming it', async () => {
    await assert.rejects(run(process.execPath, [strixCommand, 'migrate'], { env: { ...env, STRIX_PORT: 'eighty' }, cwd: dir }), /STRIX_PORT/);
  });
});
