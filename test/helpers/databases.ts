// Which databases the suite runs against: SQLite always; PostgreSQL when reachable, and always
// under CI=true (where its absence is a failure, not a skip).
import pg from 'pg';

export const postgresAdminUrl = process.env.STRIX_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export type TestDatabase = 'sqlite' | 'postgres';

async function postgresAnswers(): Promise<boolean> {
  const client = new pg.Client({ connectionString: postgresAdminUrl, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/** A loaded machine can be slow to accept a connection: a few tries before calling PostgreSQL absent. */
async function postgresReachable(): Promise<boolean> {
  for (let attempt = 1; attempt <= 4; attempt++) {
    if (await postgresAnswers()) return true;
    await new Promise((resolve) => setTimeout(resolve, 1000 * attempt));
  }
  return false;
}

async function detect(): Promise<TestDatabase[]> {
  if (process.env.STRIX_TEST_DATABASES) return process.env.STRIX_TEST_DATABASES.split(',') as TestDatabase[];
  if (await postgresReachable()) return ['sqlite', 'postgres'];
  if (process.env.CI === 'true') throw new Error(`PostgreSQL is required under CI=true but ${postgresAdminUrl} is not reachable`);
  console.warn(`# PostgreSQL at ${postgresAdminUrl} is not reachable: PostgreSQL tests are SKIPPED (they run under CI=true)`);
  return ['sqlite'];
}

export const databases: TestDatabase[] = await detect();

/** A fresh, empty database URL of the given kind, and how to drop it. */
export async function freshDatabase(kind: TestDatabase, dir: string): Promise<{ url: string; drop: () => Promise<void> }> {
  if (kind === 'sqlite') return { url: `sqlite:${dir}/strix.db`, drop: async () => {} };
  const name = `strix_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const admin = new pg.Client({ connectionString: postgresAdminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(postgresAdminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.href,
    drop: async () => {
      const c = new pg.Client({ connectionString: postgresAdminUrl });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}
