// Cache bounds (docs/operations.md "Cache bounds"): STRIX_CACHE_REALMS bounds how many realms a
// process keeps; a realm pushed out by another is read from the database again on its next request.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { queryCounts } from '../../src/store/query-counts.js';
import { testRealm } from '../helpers/realm.js';
import { startServer, type TestServer } from '../helpers/server.js';

/** Database statements read while answering the JWK Set requests of `realms`, in turn, after the first round. */
async function readsOfSecondRound(server: TestServer, realms: string[]): Promise<number> {
  const certs = (realm: string) => fetch(`${server.issuer(realm)}/protocol/openid-connect/certs`).then(async (r) => { assert.equal(r.status, 200); await r.arrayBuffer(); });
  for (const realm of realms) await certs(realm);
  const before = queryCounts.reads;
  for (const realm of realms) await certs(realm);
  return queryCounts.reads - before;
}

for (const [bound, realmsRead] of [[undefined, false], ['1', true]] as const) {
  describe(`STRIX_CACHE_REALMS ${bound ?? 'unset (1,000)'}`, () => {
    let server: TestServer;
    before(async () => { server = await startServer('sqlite', testRealm(), { env: bound ? { STRIX_CACHE_REALMS: bound } : {} }); });
    after(async () => { await server?.close(); });

    test(`two realms served in turn are ${realmsRead ? 'read again each time' : 'answered from memory'}`, async () => {
      const reads = await readsOfSecondRound(server, ['demo', 'master']);
      if (realmsRead) assert.ok(reads >= 2, `expected the realms and their keys to be read again, got ${reads} reads`);
      else assert.equal(reads, 0);
    });
  });
}
