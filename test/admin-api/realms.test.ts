// The realm resource of the admin API (GET/POST /admin/realms, GET/PUT/DELETE /admin/realms/{realm}):
// realm file shapes through the realm file's parser, ETags and If-Match, paging, audit events, and
// who may do what.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { adminApi, assertProblem, masterWithServiceAccounts, serviceToken, type AdminCall } from '../helpers/admin-api.js';
import { databases } from '../helpers/databases.js';
import { testRealm } from '../helpers/realm.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { tokenRequest } from '../helpers/user-agent.js';

for (const database of databases) {
  describe(`admin API: realms (${database})`, () => {
    let server: TestServer;
    let admin: AdminCall;
    let demoAdmin: AdminCall;
    let demoViewer: AdminCall;
    before(async () => {
      server = await startServer(database, { realms: [testRealm().realms[0]!, masterWithServiceAccounts()] });
      admin = adminApi(server, await serviceToken(server, 'ops-bot'));
      demoAdmin = adminApi(server, await serviceToken(server, 'demo-admin'));
      demoViewer = adminApi(server, await serviceToken(server, 'demo-viewer'));
    });
    after(async () => { await server?.close(); });

    test('a realm is created from a realm file entry, clients and users included, and its users can sign in', async () => {
      const created = await admin('POST', '/realms', {
        name: 'shop', display_name: 'Shop', access_token_lifetime: 120, roles: ['clerk'],
        clients: [{ client_id: 'till', client_secret: 'till-secret-0123456789', grant_types: ['password'], scope: 'openid' }],
        users: [{ username: 'carol', password: 'a long enough passphrase', roles: ['clerk'] }],
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.equal(created.headers.get('location'), `${server.services.config.publicUrl}/admin/realms/shop`);
      assert.equal(created.body.name, 'shop');
      assert.equal(created.body.access_token_lifetime, 120);
      assert.equal(created.body.clients, undefined, 'the realm resource holds settings, not clients');
      const signIn = await tokenRequest(server.issuer('shop'), { grant_type: 'password', username: 'carol', password: 'a long enough passphrase', scope: 'openid' }, { id: 'till', secret: 'till-secret-0123456789' });
      assert.equal(signIn.status, 200, JSON.stringify(signIn.body));
    });

    test('creating a realm that exists is 409 naming the name', async () => {
      assertProblem(await admin('POST', '/realms', { name: 'demo' }), 409, 'name');
    });

    test('GET answers the realm file shape with an ETag; PUT replaces it; a stale If-Match is 412 and changes nothing', async () => {
      const read = await admin('GET', '/realms/demo');
      assert.equal(read.status, 200);
      const etag = read.headers.get('etag')!;
      assert.match(etag, /^"[\w-]+"$/);
      assert.equal(read.body.display_name, 'Demo');
      assert.deepEqual(read.body.scopes, [{ name: 'api:read', description: 'Read your documents' }]);
      const { name: _name, ...settings } = read.body;
      const updated = await admin('PUT', '/realms/demo', { ...settings, display_name: 'Demo (renamed)' }, { 'if-match': etag });
      assert.equal(updated.status, 200, JSON.stringify(updated.body));
      assert.equal(updated.body.display_name, 'Demo (renamed)');
      assert.notEqual(updated.headers.get('etag'), etag);
      assertProblem(await admin('PUT', '/realms/demo', { ...settings, display_name: 'Lost update' }, { 'if-match': etag }), 412);
      assert.equal((await admin('GET', '/realms/demo')).body.display_name, 'Demo (renamed)');
      assert.equal((await server.services.store.realms.get('demo'))!.displayName, 'Demo (renamed)');
    });

    test('a PUT of what GET answered changes nothing (same ETag), and a realm cannot be renamed', async () => {
      const read = await admin('GET', '/realms/demo');
      const again = await admin('PUT', '/realms/demo', read.body);
      assert.equal(again.status, 200, JSON.stringify(again.body));
      assert.equal(again.headers.get('etag'), read.headers.get('etag'));
      assertProblem(await admin('PUT', '/realms/demo', { ...read.body, name: 'other' }), 400, 'name');
    });

    test('the list is ordered by name and paged with first and max', async () => {
      const all = await admin('GET', '/realms');
      assert.equal(all.status, 200);
      const names = all.body.map((r: any) => r.name);
      assert.deepEqual(names, [...names].sort());
      assert.ok(names.includes('master') && names.includes('demo'));
      const second = await admin('GET', '/realms?first=1&max=1');
      assert.deepEqual(second.body.map((r: any) => r.name), [names[1]]);
    });

    test('a realm-viewer:demo token lists and reads demo only, and may not change it', async () => {
      assert.deepEqual((await demoViewer('GET', '/realms')).body.map((r: any) => r.name), ['demo']);
      assert.equal((await demoViewer('GET', '/realms/demo')).status, 200);
      assertProblem(await demoViewer('GET', '/realms/master'), 403);
      const read = await demoViewer('GET', '/realms/demo');
      assertProblem(await demoViewer('PUT', '/realms/demo', read.body), 403);
      assertProblem(await demoViewer('DELETE', '/realms/demo'), 403);
    });

    test('a realm-admin:demo token changes demo but not master, may not create other realms, and gets 403 for a realm that does not exist', async () => {
      const read = await demoAdmin('GET', '/realms/demo');
      assert.equal((await demoAdmin('PUT', '/realms/demo', read.body)).status, 200);
      assertProblem(await demoAdmin('PUT', '/realms/master', { display_name: 'Mine' }), 403);
      assertProblem(await demoAdmin('POST', '/realms', { name: 'elsewhere' }), 403);
      assertProblem(await demoAdmin('GET', '/realms/no-such-realm'), 403);
      assertProblem(await admin('GET', '/realms/no-such-realm'), 404);
    });

    test('tokens of other clients are refused with 403, whatever realm they name', async () => {
      const plain = adminApi(server, await serviceToken(server, 'plain-bot'));
      const refused = await plain('GET', '/realms/demo');
      assertProblem(refused, 403);
      assert.equal(refused.body.error, 'insufficient_scope');
      assert.match(refused.headers.get('www-authenticate') ?? '', /error="insufficient_scope"/);
    });

    test('deleting a realm removes it with its clients and users; the master realm cannot be deleted', async () => {
      assert.equal((await admin('POST', '/realms', { name: 'doomed', users: [{ username: 'dan' }] })).status, 201);
      const read = await admin('GET', '/realms/doomed');
      assertProblem(await admin('DELETE', '/realms/doomed', undefined, { 'if-match': '"stale"' }), 412);
      const deleted = await admin('DELETE', '/realms/doomed', undefined, { 'if-match': read.headers.get('etag')! });
      assert.equal(deleted.status, 204);
      assertProblem(await admin('GET', '/realms/doomed'), 404);
      assert.equal(await server.services.store.users.findByUsername('doomed', 'dan'), undefined);
      assert.equal((await fetch(`${server.issuer('doomed')}/.well-known/openid-configuration`)).status, 404);
      assertProblem(await admin('DELETE', '/realms/master'), 409);
    });

    test('every change is an audit event naming the actor and the resource, with digests of before and after', async () => {
      await server.services.audit.flush();
      const events = await admin('GET', '/realms/demo/events?type=admin_realm_updated');
      assert.equal(events.status, 200);
      const [latest] = events.body;
      assert.ok(latest, 'admin_realm_updated recorded');
      assert.equal(latest.details.resource, 'realms/demo');
      assert.match(latest.details.actor, /^client:(ops-bot|demo-admin)$/);
      assert.match(latest.details.before_digest, /^[\w-]{27}$/);
      assert.match(latest.details.after_digest, /^[\w-]{27}$/);
      const master = await admin('GET', '/realms/master/events?type=admin_realm_deleted');
      assert.equal(master.body[0]?.details.resource, 'realms/doomed');
      assert.equal(master.body[0]?.details.after_digest, null);
    });
  });
}
