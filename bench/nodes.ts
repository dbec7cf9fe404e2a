// `npm run bench:nodes` (issue 17): N Strix nodes on one PostgreSQL database. For each N and
// scenario: the rate in all and per node, each node's CPU per unit and RSS, the CPU of the
// database's PostgreSQL backends per unit (load generator: autocannon, perNode connections to each
// node, no proxy), and the database load per unit: statements (the nodes' /metrics), transactions
// and rows written (PostgreSQL's own pg_stat_database), counted over a separate pass of whole units
// in which each request goes to the next node in turn. Meant for a machine with more cores than
// N + 2; on a small one only the per-unit figures mean anything (the report says so). See
// docs/operations.md "Sizing".
//
// A fresh database (strix_nodes_<pid>_<random>) is created through BENCH_PG_URL and dropped at
// the end, on failure and on SIGINT. The first node migrates it and imports the benchmark realm;
// every node is `strix start --workers 1` with the same STRIX_MASTER_KEY and STRIX_PUBLIC_URL (the
// first node's URL stands in for the load balancer's). Before measuring, flows are finished on
// another node than the one that started them (code, refresh rotation and reuse, revocation).
//
// Environment: BENCH_NODES ("1,2"), BENCH_SECONDS (5), BENCH_WARMUP (1), BENCH_CONNECTIONS (25 per
// node), BENCH_SCENARIOS (ids; default client_credentials-ES256, refresh_token,
// authorization_code-sso, introspection, userinfo), BENCH_PG_URL (postgres://postgres@127.0.0.1:5432/test).
// The defaults finish in about three minutes.
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { authorizePath, codeFrom, pkcePair, tokenBody } from './browser.js';
import { basic, freePort, realmFile, webClient, spawnStrix, untilReady } from './common.js';
import { cpuMs, rssMiB, runFlow, type Flow, type FlowContext, type HttpResponse, type Measurement } from './load.js';
import { prepareServer } from './prepare.js';
import { scenarios, type Prepared, type Scenario } from './scenarios.js';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const nodeCounts = (process.env.BENCH_NODES ?? '1,2').split(',').map(Number);
const seconds = env('BENCH_SECONDS', 5);
const warmup = env('BENCH_WARMUP', 1);
const perNode = env('BENCH_CONNECTIONS', 25);
const ids = process.env.BENCH_SCENARIOS?.split(',').map((s) => s.trim()).filter(Boolean)
  ?? ['client_credentials-ES256', 'refresh_token', 'authorization_code-sso', 'introspection', 'userinfo'];
const databasePassUnits = 500;
const adminUrl = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const selected = scenarios.filter((s) => ids.includes(s.id));
if (nodeCounts.some((n) => !Number.isInteger(n) || n < 1) || selected.length === 0) {
  throw new Error(`BENCH_NODES must list positive integers and BENCH_SCENARIOS name known scenarios (${scenarios.map((s) => s.id).join(', ')})`);
}
const maxNodes = Math.max(...nodeCounts);
const log = (line: string) => process.stderr.write(`${line}\n`);

// ---- the database and the nodes ------------------------------------------------------------------

const database = `strix_nodes_${process.pid}_${randomBytes(3).toString('hex')}`;
const databaseUrl = (() => { const u = new URL(adminUrl); u.pathname = `/${database}`; return u.href; })();
const admin = new pg.Client({ connectionString: adminUrl });
const dir = mkdtempSync(join(tmpdir(), 'strix-bench-nodes-'));
writeFileSync(join(dir, 'realm.json'), JSON.stringify(realmFile));

interface Node { index: number; child: ChildProcess; base: string; readyMs: number; rssAtReady: number }
const nodes: Node[] = [];

async function startNode(index: number, port: number, publicUrl: string): Promise<Node> {
  const base = `http://127.0.0.1:${port}`;
  const started = performance.now();
  const child = spawnStrix({ cwd: dir, databaseUrl, port, publicUrl, importFile: index === 0 ? join(dir, 'realm.json') : undefined });
  const node: Node = { index, child, base, readyMs: NaN, rssAtReady: NaN };
  nodes.push(node);
  await untilReady(child, base, 100);
  return Object.assign(node, { readyMs: performance.now() - started, rssAtReady: rssMiB(child.pid!) });
}

async function stopNode(node: Node): Promise<void> {
  if (node.child.exitCode !== null || node.child.signalCode !== null) return;
  const exited = new Promise((resolve) => node.child.once('exit', resolve));
  node.child.kill('SIGTERM');
  await Promise.race([exited, sleep(15_000)]);
  if (node.child.exitCode === null && node.child.signalCode === null) node.child.kill('SIGKILL');
}

let cleaned: Promise<void> | undefined;
function cleanUp(): Promise<void> {
  cleaned ??= (async () => {
    await Promise.all(nodes.map(stopNode));
    try {
      await admin.query(`drop database if exists ${database} with (force)`);
    } catch (error) {
      log(`could not drop database ${database}: ${(error as Error).message}`);
    }
    await admin.end().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  })();
  return cleaned;
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => { log(`# ${signal}: stopping the nodes and dropping ${database}`); void cleanUp().finally(() => process.exit(130)); });
}

// ---- what is counted -----------------------------------------------------------------------------

interface NodeCounts { reads: number; writes: number; requests: number }
interface DbCounts { reads: number; writes: number; requests: number; commits: number; rollbacks: number; rowsWritten: number }

/**
 * A node's statements and the requests it answered, from its /metrics (the /metrics requests
 * themselves left out). Units are counted here rather than by the load generator: the requests in
 * flight when it stops did their database work, but it never counts them (at 20 code flows a second
 * and 50 connections, that inflated statements per flow by half).
 */
async function countsOf(node: Node): Promise<NodeCounts> {
  const text = await (await fetch(`${node.base}/metrics`)).text();
  let requests = 0;
  for (const [, labels, n] of text.matchAll(/^strix_http_requests_total\{([^}]*)\} (\d+)/gm)) {
    if (!labels!.includes('route="/metrics"')) requests += Number(n);
  }
  return {
    reads: Number(text.match(/^strix_db_statements_total\{kind="read"\} (\d+)/m)?.[1] ?? NaN),
    writes: Number(text.match(/^strix_db_statements_total\{kind="write"\} (\d+)/m)?.[1] ?? NaN),
    requests,
  };
}

/** Statements and requests of every node; transactions and rows written from PostgreSQL, for this database only. */
async function dbCounts(): Promise<DbCounts> {
  const sum: DbCounts = { reads: 0, writes: 0, requests: 0, commits: 0, rollbacks: 0, rowsWritten: 0 };
  for (const node of nodes) {
    const counts = await countsOf(node);
    sum.reads += counts.reads;
    sum.writes += counts.writes;
    sum.requests += counts.requests;
  }
  const { rows: [row] } = await admin.query<Record<string, string>>(
    'select xact_commit, xact_rollback, tup_inserted + tup_updated + tup_deleted as written from pg_stat_database where datname = $1', [database]);
  return { ...sum, commits: Number(row!.xact_commit), rollbacks: Number(row!.xact_rollback), rowsWritten: Number(row!.written) };
}

/**
 * Waits until pg_stat_database holds everything done so far. PostgreSQL 15 publishes a backend's
 * counters when it goes idle, but at most once a second (otherwise 10 s later); a backend that ends
 * publishes them at once. So after a pause of a second, this ends the nodes' pool connections (the
 * pools open new ones on demand, as after any lost connection; the LISTEN connections are left alone).
 */
async function settle(): Promise<void> {
  await sleep(1_100);
  const { rows } = await admin.query<{ pid: number }>(
    `select pid from pg_stat_activity where datname = $1 and pid <> pg_backend_pid() and query not ilike 'listen %'`, [database]);
  const pids = rows.map((r) => r.pid);
  await admin.query('select pg_terminate_backend(pid) from unnest($1::int[]) as pid', [pids]);
  for (let i = 0; i < 50; i++) {
    const { rows: [left] } = await admin.query<{ n: string }>('select count(*) as n from pg_stat_activity where pid = any($1::int[])', [pids]);
    if (Number(left!.n) === 0) return;
    await sleep(20);
  }
}

/**
 * Plays `flow` with fetch, each request to the next node in turn (so a code flow's authorization and
 * token requests go to different nodes when there are several), `width` iterations at a time, until
 * `units` iterations have started or `ms` have passed. Every iteration started is finished: the
 * database work counted is that of whole units.
 */
async function playAcross(serving: Node[], flow: Flow, units: number, ms: number, width: number): Promise<{ ok: number; failed: number }> {
  let next = 0;
  let started = 0;
  let ok = 0;
  let failed = 0;
  const deadline = performance.now() + ms;
  const iteration = async (): Promise<boolean> => {
    const ctx: FlowContext = {};
    for (const step of flow.steps) {
      const request = typeof step.request === 'function' ? step.request(ctx) : step.request;
      if (!request) return false;
      const node = serving[next++ % serving.length]!;
      const response = await fetch(`${node.base}${request.path}`, { method: request.method, headers: request.headers, body: request.body, redirect: 'manual' });
      const headers: Record<string, string | string[]> = {};
      response.headers.forEach((value, name) => { headers[name] = value; });
      if (response.headers.getSetCookie().length > 0) headers['set-cookie'] = response.headers.getSetCookie();
      const answer: HttpResponse = { status: response.status, headers, body: await response.text() };
      if (!(step.check ? step.check(answer, ctx) : answer.status < 400)) return false;
    }
    return true;
  };
  await Promise.all(Array.from({ length: width }, async () => {
    while (started < units && performance.now() < deadline) {
      started++;
      if (await iteration().catch(() => false)) ok++;
      else failed++;
    }
  }));
  return { ok, failed };
}

/**
 * CPU of this database's PostgreSQL backends (pool and LISTEN connections of every node) from
 * /proc, sampled every 100 ms: a backend that started meanwhile counts from zero, one that ended
 * counts up to its last sample. NaN when PostgreSQL is not on this host (its backends' process ids
 * would name other processes here) or its processes are not visible.
 */
function sampleBackends(): { stop: () => Promise<number> } {
  const seen = new Map<number, { first: number; last: number }>();
  let first = true;
  let visible = ['127.0.0.1', 'localhost', '[::1]', ''].includes(new URL(adminUrl).hostname);
  const sample = async () => {
    const { rows } = await admin.query<{ pid: number }>('select pid from pg_stat_activity where datname = $1', [database]);
    for (const { pid } of rows) {
      if (!visible || !existsSync(`/proc/${pid}/stat`)) { visible = false; continue; }
      const now = cpuMs(pid);
      if (!Number.isFinite(now)) continue;
      const entry = seen.get(pid);
      if (entry) entry.last = now;
      else seen.set(pid, { first: first ? now : 0, last: now });
    }
    first = false;
  };
  let running = sample();
  const timer = setInterval(() => { running = running.then(sample); }, 100);
  return {
    stop: async () => {
      clearInterval(timer);
      await running.then(sample);
      if (!visible) return NaN;
      let sum = 0;
      for (const { first: from, last } of seen.values()) sum += last - from;
      return sum;
    },
  };
}

// ---- one measurement -----------------------------------------------------------------------------

interface PerNode { rate: number; cpuUs: number; rssMiB: number }
interface Result {
  scenario: Scenario; nodes: number; total: number; perNode: PerNode[]; errorPercent: number;
  p50: number; p99: number;
  /** Per unit (request or iteration), from the pass of whole units spread request by request over the nodes. */
  reads: number; writes: number; commits: number; rollbacks: number; rowsWritten: number;
  /** PostgreSQL backends' CPU per unit of the measured seconds, µs. */
  pgCpuUs: number;
  /** The load generator's own CPU while measuring, in % of one core. */
  generatorPercent: number;
  /** Units of the measured seconds: served (the nodes' count) and completed (the load generator's); whole units of the database pass. */
  served: number; completed: number; counted: number;
}

let tokenRenewedAt = Date.now();

async function measure(scenario: Scenario, count: number, prepared: Prepared): Promise<Result> {
  // Access tokens live 5 minutes: renewed before the database pass, whose counters start settled.
  if (Date.now() - tokenRenewedAt > 4 * 60_000) {
    await prepared.renew!();
    tokenRenewedAt = Date.now();
    await settle();
  }
  const serving = nodes.slice(0, count);
  const flow = scenario.build(prepared);
  // The database load: whole units only (a load generator that stops mid-flow leaves work uncounted:
  // at 40 code flows a second and 50 connections, that added 1–2 statements per flow).
  const before = await dbCounts();
  const pass = await playAcross(serving, flow, databasePassUnits, 3_000, 4 * count);
  await settle();
  const after = await dbCounts();
  const counted = pass.ok + pass.failed;
  const per = (key: keyof DbCounts) => (counted > 0 ? (after[key] - before[key]) / counted : NaN);
  // The rate, CPU and memory: the load generator's connections, perNode to each node.
  if (warmup > 0) await Promise.all(serving.map((n) => runFlow(n.base, flow, { connections: perNode, seconds: warmup })));
  const answeredBefore = await Promise.all(serving.map(countsOf));
  const cpuBefore = serving.map((n) => cpuMs(n.child.pid!));
  const peakRss = serving.map((n) => rssMiB(n.child.pid!));
  const rssTimer = setInterval(() => serving.forEach((n, i) => { peakRss[i] = Math.max(peakRss[i]!, rssMiB(n.child.pid!)); }), 200);
  const backends = sampleBackends();
  const generatorBefore = process.cpuUsage();
  const started = performance.now();
  let measured: Measurement[];
  try {
    measured = await Promise.all(serving.map((n) => runFlow(n.base, flow, { connections: perNode, seconds })));
  } finally {
    clearInterval(rssTimer);
  }
  const wallMs = performance.now() - started;
  const generator = process.cpuUsage(generatorBefore);
  const cpuAfter = serving.map((n) => cpuMs(n.child.pid!));
  const pgCpuMs = await backends.stop();
  const answeredAfter = await Promise.all(serving.map(countsOf));
  await settle();
  // Units the nodes served: their requests divided by the requests of one unit (an authorization
  // request without its token request is half a code flow).
  const steps = flow.steps.length;
  const servedUnits = serving.map((_, i) => (answeredAfter[i]!.requests - answeredBefore[i]!.requests) / steps);
  const served = servedUnits.reduce((sum, n) => sum + n, 0);
  const ok = measured.reduce((sum, m) => sum + m.ok, 0) + pass.ok;
  const failed = measured.reduce((sum, m) => sum + m.failed, 0) + pass.failed;
  return {
    scenario, nodes: count,
    total: measured.reduce((sum, m) => sum + m.rate, 0),
    perNode: measured.map((m, i) => ({ rate: m.rate, cpuUs: servedUnits[i]! > 0 ? (1000 * (cpuAfter[i]! - cpuBefore[i]!)) / servedUnits[i]! : NaN, rssMiB: peakRss[i]! })),
    errorPercent: ok + failed > 0 ? (100 * failed) / (ok + failed) : 100,
    p50: Math.max(...measured.map((m) => m.p50)), p99: Math.max(...measured.map((m) => m.p99)),
    reads: per('reads'), writes: per('writes'), commits: per('commits'), rollbacks: per('rollbacks'), rowsWritten: per('rowsWritten'),
    pgCpuUs: served > 0 ? (1000 * pgCpuMs) / served : NaN, served, completed: measured.reduce((sum, m) => sum + m.ok + m.failed, 0), counted,
    generatorPercent: (100 * (generator.user + generator.system) / 1000) / wallMs,
  };
}

// ---- flows finished on another node --------------------------------------------------------------

/** Starts flows on node `a` and finishes them on node `b`; returns one line per check, failures marked. */
async function crossNodeChecks(a: Node, b: Node, prepared: Prepared): Promise<string[]> {
  const doc = await (await fetch(prepared.endpoints.discovery)).json() as Record<string, string>;
  const on = (node: Node, endpoint: string) => `${node.base}${new URL(endpoint).pathname}`;
  const post = async (node: Node, endpoint: string, body: Record<string, string>) => {
    const response = await fetch(on(node, endpoint), {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(webClient) }, body: new URLSearchParams(body).toString(),
    });
    return { status: response.status, body: await response.json().catch(() => ({})) as Record<string, unknown> };
  };
  const codeAt = async (node: Node) => {
    const { verifier, challenge } = pkcePair();
    const response = await fetch(`${node.base}${authorizePath(prepared.endpoints.authorization, webClient.id, challenge)}`, {
      headers: { accept: 'text/html', cookie: prepared.ssoCookie }, redirect: 'manual',
    });
    const code = codeFrom(response.headers.get('location') ?? undefined);
    if (!code) throw new Error(`authorization request at node ${node.index + 1}: ${response.status}, no code`);
    return { code, verifier };
  };
  const active = async (node: Node, token: string) => (await post(node, doc.introspection_endpoint!, { token })).body.active === true;
  const lines: string[] = [];
  const check = (what: string, passed: boolean) => lines.push(`${passed ? 'ok  ' : 'FAIL'} ${what}`);
  const A = `node ${a.index + 1}`;
  const B = `node ${b.index + 1}`;

  const { code, verifier } = await codeAt(a);
  const redeemed = await post(b, doc.token_endpoint!, Object.fromEntries(new URLSearchParams(tokenBody(code, verifier))));
  check(`code from ${A} redeemed at ${B}`, redeemed.status === 200 && typeof redeemed.body.refresh_token === 'string');
  const replayed = await post(a, doc.token_endpoint!, Object.fromEntries(new URLSearchParams(tokenBody(code, verifier))));
  check(`the same code replayed at ${A} is refused (invalid_grant)`, replayed.status === 400 && replayed.body.error === 'invalid_grant');
  const access = String(redeemed.body.access_token);
  check(`the replay revoked the grant: its access token is inactive at ${A} and at ${B}`,
    !(await active(a, access)) && !(await active(b, access)));

  const second = await codeAt(b);
  const tokens = (await post(a, doc.token_endpoint!, Object.fromEntries(new URLSearchParams(tokenBody(second.code, second.verifier))))).body;
  const first = String(tokens.refresh_token);
  const rotated = await post(b, doc.token_endpoint!, { grant_type: 'refresh_token', refresh_token: first });
  check(`refresh token from ${A} rotated at ${B}`, rotated.status === 200 && typeof rotated.body.refresh_token === 'string');
  const reused = await post(a, doc.token_endpoint!, { grant_type: 'refresh_token', refresh_token: first });
  check(`the rotated-out refresh token reused at ${A} is refused`, reused.status === 400 && reused.body.error === 'invalid_grant');
  const afterReuse = await post(b, doc.token_endpoint!, { grant_type: 'refresh_token', refresh_token: String(rotated.body.refresh_token) });
  check(`after that reuse, the newest refresh token is refused at ${B} too (grant revoked)`, afterReuse.status === 400);
  check(`and the grant's newest access token is inactive at ${A}`, !(await active(a, String(rotated.body.access_token))));

  const third = await codeAt(a);
  const fresh = (await post(a, doc.token_endpoint!, Object.fromEntries(new URLSearchParams(tokenBody(third.code, third.verifier))))).body;
  const freshAccess = String(fresh.access_token);
  const wasActive = await active(b, freshAccess);
  const revoked = await post(a, doc.revocation_endpoint!, { token: freshAccess, token_type_hint: 'access_token' });
  const userinfo = await fetch(on(b, doc.userinfo_endpoint!), { headers: { authorization: `Bearer ${freshAccess}` } });
  check(`an access token revoked at ${A} is inactive at ${B} and refused at ${B}'s userinfo at once`,
    wasActive && revoked.status === 200 && !(await active(b, freshAccess)) && userinfo.status === 401);
  return lines;
}

// ---- the run -------------------------------------------------------------------------------------

const results: Result[] = [];
const notes: string[] = [];
const loadBefore = loadavg();
log(`# ${maxNodes} Strix node(s) on PostgreSQL database ${database}: N = ${nodeCounts.join(', ')}, ${seconds} s per scenario (+${warmup} s warm-up), ${perNode} connections per node, ${cpus().length} cores, load average ${loadBefore.map((l) => l.toFixed(2)).join(' ')}`);
try {
  await admin.connect();
  await admin.query(`create database ${database}`);
  const ports = await Promise.all(Array.from({ length: maxNodes }, () => freePort()));
  const publicUrl = `http://127.0.0.1:${ports[0]}`;
  // The first node migrates the database and imports the realm; the others start on it as it is.
  await startNode(0, ports[0]!, publicUrl);
  for (let i = 1; i < maxNodes; i++) await startNode(i, ports[i]!, publicUrl);
  log(`  ready: ${nodes.map((n) => `node ${n.index + 1} ${n.readyMs.toFixed(0)} ms, ${n.rssAtReady.toFixed(0)} MiB`).join('; ')}`);
  const prepared = await prepareServer('strix', nodes[0]!.base, `${publicUrl}/realms/bench`, perNode * maxNodes);
  tokenRenewedAt = Date.now();
  if (maxNodes >= 2) {
    for (const line of await crossNodeChecks(nodes[0]!, nodes[1]!, prepared)) { log(`  ${line}`); notes.push(`cross-node: ${line}`); }
  }
  // Every node serves every scenario before anything is measured: a node that joins at a larger N
  // must not be measured while V8 still compiles its code (with 2 s, a second node still used 1.7×
  // the CPU per request of the first on a loaded 2-core machine).
  for (const scenario of selected) {
    const flow = scenario.build(prepared);
    await Promise.all(nodes.map((n) => runFlow(n.base, flow, { connections: perNode, seconds: Math.max(3, 3 * warmup) })));
  }
  // What the nodes ask of the database with no request at all (outbox claims, purges), to judge the
  // figures per unit by: a database pass takes up to 4 s of it.
  await settle();
  const idleFrom = await dbCounts();
  const idleStarted = performance.now();
  await sleep(5_000);
  await settle();
  const idleTo = await dbCounts();
  const idleSeconds = (performance.now() - idleStarted) / 1000;
  const idle = (key: keyof DbCounts) => (idleTo[key] - idleFrom[key]) / idleSeconds;
  notes.push(`idle, all ${maxNodes} node(s) together: ${idle('reads').toFixed(1)} reads, ${idle('writes').toFixed(1)} writes, ${idle('commits').toFixed(1)} PostgreSQL commits a second (over ${idleSeconds.toFixed(1)} s with no request)`);
  // Each scenario on every N in turn, so that drifting background load falls on every N alike.
  for (const scenario of selected) {
    for (const count of nodeCounts) {
      const r = await measure(scenario, count, prepared);
      results.push(r);
      log(`  ${scenario.label.padEnd(42)} N=${count}  ${r.total.toFixed(0).padStart(6)}/s (${r.perNode.map((p) => p.rate.toFixed(0)).join(' + ')})  CPU ${r.perNode.map((p) => p.cpuUs.toFixed(0)).join(' / ')} µs/unit  PG ${r.pgCpuUs.toFixed(0)} µs/unit  ${r.reads.toFixed(1)} reads ${r.writes.toFixed(1)} writes ${r.commits.toFixed(2)} commits/unit  errors ${r.errorPercent.toFixed(2)}%  units served ${r.served.toFixed(0)}, completed ${r.completed}, database pass ${r.counted}`);
    }
  }
  for (const node of nodes) notes.push(`node ${node.index + 1}: ready after ${node.readyMs.toFixed(0)} ms, RSS ${node.rssAtReady.toFixed(0)} MiB at ready, peak (VmHWM) ${rssMiB(node.child.pid!, 'VmHWM').toFixed(0)} MiB`);
} finally {
  await cleanUp();
}

// ---- the report ----------------------------------------------------------------------------------

const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
const all = (r: Result, f: (p: PerNode) => number, digits = 0) => r.perNode.map((p) => fmt(f(p), digits)).join(' / ');
function markdown(head: string[], body: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}
const rows = results.map((r) => [
  r.scenario.label + (r.scenario.unit === 'iteration' ? ' *' : ''), String(r.nodes), fmt(r.total), all(r, (p) => p.rate), all(r, (p) => p.cpuUs), all(r, (p) => p.rssMiB),
  `${fmt(r.reads, 1)} / ${fmt(r.writes, 1)}`, `${fmt(r.commits, 2)} / ${fmt(r.rollbacks, 2)}`, fmt(r.rowsWritten, 1), fmt(r.pgCpuUs),
  `${fmt(r.p50, 1)} / ${fmt(r.p99, 1)}`, `${fmt(r.errorPercent, 2)}%`, `${fmt(r.generatorPercent)}%`,
]);
const cores = cpus().length;
process.stdout.write([
  '',
  `Strix nodes on one PostgreSQL, ${new Date().toISOString()}: ${cores} cores (${cpus()[0]?.model.trim() ?? 'unknown CPU'}), Node ${process.version}, ${seconds} s per scenario after ${warmup} s warm-up, ${perNode} connections per node`,
  '',
  markdown(['scenario', 'N', 'total /s', 'per node /s', 'CPU µs/unit per node', 'RSS MiB per node (peak)', 'statements read / write per unit', 'PG commits / rollbacks per unit',
    'PG rows written per unit', 'PG backend CPU µs/unit', 'p50 / p99 ms (slowest node)', 'errors', 'load generator CPU'], rows),
  '',
  '* one unit = one iteration of the flow (authorize + token); otherwise one request. Units are the requests the nodes answered (their /metrics) divided by the requests of one unit.',
  `  Statements, commits and rows per unit: a separate pass of whole units (up to ${databasePassUnits}, 3 s), each request to the next node in turn;`,
  '  PG commits are pg_stat_database.xact_commit for this database (every statement outside a transaction commits by itself, reads included);',
  '  write statements include the BEGIN and COMMIT of explicit transactions (each a round trip). PG backend CPU: the backends of this database only (not the WAL writer or checkpointer).',
  cores < maxNodes + 2
    ? `This machine has ${cores} cores for the load generator, PostgreSQL and ${maxNodes} node(s) together: the total rate cannot grow with N here, so scaling with N is NOT measurable; the figures per unit (node CPU µs, statements, commits, PostgreSQL CPU) and RSS are what it shows.`
    : `With ${cores} cores: a per-node rate that stays flat as N grows means neither PostgreSQL nor the load generator is the bottleneck; a load generator near 100% of a core caps the total.`,
  `load average before: ${loadBefore.map((l) => l.toFixed(2)).join(' ')}, after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`,
  ...notes.map((n) => `note: ${n}`),
  '',
].join('\n'));
if (notes.some((n) => n.includes('FAIL')) || results.some((r) => r.errorPercent > 1)) process.exitCode = 1;
