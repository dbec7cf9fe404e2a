// The token hook (docs/security.md "Token hook"): a signed POST before tokens are issued that can add
// claims or deny, with a timeout and a failure policy (deny by default: fail closed).
import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { after, before, beforeEach, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import * as oauth from 'oauth4webapi';
import { exportRealm, importRealm, parseRealmFile, RealmFileError } from '../../src/admin/realm-file.js';
import { databases } from '../helpers/databases.js';
import { codeFor, tokensFor } from '../helpers/flows.js';
import { password, testRealm } from '../helpers/realm.js';
import { freePort, startServer, type TestServer } from '../helpers/server.js';
import { authorizeUrl, callbackParams, tokenRequest, UserAgent } from '../helpers/user-agent.js';

const hookSecret = 'hook-secret-for-tests-0123456789';
const service = { id: 'service', secret: 'service-secret' };

interface HookCall { body: Record<string, any>; signatureValid: boolean; signedAt: number }
type Behaviour = (body: Record<string, any>) => { status?: number; json?: unknown; text?: string; delayMs?: number };

/** A hook on 127.0.0.1 that checks each request's Strix-Signature the way docs/security.md shows. */
async function startHook(): Promise<{ server: Server; url: string; calls: HookCall[]; behave: (b: Behaviour) => void }> {
  const calls: HookCall[] = [];
  let behaviour: Behaviour = () => ({ json: {} });
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const header = String(request.headers['strix-signature'] ?? '');
      const t = /(?:^|,)t=(\d+)/.exec(header)?.[1] ?? '';
      const v1 = /(?:^|,)v1=([0-9a-f]+)/.exec(header)?.[1] ?? '';
      const expected = createHmac('sha256', hookSecret).update(`${t}.${raw}`).digest('hex');
      const signatureValid = v1.length === expected.length && timingSafeEqual(Buffer.from(v1), Buffer.from(expected));
      const body = JSON.parse(raw) as Record<string, any>;
      calls.push({ body, signatureValid, signedAt: Number(t) });
      const answer = behaviour(body);
      setTimeout(() => {
        if (response.destroyed) return;
        response.writeHead(answer.status ?? 200, { 'content-type': 'application/json' });
        response.end(answer.text ?? JSON.stringify(answer.json ?? {}));
      }, answer.delayMs ?? 0);
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${port}/hook`, calls, behave: (b) => { behaviour = b; } };
}

function hookRealm(hookUrl: string, unreachableUrl: string) {
  const file = testRealm();
  const demo = file.realms[0]! as Record<string, any>;
  demo.token_hook = { url: hookUrl, secret: hookSecret, timeout_ms: 500 };
  demo.clients.push({
    client_id: 'implicit-app', client_name: 'Implicit app', redirect_uris: ['https://app.example.com/callback'],
    grant_types: ['implicit'], response_types: ['id_token'], token_endpoint_auth_method: 'none', scope: 'openid profile',
  });
  const realmLike = (name: string, hook: Record<string, unknown>) => ({
    name, roles: [], clients: [{ client_id: 'service', client_secret: 'service-secret', grant_types: ['client_credentials'], scope: 'api:read' }],
    token_hook: hook,
  });
  (file.realms as unknown[]).push(
    realmLike('lenient', { url: hookUrl, secret: hookSecret, timeout_ms: 500, on_failure: 'continue' }),
    realmLike('unreachable', { url: unreachableUrl, secret: hookSecret, timeout_ms: 500 }),
  );
  return file;
}

for (const database of databases) {
  describe(`token hook (${database})`, () => {
    let server: TestServer;
    let hook: Awaited<ReturnType<typeof startHook>>;
    const logLines: string[] = [];
    before(async () => {
      hook = await startHook();
      server = await startServer(database, hookRealm(hook.url, `http://127.0.0.1:${await freePort()}/hook`), { env: { STRIX_LOG_LEVEL: 'info' }, logLines });
    });
    after(async () => {
      await server?.close();
      hook?.server.closeAllConnections();
      await new Promise((resolve) => hook?.server.close(resolve));
    });
    beforeEach(() => { hook.calls.length = 0; hook.behave(() => ({ json: {} })); });

    const clientCredentials = (realm = 'demo') => tokenRequest(server.issuer(realm), { grant_type: 'client_credentials', scope: 'api:read' }, service);

    test('the hook is called, signed, with the realm, client, grant, user, scope and proposed claims, and its claims are added', async () => {
      hook.behave(() => ({ json: { claims: { access_token: { plan: 'pro' }, id_token: { 'https://example.com/team': 'blue' } } } }));
      const body = await tokensFor(server, new UserAgent(server.url), { client: 'web', scope: 'openid email' });
      assert.equal(decodeJwt(body.access_token).plan, 'pro');
      assert.equal(decodeJwt(body.id_token)['https://example.com/team'], 'blue');
      assert.equal(decodeJwt(body.id_token).plan, undefined, 'access token claims stay in the access token');
      assert.equal(hook.calls.length, 1);
      const [call] = hook.calls;
      assert.ok(call!.signatureValid, 'Strix-Signature verifies with the shared secret');
      assert.ok(Math.abs(call!.signedAt - Date.now() / 1000) < 60, 'the signature time is now');
      assert.equal(call!.body.realm, 'demo');
      assert.equal(call!.body.client_id, 'web');
      assert.equal(call!.body.grant_type, 'authorization_code');
      assert.equal(call!.body.scope, 'openid email');
      assert.equal(call!.body.user.username, 'alice');
      assert.equal(call!.body.user.email, 'alice@example.com');
      assert.deepEqual(call!.body.user.roles, ['admin']);
      assert.equal(call!.body.user.sub, decodeJwt(body.id_token).sub);
      assert.equal(typeof call!.body.claims.access_token, 'object');
      assert.equal(typeof call!.body.claims.id_token, 'object');
    });

    test('the hook is called for refresh and client_credentials grants too', async () => {
      const body = await tokensFor(server, new UserAgent(server.url), { client: 'web', scope: 'openid offline_access' });
      const refreshed = await tokenRequest(server.issuer(), { grant_type: 'refresh_token', refresh_token: body.refresh_token }, { id: 'web', secret: 'web-secret' });
      assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
      const cc = await clientCredentials();
      assert.equal(cc.status, 200, JSON.stringify(cc.body));
      assert.deepEqual(hook.calls.map((c) => c.body.grant_type), ['authorization_code', 'refresh_token', 'client_credentials']);
      assert.equal(hook.calls[2]!.body.user, null);
    });

    test('a denial is an invalid_grant error with the hook\'s description, as oauth4webapi sees it', async () => {
      hook.behave(() => ({ json: { deny: true, error_description: 'account under review' } }));
      const issuer = new URL(server.issuer());
      const insecure = { [oauth.allowInsecureRequests]: true };
      const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, insecure));
      const client: oauth.Client = { client_id: 'web' };
      const code = await codeFor(server, new UserAgent(server.url), { client: 'web', scope: 'openid' });
      const callback = oauth.validateAuthResponse(as, client, code.callback, code.state);
      const response = await oauth.authorizationCodeGrantRequest(as, client, oauth.ClientSecretBasic('web-secret'), callback, code.redirectUri, code.verifier!, insecure);
      assert.equal(response.status, 400);
      await assert.rejects(oauth.processAuthorizationCodeResponse(as, client, response), (error: unknown) =>
        error instanceof oauth.ResponseBodyError && error.error === 'invalid_grant' && error.error_description === 'account under review');
    });

    test('a denial at the authorization endpoint (implicit) redirects with access_denied', async () => {
      hook.behave(() => ({ json: { deny: true, error_description: 'not today' } }));
      const browser = new UserAgent(server.url);
      const page = await browser.open(authorizeUrl(server.issuer(), {
        client_id: 'implicit-app', redirect_uri: 'https://app.example.com/callback', response_type: 'id_token', scope: 'openid', nonce: 'n-1', state: 's-1',
      }));
      const back = callbackParams(await browser.signIn(page, 'alice', password));
      assert.equal(back.get('error'), 'access_denied');
      assert.equal(back.get('error_description'), 'not today');
      assert.equal(back.get('state'), 's-1');
      assert.equal(back.get('id_token'), null);
    });

    test('a hook slower than timeout_ms, with on_failure deny (the default), refuses the tokens', async () => {
      hook.behave(() => ({ delayMs: 1500, json: { claims: { access_token: { plan: 'late' } } } }));
      const response = await clientCredentials();
      assert.equal(response.status, 400);
      assert.equal(response.body.error, 'invalid_grant');
      assert.match(response.body.error_description, /token hook/);
      assert.equal(response.body.access_token, undefined);
    });

    test('a hook slower than timeout_ms, with on_failure continue, lets tokens through without its claims', async () => {
      hook.behave(() => ({ delayMs: 1500, json: { claims: { access_token: { plan: 'late' } } } }));
      logLines.length = 0;
      const response = await clientCredentials('lenient');
      assert.equal(response.status, 200, JSON.stringify(response.body));
      assert.equal(decodeJwt(response.body.access_token).plan, undefined);
      const warning = logLines.map((line) => JSON.parse(line) as Record<string, unknown>).find((entry) => entry.event === 'token_hook_failed');
      assert.ok(warning, 'the failure is logged');
      assert.equal(warning.level, 40, 'as a warning');
      assert.equal(warning.reason, 'timed out');
      assert.equal(warning.realm, 'lenient');
      assert.ok(!logLines.join('').includes(hookSecret), 'without the secret');
    });

    test('an unreachable hook with on_failure deny refuses the tokens', async () => {
      const response = await clientCredentials('unreachable');
      assert.equal(response.status, 400);
      assert.equal(response.body.error, 'invalid_grant');
    });

    test('a 5xx answer, an answer that is not JSON, or one setting a protected claim is a failure', async () => {
      for (const answer of [{ status: 503, json: {} }, { text: 'not json' }, { json: { claims: { access_token: { sub: 'someone-else' } } } }]) {
        hook.behave(() => answer);
        const denied = await clientCredentials();
        assert.equal(denied.status, 400, JSON.stringify(answer));
        assert.equal(denied.body.error, 'invalid_grant');
        const lenient = await clientCredentials('lenient');
        assert.equal(lenient.status, 200, JSON.stringify(answer));
        assert.equal(decodeJwt(lenient.body.access_token).sub, 'service');
      }
    });

    test('an answer larger than the cap is a failure', async () => {
      hook.behave(() => ({ json: { claims: { access_token: { padding: 'x'.repeat(100_000) } } } }));
      const response = await clientCredentials();
      assert.equal(response.status, 400);
      assert.equal(response.body.error, 'invalid_grant');
    });

    test('the hook secret is stored sealed with the master key, never in clear', async () => {
      const realm = await server.services.store.realms.get('demo');
      assert.ok(realm?.settings.token_hook?.secret_sealed);
      assert.ok(!JSON.stringify(realm.settings).includes(hookSecret));
    });

    test('a realm file without the secret keeps the stored one; export leaves it out', async () => {
      const exported = await exportRealm(server.services, 'lenient');
      assert.deepEqual(exported!.token_hook, { url: hook.url, timeout_ms: 500, on_failure: 'continue' });
      assert.ok(!JSON.stringify(exported).includes('secret_sealed'));
      for (const realm of parseRealmFile({ realms: [exported] }, 'export')) await importRealm(server.services, realm);
      server.clock.advance(3);   // past the realm cache
      hook.behave(() => ({ json: { claims: { access_token: { plan: 'kept' } } } }));
      const response = await clientCredentials('lenient');
      assert.equal(decodeJwt(response.body.access_token).plan, 'kept');
      assert.ok(hook.calls.at(-1)!.signatureValid, 'still signed with the original secret');
    });

    test('a redirect is not followed', async () => {
      hook.behave(() => ({ status: 307, json: {} }));
      assert.equal((await clientCredentials()).status, 400);
      assert.equal(hook.calls.length, 1);
    });
  });
}

describe('token hook validation at import', () => {
  const importing = (hook: unknown) => () => parseRealmFile({ realms: [{ name: 'r', token_hook: hook }] }, 'realm.json');
  const refused = (hook: unknown, field: string, problem: RegExp) => assert.throws(importing(hook), (error: Error) => {
    assert.ok(error instanceof RealmFileError, String(error));
    assert.ok(error.message.includes(field), `${error.message} should name ${field}`);
    assert.match(error.message, problem);
    return true;
  });

  test('the hook URL must be https, or http on a loopback host', () => {
    refused({ url: 'http://hooks.example.com/x', secret: hookSecret }, 'token_hook.url', /https/);
    refused({ url: 'ftp://127.0.0.1/x', secret: hookSecret }, 'token_hook.url', /https/);
    assert.doesNotThrow(importing({ url: 'https://hooks.example.com/x', secret: hookSecret }));
    assert.doesNotThrow(importing({ url: 'http://127.0.0.1:9/x', secret: hookSecret }));
  });

  test('timeout_ms is at most 10 s, on_failure is deny or continue, the secret is long enough', () => {
    refused({ url: 'https://h.example.com', secret: hookSecret, timeout_ms: 10_001 }, 'token_hook.timeout_ms', /10000/);
    refused({ url: 'https://h.example.com', secret: hookSecret, on_failure: 'ignore' }, 'token_hook.on_failure', /deny, continue/);
    refused({ url: 'https://h.example.com', secret: 'short' }, 'token_hook.secret', /16/);
    refused({ url: 'https://h.example.com', secret: hookSecret, retries: 3 }, 'token_hook.retries', /not a token_hook setting/);
  });

  test('defaults: 2000 ms and fail closed', () => {
    const [realm] = importing({ url: 'https://h.example.com', secret: hookSecret })();
    assert.deepEqual({ ...realm!.tokenHook, secret: undefined }, { url: 'https://h.example.com', timeout_ms: 2000, on_failure: 'deny', secret: undefined });
  });
});
