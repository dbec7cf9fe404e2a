// Client roles in the admin API: a client declares them in its `roles`, users and groups hold them as
// `client_roles`, members hold their groups' and ancestors' (composites expanded), access tokens carry
// them in `client_roles`, and a role taken from the client — or the client itself — is taken from everyone.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { adminApi, assertProblem, masterWithServiceAccounts, serviceToken, type AdminCall } from '../helpers/admin-api.js';
import { databases } from '../helpers/databases.js';
import { testRealmWith } from '../helpers/realm.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { tokenRequest } from '../helpers/user-agent.js';

const passwordClient = { client_id: 'cli', client_secret: 'cli-secret-0123456789', grant_types: ['password'], scope: 'openid roles' };
const userPassword = 'a long enough passphrase';
const docsClient = {
  client_id: 'docs', client_secret: 'docs-secret-0123456789', grant_types: ['client_credentials'], scope: 'openid',
  roles: [{ name: 'reader', description: 'reads documents' }, { name: 'editor', composites: ['reader'] }, { name: 'owner', composites: ['editor'] }],
};

for (const database of databases) {
  describe(`admin API: client roles (${database})`, () => {
    let server: TestServer;
    let admin: AdminCall;
    async function accessToken(username: string) {
      const answer = await tokenRequest(server.issuer(), { grant_type: 'password', username, password: userPassword, scope: 'openid roles' }, { id: 'cli', secret: 'cli-secret-0123456789' });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      return decodeJwt(answer.body.access_token);
    }
    const userNamed = async (username: string) => (await admin('GET', `/realms/demo/users?username=${username}`)).body[0];

    before(async () => {
      server = await startServer(database, {
        realms: [testRealmWith({ clients: [passwordClient], users: [{ username: 'ivy', password: userPassword }, { username: 'jon', password: userPassword }] }).realms[0]!, masterWithServiceAccounts()],
      });
      admin = adminApi(server, await serviceToken(server, 'ops-bot'));
    });
    after(async () => { await server?.close(); });

    test('a client declares roles with descriptions and composites; GET answers them, bad ones are refused naming the field', async () => {
      const created = await admin('POST', '/realms/demo/clients', docsClient);
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.deepEqual(created.body.roles, [
        { name: 'editor', composites: ['reader'] }, { name: 'owner', composites: ['editor'] }, { name: 'reader', description: 'reads documents' },
      ]);
      assert.deepEqual((await admin('GET', '/realms/demo/clients/docs')).body.roles, created.body.roles);
      const refused = (roles: unknown) => admin('POST', '/realms/demo/clients', { ...docsClient, client_id: 'docs-2', roles });
      assertProblem(await refused([{ name: 'editor', composites: ['nope'] }]), 400, 'roles[0].composites[0]');
      assertProblem(await refused([{ name: 'a', composites: ['b'] }, { name: 'b', composites: ['a'] }]), 400, 'roles[0].composites[0]');
      assertProblem(await refused([{ name: 'a' }, { name: 'a' }]), 400, 'roles[1].name');
      assertProblem(await refused([{ name: 'has space' }]), 400, 'roles[0].name');
      assertProblem(await refused([{ name: 'a', scope: 'x' }]), 400);
      assert.equal((await admin('GET', '/realms/demo/clients/docs-2')).status, 404);
    });

    test('a user holds client roles given directly and through a group\'s ancestor, composites expanded, in the access token', async () => {
      const ivy = await userNamed('ivy');
      const put = await admin('PUT', `/realms/demo/users/${ivy.id}`, { ...ivy, client_roles: { docs: ['reader'] } });
      assert.equal(put.status, 200, JSON.stringify(put.body));
      assert.deepEqual(put.body.client_roles, { docs: ['reader'] });
      assert.deepEqual((await accessToken('ivy')).client_roles, { docs: ['reader'] });

      const staff = await admin('POST', '/realms/demo/groups', { name: 'staff', client_roles: { docs: ['owner'] } });
      assert.equal(staff.status, 201, JSON.stringify(staff.body));
      assert.deepEqual(staff.body.client_roles, { docs: ['owner'] });
      const writers = await admin('POST', `/realms/demo/groups/${staff.body.id}/children`, { name: 'writers' });
      const jon = await userNamed('jon');
      assert.deepEqual((await accessToken('jon')).client_roles, undefined, 'no client roles, no claim');
      const joined = await admin('PUT', `/realms/demo/users/${jon.id}`, { ...jon, groups: ['/staff/writers'] });
      assert.equal(joined.status, 200, JSON.stringify(joined.body));
      assert.deepEqual(joined.body.groups, ['/staff/writers']);
      assert.deepEqual(joined.body.client_roles, {}, 'the representation shows what was given directly');
      assert.deepEqual((await admin('GET', `/realms/demo/groups/${writers.body.id}/members`)).body.map((u: any) => u.username), ['jon']);
      assert.deepEqual((await accessToken('jon')).client_roles, { docs: ['editor', 'owner', 'reader'] });
    });

    test('only declared roles of existing clients are accepted, and only existing group paths', async () => {
      const ivy = await userNamed('ivy');
      assertProblem(await admin('PUT', `/realms/demo/users/${ivy.id}`, { ...ivy, client_roles: { docs: ['reader', 'nope'] } }), 400, 'client_roles.docs[1]');
      assertProblem(await admin('PUT', `/realms/demo/users/${ivy.id}`, { ...ivy, client_roles: { ghost: ['reader'] } }), 400, 'client_roles.ghost');
      assertProblem(await admin('PUT', `/realms/demo/users/${ivy.id}`, { ...ivy, groups: ['/staff/nobody'] }), 400, 'groups[0]');
      assertProblem(await admin('POST', '/realms/demo/users', { username: 'kim', client_roles: { docs: ['nope'] } }), 400, 'client_roles.docs[0]');
      assertProblem(await admin('POST', '/realms/demo/groups', { name: 'ops', client_roles: { docs: ['nope'] } }), 400, 'client_roles.docs[0]');
      assert.equal((await admin('GET', '/realms/demo/users?username=kim')).body.length, 0, 'nothing was created');
      assert.deepEqual((await userNamed('ivy')).client_roles, { docs: ['reader'] }, 'nothing changed');
    });

    test('a role taken from the client is taken from its holders; a deleted client takes all its roles', async () => {
      const client = await admin('GET', '/realms/demo/clients/docs');
      const kept = client.body.roles.filter((r: any) => r.name !== 'owner');
      const put = await admin('PUT', '/realms/demo/clients/docs', { ...client.body, roles: kept }, { 'if-match': client.headers.get('etag')! });
      assert.equal(put.status, 200, JSON.stringify(put.body));
      const [staff] = (await admin('GET', '/realms/demo/groups')).body.filter((g: any) => g.name === 'staff');
      assert.deepEqual(staff.client_roles, {}, 'the group no longer carries owner');
      assert.equal((await accessToken('jon')).client_roles, undefined);
      assert.deepEqual((await accessToken('ivy')).client_roles, { docs: ['reader'] }, 'roles still declared stay with their holders');

      assert.equal((await admin('DELETE', '/realms/demo/clients/docs')).status, 204);
      assert.deepEqual((await userNamed('ivy')).client_roles, {});
      assert.equal((await accessToken('ivy')).client_roles, undefined);
      assert.equal((await admin('POST', '/realms/demo/clients', docsClient)).status, 201, 'the client again, with its roles');
      assert.deepEqual((await userNamed('ivy')).client_roles, {}, 'its old assignments did not come back');
    });
  });
}
