// The endpoint tables (src/*/endpoints.ts) are the one list of routes: every route the app serves
// is an entry, names are unique, discovery advertises exactly the entries marked for it, and an
// entry that requires a session refuses a request without one.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { adminEndpoints } from '../../src/admin/endpoints.js';
import { endpointUrl, type Endpoint } from '../../src/http/endpoint.js';
import { otherMethods } from '../../src/http/post-only.js';
import { discoveryEndpoints, oauthEndpoints } from '../../src/oauth/endpoints.js';
import { opsEndpoints } from '../../src/ops/endpoints.js';
import { uiEndpoints } from '../../src/ui/endpoints.js';
import { testRealm } from '../helpers/realm.js';
import { startServer, type TestServer } from '../helpers/server.js';

const tables = { oauth: oauthEndpoints, ui: uiEndpoints, ops: opsEndpoints, admin: adminEndpoints };
const entries: Endpoint[] = Object.values(tables).flatMap((table) => Object.values(table));

/** Every path and method the app routes, read from Fastify's route tree (`printRoutes`, one route per line). */
function registeredRoutes(tree: string): Map<string, Set<string>> {
  const routes = new Map<string, Set<string>>();
  const parents: string[] = [];
  for (const line of tree.split('\n')) {
    const match = /^([│ ]*)[├└]── (.+) \(([A-Z, ]+)\)$/.exec(line);
    if (!match) continue;
    const depth = match[1]!.length / 4;
    const path = (parents[depth - 1] ?? '') + match[2]!;
    parents[depth] = path;
    parents.length = depth + 1;
    routes.set(path, new Set(match[3]!.split(', ')));
  }
  return routes;
}

/** What `route()` registers for an entry: its methods, HEAD beside GET, the 405s of a POST-only endpoint, the preflight of a CORS one. */
function expectedMethods(endpoint: Endpoint): Set<string> {
  return new Set([
    ...endpoint.methods, ...(endpoint.methods.includes('GET') ? ['HEAD'] : []),
    ...(endpoint.postOnly ? [...otherMethods, 'HEAD'] : []), ...(endpoint.cors ? ['OPTIONS'] : []),
  ]);
}

describe('endpoint tables', () => {
  let server: TestServer;
  before(async () => { server = await startServer('sqlite', testRealm()); });
  after(async () => server.close());

  test('every route the app serves is exactly one table entry, with the methods the entry declares', () => {
    const routes = registeredRoutes(server.app.printRoutes({ commonPrefix: false }));
    assert.ok(routes.size > 0, 'the route tree was read');
    for (const [path, methods] of routes) {
      const owners = entries.filter((e) => e.path === path);
      assert.equal(owners.length, 1, `${path} has ${owners.length} table entries`);
      assert.deepEqual([...methods].sort(), [...expectedMethods(owners[0]!)].sort(), path);
    }
    for (const endpoint of entries) assert.ok(routes.has(endpoint.path), `${endpoint.name} (${endpoint.path}) is not routed`);
  });

  test('names and paths are unique across the tables, and each entry is keyed by its own name', () => {
    assert.equal(new Set(entries.map((e) => e.name)).size, entries.length);
    assert.equal(new Set(entries.map((e) => e.path)).size, entries.length);
    for (const table of Object.values(tables)) for (const [key, endpoint] of Object.entries(table)) assert.equal(endpoint.name, key);
  });

  test('discovery lists exactly the entries marked for it, at their URLs', async () => {
    const metadata = await (await fetch(`${server.issuer()}/.well-known/openid-configuration`)).json() as Record<string, unknown>;
    const advertised = Object.keys(metadata).filter((key) => key !== 'issuer' && typeof metadata[key] === 'string' && (metadata[key] as string).startsWith(server.issuer()));
    assert.deepEqual(advertised.sort(), discoveryEndpoints.map((e) => e.name).sort());
    for (const endpoint of discoveryEndpoints) assert.equal(metadata[endpoint.name], endpointUrl(server.services.config, 'demo', endpoint), endpoint.name);
  });

  test('the account pages, and only they, require a session, and refuse a request that has none', async () => {
    const accountPath = '/realms/:realm/account/';
    assert.deepEqual(entries.filter((e) => e.session === 'required').map((e) => e.name), entries.filter((e) => e.path.startsWith(accountPath)).map((e) => e.name));
    for (const endpoint of entries.filter((e) => e.session === 'required')) {
      for (const method of endpoint.methods) {
        const response = await fetch(endpointUrl(server.services.config, 'demo', endpoint), {
          method, redirect: 'manual', headers: { accept: 'text/html' },
          ...(method === 'POST' ? { body: 'csrf=x', headers: { accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded' } } : {}),
        });
        if (method === 'GET') {
          // A page opened without a session sends the browser to sign in as the account console's client.
          assert.equal(response.status, 303, `${method} ${endpoint.name}`);
          assert.match(response.headers.get('location') ?? '', /\/protocol\/openid-connect\/auth\?client_id=strix-account-console&/, `${method} ${endpoint.name}`);
          continue;
        }
        assert.equal(response.status, 401, `${method} ${endpoint.name}`);
        assert.match(response.headers.get('content-type') ?? '', /^text\/html/, `${method} ${endpoint.name}`);
        assert.match(await response.text(), /Not signed in/, `${method} ${endpoint.name}`);
      }
    }
  });
});
