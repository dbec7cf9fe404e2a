// The browser-facing pages: the contract labels of the login and consent pages, escaping of
// everything a request can put on a page, and 4xx (never 500, never a stack trace) for bad input.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { databases } from '../helpers/databases.js';
import { password, testRealm } from '../helpers/realm.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { authorizeUrl, isConsentPage, UserAgent } from '../helpers/user-agent.js';

const redirectUri = 'http://127.0.0.1:3999/callback';
const attack = '"><script>alert(1)</script>';
/** No script but Strix's own external files (the passkey button's): nothing inline, nothing injected. */
const onlyOwnScripts = /<script(?![^>]*src="\/resources\/webauthn\/[a-z.-]+\.js")/i;

/** Nothing that looks like a stack trace or a file path from the server. */
function assertNoInternals(body: string): void {
  assert.doesNotMatch(body, /\bat [\w.<>]+ \(|node_modules|\/work\/|\.js:\d+|\.ts:\d+|TypeError|ReferenceError/);
}

for (const database of databases) {
  describe(`pages (${database})`, () => {
    let server: TestServer;
    before(async () => { server = await startServer(database, testRealm()); });
    after(async () => { await server?.close(); });

    const loginPage = (extra: Record<string, string> = {}, browser = new UserAgent(server.url)) => browser.open(authorizeUrl(server.issuer(), {
      client_id: 'trusted', redirect_uri: redirectUri, response_type: 'code', scope: 'openid profile', state: 's', ...extra,
    }));

    test('the login page has labelled username and password fields and a "Sign in" button', async () => {
      const page = await loginPage();
      assert.equal(page.status, 200);
      assert.match(page.html, /<label for="username">Username<\/label>/);
      assert.match(page.html, /<label for="password">Password<\/label>/);
      assert.match(page.html, /<input[^>]*id="username"[^>]*name="username"/);
      assert.match(page.html, /<input[^>]*type="password"[^>]*id="password"[^>]*name="password"/);
      assert.match(page.html, /<button[^>]*type="submit"[^>]*>\s*Sign in\s*<\/button>/);
    });

    test('the login page is a form that works without JavaScript (scripts only drive the optional passkey button)', async () => {
      const page = await loginPage();
      assert.match(page.html, /<form method="post" action="[^"]+"/);
      assert.doesNotMatch(page.html, onlyOwnScripts);
    });

    test('the consent page lists the scope descriptions, including realm-described ones, with Allow and Deny', async () => {
      const browser = new UserAgent(server.url);
      const login = await browser.open(authorizeUrl(server.issuer(), {
        client_id: 'web', redirect_uri: redirectUri, response_type: 'code', scope: 'openid profile api:read', state: 's',
      }));
      const consent = await browser.submit(login, { username: 'alice', password });
      assert.ok(isConsentPage(consent), consent.html.slice(0, 300));
      assert.match(consent.html, /Read your documents/);
      assert.match(consent.html, /See your name and profile details/);
      assert.match(consent.html, /Know who you are on Demo/);
      assert.match(consent.html, /<button[^>]*name="decision"[^>]*value="allow"[^>]*>\s*Allow\s*<\/button>/);
      assert.match(consent.html, /<button[^>]*name="decision"[^>]*value="deny"[^>]*>\s*Deny\s*<\/button>/);
    });

    test('a login_hint with markup is escaped on the login page', async () => {
      const page = await loginPage({ login_hint: attack });
      assert.equal(page.status, 200);
      assert.doesNotMatch(page.html, onlyOwnScripts);
      assert.match(page.html, /value="&quot;>&lt;script>alert\(1\)&lt;\/script>"|value="&quot;&gt;&lt;script&gt;alert\(1\)&lt;\/script&gt;"/);
    });

    test('a state with markup is escaped on the sign-out confirmation page', async () => {
      const browser = new UserAgent(server.url);
      const login = await loginPage({}, browser);
      await browser.signIn(login, 'alice', password);
      const page = await browser.request(`${server.issuer()}/protocol/openid-connect/logout?state=${encodeURIComponent(attack)}`);
      assert.equal(page.status, 200);
      assert.doesNotMatch(page.html, onlyOwnScripts);
      // parseForm (test helper) cuts tags at the first '>', which is legal unescaped inside a quoted value.
      const value = page.html.match(/<input type="hidden" name="state" value="([^"]*)"/)?.[1];
      assert.equal(value?.replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&'), attack);
    });

    test('a wrong password re-shows the login page with the typed username escaped', async () => {
      const browser = new UserAgent(server.url);
      const login = await loginPage({}, browser);
      const page = await browser.submit(login, { username: attack, password: 'wrong' });
      assert.equal(page.status, 401);
      assert.doesNotMatch(page.html, onlyOwnScripts);
      assert.match(page.html, /Invalid username or password/);
    });

    test('an unknown path gets a 404 HTML page without internals', async () => {
      for (const path of ['/nope', '/realms/demo/nope', '/realms/demo/protocol/openid-connect/nope']) {
        const response = await fetch(`${server.url}${path}`, { headers: { accept: 'text/html' } });
        assert.equal(response.status, 404, path);
        assert.match(response.headers.get('content-type') ?? '', /text\/html/, path);
        assertNoInternals(await response.text());
      }
    });

    test('a 100 KB body to the token endpoint is a 4xx', async () => {
      const response = await fetch(`${server.issuer()}/protocol/openid-connect/token`, {
        method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `grant_type=client_credentials&client_id=service&client_secret=service-secret&padding=${'a'.repeat(100 * 1024)}`,
      });
      assert.ok(response.status >= 400 && response.status < 500, `got ${response.status}`);
      assertNoInternals(await response.text());
    });

    test('a JSON body to the token endpoint is invalid_request', async () => {
      const response = await fetch(`${server.issuer()}/protocol/openid-connect/token`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ grant_type: 'client_credentials', client_id: 'service', client_secret: 'service-secret' }),
      });
      assert.equal(response.status, 400);
      assert.equal(((await response.json()) as { error: string }).error, 'invalid_request');
    });

    test('invalid percent-encoding in the query is a 4xx', async () => {
      for (const query of ['client_id=%E0%A4%A&response_type=code', 'client_id=trusted&redirect_uri=%zz', 'client_id=%']) {
        const response = await fetch(`${server.issuer()}/protocol/openid-connect/auth?${query}`, { headers: { accept: 'text/html' }, redirect: 'manual' });
        assert.ok(response.status >= 400 && response.status < 500, `${query}: got ${response.status}`);
        assert.equal(response.headers.get('location'), null, query);
        assertNoInternals(await response.text());
      }
    });

    test('invalid percent-encoding in the path is a 4xx', async () => {
      const response = await fetch(`${server.url}/realms/%E0%A4%A/.well-known/openid-configuration`);
      assert.ok(response.status >= 400 && response.status < 500, `got ${response.status}`);
      assertNoInternals(await response.text());
    });

    const loginActions: [string, string, string][] = [
      ['a JSON object', 'application/json', JSON.stringify({ interaction: 'x', csrf: 'y', username: 'alice', password })],
      ['a JSON object with nested values', 'application/json', JSON.stringify({ interaction: { $ne: null }, csrf: ['a', 'b'] })],
      ['a JSON array', 'application/json', '[1, 2, 3]'],
      ['malformed JSON', 'application/json', '{"interaction":'],
      ['JSON null', 'application/json', 'null'],
      ['plain text', 'text/plain', 'username=alice'],
      ['an empty form', 'application/x-www-form-urlencoded', ''],
      ['a form with a repeated field', 'application/x-www-form-urlencoded', 'interaction=a&interaction=b&csrf=c'],
    ];
    for (const [what, type, body] of loginActions) {
      test(`${what} posted to the sign-in form target is a 4xx`, async () => {
        const response = await fetch(`${server.issuer()}/login-actions/authenticate`, {
          method: 'POST', headers: { 'content-type': type, accept: 'text/html' }, body, redirect: 'manual',
        });
        assert.ok(response.status >= 400 && response.status < 500, `got ${response.status}`);
        assert.equal(response.headers.get('location'), null);
        assertNoInternals(await response.text());
      });
    }

    test('a JSON body to the consent form target is a 4xx', async () => {
      const response = await fetch(`${server.issuer()}/login-actions/consent`, {
        method: 'POST', headers: { 'content-type': 'application/json', accept: 'text/html' },
        body: JSON.stringify({ interaction: 'x', csrf: 'y', decision: 'allow' }), redirect: 'manual',
      });
      assert.ok(response.status >= 400 && response.status < 500, `got ${response.status}`);
      assert.equal(response.headers.get('location'), null);
    });
  });
}
