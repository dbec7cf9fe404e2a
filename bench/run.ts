// `npm run bench`: Strix against node-oidc-provider (the peer) and against the ceiling (a bare
// Fastify route that signs one JWT), one server child at a time, the load generated here with
// autocannon. Prints a table and writes bench/results/latest.json. See docs/performance.md.
//
// Environment: BENCH_SECONDS (timed seconds per scenario, default 5), BENCH_WARMUP (1),
// BENCH_CONNECTIONS (50), BENCH_SCENARIOS (comma-separated ids, default all),
// BENCH_SERVERS (strix,peer,ceiling), BENCH_CPU_PROF (a folder: Strix runs with --cpu-prof there).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { freePort, readyPrefix, realmFile, spawnStrix, untilReady, type Ready } from './common.js';
import { prepareServer } from './prepare.js';
import { rssMiB, runFlow, whileSamplingRss, type Measurement } from './load.js';
import { ceilingScenarios, scenarios, type Endpoints, type Prepared, type Scenario } from './scenarios.js';

type ServerName = 'strix' | 'peer' | 'ceiling';
/** cpuUs: the server's CPU time per successful unit (request or iteration), µs. */
type Result = Measurement & { rssMiB: number; cpuUs: number };

const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const warmup = Number(process.env.BENCH_WARMUP ?? 1);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);
const only = process.env.BENCH_SCENARIOS?.split(',').map((s) => s.trim()).filter(Boolean);
const servers = (process.env.BENCH_SERVERS ?? 'strix,peer,ceiling').split(',').map((s) => s.trim()) as ServerName[];
const cpuProfDir = process.env.BENCH_CPU_PROF;
const log = (line: string) => process.stderr.write(`${line}\n`);

/** dir: the child's temporary folder, removed when it stops. */
interface Child { name: ServerName; process: ChildProcess; ready: Ready; base: string; dir?: string }

/**
 * Strix as `npm start` runs it (the server bundle, `strix start --workers 1`: one process, whose CPU
 * time and RSS are the server's) on a fresh SQLite file, with the benchmark realm imported.
 */
async function startStrix(): Promise<Child> {
  const dir = mkdtempSync(join(tmpdir(), 'strix-bench-'));
  const importFile = join(dir, 'realm.json');
  writeFileSync(importFile, JSON.stringify(realmFile));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const nodeFlags = [
    ...(process.env.BENCH_STRIX_NODE_FLAGS ?? '').split(' ').filter(Boolean),
    ...(cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`] : []),
  ];
  const child = spawnStrix({ cwd: dir, databaseUrl: `sqlite:${join(dir, 'strix.db')}`, port, publicUrl: base, importFile, nodeFlags });
  await untilReady(child, base);
  return { name: 'strix', process: child, ready: { port, issuer: `${base}/realms/bench` }, base, dir };
}

async function startChild(name: ServerName): Promise<Child> {
  if (name === 'strix') return startStrix();
  const script = fileURLToPath(new URL(`./${name}-server.js`, import.meta.url));
  const child = spawn(process.execPath, [script], {
    stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, STRIX_LOG_LEVEL: 'warn', NODE_ENV: 'production' },
  });
  const lines = createInterface({ input: child.stdout! });
  let logged = 0;
  const ready = await new Promise<Ready>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} server did not start within 60 s`)), 60_000);
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`${name} server exited with ${code} before it was ready`)); });
    lines.on('line', (line) => {
      if (line.startsWith(readyPrefix)) {
        clearTimeout(timer);
        resolve(JSON.parse(line.slice(readyPrefix.length)) as Ready);
      } else if (logged++ < 20) {
        log(`  [${name}] ${line.slice(0, 300)}`);
      }
    });
  });
  child.removeAllListeners('exit');
  return { name, process: child, ready, base: `http://127.0.0.1:${ready.port}` };
}

async function stopChild(child: Child): Promise<number> {
  const peak = rssMiB(child.process.pid!, 'VmHWM');
  if (child.process.exitCode === null) {
    const exited = new Promise((resolve) => child.process.once('exit', resolve));
    child.process.kill('SIGTERM');
    await Promise.race([exited, sleep(15_000)]);
    if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGKILL');
  }
  if (child.dir) rmSync(child.dir, { recursive: true, force: true });
  return peak;
}

async function measureOne(child: Child, scenario: Scenario, prepared: Prepared): Promise<Result> {
  await prepared.renew?.();
  const flow = scenario.build(prepared);
  const width = Math.min(connections, scenario.maxConnections ?? connections);
  if (warmup > 0) await runFlow(child.base, flow, { connections: width, seconds: warmup });
  const { value, maxRss, cpuMs } = await whileSamplingRss(child.process.pid!, () => runFlow(child.base, flow, { connections: width, seconds }));
  const cpuUs = value.ok > 0 ? (1000 * cpuMs) / value.ok : NaN;
  log(`  ${child.name.padEnd(7)} ${scenario.label.padEnd(42)} ${value.rate.toFixed(0).padStart(7)}/s  p50 ${value.p50.toFixed(1)} ms  p99 ${value.p99.toFixed(1)} ms  errors ${value.errorPercent.toFixed(2)}%  RSS ${maxRss.toFixed(0)} MiB  CPU ${cpuUs.toFixed(0)} µs/unit`);
  return { ...value, rssMiB: maxRss, cpuUs };
}

const selected = scenarios.filter((s) => !only || only.includes(s.id));
const startedAt = new Date();
const loadBefore = loadavg();
const deadline = Date.now() + 10 * 60_000;
const measured: Partial<Record<ServerName, Record<string, Result>>> = {};
const peakRss: Partial<Record<ServerName, number>> = {};
const notes: string[] = [];
for (const scenario of scenarios) {
  if ((!only || only.includes(scenario.id)) && scenario.maxConnections !== undefined && scenario.maxConnections < connections) {
    notes.push(`${scenario.id}: ${scenario.maxConnections} connections (Strix refuses password checks beyond a line of 16 per core)`);
  }
}

log(`# Strix benchmark: ${seconds} s per scenario (+${warmup} s warm-up), ${connections} connections, ${cpus().length} cores, Node ${process.version}, load average ${loadBefore.map((l) => l.toFixed(2)).join(' ')}`);
// All servers are started up front and stay idle while another one is measured; each scenario is
// measured on Strix, then the peer, then the ceiling, so that a change in the machine's background
// load during the run affects the ratios as little as possible.
const children: Child[] = [];
const prepared = new Map<ServerName, Prepared>();
try {
  for (const name of servers) {
    const child = await startChild(name);
    children.push(child);
    measured[name] = {};
    prepared.set(name, name === 'ceiling'
      ? { base: child.base, endpoints: {} as Endpoints, ssoCookie: '', accessToken: '', refreshTokens: [], signInRequests: 0 }
      : await prepareServer(child.name, child.base, child.ready.issuer, connections));
    if (name !== 'ceiling') notes.push(`${name}: a fresh sign-in takes ${prepared.get(name)!.signInRequests} HTTP requests from the authorization request to the code`);
  }
  const plan: { child: Child; scenario: Scenario }[] = [];
  for (const scenario of selected) {
    for (const child of children) {
      const list = child.name === 'ceiling' ? ceilingScenarios : scenarios;
      const own = list.find((s) => s.id === scenario.id);
      if (own) plan.push({ child, scenario: own });
    }
  }
  for (const { child, scenario } of plan) {
    if (Date.now() > deadline) { notes.push(`${child.name} ${scenario.id}: skipped, the run went past its 10-minute bound`); continue; }
    measured[child.name]![scenario.id] = await measureOne(child, scenario, prepared.get(child.name)!);
  }
} finally {
  for (const child of children) peakRss[child.name] = await stopChild(child);
}
const loadAfter = loadavg();

// ---- the report ----------------------------------------------------------------------------

const fmt = (n: number | undefined, digits = 0) => (n === undefined || !Number.isFinite(n) ? 'n/a' : n.toFixed(digits));
const latency = (r: Result | undefined) => (r ? `${fmt(r.p50, 1)} / ${fmt(r.p99, 1)}` : 'n/a');
const errors = (r: Result | undefined) => (r ? `${fmt(r.errorPercent, r.errorPercent > 0 && r.errorPercent < 0.1 ? 2 : 1)}%${r.errorPercent > 1 ? ' ⚠' : ''}` : 'n/a');

const rows = selected.map((scenario) => {
  const strix = measured.strix?.[scenario.id];
  const peer = measured.peer?.[scenario.id];
  const ratio = strix && peer && peer.rate > 0 ? strix.rate / peer.rate : undefined;
  return { scenario, strix, peer, ratio };
});

const header = ['scenario', 'Strix /s', 'peer /s', 'ratio', 'CPU µs Strix / peer', 'Strix p50/p99 ms', 'peer p50/p99 ms', 'Strix RSS MiB', 'peer RSS MiB', 'errors Strix / peer'];
const table: string[][] = rows.map(({ scenario, strix, peer, ratio }) => [
  scenario.label + (scenario.unit === 'iteration' ? ' *' : ''), fmt(strix?.rate), fmt(peer?.rate), ratio === undefined ? 'n/a' : `${ratio.toFixed(2)}×`,
  `${fmt(strix?.cpuUs)} / ${fmt(peer?.cpuUs)}`, latency(strix), latency(peer), fmt(strix?.rssMiB), fmt(peer?.rssMiB), `${errors(strix)} / ${errors(peer)}`,
]);

const ceiling = measured.ceiling ?? {};
const ceilingRows = (['ES256', 'RS256'] as const).map((alg) => {
  const id = `client_credentials-${alg}`;
  const top = ceiling[id];
  const strix = measured.strix?.[id];
  const peer = measured.peer?.[id];
  return {
    alg, ceiling: top, strix, peer,
    strixShare: top && strix ? strix.rate / top.rate : undefined,
    peerShare: top && peer ? peer.rate / top.rate : undefined,
  };
});
const pct = (x: number | undefined) => (x === undefined ? 'n/a' : `${(100 * x).toFixed(0)}%`);
const ceilingTable: string[][] = ceilingRows.map((c) => [
  `sign-only ceiling ${c.alg}`, fmt(c.ceiling?.rate), fmt(c.ceiling?.cpuUs), latency(c.ceiling), fmt(c.ceiling?.rssMiB), pct(c.strixShare), pct(c.peerShare), errors(c.ceiling),
]);

function markdown(head: string[], body: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}

const byId = (id: string) => rows.find((r) => r.scenario.id === id);
const strixRss = Math.max(...Object.values(measured.strix ?? {}).map((r) => r.rssMiB));
const targets = [
  // Issue 17's targets.
  { target: 'client_credentials ES256 ≥ 2× peer', actual: byId('client_credentials-ES256')?.ratio, goal: 2, kind: 'ratio' },
  { target: 'client_credentials ES256 ≥ 75% of the sign-only ceiling', actual: ceilingRows[0]!.strixShare, goal: 0.75, kind: 'share' },
  { target: 'client_credentials RS256 ≥ 90% of the sign-only ceiling', actual: ceilingRows[1]!.strixShare, goal: 0.9, kind: 'share' },
  { target: 'code flow (SSO) ≥ 1.5× peer', actual: byId('authorization_code-sso')?.ratio, goal: 1.5, kind: 'ratio' },
  { target: 'refresh_token ≥ 1.5× peer', actual: byId('refresh_token')?.ratio, goal: 1.5, kind: 'ratio' },
  { target: 'introspection ≥ 1.5× peer', actual: byId('introspection')?.ratio, goal: 1.5, kind: 'ratio' },
  { target: 'userinfo ≥ 1.5× peer', actual: byId('userinfo')?.ratio, goal: 1.5, kind: 'ratio' },
  { target: 'Strix RSS under load < 128 MiB', actual: Number.isFinite(strixRss) ? strixRss : undefined, goal: 128, kind: 'rss' },
].map((t) => ({
  ...t,
  met: t.actual === undefined ? undefined : t.kind === 'rss' ? t.actual < t.goal : t.actual >= t.goal,
}));
const shown = (t: (typeof targets)[number]) => (t.actual === undefined ? 'n/a' : t.kind === 'ratio' ? `${t.actual.toFixed(2)}×` : t.kind === 'share' ? pct(t.actual) : `${t.actual.toFixed(0)} MiB`);

const out = [
  '',
  `Strix benchmark, ${startedAt.toISOString()}: ${cpus().length} cores (${cpus()[0]?.model.trim() ?? 'unknown CPU'}), Node ${process.version}, ${seconds} s per scenario after ${warmup} s warm-up, ${connections} connections`,
  '',
  markdown(header, table),
  '',
  '* one iteration = every HTTP request of the flow (the rates are iterations/s, the latencies those of a whole iteration)',
  '⚠ = more than 1% of the requests failed',
  '',
  markdown(['ceiling (bare Fastify + one signature)', 'req/s', 'CPU µs', 'p50/p99 ms', 'RSS MiB', 'Strix % of ceiling', 'peer % of ceiling', 'errors'], ceilingTable),
  '',
  markdown(['target', 'actual', 'met'], targets.map((t) => [t.target, shown(t), t.met === undefined ? 'n/a' : t.met ? 'yes' : 'NO'])),
  '',
  `load average (1/5/15 min) before: ${loadBefore.map((l) => l.toFixed(2)).join(' ')}, after: ${loadAfter.map((l) => l.toFixed(2)).join(' ')} (${cpus().length} cores; anything above ~0.5 before the run means other work shared the machine)`,
  `peak RSS over the whole run (VmHWM): ${Object.entries(peakRss).map(([k, v]) => `${k} ${fmt(v)} MiB`).join(', ')}`,
  ...notes.map((n) => `note: ${n}`),
  '',
].join('\n');
process.stdout.write(out);

const packageVersion = (name: string) => {
  try {
    return (JSON.parse(readFileSync(fileURLToPath(new URL(`../../node_modules/${name}/package.json`, import.meta.url)), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
};
const resultsDir = fileURLToPath(new URL('../../bench/results/', import.meta.url));
mkdirSync(resultsDir, { recursive: true });
const json = {
  date: startedAt.toISOString(),
  loadAverage: { before: loadBefore, after: loadAfter },
  machine: { cores: cpus().length, cpu: cpus()[0]?.model.trim(), memoryMiB: Math.round(totalmem() / 2 ** 20), node: process.version, platform: process.platform },
  settings: { seconds, warmup, connections, pipelining: 1, cpuProfile: cpuProfDir ?? null },
  versions: { 'oidc-provider': packageVersion('oidc-provider'), autocannon: packageVersion('autocannon'), fastify: packageVersion('fastify'), jose: packageVersion('jose') },
  scenarios: rows.map(({ scenario, strix, peer, ratio }) => ({ id: scenario.id, label: scenario.label, unit: scenario.unit, strix: strix ?? null, peer: peer ?? null, ratio: ratio ?? null })),
  ceiling: ceilingRows.map((c) => ({ alg: c.alg, result: c.ceiling ?? null, strixShare: c.strixShare ?? null, peerShare: c.peerShare ?? null })),
  targets,
  peakRssMiB: peakRss,
  notes,
};
writeFileSync(`${resultsDir}latest.json`, `${JSON.stringify(json, null, 2)}\n`);
log(`results written to ${resultsDir}latest.json`);
