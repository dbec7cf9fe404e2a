// Soak child: the real buildApp on a fresh SQLite file with the benchmark realm, short lifetimes,
// a purge every second, and a clock that runs SOAK_CLOCK_SPEED times faster than real time, so that
// the purge's retention windows (1 h for codes, a day for sessions and used refresh tokens) pass
// within a run of minutes. Prints a ready line with the database path.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootstrap } from '../src/admin/bootstrap.js';
import { importRealm, parseRealmFile } from '../src/admin/realm-file.js';
import { buildApp, createLogger, createServices } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { startHousekeeping } from '../src/ops/housekeeping.js';
import { announceReady, exitOnSignal, freePort, realmFile } from './common.js';

const speed = Number(process.env.SOAK_CLOCK_SPEED ?? 2000);
const startedAt = Date.now();
const clock = { now: () => startedAt + (Date.now() - startedAt) * speed };

// Lifetimes in virtual seconds (÷ speed for real time): at 2000×, a code lives 1.8 s, an access
// token 0.3 s, a refresh token 7.2 s idle and 14.4 s at most, an SSO session as long. Nothing lives
// longer than 8 virtual hours (soak.ts's warm-up counts on it).
const longestLifetimeSeconds = 8 * 3600;
const lifetimes = {
  access_token_lifetime: 600, id_token_lifetime: 600, authorization_code_lifetime: 3600,
  refresh_token_idle_lifetime: 4 * 3600, refresh_token_absolute_lifetime: longestLifetimeSeconds,
  sso_session_idle_lifetime: 4 * 3600, sso_session_max_lifetime: longestLifetimeSeconds,
};
const soakRealm = { realms: realmFile.realms.map((r) => ({ ...r, ...lifetimes })) };

const dir = mkdtempSync(join(tmpdir(), 'strix-soak-'));
const port = await freePort();
const databasePath = join(dir, 'strix.db');
const config = loadConfig({
  STRIX_DATABASE_URL: `sqlite:${databasePath}`, STRIX_PORT: String(port), STRIX_HOST: '127.0.0.1',
  STRIX_PUBLIC_URL: `http://127.0.0.1:${port}`, STRIX_MASTER_KEY: 'bench-master-key-bench-master-key-0123456789',
  STRIX_LOG_LEVEL: process.env.STRIX_LOG_LEVEL ?? 'warn', STRIX_ADMIN_PASSWORD: 'bench-admin-password', STRIX_WORKERS: '1',
}, {}, undefined);
const services = await createServices(config, createLogger(config.logLevel), clock);
await bootstrap(services, () => {});
for (const realm of parseRealmFile(soakRealm, 'soak realm')) await importRealm(services, realm);
const app = await buildApp(services);
await app.listen({ port, host: '127.0.0.1' });
const housekeeping = startHousekeeping(services, 1000);
exitOnSignal(async () => {
  await housekeeping.stop();
  await app.close();
  await services.store.close();
  rmSync(dir, { recursive: true, force: true });
});
announceReady({ port, issuer: `${config.publicUrl}/realms/bench`, databasePath } as { port: number; issuer: string });
