// On SQLite every statement is prepared once per SQL text and kept (src/store/sqlite-group-commit.ts):
// preparing costs more than running. A statement that misses the cache is prepared on every request
// without any visible failure, only slower (the user-with-roles query once did, 16% of a code flow's
// CPU), so this test runs the hot flows twice and asserts that the second round prepares nothing, and
// that /metrics reports the count operators watch for it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { queryCounts } from '../../src/store/query-counts.js';
import { codeFor, redeem, token, userinfo } from '../helpers/flows.js';
import { testRealm } from '../helpers/realm.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { endpointRequest, UserAgent } from '../helpers/user-agent.js';

describe('prepared statements on SQLite', () => {
  let server: TestServer;
  before(async () => { server = await startServer('sqlite', testRealm()); });
  after(async () => { await server?.close(); });

  /** A code flow with a refresh, userinfo, introspection and a client_credentials token: the hot paths. */
  async function hotFlows(): Promise<void> {
    const browser = new UserAgent(server.url);
    for (let i = 0; i < 2; i++) {
      const tokens = await redeem(server, 'web', await codeFor(server, browser, { client: 'web', scope: 'openid profile email offline_access' }));
      assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
      const refreshed = await token(server, 'web', { grant_type: 'refresh_token', refresh_token: tokens.body.refresh_token });
      assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
      assert.equal((await userinfo(server, refreshed.body.access_token)).status, 200);
      const introspection = await endpointRequest(server.issuer(), 'token/introspect', { token: refreshed.body.access_token }, { id: 'web', secret: 'web-secret' });
      assert.equal(introspection.body.active, true);
      assert.equal((await token(server, 'service', { grant_type: 'client_credentials' })).status, 200);
    }
  }

  test('the second round of the hot flows prepares no statement', async () => {
    await hotFlows();
    const before = queryCounts.prepares;
    await hotFlows();
    assert.equal(queryCounts.prepares - before, 0);
  });

  test('/metrics reports the statements prepared', async () => {
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const line = metrics.split('\n').find((l) => l.startsWith('strix_db_statements_prepared_total '));
    assert.ok(line, 'strix_db_statements_prepared_total is missing');
    assert.ok(Number(line.split(' ')[1]) > 0);
  });
});
