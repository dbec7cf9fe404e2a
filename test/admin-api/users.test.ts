// The user resource of the admin API (…/users, …/users/{id}, …/users/{id}/password, …/users/{id}/roles):
// search and paging, profiles as OpenID Connect claims, the password policy, deletion ending sessions
// and tokens, and never a password hash in an answer.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { adminApi, assertProblem, masterWithServiceAccounts, serviceToken, type AdminCall } from '../helpers/admin-api.js';
import { databases } from '../helpers/databases.js';
import { testRealmWith } from '../helpers/realm.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { authorizeUrl, callbackParams, endpointRequest, isLoginPage, tokenRequest, UserAgent } from '../helpers/user-agent.js';

const passwordClient = { client_id: 'cli', client_secret: 'cli-secret-0123456789', grant_types: ['password', 'refresh_token'], scope: 'openid profile roles offline_access' };

for (const database of databases) {
  describe(`admin API: users (${database})`, () => {
    let server: TestServer;
    let admin: AdminCall;
    let demoViewer: AdminCall;
    const signIn = (username: string, password: string) =>
      tokenRequest(server.issuer(), { grant_type: 'password', username, password, scope: 'openid roles offline_access' }, { id: 'cli', secret: 'cli-secret-0123456789' });

    before(async () => {
      server = await startServer(database, { realms: [testRealmWith({ clients: [passwordClient] }).realms[0]!, masterWithServiceAccounts(), { name: 'other' }] });
      admin = adminApi(server, await serviceToken(server, 'ops-bot'));
      demoViewer = adminApi(server, await serviceToken(server, 'demo-viewer'));
    });
    after(async () => { await server?.close(); });

    test('a user is created with claims and roles, read back by id with an ETag, and never shows a password or hash', async () => {
      const created = await admin('POST', '/realms/demo/users', {
        username: 'Dora', email: 'dora@example.com', given_name: 'Dora', family_name: 'Explorer', name: 'Dora Explorer',
        roles: ['viewer'], password: 'a long enough passphrase',
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const id = created.body.id as string;
      assert.equal(created.headers.get('location'), `${server.services.config.publicUrl}/admin/realms/demo/users/${id}`);
      assert.equal(created.body.username, 'dora');
      assert.deepEqual(created.body.roles, ['viewer']);
      const read = await admin('GET', `/realms/demo/users/${id}`);
      assert.equal(read.status, 200);
      assert.ok(read.headers.get('etag'));
      assert.equal(read.body.family_name, 'Explorer');
      const text = JSON.stringify(read.body);
      assert.ok(!text.includes('passphrase') && !text.includes('$argon2'), text);
      assert.equal((await signIn('dora', 'a long enough passphrase')).status, 200);
    });

    test('a duplicate username is 409; a weak password or an unknown role is 400 naming the field', async () => {
      assertProblem(await admin('POST', '/realms/demo/users', { username: 'alice' }), 409, 'username');
      assertProblem(await admin('POST', '/realms/demo/users', { username: 'weak', password: 'password' }), 400, 'password');
      assertProblem(await admin('POST', '/realms/demo/users', { username: 'roleless', roles: ['viewer', 'emperor'] }), 400, 'roles[1]');
      assertProblem(await admin('POST', '/realms/demo/users', { username: 'typo', emial: 'x@example.com' }), 400, 'emial');
      assertProblem(await admin('POST', '/realms/demo/users', { username: 'has space' }), 400, 'username');
    });

    test('search finds users by a prefix of the username, the e-mail address or any word of the name; filters combine; results are by username and paged', async () => {
      const names = async (query: string) => (await admin('GET', `/realms/demo/users${query}`)).body.map((u: any) => u.username);
      assert.deepEqual(await names('?search=ali'), ['alice']);
      assert.deepEqual(await names('?search=BOB%40EXAMPLE'), ['bob']);
      assert.deepEqual(await names('?search=liddell'), ['alice']);
      assert.deepEqual(await names('?search=explo'), ['dora']);
      assert.deepEqual(await names('?username=ALICE'), ['alice']);
      assert.deepEqual(await names('?email=Bob%40Example.com'), ['bob']);
      assert.deepEqual(await names('?search=zzz'), []);
      const all = await names('');
      assert.deepEqual(all, [...all].sort());
      assert.deepEqual(await names('?first=1&max=1'), [all[1]]);
      assertProblem(await admin('GET', '/realms/demo/users?enabled=maybe'), 400, 'enabled');
    });

    test('PUT replaces the profile; disabling a user stops their sign-in; a stale If-Match is 412; a username cannot change', async () => {
      const bob = (await admin('GET', '/realms/demo/users?username=bob')).body[0];
      const read = await admin('GET', `/realms/demo/users/${bob.id}`);
      const updated = await admin('PUT', `/realms/demo/users/${bob.id}`, { ...read.body, given_name: 'Robert', enabled: false }, { 'if-match': read.headers.get('etag')! });
      assert.equal(updated.status, 200, JSON.stringify(updated.body));
      assert.equal(updated.body.given_name, 'Robert');
      assert.equal(updated.body.enabled, false);
      assert.equal((await signIn('bob', 'correct horse battery staple')).status, 400);
      assertProblem(await admin('PUT', `/realms/demo/users/${bob.id}`, { enabled: true }, { 'if-match': read.headers.get('etag')! }), 412);
      assert.equal((await admin('PUT', `/realms/demo/users/${bob.id}`, { username: 'bob', enabled: true })).status, 200);
      assert.equal((await signIn('bob', 'correct horse battery staple')).status, 200);
      assertProblem(await admin('PUT', `/realms/demo/users/${bob.id}`, { username: 'robert' }), 400, 'username');
    });

    test('PUT …/password sets a password under the policy; the old one stops working', async () => {
      const alice = (await admin('GET', '/realms/demo/users?username=alice')).body[0];
      assertProblem(await admin('PUT', `/realms/demo/users/${alice.id}/password`, { password: 'short' }), 400, 'password');
      assertProblem(await admin('PUT', `/realms/demo/users/${alice.id}/password`, { password: 'a new and long passphrase', temporarily: true }), 400, 'temporarily');
      assert.equal((await admin('PUT', `/realms/demo/users/${alice.id}/password`, { password: 'a new and long passphrase' })).status, 204);
      assert.equal((await signIn('alice', 'correct horse battery staple')).status, 400);
      assert.equal((await signIn('alice', 'a new and long passphrase')).status, 200);
    });

    test('a temporary password: the next sign-in asks for a new password (policy applied) before it goes on to the client; the password grant refuses meanwhile', async () => {
      const created = await admin('POST', '/realms/demo/users', { username: 'tess' });
      const id = created.body.id as string;
      assert.equal((await admin('PUT', `/realms/demo/users/${id}/password`, { password: 'temporary passphrase 1', temporary: true })).status, 204);
      assert.deepEqual((await admin('GET', `/realms/demo/users/${id}`)).body.required_actions, ['update_password']);
      assert.equal((await signIn('tess', 'temporary passphrase 1')).status, 400);
      const browser = new UserAgent(server.url);
      const login = await browser.open(authorizeUrl(server.issuer(), {
        client_id: 'trusted', redirect_uri: 'http://127.0.0.1:3999/callback', response_type: 'code', scope: 'openid', state: 'st',
      }));
      assert.ok(isLoginPage(login));
      const choose = await browser.submit(login, { username: 'tess', password: 'temporary passphrase 1' });
      assert.equal(choose.status, 200);
      assert.match(choose.html, /Choose a new password/);
      assert.match(choose.html, /name="password_confirm"/);
      const mismatch = await browser.submit(choose, { password: 'my own passphrase 2', password_confirm: 'something else' });
      assert.equal(mismatch.status, 400);
      const weak = await browser.submit(mismatch, { password: 'password', password_confirm: 'password' });
      assert.equal(weak.status, 400);
      assert.match(weak.html, /most commonly used/);
      const done = await browser.submit(weak, { password: 'my own passphrase 2', password_confirm: 'my own passphrase 2' });
      assert.ok(callbackParams(done).get('code'), `redirected to the client with a code: ${done.location} ${done.html.slice(0, 300)}`);
      assert.deepEqual((await admin('GET', `/realms/demo/users/${id}`)).body.required_actions, []);
      assert.equal((await signIn('tess', 'temporary passphrase 1')).status, 400);
      assert.equal((await signIn('tess', 'my own passphrase 2')).status, 200);
    });

    test('GET/PUT …/roles read and replace the realm roles, which tokens then carry', async () => {
      const dora = (await admin('GET', '/realms/demo/users?username=dora')).body[0];
      assert.deepEqual((await admin('GET', `/realms/demo/users/${dora.id}/roles`)).body, ['viewer']);
      const set = await admin('PUT', `/realms/demo/users/${dora.id}/roles`, ['admin', 'viewer']);
      assert.deepEqual(set.body, ['admin', 'viewer']);
      assertProblem(await admin('PUT', `/realms/demo/users/${dora.id}/roles`, ['nope']), 400, 'roles[0]');
      const tokens = (await signIn('dora', 'a long enough passphrase')).body;
      const claims = JSON.parse(Buffer.from(tokens.access_token.split('.')[1], 'base64url').toString());
      assert.deepEqual(claims.roles, ['admin', 'viewer']);
    });

    test('deleting a user ends their sessions and tokens: the refresh token and the access token stop working', async () => {
      const created = await admin('POST', '/realms/demo/users', { username: 'eve', password: 'a long enough passphrase' });
      const tokens = (await signIn('eve', 'a long enough passphrase')).body;
      assert.ok(tokens.refresh_token);
      const read = await admin('GET', `/realms/demo/users/${created.body.id}`);
      assertProblem(await admin('DELETE', `/realms/demo/users/${created.body.id}`, undefined, { 'if-match': '"stale"' }), 412);
      assert.equal((await admin('DELETE', `/realms/demo/users/${created.body.id}`, undefined, { 'if-match': read.headers.get('etag')! })).status, 204);
      assertProblem(await admin('GET', `/realms/demo/users/${created.body.id}`), 404);
      const refreshed = await tokenRequest(server.issuer(), { grant_type: 'refresh_token', refresh_token: tokens.refresh_token }, { id: 'cli', secret: 'cli-secret-0123456789' });
      assert.equal(refreshed.status, 400);
      const introspected = await endpointRequest(server.issuer(), 'token/introspect', { token: tokens.access_token }, { id: 'cli', secret: 'cli-secret-0123456789' });
      assert.equal(introspected.body.active, false);
      assert.equal((await signIn('eve', 'a long enough passphrase')).status, 400);
    });

    test('a user of another realm is 404 under this one; a realm-viewer reads users but may not change them', async () => {
      const other = await admin('POST', '/realms/other/users', { username: 'olga' });
      assert.equal(other.status, 201);
      assertProblem(await admin('GET', `/realms/demo/users/${other.body.id}`), 404);
      assertProblem(await admin('DELETE', `/realms/demo/users/${other.body.id}`), 404);
      assert.equal((await demoViewer('GET', '/realms/demo/users')).status, 200);
      const alice = (await demoViewer('GET', '/realms/demo/users?username=alice')).body[0];
      assertProblem(await demoViewer('POST', '/realms/demo/users', { username: 'viewer-made' }), 403);
      assertProblem(await demoViewer('PUT', `/realms/demo/users/${alice.id}/password`, { password: 'a new and long passphrase' }), 403);
      assertProblem(await demoViewer('PUT', `/realms/demo/users/${alice.id}/roles`, []), 403);
      assertProblem(await demoViewer('DELETE', `/realms/demo/users/${alice.id}`), 403);
      assertProblem(await demoViewer('GET', '/realms/other/users'), 403);
    });
  });
}
