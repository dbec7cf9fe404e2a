// Benchmark child: one Strix process, the real buildApp on a fresh SQLite file (WAL,
// synchronous=FULL as shipped), with the benchmark realm imported. Prints a ready line.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootstrap } from '../src/admin/bootstrap.js';
import { importRealm, parseRealmFile } from '../src/admin/realm-file.js';
import { buildApp, createLogger, createServices } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { announceReady, exitOnSignal, freePort, realmFile } from './common.js';

const dir = mkdtempSync(join(tmpdir(), 'strix-bench-'));
const port = await freePort();
const config = loadConfig({
  STRIX_DATABASE_URL: `sqlite:${join(dir, 'strix.db')}`, STRIX_PORT: String(port), STRIX_HOST: '127.0.0.1',
  STRIX_PUBLIC_URL: `http://127.0.0.1:${port}`, STRIX_MASTER_KEY: 'bench-master-key-bench-master-key-0123456789',
  STRIX_LOG_LEVEL: process.env.STRIX_LOG_LEVEL ?? 'warn', STRIX_ADMIN_PASSWORD: 'bench-admin-password',
}, {}, undefined);
const services = await createServices(config, createLogger(config.logLevel));
await bootstrap(services, () => {});
for (const realm of parseRealmFile(realmFile, 'benchmark realm')) await importRealm(services, realm);
const app = await buildApp(services);
await app.listen({ port, host: '127.0.0.1' });
exitOnSignal(async () => {
  await app.close();
  await services.store.close();
  rmSync(dir, { recursive: true, force: true });
});
announceReady({ port, issuer: `${config.publicUrl}/realms/bench` });
