// A realm's own administrators: its users holding the realm role `realm-admin` or `realm-viewer`
// (signed in to that realm's admin console client, at Keycloak's /admin/{realm}/console/) and its
// service accounts with `service_account_roles: ["realm-admin"]` manage or read that realm and no other.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parseRealmFile, RealmFileError } from '../../src/admin/realm-file.js';
import { adminApi, assertProblem, masterWithServiceAccounts, serviceAccount } from '../helpers/admin-api.js';
import { databases } from '../helpers/databases.js';
import { adminConsoleRedirectUri, adminConsoleToken } from '../helpers/flows.js';
import { password, testRealmWith } from '../helpers/realm.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { tokenRequest } from '../helpers/user-agent.js';

function realms() {
  const demo = testRealmWith({
    roles: ['admin', 'viewer', 'realm-admin', 'realm-viewer'],
    clients: [
      serviceAccount('demo-ops', ['realm-admin']), serviceAccount('demo-reader', ['realm-viewer']),
      { client_id: 'dana-app', client_secret: 'dana-app-secret', grant_types: ['password'], scope: 'openid' },
    ],
    users: [
      { username: 'dana', password, email: 'dana@example.com', roles: ['realm-admin'] },
      { username: 'vic', password, email: 'vic@example.com', roles: ['realm-viewer'] },
    ],
  }).realms[0]!;
  return { realms: [demo, { name: 'other', display_name: 'Other' }, masterWithServiceAccounts()] };
}

for (const database of databases) {
  describe(`a realm's own administrators (${database})`, () => {
    let server: TestServer;
    before(async () => {
      server = await startServer(database, realms());
      // The realm's console client is made when its console is first opened.
      const page = await fetch(`${server.url}/admin/demo/console/`);
      assert.equal(page.status, 200);
      assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    });
    after(async () => { await server?.close(); });

    const serviceToken = async (clientId: string) => {
      const answer = await tokenRequest(server.issuer('demo'), { grant_type: 'client_credentials' }, { id: clientId, secret: `${clientId}-secret` });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      return answer.body.access_token as string;
    };

    test('opening /admin/demo/console/ made demo a public admin console client that must use PKCE, with that address as its redirect URI', async () => {
      const consoleClient = (await server.services.store.clients.get('demo', 'strix-admin-console'))!;
      assert.equal(consoleClient.confidential, false);
      assert.deepEqual(consoleClient.metadata.redirect_uris, [adminConsoleRedirectUri(server, 'demo')]);
      assert.equal((await fetch(`${server.url}/admin/nowhere/console/`)).status, 404);
    });

    test('a demo user holding realm-admin, signed in to demo\'s console, manages demo and sees only demo', async () => {
      const call = adminApi(server, await adminConsoleToken(server, 'dana', password, 'demo'));
      const listed = await call('GET', '/realms');
      assert.equal(listed.status, 200);
      assert.deepEqual(listed.body.map((r: { name: string }) => r.name), ['demo']);
      const created = await call('POST', '/realms/demo/clients', { client_id: 'made-by-dana', grant_types: ['client_credentials'], scope: 'openid' });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assertProblem(await call('GET', '/realms/other/clients'), 403);
      assertProblem(await call('GET', '/realms/master/users'), 403);
      assertProblem(await call('POST', '/realms', { name: 'dana-made' }), 403);
      assert.equal(await server.services.store.realms.get('dana-made'), undefined);
    });

    test('a demo user holding realm-viewer reads demo and may change nothing', async () => {
      const call = adminApi(server, await adminConsoleToken(server, 'vic', password, 'demo'));
      assert.equal((await call('GET', '/realms/demo/users')).status, 200);
      assertProblem(await call('POST', '/realms/demo/clients', { client_id: 'made-by-vic', grant_types: ['client_credentials'], scope: 'openid' }), 403);
      assertProblem(await call('GET', '/realms/other'), 403);
    });

    test('a demo user holding only an ordinary role (even one named admin) is refused with 403 insufficient_scope', async () => {
      const response = await fetch(`${server.url}/admin/realms/demo/users`, { headers: { authorization: `Bearer ${await adminConsoleToken(server, 'alice', password, 'demo')}` } });
      assert.equal(response.status, 403);
      assert.match(response.headers.get('www-authenticate') ?? '', /error="insufficient_scope"/);
    });

    test('a realm-admin user\'s token issued to another demo application opens nothing (403)', async () => {
      const answer = await tokenRequest(server.issuer('demo'), { grant_type: 'password', username: 'dana', password }, { id: 'dana-app', secret: 'dana-app-secret' });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assertProblem(await adminApi(server, answer.body.access_token)('GET', '/realms/demo/users'), 403);
    });

    test('the role is read as stored now: taking realm-admin away closes the API to a token issued before', async () => {
      const token = await adminConsoleToken(server, 'dana', password, 'demo');
      const dana = (await server.services.store.users.findByUsername('demo', 'dana'))!;
      await server.services.store.users.setRoles(dana.id, []);
      try {
        assertProblem(await adminApi(server, token)('GET', '/realms/demo/users'), 403);
      } finally {
        await server.services.store.users.setRoles(dana.id, ['realm-admin']);
      }
    });

    test('demo\'s realm-admin service account manages demo only; its realm-viewer service account reads it only', async () => {
      const ops = adminApi(server, await serviceToken('demo-ops'));
      const made = await ops('POST', '/realms/demo/roles', { name: 'ops-made' });
      assert.equal(made.status, 201, JSON.stringify(made.body));
      assertProblem(await ops('GET', '/realms/other/roles'), 403);
      assertProblem(await ops('GET', '/realms/master/roles'), 403);
      const reader = adminApi(server, await serviceToken('demo-reader'));
      assert.equal((await reader('GET', '/realms/demo/roles')).status, 200);
      assertProblem(await reader('DELETE', '/realms/demo/roles/ops-made'), 403);
    });

    test('demo\'s administrators cannot give a demo client rights beyond demo', async () => {
      const ops = adminApi(server, await serviceToken('demo-ops'));
      assertProblem(await ops('POST', '/realms/demo/clients', serviceAccount('escalator', ['admin'])), 400, 'service_account_roles');
      assertProblem(await ops('POST', '/realms/demo/clients', serviceAccount('escalator', ['realm-admin:other'])), 400, 'service_account_roles');
      assert.equal(await server.services.store.clients.get('demo', 'escalator'), undefined);
    });

    test('a token claiming another realm\'s issuer but signed by demo is refused (401)', async () => {
      const token = await serviceToken('demo-ops');
      const [header, payload, signature] = token.split('.');
      const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
      const forged = [header, Buffer.from(JSON.stringify({ ...claims, iss: server.issuer('master') })).toString('base64url'), signature].join('.');
      const response = await fetch(`${server.url}/admin/realms/demo/users`, { headers: { authorization: `Bearer ${forged}` } });
      assert.equal(response.status, 401);
    });
  });
}

test('a realm file gives a realm\'s clients realm-admin or realm-viewer of that realm only; the master realm\'s, any realm by name', () => {
  const realm = (name: string, roles: string[]) => ({ realms: [{ name, clients: [serviceAccount('bot', roles)] }] });
  for (const roles of [['admin'], ['realm-admin:demo'], ['realm-viewer:other'], ['superuser']]) {
    assert.throws(() => parseRealmFile(realm('demo', roles), 'file'), RealmFileError, roles.join());
  }
  assert.throws(() => parseRealmFile(realm('master', ['realm-admin']), 'file'), RealmFileError);
  const [demo] = parseRealmFile(realm('demo', ['realm-admin', 'realm-viewer']), 'file');
  assert.deepEqual(demo!.clients[0]!.metadata.service_account_roles, ['realm-admin', 'realm-viewer']);
});
