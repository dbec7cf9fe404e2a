// Benchmark child: node-oidc-provider (the peer), one process, its default in-memory adapter,
// configured as close to the Strix benchmark realm as it allows (see docs/performance.md):
// JWT access tokens (RFC 9068) through a resource indicator with the same algorithm per client,
// refresh tokens rotated on every use, PKCE required, no consent for the first-party clients,
// and a password sign-in form (argon2id, Strix's parameters) on its interaction API.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { hash, verify } from '@node-rs/argon2';
import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';
import MemoryAdapter from 'oidc-provider/lib/adapters/memory_adapter.js';
import { announceReady, apiResource, ccClients, ccScope, exitOnSignal, freePort, opaqueClient, password, redirectUri, username, webClient } from './common.js';

const accountId = 'alice-0001';
const passwordHash = await hash(password, { memoryCost: 19_456, timeCost: 2, parallelism: 1 });   // argon2id, as Strix
const account = {
  sub: accountId, email: 'alice@example.com', email_verified: true,
  given_name: 'Alice', family_name: 'Liddell', name: 'Alice Liddell', preferred_username: username,
};

async function signingKey(alg: 'RS256' | 'ES256') {
  const { privateKey } = await generateKeyPair(alg, { extractable: true });
  return { ...(await exportJWK(privateKey)), alg, use: 'sig', kid: alg.toLowerCase() };
}

/**
 * The storage under node-oidc-provider's own in-memory adapter, without its 1,000-entry LRU bound:
 * with the bound, sessions, grants and refresh tokens are evicted within a second of load and the
 * flows fail. Same semantics otherwise (expiry on read).
 */
class UnboundedStore {
  readonly #entries = new Map<string, { value: unknown; expiry?: number }>();
  get(key: string): unknown {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (entry.expiry !== undefined && entry.expiry <= Date.now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.value;
  }
  set(key: string, value: unknown, { maxAge }: { maxAge?: number } = {}): this {
    this.#entries.set(key, { value, expiry: typeof maxAge === 'number' && Number.isFinite(maxAge) ? Date.now() + maxAge : undefined });
    return this;
  }
  has(key: string): boolean { return this.get(key) !== undefined; }
  delete(key: string): boolean { return this.#entries.delete(key); }
  clear(): void { this.#entries.clear(); }
  get size(): number { return this.#entries.size; }
}
const store = new UnboundedStore();

const port = await freePort();
const issuer = `http://127.0.0.1:${port}`;
const codeFlowClient = (client: { id: string; secret: string }) => ({
  client_id: client.id, client_secret: client.secret, redirect_uris: [redirectUri],
  grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'],
  token_endpoint_auth_method: 'client_secret_basic', id_token_signed_response_alg: 'ES256',
});
const accessTokenAlg: Record<string, 'ES256' | 'RS256'> = { [ccClients.RS256.id]: 'RS256' };

const provider = new Provider(issuer, {
  adapter: function BenchMemoryAdapter(model: string) { return new MemoryAdapter(model, store); },
  clients: [
    ...Object.values(ccClients).map((c) => ({
      client_id: c.id, client_secret: c.secret, grant_types: ['client_credentials'], response_types: [], redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic',   // the scope comes from the resource server (api:read)
    })),
    codeFlowClient(webClient),
    codeFlowClient(opaqueClient),
  ],
  jwks: { keys: [await signingKey('RS256'), await signingKey('ES256')] },
  cookies: { keys: ['bench-cookie-signing-key-0123456789abcdef'] },
  claims: { openid: ['sub'], profile: ['name', 'given_name', 'family_name', 'preferred_username'], email: ['email', 'email_verified'] },
  findAccount: async (_ctx: unknown, sub: string) => (sub === accountId ? { accountId, claims: async () => account } : undefined),
  pkce: { required: () => true },
  ttl: { AccessToken: 300, ClientCredentials: 300, IdToken: 300, AuthorizationCode: 60, RefreshToken: 1800, Interaction: 1800, Session: 36_000, Grant: 36_000 },
  // Strix issues a refresh token to every client allowed the grant, and rotates it on every use.
  issueRefreshToken: async (_ctx: unknown, client: any) => client.grantTypeAllowed('refresh_token'),
  rotateRefreshToken: () => true,
  // First-party clients (Strix: require_consent false): consent is implied, as in the docs' recipe.
  loadExistingGrant: async (ctx: any) => {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    if (!ctx.oidc.session.accountId) return undefined;
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid profile email');
    grant.addResourceScope(apiResource, ccScope);
    await grant.save();
    return grant;
  },
  interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true, allowedPolicy: async (_ctx: unknown, client: any, token: any) => token.clientId === client.clientId },
    revocation: { enabled: true },
    userinfo: { enabled: true },
    resourceIndicators: {
      enabled: true,
      // web-opaque gets opaque access tokens: the only kind the peer's userinfo and introspection accept.
      defaultResource: async (ctx: any) => (ctx.oidc.client?.clientId === opaqueClient.id ? undefined : apiResource),
      useGrantedResource: async () => true,
      getResourceServerInfo: async (_ctx: unknown, _resource: string, client: any) => ({
        scope: ccScope, audience: apiResource, accessTokenTTL: 300, accessTokenFormat: 'jwt',
        jwt: { sign: { alg: accessTokenAlg[client.clientId] ?? 'ES256' } },
      }),
    },
  },
});

let reported = 0;
provider.on('server_error', (_ctx: unknown, error: Error) => { if (reported++ < 3) console.error('peer server_error:', error); });

function readBody(req: IncomingMessage): Promise<URLSearchParams> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => { body += chunk; });
    req.on('end', () => resolve(new URLSearchParams(body)));
    req.on('error', reject);
  });
}

const escape = (value: string) => value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function loginForm(res: ServerResponse, uid: string, error?: string): void {
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign in</title></head><body>
<h1>Sign in</h1>${error ? `<p role="alert">${escape(error)}</p>` : ''}
<form method="post" action="/interaction/${escape(uid)}/login">
<label>Username <input name="username" autocomplete="username" required></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required></label>
<button type="submit">Sign in</button></form></body></html>`;
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(html);
}

/** The application's side of node-oidc-provider's interaction API: a sign-in form. */
async function interaction(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
  const details = await provider.interactionDetails(req, res);
  if (req.method === 'GET' && path === `/interaction/${details.uid}`) return loginForm(res, details.uid);
  if (req.method === 'POST' && path === `/interaction/${details.uid}/login`) {
    const form = await readBody(req);
    const ok = form.get('username') === username && await verify(passwordHash, form.get('password') ?? '').catch(() => false);
    if (!ok) return loginForm(res, details.uid, 'Invalid username or password.');
    return provider.interactionFinished(req, res, { login: { accountId } }, { mergeWithLastSubmission: false });
  }
  res.writeHead(404).end();
}

const oidc = provider.callback();
const server = createServer((req, res) => {
  const path = (req.url ?? '/').split('?')[0]!;
  if (!path.startsWith('/interaction/')) return oidc(req, res);
  interaction(req, res, path).catch((error: Error) => {
    if (!res.headersSent) res.writeHead(400, { 'content-type': 'text/plain' });
    res.end(error.message);
  });
});
server.keepAliveTimeout = 60_000;
await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
exitOnSignal(() => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); }));
announceReady({ port, issuer });
