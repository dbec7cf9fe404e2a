// Conformance checklist, RP-Initiated Logout plan (A8, B13) and Back-Channel Logout plan (A9, B14).
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { databases } from '../helpers/databases.js';
import { password, testRealm } from '../helpers/realm.js';
import { freePort, startServer, type TestServer } from '../helpers/server.js';
import { authorizeUrl, callbackParams, type Page, tokenRequest, UserAgent } from '../helpers/user-agent.js';

interface Hit { method: string; path: string; headers: IncomingHttpHeaders; body: URLSearchParams }

/** A relying party that records every request; /bad answers 400. */
async function startRecordingClient(): Promise<{ base: string; hits: Hit[]; close(): Promise<void> }> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const hits: Hit[] = [];
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => { body += chunk; });
    request.on('end', () => {
      const url = new URL(request.url ?? '/', base);
      hits.push({ method: request.method ?? 'GET', path: url.pathname, headers: request.headers, body: new URLSearchParams(body) });
      const bad = url.pathname === '/bad';
      response.writeHead(bad ? 400 : 200, { 'content-type': 'text/plain' }).end(bad ? 'no' : 'ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { base, hits, close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }) };
}

function realmFor(base: string) {
  const realm = testRealm(base);
  const app = (client_id: string, extra: Record<string, unknown>) => ({
    client_id, client_secret: `${client_id}-secret`, redirect_uris: [`${base}/callback`], post_logout_redirect_uris: [`${base}/post_logout_redirect`],
    grant_types: ['authorization_code', 'refresh_token'], token_endpoint_auth_method: 'client_secret_post', scope: 'openid profile', ...extra,
  });
  realm.realms[0]!.clients.push(
    app('rp', {}) as never,
    app('bc-app', { backchannel_logout_uri: `${base}/backchannel`, backchannel_logout_session_required: true }) as never,
    app('bc-bad', { backchannel_logout_uri: `${base}/bad` }) as never,
  );
  return realm;
}

function assertNoRedirect(page: Page): void {
  assert.ok(page.status < 300 || page.status >= 400, `status ${page.status}`);
  assert.equal(page.location, undefined, `unexpected redirect to ${page.location}`);
}

for (const database of databases) {
  describe(`conformance: RP-initiated and back-channel logout (${database})`, () => {
    let server: TestServer;
    let rp: Awaited<ReturnType<typeof startRecordingClient>>;
    before(async () => {
      rp = await startRecordingClient();
      server = await startServer(database, realmFor(rp.base));
    });
    after(async () => { await server?.close(); await rp?.close(); });

    const postLogout = () => `${rp.base}/post_logout_redirect`;
    const logoutUrl = (params: Record<string, string> = {}) => `${server.issuer()}/protocol/openid-connect/logout?${new URLSearchParams(params)}`;

    async function signIn(clientId = 'rp', browser = new UserAgent(server.url)): Promise<{ browser: UserAgent; idToken: string }> {
      let page = await browser.open(authorizeUrl(server.issuer(), { client_id: clientId, redirect_uri: `${rp.base}/callback`, response_type: 'code', scope: 'openid', state: 's' }));
      if (page.status === 200) page = await browser.signIn(page, 'alice', password);
      const code = callbackParams(page).get('code')!;
      const tokens = await tokenRequest(server.issuer(), { grant_type: 'authorization_code', code, redirect_uri: `${rp.base}/callback`, client_id: clientId, client_secret: `${clientId}-secret` });
      assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
      return { browser, idToken: tokens.body.id_token };
    }

    /** The answer to a later prompt=none request: an error code, or 'code' if the session lives on. */
    async function promptNone(browser: UserAgent): Promise<string> {
      const page = await browser.open(authorizeUrl(server.issuer(), { client_id: 'rp', redirect_uri: `${rp.base}/callback`, response_type: 'code', scope: 'openid', prompt: 'none', state: 'p' }));
      const params = callbackParams(page);
      return params.get('error') ?? (params.get('code') ? 'code' : 'nothing');
    }

    test('RPL-02, RPIL-06, RPIL-09, BCL-06: id_token_hint, registered post_logout_redirect_uri and state redirect with the identical state, and prompt=none then gets login_required', async () => {
      const { browser, idToken } = await signIn();
      const page = await browser.request(logoutUrl({ id_token_hint: idToken, post_logout_redirect_uri: postLogout(), state: 'bye & <later>' }));
      assert.ok(page.status === 302 || page.status === 303);
      const url = new URL(page.location!);
      assert.equal(`${url.origin}${url.pathname}`, postLogout());
      assert.equal(url.searchParams.get('state'), 'bye & <later>');
      assert.equal(await promptNone(browser), 'login_required');
    });

    test('RPL-11, RPIL-09: without state the post-logout redirect carries no state, and prompt=none then gets login_required', async () => {
      const { browser, idToken } = await signIn();
      const page = await browser.request(logoutUrl({ id_token_hint: idToken, post_logout_redirect_uri: postLogout() }));
      const url = new URL(page.location!);
      assert.equal(`${url.origin}${url.pathname}`, postLogout());
      assert.equal(url.searchParams.has('state'), false);
      assert.equal(await promptNone(browser), 'login_required');
    });

    test('RPL-07, RPIL-07: the registered post_logout_redirect_uri plus ?foo=bar is not redirected to', async () => {
      const { browser, idToken } = await signIn();
      assertNoRedirect(await browser.request(logoutUrl({ id_token_hint: idToken, post_logout_redirect_uri: `${postLogout()}?foo=bar`, state: 's' })));
    });

    test('RPL-08: logout with no parameters at all is answered with a page, never a redirect', async () => {
      const { browser } = await signIn();
      assertNoRedirect(await browser.request(logoutUrl()));
    });

    test('RPL-09: id_token_hint and state without post_logout_redirect_uri log out and show a page, no redirect', async () => {
      const { browser, idToken } = await signIn();
      const page = await browser.request(logoutUrl({ id_token_hint: idToken, state: 's' }));
      assertNoRedirect(page);
      assert.equal(await promptNone(browser), 'login_required');
    });

    test('RPL-10: state only is answered with a page, never a redirect', async () => {
      const { browser } = await signIn();
      assertNoRedirect(await browser.request(logoutUrl({ state: 's' })));
    });

    test('RPIL-02: the logout endpoint accepts a form POST as well as GET', async () => {
      const { browser, idToken } = await signIn();
      const page = await browser.request(`${server.issuer()}/protocol/openid-connect/logout`, { form: { id_token_hint: idToken, post_logout_redirect_uri: postLogout(), state: 'posted' } });
      assert.ok(page.location, `status ${page.status}: ${page.html.slice(0, 200)}`);
      assert.equal(new URL(page.location).searchParams.get('state'), 'posted');
      assert.equal(await promptNone(browser), 'login_required');
    });

    test('RPIL-04: a client_id other than the id_token_hint audience gets an error and no redirect', async () => {
      const { browser, idToken } = await signIn();
      assertNoRedirect(await browser.request(logoutUrl({ id_token_hint: idToken, client_id: 'bc-app', post_logout_redirect_uri: postLogout(), state: 's' })));
      assert.equal(await promptNone(browser), 'code', 'the session lives on');
    });

    test('BCL-02, BCL-03, BCL-04, BCL-05, BCLO-02, BCLO-04, BCLO-05, BCLO-06, BCLO-07, BCLO-08, BCLO-09, RPIL-10: each logout POSTs a form with only a fresh, signed logout token carrying the ID token sub and sid, before the redirect', async () => {
      const jwks = createLocalJWKSet(await (await fetch(`${server.issuer()}/protocol/openid-connect/certs`)).json() as never);
      const jtis = new Set<string>();
      for (let round = 0; round < 2; round++) {
        const { browser, idToken } = await signIn('bc-app');
        const idClaims = decodeJwt(idToken);
        assert.ok(typeof idClaims.sid === 'string', 'ID tokens carry sid');
        const before = rp.hits.length;
        const page = await browser.request(logoutUrl({ id_token_hint: idToken, post_logout_redirect_uri: postLogout(), state: 'bye' }));
        const post = rp.hits.slice(before).find((h) => h.path === '/backchannel');
        assert.ok(post, 'the logout token was delivered before the browser was redirected');
        assert.equal(new URL(page.location!).searchParams.get('state'), 'bye');
        assert.equal(post.method, 'POST');
        assert.match(post.headers['content-type'] ?? '', /^application\/x-www-form-urlencoded/);
        assert.deepEqual([...post.body.keys()], ['logout_token']);
        const logoutToken = post.body.get('logout_token')!;
        const header = decodeProtectedHeader(logoutToken);
        assert.notEqual(header.alg, 'none');
        assert.equal(header.alg, decodeProtectedHeader(idToken).alg, 'signed like the client\'s ID tokens');
        assert.equal(header.typ, 'logout+jwt');
        const { payload } = await jwtVerify(logoutToken, jwks, { issuer: server.issuer(), audience: 'bc-app' });
        const now = Math.floor(Date.now() / 1000);
        assert.ok(typeof payload.iat === 'number' && payload.iat <= now + 5 && payload.iat > now - 86400);
        assert.ok(typeof payload.exp === 'number');
        assert.ok(typeof payload.jti === 'string');
        assert.deepEqual(payload.events, { 'http://schemas.openid.net/event/backchannel-logout': {} });
        assert.equal(payload.sub, idClaims.sub);
        assert.equal(payload.sid, idClaims.sid);
        assert.equal(payload.nonce, undefined);
        jtis.add(payload.jti);
      }
      assert.equal(jtis.size, 2, 'every logout token has its own jti');
    });

    test('BCLO-10: an RP that answers the logout token with 400 does not stop the logout or the post-logout redirect', async () => {
      const { browser, idToken } = await signIn('bc-bad');
      const page = await browser.request(logoutUrl({ id_token_hint: idToken, post_logout_redirect_uri: postLogout(), state: 'done' }));
      assert.equal(new URL(page.location!).searchParams.get('state'), 'done');
      assert.equal(await promptNone(browser), 'login_required');
    });
  });
}
