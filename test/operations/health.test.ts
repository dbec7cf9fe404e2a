// Health endpoints (docs/operations.md): liveness is unconditional; readiness means the database answers.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { buildApp } from '../../src/app.js';
import { databases } from '../helpers/databases.js';
import { testRealm } from '../helpers/realm.js';
import { startServer, type TestServer } from '../helpers/server.js';

for (const database of databases) {
  describe(`health endpoints (${database})`, () => {
    let server: TestServer;
    before(async () => { server = await startServer(database, testRealm()); });
    after(async () => { await server?.close(); });

    test('/health/live answers 200', async () => {
      const response = await fetch(`${server.url}/health/live`);
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), { status: 'ok' });
    });

    test('/health/ready answers 200 ready while the database answers', async () => {
      const response = await fetch(`${server.url}/health/ready`);
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), { status: 'ready' });
    });

    test('/health/ready answers 503 once the database is gone, while /health/live still answers', async () => {
      const other = await startServer(database, testRealm());
      try {
        await other.services.store.close();
        const ready = await fetch(`${other.url}/health/ready`);
        assert.equal(ready.status, 503);
        assert.deepEqual(await ready.json(), { status: 'unavailable', reason: 'database' });
        assert.equal((await fetch(`${other.url}/health/live`)).status, 200);
      } finally {
        await other.close();
      }
    });

    test('/health/ready answers 503 when the database does not answer within 2 s', async () => {
      const hanging = { ...server.services, store: { ...server.services.store, ping: () => new Promise<void>(() => {}) } };
      const app = await buildApp(hanging);
      try {
        const response = await app.inject({ method: 'GET', url: '/health/ready' });
        assert.equal(response.statusCode, 503);
        assert.deepEqual(response.json(), { status: 'unavailable', reason: 'database' });
      } finally {
        await app.close();
      }
    });
  });
}
