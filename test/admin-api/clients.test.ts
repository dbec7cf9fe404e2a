// The client resource of the admin API (…/clients, …/clients/{client_id}, …/clients/{client_id}/secret):
// RFC 7591 metadata through the realm file's client parser, secrets shown once and never again.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { adminApi, assertProblem, masterWithServiceAccounts, serviceToken, type AdminCall } from '../helpers/admin-api.js';
import { databases } from '../helpers/databases.js';
import { testRealm } from '../helpers/realm.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { tokenRequest } from '../helpers/user-agent.js';

const machine = { client_id: 'reports', client_name: 'Reports job', grant_types: ['client_credentials'], scope: 'api:read' };

for (const database of databases) {
  describe(`admin API: clients (${database})`, () => {
    let server: TestServer;
    let admin: AdminCall;
    let demoAdmin: AdminCall;
    let demoViewer: AdminCall;
    const clientCredentials = (clientId: string, secret: string) => tokenRequest(server.issuer(), { grant_type: 'client_credentials' }, { id: clientId, secret });

    before(async () => {
      server = await startServer(database, { realms: [testRealm().realms[0]!, masterWithServiceAccounts(), { name: 'other' }] });
      admin = adminApi(server, await serviceToken(server, 'ops-bot'));
      demoAdmin = adminApi(server, await serviceToken(server, 'demo-admin'));
      demoViewer = adminApi(server, await serviceToken(server, 'demo-viewer'));
    });
    after(async () => { await server?.close(); });

    test('a confidential client registered without a secret gets one, shown once in the 201 answer, that works at the token endpoint', async () => {
      const created = await demoAdmin('POST', '/realms/demo/clients', machine);
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.equal(created.body.client_id, 'reports');
      assert.equal(created.body.enabled, true);
      assert.equal(created.body.token_endpoint_auth_method, 'client_secret_basic');
      const secret = created.body.client_secret as string;
      assert.ok(secret.length >= 40);
      assert.equal((await clientCredentials('reports', secret)).status, 200);
      const read = await demoAdmin('GET', '/realms/demo/clients/reports');
      assert.equal(read.status, 200);
      assert.equal(read.body.client_secret, undefined);
      assert.ok(!JSON.stringify(read.body).includes(secret));
    });

    test('no answer holds a secret or its hash', async () => {
      const stored = (await server.services.store.clients.get('demo', 'web'))!;
      const listed = await admin('GET', '/realms/demo/clients?max=1000');
      const text = JSON.stringify(listed.body);
      assert.ok(!text.includes('web-secret') && !text.includes(stored.secretHash!));
      assert.ok(listed.body.every((c: any) => c.client_secret === undefined && c.secret_hash === undefined && c.secretHash === undefined));
    });

    test('registering a client_id that exists is 409 naming client_id', async () => {
      assertProblem(await admin('POST', '/realms/demo/clients', { ...machine, client_id: 'web' }), 409, 'client_id');
    });

    test('the list is ordered by client_id and paged', async () => {
      const all = (await admin('GET', '/realms/demo/clients')).body.map((c: any) => c.client_id);
      assert.deepEqual(all, [...all].sort());
      assert.ok(all.includes('web') && all.includes('spa'));
      assert.deepEqual((await admin('GET', '/realms/demo/clients?first=2&max=2')).body.map((c: any) => c.client_id), all.slice(2, 4));
    });

    test('PUT replaces the metadata and keeps the secret; If-Match guards it; disabling refuses the client at once', async () => {
      const read = await admin('GET', '/realms/demo/clients/service');
      const etag = read.headers.get('etag')!;
      const updated = await admin('PUT', '/realms/demo/clients/service', { ...read.body, client_name: 'Service', enabled: false }, { 'if-match': etag });
      assert.equal(updated.status, 200, JSON.stringify(updated.body));
      assert.equal(updated.body.client_name, 'Service');
      assert.equal(updated.body.client_secret, undefined, 'the secret was kept, none generated');
      assert.equal((await clientCredentials('service', 'service-secret')).status, 401);
      assertProblem(await admin('PUT', '/realms/demo/clients/service', { ...read.body, enabled: true }, { 'if-match': etag }), 412);
      assert.equal((await admin('PUT', '/realms/demo/clients/service', { ...read.body, enabled: true })).status, 200);
      assert.equal((await clientCredentials('service', 'service-secret')).status, 200);
      assertProblem(await admin('PUT', '/realms/demo/clients/service', { ...read.body, client_id: 'renamed' }), 400, 'client_id');
    });

    test('rotating the secret returns a new one once; the old one stops working; a public client has none to rotate', async () => {
      // Proven just before: a secret remembered as proven must not outlive the rotation.
      assert.equal((await clientCredentials('service', 'service-secret')).status, 200);
      const rotated = await admin('POST', '/realms/demo/clients/service/secret');
      assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
      assert.equal((await clientCredentials('service', 'service-secret')).status, 401);
      assert.equal((await clientCredentials('service', rotated.body.client_secret)).status, 200);
      assertProblem(await admin('POST', '/realms/demo/clients/spa/secret'), 409);
      assertProblem(await admin('POST', '/realms/demo/clients/nobody/secret'), 404);
    });

    test('DELETE removes the client; its tokens and a second delete then fail', async () => {
      assert.equal((await admin('POST', '/realms/demo/clients', { ...machine, client_id: 'short-lived', client_secret: 'short-lived-secret-0123' })).status, 201);
      assert.equal((await clientCredentials('short-lived', 'short-lived-secret-0123')).status, 200);
      const read = await admin('GET', '/realms/demo/clients/short-lived');
      assertProblem(await admin('DELETE', '/realms/demo/clients/short-lived', undefined, { 'if-match': '"stale"' }), 412);
      assert.equal((await admin('DELETE', '/realms/demo/clients/short-lived', undefined, { 'if-match': read.headers.get('etag')! })).status, 204);
      assert.equal((await clientCredentials('short-lived', 'short-lived-secret-0123')).status, 401);
      assertProblem(await admin('DELETE', '/realms/demo/clients/short-lived'), 404);
      assertProblem(await admin('GET', '/realms/demo/clients/short-lived'), 404);
    });

    test('admin API roles can be given only to master-realm clients', async () => {
      assertProblem(await admin('POST', '/realms/demo/clients', { ...machine, client_id: 'sneaky', service_account_roles: ['admin'] }), 400, 'service_account_roles');
      const bot = await admin('POST', '/realms/master/clients', { ...machine, client_id: 'new-bot', scope: 'openid', service_account_roles: ['realm-viewer:demo'] });
      assert.equal(bot.status, 201, JSON.stringify(bot.body));
      const token = (await tokenRequest(server.issuer('master'), { grant_type: 'client_credentials' }, { id: 'new-bot', secret: bot.body.client_secret })).body.access_token;
      assert.equal((await adminApi(server, token)('GET', '/realms/demo/clients')).status, 200);
    });

    test('a role taken away counts at once: a service account demoted to none is refused with its old token', async () => {
      const bot = await admin('POST', '/realms/master/clients', { ...machine, client_id: 'demoted-bot', scope: 'openid', service_account_roles: ['realm-admin:demo'] });
      const token = (await tokenRequest(server.issuer('master'), { grant_type: 'client_credentials' }, { id: 'demoted-bot', secret: bot.body.client_secret })).body.access_token;
      const call = adminApi(server, token);
      assert.equal((await call('GET', '/realms/demo/clients')).status, 200);
      const read = await admin('GET', '/realms/master/clients/demoted-bot');
      assert.equal((await admin('PUT', '/realms/master/clients/demoted-bot', { ...read.body, service_account_roles: ['realm-viewer:other'] })).status, 200);
      assertProblem(await call('GET', '/realms/demo/clients'), 403);
    });

    test('a realm-viewer reads clients but may not register, change, rotate or delete one; a realm-admin of demo may not touch another realm', async () => {
      assert.equal((await demoViewer('GET', '/realms/demo/clients')).status, 200);
      assert.equal((await demoViewer('GET', '/realms/demo/clients/web')).status, 200);
      assertProblem(await demoViewer('POST', '/realms/demo/clients', { ...machine, client_id: 'viewer-made' }), 403);
      assertProblem(await demoViewer('PUT', '/realms/demo/clients/web', { client_name: 'x' }), 403);
      assertProblem(await demoViewer('POST', '/realms/demo/clients/web/secret'), 403);
      assertProblem(await demoViewer('DELETE', '/realms/demo/clients/web'), 403);
      assertProblem(await demoAdmin('GET', '/realms/other/clients'), 403);
      assertProblem(await demoAdmin('POST', '/realms/other/clients', machine), 403);
      assert.equal(await server.services.store.clients.get('other', 'reports'), undefined);
    });

    const register = (token: string) => fetch(`${server.issuer()}/protocol/openid-connect/registrations`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ redirect_uris: ['https://app.example.com/cb'] }),
    });

    test('an initial access token issued through the API, shown once, registers one client by default and is gone after', async () => {
      const issued = await demoAdmin('POST', '/realms/demo/clients-initial-access');
      assert.equal(issued.status, 201, JSON.stringify(issued.body));
      assert.equal(issued.body.expiration, 86400);
      assert.equal(issued.body.count, 1);
      assertProblem(await demoViewer('POST', '/realms/demo/clients-initial-access'), 403);
      assert.equal((await register(issued.body.token)).status, 201);
      const spent = await register(issued.body.token);
      assert.equal(spent.status, 401);
      assert.match(spent.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
      assert.ok(!(await demoViewer('GET', '/realms/demo/clients-initial-access')).body.some((t: { id: string }) => t.id === issued.body.id));
    });

    test('an initial access token\'s count and expiration (Keycloak\'s) bound it, and removing it stops it at once', async () => {
      const three = await demoAdmin('POST', '/realms/demo/clients-initial-access', { count: 3, expiration: 0 });
      assert.equal(three.status, 201, JSON.stringify(three.body));
      assert.equal((await register(three.body.token)).status, 201);
      const listed = (await demoViewer('GET', '/realms/demo/clients-initial-access')).body.find((t: { id: string }) => t.id === three.body.id);
      assert.deepEqual({ count: listed.count, remainingCount: listed.remainingCount, expiration: listed.expiration, source: listed.source }, { count: 3, remainingCount: 2, expiration: 0, source: 'issued' });
      assert.equal(JSON.stringify(listed).includes(three.body.token), false);
      assertProblem(await demoViewer('DELETE', `/realms/demo/clients-initial-access/${three.body.id}`), 403);
      assert.equal((await demoAdmin('DELETE', `/realms/demo/clients-initial-access/${three.body.id}`)).status, 204);
      assert.equal((await register(three.body.token)).status, 401);
      assertProblem(await demoAdmin('DELETE', `/realms/demo/clients-initial-access/${three.body.id}`), 404);

      assertProblem(await demoAdmin('POST', '/realms/demo/clients-initial-access', { count: -1 }), 400, 'count');
      assertProblem(await demoAdmin('POST', '/realms/demo/clients-initial-access', { expiration: 'soon' }), 400, 'expiration');
      assertProblem(await demoAdmin('POST', '/realms/demo/clients-initial-access', { scope: 'all' }), 400, 'scope');
    });

    test('client changes are audit events with the client and the actor', async () => {
      await server.services.audit.flush();
      const events = await admin('GET', '/realms/demo/events?type=admin_client_created&client=reports');
      assert.equal(events.body[0]?.details.actor, 'client:demo-admin');
      assert.equal(events.body[0]?.details.resource, 'clients/reports');
      assert.ok(!JSON.stringify((await admin('GET', '/realms/demo/events?max=1000')).body).includes('short-lived-secret-0123'));
    });

    // Last: it moves the server's clock past the lifetime of the tokens the other tests use.
    test('an initial access token stops registering when its expiration has passed, and is listed as expired', async () => {
      const hour = await demoAdmin('POST', '/realms/demo/clients-initial-access', { expiration: 3600, count: 0 });
      assert.equal((await register(hour.body.token)).status, 201);
      assert.equal((await register(hour.body.token)).status, 201);
      server.clock.advance(3601);
      assert.equal((await register(hour.body.token)).status, 401);
      const viewer = adminApi(server, await serviceToken(server, 'demo-viewer'));
      assert.equal((await viewer('GET', '/realms/demo/clients-initial-access')).body.find((t: { id: string }) => t.id === hour.body.id).expired, true);
    });
  });
}
