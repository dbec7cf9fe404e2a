// `node dist/bench/startup.js`: how long `strix start` takes, from spawning the process to the first
// 200 from /health/ready (polled every 10 ms), on an existing SQLite database. Prints each run and
// the median. Environment: STARTUP_RUNS (5), STARTUP_WORKERS (1).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, spawnStrix, untilReady } from './common.js';

const runs = Number(process.env.STARTUP_RUNS ?? 5);
const workers = process.env.STARTUP_WORKERS ?? '1';
const dir = mkdtempSync(join(tmpdir(), 'strix-startup-'));

/** CPU time (user + system, ms) the process has used: less sensitive to other load than wall time. */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

const cpuTimes: number[] = [];

async function once(): Promise<number> {
  const port = await freePort();
  const started = performance.now();
  const child = spawnStrix({ cwd: dir, databaseUrl: `sqlite:${join(dir, 'strix.db')}`, port, workers: Number(workers), quiet: true });
  await untilReady(child, `http://127.0.0.1:${port}`);
  const ms = performance.now() - started;
  cpuTimes.push(cpuMs(child.pid!));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
  return ms;
}

await once();   // creates and migrates the database, the master realm and its keys
cpuTimes.length = 0;
const times: number[] = [];
for (let i = 0; i < runs; i++) {
  times.push(await once());
  process.stderr.write(`  run ${i + 1}: ready after ${times.at(-1)!.toFixed(0)} ms, ${cpuTimes.at(-1)} ms of CPU\n`);
}
rmSync(dir, { recursive: true, force: true });
const sorted = [...times].sort((a, b) => a - b);
const cpuSorted = [...cpuTimes].sort((a, b) => a - b);
process.stdout.write(`strix start --workers ${workers} on an existing SQLite database: ready (first 200 from /health/ready) after a median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(0)} ms (min ${sorted[0]!.toFixed(0)}, max ${sorted.at(-1)!.toFixed(0)}, ${runs} runs); CPU time of the process until then: median ${cpuSorted[Math.floor(cpuSorted.length / 2)]} ms (with --workers N, the primary's only)\n`);
