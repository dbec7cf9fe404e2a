// `npm run soak` (or `node dist/bench/soak.js`): mixed load for a while — client_credentials,
// code flows in an SSO session, rotating refresh tokens, and full password sign-ins from fresh
// browsers — against bench/soak-server.ts (fast clock, purge every second). Every 10 s it samples the
// server's RSS and the row counts of the tables that grow with use, prints a table, and says whether
// they stayed flat after warm-up. See docs/operations.md "Soak".
//
// Environment: SOAK_SECONDS (600; at most 3600), SOAK_CLOCK_SPEED (2000: virtual seconds per real
// second), SOAK_SAMPLE_SECONDS (10).
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import SQLite from 'better-sqlite3';
import { codeFlow, type CookieJar } from './browser.js';
import { basic, ccClients, ccScope, readyPrefix, webClient } from './common.js';
import { rssMiB } from './load.js';

const seconds = Math.min(3600, Number(process.env.SOAK_SECONDS ?? 600));
const sampleEvery = Number(process.env.SOAK_SAMPLE_SECONDS ?? 10) * 1000;
const speed = Number(process.env.SOAK_CLOCK_SPEED ?? 2000);
// Rows are purged a day (virtual) after they expire, and nothing lives longer than 8 virtual hours
// (soak-server.ts): after that much time every table should hold a steady amount.
const warmupSeconds = Math.ceil((86_400 + 8 * 3600) / speed) + 10;
const tables = ['authorization_codes', 'refresh_tokens', 'grants', 'sessions', 'interactions'] as const;
const log = (line: string) => process.stderr.write(`${line}\n`);

const child = spawn(process.execPath, [fileURLToPath(new URL('./soak-server.js', import.meta.url))], {
  stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NODE_ENV: 'production' },
});
const ready = await new Promise<{ port: number; issuer: string; databasePath: string }>((resolve, reject) => {
  child.once('exit', (code) => reject(new Error(`the soak server exited with ${code}`)));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (line.startsWith(readyPrefix)) resolve(JSON.parse(line.slice(readyPrefix.length)));
  });
});
const base = `http://127.0.0.1:${ready.port}`;
const endpoints = {
  authorization: `${ready.issuer}/protocol/openid-connect/auth`, token: `${ready.issuer}/protocol/openid-connect/token`,
};
const doc = await (await fetch(`${ready.issuer}/.well-known/openid-configuration`)).json() as { authorization_endpoint: string; token_endpoint: string };
endpoints.authorization = doc.authorization_endpoint;
endpoints.token = doc.token_endpoint;

const counts = { client_credentials: 0, code: 0, refresh: 0, sign_in: 0, errors: 0 };
let stopping = false;
const loop = async (work: () => Promise<void>) => {
  while (!stopping) {
    try {
      await work();
    } catch (error) {
      counts.errors++;
      if (counts.errors <= 5) log(`  error: ${(error as Error).message.slice(0, 200)}`);
      await sleep(100);
    }
  }
};
const post = async (body: string, client: { id: string; secret: string }) => {
  const response = await fetch(endpoints.token, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(client) } });
  const json = await response.json() as Record<string, string>;
  if (response.status !== 200) throw new Error(`token endpoint: ${response.status} ${JSON.stringify(json)}`);
  return json;
};

const sso: CookieJar = new Map();
await codeFlow(base, sso, endpoints, webClient);
const clientCredentials = async () => { await post(`grant_type=client_credentials&scope=${encodeURIComponent(ccScope)}`, ccClients.ES256); counts.client_credentials++; };
const codeInSession = async () => { await codeFlow(base, sso, endpoints, webClient); counts.code++; };
const refreshChain = async () => {
  // A chain of rotations; it starts again with a new grant when the refresh token ages out.
  let token = (await codeFlow(base, sso, endpoints, webClient)).refresh_token!;
  for (let i = 0; i < 50 && !stopping; i++) {
    token = (await post(`grant_type=refresh_token&refresh_token=${encodeURIComponent(token)}`, webClient)).refresh_token!;
    counts.refresh++;
  }
};
const signIn = async () => { await codeFlow(base, new Map(), endpoints, webClient); counts.sign_in++; };

const database = new SQLite(ready.databasePath, { readonly: true, fileMustExist: true });
interface Sample { at: number; rss: number; rows: Record<string, number>; done: typeof counts }
const samples: Sample[] = [];
const sample = () => {
  const rows = Object.fromEntries(tables.map((t) => [t, (database.prepare(`select count(*) as n from ${t}`).get() as { n: number }).n]));
  samples.push({ at: Math.round((Date.now() - started) / 1000), rss: rssMiB(child.pid!), rows, done: { ...counts } });
  const s = samples.at(-1)!;
  log(`  ${String(s.at).padStart(5)} s  RSS ${s.rss.toFixed(0)} MiB  ${tables.map((t) => `${t} ${rows[t]}`).join('  ')}  errors ${counts.errors}`);
};

log(`# soak: ${seconds} s of mixed load, clock ×${speed}, warm-up ${warmupSeconds} s, a sample every ${sampleEvery / 1000} s`);
const started = Date.now();
const workers = [
  ...Array.from({ length: 3 }, () => loop(clientCredentials)),
  ...Array.from({ length: 2 }, () => loop(codeInSession)),
  ...Array.from({ length: 2 }, () => loop(refreshChain)),
  loop(signIn),
];
sample();
while (Date.now() - started < seconds * 1000) {
  await sleep(Math.min(sampleEvery, started + seconds * 1000 - Date.now()));
  sample();
}
stopping = true;
await Promise.all(workers);
database.close();
child.kill('SIGTERM');

// ---- report: flat after warm-up? -------------------------------------------------------------
// The samples after warm-up are split in two halves. Flat: the second half's peak is within 20%
// (+ a small absolute slack) of the first half's peak.
const steady = samples.filter((s) => s.at >= warmupSeconds);
const half = Math.floor(steady.length / 2);
const first = steady.slice(0, half);
const second = steady.slice(half);
const peak = (list: Sample[], get: (s: Sample) => number) => Math.max(...list.map(get));
const verdict = (get: (s: Sample) => number, slack: number) => {
  if (first.length < 2 || second.length < 2) return `too short to tell (run longer than ${warmupSeconds + 4 * sampleEvery / 1000} s)`;
  const before = peak(first, get);
  const after = peak(second, get);
  return after <= before * 1.2 + slack ? `flat (${before} → ${after})` : `GROWING (${before} → ${after})`;
};
const head = ['t (s)', 'RSS MiB', ...tables, 'cc', 'code', 'refresh', 'sign-in', 'errors'];
const rows = samples.map((s) => [String(s.at), s.rss.toFixed(0), ...tables.map((t) => String(s.rows[t])), ...Object.values(s.done).map(String)]);
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
process.stdout.write([
  '', line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line), '',
  `after the ${warmupSeconds} s warm-up, peak of the first half → peak of the second half:`,
  `  RSS: ${verdict((s) => Math.round(s.rss), 10)}`,
  ...tables.map((t) => `  ${t}: ${verdict((s) => s.rows[t]!, 50)}`),
  `requests: ${counts.client_credentials} client_credentials, ${counts.code} code flows, ${counts.refresh} refreshes, ${counts.sign_in} sign-ins, ${counts.errors} errors`,
  '',
].join('\n'));
