// `npm run bench:data` (issue 17): does Strix stay flat as the data grows? The same scenarios are
// measured on a small database and on a large one grown from a copy of it (users, realms
// with their clients and keys, sessions, grants, refresh tokens), together with the
// time `strix start` takes to be ready on the existing database and the process's RSS. Both sizes
// are served at once by two processes and measured in alternating rounds, each figure the best of
// its rounds, so that other work on the machine falls on both alike. Prints a table and the targets
// met or missed. Bounded: the defaults finish in about five minutes on 2 cores.
//
// Strix creates the small database and imports the benchmark realm; seeding then writes rows straight
// into the database with SQL (one statement per table, copying the benchmark realm's clients, keys and
// password hash), so no argon2 and no key generation runs per row: a million refresh tokens take seconds.
// DATA_DATABASE=postgres measures PostgreSQL instead of SQLite: two databases with unique names are
// created through DATA_PG_URL (default postgres://postgres@127.0.0.1:5432/test), the large one from
// the seeded small one as its template, both VACUUM ANALYZEd after seeding and dropped at the end (also on
// failure or Ctrl-C); the CPU time of the PostgreSQL server processes serving each database is
// measured too ("PostgreSQL CPU µs/req", read from /proc: the server must run on this machine).
// Environment: DATA_DATABASE (sqlite | postgres), DATA_PG_URL, and (small → large):
//   DATA_USERS 1000 → 100000, DATA_REALMS 1 → 10000, DATA_SESSIONS 100 → 100000,
//   DATA_REFRESH_TOKENS 1000 → 1000000 (the large sizes; the small ones are fixed),
//   DATA_SECONDS (3 per scenario and round), DATA_ROUNDS (2), DATA_CONNECTIONS (10), DATA_SCENARIOS (ids),
//   DATA_KEEP=1 keeps the databases (folder or PostgreSQL URLs printed) for EXPLAIN or a second look.
// A million users and ten million refresh tokens: DATA_USERS=1000000 DATA_REFRESH_TOKENS=10000000
// DATA_SESSIONS=1000000 (5–10 minutes of seeding and ~6 GB of disk here).
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { basic, ccClients, ccScope, realmFile, spawnStrix, untilReady } from './common.js';
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

const dialect = process.env.DATA_DATABASE ?? 'sqlite';
if (dialect !== 'sqlite' && dialect !== 'postgres') throw new Error(`DATA_DATABASE must be sqlite or postgres, not ${dialect}`);
const dir = mkdtempSync(join(tmpdir(), 'strix-bench-data-'));
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

/** The running servers, killed if the run is interrupted. */
const children = new Set<ChildProcess>();

async function startStrix(databaseUrl: string, withImport = false): Promise<Server> {
  const port = 20_000 + Math.floor(Math.random() * 10_000);
  const base = `http://127.0.0.1:${port}`;
  const started = performance.now();
  // One process (--workers 1): its RSS and CPU time are the server's, and the load generator keeps a core.
  const child = spawnStrix({ cwd: dir, databaseUrl, port, publicUrl: base, importFile: withImport ? importFile : undefined });
  children.add(child);
  child.once('exit', () => children.delete(child));
  await untilReady(child, base);
  return { child, base, readyMs: performance.now() - started, readyCpuMs: cpuMs(child.pid!), rssAtReady: rssMiB(child.pid!) };
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
      const server = await startStrix(databases.urls[size]);
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

// ---- the databases and their seeding -----------------------------------------------------------

const givenNames = ['Bob', 'Carol', 'Dan', 'Erin', 'Frank', 'Grace', 'Heidi', 'Ivan', 'Judy', 'Mallory', 'Niaj', 'Olivia', 'Peggy', 'Rupert', 'Sybil', 'Trent', 'Victor', 'Walter'];
const familyNames = ['Smith', 'Jones', 'Brown', 'Taylor', 'Wilson', 'Davies', 'Evans', 'Thomas', 'Roberts', 'Walker', 'Wright', 'Hughes', 'Green'];

/** What the seeding SQL spells differently in SQLite and PostgreSQL. */
interface SeedSql {
  /** A common table expression `seq(n)` counting from `first` to `last`. */
  seq(first: number, last: number): string;
  /** `prefix` followed by the number `n` in twelve digits (the seeded ids). */
  padded(prefix: string, n: string): string;
  /** The element of `list` at the 0-based `index`. */
  pick(list: string[], index: string): string;
  /** 64 hex digits, different in every row. */
  randomHex: string;
  /** A JSON object (text) of these keys and SQL values. */
  object(entries: [key: string, value: string][]): string;
}

const quote = (text: string) => `'${text.replaceAll("'", "''")}'`;
const sqliteSql: SeedSql = {
  seq: (first, last) => `with recursive seq(n) as (select ${first} union all select n + 1 from seq where n < ${last})`,
  padded: (prefix, n) => `printf('${prefix}%012d', ${n})`,
  pick: (list, index) => `json_extract(${quote(JSON.stringify(list))}, '$[' || (${index}) || ']')`,
  randomHex: 'hex(randomblob(32))',
  object: (entries) => `json_object(${entries.map(([key, value]) => `${quote(key)}, ${value}`).join(', ')})`,
};
const postgresSql: SeedSql = {
  seq: (first, last) => `with seq(n) as (select generate_series(${first}, ${last}))`,
  padded: (prefix, n) => `'${prefix}' || lpad((${n})::text, 12, '0')`,
  pick: (list, index) => `(array[${list.map(quote).join(', ')}])[1 + (${index})]`,
  randomHex: `encode(sha256(convert_to(random()::text || n, 'UTF8')), 'hex')`,
  object: (entries) => `json_build_object(${entries.map(([key, value]) => `${quote(key)}, ${value}`).join(', ')})::text`,
};

/**
 * The statements that grow a database from `from` to `to` (what is already there is kept), each an
 * insert … select … from seq(n) over `first`…`last`: realms copying the benchmark realm with its
 * clients and keys, users with alice's password hash, sessions, grants and refresh tokens.
 */
function seedStatements(s: SeedSql, from: Sizes, to: Sizes): [what: string, first: number, last: number, statement: string][] {
  const now = Date.now();
  const day = 86_400_000;
  const userId = (n: string) => s.padded('00000000-0000-4000-8000-', n);
  const sessionId = (n: string) => s.padded('00000000-0000-4000-9000-', n);
  const grantId = (n: string) => s.padded('00000000-0000-7000-a000-', n);
  // None of the users is named Alice, so "alice" finds one.
  const given = s.pick(givenNames, `n % ${givenNames.length}`);
  const family = s.pick(familyNames, `(n / ${givenNames.length}) % ${familyNames.length}`);
  // Sessions, grants and refresh tokens made over the last hour, a millisecond apart, each living a day:
  // their time indexes (the purge's) hold distinct values, as in service.
  const made = `(${now - 60_000} - n % 3600000)`;
  return [
    // Realms bench-1 … : the benchmark realm's settings, clients and keys (same key material, own kids).
    ['realms', from.realms, to.realms - 1, `insert into realms (name, display_name, settings, created_at)
      select 'bench-' || n, 'Bench ' || n, (select settings from realms where name = 'bench'), ${now} from seq`],
    ['clients', from.realms, to.realms - 1, `insert into clients (realm, client_id, secret_hash, metadata, enabled, created_at, updated_at, secret_sealed)
      select 'bench-' || n, c.client_id, c.secret_hash, c.metadata, c.enabled, ${now}, ${now}, c.secret_sealed from seq, clients c where c.realm = 'bench'`],
    ['signing keys', from.realms, to.realms - 1, `insert into signing_keys (kid, realm, alg, status, public_jwk, private_jwk, created_at, retired_at)
      select k.kid || '.' || n, 'bench-' || n, k.alg, k.status, k.public_jwk, k.private_jwk, k.created_at, k.retired_at from seq, signing_keys k where k.realm = 'bench'`],
    ['users', from.users, to.users - 1, `insert into users (id, realm, username, email, password_hash, claims, enabled, created_at, updated_at, required_actions)
      select ${userId('n')}, 'bench', 'user' || n, 'user' || n || '@example.com',
        (select password_hash from users where realm = 'bench' and username = 'alice'),
        ${s.object([['given_name', given], ['family_name', family], ['name', `${given} || ' ' || ${family}`]])}, 1, ${now}, ${now}, '[]' from seq`],
    ['user search terms', from.users, to.users - 1, `insert into user_search (realm, term, user_id)
      select 'bench', 'user' || n, ${userId('n')} from seq union all select 'bench', 'user' || n || '@example.com', ${userId('n')} from seq
      union all select 'bench', lower(${given}), ${userId('n')} from seq union all select 'bench', lower(${family}), ${userId('n')} from seq`],
    ['sessions', from.sessions, to.sessions - 1, `insert into sessions (id, realm, user_id, secret_hash, auth_time, amr, acr, created_at, last_seen_at, expires_at, ended_at, idp, idp_sid)
      select ${sessionId('n')}, 'bench', ${userId(`n % ${to.users}`)}, ${s.randomHex},
        ${made}, '["pwd"]', '1', ${made}, ${made}, ${made} + ${day}, null, null, null from seq`],
    ['grants', from.sessions, to.sessions - 1, `insert into grants (id, realm, client_id, user_id, session_id, scope, auth_time, amr, acr, nonce, claims, offline, created_at, expires_at, revoked_at, idp, resources, parent_id)
      select ${grantId('n')}, 'bench', 'web', ${userId(`n % ${to.users}`)},
        ${sessionId('n')}, 'openid profile email', ${made}, '["pwd"]', null, null, null, 0, ${made}, ${made} + ${day}, null, null, null, null from seq`],
    // Ten tokens a grant: the live one and nine rotated (a minute after they were made) within the day, kept for reuse detection.
    ['refresh tokens', from.refreshTokens, to.refreshTokens - 1, `insert into refresh_tokens (hash, grant_id, created_at, expires_at, used_at, dpop_jkt)
      select ${s.randomHex}, ${grantId(`n % ${to.sessions}`)}, ${made}, ${made} + ${day},
        case when n / ${to.sessions} = 0 then null else ${made} + 60000 end, null from seq`],
  ];
}

/** Runs the seeding statements through `exec`, each on its own; logs the time of each. */
async function seed(s: SeedSql, exec: (sql: string) => unknown, from: Sizes, to: Sizes): Promise<void> {
  for (const [what, first, last, statement] of seedStatements(s, from, to)) {
    if (last < first) continue;
    const t = performance.now();
    await exec(`${s.seq(first, last)} ${statement}`);
    log(`  seeded ${what} ${first}…${last} in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  }
}

/** The two databases of a run: where Strix finds them, how they are seeded, what they weigh, and their removal. */
interface Databases {
  /** For the table's title. */
  name: string;
  urls: Record<Size, string>;
  /** Once Strix has created the small database: seeds it, copies it as the large one and grows that. Seconds per size. */
  seedBoth(): Promise<Record<Size, number>>;
  mebibytes(size: Size): Promise<number>;
  /** PostgreSQL: the CPU time (ms) so far of each server process serving the database, by pid. */
  serverCpu?(size: Size): Promise<Map<number, number>>;
  /** Removes the databases (DATA_KEEP=1: says where they are). Safe to call twice. */
  finish(): Promise<void>;
}

const none: Sizes = { users: 0, realms: 1, sessions: 0, refreshTokens: 0 };
const keep = process.env.DATA_KEEP === '1';

function sqliteDatabases(): Databases {
  const files = { small: join(dir, 'small.db'), large: join(dir, 'large.db') };
  const grow = async (file: string, from: Sizes, to: Sizes) => {
    const started = performance.now();
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    await seed(sqliteSql, (statement) => db.exec(`begin; ${statement}; commit;`), from, to);
    db.close();
    return (performance.now() - started) / 1000;
  };
  return {
    name: 'SQLite',
    urls: { small: `sqlite:${files.small}`, large: `sqlite:${files.large}` },
    async seedBoth() {
      const small_ = await grow(files.small, none, small);
      copyFileSync(files.small, files.large);
      return { small: small_, large: await grow(files.large, small, large) };
    },
    mebibytes: async (size) => statSync(files[size]).size / 2 ** 20,
    async finish() {
      if (keep) log(`# kept ${dir}`);
      else rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function postgresDatabases(): Promise<Databases> {
  const { default: pg } = await import('pg');
  const adminUrl = process.env.DATA_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  const version = (await admin.query<{ server_version: string }>('show server_version')).rows[0]!.server_version;
  const prefix = `strix_bench_data_${randomBytes(4).toString('hex')}`;
  const names: Record<Size, string> = { small: `${prefix}_small`, large: `${prefix}_large` };
  const urlOf = (name: string) => Object.assign(new URL(adminUrl), { pathname: `/${name}` }).href;
  const grow = async (size: Size, from: Sizes, to: Sizes) => {
    const started = performance.now();
    const client = new pg.Client({ connectionString: urlOf(names[size]) });
    await client.connect();
    try {
      await seed(postgresSql, (statement) => client.query(statement), from, to);
      // As a database in service would be: statistics for the planner, and the visibility map set (autovacuum may be off).
      const t = performance.now();
      await client.query('vacuum analyze');
      log(`  vacuum analyze ${size} in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    } finally {
      await client.end();
    }
    return (performance.now() - started) / 1000;
  };
  let created: Size[] = [];
  let finished = false;
  await admin.query(`create database ${names.small}`);
  created.push('small');
  return {
    name: `PostgreSQL ${version}`,
    urls: { small: urlOf(names.small), large: urlOf(names.large) },
    async seedBoth() {
      const small_ = await grow('small', none, small);
      // A copy of the small database (no one is connected to it now: the importing Strix has stopped).
      const t = performance.now();
      await admin.query(`create database ${names.large} template ${names.small}`);
      created.push('large');
      log(`  copied the small database in ${((performance.now() - t) / 1000).toFixed(1)} s`);
      return { small: small_, large: await grow('large', small, large) };
    },
    mebibytes: async (size) => Number((await admin.query<{ size: string }>('select pg_database_size($1) as size', [names[size]])).rows[0]!.size) / 2 ** 20,
    async serverCpu(size) {
      const { rows } = await admin.query<{ pid: number }>('select pid from pg_stat_activity where datname = $1', [names[size]]);
      return new Map(rows.map(({ pid }) => [pid, cpuMs(pid)]));
    },
    async finish() {
      if (finished) return;
      finished = true;
      if (keep) log(`# kept ${created.map((size) => urlOf(names[size])).join(' ')}`);
      else for (const size of created) await admin.query(`drop database if exists ${names[size]} with (force)`);
      created = [];
      await admin.end();
      rmSync(dir, { recursive: true, force: true });
    },
  };
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

/**
 * reads, writes, commits: database statements and SQLite commits per unit (request or iteration);
 * dbCpuUs: PostgreSQL's CPU time per request, its server processes for the database (NaN on SQLite, whose work is in cpuUs).
 */
type Result = Measurement & { rssMiB: number; cpuUs: number; dbCpuUs: number; reads: number; writes: number; commits: number };
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

/** The CPU time (ms) the server processes of `after` used since `before` (a process new meanwhile: all of its time). */
function cpuSince(before: Map<number, number>, after: Map<number, number>): number {
  let sum = 0;
  for (const [pid, ms] of after) sum += ms - (before.get(pid) ?? 0);
  return sum;
}

async function measureOnce(server: Server, scenario: Scenario, prepared: Prepared, serverCpu?: () => Promise<Map<number, number>>): Promise<Result> {
  await prepared.renew?.();
  const flow = scenario.build(prepared);
  await runFlow(server.base, flow, { connections, seconds: 1 });
  const before = await databaseCounts(server.base);
  const dbBefore = await serverCpu?.();
  const { value, maxRss, cpuMs: used } = await whileSamplingRss(server.child.pid!, () => runFlow(server.base, flow, { connections, seconds }));
  const dbAfter = await serverCpu?.();
  const after = await databaseCounts(server.base);
  // Per unit; the one /metrics request in between reads nothing from the database.
  const per = (n: number) => (value.ok + value.failed > 0 ? n / (value.ok + value.failed) : NaN);
  return {
    ...value, rssMiB: maxRss, cpuUs: value.ok > 0 ? (1000 * used) / value.ok : NaN,
    dbCpuUs: dbBefore && dbAfter && value.ok > 0 ? (1000 * cpuSince(dbBefore, dbAfter)) / value.ok : NaN,
    reads: per(after.reads - before.reads), writes: per(after.writes - before.writes), commits: per(after.commits - before.commits),
  };
}

/** Of several rounds, each figure's best (the least disturbed by other work): highest rate, lowest latency and CPU; RSS its highest. */
function best(results: Result[]): Result {
  const min = (f: (r: Result) => number) => Math.min(...results.map(f));
  return {
    ...results[0]!, rate: Math.max(...results.map((r) => r.rate)), p50: min((r) => r.p50), p99: min((r) => r.p99), cpuUs: min((r) => r.cpuUs), dbCpuUs: min((r) => r.dbCpuUs),
    rssMiB: Math.max(...results.map((r) => r.rssMiB)), errorPercent: Math.max(...results.map((r) => r.errorPercent)),
    reads: median(results.map((r) => r.reads)), writes: median(results.map((r) => r.writes)), commits: median(results.map((r) => r.commits)),
  };
}

// ---- the run -----------------------------------------------------------------------------------

const loadBefore = loadavg();
log(`# Strix at scale of data: ${seconds} s per scenario, ${connections} connections, ${cpus().length} cores, load average ${loadBefore.map((l) => l.toFixed(2)).join(' ')}`);
const databases = dialect === 'postgres' ? await postgresDatabases() : sqliteDatabases();
log(`# ${databases.name}: small ${JSON.stringify(small)} → large ${JSON.stringify(large)}; ${databases.urls.small} → ${databases.urls.large}`);
// Ctrl-C or a kill: stop the servers and remove the databases before leaving.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    for (const child of children) child.kill('SIGKILL');
    void databases.finish().catch((error: Error) => log(`# cleaning up failed: ${error.message}`)).finally(() => process.exit(130));
  });
}
const sizeLabel = (s: Sizes) => `${s.users.toLocaleString('en')} users, ${s.realms.toLocaleString('en')} realms, ${s.sessions.toLocaleString('en')} sessions, ${s.refreshTokens.toLocaleString('en')} refresh tokens`;
interface SizeReport { sizes: Sizes; seedSeconds: number; dbMiB: number; start: { ms: number; cpuMs: number; rss: number }; results: Record<string, Result>; rssIdle: number; peakRss: number }
const report = {} as Record<Size, SizeReport>;
try {
  // The first start creates the database, the benchmark realm and its keys; the large database is a copy grown further.
  await stopStrix(await startStrix(databases.urls.small, true));
  const seedSeconds = await databases.seedBoth();
  log(`# start-up on the existing databases (${sizeLabel(small)} / ${sizeLabel(large)})`);
  const start = await startUps();
  const servers = { small: await startStrix(databases.urls.small), large: await startStrix(databases.urls.large) };
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
        const result = await measureOnce(servers[size], lists[size][index]!, prepared[size], databases.serverCpu && (() => databases.serverCpu!(size)));
        (measured[size][scenario.id] ??= []).push(result);
        log(`  ${size.padEnd(5)} ${scenario.label.padEnd(48)} ${result.rate.toFixed(0).padStart(6)}/s  p50 ${result.p50.toFixed(1)} ms  p99 ${result.p99.toFixed(1)} ms  CPU ${result.cpuUs.toFixed(0)} µs${Number.isNaN(result.dbCpuUs) ? '' : ` + DB ${result.dbCpuUs.toFixed(0)} µs`}  errors ${result.errorPercent.toFixed(2)}%  RSS ${result.rssMiB.toFixed(0)} MiB`);
      }
    }
  }
  for (const size of sizes) {
    const peakRss = rssMiB(servers[size].child.pid!, 'VmHWM');
    await stopStrix(servers[size]);
    report[size] = {
      sizes: size === 'small' ? small : large, seedSeconds: seedSeconds[size], dbMiB: await databases.mebibytes(size), start: start[size],
      results: Object.fromEntries(Object.entries(measured[size]).map(([id, results]) => [id, best(results)])), rssIdle: rssIdle[size], peakRss,
    };
  }
} finally {
  for (const child of children) child.kill('SIGKILL');
  await databases.finish();
}

const { small: lo, large: hi } = report;
const fmt = (n: number | undefined, digits = 0) => (n === undefined || !Number.isFinite(n) ? 'n/a' : n.toFixed(digits));
const postgres = dialect === 'postgres';
const rows: string[][] = [];
const targets: [string, string, boolean][] = [];
for (const id of Object.keys(lo.results)) {
  const a = lo.results[id]!;
  const b = hi.results[id];
  if (!b) continue;
  const p50 = b.p50 / Math.max(a.p50, 1);
  const p99 = b.p99 / Math.max(a.p99, 1);
  const cpu = b.cpuUs / a.cpuUs;
  const dbCpu = postgres ? `, PostgreSQL's ${(b.dbCpuUs / a.dbCpuUs).toFixed(2)}×` : '';
  const db = (r: Result) => `${fmt(r.reads, 1)} / ${fmt(r.writes, 1)}${postgres ? '' : ` / ${fmt(r.commits, 2)}`}`;
  rows.push([id, `${fmt(a.rate)} / ${fmt(b.rate)}`, `${fmt(a.p50, 1)} / ${fmt(b.p50, 1)}`, `${fmt(a.p99, 1)} / ${fmt(b.p99, 1)}`, `${fmt(a.cpuUs)} / ${fmt(b.cpuUs)}`,
    ...(postgres ? [`${fmt(a.dbCpuUs)} / ${fmt(b.dbCpuUs)}`] : []), `${fmt(a.rssMiB)} / ${fmt(b.rssMiB)}`, `${fmt(a.errorPercent, 1)}% / ${fmt(b.errorPercent, 1)}%`, `${db(a)} → ${db(b)}`]);
  // Latencies are whole milliseconds from autocannon: a change of one millisecond is below what it can tell.
  targets.push([`${id}: large p50 and p99 within 1.25× of small (or within 1 ms)`, `${p50.toFixed(2)}× / ${p99.toFixed(2)}× (CPU per request ${cpu.toFixed(2)}×${dbCpu})`,
    (p50 <= 1.25 || b.p50 - a.p50 <= 1) && (p99 <= 1.25 || b.p99 - a.p99 <= 1)]);
}
const underLoad = Object.values(hi.results).map((r) => r.rssMiB);
targets.push([`start-up (ready) < 1 s at ${hi.sizes.realms.toLocaleString('en')} realms`, `${fmt(hi.start.ms)} ms (${fmt(hi.start.cpuMs)} ms CPU; ${fmt(lo.start.cpuMs)} at ${lo.sizes.realms} realm)`, hi.start.ms < 1000]);
if (underLoad.length === 0) targets.push([`RSS under load < 200 MiB at ${hi.sizes.realms.toLocaleString('en')} realms`, 'not measured: no scenario ran', false]);
else targets.push([`RSS under load < 200 MiB at ${hi.sizes.realms.toLocaleString('en')} realms`, `${fmt(Math.max(...underLoad))} MiB`, Math.max(...underLoad) < 200]);

function markdown(head: string[], body: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}
process.stdout.write([
  '',
  `Strix at scale of data, ${new Date().toISOString()}: ${databases.name}, ${cpus().length} cores, Node ${process.version}, ${seconds} s per scenario, ${connections} connections`,
  `small: ${sizeLabel(lo.sizes)}`,
  `large: ${sizeLabel(hi.sizes)} (seeded in ${fmt(hi.seedSeconds, 1)} s)`,
  '',
  markdown(['scenario (small / large)', 'req/s', 'p50 ms', 'p99 ms', 'CPU µs/req', ...(postgres ? ['PostgreSQL CPU µs/req'] : []), 'RSS MiB', 'errors',
    `DB reads / writes${postgres ? '' : ' / commits'} per unit, small → large`], rows),
  '',
  markdown(['', 'small', 'large'], [
    ['start-up, ready on the existing database (median of 3)', `${fmt(lo.start.ms)} ms (${fmt(lo.start.cpuMs)} ms CPU)`, `${fmt(hi.start.ms)} ms (${fmt(hi.start.cpuMs)} ms CPU)`],
    ['RSS at ready / 1 s later', `${fmt(lo.start.rss)} / ${fmt(lo.rssIdle)} MiB`, `${fmt(hi.start.rss)} / ${fmt(hi.rssIdle)} MiB`],
    ['peak RSS (VmHWM)', `${fmt(lo.peakRss)} MiB`, `${fmt(hi.peakRss)} MiB`],
    ['database size', `${fmt(lo.dbMiB)} MiB`, `${fmt(hi.dbMiB)} MiB`],
  ]),
  '',
  markdown(['target', 'actual', 'met'], targets.map(([t, a, m]) => [t, a, m ? 'yes' : 'NO'])),
  '',
  `load average before: ${loadBefore.map((l) => l.toFixed(2)).join(' ')}, after: ${loadavg().map((l) => l.toFixed(2)).join(' ')} (2 cores: above ~0.5, other work shared the machine)`,
  '',
].join('\n'));
