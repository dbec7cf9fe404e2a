// What the benchmark's servers and load generator agree on: the clients, the user, and how a
// server child tells the parent it is ready. Every server is configured from these constants.
import { createServer } from 'node:net';

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
