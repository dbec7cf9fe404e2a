// What the benchmark's servers and load generator agree on: the clients, the user, and how a
// server child tells the parent it is ready. Every server is configured from these constants.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { defaultRateLimitSettings } from '../src/store/realms.js';

export const username = 'alice';
export const password = 'correct horse battery staple';

/** client_credentials clients, one per access-token algorithm. */
export const ccClients = {
  ES256: { id: 'cc-es256', secret: 'cc-es256-secret' },
  RS256: { id: 'cc-rs256', secret: 'cc-rs256-secret' },
} as const;
export const ccScope = 'api:read';

/** Confidential code-flow client (no consent, PKCE S256, ES256 access and ID tokens, refresh tokens). */
export const webClient = { id: 'web', secret: 'web-secret' } as const;
/**
 * A second code-flow client, identical to `web` on Strix. On the peer its access tokens are opaque
 * (no resource indicator): node-oidc-provider only accepts those at userinfo and introspection.
 */
export const opaqueClient = { id: 'web-opaque', secret: 'web-opaque-secret' } as const;
export const redirectUri = 'http://127.0.0.1:3999/callback';
export const codeFlowScope = 'openid profile email api:read';

/** The audience of the peer's JWT access tokens (its resource indicator). */
export const apiResource = 'urn:strix-bench:api';

export interface Ready { port: number; issuer: string }

/** A child server prints exactly one such line when it is listening. */
export const readyPrefix = 'BENCH-READY ';

export function announceReady(ready: Ready): void {
  process.stdout.write(`${readyPrefix}${JSON.stringify(ready)}\n`);
}

/** Exit cleanly on SIGTERM (so that --cpu-prof can write its profile). */
export function exitOnSignal(close: () => Promise<unknown>): void {
  const stop = () => { void close().catch(() => {}).finally(() => process.exit(0)); };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export function basic(client: { id: string; secret: string }): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(client.id)}:${encodeURIComponent(client.secret)}`).toString('base64')}`;
}

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

/** The benchmark realm as a realm file (Strix): the clients and the user above. */
export const realmFile = {
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

export const benchMasterKey = 'bench-master-key-bench-master-key-0123456789';
/** What `npm start` runs: the server bundle (scripts/build-server.js). */
const strixMain = fileURLToPath(new URL('../src/bundle/strix.js', import.meta.url));

/** `strix start` as a child process, configured as every benchmark's Strix (stdout ignored, stderr shown unless `quiet`). */
export function spawnStrix(o: {
  cwd: string; databaseUrl: string; port: number; workers?: number; publicUrl?: string; importFile?: string; quiet?: boolean;
  /** Node's own flags (--cpu-prof, V8 flags). */
  nodeFlags?: string[];
}): ChildProcess {
  return spawn(process.execPath, [...(o.nodeFlags ?? []), strixMain, 'start', '--workers', String(o.workers ?? 1)], {
    cwd: o.cwd, stdio: ['ignore', 'ignore', o.quiet ? 'ignore' : 'inherit'],
    env: {
      ...process.env, STRIX_DATABASE_URL: o.databaseUrl, STRIX_PORT: String(o.port), STRIX_HOST: '127.0.0.1',
      ...(o.publicUrl ? { STRIX_PUBLIC_URL: o.publicUrl } : {}),
      STRIX_MASTER_KEY: benchMasterKey, STRIX_ADMIN_PASSWORD: 'bench-admin-password', STRIX_LOG_LEVEL: 'warn', NODE_ENV: 'production',
      ...(o.importFile ? { STRIX_IMPORT: o.importFile } : {}),
    },
  });
}

/** Resolves when `strix start` answers 200 at /health/ready (polled every `everyMs`); throws if it exits or takes a minute. */
export async function untilReady(child: ChildProcess, base: string, everyMs = 10): Promise<void> {
  for (const deadline = performance.now() + 60_000; performance.now() < deadline; await sleep(everyMs)) {
    if (child.exitCode !== null) throw new Error(`strix start exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${base}/health/ready`)).status === 200) return;
    } catch { /* not listening yet */ }
  }
  child.kill('SIGKILL');
  throw new Error('strix start was not ready within 60 s');
}
