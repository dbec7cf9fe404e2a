// Groups in the admin API: nesting, paths, memberships, and the roles members hold through a group
// and every ancestor — down to the access token of a user who signs in through Chromium.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { adminApi, assertProblem, masterWithServiceAccounts, serviceToken, type AdminCall } from '../helpers/admin-api.js';
import { browserPerSuite, newContext, skipWithoutChromium, submitSignInForm } from '../helpers/browser.js';
import { databases } from '../helpers/databases.js';
import { testRealmWith } from '../helpers/realm.js';
import { freePort, startServer, type TestServer } from '../helpers/server.js';
import { authorizeUrl, tokenRequest } from '../helpers/user-agent.js';

const passwordClient = { client_id: 'cli', client_secret: 'cli-secret-0123456789', grant_types: ['password'], scope: 'openid roles' };
const userPassword = 'a long enough passphrase';

for (const database of databases) {
  describe(`admin API: groups (${database})`, () => {
    let server: TestServer;
    let admin: AdminCall;
    let demoViewer: AdminCall;
    async function rolesClaim(username: string): Promise<string[]> {
      const answer = await tokenRequest(server.issuer(), { grant_type: 'password', username, password: userPassword, scope: 'openid roles' }, { id: 'cli', secret: 'cli-secret-0123456789' });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      return decodeJwt(answer.body.access_token).roles as string[];
    }

    before(async () => {
      server = await startServer(database, {
        realms: [testRealmWith({ roles: ['admin', 'viewer', 'builder'], clients: [passwordClient], users: [{ username: 'gus', password: userPassword }] }).realms[0]!, masterWithServiceAccounts()],
      });
      admin = adminApi(server, await serviceToken(server, 'ops-bot'));
      demoViewer = adminApi(server, await serviceToken(server, 'demo-viewer'));
    });
    after(async () => { await server?.close(); });

    test('groups nest: a subgroup has its path, is listed under its parent, and names are unique among siblings', async () => {
      const engineering = await admin('POST', '/realms/demo/groups', { name: 'engineering', roles: ['viewer'] });
      assert.equal(engineering.status, 201, JSON.stringify(engineering.body));
      assert.equal(engineering.body.path, '/engineering');
      const backend = await admin('POST', `/realms/demo/groups/${engineering.body.id}/children`, { name: 'backend', roles: ['builder'] });
      assert.equal(backend.status, 201, JSON.stringify(backend.body));
      assert.equal(backend.body.path, '/engineering/backend');
      assert.equal(backend.body.parent_id, engineering.body.id);
      assert.deepEqual((await admin('GET', '/realms/demo/groups')).body.map((g: any) => g.name), ['engineering']);
      assert.deepEqual((await admin('GET', `/realms/demo/groups/${engineering.body.id}/children`)).body.map((g: any) => g.path), ['/engineering/backend']);
      assertProblem(await admin('POST', `/realms/demo/groups/${engineering.body.id}/children`, { name: 'backend' }), 409, 'name');
      assert.equal((await admin('POST', '/realms/demo/groups', { name: 'backend' })).status, 201, 'the same name elsewhere is fine');
      assertProblem(await admin('POST', '/realms/demo/groups', { name: 'a/b' }), 400, 'name');
      assertProblem(await admin('POST', '/realms/demo/groups', { name: 'ops', roles: ['nope'] }), 400, 'roles[0]');
    });

    test('a member of a subgroup holds its roles and its ancestors\' in the roles claim; leaving the group takes them away', async () => {
      const [engineering] = (await admin('GET', '/realms/demo/groups')).body.filter((g: any) => g.name === 'engineering');
      const [backend] = (await admin('GET', `/realms/demo/groups/${engineering.id}/children`)).body;
      const gus = (await admin('GET', '/realms/demo/users?username=gus')).body[0];
      assert.equal((await admin('PUT', `/realms/demo/users/${gus.id}/groups/${backend.id}`)).status, 204);
      assert.deepEqual((await admin('GET', `/realms/demo/users/${gus.id}/groups`)).body.map((g: any) => g.path), ['/engineering/backend']);
      assert.deepEqual((await admin('GET', `/realms/demo/groups/${backend.id}/members`)).body.map((u: any) => u.username), ['gus']);
      assert.deepEqual(await rolesClaim('gus'), ['builder', 'viewer']);
      assert.deepEqual((await admin('GET', `/realms/demo/users/${gus.id}/roles`)).body, [], 'the user\'s own roles stay as given');
      assert.equal((await admin('DELETE', `/realms/demo/users/${gus.id}/groups/${backend.id}`)).status, 204);
      assert.deepEqual(await rolesClaim('gus'), []);
      assertProblem(await admin('DELETE', `/realms/demo/users/${gus.id}/groups/${backend.id}`), 404);
    });

    test('PUT renames a group and replaces its roles (If-Match honoured); DELETE removes it with its subgroups', async () => {
      const top = await admin('POST', '/realms/demo/groups', { name: 'temp' });
      const child = await admin('POST', `/realms/demo/groups/${top.body.id}/children`, { name: 'inner' });
      const read = await admin('GET', `/realms/demo/groups/${top.body.id}`);
      const renamed = await admin('PUT', `/realms/demo/groups/${top.body.id}`, { ...read.body, name: 'temporary', roles: ['viewer'] }, { 'if-match': read.headers.get('etag')! });
      assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
      assert.equal((await admin('GET', `/realms/demo/groups/${child.body.id}`)).body.path, '/temporary/inner');
      assertProblem(await admin('PUT', `/realms/demo/groups/${top.body.id}`, { name: 'again' }, { 'if-match': read.headers.get('etag')! }), 412);
      assert.equal((await admin('DELETE', `/realms/demo/groups/${top.body.id}`)).status, 204);
      assertProblem(await admin('GET', `/realms/demo/groups/${child.body.id}`), 404);
    });

    test('a realm-viewer reads groups but may not create, change or join them', async () => {
      assert.equal((await demoViewer('GET', '/realms/demo/groups')).status, 200);
      const [group] = (await demoViewer('GET', '/realms/demo/groups')).body;
      const gus = (await demoViewer('GET', '/realms/demo/users?username=gus')).body[0];
      assertProblem(await demoViewer('POST', '/realms/demo/groups', { name: 'mine' }), 403);
      assertProblem(await demoViewer('PUT', `/realms/demo/groups/${group.id}`, { name: 'mine' }), 403);
      assertProblem(await demoViewer('PUT', `/realms/demo/users/${gus.id}/groups/${group.id}`), 403);
    });
  });

  describe(`a user made through the admin API signs in with Chromium and gets the group's role (${database})`, () => {
    if (skipWithoutChromium()) return;
    let server: TestServer;
    let rp: Server;
    let rpBase: string;
    before(async () => {
      const port = await freePort();
      rpBase = `http://127.0.0.1:${port}`;
      rp = createServer((_request, response) => response.writeHead(200, { 'content-type': 'text/plain' }).end('signed in'));
      await new Promise<void>((resolve) => rp.listen(port, '127.0.0.1', resolve));
      server = await startServer(database, { realms: [testRealmWith({}).realms[0]!, masterWithServiceAccounts()] });
    });
    const chromium = browserPerSuite();
    after(async () => {
      await server?.close();
      rp?.closeAllConnections();
      await new Promise((resolve) => rp?.close(resolve));
    });

    test('created, put in a nested group carrying a role, given a password, signed in: the access token carries the role', async () => {
      const admin = adminApi(server, await serviceToken(server, 'ops-bot'));
      const app = await admin('POST', '/realms/demo/clients', {
        client_id: 'portal', redirect_uris: [`${rpBase}/callback`], grant_types: ['authorization_code'], scope: 'openid roles', require_consent: false,
      });
      assert.equal(app.status, 201, JSON.stringify(app.body));
      assert.equal((await admin('POST', '/realms/demo/roles', { name: 'deployer' })).status, 201);
      const parent = await admin('POST', '/realms/demo/groups', { name: 'engineering' });
      const child = await admin('POST', `/realms/demo/groups/${parent.body.id}/children`, { name: 'backend', roles: ['deployer'] });
      const user = await admin('POST', '/realms/demo/users', { username: 'nina', email: 'nina@example.com' });
      assert.equal((await admin('PUT', `/realms/demo/users/${user.body.id}/groups/${child.body.id}`)).status, 204);
      assert.equal((await admin('PUT', `/realms/demo/users/${user.body.id}/password`, { password: userPassword })).status, 204);

      const context = await newContext(chromium());
      const page = await context.newPage();
      await page.goto(authorizeUrl(server.issuer(), { client_id: 'portal', redirect_uri: `${rpBase}/callback`, response_type: 'code', scope: 'openid roles', state: 'st' }));
      await submitSignInForm(page, 'nina', userPassword, (url) => url.href.startsWith(`${rpBase}/callback`));
      const code = new URL(page.url()).searchParams.get('code');
      await context.close();
      assert.ok(code, page.url());
      const tokens = await tokenRequest(server.issuer(), { grant_type: 'authorization_code', code, redirect_uri: `${rpBase}/callback` }, { id: 'portal', secret: app.body.client_secret });
      assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
      assert.deepEqual(decodeJwt(tokens.body.access_token).roles, ['deployer']);
    });
  });
}
