// Realms are cached for two seconds per process (src/http/realm.ts): requests that find the realm
// expired at the same moment share one read of it instead of each reading it again.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { queryCounts } from '../../src/store/query-counts.js';
import { databases } from '../helpers/databases.js';
import { testRealm } from '../helpers/realm.js';
import { startServer, type TestServer } from '../helpers/server.js';

for (const database of databases) {
  describe(`realm cache (${database})`, () => {
    let server: TestServer;
    before(async () => { server = await startServer(database, testRealm()); });
    after(async () => { await server?.close(); });

    test('requests that miss the realm cache together read the realm once', async () => {
      const certs = () => fetch(`${server.issuer()}/protocol/openid-connect/certs`).then(async (r) => { assert.equal(r.status, 200); await r.arrayBuffer(); });
      await certs();
      // Past the realm's two seconds, within its signing keys' five.
      server.clock.advance(3);
      const before = queryCounts.reads;
      await Promise.all(Array.from({ length: 20 }, certs));
      assert.equal(queryCounts.reads - before, 1);
    });
  });
}
