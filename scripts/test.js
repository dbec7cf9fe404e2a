// Runs the compiled test suite (dist/test) with node's test runner, two files at a time on a
// machine with two or more cores. Files that drive Chromium never run beside each other (one
// browser per core is what the machine affords), and files that start several processes or
// measure how Strix behaves under load run alone. STRIX_TEST_JOBS overrides the width.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';

function find(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return find(path);
    return name.endsWith('.test.js') ? [path] : [];
  });
}

const alone = ['workers.test.js', 'two-nodes.test.js', 'faults.test.js', 'shutdown.test.js', 'rate-limits.test.js', 'brute-force.test.js', 'sign-in-load.test.js'];
const usesBrowser = (file) => /helpers\/browser\.js/.test(readFileSync(file, 'utf8'));
const kindOf = (file) => (alone.some((name) => file.endsWith(`/${name}`)) ? 'alone' : usesBrowser(file) ? 'browser' : 'plain');

const files = process.argv.length > 2 ? process.argv.slice(2) : find('dist/test').sort();
const jobs = Number(process.env.STRIX_TEST_JOBS ?? Math.min(2, availableParallelism()));
const queue = files.map((file) => ({ file, kind: kindOf(file) }));
const running = new Set();
const failed = [];
const started = Date.now();

function runFile({ file, kind }) {
  return new Promise((resolve) => {
    const chunks = [];
    const child = spawn(process.execPath, ['--test', '--test-concurrency=1', '--test-reporter=spec', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (chunk) => chunks.push(chunk));
    child.stderr.on('data', (chunk) => chunks.push(chunk));
    child.on('close', (code) => {
      // Each file's output is printed whole when it ends, so two files' lines never interleave.
      process.stdout.write(`\n# ${file} (${kind}) exited ${code}\n`);
      process.stdout.write(Buffer.concat(chunks));
      if (code !== 0) failed.push(file);
      resolve();
    });
  });
}

/** The next file that may start beside the ones running now, or undefined. */
function next() {
  const kinds = [...running].map((entry) => entry.kind);
  if (kinds.includes('alone')) return undefined;
  const index = queue.findIndex((entry) => {
    if (entry.kind === 'alone') return running.size === 0;
    if (entry.kind === 'browser') return !kinds.includes('browser');
    return true;
  });
  return index === -1 ? undefined : queue.splice(index, 1)[0];
}

await new Promise((done) => {
  const fill = () => {
    while (running.size < jobs) {
      const entry = next();
      if (!entry) break;
      running.add(entry);
      runFile(entry).then(() => { running.delete(entry); fill(); });
    }
    if (running.size === 0 && queue.length === 0) done();
  };
  fill();
});

const minutes = ((Date.now() - started) / 60000).toFixed(1);
if (failed.length) {
  console.log(`\n# ${failed.length} of ${files.length} test files FAILED in ${minutes} min:\n${failed.map((file) => `#   ${file}`).join('\n')}`);
  process.exit(1);
}
console.log(`\n# all ${files.length} test files passed in ${minutes} min`);
