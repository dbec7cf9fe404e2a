// Prints the functions with the most self time in a V8 .cpuprofile (from `node --cpu-prof`),
// e.g. the Strix child of `BENCH_CPU_PROF=/tmp/prof npm run bench`:
//   node dist/bench/profile-top.js /tmp/prof/CPU.*.cpuprofile [count] [--inclusive]
// With --inclusive, a function's time includes everything it called (each function counted once
// per sample, however deep the recursion), which shows which Strix step costs what. With
// --last=SECONDS, only the samples of the profile's last SECONDS count (the timed load of a
// single-scenario run ends the profile; start-up and preparation come before it).
import { readFileSync } from 'node:fs';

interface ProfileNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
interface Profile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number }

const args = process.argv.slice(2);
const inclusive = args.includes('--inclusive');
const lastArg = args.find((a) => a.startsWith('--last='));
const lastUs = lastArg ? Number(lastArg.slice('--last='.length)) * 1e6 : Infinity;
const [file, countArg] = args.filter((a) => a !== '--inclusive' && a !== lastArg);
if (!file) {
  console.error('usage: node dist/bench/profile-top.js FILE.cpuprofile [count] [--inclusive] [--last=SECONDS]');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parentOf = new Map<number, number>();
for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
const nameOf = (node: ProfileNode): string => {
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url ? `${url.replace(/^file:\/\/.*?\/(node_modules|dist)\//, '$1/')}:${lineNumber + 1}` : '';
  return `${functionName || '(anonymous)'} ${where}`.trim();
};
const time = new Map<string, number>();
let total = 0;
const span = profile.timeDeltas.reduce((sum, dt) => sum + dt, 0);
let at = 0;
profile.samples.forEach((id, i) => {
  const dt = profile.timeDeltas[i] ?? 0;
  at += dt;
  if (at < span - lastUs) return;
  total += dt;
  const keys = new Set<string>();
  for (let at: number | undefined = id; at !== undefined; at = inclusive ? parentOf.get(at) : undefined) keys.add(nameOf(byId.get(at)!));
  for (const key of keys) time.set(key, (time.get(key) ?? 0) + dt);
});
const rows = [...time].sort((a, b) => b[1] - a[1]).slice(0, Number(countArg ?? 25));
console.log(`total sampled ${(total / 1e6).toFixed(1)} s${inclusive ? ' (inclusive times)' : ''}`);
for (const [key, us] of rows) console.log(`${((100 * us) / total).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(7)} ms  ${key}`);
