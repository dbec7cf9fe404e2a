// Single sign-on and its controls (OIDC Core §3.1.2.1, §3.1.2.3, §3.1.2.4, §3.1.2.6):
// prompt, max_age, auth_time, remembered consent, login_hint and ui_locales.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { databases } from '../helpers/databases.js';
import { password, testRealm } from '../helpers/realm.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { authorizeUrl, callbackParams, isConsentPage, isLoginPage, tokenRequest, UserAgent, type Page } from '../helpers/user-agent.js';

const redirectUri = 'http://127.0.0.1:3999/callback';

/** The test realm plus users of our own, so that one test's consent does not leak into another's. */
function realmWithUsers(...usernames: string[]) {
  const realm = testRealm();
  for (const username of usernames) realm.realms[0]!.users.push({ username, password, email: `${username}@example.com`, given_name: username, roles: ['viewer'] });
  return realm;
}

const request = (client: 'trusted' | 'web', extra: Record<string, string> = {}) => ({
  client_id: client, redirect_uri: redirectUri, response_type: 'code', scope: 'openid profile', state: 'st', nonce: 'n', ...extra,
});

function assertErrorRedirect(server: TestServer, page: Page, error: string, state: string): void {
  const params = callbackParams(page);
  assert.ok(page.location!.startsWith(`${redirectUri}?`), page.location);
  assert.equal(params.get('error'), error);
  assert.equal(params.get('state'), state);
  assert.equal(params.get('iss'), server.issuer());
  assert.equal(params.get('code'), null);
}

for (const database of databases) {
  describe(`prompt, max_age and single sign-on (${database})`, () => {
    let server: TestServer;
    before(async () => { server = await startServer(database, realmWithUsers('carol', 'dave', 'erin', 'frank')); });
    after(async () => { await server?.close(); });

    const authorize = (browser: UserAgent, params: Record<string, string>) => browser.open(authorizeUrl(server.issuer(), params));

    /** A browser signed in to the realm through the client `trusted` (which needs no consent). */
    async function signedIn(username = 'alice'): Promise<UserAgent> {
      const browser = new UserAgent(server.url);
      const login = await authorize(browser, request('trusted'));
      assert.ok(callbackParams(await browser.signIn(login, username, password)).get('code'));
      return browser;
    }

    async function idTokenFor(code: string): Promise<Record<string, unknown>> {
      const tokens = await tokenRequest(server.issuer(), {
        grant_type: 'authorization_code', code, redirect_uri: redirectUri, client_id: 'trusted', client_secret: 'trusted-secret',
      });
      assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
      return decodeJwt(tokens.body.id_token);
    }

    test('BASIC-18, CORE-06: prompt=none without a session is redirected back as login_required with state and iss', async () => {
      const page = await authorize(new UserAgent(server.url), request('trusted', { prompt: 'none', state: 'silent' }));
      assertErrorRedirect(server, page, 'login_required', 'silent');
    });

    test('prompt=none with a session returns a code at once', async () => {
      const browser = await signedIn();
      const page = await authorize(browser, request('trusted', { prompt: 'none', state: 'silent' }));
      const params = callbackParams(page);
      assert.ok(params.get('code'));
      assert.equal(params.get('state'), 'silent');
      assert.equal(params.get('iss'), server.issuer());
    });

    test('CORE-06: prompt=none with a session but no consent yet is redirected back as consent_required', async () => {
      const browser = await signedIn('carol');
      const page = await authorize(browser, request('web', { prompt: 'none', state: 'ask' }));
      assertErrorRedirect(server, page, 'consent_required', 'ask');
    });

    test('CORE-09: prompt=none combined with another value is invalid_request', async () => {
      const browser = await signedIn();
      assertErrorRedirect(server, await authorize(browser, request('trusted', { prompt: 'none login', state: 'mixed' })), 'invalid_request', 'mixed');
    });

    test('BASIC-17, CORE-07: prompt=login with a session shows the login page again, and the new ID token has a later auth_time', async () => {
      const browser = new UserAgent(server.url);
      const first = callbackParams(await browser.signIn(await authorize(browser, request('trusted')), 'alice', password));
      const earlier = await idTokenFor(first.get('code')!);
      server.clock.advance(5);
      const login = await authorize(browser, request('trusted', { prompt: 'login' }));
      assert.ok(isLoginPage(login), `expected the login page, got ${login.status} ${login.location ?? ''}`);
      const again = callbackParams(await browser.signIn(login, 'alice', password));
      const later = await idTokenFor(again.get('code')!);
      assert.ok((later.auth_time as number) >= (earlier.auth_time as number) + 5, `auth_time ${earlier.auth_time} → ${later.auth_time}`);
    });

    test('CORE-10: max_age exceeded shows the login page again', async () => {
      const browser = await signedIn();
      server.clock.advance(120);
      const page = await authorize(browser, request('trusted', { max_age: '60' }));
      assert.ok(isLoginPage(page), `expected the login page, got ${page.status} ${page.location ?? ''}`);
    });

    test('max_age not exceeded returns a code without signing in again', async () => {
      const browser = await signedIn();
      server.clock.advance(30);
      const params = callbackParams(await authorize(browser, request('trusted', { max_age: '60' })));
      assert.ok(params.get('code'));
    });

    test('CORE-10: max_age=0 always asks to sign in again, like prompt=login', async () => {
      const browser = await signedIn();
      const page = await authorize(browser, request('trusted', { max_age: '0' }));
      assert.ok(isLoginPage(page), `expected the login page, got ${page.status} ${page.location ?? ''}`);
    });

    test('prompt=none with max_age exceeded is redirected back as login_required', async () => {
      const browser = await signedIn();
      server.clock.advance(120);
      assertErrorRedirect(server, await authorize(browser, request('trusted', { prompt: 'none', max_age: '60', state: 'old' })), 'login_required', 'old');
    });

    test('a malformed max_age is invalid_request', async () => {
      const browser = await signedIn();
      assertErrorRedirect(server, await authorize(browser, request('trusted', { max_age: '-1', state: 'neg' })), 'invalid_request', 'neg');
    });

    test('the ID token carries auth_time: the moment of sign-in, in seconds', async () => {
      const browser = new UserAgent(server.url);
      const login = await authorize(browser, request('trusted', { max_age: '600' }));
      const signInAt = Math.floor(server.clock.now() / 1000);
      const params = callbackParams(await browser.signIn(login, 'alice', password));
      const idToken = await idTokenFor(params.get('code')!);
      assert.equal(typeof idToken.auth_time, 'number');
      assert.ok(Number.isInteger(idToken.auth_time));
      assert.ok(Math.abs((idToken.auth_time as number) - signInAt) <= 2, `auth_time ${idToken.auth_time}, signed in at ${signInAt}`);
    });

    test('a session reused later keeps the original auth_time', async () => {
      const browser = new UserAgent(server.url);
      const first = await idTokenFor(callbackParams(await browser.signIn(await authorize(browser, request('trusted')), 'alice', password)).get('code')!);
      server.clock.advance(10);
      const second = await idTokenFor(callbackParams(await authorize(browser, request('trusted'))).get('code')!);
      assert.equal(second.auth_time, first.auth_time);
    });

    test('a remembered consent is not asked again for the same scopes', async () => {
      const browser = new UserAgent(server.url);
      const login = await authorize(browser, request('web'));
      const consent = await browser.submit(login, { username: 'dave', password });
      assert.ok(isConsentPage(consent));
      assert.ok(callbackParams(await browser.submit(consent, {}, { name: 'decision', value: 'allow' })).get('code'));
      const again = await authorize(browser, request('web'));
      assert.ok(callbackParams(again).get('code'), `expected a code, got ${again.status}`);
    });

    test('a remembered consent is asked again when a new scope is requested', async () => {
      const browser = new UserAgent(server.url);
      const login = await authorize(browser, request('web'));
      assert.ok(callbackParams(await browser.signIn(login, 'erin', password)).get('code'));
      const page = await authorize(browser, request('web', { scope: 'openid profile api:read' }));
      assert.ok(isConsentPage(page), `expected the consent page, got ${page.status} ${page.location ?? ''}`);
      assert.match(page.html, /Read your documents/);
    });

    test('prompt=consent asks again even for scopes already consented to', async () => {
      const browser = new UserAgent(server.url);
      assert.ok(callbackParams(await browser.signIn(await authorize(browser, request('web')), 'frank', password)).get('code'));
      const page = await authorize(browser, request('web', { prompt: 'consent' }));
      assert.ok(isConsentPage(page), `expected the consent page, got ${page.status} ${page.location ?? ''}`);
    });

    test('BASIC-24: login_hint pre-fills the username field', async () => {
      const page = await authorize(new UserAgent(server.url), request('trusted', { login_hint: 'alice' }));
      const input = page.html.match(/<input[^>]*name="username"[^>]*>/)?.[0];
      assert.ok(input, 'no username field');
      assert.match(input, /value="alice"/);
    });

    test('BASIC-25: ui_locales=fr renders the login page in French', async () => {
      const page = await authorize(new UserAgent(server.url), request('trusted', { ui_locales: 'fr' }));
      assert.match(page.html, /<html lang="fr"/);
      assert.match(page.html, /<button[^>]*type="submit"[^>]*>\s*Se connecter\s*<\/button>/);
      assert.match(page.html, /Mot de passe/);
    });

    test('without ui_locales the login page shows the English contract labels', async () => {
      const page = await authorize(new UserAgent(server.url), request('trusted'));
      assert.match(page.html, /<label for="username">Username<\/label>/);
      assert.match(page.html, /<label for="password">Password<\/label>/);
      assert.match(page.html, /<button[^>]*type="submit"[^>]*>\s*Sign in\s*<\/button>/);
    });
  });
}
