// `node dist/bench/workers.js`: client_credentials (ES256) against the real `strix start --workers N`
// on SQLite, for each N in BENCH_WORKERS (default "1,2"), in alternating rounds so that drifting
// background load hits every N alike; prints the rates and their ratio to the first N.
// Environment: BENCH_SECONDS (5), BENCH_WARMUP (1), BENCH_CONNECTIONS (50), BENCH_ROUNDS (2), BENCH_WORKERS ("1,2").
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, realmFile, spawnStrix, untilReady } from './common.js';
import { runFlow, type Measurement } from './load.js';
import { clientCredentials, type Prepared } from './scenarios.js';

const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const warmup = Number(process.env.BENCH_WARMUP ?? 1);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);
const rounds = Number(process.env.BENCH_ROUNDS ?? 2);
const workerCounts = (process.env.BENCH_WORKERS ?? '1,2').split(',').map(Number);
const log = (line: string) => process.stderr.write(`${line}\n`);

interface Running { process: ChildProcess; base: string }

async function startStrix(dir: string, workers: number): Promise<Running> {
  const port = await freePort();
  const child = spawnStrix({ cwd: dir, databaseUrl: `sqlite:${join(dir, 'strix.db')}`, port, workers, importFile: join(dir, 'realm.json') });
  const base = `http://127.0.0.1:${port}`;
  await untilReady(child, base, 100);
  return { process: child, base };
}

async function stop(running: Running): Promise<void> {
  const exited = new Promise((resolve) => running.process.once('exit', resolve));
  running.process.kill('SIGTERM');
  await Promise.race([exited, sleep(15_000)]);
  if (running.process.exitCode === null) running.process.kill('SIGKILL');
}

const dir = mkdtempSync(join(tmpdir(), 'strix-bench-workers-'));
writeFileSync(join(dir, 'realm.json'), JSON.stringify(realmFile));
const scenario = clientCredentials('ES256', () => '/realms/bench/protocol/openid-connect/token');
const results = new Map<number, Measurement[]>(workerCounts.map((n) => [n, []]));
log(`# client_credentials ES256 against strix start --workers ${workerCounts.join(' / ')}: ${rounds} rounds of ${seconds} s (+${warmup} s warm-up), ${connections} connections, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
try {
  for (let round = 1; round <= rounds; round++) {
    for (const workers of workerCounts) {
      const strix = await startStrix(dir, workers);
      try {
        const flow = scenario.build({ base: strix.base } as Prepared);
        if (warmup > 0) await runFlow(strix.base, flow, { connections, seconds: warmup });
        const m = await runFlow(strix.base, flow, { connections, seconds });
        results.get(workers)!.push(m);
        log(`  round ${round}  --workers ${workers}  ${m.rate.toFixed(0).padStart(6)}/s  p50 ${m.p50.toFixed(1)} ms  p99 ${m.p99.toFixed(1)} ms  errors ${m.errorPercent.toFixed(2)}%`);
      } finally {
        await stop(strix);
      }
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const mean = (ms: Measurement[]) => ms.reduce((sum, m) => sum + m.rate, 0) / ms.length;
const baseline = mean(results.get(workerCounts[0]!)!);
const lines = ['', '| workers | client_credentials ES256 /s (mean of rounds) | per round | ratio |', '|---|---|---|---|'];
for (const [workers, ms] of results) {
  lines.push(`| ${workers} | ${mean(ms).toFixed(0)} | ${ms.map((m) => m.rate.toFixed(0)).join(', ')} | ${(mean(ms) / baseline).toFixed(2)}× |`);
}
lines.push('', `load average after: ${loadavg().map((l) => l.toFixed(2)).join(' ')} (the load generator runs on the same cores as the workers)`, '');
process.stdout.write(lines.join('\n'));
