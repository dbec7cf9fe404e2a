// Back-Channel Logout 1.0 and Front-Channel Logout 1.0: when a session ends, every client it
// signed in to is told — by a logout token POSTed server to server, or by an iframe in the browser.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import type { Page } from 'playwright-core';
import { parseRealmFile } from '../../src/admin/realm-file.js';
import { pagePerTest, skipWithoutChromium, submitSignInForm } from '../helpers/browser.js';
import { databases } from '../helpers/databases.js';
import { eventually } from '../helpers/eventually.js';
import { password, testRealm } from '../helpers/realm.js';
import { freePort, startServer, type TestServer } from '../helpers/server.js';
import { authorizeUrl, callbackParams, tokenRequest, UserAgent } from '../helpers/user-agent.js';

interface Hit { method: string; path: string; query: URLSearchParams; body: URLSearchParams }

/** A client application that records what Strix sends it; /flaky fails its first request. */
async function startRecordingClient(): Promise<{ base: string; hits: Hit[]; close(): Promise<void> }> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const hits: Hit[] = [];
  let flakyCalls = 0;
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => { body += chunk; });
    request.on('end', () => {
      const url = new URL(request.url ?? '/', base);
      hits.push({ method: request.method ?? 'GET', path: url.pathname, query: url.searchParams, body: new URLSearchParams(body) });
      const fail = url.pathname === '/flaky' && flakyCalls++ === 0;
      response.writeHead(fail ? 500 : 200, { 'content-type': 'text/plain', 'cache-control': 'no-store' }).end(fail ? 'down' : 'ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { base, hits, close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }) };
}

function realmFor(base: string) {
  const realm = testRealm(base);
  const app = (client_id: string, extra: Record<string, unknown>) => ({
    client_id, client_secret: `${client_id}-secret`, redirect_uris: [`${base}/callback`], post_logout_redirect_uris: [`${base}/`],
    grant_types: ['authorization_code', 'refresh_token'], token_endpoint_auth_method: 'client_secret_post', scope: 'openid profile', ...extra,
  });
  realm.realms[0]!.clients.push(
    app('bc-app', { backchannel_logout_uri: `${base}/backchannel`, backchannel_logout_session_required: true }) as never,
    app('bc-flaky', { backchannel_logout_uri: `${base}/flaky` }) as never,
    app('fc-app', { frontchannel_logout_uri: `${base}/frontchannel`, frontchannel_logout_session_required: true }) as never,
  );
  return realm;
}

async function signInTo(server: TestServer, browser: UserAgent, clientId: string, redirectUri: string): Promise<Record<string, string>> {
  let page = await browser.open(authorizeUrl(server.issuer(), { client_id: clientId, redirect_uri: redirectUri, response_type: 'code', scope: 'openid', state: 's' }));
  if (page.status === 200) page = await browser.signIn(page, 'alice', password);
  const code = callbackParams(page).get('code')!;
  const tokens = await tokenRequest(server.issuer(), { grant_type: 'authorization_code', code, redirect_uri: redirectUri, client_id: clientId, client_secret: `${clientId}-secret` });
  assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
  return tokens.body;
}

for (const database of databases) {
  describe(`back-channel and front-channel logout (${database})`, () => {
    let server: TestServer;
    let rp: Awaited<ReturnType<typeof startRecordingClient>>;

    before(async () => {
      rp = await startRecordingClient();
      server = await startServer(database, realmFor(rp.base));
    });
    after(async () => {
      await server?.close();
      await rp?.close();
    });

    test('BCL-02, BCL-03, BCL-04, BCL-05, BCLO-04, BCLO-05: ending a session POSTs a valid logout token to each client of that session that asked for one', async () => {
      const browser = new UserAgent(server.url);
      const tokens = await signInTo(server, browser, 'bc-app', `${rp.base}/callback`);
      const idToken = decodeJwt(tokens.id_token!);
      const before = rp.hits.length;
      const page = await browser.request(`${server.issuer()}/protocol/openid-connect/logout?${new URLSearchParams({ id_token_hint: tokens.id_token!, post_logout_redirect_uri: `${rp.base}/`, state: 'bye' })}`);
      assert.equal(page.status, 302);
      assert.equal(page.location, `${rp.base}/?state=bye`);
      const post = rp.hits.slice(before).find((h) => h.path === '/backchannel');
      assert.ok(post, 'the logout token was delivered before the browser was sent on');
      assert.equal(post.method, 'POST');
      const { payload, protectedHeader } = await jwtVerify(post.body.get('logout_token')!, createRemoteJWKSet(new URL(`${server.issuer()}/protocol/openid-connect/certs`)), {
        issuer: server.issuer(), audience: 'bc-app', typ: 'logout+jwt',
      });
      assert.equal(protectedHeader.typ, 'logout+jwt');
      assert.equal(payload.sub, idToken.sub);
      assert.equal(payload.sid, idToken.sid);
      assert.deepEqual(payload.events, { 'http://schemas.openid.net/event/backchannel-logout': {} });
      assert.ok(typeof payload.jti === 'string' && payload.iat && payload.exp);
      assert.equal(payload.nonce, undefined);
    });

    test('a logout token passed back as id_token_hint gets an error page, not a sign-out', async () => {
      const browser = new UserAgent(server.url);
      const tokens = await signInTo(server, browser, 'bc-app', `${rp.base}/callback`);
      const before = rp.hits.length;
      await browser.request(`${server.issuer()}/protocol/openid-connect/logout?${new URLSearchParams({ id_token_hint: tokens.id_token! })}`);
      const logoutToken = rp.hits.slice(before).find((h) => h.path === '/backchannel')!.body.get('logout_token')!;
      await signInTo(server, browser, 'bc-app', `${rp.base}/callback`);
      const page = await browser.request(`${server.issuer()}/protocol/openid-connect/logout?${new URLSearchParams({ id_token_hint: logoutToken, post_logout_redirect_uri: `${rp.base}/` })}`);
      assert.equal(page.status, 400);
      assert.equal(page.location, undefined);
      assert.match(page.html, /^<!doctype html>/i);
    });

    test('a client that does not answer at first gets the logout token again', async () => {
      const browser = new UserAgent(server.url);
      const tokens = await signInTo(server, browser, 'bc-flaky', `${rp.base}/callback`);
      const before = rp.hits.length;
      await browser.request(`${server.issuer()}/protocol/openid-connect/logout?${new URLSearchParams({ id_token_hint: tokens.id_token! })}`);
      const attempts = await eventually(() => {
        const flaky = rp.hits.slice(before).filter((h) => h.path === '/flaky');
        return flaky.length >= 2 ? flaky : undefined;
      });
      assert.equal(attempts[0]!.body.get('logout_token'), attempts[1]!.body.get('logout_token'));
    });

    test('only the clients of the ended session are notified', async () => {
      const browser = new UserAgent(server.url);
      const tokens = await signInTo(server, browser, 'trusted', `${rp.base}/callback`);
      const before = rp.hits.length;
      await browser.request(`${server.issuer()}/protocol/openid-connect/logout?${new URLSearchParams({ id_token_hint: tokens.id_token! })}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.deepEqual(rp.hits.slice(before).filter((h) => h.method === 'POST'), []);
    });

    test('signing out through the confirmation page notifies the clients too', async () => {
      const browser = new UserAgent(server.url);
      await signInTo(server, browser, 'bc-app', `${rp.base}/callback`);
      const before = rp.hits.length;
      const confirm = await browser.open(`${server.issuer()}/protocol/openid-connect/logout`);
      await browser.submit(confirm, {});
      assert.ok(rp.hits.slice(before).some((h) => h.path === '/backchannel' && h.method === 'POST'));
    });

    test('FCL-02: the sign-out page loads each front-channel client in an iframe with iss and sid, then moves on', async () => {
      const browser = new UserAgent(server.url);
      const tokens = await signInTo(server, browser, 'fc-app', `${rp.base}/callback`);
      const sid = decodeJwt(tokens.id_token!).sid as string;
      const response = await fetch(`${server.issuer()}/protocol/openid-connect/logout?${new URLSearchParams({ id_token_hint: tokens.id_token!, post_logout_redirect_uri: `${rp.base}/`, state: 'fc' })}`, {
        headers: { cookie: [...browser.cookies].map(([k, v]) => `${k}=${v}`).join('; ') }, redirect: 'manual',
      });
      assert.equal(response.status, 200);
      const html = await response.text();
      const src = html.match(/<iframe[^>]*src="([^"]*)"/)?.[1]?.replace(/&amp;/g, '&');
      assert.ok(src, 'no iframe on the sign-out page');
      const frame = new URL(src);
      assert.equal(frame.origin + frame.pathname, `${rp.base}/frontchannel`);
      assert.equal(frame.searchParams.get('iss'), server.issuer());
      assert.equal(frame.searchParams.get('sid'), sid);
      assert.match(html, new RegExp(`http-equiv="refresh" content="2;url=${rp.base.replace(/\./g, '\\.')}/\\?state=fc"`));
      assert.match(response.headers.get('content-security-policy') ?? '', new RegExp(`frame-src ${rp.base.replace(/\./g, '\\.')}`));
      assert.match(response.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/, 'the page itself still cannot be framed');
    });

    test('BCL-01, BCLO-01, FCL-01: discovery advertises back-channel and front-channel logout with sessions', async () => {
      const metadata = await (await fetch(`${server.issuer()}/.well-known/openid-configuration`)).json() as Record<string, unknown>;
      for (const key of ['backchannel_logout_supported', 'backchannel_logout_session_supported', 'frontchannel_logout_supported', 'frontchannel_logout_session_supported']) {
        assert.equal(metadata[key], true, key);
      }
    });
  });
}

describe('logout URIs in client metadata', () => {
  const withClient = (extra: Record<string, unknown>) => ({ realms: [{ name: 'r', clients: [{ client_id: 'c', client_secret: 's', redirect_uris: ['https://app.example.com/cb'], ...extra }] }] });
  test('a back-channel logout URI with a fragment is rejected, naming where', () => {
    assert.throws(() => parseRealmFile(withClient({ backchannel_logout_uri: 'https://app.example.com/logout#x' }), 'f'), /clients\[0\]\.backchannel_logout_uri/);
  });
  test('a front-channel logout URI must be http or https', () => {
    assert.throws(() => parseRealmFile(withClient({ frontchannel_logout_uri: 'ftp://app.example.com/logout' }), 'f'), /frontchannel_logout_uri/);
  });
});

describe('front-channel logout in a real browser', () => {
  if (skipWithoutChromium()) return;
  let server: TestServer;
  let rp: Awaited<ReturnType<typeof startRecordingClient>>;
  let page: Page;
  before(async () => {
    rp = await startRecordingClient();
    server = await startServer('sqlite', realmFor(rp.base));
  });
  after(async () => {
    await server?.close();
    await rp?.close();
  });
  pagePerTest((p) => { page = p; });

  test('FCL-03: the browser loads the client\'s front-channel URI, then lands on the post-logout URI with the state, and a later prompt=none gets login_required', async () => {
    await page.goto(authorizeUrl(server.issuer(), { client_id: 'fc-app', redirect_uri: `${rp.base}/callback`, response_type: 'code', scope: 'openid', state: 's' }));
    await submitSignInForm(page, 'alice');
    await page.waitForURL(/\/callback\?/);
    const code = new URL(page.url()).searchParams.get('code')!;
    const tokens = await tokenRequest(server.issuer(), { grant_type: 'authorization_code', code, redirect_uri: `${rp.base}/callback`, client_id: 'fc-app', client_secret: 'fc-app-secret' });
    const sid = decodeJwt(tokens.body.id_token).sid;
    await page.goto(`${server.issuer()}/protocol/openid-connect/logout?${new URLSearchParams({ id_token_hint: tokens.body.id_token, post_logout_redirect_uri: `${rp.base}/`, state: 'done' })}`);
    await page.waitForURL(`${rp.base}/?state=done`);
    const frame = rp.hits.find((h) => h.path === '/frontchannel');
    assert.ok(frame, 'the iframe was loaded');
    assert.equal(frame.query.get('sid'), sid);
    await page.goto(authorizeUrl(server.issuer(), { client_id: 'fc-app', redirect_uri: `${rp.base}/callback`, response_type: 'code', scope: 'openid', state: 'again', prompt: 'none' }));
    await page.waitForURL(/\/callback\?/);
    const answer = new URL(page.url()).searchParams;
    assert.equal(answer.get('error'), 'login_required');
    assert.equal(answer.get('state'), 'again');
    assert.equal(answer.get('code'), null);
  });
});

