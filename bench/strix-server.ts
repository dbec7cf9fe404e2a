// Benchmark child: one Strix process, the real buildApp on a fresh SQLite file (WAL,
// synchronous=FULL as shipped), with the benchmark realm imported. Prints a ready line.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootstrap } from '../src/admin/bootstrap.js';
import { importRealm, parseRealmFile } from '../src/admin/realm-file.js';
import { buildApp, createLogger, createServices } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { defaultRateLimitSettings } from '../src/store/realms.js';
import { announceReady, ccClients, ccScope, codeFlowScope, exitOnSignal, freePort, opaqueClient, password, redirectUri, username, webClient } from './common.js';

const codeFlowClient = (client: { id: string; secret: string }) => ({
  client_id: client.id, client_secret: client.secret, redirect_uris: [redirectUri],
  grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'],
  token_endpoint_auth_method: 'client_secret_basic', scope: `${codeFlowScope} offline_access`, require_consent: false,
  access_token_signed_response_alg: 'ES256', id_token_signed_response_alg: 'ES256',
});

// Rate limits stay on (their cost is part of every request) but no limit is ever reached: all the
// load comes from one address and a handful of clients.
const rateLimits = Object.fromEntries(Object.entries(defaultRateLimitSettings).map(([name, value]) => (
  typeof value === 'object' && value !== null ? [name, { ...value, max: 1_000_000_000 }] : [name, value])));

const realmFile = {
  realms: [{
    name: 'bench',
    rate_limits: { ...rateLimits, enabled: true },
    clients: [
      ...Object.entries(ccClients).map(([alg, c]) => ({
        client_id: c.id, client_secret: c.secret, grant_types: ['client_credentials'], scope: ccScope,
        token_endpoint_auth_method: 'client_secret_basic', access_token_signed_response_alg: alg,
      })),
      codeFlowClient(webClient),
      codeFlowClient(opaqueClient),
    ],
    users: [{ username, password, email: 'alice@example.com', email_verified: true, given_name: 'Alice', family_name: 'Liddell', name: 'Alice Liddell' }],
  }],
};

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
