// The role resource of the admin API (…/roles, …/roles/{name}): realm roles with composites, which
// tokens carry expanded.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { adminApi, assertProblem, masterWithServiceAccounts, serviceToken, type AdminCall } from '../helpers/admin-api.js';
import { databases } from '../helpers/databases.js';
import { testRealmWith } from '../helpers/realm.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { tokenRequest } from '../helpers/user-agent.js';

const passwordClient = { client_id: 'cli', client_secret: 'cli-secret-0123456789', grant_types: ['password'], scope: 'openid roles' };
const userPassword = 'a long enough passphrase';

for (const database of databases) {
  describe(`admin API: roles (${database})`, () => {
    let server: TestServer;
    let admin: AdminCall;
    let demoViewer: AdminCall;
    async function rolesClaim(username: string): Promise<string[]> {
      const answer = await tokenRequest(server.issuer(), { grant_type: 'password', username, password: userPassword, scope: 'openid roles' }, { id: 'cli', secret: 'cli-secret-0123456789' });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      return JSON.parse(Buffer.from((answer.body.access_token as string).split('.')[1]!, 'base64url').toString()).roles;
    }

    before(async () => {
      server = await startServer(database, {
        realms: [testRealmWith({ clients: [passwordClient], users: [{ username: 'rita', password: userPassword }] }).realms[0]!, masterWithServiceAccounts()],
      });
      admin = adminApi(server, await serviceToken(server, 'ops-bot'));
      demoViewer = adminApi(server, await serviceToken(server, 'demo-viewer'));
    });
    after(async () => { await server?.close(); });

    test('a role is created with a description and composites, read back with an ETag, and listed by name', async () => {
      const created = await admin('POST', '/realms/demo/roles', { name: 'editor', description: 'Edits documents', composites: ['viewer'] });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.deepEqual(created.body, { name: 'editor', description: 'Edits documents', composites: ['viewer'] });
      const read = await admin('GET', '/realms/demo/roles/editor');
      assert.ok(read.headers.get('etag'));
      assert.deepEqual(read.body.composites, ['viewer']);
      const names = (await admin('GET', '/realms/demo/roles')).body.map((r: any) => r.name);
      assert.deepEqual(names, [...names].sort());
      assert.ok(names.includes('editor') && names.includes('admin'));
      assert.deepEqual((await admin('GET', '/realms/demo/roles?first=1&max=1')).body.map((r: any) => r.name), [names[1]]);
    });

    test('a user given a composite role gets the roles it brings, at any depth, in the roles claim; the user\'s own roles stay as given', async () => {
      assert.equal((await admin('POST', '/realms/demo/roles', { name: 'chief', composites: ['editor'] })).status, 201);
      const rita = (await admin('GET', '/realms/demo/users?username=rita')).body[0];
      assert.equal((await admin('PUT', `/realms/demo/users/${rita.id}/roles`, ['chief'])).status, 200);
      assert.deepEqual(await rolesClaim('rita'), ['chief', 'editor', 'viewer']);
      assert.deepEqual((await admin('GET', `/realms/demo/users/${rita.id}/roles`)).body, ['chief']);
    });

    test('changing a composite counts at the next token; deleting a role takes it from users and composites', async () => {
      const read = await admin('GET', '/realms/demo/roles/editor');
      const updated = await admin('PUT', '/realms/demo/roles/editor', { ...read.body, composites: [] }, { 'if-match': read.headers.get('etag')! });
      assert.equal(updated.status, 200, JSON.stringify(updated.body));
      assert.deepEqual(await rolesClaim('rita'), ['chief', 'editor']);
      assertProblem(await admin('PUT', '/realms/demo/roles/editor', { ...read.body }, { 'if-match': read.headers.get('etag')! }), 412);
      const editor = await admin('GET', '/realms/demo/roles/editor');
      assert.equal((await admin('DELETE', '/realms/demo/roles/editor', undefined, { 'if-match': editor.headers.get('etag')! })).status, 204);
      assert.deepEqual(await rolesClaim('rita'), ['chief']);
      assert.deepEqual((await admin('GET', '/realms/demo/roles/chief')).body.composites, []);
      assertProblem(await admin('GET', '/realms/demo/roles/editor'), 404);
    });

    test('composites must be roles of the realm and may not form a cycle; a duplicate name is 409; unknown members are 400', async () => {
      assertProblem(await admin('POST', '/realms/demo/roles', { name: 'ghost-boss', composites: ['viewer', 'ghost'] }), 400, 'composites[1]');
      assertProblem(await admin('POST', '/realms/demo/roles', { name: 'narcissist', composites: ['narcissist'] }), 400, 'composites[0]');
      assert.equal((await admin('POST', '/realms/demo/roles', { name: 'a-role', composites: ['viewer'] })).status, 201);
      assert.equal((await admin('POST', '/realms/demo/roles', { name: 'b-role', composites: ['a-role'] })).status, 201);
      assertProblem(await admin('PUT', '/realms/demo/roles/a-role', { composites: ['b-role'] }), 400, 'composites[0]');
      assertProblem(await admin('POST', '/realms/demo/roles', { name: 'viewer' }), 409, 'name');
      assertProblem(await admin('POST', '/realms/demo/roles', { name: 'x', permissions: [] }), 400, 'permissions');
      assertProblem(await admin('POST', '/realms/demo/roles', { name: 'has space' }), 400, 'name');
    });

    test('a realm-viewer reads roles but may not create, change or delete them', async () => {
      assert.equal((await demoViewer('GET', '/realms/demo/roles')).status, 200);
      assert.equal((await demoViewer('GET', '/realms/demo/roles/viewer')).status, 200);
      assertProblem(await demoViewer('POST', '/realms/demo/roles', { name: 'sneaky' }), 403);
      assertProblem(await demoViewer('PUT', '/realms/demo/roles/viewer', { composites: ['admin'] }), 403);
      assertProblem(await demoViewer('DELETE', '/realms/demo/roles/viewer'), 403);
    });
  });
}
