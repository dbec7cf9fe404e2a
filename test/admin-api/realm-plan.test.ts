// Realm files that converge (docs/admin-api.md "Plan and apply"): `strix plan` shows what applying a
// file would do and changes nothing; `strix apply` makes the realm what the file says, deleting only
// with --prune (and never the built-in clients nor the master realm's admins); secrets may be
// {"env": "VAR"} references in a file and are never printed. Through the functions on both databases,
// and through the command on SQLite.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { exportRealm, importRealm, parseRealm, parseRealmFile, withEnvSecrets } from '../../src/admin/realm-file.js';
import { applyRealm, planRealm, planText } from '../../src/admin/realm-plan.js';
import { databases } from '../helpers/databases.js';
import { tokenRequest } from '../helpers/user-agent.js';
import { testRealm } from '../helpers/realm.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { strixCommand } from '../helpers/command.js';

/** The test realm with these changes: a client and a user dropped, one of each added, one of each changed, a role added. */
function edited() {
  const demo = testRealm().realms[0]!;
  return {
    realms: [{
      ...demo, display_name: 'Demo, edited', roles: [...demo.roles, 'auditor'],
      clients: [
        ...demo.clients.filter((c) => c.client_id !== 'spa' && c.client_id !== 'service'),
        { client_id: 'service', client_secret: { env: 'PLAN_TEST_SERVICE_SECRET' }, grant_types: ['client_credentials'], scope: 'api:read' },
        { client_id: 'reports', client_secret: 'reports-secret', grant_types: ['client_credentials'], scope: 'api:read' },
      ],
      users: [
        { ...demo.users.find((u) => u.username === 'alice')!, given_name: 'Alicia' },
        { username: 'carol', password: { env: 'PLAN_TEST_CAROL_PASSWORD' }, email: 'carol@example.com' },
      ],
    }],
  };
}

/**
 * The test realm with client roles on web (editor brings reader), a group tree whose top carries a
 * realm role and a client role, and alice in a subgroup with a client role of her own.
 */
function withGroups(subgroups = [{ name: 'backend' }, { name: 'frontend' }]) {
  const demo = testRealm().realms[0]!;
  return {
    realms: [{
      ...demo,
      clients: demo.clients.map((c) => (c.client_id === 'web' ? { ...c, roles: [{ name: 'reader' }, { name: 'editor', composites: ['reader'] }] } : c)),
      groups: [{ name: 'engineering', roles: ['viewer'], client_roles: { web: ['editor'] }, subgroups }],
      users: demo.users.map((u) => (u.username === 'alice' ? { ...u, groups: ['/engineering/backend'], client_roles: { web: ['reader'] } } : u)),
    }],
  };
}

const env = { PLAN_TEST_SERVICE_SECRET: 'service-secret-from-the-environment', PLAN_TEST_CAROL_PASSWORD: 'carol chose a long passphrase' };

for (const database of databases) {
  describe(`plan and apply a realm file (${database})`, () => {
    let server: TestServer;
    before(async () => { server = await startServer(database, testRealm()); });
    after(async () => { await server?.close(); });
    const input = () => parseRealmFile(withEnvSecrets(edited(), 'realm.json', env), 'realm.json')[0]!;

    test('plan names every change and deletes nothing; apply without --prune keeps what the file lacks', async () => {
      const plan = await planRealm(server.services, input(), false);
      const lines = planText(plan, false);
      assert.match(lines, /~ realm demo \(display_name\)/);
      assert.match(lines, /\+ role auditor/);
      assert.match(lines, /\+ client reports/);
      assert.match(lines, /~ client service \(client_secret, scope\)/);
      assert.match(lines, /\? client spa \(not in the file: kept; --prune deletes it\)/);
      assert.match(lines, /~ user alice \(claims\)/);
      assert.match(lines, /\+ user carol/);
      assert.match(lines, /\? user bob/);
      assert.doesNotMatch(lines, /service-secret-from-the-environment|reports-secret|passphrase/, 'no secret printed');
      assert.ok(await server.services.store.clients.get('demo', 'spa'), 'plan changed nothing');
      assert.equal(await server.services.store.clients.get('demo', 'reports'), undefined);

      await applyRealm(server.services, input(), false);
      assert.ok(await server.services.store.clients.get('demo', 'spa'), 'without --prune nothing is deleted');
      assert.equal((await server.services.store.users.findByUsername('demo', 'alice'))!.claims.given_name, 'Alicia');
      const service = await tokenRequest(server.issuer(), { grant_type: 'client_credentials' }, { id: 'service', secret: env.PLAN_TEST_SERVICE_SECRET });
      assert.equal(service.status, 200, 'the secret from the environment');
    });

    test('apply --prune deletes what the file lacks, and a second plan finds nothing to do', async () => {
      const bob = (await server.services.store.users.findByUsername('demo', 'bob'))!;
      await server.services.store.clients.upsert('demo', { client_id: 'strix-account-console', redirect_uris: [`${server.issuer()}/account/`], post_logout_redirect_uris: [], grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'none', scope: 'openid', require_consent: false }, null, server.clock.now());
      const plan = await applyRealm(server.services, input(), true);
      assert.deepEqual(plan.changes.filter((c) => c.action === 'delete').map((c) => `${c.kind} ${c.name}`).sort(), ['client spa', 'user bob']);
      assert.equal(await server.services.store.clients.get('demo', 'spa'), undefined);
      assert.equal(await server.services.store.users.findById(bob.id), undefined);
      assert.ok(await server.services.store.clients.get('demo', 'strix-account-console'), 'a built-in client stays');
      const again = await planRealm(server.services, input(), true);
      assert.deepEqual(again.changes, [], planText(again, false));
    });

    test('a client\'s enabled in the file is planned and applied, and the export writes a disabled client as enabled: false', async () => {
      const file = (enabled?: boolean) => {
        const demo = testRealm().realms[0]!;
        const clients = demo.clients.map((c) => (c.client_id === 'service' && enabled !== undefined ? { ...c, enabled } : c));
        return parseRealmFile({ realms: [{ ...demo, clients }] }, 'realm.json')[0]!;
      };
      const serviceToken = () => tokenRequest(server.issuer(), { grant_type: 'client_credentials' }, { id: 'service', secret: 'service-secret' });
      await applyRealm(server.services, file(), false);
      assert.equal((await serviceToken()).status, 200);
      const plan = await planRealm(server.services, file(false), false);
      assert.deepEqual(plan.changes.find((c) => c.kind === 'client' && c.name === 'service'), { action: 'change', kind: 'client', name: 'service', fields: ['enabled'] });
      await applyRealm(server.services, file(false), false);
      assert.equal((await serviceToken()).status, 401);
      const exported = await exportRealm(server.services, 'demo');
      assert.equal((exported!.clients as { client_id: string; enabled?: boolean }[]).find((c) => c.client_id === 'service')!.enabled, false);
      assert.equal((exported!.clients as { client_id: string; enabled?: boolean }[]).find((c) => c.client_id === 'web')!.enabled, undefined);
      await applyRealm(server.services, file(undefined), false);
      assert.equal((await serviceToken()).status, 401, 'absent leaves it as stored');
      await applyRealm(server.services, file(true), false);
      assert.equal((await serviceToken()).status, 200);
      assert.throws(() => parseRealmFile({ realms: [{ name: 'x', clients: [{ client_id: 'c', grant_types: ['client_credentials'], client_secret: 'c-secret-0123456789', enabled: 'no' }] }] }, 'realm.json'), /enabled/);
    });

    test('the master realm\'s admins are never pruned', async () => {
      const master = parseRealmFile({ realms: [{ name: 'master', display_name: 'Strix' }] }, 'master.json')[0]!;
      const plan = await planRealm(server.services, master, true);
      assert.deepEqual(plan.changes.filter((c) => c.kind === 'user').map((c) => `${c.action} ${c.name}`), ['absent admin']);
      assert.equal(plan.changes.some((c) => c.kind === 'client' && c.name === 'strix-admin-console'), false);
    });
  });
}

for (const database of databases) {
  describe(`groups and client roles in realm files (${database})`, () => {
    let server: TestServer;
    before(async () => { server = await startServer(database, testRealm()); });
    after(async () => { await server?.close(); });
    const input = (subgroups?: { name: string }[]) => parseRealmFile(withGroups(subgroups), 'realm.json')[0]!;

    test('apply creates the groups, client roles and memberships; a second plan has nothing to do; --prune deletes a group the file lost', async () => {
      const plan = planText(await planRealm(server.services, input(), false), false);
      for (const line of [/\+ group \/engineering\n/, /\+ group \/engineering\/backend/, /\+ group \/engineering\/frontend/, /~ client web \(roles\)/, /~ user alice \(client_roles, groups\)/]) assert.match(plan, line);
      await applyRealm(server.services, input(), false);
      const alice = (await server.services.store.users.findByUsername('demo', 'alice'))!;
      assert.deepEqual(alice.groups, ['/engineering/backend']);
      assert.deepEqual(alice.clientRoles, { web: ['editor', 'reader'] }, 'her own reader, and editor from /engineering');
      assert.deepEqual(alice.roles, ['admin', 'viewer']);
      const again = await planRealm(server.services, input(), false);
      assert.deepEqual(again.changes.filter((c) => c.action !== 'absent'), [], planText(again, false));

      const pruned = await applyRealm(server.services, input([{ name: 'backend' }]), true);
      assert.deepEqual(pruned.changes.filter((c) => c.action === 'delete').map((c) => `${c.kind} ${c.name}`), ['group /engineering/frontend']);
      assert.deepEqual((await server.services.store.groups.all('demo')).map((g) => g.path), ['/engineering', '/engineering/backend']);
    });

    test('a realm file naming an undeclared client role or an unknown group is refused before anything is written', async () => {
      const file = withGroups();
      const realm = file.realms[0]! as Record<string, any>;
      realm.users.find((u: any) => u.username === 'bob').client_roles = { web: ['publisher'] };
      await assert.rejects(importRealm(server.services, parseRealmFile(file, 'realm.json')[0]!), /user bob\.client_roles\.web\[0\]: client web declares no role publisher/);
      realm.users.find((u: any) => u.username === 'bob').client_roles = { nowhere: ['x'] };
      await assert.rejects(importRealm(server.services, parseRealmFile(file, 'realm.json')[0]!), /user bob\.client_roles\.nowhere: the realm has no client nowhere/);
      delete realm.users.find((u: any) => u.username === 'bob').client_roles;
      realm.users.find((u: any) => u.username === 'bob').groups = ['/sales'];
      await assert.rejects(importRealm(server.services, parseRealmFile(file, 'realm.json')[0]!), /user bob\.groups: no group \/sales/);
      assert.deepEqual((await server.services.store.users.findByUsername('demo', 'bob'))!.groups, [], 'bob was not changed');
    });

    test('export writes the groups, client roles and memberships, and importing the export elsewhere gives the same realm', async () => {
      const exported = (await exportRealm(server.services, 'demo'))!;
      assert.deepEqual(exported.groups, [{ name: 'engineering', roles: ['viewer'], client_roles: { web: ['editor'] }, subgroups: [{ name: 'backend' }] }]);
      const users = exported.users as Record<string, unknown>[];
      assert.deepEqual(users.find((u) => u.username === 'alice')!.groups, ['/engineering/backend']);
      assert.deepEqual(users.find((u) => u.username === 'alice')!.client_roles, { web: ['reader'] });
      const again = await planRealm(server.services, parseRealm(exported, 'export'), false);
      assert.deepEqual(again.changes.filter((c) => c.action !== 'absent'), [], planText(again, false));

      // Secrets are not exported: the copy gets new ones.
      const clients = (exported.clients as Record<string, unknown>[]).map((c) => (c.token_endpoint_auth_method === 'none' ? c : { ...c, client_secret: 'a-new-secret-for-the-copy' }));
      await importRealm(server.services, parseRealm({ ...exported, name: 'copy', clients }, 'copy'));
      const copy = (await exportRealm(server.services, 'copy'))!;
      for (const field of ['groups', 'users', 'roles']) assert.deepEqual(copy[field], exported[field], field);
      assert.deepEqual((copy.clients as Record<string, unknown>[]).map((c) => c.roles), (exported.clients as Record<string, unknown>[]).map((c) => c.roles));
    });
  });
}

describe('strix plan and strix apply', () => {
  let dir: string;
  const run = promisify(execFile);
  const strix = (...args: string[]) => run(process.execPath, [strixCommand, ...args], {
    cwd: dir, env: { PATH: process.env.PATH, STRIX_DATABASE_URL: `sqlite:${join(dir, 'strix.db')}`, STRIX_MASTER_KEY: 'plan-test-master-key-0123456789abcdef', ...env },
  });
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'strix-plan-'));
    writeFileSync(join(dir, 'realm.json'), JSON.stringify(testRealm()));
    writeFileSync(join(dir, 'edited.json'), JSON.stringify(edited()));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('plan prints the changes; apply --prune makes them; a file naming an unset variable is refused', async () => {
    await strix('migrate');
    await strix('import', 'realm.json');
    const plan = (await strix('plan', 'edited.json', '--prune')).stdout;
    assert.match(plan, /plan realm demo: 3 to create, 3 to change, 2 to delete/);
    assert.match(plan, /- client spa/);
    const applied = (await strix('apply', 'edited.json', '--prune')).stdout;
    assert.match(applied, /applied realm demo/);
    assert.match((await strix('plan', 'edited.json', '--prune')).stdout, /plan realm demo: no changes/);
    await assert.rejects(run(process.execPath, [strixCommand, 'plan', 'edited.json'], { cwd: dir, env: { PATH: process.env.PATH, STRIX_DATABASE_URL: `sqlite:${join(dir, 'strix.db')}`, STRIX_MASTER_KEY: 'plan-test-master-key-0123456789abcdef' } }),
      /clients\[2\]\.client_secret: the environment variable PLAN_TEST_SERVICE_SECRET is not set/);
  });

  test('apply of a file with groups and client roles converges; apply --prune removes a group the file no longer has', async () => {
    writeFileSync(join(dir, 'groups.json'), JSON.stringify(withGroups()));
    writeFileSync(join(dir, 'fewer-groups.json'), JSON.stringify(withGroups([{ name: 'backend' }])));
    assert.match((await strix('apply', 'groups.json')).stdout, /\+ group \/engineering\/frontend/);
    assert.match((await strix('plan', 'groups.json')).stdout, /plan realm demo: no changes/);
    assert.match((await strix('plan', 'fewer-groups.json')).stdout, /\? group \/engineering\/frontend \(not in the file: kept; --prune deletes it\)/);
    assert.match((await strix('apply', 'fewer-groups.json', '--prune')).stdout, /- group \/engineering\/frontend/);
    assert.match((await strix('plan', 'fewer-groups.json', '--prune')).stdout, /plan realm demo: no changes/);
    await strix('export', '--realm', 'demo', '--out', 'export.json');
    const exported = JSON.parse(readFileSync(join(dir, 'export.json'), 'utf8'));
    assert.deepEqual(exported.realms[0].groups[0].subgroups, [{ name: 'backend' }]);
  });
});
