// The admin API's user store under volume (issue 12): user creation throughput, then user search
// latency (p50/p99) at that many users, on a fresh database. Run: `node dist/bench/admin-users.js`.
//
// Environment: BENCH_USERS (default 100000), BENCH_CONCURRENCY (creations in flight, default 32),
// BENCH_SEARCHES (default 2000), BENCH_DATABASE_URL (default a SQLite file in a temporary folder;
// a postgres:// URL names an existing, empty database).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { randomUUID } from 'node:crypto';
import { openStore } from '../src/store/index.js';
import { defaultRealmSettings } from '../src/store/realms.js';

const users = Number(process.env.BENCH_USERS ?? 100_000);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 32);
const searches = Number(process.env.BENCH_SEARCHES ?? 2000);
const dir = mkdtempSync(join(tmpdir(), 'strix-bench-users-'));
const databaseUrl = process.env.BENCH_DATABASE_URL ?? `sqlite:${join(dir, 'strix.db')}`;

const givenNames = ['Alice', 'Bob', 'Carol', 'Dan', 'Erin', 'Frank', 'Grace', 'Heidi', 'Ivan', 'Judy', 'Mallory', 'Niaj', 'Olivia', 'Peggy', 'Rupert', 'Sybil', 'Trent', 'Victor', 'Walter'];
const familyNames = ['Liddell', 'Smith', 'Jones', 'Brown', 'Taylor', 'Wilson', 'Davies', 'Evans', 'Thomas', 'Roberts', 'Walker', 'Wright', 'Hughes', 'Green'];
const pick = <T>(list: T[], i: number): T => list[i % list.length]!;
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

const store = await openStore(databaseUrl);
try {
  await store.realms.upsert({ name: 'bench', displayName: 'Bench', settings: defaultRealmSettings }, Date.now());
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    for (let i = next++; i < users; i = next++) {
      const given = pick(givenNames, i);
      const family = pick(familyNames, Math.floor(i / givenNames.length));
      await store.users.create({
        id: randomUUID(), realm: 'bench', username: `user${i}`, email: `user${i}@example.com`, passwordHash: null,
        claims: { given_name: given, family_name: family, name: `${given} ${family}` }, enabled: true,
      }, Date.now());
    }
  }));
  const creationSeconds = (performance.now() - started) / 1000;

  const queries = ['user1', 'user42', 'user9999', 'ali', 'liddell', 'user7@exam', 'smi', 'walter', 'zzz', 'gr'];
  const latencies: number[] = [];
  const byQuery = new Map<string, number[]>();
  for (let i = 0; i < searches; i++) {
    const query = pick(queries, i);
    const t = performance.now();
    await store.users.search('bench', { search: query, first: 0, max: 20 });
    const ms = performance.now() - t;
    latencies.push(ms);
    byQuery.set(query, [...byQuery.get(query) ?? [], ms]);
  }
  latencies.sort((a, b) => a - b);
  /** The median of each query: broad prefixes (user1: a tenth of the users) cost more than narrow ones. */
  const medians = Object.fromEntries([...byQuery].map(([query, ms]) => [query, Number(percentile(ms.sort((a, b) => a - b), 50).toFixed(2))]));
  console.log(JSON.stringify({
    database: databaseUrl.split(':')[0], users, concurrency,
    creationPerSecond: Math.round(users / creationSeconds),
    search: { p50Ms: Number(percentile(latencies, 50).toFixed(2)), p99Ms: Number(percentile(latencies, 99).toFixed(2)), n: searches, medianMsByQuery: medians },
  }));
} finally {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
