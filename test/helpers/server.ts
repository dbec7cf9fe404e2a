// Starts a real Strix (the same buildApp as `strix start`) on 127.0.0.1 with a fresh database,
// a test realm imported, and a clock the test can move forward.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { bootstrap } from '../../src/admin/bootstrap.js';
import { importRealm, parseRealmFile } from '../../src/admin/realm-file.js';
import { buildApp, createLogger, createServices } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import type { Services } from '../../src/services.js';
import { freshDatabase, type TestDatabase } from './databases.js';

export const masterKey = 'test-master-key-test-master-key-0123456789';
/** Loopback, where every receiver a test starts listens. */
export const testOutboundAllow = '127.0.0.1/32,::1/128';

export interface TestClock { now(): number; advance(seconds: number): void }

export function testClock(): TestClock {
  let offset = 0;
  return { now: () => Date.now() + offset, advance: (seconds) => { offset += seconds * 1000; } };
}

export interface TestServer {
  url: string;
  issuer: (realm?: string) => string;
  services: Services;
  app: FastifyInstance;
  clock: TestClock;
  databaseUrl: string;
  close(): Promise<void>;
}

/**
 * A port to listen on, picked below the kernel's ephemeral range (32768–60999 on Linux): a port the
 * kernel hands out for port 0 is also one it may give an outgoing connection as its source port
 * before the test listens on it (EADDRINUSE), which a port outside that range never is.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (await canListen(port)) return port;
  }
  return listenOn(0);
}

function canListen(port: number): Promise<boolean> {
  return listenOn(port).then(() => true, () => false);
}

function listenOn(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const { port: bound } = server.address() as { port: number };
      server.close(() => resolve(bound));
    });
  });
}

/**
 * `publicUrl` lets a test pretend Strix sits behind an https proxy; requests still go to `url`.
 * `localhost` serves Strix as http://localhost:PORT (and `url` is that too): WebAuthn needs a
 * domain name as its relying party id, and browsers treat http://localhost as a secure context.
 * `env` adds settings (e.g. STRIX_REDIS_URL, STRIX_TRUST_PROXY). `logLines` collects every log
 * line instead of printing it (set STRIX_LOG_LEVEL in `env` to choose how much).
 */
export async function startServer(
  database: TestDatabase, realmFile: unknown,
  options: { publicUrl?: string; localhost?: boolean; env?: Record<string, string>; logLines?: string[] } = {},
): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'strix-test-'));
  const db = await freshDatabase(database, dir);
  const port = await freePort();
  const config = loadConfig({
    STRIX_DATABASE_URL: db.url, STRIX_PORT: String(port), STRIX_HOST: '127.0.0.1', STRIX_MASTER_KEY: masterKey,
    STRIX_LOG_LEVEL: process.env.STRIX_TEST_LOG_LEVEL ?? 'silent', STRIX_ADMIN_PASSWORD: 'admin-password-for-tests',
    // The receivers tests start (key sets, request objects, webhooks, hooks) listen on loopback,
    // which the outbound address guard refuses unless allowed; the SSRF tests set their own list.
    STRIX_OUTBOUND_ALLOW: testOutboundAllow,
    ...(options.publicUrl ? { STRIX_PUBLIC_URL: options.publicUrl } : {}),
    ...(options.localhost ? { STRIX_PUBLIC_URL: `http://localhost:${port}` } : {}),
    ...options.env,
  });
  const clock = testClock();
  const logLines = options.logLines;
  const destination = logLines && { write: (line: string) => { logLines.push(line); } };
  const services = await createServices(config, createLogger(config.logLevel, destination), clock);
  await bootstrap(services, () => {});
  for (const realm of parseRealmFile(realmFile, 'test realm')) await importRealm(services, realm);
  const app = await buildApp(services);
  await app.listen({ port, host: '127.0.0.1' });
  const url = options.publicUrl ? `http://127.0.0.1:${port}` : config.publicUrl;
  return {
    url,
    issuer: (realm = 'demo') => `${url}/realms/${realm}`,
    services,
    app,
    clock,
    databaseUrl: db.url,
    async close() {
      await app.close();
      await services.store.close();
      await db.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
