// Two Strix processes (`strix start`) on one PostgreSQL database behind one public URL, as behind
// a load balancer: any request may land on either node, so codes, refresh tokens, sessions and
// signing keys must live in the database, not in a node's memory.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { randomUUID } from 'node:crypto';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, jwtVerify, SignJWT } from 'jose';
import { createLogger, createServices } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import type { Services } from '../../src/services.js';
import { startTwoNodes, type Node } from '../helpers/nodes.js';
import { databases, freshDatabase } from '../helpers/databases.js';
import { password, testRealm } from '../helpers/realm.js';
import { masterKey } from '../helpers/server.js';
import { authorizeUrl, callbackParams, endpointRequest, isLoginPage, pkcePair, tokenRequest, UserAgent } from '../helpers/user-agent.js';

const rpBase = 'http://127.0.0.1:3999';
const redirectUri = `${rpBase}/callback`;
const web = { id: 'web', secret: 'web-secret' };

/** How long a node may take to start here. */
const readyTimeoutMs = 20_000;

async function stop(node: Node | undefined): Promise<void> {
  if (!node || node.process.exitCode !== null || node.process.signalCode !== null) return;
  const exited = new Promise((resolve) => node.process.once('exit', resolve));
  node.process.kill('SIGTERM');
  const timer = setTimeout(() => node.process.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** On `node`'s authorization endpoint: sign in as alice (consenting), return the code and PKCE verifier. */
async function authorizeOn(node: Node, browser: UserAgent, state = 'two-nodes'): Promise<{ code: string; verifier: string }> {
  const { verifier, challenge } = pkcePair();
  const login = await browser.open(authorizeUrl(node.issuer, {
    client_id: 'web', redirect_uri: redirectUri, response_type: 'code', scope: 'openid profile email',
    state, nonce: 'n-two', code_challenge: challenge, code_challenge_method: 'S256',
  }));
  assert.ok(isLoginPage(login), `expected the login page, got ${login.status}`);
  const params = callbackParams(await browser.signIn(login, 'alice', password));
  assert.equal(params.get('state'), state);
  return { code: params.get('code')!, verifier };
}

const service = { id: 'service', secret: 'service-secret' };

/** A client_credentials grant of the `service` client on `node`. */
function serviceToken(node: Node) {
  return tokenRequest(node.issuer, { grant_type: 'client_credentials', scope: 'api:read' }, service);
}

/**
 * Polls `probe` until it returns true; resolves with the milliseconds that took. Nodes cache clients
 * for 1 s, realms for 2 s and keys for 5 s: seeing a change well within 0.5 s of making it means
 * the node was told, not that its cache expired.
 */
async function millisecondsUntil(probe: () => Promise<boolean>, limitMs = 3000): Promise<number> {
  const started = Date.now();
  while (!(await probe())) {
    if (Date.now() - started > limitMs) return Infinity;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return Date.now() - started;
}

async function userinfo(node: Node, accessToken: string): Promise<Response> {
  return fetch(`${node.issuer}/protocol/openid-connect/userinfo`, { headers: { authorization: `Bearer ${accessToken}` } });
}

if (!databases.includes('postgres')) {
  test.skip('two Strix nodes share one PostgreSQL database: PostgreSQL is not reachable, so this is skipped (it runs under CI=true)');
} else {
  describe('two Strix nodes on one PostgreSQL database behind one public URL', () => {
    const dir = mkdtempSync(join(tmpdir(), 'strix-two-nodes-'));
    let db: { url: string; drop: () => Promise<void> } | undefined;
    let a: Node | undefined;
    let b: Node | undefined;
    const nodeA = () => a!;
    const nodeB = () => b!;

    before(async () => {
      db = await freshDatabase('postgres', dir);
      // One process per node (spawnNode), so that a warmed cache is the one the next request meets.
      [a, b] = await startTwoNodes(dir, db.url, testRealm(rpBase), readyTimeoutMs);
    });

    after(async () => {
      await Promise.all([stop(a), stop(b)]);
      await db?.drop();
      rmSync(dir, { recursive: true, force: true });
    });

    test('an authorization started on node A is redeemed on node B, under the one shared issuer', async () => {
      const browser = new UserAgent(nodeA().url);
      const { code, verifier } = await authorizeOn(nodeA(), browser);

      const tokens = await tokenRequest(nodeB().issuer, { grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier }, web);
      assert.equal(tokens.status, 200, JSON.stringify(tokens.body));

      const jwks = createRemoteJWKSet(new URL(`${nodeB().issuer}/protocol/openid-connect/certs`));
      const { payload } = await jwtVerify(tokens.body.id_token, jwks, { issuer: nodeA().issuer, audience: 'web' });
      assert.equal(payload.iss, nodeA().issuer);
      assert.equal(payload.nonce, 'n-two');

      const response = await userinfo(nodeB(), tokens.body.access_token);
      assert.equal(response.status, 200);
      const claims = await response.json() as Record<string, unknown>;
      assert.equal(claims.sub, payload.sub);
      assert.equal(claims.email, 'alice@example.com');
    });

    test('both nodes sign with the same key, so the JWKS either node serves verifies tokens from either', async () => {
      const { code, verifier } = await authorizeOn(nodeA(), new UserAgent(nodeA().url));
      const fromA = await tokenRequest(nodeA().issuer, { grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier }, web);
      assert.equal(fromA.status, 200, JSON.stringify(fromA.body));
      const fromB = await tokenRequest(nodeB().issuer, { grant_type: 'refresh_token', refresh_token: fromA.body.refresh_token }, web);
      assert.equal(fromB.status, 200, JSON.stringify(fromB.body));

      for (const node of [nodeA(), nodeB()]) {
        const jwks = createRemoteJWKSet(new URL(`${node.issuer}/protocol/openid-connect/certs`));
        for (const idToken of [fromA.body.id_token, fromB.body.id_token]) {
          await jwtVerify(idToken, jwks, { issuer: nodeA().issuer, audience: 'web' });
        }
        assert.equal((await userinfo(node, fromB.body.access_token)).status, 200);
      }
    });

    test('a refresh token rotated on node B and replayed on node A is rejected, and the grant is revoked on both', async () => {
      const browser = new UserAgent(nodeA().url);
      const { code, verifier } = await authorizeOn(nodeA(), browser);
      const first = await tokenRequest(nodeA().issuer, { grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier }, web);
      assert.equal(first.status, 200, JSON.stringify(first.body));

      const rotated = await tokenRequest(nodeB().issuer, { grant_type: 'refresh_token', refresh_token: first.body.refresh_token }, web);
      assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
      assert.notEqual(rotated.body.refresh_token, first.body.refresh_token);
      assert.equal((await userinfo(nodeB(), rotated.body.access_token)).status, 200);

      const replay = await tokenRequest(nodeA().issuer, { grant_type: 'refresh_token', refresh_token: first.body.refresh_token }, web);
      assert.equal(replay.status, 400);
      assert.equal(replay.body.error, 'invalid_grant');

      assert.equal((await userinfo(nodeB(), rotated.body.access_token)).status, 401, 'the latest access token is revoked on B');
      assert.equal((await userinfo(nodeA(), rotated.body.access_token)).status, 401, 'and on A');
      const latest = await tokenRequest(nodeB().issuer, { grant_type: 'refresh_token', refresh_token: rotated.body.refresh_token }, web);
      assert.equal(latest.body.error, 'invalid_grant', 'the latest refresh token is revoked too');
    });

    test('DPOP-17: a DPoP proof used on node A is refused as a replay on node B', async () => {
      const keys = await generateKeyPair('ES256');
      const proof = await new SignJWT({ jti: randomUUID(), iat: Math.floor(Date.now() / 1000), htm: 'POST', htu: `${nodeA().issuer}/protocol/openid-connect/token` })
        .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: await exportJWK(keys.publicKey) })
        .sign(keys.privateKey);
      const send = (node: Node) => fetch(`${node.issuer}/protocol/openid-connect/token`, {
        method: 'POST', body: 'grant_type=client_credentials',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from('service:service-secret').toString('base64')}`, dpop: proof },
      });
      const first = await send(nodeA());
      assert.equal(first.status, 200, await first.text());
      const replay = await send(nodeB());
      assert.equal(replay.status, 400);
      assert.equal((await replay.json() as { error: string }).error, 'invalid_dpop_proof');
    });

    test('REV-08: a client_credentials access token revoked on node A is inactive at node B\'s introspection at once', async () => {
      const issued = await serviceToken(nodeB());
      assert.equal(issued.status, 200, JSON.stringify(issued.body));
      const activeOnB = async () => (await endpointRequest(nodeB().issuer, 'token/introspect', { token: issued.body.access_token }, service)).body.active;
      assert.equal(await activeOnB(), true);
      assert.equal((await endpointRequest(nodeA().issuer, 'revoke', { token: issued.body.access_token }, service)).status, 200);
      assert.equal(await activeOnB(), false);
    });

    test('logout on node A ends the SSO session for node B as well', async () => {
      const browser = new UserAgent(nodeA().url);
      const { code, verifier } = await authorizeOn(nodeA(), browser);
      const tokens = await tokenRequest(nodeA().issuer, { grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier }, web);
      assert.equal(tokens.status, 200, JSON.stringify(tokens.body));

      // Before logout, B recognises the session the cookies carry: prompt=none succeeds there.
      const silent = (state: string) => authorizeUrl(nodeB().issuer, {
        client_id: 'web', redirect_uri: redirectUri, response_type: 'code', scope: 'openid profile email', state, prompt: 'none',
      });
      const before = callbackParams(await browser.request(silent('before')));
      assert.ok(before.get('code'), `B should know the session: ${before}`);

      const logoutUrl = new URL(`${nodeA().issuer}/protocol/openid-connect/logout`);
      logoutUrl.searchParams.set('id_token_hint', tokens.body.id_token);
      logoutUrl.searchParams.set('post_logout_redirect_uri', `${rpBase}/`);
      logoutUrl.searchParams.set('state', 'bye');
      const cookies = new Map(browser.cookies);
      const loggedOut = await browser.request(logoutUrl.href);
      assert.equal(loggedOut.status, 302);
      assert.equal(loggedOut.location, `${rpBase}/?state=bye`);

      const afterward = callbackParams(await browser.request(silent('after')));
      assert.equal(afterward.get('error'), 'login_required');
      assert.equal(afterward.get('state'), 'after');

      // The session itself ended, not only the cookie: a browser still holding the old cookie is signed out on B too.
      const stale = new UserAgent(nodeA().url);
      for (const [name, value] of cookies) stale.cookies.set(name, value);
      assert.equal(callbackParams(await stale.request(silent('stale'))).get('error'), 'login_required');
    });
    describe('a change made on another node reaches this node at once (PostgreSQL LISTEN/NOTIFY), not after its cache expires', () => {
      // The test process is a third node: its store announces what it changes, as node A's would.
      let other: Services;
      before(async () => {
        const config = loadConfig({ STRIX_DATABASE_URL: db!.url, STRIX_MASTER_KEY: masterKey, STRIX_LOG_LEVEL: 'silent', STRIX_WORKERS: '1' });
        other = await createServices(config, createLogger('silent'), undefined, { migrate: false });
      });
      after(async () => { await other?.store.close(); });

      test('a client disabled on another node is refused by node B within half a second', async () => {
        assert.equal((await serviceToken(nodeB())).status, 200, 'B now holds the enabled client in its cache');
        await other.store.clients.setEnabled('demo', 'service', false, Date.now());
        try {
          const ms = await millisecondsUntil(async () => (await serviceToken(nodeB())).status === 401);
          assert.ok(ms < 500, `B refused the disabled client after ${ms} ms`);
          assert.equal((await serviceToken(nodeB())).body.error, 'invalid_client');
        } finally {
          await other.store.clients.setEnabled('demo', 'service', true, Date.now());
        }
        assert.ok(await millisecondsUntil(async () => (await serviceToken(nodeB())).status === 200) < 500, 'and accepts it again once re-enabled');
      });

      test('BCP-13: a client allowed the password grant created on another node makes node B advertise the grant within half a second; removing it withdraws it', async () => {
        const grantTypes = async () => (await (await fetch(`${nodeB().issuer}/.well-known/openid-configuration`)).json() as { grant_types_supported: string[] }).grant_types_supported;
        assert.ok(!(await grantTypes()).includes('password'), 'B has cached the realm without it');
        const service = (await other.store.clients.get('demo', 'service'))!;
        await other.store.clients.upsert('demo', { ...service.metadata, client_id: 'legacy', grant_types: ['password'] }, service.secretHash, Date.now());
        try {
          const ms = await millisecondsUntil(async () => (await grantTypes()).includes('password'));
          assert.ok(ms < 500, `B advertised the password grant after ${ms} ms`);
        } finally {
          await other.store.clients.remove('demo', 'legacy');
        }
        const gone = await millisecondsUntil(async () => !(await grantTypes()).includes('password'));
        assert.ok(gone < 500, `B withdrew it after ${gone} ms`);
      });

      test('keys rotated on another node: node B signs with the promoted key and publishes the new next key within half a second', async () => {
        const before = await serviceToken(nodeB());
        assert.equal(before.status, 200);
        const { alg, kid: oldKid } = decodeProtectedHeader(before.body.access_token);
        const promoted = (await other.keystore.list('demo')).find((k) => k.alg === alg && k.status === 'next')!;
        assert.notEqual(promoted.kid, oldKid);
        await other.keystore.rotate('demo');
        const fresh = (await other.keystore.list('demo')).find((k) => k.alg === alg && k.status === 'next')!;

        const signs = await millisecondsUntil(async () => decodeProtectedHeader((await serviceToken(nodeB())).body.access_token).kid === promoted.kid);
        assert.ok(signs < 500, `B signed with the promoted key after ${signs} ms`);
        const publishes = await millisecondsUntil(async () => {
          const jwks = await (await fetch(`${nodeB().issuer}/protocol/openid-connect/certs`)).json() as { keys: { kid: string }[] };
          return jwks.keys.some((k) => k.kid === fresh.kid);
        });
        assert.ok(publishes < 500, `B published the new next key after ${publishes} ms`);
      });

      test('a realm setting changed on another node applies on node B within half a second', async () => {
        const lifetime = (token: string) => { const { exp, iat } = decodeJwt(token); return exp! - iat!; };
        const before = await serviceToken(nodeB());
        const realm = (await other.store.realms.get('demo'))!;
        assert.equal(lifetime(before.body.access_token), realm.settings.access_token_lifetime);
        const changed = realm.settings.access_token_lifetime + 60;
        await other.store.realms.upsert({ ...realm, settings: { ...realm.settings, access_token_lifetime: changed } }, Date.now());
        const ms = await millisecondsUntil(async () => lifetime((await serviceToken(nodeB())).body.access_token) === changed);
        assert.ok(ms < 500, `B issued tokens with the new lifetime after ${ms} ms`);
      });
    });
  });
}
