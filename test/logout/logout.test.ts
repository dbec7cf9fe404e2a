// RP-Initiated Logout 1.0: id_token_hint, post_logout_redirect_uri (registered only), state,
// the confirmation page, and what ending a session revokes.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt, generateKeyPair, SignJWT } from 'jose';
import { databases } from '../helpers/databases.js';
import { password, testRealm } from '../helpers/realm.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { authorizeUrl, callbackParams, parseForm, tokenRequest, UserAgent, type Page } from '../helpers/user-agent.js';

const redirectUri = 'http://127.0.0.1:3999/callback';
const postLogoutRedirectUri = 'http://127.0.0.1:3999/';

interface SignedIn { browser: UserAgent; idToken: string; accessToken: string; refreshToken: string }

function assertErrorPage(page: Page, status = 400): void {
  assert.equal(page.status, status, page.html.slice(0, 300));
  assert.equal(page.location, undefined, `unexpected redirect to ${page.location}`);
  assert.match(page.html, /^<!doctype html>/i);
}

for (const database of databases) {
  describe(`RP-initiated logout (${database})`, () => {
    let server: TestServer;
    before(async () => { server = await startServer(database, testRealm()); });
    after(async () => { await server?.close(); });

    const logoutUrl = (params: Record<string, string> = {}) => {
      const url = new URL(`${server.issuer()}/protocol/openid-connect/logout`);
      for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
      return url.href;
    };

    /** Signs alice in through `trusted` (no consent) and redeems the code. */
    async function signIn(browser = new UserAgent(server.url)): Promise<SignedIn> {
      const login = await browser.open(authorizeUrl(server.issuer(), {
        client_id: 'trusted', redirect_uri: redirectUri, response_type: 'code', scope: 'openid profile', state: 's',
      }));
      const code = callbackParams(await browser.signIn(login, 'alice', password)).get('code')!;
      const tokens = await tokenRequest(server.issuer(), {
        grant_type: 'authorization_code', code, redirect_uri: redirectUri, client_id: 'trusted', client_secret: 'trusted-secret',
      });
      assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
      return { browser, idToken: tokens.body.id_token, accessToken: tokens.body.access_token, refreshToken: tokens.body.refresh_token };
    }

    /** Whether this browser still has single sign-on, asked the way a client would (prompt=none). */
    async function hasSession(browser: UserAgent): Promise<boolean> {
      const page = await browser.open(authorizeUrl(server.issuer(), {
        client_id: 'trusted', redirect_uri: redirectUri, response_type: 'code', scope: 'openid', prompt: 'none', state: 'probe',
      }));
      const params = callbackParams(page);
      if (params.get('error') === 'login_required') return false;
      assert.ok(params.get('code'), `unexpected answer: ${page.location}`);
      return true;
    }

    const refresh = (refreshToken: string) => tokenRequest(server.issuer(), {
      grant_type: 'refresh_token', refresh_token: refreshToken, client_id: 'trusted', client_secret: 'trusted-secret',
    });

    test('RPL-02, RPIL-09: a valid id_token_hint with a registered post_logout_redirect_uri redirects there with state', async () => {
      const { browser, idToken } = await signIn();
      const page = await browser.request(logoutUrl({ id_token_hint: idToken, post_logout_redirect_uri: postLogoutRedirectUri, state: 'bye & <see you>' }));
      assert.equal(page.status, 302);
      const url = new URL(page.location!);
      assert.equal(`${url.origin}${url.pathname}`, postLogoutRedirectUri);
      assert.equal(url.searchParams.get('state'), 'bye & <see you>');
    });

    test('RPIL-06: logout with a valid id_token_hint ends the session, even for a browser that keeps the old cookie', async () => {
      const { browser, idToken } = await signIn();
      const cookie = browser.cookies.get('strix_session')!;
      await browser.request(logoutUrl({ id_token_hint: idToken, post_logout_redirect_uri: postLogoutRedirectUri }));
      assert.equal(await hasSession(browser), false);
      browser.cookies.set('strix_session', cookie);
      assert.equal(await hasSession(browser), false);
    });

    test('logout revokes the refresh token of that sign-in', async () => {
      const { browser, idToken, refreshToken } = await signIn();
      await browser.request(logoutUrl({ id_token_hint: idToken, post_logout_redirect_uri: postLogoutRedirectUri }));
      const response = await refresh(refreshToken);
      assert.equal(response.status, 400);
      assert.equal(response.body.error, 'invalid_grant');
    });

    test('the refresh token works until logout', async () => {
      const { refreshToken } = await signIn();
      assert.equal((await refresh(refreshToken)).status, 200);
    });

    test('RPL-03, RPIL-07: an unregistered post_logout_redirect_uri gets an error page and no redirect', async () => {
      const { browser, idToken } = await signIn();
      assertErrorPage(await browser.request(logoutUrl({ id_token_hint: idToken, post_logout_redirect_uri: 'https://evil.example/', state: 'x' })));
      assert.equal(await hasSession(browser), true);
    });

    test("another client's post_logout_redirect_uri gets an error page and no redirect", async () => {
      const { browser, idToken } = await signIn();
      assertErrorPage(await browser.request(logoutUrl({ id_token_hint: idToken, post_logout_redirect_uri: 'http://127.0.0.1:5173/' })));
    });

    test('RPL-06, RPIL-08: a post_logout_redirect_uri without id_token_hint or client_id gets an error page', async () => {
      const { browser } = await signIn();
      assertErrorPage(await browser.request(logoutUrl({ post_logout_redirect_uri: postLogoutRedirectUri })));
    });

    test('RPIL-05: logout without id_token_hint while signed in shows a confirmation page with a Sign out button', async () => {
      const { browser } = await signIn();
      const page = await browser.request(logoutUrl());
      assert.equal(page.status, 200);
      assert.match(page.html, /<button[^>]*type="submit"[^>]*>\s*Sign out\s*<\/button>/);
      assert.equal(await hasSession(browser), true, 'asking must not sign out yet');
    });

    test('RPIL-06: confirming sign-out ends the session', async () => {
      const { browser } = await signIn();
      const page = await browser.request(logoutUrl());
      const done = await browser.submit(page, {});
      assert.equal(done.status, 200);
      assert.match(done.html, /You are signed out/);
      assert.equal(await hasSession(browser), false);
    });

    test('confirming sign-out with client_id and a registered return address redirects there with state', async () => {
      const { browser } = await signIn();
      const page = await browser.request(logoutUrl({ client_id: 'trusted', post_logout_redirect_uri: postLogoutRedirectUri, state: 'later' }));
      const done = await browser.submit(page, {});
      assert.equal(done.status, 303);
      const url = new URL(done.location!);
      assert.equal(`${url.origin}${url.pathname}`, postLogoutRedirectUri);
      assert.equal(url.searchParams.get('state'), 'later');
      assert.equal(await hasSession(browser), false);
    });

    test('confirming sign-out without the csrf field gets 403 and keeps the session', async () => {
      const { browser } = await signIn();
      const page = await browser.request(logoutUrl());
      const form = parseForm(page.html);
      const { csrf: _omitted, ...fields } = form.fields;
      assertErrorPage(await browser.request(new URL(form.action, page.url).href, { form: fields }), 403);
      assert.equal(await hasSession(browser), true);
    });

    test('RPL-05, RPIL-03: an id_token_hint signed by someone else gets an error page and keeps the session', async () => {
      const { browser, idToken } = await signIn();
      const claims = decodeJwt(idToken);
      const { privateKey } = await generateKeyPair('RS256');
      const forged = await new SignJWT({ ...claims })
        .setProtectedHeader({ alg: 'RS256', kid: JSON.parse(Buffer.from(idToken.split('.')[0]!, 'base64url').toString()).kid })
        .sign(privateKey);
      assertErrorPage(await browser.request(logoutUrl({ id_token_hint: forged, post_logout_redirect_uri: postLogoutRedirectUri })));
      assert.equal(await hasSession(browser), true);
    });

    test('RPL-04, RPIL-03: an unsigned id_token_hint (alg none) gets an error page', async () => {
      const { browser, idToken } = await signIn();
      const [, payload] = idToken.split('.');
      const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${payload}.`;
      assertErrorPage(await browser.request(logoutUrl({ id_token_hint: unsigned, post_logout_redirect_uri: postLogoutRedirectUri })));
      assert.equal(await hasSession(browser), true);
    });

    test('an access token (typ at+jwt) passed as id_token_hint gets an error page and does not sign the user out', async () => {
      const { browser, accessToken } = await signIn();
      const page = await browser.request(logoutUrl({ id_token_hint: accessToken }));
      assertErrorPage(page);
      assert.equal(await hasSession(browser), true);
    });

    test('an access token passed as id_token_hint with a return address gets an error page and no redirect', async () => {
      const { browser, accessToken } = await signIn();
      assertErrorPage(await browser.request(logoutUrl({ id_token_hint: accessToken, post_logout_redirect_uri: postLogoutRedirectUri })));
      assert.equal(await hasSession(browser), true);
    });

    test('an expired id_token_hint is still accepted', async () => {
      const { browser, idToken } = await signIn();
      const exp = decodeJwt(idToken).exp!;
      server.clock.advance(exp - Math.floor(server.clock.now() / 1000) + 60);
      const page = await browser.request(logoutUrl({ id_token_hint: idToken, post_logout_redirect_uri: postLogoutRedirectUri, state: 'late' }));
      assert.equal(page.status, 302, page.html.slice(0, 300));
      assert.equal(new URL(page.location!).searchParams.get('state'), 'late');
      assert.equal(await hasSession(browser), false);
    });

    test('RPIL-05: an id_token_hint from an earlier session asks for confirmation instead of signing out silently', async () => {
      const browser = new UserAgent(server.url);
      const { idToken: old } = await signIn(browser);
      await browser.request(logoutUrl({ id_token_hint: old }));
      await signIn(browser);
      const page = await browser.request(logoutUrl({ id_token_hint: old, post_logout_redirect_uri: postLogoutRedirectUri }));
      assert.equal(page.status, 200);
      assert.match(page.html, /Sign out/);
      assert.equal(await hasSession(browser), true);
    });

    test('logout without a session shows the signed-out page', async () => {
      const page = await new UserAgent(server.url).request(logoutUrl());
      assert.equal(page.status, 200);
      assert.equal(page.location, undefined);
      assert.match(page.html, /You are signed out/);
    });

    test('logout without a session still redirects to a registered return address', async () => {
      const page = await new UserAgent(server.url).request(logoutUrl({ client_id: 'trusted', post_logout_redirect_uri: postLogoutRedirectUri, state: 'gone' }));
      assert.equal(page.status, 302);
      assert.equal(new URL(page.location!).searchParams.get('state'), 'gone');
    });
  });
}
