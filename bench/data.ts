// `npm run bench:data` (issue 17): does Strix stay flat as the data grows? The same scenarios are
// measured on a small SQLite database and on a large one grown from a copy of it (users, realms
// with their clients and keys, sessions, grants, refresh tokens), together with the
// time `strix start` takes to be ready on the existing database and the process's RSS. Both sizes
// are served at once by two processes and measured in alternating rounds, each figure the best of
// its rounds, so that other work on the machine falls on both alike. Prints a table and the targets
// met or missed. Bounded: the defaults finish in about five minutes on 2 cores.
//
// Seeding writes rows straight into the database with SQL (one statement per table, copying the
// benchmark realm's clients, keys and password hash), so no argon2 and no key generation runs per
// row: a million refresh tokens take seconds. Environment (small → large):
//   DATA_USERS 1000 → 100000, DATA_REALMS 1 → 10000, DATA_SESSIONS 100 → 100000,
//   DATA_REFRESH_TOKENS 1000 → 1000000 (the large sizes; the small ones are fixed),
//   DATA_SECONDS (3 per scenario and round), DATA_ROUNDS (2), DATA_CONNECTIONS (10), DATA_SCENARIOS (ids),
//   DATA_KEEP=1 keeps the database folder (printed) for EXPLAIN or a second look.
// A million users and ten million refresh tokens: DATA_USERS=1000000 DATA_REFRESH_TOKENS=10000000
// DATA_SESSIONS=1000000 (5–10 minutes of seeding and ~6 GB of disk here).
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { basic, ccClients, ccScope, realmFile } from './common.js';
import { cpuMs, rssMiB, runFlow, whileSamplingRss, type Measurement } from './load.js';
import { prepareServer } from './prepare.js';
import { scenarios as shared, type Prepared, type Scenario } from './scenarios.js';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const small = { users: 1_000, realms: 1, sessions: 100, refreshTokens: 1_000 };
const large = {
  users: env('DATA_USERS', 100_000), realms: env('DATA_REALMS', 10_000),
  sessions: env('DATA_SESSIONS', 100_000), refreshTokens: env('DATA_REFRESH_TOKENS', 1_000_000),
};
type Sizes = typeof small;
const seconds = env('DATA_SECONDS', 3);
const connections = env('DATA_CONNECTIONS', 10);
const only = process.env.DATA_SCENARIOS?.split(',').map((s) => s.trim()).filter(Boolean);
const log = (line: string) => process.stderr.write(`${line}\n`);

const main = fileURLToPath(new URL('../src/main.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'strix-bench-data-'));
const files = { small: join(dir, 'small.db'), large: join(dir, 'large.db') };
const masterKey = 'bench-master-key-bench-master-key-0123456789';
const adminClient = { id: 'bench-admin', secret: 'bench-admin-secret' };

// The benchmark realm, and a master-realm service account for the admin API's user search.
const importFile = join(dir, 'realms.json');
writeFileSync(importFile, JSON.stringify({
  realms: [
    ...realmFile.realms,
    {
      name: 'master',
      clients: [{
        client_id: adminClient.id, client_secret: adminClient.secret, grant_types: ['client_credentials'],
        token_endpoint_auth_method: 'client_secret_basic', service_account_roles: [`realm-admin:bench`],
      }],
    },
  ],
}));

// ---- the server ------------------------------------------------------------------------------

interface Server { child: ChildProcess; base: string; readyMs: number; readyCpuMs: number; rssAtReady: number }

async function startStrix(dbFile: string, withImport = false): Promise<Server> {
  const port = 20_000 + Math.floor(Math.random() * 10_000);
  const base = `http://127.0.0.1:${port}`;
  const started = performance.now();
  // One process (--workers 1): its RSS and CPU time are the server's, and the load generator keeps a core.
  const child = spawn(process.execPath, [main, 'start', '--workers', '1'], {
    cwd: dir, stdio: ['ignore', 'ignore', 'inherit'],
    env: {
      ...process.env, STRIX_DATABASE_URL: `sqlite:${dbFile}`, STRIX_PORT: String(port), STRIX_HOST: '127.0.0.1', STRIX_PUBLIC_URL: base,
      STRIX_MASTER_KEY: masterKey, STRIX_ADMIN_PASSWORD: 'bench-admin-password', STRIX_LOG_LEVEL: 'warn', NODE_ENV: 'production',
      ...(withImport ? { STRIX_IMPORT: importFile } : {}),
    },
  });
  for (let i = 0; i < 6000; i++) {
    if (child.exitCode !== null) throw new Error(`strix start exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${base}/health/ready`)).status === 200) {
        return { child, base, readyMs: performance.now() - started, readyCpuMs: cpuMs(child.pid!), rssAtReady: rssMiB(child.pid!) };
      }
    } catch { /* not listening yet */ }
    await sleep(10);
  }
  child.kill('SIGKILL');
  throw new Error('strix start was not ready within 60 s');
}

async function stopStrix(server: Server): Promise<void> {
  const exited = new Promise((resolve) => server.child.once('exit', resolve));
  server.child.kill('SIGTERM');
  await exited;
}

const median = (values: number[]) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)]!;

/** Ready times on each existing database, the two sizes alternating (three starts each). */
async function startUps(): Promise<Record<Size, { ms: number; cpuMs: number; rss: number }>> {
  const runs: Record<Size, Server[]> = { small: [], large: [] };
  for (let i = 0; i < 3; i++) {
    for (const size of sizes) {
      const server = await startStrix(files[size]);
      runs[size].push(server);
      await stopStrix(server);
    }
  }
  const out = {} as Record<Size, { ms: number; cpuMs: number; rss: number }>;
  for (const size of sizes) {
    out[size] = { ms: median(runs[size].map((r) => r.readyMs)), cpuMs: median(runs[size].map((r) => r.readyCpuMs)), rss: median(runs[size].map((r) => r.rssAtReady)) };
    log(`  start-up ${size}: ready after ${runs[size].map((r) => r.readyMs.toFixed(0)).join(', ')} ms, ${runs[size].map((r) => r.readyCpuMs).join(', ')} ms CPU`);
  }
  return out;
}

// ---- seeding -----------------------------------------------------------------------------------

const givenNames = ['Bob', 'Carol', 'Dan', 'Erin', 'Frank', 'Grace', 'Heidi', 'Ivan', 'Judy', 'Mallory', 'Niaj', 'Olivia', 'Peggy', 'Rupert', 'Sybil', 'Trent', 'Victor', 'Walter'];
const familyNames = ['Smith', 'Jones', 'Brown', 'Taylor', 'Wilson', 'Davies', 'Evans', 'Thomas', 'Roberts', 'Walker', 'Wright', 'Hughes', 'Green'];

/** Grows the database from `from` to `to` (what is already there is kept). Returns the seconds it took. */
function seed(dbFile: string, from: Sizes, to: Sizes): number {
  const started = performance.now();
  const db = new Database(dbFile);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  const now = Date.now();
  const day = 86_400_000;
  const seq = (first: number, last: number) => `with recursive seq(n) as (select ${first} union all select n + 1 from seq where n < ${last})`;
  const run = (what: string, first: number, last: number, statement: string) => {
    if (last < first) return;
    const t = performance.now();
    db.exec(`begin; ${seq(first, last)} ${statement}; commit;`);
    log(`  seeded ${what} ${first}…${last} in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  };
  // Realms bench-1 … : the benchmark realm's settings, clients and keys (same key material, own kids).
  run('realms', from.realms, to.realms - 1, `insert into realms (name, display_name, settings, created_at)
    select 'bench-' || n, 'Bench ' || n, (select settings from realms where name = 'bench'), ${now} from seq`);
  run('clients', from.realms, to.realms - 1, `insert into clients (realm, client_id, secret_hash, metadata, enabled, created_at, updated_at, secret_sealed)
    select 'bench-' || n, c.client_id, c.secret_hash, c.metadata, c.enabled, ${now}, ${now}, c.secret_sealed from seq, clients c where c.realm = 'bench'`);
  run('signing keys', from.realms, to.realms - 1, `insert into signing_keys (kid, realm, alg, status, public_jwk, private_jwk, created_at, retired_at)
    select k.kid || '.' || n, 'bench-' || n, k.alg, k.status, k.public_jwk, k.private_jwk, k.created_at, k.retired_at from seq, signing_keys k where k.realm = 'bench'`);
  // Users of the benchmark realm with alice's password hash; none is named Alice, so "alice" finds one.
  const given = `json_extract('${JSON.stringify(givenNames)}', '$[' || (n % ${givenNames.length}) || ']')`;
  const family = `json_extract('${JSON.stringify(familyNames)}', '$[' || ((n / ${givenNames.length}) % ${familyNames.length}) || ']')`;
  const id = `printf('00000000-0000-4000-8000-%012d', n)`;
  run('users', from.users, to.users - 1, `insert into users (id, realm, username, email, password_hash, claims, enabled, created_at, updated_at, required_actions)
    select ${id}, 'bench', 'user' || n, 'user' || n || '@example.com',
      (select password_hash from users where realm = 'bench' and username = 'alice'),
      json_object('given_name', ${given}, 'family_name', ${family}, 'name', ${given} || ' ' || ${family}), 1, ${now}, ${now}, '[]' from seq`);
  run('user search terms', from.users, to.users - 1, `insert into user_search (realm, term, user_id)
    select 'bench', 'user' || n, ${id} from seq union all select 'bench', 'user' || n || '@example.com', ${id} from seq
    union all select 'bench', lower(${given}), ${id} from seq union all select 'bench', lower(${family}), ${id} from seq`);
  run('sessions', from.sessions, to.sessions - 1, `insert into sessions (id, realm, user_id, secret_hash, auth_time, amr, acr, created_at, last_seen_at, expires_at, ended_at, idp, idp_sid)
    select printf('00000000-0000-4000-9000-%012d', n), 'bench', printf('00000000-0000-4000-8000-%012d', n % ${to.users}), hex(randomblob(32)),
      ${now}, '["pwd"]', '1', ${now}, ${now}, ${now + day}, null, null, null from seq`);
  run('grants', from.sessions, to.sessions - 1, `insert into grants (id, realm, client_id, user_id, session_id, scope, auth_time, amr, acr, nonce, claims, offline, created_at, expires_at, revoked_at, idp, resources, parent_id)
    select printf('00000000-0000-7000-a000-%012d', n), 'bench', 'web', printf('00000000-0000-4000-8000-%012d', n % ${to.users}),
      printf('00000000-0000-4000-9000-%012d', n), 'openid profile email', ${now}, '["pwd"]', null, null, null, 0, ${now}, ${now + day}, null, null, null, null from seq`);
  // Ten tokens a grant: the live one and nine rotated within the day (kept for reuse detection).
  run('refresh tokens', from.refreshTokens, to.refreshTokens - 1, `insert into refresh_tokens (hash, grant_id, created_at, expires_at, used_at, dpop_jkt)
    select hex(randomblob(32)), printf('00000000-0000-7000-a000-%012d', n % ${to.sessions}), ${now}, ${now + day},
      case when n / ${to.sessions} = 0 then null else ${now - 3_600_000} end, null from seq`);
  db.close();
  return (performance.now() - started) / 1000;
}

// ---- scenarios ---------------------------------------------------------------------------------

const form = { 'content-type': 'application/x-www-form-urlencoded' };
const ccBody = new URLSearchParams({ grant_type: 'client_credentials', scope: ccScope }).toString();

/** client_credentials ES256 spread over every realm in turn: each request names the next realm. */
function acrossRealms(realms: number): Scenario {
  return {
    id: 'client_credentials-ES256-realms', label: 'client_credentials ES256, every realm in turn', unit: 'request',
    build: () => {
      let next = 0;
      return {
        steps: [{
          request: () => {
            const n = next++ % realms;
            return { method: 'POST', path: `/realms/${n === 0 ? 'bench' : `bench-${n}`}/protocol/openid-connect/token`, headers: { ...form, authorization: basic(ccClients.ES256) }, body: ccBody };
          },
          check: (r) => r.status === 200 && r.body.includes('"access_token"'),
        }],
      };
    },
  };
}

/** The admin API's user search for a name only one user has (the cost of a broad prefix follows its matches: bench/admin-users.ts). */
function adminSearch(token: () => string): Scenario {
  return {
    id: 'admin-user-search', label: 'admin API user search ("alice", max 20)', unit: 'request',
    build: () => ({
      steps: [{
        request: () => ({ method: 'GET', path: '/admin/realms/bench/users?search=alice&max=20', headers: { authorization: `Bearer ${token()}` } }),
        check: (r) => r.status === 200 && r.body.includes('"alice"'),
      }],
    }),
  };
}

async function adminToken(base: string): Promise<string> {
  const response = await fetch(`${base}/realms/master/protocol/openid-connect/token`, {
    method: 'POST', headers: { ...form, authorization: basic(adminClient) }, body: 'grant_type=client_credentials',
  });
  if (response.status !== 200) throw new Error(`admin token: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { access_token: string }).access_token;
}

const defaultIds = ['client_credentials-ES256', 'client_credentials-ES256-realms', 'refresh_token', 'authorization_code-sso', 'introspection', 'userinfo', 'admin-user-search'];

/** reads, writes, commits: database statements and SQLite commits per unit (request or iteration). */
type Result = Measurement & { rssMiB: number; cpuUs: number; reads: number; writes: number; commits: number };
type Size = 'small' | 'large';
const sizes: Size[] = ['small', 'large'];
const rounds = env('DATA_ROUNDS', 2);

/** The database counters of /metrics: statements (reads, writes) and SQLite commits so far. */
async function databaseCounts(base: string): Promise<{ reads: number; writes: number; commits: number }> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const value = (pattern: RegExp) => Number(text.match(pattern)?.[1] ?? NaN);
  return {
    reads: value(/^strix_db_statements_total\{kind="read"\} (\d+)/m), writes: value(/^strix_db_statements_total\{kind="write"\} (\d+)/m),
    commits: value(/^strix_db_commits_total (\d+)/m),
  };
}

async function measureOnce(server: Server, scenario: Scenario, prepared: Prepared): Promise<Result> {
  await prepared.renew?.();
  const flow = scenario.build(prepared);
  await runFlow(server.base, flow, { connections, seconds: 1 });
  const before = await databaseCounts(server.base);
  const { value, maxRss, cpuMs: used } = await whileSamplingRss(server.child.pid!, () => runFlow(server.base, flow, { connections, seconds }));
  const after = await databaseCounts(server.base);
  // Per unit; the one /metrics request in between reads nothing from the database.
  const per = (n: number) => (value.ok + value.failed > 0 ? n / (value.ok + value.failed) : NaN);
  return {
    ...value, rssMiB: maxRss, cpuUs: value.ok > 0 ? (1000 * used) / value.ok : NaN,
    reads: per(after.reads - before.reads), writes: per(after.writes - before.writes), commits: per(after.commits - before.commits),
  };
}

/** Of several rounds, each figure's best (the least disturbed by other work): highest rate, lowest latency and CPU; RSS its highest. */
function best(results: Result[]): Result {
  const min = (f: (r: Result) => number) => Math.min(...results.map(f));
  return {
    ...results[0]!, rate: Math.max(...results.map((r) => r.rate)), p50: min((r) => r.p50), p99: min((r) => r.p99), cpuUs: min((r) => r.cpuUs),
    rssMiB: Math.max(...results.map((r) => r.rssMiB)), errorPercent: Math.max(...results.map((r) => r.errorPercent)),
    reads: median(results.map((r) => r.reads)), writes: median(results.map((r) => r.writes)), commits: median(results.map((r) => r.commits)),
  };
}

// ---- the run -----------------------------------------------------------------------------------

const loadBefore = loadavg();
log(`# Strix at scale of data: ${seconds} s per scenario, ${connections} connections, ${cpus().length} cores, load average ${loadBefore.map((l) => l.toFixed(2)).join(' ')}`);
log(`# small ${JSON.stringify(small)} → large ${JSON.stringify(large)}; database in ${dir}`);
const sizeLabel = (s: Sizes) => `${s.users.toLocaleString('en')} users, ${s.realms.toLocaleString('en')} realms, ${s.sessions.toLocaleString('en')} sessions, ${s.refreshTokens.toLocaleString('en')} refresh tokens`;
interface SizeReport { sizes: Sizes; seedSeconds: number; dbMiB: number; start: { ms: number; cpuMs: number; rss: number }; results: Record<string, Result>; rssIdle: number; peakRss: number }
const report = {} as Record<Size, SizeReport>;
try {
  // The first start creates the database, the benchmark realm and its keys; the large database is a copy grown further.
  await stopStrix(await startStrix(files.small, true));
  const none: Sizes = { users: 0, realms: 1, sessions: 0, refreshTokens: 0 };
  const seedSeconds = { small: seed(files.small, none, small), large: 0 };
  copyFileSync(files.small, files.large);
  seedSeconds.large = seed(files.large, small, large);
  log(`# start-up on the existing databases (${sizeLabel(small)} / ${sizeLabel(large)})`);
  const start = await startUps();
  const servers = { small: await startStrix(files.small), large: await startStrix(files.large) };
  await sleep(1000);
  const rssIdle = { small: rssMiB(servers.small.child.pid!), large: rssMiB(servers.large.child.pid!) };
  const prepared = {} as Record<Size, Prepared>;
  const lists = {} as Record<Size, Scenario[]>;
  const tokens = {} as Record<Size, string>;
  for (const size of sizes) {
    const base = servers[size].base;
    prepared[size] = await prepareServer(`strix ${size}`, base, `${base}/realms/bench`, connections);
    lists[size] = [...shared, acrossRealms(size === 'small' ? small.realms : large.realms), adminSearch(() => tokens[size]!)]
      .filter((scenario) => (only ?? defaultIds).includes(scenario.id));
  }
  const measured: Record<Size, Record<string, Result[]>> = { small: {}, large: {} };
  // Rounds alternate the sizes, so that other work on the machine falls on both alike.
  for (const [index, scenario] of lists.small.entries()) {
    for (let round = 0; round < rounds; round++) {
      for (const size of sizes) {
        tokens[size] = await adminToken(servers[size].base);
        const result = await measureOnce(servers[size], lists[size][index]!, prepared[size]);
        (measured[size][scenario.id] ??= []).push(result);
        log(`  ${size.padEnd(5)} ${scenario.label.padEnd(48)} ${result.rate.toFixed(0).padStart(6)}/s  p50 ${result.p50.toFixed(1)} ms  p99 ${result.p99.toFixed(1)} ms  CPU ${result.cpuUs.toFixed(0)} µs  errors ${result.errorPercent.toFixed(2)}%  RSS ${result.rssMiB.toFixed(0)} MiB`);
      }
    }
  }
  for (const size of sizes) {
    const peakRss = rssMiB(servers[size].child.pid!, 'VmHWM');
    await stopStrix(servers[size]);
    report[size] = {
      sizes: size === 'small' ? small : large, seedSeconds: seedSeconds[size], dbMiB: statSync(files[size]).size / 2 ** 20, start: start[size],
      results: Object.fromEntries(Object.entries(measured[size]).map(([id, results]) => [id, best(results)])), rssIdle: rssIdle[size], peakRss,
    };
  }
} finally {
  if (process.env.DATA_KEEP === '1') log(`# kept ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}

const { small: lo, large: hi } = report;
const fmt = (n: number | undefined, digits = 0) => (n === undefined || !Number.isFinite(n) ? 'n/a' : n.toFixed(digits));
const rows: string[][] = [];
const targets: [string, string, boolean][] = [];
for (const id of Object.keys(lo.results)) {
  const a = lo.results[id]!;
  const b = hi.results[id];
  if (!b) continue;
  const p50 = b.p50 / Math.max(a.p50, 1);
  const p99 = b.p99 / Math.max(a.p99, 1);
  const cpu = b.cpuUs / a.cpuUs;
  const db = (r: Result) => `${fmt(r.reads, 1)} / ${fmt(r.writes, 1)} / ${fmt(r.commits, 2)}`;
  rows.push([id, `${fmt(a.rate)} / ${fmt(b.rate)}`, `${fmt(a.p50, 1)} / ${fmt(b.p50, 1)}`, `${fmt(a.p99, 1)} / ${fmt(b.p99, 1)}`, `${fmt(a.cpuUs)} / ${fmt(b.cpuUs)}`, `${fmt(a.rssMiB)} / ${fmt(b.rssMiB)}`, `${fmt(a.errorPercent, 1)}% / ${fmt(b.errorPercent, 1)}%`, `${db(a)} | ${db(b)}`]);
  // Latencies are whole milliseconds from autocannon: a change of one millisecond is below what it can tell.
  targets.push([`${id}: large p50 and p99 within 1.25× of small (or within 1 ms)`, `${p50.toFixed(2)}× / ${p99.toFixed(2)}× (CPU per request ${cpu.toFixed(2)}×)`,
    (p50 <= 1.25 || b.p50 - a.p50 <= 1) && (p99 <= 1.25 || b.p99 - a.p99 <= 1)]);
}
const peakUnderLoad = Math.max(...Object.values(hi.results).map((r) => r.rssMiB));
targets.push([`start-up (ready) < 1 s at ${hi.sizes.realms.toLocaleString('en')} realms`, `${fmt(hi.start.ms)} ms (${fmt(hi.start.cpuMs)} ms CPU; ${fmt(lo.start.cpuMs)} at ${lo.sizes.realms} realm)`, hi.start.ms < 1000]);
targets.push([`RSS under load < 200 MiB at ${hi.sizes.realms.toLocaleString('en')} realms`, `${fmt(peakUnderLoad)} MiB`, peakUnderLoad < 200]);

function markdown(head: string[], body: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}
process.stdout.write([
  '',
  `Strix at scale of data, ${new Date().toISOString()}: SQLite, ${cpus().length} cores, Node ${process.version}, ${seconds} s per scenario, ${connections} connections`,
  `small: ${sizeLabel(lo.sizes)}`,
  `large: ${sizeLabel(hi.sizes)} (seeded in ${fmt(hi.seedSeconds, 1)} s)`,
  '',
  markdown(['scenario (small / large)', 'req/s', 'p50 ms', 'p99 ms', 'CPU µs/req', 'RSS MiB', 'errors', 'DB reads / writes / commits per unit, small | large'], rows),
  '',
  markdown(['', 'small', 'large'], [
    ['start-up, ready on the existing database (median of 3)', `${fmt(lo.start.ms)} ms (${fmt(lo.start.cpuMs)} ms CPU)`, `${fmt(hi.start.ms)} ms (${fmt(hi.start.cpuMs)} ms CPU)`],
    ['RSS at ready / 1 s later', `${fmt(lo.start.rss)} / ${fmt(lo.rssIdle)} MiB`, `${fmt(hi.start.rss)} / ${fmt(hi.rssIdle)} MiB`],
    ['peak RSS (VmHWM)', `${fmt(lo.peakRss)} MiB`, `${fmt(hi.peakRss)} MiB`],
    ['database file', `${fmt(lo.dbMiB)} MiB`, `${fmt(hi.dbMiB)} MiB`],
  ]),
  '',
  markdown(['target', 'actual', 'met'], targets.map(([t, a, m]) => [t, a, m ? 'yes' : 'NO'])),
  '',
  `load average before: ${loadBefore.map((l) => l.toFixed(2)).join(' ')}, after: ${loadavg().map((l) => l.toFixed(2)).join(' ')} (2 cores: above ~0.5, other work shared the machine)`,
  '',
].join('\n'));
