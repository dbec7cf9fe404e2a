// The admin API's contract: /admin/openapi.json is a valid OpenAPI 3.1 document made from the same
// schemas that validate requests, it lists every /admin route the app serves, and bad input is a
// 400 problem naming the field (never a 500).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import { adminEndpoints } from '../../src/admin/endpoints.js';
import { adminApi, assertProblem, masterWithServiceAccounts, serviceToken, type AdminCall } from '../helpers/admin-api.js';
import { databases } from '../helpers/databases.js';
import { testRealm } from '../helpers/realm.js';
import { startServer, type TestServer } from '../helpers/server.js';

/** The admin console's page and static files (admin/console.ts) share the /admin prefix but are not API. */
const consolePaths = new Set([
  adminEndpoints.admin_console, adminEndpoints.admin_console_bare, adminEndpoints.admin_console_asset,
  adminEndpoints.admin_realm_console, adminEndpoints.admin_realm_console_asset,
].map((e) => e.path));

/** Every method and path the app routes under /admin (the console's files aside), from Fastify's route tree, as OpenAPI writes paths (`{realm}`). */
function adminRoutes(tree: string): Set<string> {
  const routes = new Set<string>();
  const parents: string[] = [];
  for (const line of tree.split('\n')) {
    const match = /^([│ ]*)[├└]── (.+) \(([A-Z, ]+)\)$/.exec(line);
    if (!match) continue;
    const depth = match[1]!.length / 4;
    const path = (parents[depth - 1] ?? '') + match[2]!;
    parents[depth] = path;
    parents.length = depth + 1;
    if (!path.startsWith('/admin/') || consolePaths.has(path)) continue;
    for (const method of match[3]!.split(', ')) if (method !== 'HEAD') routes.add(`${method} ${path.replace(/:(\w+)/g, '{$1}')}`);
  }
  return routes;
}

for (const database of databases) {
  describe(`admin API contract (${database})`, () => {
    let server: TestServer;
    let call: AdminCall;
    before(async () => {
      server = await startServer(database, { realms: [testRealm().realms[0]!, masterWithServiceAccounts()] });
      call = adminApi(server, await serviceToken(server, 'ops-bot'));
    });
    after(async () => { await server?.close(); });

    test('GET /admin/openapi.json is a valid OpenAPI 3.1 document, served without a token', async () => {
      const response = await fetch(`${server.url}/admin/openapi.json`);
      assert.equal(response.status, 200);
      const document = await response.json() as Record<string, any>;
      assert.equal(document.openapi, '3.1.0');
      const result = await new Validator().validate(document);
      assert.equal(result.valid, true, JSON.stringify(result.errors, null, 1)?.slice(0, 2000));
    });

    test('every /admin route the app serves is in the document with its method, and nothing else is', async () => {
      const document = await (await fetch(`${server.url}/admin/openapi.json`)).json() as { paths: Record<string, Record<string, unknown>> };
      const documented = new Set(Object.entries(document.paths).flatMap(([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`)));
      const routed = adminRoutes(server.app.printRoutes({ commonPrefix: false }));
      assert.ok(routed.size >= 10, `the route tree was read (${routed.size} routes)`);
      assert.deepEqual([...documented].sort(), [...routed].sort());
    });

    test('the document describes request bodies with the schemas that validate them: a client body refuses unknown members', async () => {
      const document = await (await fetch(`${server.url}/admin/openapi.json`)).json() as any;
      const body = document.paths['/admin/realms/{realm}/clients'].post.requestBody.content['application/json'].schema;
      assert.equal(body.additionalProperties, false);
      assert.ok(body.properties.redirect_uris, 'redirect_uris is documented');
      assertProblem(await call('POST', '/realms/demo/clients', { client_id: 'x', redirect_uri: 'https://app.example.com/cb' }), 400, 'redirect_uri');
    });

    test('a body of the wrong type, a value the client parser refuses, and a bad paging parameter are 400 problems naming the field', async () => {
      assertProblem(await call('POST', '/realms/demo/clients', { client_id: 'x', redirect_uris: 'https://app.example.com/cb' }), 400, 'redirect_uris');
      assertProblem(await call('POST', '/realms/demo/clients', { client_id: 'x', redirect_uris: ['/relative'] }), 400, 'redirect_uris');
      assertProblem(await call('GET', '/realms/demo/clients?max=5000'), 400, 'max');
      assertProblem(await call('GET', '/realms/demo/clients?first=-1'), 400, 'first');
      assertProblem(await call('GET', '/realms/demo/clients?page=2'), 400, 'page');
    });

    test('malformed JSON, a JSON array, an empty body and a body over 64 KiB are refused as problems, never a 500', async () => {
      assertProblem(await call('POST', '/realms/demo/clients', '{"client_id": '), 400);
      assertProblem(await call('POST', '/realms/demo/clients', []), 400);
      assertProblem(await call('POST', '/realms', {}), 400, 'name');
      assertProblem(await call('POST', '/realms/demo/clients', { client_id: 'big', client_name: 'x'.repeat(70_000) }), 413);
      assertProblem(await call('PUT', '/realms/demo', { access_token_lifetime: 'long' }), 400, 'access_token_lifetime');
      assertProblem(await call('PUT', '/realms/demo', { brute_force: { enabled: 'yes' } }), 400, 'brute_force.enabled');
    });

    test('no token is 401 with a Bearer challenge; a problem names no field it has not got', async () => {
      const response = await fetch(`${server.url}/admin/realms`);
      assert.equal(response.status, 401);
      assert.match(response.headers.get('www-authenticate') ?? '', /^Bearer realm="master"/);
      assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/);
    });
  });
}
