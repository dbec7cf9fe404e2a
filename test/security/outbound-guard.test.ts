// Server-side request forgery: every URL Strix fetches on a stranger's say-so (request_uri,
// jwks_uri, sector_identifier_uri, back-channel logout) or on an operator's (webhooks, the token
// hook) goes through the outbound address guard. Loopback, private, link-local and cloud metadata
// addresses, names that resolve to them, and redirects towards them are refused without a
// connection, with the same generic error as any unreachable URL. Strix runs here with
// STRIX_OUTBOUND_ALLOW=127.0.0.2/32 only: a "public" relay listens there; the victim on 127.0.0.1.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { SignJWT } from 'jose';
import { importRealm, parseRealmFile } from '../../src/admin/realm-file.js';
import { databases } from '../helpers/databases.js';
import { eventually } from '../helpers/eventually.js';
import { keyPair } from '../helpers/key-server.js';
import { password, testRealm } from '../helpers/realm.js';
import { freePort, startServer, type TestServer } from '../helpers/server.js';
import { authorizeUrl, callbackParams, pkcePair, tokenRequest, UserAgent } from '../helpers/user-agent.js';

interface Listener { server: Server; port: number; connections: () => number; close(): Promise<void> }

/** An HTTP server that counts the TCP connections made to it; `answer` decides each response. */
async function listener(host: string, answer: (path: string, port: number) => { status: number; headers?: Record<string, string> }): Promise<Listener> {
  let connections = 0;
  const port = await freePort();
  const server = createServer((request, response) => {
    const { status, headers } = answer(request.url ?? '/', port);
    response.writeHead(status, headers).end();
  });
  server.on('connection', () => { connections += 1; });
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  return {
    server, port, connections: () => connections,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

const hookSecret = 'hook-secret-for-tests-0123456789';

/** Waits until the attempt an attack set off has been made (asynchronous senders) or returns at once. */
type Settled = (from: number, refusedHost: string | undefined, relayBefore: number) => Promise<void>;

for (const database of databases) {
  describe(`the outbound address guard (${database})`, () => {
    let server: TestServer;
    let victim: Listener;
    let relay: Listener;
    const logLines: string[] = [];
    const signer = keyPair('ES256', 'k1');

    /** What each kind of forbidden destination looks like; `via` says whether the relay is used. */
    const targets = () => [
      { kind: 'loopback', url: `http://127.0.0.1:${victim.port}/x`, refusedHost: '127.0.0.1' },
      { kind: 'IPv6 loopback', url: `http://[::1]:${victim.port}/x`, refusedHost: '::1' },
      { kind: 'private (RFC 1918)', url: 'https://10.20.30.40/x', refusedHost: '10.20.30.40' },
      { kind: 'link-local', url: 'https://169.254.10.20/x', refusedHost: '169.254.10.20' },
      { kind: 'cloud metadata', url: 'https://169.254.169.254/latest/meta-data/', refusedHost: '169.254.169.254' },
      { kind: 'a DNS name resolving to 127.0.0.1', url: `http://localhost:${victim.port}/x`, refusedHost: 'localhost' },
      { kind: 'a redirect to an internal address', url: `http://127.0.0.2:${relay.port}/redirect`, refusedHost: undefined },
    ];

    /** Every outbound setting of the test realms pointed at `url`, imported again (an import updates in place). */
    async function pointAt(url: string): Promise<void> {
      const file = testRealm() as any;
      const demo = file.realms[0];
      demo.registration = 'open';
      demo.event_webhooks = [{ url, secret: hookSecret, types: ['login_failure'] }];
      demo.clients.find((c: any) => c.client_id === 'trusted').backchannel_logout_uri = url;
      demo.clients.push({
        client_id: 'keyed', token_endpoint_auth_method: 'private_key_jwt', jwks_uri: url, grant_types: ['client_credentials'], scope: 'api:read',
      });
      file.realms.push({
        name: 'hooked', roles: [], token_hook: { url, secret: hookSecret, timeout_ms: 2_000, on_failure: 'deny' },
        clients: [{ client_id: 'service', client_secret: 'service-secret', grant_types: ['client_credentials'], scope: 'api:read' }],
      });
      for (const realm of parseRealmFile(file, 'ssrf test')) await importRealm(server.services, realm);
    }

    /** Whether the guard refused `host` for `purpose` since log line `from`. */
    const refusedSince = (from: number, purpose: string, host: string) => logLines.slice(from).some((line) => {
      const entry = JSON.parse(line) as Record<string, unknown>;
      return entry.event === 'outbound_refused' && entry.purpose === purpose && entry.host === host;
    });

    /**
     * Runs `attack` against every kind of target and checks that the victim saw no connection and
     * that the guard refused (or, for the redirect, that only the relay was reached and not followed).
     */
    async function eachTarget(purpose: string, attack: (url: string) => Promise<void>, settled: Settled) {
      for (const target of targets()) {
        await pointAt(target.url);
        const from = logLines.length;
        const relayBefore = relay.connections();
        await attack(target.url);
        await settled(from, target.refusedHost, relayBefore);
        if (target.refusedHost) assert.ok(refusedSince(from, purpose, target.refusedHost), `${purpose} to ${target.kind}: the guard refused it`);
        else assert.ok(relay.connections() > relayBefore, `${purpose}: the relay was asked`);
        assert.equal(victim.connections(), 0, `${purpose} to ${target.kind}: no connection reached the internal address`);
      }
    }

    /** Waits for the asynchronous senders (webhooks, back-channel logout) to have made their attempt. */
    const attempted = (purpose: string): Settled => async (from, host, relayBefore) => {
      await eventually(() => (host ? refusedSince(from, purpose, host) : relay.connections() > relayBefore) || undefined, `${purpose} attempt`);
    };
    const immediate = async () => {};

    before(async () => {
      victim = await listener('127.0.0.1', () => ({ status: 200 }));
      relay = await listener('127.0.0.2', () => ({ status: 302, headers: { location: `http://127.0.0.1:${victim.port}/x` } }));
      server = await startServer(database, testRealm(), { env: { STRIX_OUTBOUND_ALLOW: '127.0.0.2/32', STRIX_LOG_LEVEL: 'warn' }, logLines });
    });
    after(async () => {
      await server?.close();
      await victim?.close();
      await relay?.close();
    });

    test('request_uri: an unauthenticated authorization request cannot make Strix connect inside, and every failure reads the same', async () => {
      const descriptions = new Set<string>();
      await eachTarget('request_uri', async (url) => {
        const response = await fetch(authorizeUrl(server.issuer(), {
          client_id: 'spa', redirect_uri: 'http://127.0.0.1:5173/callback', response_type: 'code', scope: 'openid',
          code_challenge: pkcePair().challenge, code_challenge_method: 'S256', request_uri: url,
        }), { redirect: 'manual' });
        const callback = new URL(response.headers.get('location') ?? 'about:blank').searchParams;
        assert.equal(callback.get('error'), 'invalid_request_uri', url);
        descriptions.add(callback.get('error_description')!);
      }, immediate);
      assert.deepEqual([...descriptions], ['the request object could not be fetched from request_uri']);
    });

    test('jwks_uri: a private_key_jwt client whose key set lives inside is not authenticated, and nothing inside is fetched', async () => {
      const { signer: key } = await signer;
      await eachTarget('jwks_uri', async () => {
        const assertion = await new SignJWT({ jti: crypto.randomUUID() }).setProtectedHeader({ alg: key.alg, kid: key.kid })
          .setIssuer('keyed').setSubject('keyed').setAudience(`${server.issuer()}/protocol/openid-connect/token`).setIssuedAt().setExpirationTime('2m')
          .sign(key.key);
        const answer = await tokenRequest(server.issuer(), {
          grant_type: 'client_credentials', client_id: 'keyed', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion,
        });
        assert.equal(answer.status, 401);
        assert.equal(answer.body.error, 'invalid_client');
      }, immediate);
    });

    test('sector_identifier_uri: a registration naming an internal document is refused as unfetchable', async () => {
      await eachTarget('sector_identifier_uri', async (url) => {
        const response = await fetch(`${server.issuer()}/protocol/openid-connect/registrations`, {
          method: 'POST', headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ redirect_uris: ['https://three.example/callback'], subject_type: 'pairwise', sector_identifier_uri: url }),
        });
        const body = await response.json() as Record<string, string>;
        assert.equal(response.status, 400);
        assert.equal(body.error, 'invalid_client_metadata');
        assert.equal(body.error_description, 'sector_identifier_uri: the document could not be fetched');
      }, immediate);
    });

    test('back-channel logout: a client whose backchannel_logout_uri points inside gets no request there', async () => {
      await eachTarget('backchannel_logout_uri', async () => {
        const browser = new UserAgent(server.url);
        const redirectUri = 'http://127.0.0.1:3999/callback';
        let page = await browser.open(authorizeUrl(server.issuer(), { client_id: 'trusted', redirect_uri: redirectUri, response_type: 'code', scope: 'openid', state: 's' }));
        page = await browser.signIn(page, 'alice', password);
        const code = callbackParams(page).get('code')!;
        const tokens = await tokenRequest(server.issuer(), { grant_type: 'authorization_code', code, redirect_uri: redirectUri, client_id: 'trusted', client_secret: 'trusted-secret' });
        assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
        const logout = await browser.request(`${server.issuer()}/protocol/openid-connect/logout?${new URLSearchParams({ id_token_hint: tokens.body.id_token })}`);
        assert.ok(logout.status < 500);
      }, attempted('backchannel_logout_uri'));
    });

    test('webhooks: an event webhook pointing inside is never delivered there', async () => {
      await eachTarget('webhook', async () => {
        const browser = new UserAgent(server.url);
        const page = await browser.open(authorizeUrl(server.issuer(), { client_id: 'trusted', redirect_uri: 'http://127.0.0.1:3999/callback', response_type: 'code', scope: 'openid', state: 's' }));
        await browser.signIn(page, 'alice', 'not the password');
      }, attempted('webhook'));
    });

    test('token hook: a hook pointing inside is not called, and the token request fails as if the hook were down', async () => {
      await eachTarget('token_hook', async () => {
        const answer = await tokenRequest(`${server.url}/realms/hooked`, { grant_type: 'client_credentials', scope: 'api:read' }, { id: 'service', secret: 'service-secret' });
        assert.equal(answer.status, 400, JSON.stringify(answer.body));
        assert.equal(answer.body.error, 'invalid_grant');
        assert.equal(answer.body.error_description, 'tokens cannot be issued: the token hook did not answer');
      }, immediate);
    });
  });
}
