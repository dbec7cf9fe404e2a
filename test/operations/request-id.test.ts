// Request ids: every response carries X-Request-Id, a well-formed incoming one is kept (so a
// proxy's id follows the request into Strix's logs) and anything else is replaced.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { databases } from '../helpers/databases.js';
import { testRealm } from '../helpers/realm.js';
import { startServer, type TestServer } from '../helpers/server.js';

const idFormat = /^[A-Za-z0-9._-]{1,64}$/;

for (const database of databases) {
  describe(`request ids (${database})`, () => {
    let server: TestServer;
    before(async () => { server = await startServer(database, testRealm()); });
    after(async () => { await server?.close(); });

    const idOf = async (path: string, headers: Record<string, string> = {}) =>
      (await fetch(`${server.url}${path}`, { headers })).headers.get('x-request-id');

    test('every response carries a fresh X-Request-Id, error responses too', async () => {
      const a = await idOf('/health/live');
      const b = await idOf('/health/live');
      const notFound = await idOf('/nowhere');
      for (const id of [a, b, notFound]) assert.match(id ?? '', idFormat);
      assert.notEqual(a, b);
    });

    test('a well-formed incoming X-Request-Id is echoed back', async () => {
      assert.equal(await idOf('/realms/demo/.well-known/openid-configuration', { 'x-request-id': 'lb-1234.abc_DEF-9' }), 'lb-1234.abc_DEF-9');
    });

    test('an incoming X-Request-Id that is too long or has other characters is replaced', async () => {
      for (const bad of ['x'.repeat(65), 'has space', 'semi;colon', 'new\u00e9']) {
        const id = await idOf('/health/live', { 'x-request-id': bad });
        assert.match(id ?? '', idFormat);
        assert.notEqual(id, bad);
      }
    });
  });
}
