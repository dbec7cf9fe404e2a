// Clients are cached for a second per node: a change made on this node is seen at once, a change
// made on another node (another store on the same database) within a second.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { openStore, type Store } from '../../src/store/index.js';
import { databases } from '../helpers/databases.js';
import { testRealm } from '../helpers/realm.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { tokenRequest } from '../helpers/user-agent.js';
import { queryCounts } from '../../src/store/query-counts.js';

for (const database of databases) {
  describe(`client cache (${database})`, () => {
    let server: TestServer;
    let otherNode: Store;
    before(async () => {
      server = await startServer(database, testRealm());
      otherNode = await openStore(server.databaseUrl);
    });
    after(async () => {
      await otherNode?.close();
      await server?.close();
    });

    const serviceToken = () => tokenRequest(server.issuer(), { grant_type: 'client_credentials' }, { id: 'service', secret: 'service-secret' });

    test('disabling a client on this node refuses it on the very next request', async () => {
      assert.equal((await serviceToken()).status, 200);
      await server.services.store.clients.setEnabled('demo', 'service', false, Date.now());
      try {
        assert.equal((await serviceToken()).status, 401);
      } finally {
        await server.services.store.clients.setEnabled('demo', 'service', true, Date.now());
      }
      assert.equal((await serviceToken()).status, 200);
    });

    test('a client disabled on another node is refused here within a second', async () => {
      assert.equal((await serviceToken()).status, 200);
      await otherNode.clients.setEnabled('demo', 'service', false, Date.now());
      try {
        await sleep(1_100);
        assert.equal((await serviceToken()).status, 401);
      } finally {
        await otherNode.clients.setEnabled('demo', 'service', true, Date.now());
        await sleep(1_100);
      }
      assert.equal((await serviceToken()).status, 200);
    });

    if (database === 'sqlite') {
      // SQLite has no notifications: a store compares the cache_changes counters before using a cached client.
      test('a client disabled through another store of this process is refused at the very next request', async () => {
        assert.equal((await serviceToken()).status, 200);
        await otherNode.clients.setEnabled('demo', 'service', false, Date.now());
        try {
          assert.equal((await serviceToken()).status, 401);
        } finally {
          await otherNode.clients.setEnabled('demo', 'service', true, Date.now());
        }
        assert.equal((await serviceToken()).status, 200);
      });

      test('this process\'s own writes of other rows do not make it read the change counters again', async () => {
        const store = server.services.store;
        await store.clients.get('demo', 'service');
        await store.grants.create({
          realm: 'demo', clientId: 'service', userId: null, sessionId: null, scope: 'openid', authTime: null, amr: [], acr: null,
          nonce: null, claims: null, offline: false, expiresAt: Date.now() + 60_000, resources: [],
        }, Date.now());
        const readsBefore = queryCounts.reads;
        assert.equal((await store.clients.get('demo', 'service'))?.clientId, 'service');
        assert.equal(queryCounts.reads - readsBefore, 0);
      });
    }

    test('lookups that miss the cache together read the client once', async () => {
      // Writing drops otherNode's cached copy: the lookups below all miss. (On SQLite it also makes
      // the next look at the change counters read them: done here, so that only the client is counted.)
      await otherNode.clients.setEnabled('demo', 'service', true, Date.now());
      await otherNode.changes.poll();
      const readsBefore = queryCounts.reads;
      const found = await Promise.all(Array.from({ length: 20 }, () => otherNode.clients.get('demo', 'service')));
      assert.ok(found.every((client) => client?.clientId === 'service'));
      // One lookup is the client and its roles (3 statements); 20 separate ones were 60.
      assert.ok(queryCounts.reads - readsBefore <= 6, `${queryCounts.reads - readsBefore} reads`);
    });

    test('a lookup after a change does not share a read that started before it', async () => {
      await otherNode.clients.setEnabled('demo', 'service', true, Date.now());
      const inFlight = otherNode.clients.get('demo', 'service');
      await otherNode.clients.setEnabled('demo', 'service', false, Date.now());
      try {
        assert.equal((await otherNode.clients.get('demo', 'service'))?.enabled, false);
        await inFlight;
      } finally {
        await otherNode.clients.setEnabled('demo', 'service', true, Date.now());
        await sleep(1_100);
      }
    });

    test('a secret rotated on another node stops working here within a second', async () => {
      await otherNode.clients.setSecretHash('demo', 'service', server.services.sealer.digest('rotated-secret'), Date.now());
      await sleep(1_100);
      assert.equal((await serviceToken()).status, 401);
      const rotated = await tokenRequest(server.issuer(), { grant_type: 'client_credentials' }, { id: 'service', secret: 'rotated-secret' });
      assert.equal(rotated.status, 200);
    });
  });
}
