// `strix start --workers N` (docs/operations.md "Workers"): N processes serve one port, a worker
// that dies is replaced, /metrics sums every worker, SIGTERM stops them all with status 0, and a
// client deleted or disabled through one worker or the CLI is refused by every worker at once.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openStore } from '../../src/store/index.js';
import { databases, freshDatabase } from '../helpers/databases.js';
import { startStrix as start, type Running } from '../helpers/nodes.js';

/** `strix start` with each request logged at debug, with the pid of the process that answered it. */
const startStrix = (dir: string, args: string[], env: Record<string, string> = {}) => start(dir, args, { STRIX_LOG_LEVEL: 'debug', ...env });

/** GET on a new connection (no keep-alive, so the primary hands each one to the next worker); returns the request id. */
function get(port: number, path: string): Promise<{ status: number; requestId: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => { body += chunk; });
      res.on('end', () => resolve({ status: res.statusCode!, requestId: String(res.headers['x-request-id']), body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A form POST with Basic client authentication, on a new connection (so the requests go round the workers); returns the request id too. */
function post(port: number, path: string, form: Record<string, string>, client: { id: string; secret: string }): Promise<{ status: number; body: string; requestId: string }> {
  const payload = new URLSearchParams(form).toString();
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1', port, path, method: 'POST', agent: false,
      headers: {
        'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(payload),
        authorization: `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}`,
      },
    }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => { body += chunk; });
      res.on('end', () => resolve({ status: res.statusCode!, body, requestId: String(res.headers['x-request-id']) }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** The pid that logged the completion of a request, from the JSON log lines. */
function pidOf(output: string, requestId: string): number | undefined {
  for (const line of output.split('\n')) {
    if (!line.includes(requestId) || !line.includes('request completed')) continue;
    return (JSON.parse(line) as { pid: number }).pid;
  }
  return undefined;
}

/** The pids that logged the completion of these requests. */
async function pidsOf(strix: Running, requestIds: string[]): Promise<Set<number>> {
  await new Promise((r) => setTimeout(r, 200));   // let the log lines arrive
  return new Set(requestIds.map((id) => pidOf(strix.output(), id) ?? assert.fail(`no log line for request ${id}`)));
}

async function servingPids(strix: Running, requests: number): Promise<Set<number>> {
  const ids: string[] = [];
  for (let i = 0; i < requests; i++) {
    const response = await get(strix.port, '/health/live');
    assert.equal(response.status, 200);
    ids.push(response.requestId);
  }
  await new Promise((r) => setTimeout(r, 200));   // let the log lines arrive
  return new Set(ids.map((id) => pidOf(strix.output(), id) ?? assert.fail(`no log line for request ${id}`)));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('strix start --workers 2 on SQLite', () => {
  let dir: string;
  let strix: Running;
  const service = { id: 'service', secret: 'service-secret-0123456789abcdef' };
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'strix-workers-'));
    const realmFile = join(dir, 'realm.json');
    writeFileSync(realmFile, JSON.stringify({
      realms: [{
        name: 'demo',
        clients: [{ client_id: service.id, client_secret: service.secret, grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_basic' }],
      }],
    }));
    strix = await startStrix(dir, ['--workers', '2'], { STRIX_IMPORT: realmFile });
  });
  after(async () => {
    if (strix.child.exitCode === null) strix.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  test('two worker processes, neither of them the primary, answer requests on the one port', async () => {
    const pids = await servingPids(strix, 10);
    assert.equal(pids.size, 2, `pids that answered: ${[...pids].join(', ')}`);
    assert.ok(!pids.has(strix.child.pid!), 'the primary does not serve HTTP itself');
  });

  test('/metrics counts the requests of every worker, whichever worker answers the scrape', async () => {
    const before = await get(strix.port, '/metrics');
    const count = (text: string) => Number(/strix_http_requests_total\{route="\/realms\/:realm\/\.well-known\/openid-configuration",method="GET",status="200"\} (\d+)/.exec(text)?.[1] ?? 0);
    for (let i = 0; i < 6; i++) assert.equal((await get(strix.port, '/realms/master/.well-known/openid-configuration')).status, 200);
    for (let i = 0; i < 2; i++) {
      const scrape = await get(strix.port, '/metrics');
      assert.equal(scrape.status, 200);
      assert.equal(count(scrape.body) - count(before.body), 6, scrape.body.split('\n').filter((l) => l.includes('well-known')).join('\n'));
    }
  });

  test('a token revoked through one worker is inactive at the very next introspection on every worker', async () => {
    const endpoint = '/realms/demo/protocol/openid-connect';
    const issued = await post(strix.port, `${endpoint}/token`, { grant_type: 'client_credentials' }, service);
    assert.equal(issued.status, 200, issued.body);
    const token = (JSON.parse(issued.body) as { access_token: string }).access_token;
    const introspect = async () => {
      const answer = await post(strix.port, `${endpoint}/token/introspect`, { token }, service);
      assert.equal(answer.status, 200, answer.body);
      return (JSON.parse(answer.body) as { active: boolean }).active;
    };
    // Each worker has now read (and remembers) that the token is not revoked.
    for (let i = 0; i < 6; i++) assert.equal(await introspect(), true);
    assert.equal((await post(strix.port, `${endpoint}/revoke`, { token }, service)).status, 200);
    for (let i = 0; i < 6; i++) assert.equal(await introspect(), false, `introspection ${i + 1} after the revocation`);
  });

  test('a worker killed with SIGKILL is replaced by a new one, and requests keep being answered', async () => {
    const [victim, survivor] = [...await servingPids(strix, 6)];
    process.kill(victim!, 'SIGKILL');
    let pids = new Set<number>();
    for (let i = 0; i < 50 && !(pids.size === 2 && !pids.has(victim!)); i++) {
      await new Promise((r) => setTimeout(r, 200));
      pids = await servingPids(strix, 4);
    }
    assert.equal(pids.size, 2, `pids now answering: ${[...pids].join(', ')}`);
    assert.ok(!pids.has(victim!) && pids.has(survivor!), `the survivor ${survivor} and a new worker answer, not ${victim}: ${[...pids].join(', ')}`);
    assert.match(strix.output(), /a worker exited: starting a new one/);
  });

  test('SIGTERM stops the primary and every worker, with status 0', async () => {
    const workers = await servingPids(strix, 6);
    strix.child.kill('SIGTERM');
    assert.equal(await strix.exit, 0, strix.output().slice(-3000));
    for (const pid of workers) assert.ok(!alive(pid), `worker ${pid} still runs`);
  });
});

test('--workers 1 keeps a single process that serves HTTP itself', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'strix-workers-'));
  const strix = await startStrix(dir, ['--workers', '1']);
  try {
    const pids = await servingPids(strix, 4);
    assert.deepEqual([...pids], [strix.child.pid]);
    strix.child.kill('SIGTERM');
    assert.equal(await strix.exit, 0);
  } finally {
    if (strix.child.exitCode === null) strix.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

const initialAccessToken = 'workers-test-initial-access-token';
const redirectUri = 'http://127.0.0.1:3999/callback';

for (const database of databases) {
  describe(`strix start --workers 2 on ${database}: a client deleted or disabled through one process is refused by every worker`, () => {
    let dir: string;
    let db: { url: string; drop: () => Promise<void> } | undefined;
    let strix: Running;
    let env: Record<string, string>;
    const endpoint = '/realms/demo/protocol/openid-connect';
    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'strix-workers-'));
      const realmFile = join(dir, 'realm.json');
      writeFileSync(realmFile, JSON.stringify({ realms: [{ name: 'demo', initial_access_tokens: [initialAccessToken] }] }));
      db = database === 'postgres' ? await freshDatabase('postgres', dir) : undefined;
      env = { STRIX_IMPORT: realmFile, ...(db ? { STRIX_DATABASE_URL: db.url } : {}) };
      strix = await startStrix(dir, ['--workers', '2'], env);
    });
    after(async () => {
      if (strix?.child.exitCode === null) {
        strix.child.kill('SIGTERM');
        await strix.exit;
      }
      await db?.drop();
      rmSync(dir, { recursive: true, force: true });
    });

    interface Registered { client_id: string; client_secret: string; registration_access_token: string; registration_client_uri: string }

    async function register(): Promise<Registered> {
      const response = await fetch(`http://127.0.0.1:${strix.port}${endpoint}/registrations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${initialAccessToken}` },
        body: JSON.stringify({ redirect_uris: [redirectUri], token_endpoint_auth_method: 'client_secret_basic' }),
      });
      assert.equal(response.status, 201);
      return await response.json() as Registered;
    }

    /** Client authentication at the token endpoint of whichever worker answers: a made-up code is invalid_grant for an authenticated client, invalid_client otherwise. */
    const authenticate = (client: Registered) => post(strix.port, `${endpoint}/token`,
      { grant_type: 'authorization_code', code: 'made-up', redirect_uri: redirectUri }, { id: client.client_id, secret: client.client_secret });

    /** Six authentications at once, answered by both workers; the error code of each. */
    async function authenticateEverywhere(client: Registered): Promise<string[]> {
      const answers = await Promise.all(Array.from({ length: 6 }, () => authenticate(client)));
      assert.equal((await pidsOf(strix, answers.map((a) => a.requestId))).size, 2, 'both workers answered');
      return answers.map((a) => (JSON.parse(a.body) as { error: string }).error);
    }

    /**
     * SQLite: at the very next request. PostgreSQL: as soon as each worker has received the
     * notification, which travels beside the HTTP requests, so a request may overtake it; a lost
     * one is made up for when the cached client expires (1 s). Either way, within a few seconds.
     */
    async function refusedEverywhere(client: Registered): Promise<void> {
      const all = Array(6).fill('invalid_client');
      if (database === 'sqlite') return assert.deepEqual(await authenticateEverywhere(client), all);
      const deadline = Date.now() + 5_000;
      let errors = await authenticateEverywhere(client);
      while (errors.some((e) => e !== 'invalid_client') && Date.now() < deadline) errors = await authenticateEverywhere(client);
      assert.deepEqual(errors, all);
    }

    test('a client deleted through the RFC 7592 endpoint of one worker fails client authentication at every worker (SQLite: at the next request)', async () => {
      const client = await register();
      // Both workers now hold the client in their caches.
      assert.deepEqual(await authenticateEverywhere(client), Array(6).fill('invalid_grant'));
      const deleted = await fetch(client.registration_client_uri.replace(/^http:\/\/[^/]+/, `http://127.0.0.1:${strix.port}`), {
        method: 'DELETE', headers: { authorization: `Bearer ${client.registration_access_token}` },
      });
      assert.equal(deleted.status, 204);
      await refusedEverywhere(client);
    });

    test('a client disabled by another process on the same database (as the strix CLI does) fails client authentication at every worker (SQLite: at the next request)', async () => {
      const client = await register();
      assert.deepEqual(await authenticateEverywhere(client), Array(6).fill('invalid_grant'));
      const other = await openStore(env.STRIX_DATABASE_URL ?? `sqlite:${join(dir, `${strix.port}.db`)}`, { migrate: false });
      try {
        assert.equal(await other.clients.setEnabled('demo', client.client_id, false, Date.now()), true);
      } finally {
        await other.close();
      }
      await refusedEverywhere(client);
    });
  });
}
