// Prometheus metrics at /metrics (docs/operations.md): request counters and latencies per route
// pattern, tokens issued per grant type, sign-in failures, process metrics.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { databases } from '../helpers/databases.js';
import { token } from '../helpers/flows.js';
import { password, testRealm } from '../helpers/realm.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { authorizeUrl, callbackParams, UserAgent } from '../helpers/user-agent.js';

/** The value of one sample line, `name{labels} value`, or undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

for (const database of databases) {
  describe(`metrics (${database})`, () => {
    let server: TestServer;
    before(async () => { server = await startServer(database, testRealm()); });
    after(async () => { await server?.close(); });

    const scrape = async () => {
      const response = await fetch(`${server.url}/metrics`);
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /^text\/plain/);
      return response.text();
    };

    test('a client_credentials grant counts a token issued and a request to the token route pattern', async () => {
      const response = await token(server, 'service', { grant_type: 'client_credentials', scope: 'api:read' });
      assert.equal(response.status, 200, JSON.stringify(response.body));
      const text = await scrape();
      assert.ok((sample(text, 'strix_tokens_issued_total{grant_type="client_credentials"}') ?? 0) >= 1, text);
      assert.ok((sample(text, 'strix_http_requests_total{route="/realms/:realm/protocol/openid-connect/token",method="POST",status="200"}') ?? 0) >= 1);
      assert.ok((sample(text, 'strix_http_request_duration_seconds_count{route="/realms/:realm/protocol/openid-connect/token",method="POST"}') ?? 0) >= 1);
    });

    test('a failed sign-in is counted', async () => {
      const before = sample(await scrape(), 'strix_login_failures_total') ?? 0;
      const browser = new UserAgent(server.url);
      const login = await browser.open(authorizeUrl(server.issuer(), {
        client_id: 'trusted', redirect_uri: 'http://127.0.0.1:3999/callback', response_type: 'code', scope: 'openid',
      }));
      assert.equal((await browser.signIn(login, 'alice', `not ${password}`)).status, 401);
      assert.equal(sample(await scrape(), 'strix_login_failures_total'), before + 1);
    });

    test('database statements are counted by kind, and a sign-in adds reads, writes and (SQLite) commits', async () => {
      const counts = async () => {
        const text = await scrape();
        return { reads: sample(text, 'strix_db_statements_total{kind="read"}') ?? 0, writes: sample(text, 'strix_db_statements_total{kind="write"}') ?? 0, commits: sample(text, 'strix_db_commits_total') ?? 0 };
      };
      const before = await counts();
      const browser = new UserAgent(server.url);
      const login = await browser.open(authorizeUrl(server.issuer(), {
        client_id: 'trusted', redirect_uri: 'http://127.0.0.1:3999/callback', response_type: 'code', scope: 'openid',
      }));
      assert.ok(callbackParams(await browser.signIn(login, 'alice', password)).get('code'));
      const after = await counts();
      assert.ok(after.reads > before.reads && after.writes > before.writes, JSON.stringify({ before, after }));
      // SQLite commits each turn's writes together; on PostgreSQL every write commits by itself (not counted).
      if (database === 'sqlite') assert.ok(after.commits > before.commits, JSON.stringify({ before, after }));
    });

    test('request labels use route patterns, never raw paths', async () => {
      const marker = `raw-${Math.random().toString(36).slice(2)}`;
      await fetch(`${server.url}/${marker}`);
      await fetch(`${server.issuer()}/protocol/openid-connect/${marker}`);
      const text = await scrape();
      assert.ok(!text.includes(marker));
      assert.ok((sample(text, 'strix_http_requests_total{route="unmatched",method="GET",status="404"}') ?? 0) >= 1);
    });

    test('process and database pool metrics are exported, and /metrics is not open to browsers on other origins', async () => {
      const text = await scrape();
      assert.match(text, /^process_cpu_user_seconds_total /m);
      assert.match(text, /^strix_db_pool_connections\{state="total"\} \d+/m);
      const response = await fetch(`${server.url}/metrics`, { headers: { origin: 'https://spa.example.com' } });
      assert.equal(response.headers.get('access-control-allow-origin'), null);
    });
  });
}
