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

    test('a secret rotated on another node stops working here within a second', async () => {
      await otherNode.clients.setSecretHash('demo', 'service', server.services.sealer.digest('rotated-secret'), Date.now());
      await sleep(1_100);
      assert.equal((await serviceToken()).status, 401);
      const rotated = await tokenRequest(server.issuer(), { grant_type: 'client_credentials' }, { id: 'service', secret: 'rotated-secret' });
      assert.equal(rotated.status, 200);
    });
  });
}
