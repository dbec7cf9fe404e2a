// The authorization endpoint (RFC 6749 §3.1, §3.1.2, §4.1.2.1; OIDC Core §3.1.2; RFC 9207):
// which requests are redirected back with an error, which get an error page, and what a
// successful response carries.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { databases } from '../helpers/databases.js';
import { tokensFor } from '../helpers/flows.js';
import { password, testRealm } from '../helpers/realm.js';
import { startServer, type TestServer } from '../helpers/server.js';
import {
  authorizeUrl, callbackParams, isConsentPage, isLoginPage, parseForm, tokenRequest, UserAgent, type Page,
} from '../helpers/user-agent.js';

const redirectUri = 'http://127.0.0.1:3999/callback';

/** An HTML error page: a 4xx status, a document, and no redirect anywhere. */
function assertErrorPage(page: Page, status = 400): void {
  assert.equal(page.status, status, page.html.slice(0, 300));
  assert.equal(page.location, undefined, `unexpected redirect to ${page.location}`);
  assert.match(page.html, /^<!doctype html>/i);
}

/** A redirect to the registered URI with the given OAuth error, state and iss (RFC 9207). */
function assertErrorRedirect(server: TestServer, page: Page, error: string, state: string): void {
  assert.ok(page.location?.startsWith(`${redirectUri}?`), `expected a redirect to ${redirectUri}, got ${page.status} ${page.location}`);
  const params = callbackParams(page);
  assert.equal(params.get('error'), error);
  assert.equal(params.get('state'), state);
  assert.equal(params.get('iss'), server.issuer());
  assert.equal(params.get('code'), null);
}

const trustedRequest = (extra: Record<string, string> = {}) => ({
  client_id: 'trusted', redirect_uri: redirectUri, response_type: 'code', scope: 'openid profile', state: 's-1', ...extra,
});

for (const database of databases) {
  describe(`authorization endpoint (${database})`, () => {
    let server: TestServer;
    before(async () => { server = await startServer(database, testRealm()); });
    after(async () => { await server?.close(); });

    const open = (params: Record<string, string>, browser = new UserAgent(server.url)) =>
      browser.request(authorizeUrl(server.issuer(), params));

    test('OAUTH-06, BCP-04: an unregistered redirect_uri gets an error page and no redirect', async () => {
      assertErrorPage(await open(trustedRequest({ redirect_uri: 'https://evil.example/callback' })));
    });

    const altered: [string, string][] = [
      ['an extra path segment', 'http://127.0.0.1:3999/callback/extra'],
      ['a different port', 'http://127.0.0.1:4000/callback'],
      ['an added query string', 'http://127.0.0.1:3999/callback?next=https://evil.example'],
      ['a different case in the path', 'http://127.0.0.1:3999/Callback'],
      ['a trailing slash', 'http://127.0.0.1:3999/callback/'],
      ['a different scheme', 'https://127.0.0.1:3999/callback'],
      ['added userinfo', 'http://127.0.0.1:3999@evil.example/callback'],
      ['a fragment', 'http://127.0.0.1:3999/callback#x'],
    ];
    for (const [how, uri] of altered) {
      test(`BASIC-30, BCP-01, CORE-02, OAUTH-08, DYN-07: a redirect_uri altered by ${how} gets an error page and no redirect`, async () => {
        assertErrorPage(await open(trustedRequest({ redirect_uri: uri })));
      });
    }

    test('OAUTH-06, BCP-04: an unknown client_id gets an error page and no redirect', async () => {
      assertErrorPage(await open(trustedRequest({ client_id: 'no-such-client' })));
    });

    test('a disabled client gets an error page and no redirect', async () => {
      const { clients } = server.services.store;
      await clients.setEnabled('demo', 'trusted', false, Date.now());
      try {
        assertErrorPage(await open(trustedRequest()));
      } finally {
        await clients.setEnabled('demo', 'trusted', true, Date.now());
      }
    });

    test('OAUTH-06: a missing client_id gets an error page and no redirect', async () => {
      const { client_id: _omitted, ...rest } = trustedRequest();
      assertErrorPage(await open(rest));
    });

    test('BASIC-02, IMPL-08, OAUTH-05: a missing response_type is redirected back as invalid_request with state and iss', async () => {
      const { response_type: _omitted, ...rest } = trustedRequest({ state: 'no-type' });
      assertErrorRedirect(server, await open(rest), 'invalid_request', 'no-type');
    });

    test('OAUTH-05, OAUTH-12: response_type=token (the OAuth implicit grant) is refused as unsupported_response_type, in the fragment', async () => {
      const page = await open(trustedRequest({ response_type: 'token', state: 'implicit' }));
      assert.ok(page.location?.startsWith(`${redirectUri}#`), `expected the error in the fragment (RFC 6749 §4.2.2.1), got ${page.location}`);
      const params = callbackParams(page);
      assert.equal(params.get('error'), 'unsupported_response_type');
      assert.equal(params.get('state'), 'implicit');
      assert.equal(params.get('iss'), server.issuer());
    });

    test('OAUTH-14: a scope the client may not have is redirected back as invalid_scope', async () => {
      assertErrorRedirect(server, await open(trustedRequest({ scope: 'openid api:read', state: 'scoped' })), 'invalid_scope', 'scoped');
    });

    test('an access token sent as id_token_hint is redirected back as invalid_request: only ID tokens are hints', async () => {
      const browser = new UserAgent(server.url);
      const tokens = await tokensFor(server, browser, { client: 'trusted', scope: 'openid' });
      assertErrorRedirect(server, await open(trustedRequest({ id_token_hint: tokens.access_token, state: 'hint' }), browser), 'invalid_request', 'hint');
      const accepted = callbackParams(await open(trustedRequest({ id_token_hint: tokens.id_token, prompt: 'none', state: 'hint' }), browser));
      assert.ok(accepted.get('code'), accepted.get('error') ?? '');
    });

    test('an unsigned request object replaces the query: its scope and state are the ones answered', async () => {
      const claims = { client_id: 'trusted', response_type: 'code', redirect_uri: redirectUri, scope: 'openid api:read', state: 'ro' };
      const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.`;
      assertErrorRedirect(server, await open(trustedRequest({ request: unsigned, state: 'outer' })), 'invalid_scope', 'ro');
    });

    test('a request_uri that cannot be fetched is redirected back as invalid_request_uri', async () => {
      // Port 9 on loopback is closed: the fetch fails at once and nothing leaves the machine.
      assertErrorRedirect(server, await open(trustedRequest({ request_uri: 'https://127.0.0.1:9/request.jwt', state: 'ru' })), 'invalid_request_uri', 'ru');
    });

    test('OAUTH-04: a parameter sent twice gets an error page, never a redirect', async () => {
      const url = `${authorizeUrl(server.issuer(), trustedRequest({ state: 'first' }))}&state=second`;
      assertErrorPage(await new UserAgent(server.url).request(url));
    });

    test('a redirect_uri sent twice gets an error page, never a redirect', async () => {
      const url = `${authorizeUrl(server.issuer(), trustedRequest())}&redirect_uri=${encodeURIComponent('https://evil.example/callback')}`;
      assertErrorPage(await new UserAgent(server.url).request(url));
    });

    test('BASIC-31, CORE-03: a POST to the authorization endpoint works like a GET', async () => {
      const browser = new UserAgent(server.url);
      const login = await browser.open(`${server.issuer()}/protocol/openid-connect/auth`, { form: trustedRequest({ state: 'posted' }) });
      assert.ok(isLoginPage(login), login.html.slice(0, 300));
      const params = callbackParams(await browser.signIn(login, 'alice', password));
      assert.ok(params.get('code'));
      assert.equal(params.get('state'), 'posted');
      assert.equal(params.get('iss'), server.issuer());
    });

    test('a POST with an unknown client_id gets an error page and no redirect', async () => {
      const page = await new UserAgent(server.url).request(`${server.issuer()}/protocol/openid-connect/auth`, { form: trustedRequest({ client_id: 'nobody' }) });
      assertErrorPage(page);
    });

    test('COMMON-04: state is echoed byte for byte, even 128 characters of URL-special ones', async () => {
      const special = ' !"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~%20%zz&amp;';
      const state = (special + 'AZaz09').repeat(4).slice(0, 128);
      assert.equal(state.length, 128);
      const browser = new UserAgent(server.url);
      const login = await browser.open(authorizeUrl(server.issuer(), trustedRequest({ state })));
      const params = callbackParams(await browser.signIn(login, 'alice', password));
      assert.equal(params.get('state'), state);
      assert.ok(params.get('code'));
    });

    test('response_mode=fragment puts code, state and iss in the fragment and nothing in the query', async () => {
      const browser = new UserAgent(server.url);
      const login = await browser.open(authorizeUrl(server.issuer(), trustedRequest({ response_mode: 'fragment', state: 'frag' })));
      const back = await browser.signIn(login, 'alice', password);
      const url = new URL(back.location!);
      assert.equal(`${url.origin}${url.pathname}`, redirectUri);
      assert.equal(url.search, '');
      const fragment = new URLSearchParams(url.hash.slice(1));
      assert.ok(fragment.get('code'));
      assert.equal(fragment.get('state'), 'frag');
      assert.equal(fragment.get('iss'), server.issuer());
    });

    test('BCP-16: the authorization endpoint answers no CORS, even to an allowed origin', async () => {
      const url = authorizeUrl(server.issuer(), { client_id: 'spa', redirect_uri: 'http://127.0.0.1:5173/callback', response_type: 'code', scope: 'openid' });
      for (const origin of ['http://127.0.0.1:5173', 'https://spa.example.com']) {
        const get = await fetch(url, { headers: { origin }, redirect: 'manual' });
        assert.equal(get.headers.get('access-control-allow-origin'), null, `GET from ${origin}`);
        const preflight = await fetch(url, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'GET' }, redirect: 'manual' });
        assert.equal(preflight.headers.get('access-control-allow-origin'), null, `OPTIONS from ${origin}`);
      }
    });

    test('OAUTH-13: denying consent is redirected back as access_denied with state and iss', async () => {
      const browser = new UserAgent(server.url);
      const login = await browser.open(authorizeUrl(server.issuer(), {
        client_id: 'web', redirect_uri: redirectUri, response_type: 'code', scope: 'openid profile', state: 'no-thanks',
      }));
      assertErrorRedirect(server, await browser.signIn(login, 'alice', password, 'deny'), 'access_denied', 'no-thanks');
    });

    test('CORE-36, OAUTH-31: a sign-in form posted without the csrf field gets 403 and no session', async () => {
      const browser = new UserAgent(server.url);
      const login = await browser.open(authorizeUrl(server.issuer(), trustedRequest()));
      const form = parseForm(login.html);
      const { csrf: _omitted, ...fields } = form.fields;
      const page = await browser.request(new URL(form.action, login.url).href, { form: { ...fields, username: 'alice', password } });
      assertErrorPage(page, 403);
      assert.equal(browser.cookies.has('strix_session'), false);
    });

    test('a sign-in form posted with a wrong csrf value gets 403 and no session', async () => {
      const browser = new UserAgent(server.url);
      const login = await browser.open(authorizeUrl(server.issuer(), trustedRequest()));
      const form = parseForm(login.html);
      const page = await browser.request(new URL(form.action, login.url).href, {
        form: { ...form.fields, csrf: 'A'.repeat(43), username: 'alice', password },
      });
      assertErrorPage(page, 403);
      assert.equal(browser.cookies.has('strix_session'), false);
    });

    test('a sign-in form posted from a browser without the csrf cookie gets 403 and no session', async () => {
      const login = await new UserAgent(server.url).open(authorizeUrl(server.issuer(), trustedRequest()));
      const form = parseForm(login.html);
      const attacker = new UserAgent(server.url);
      const page = await attacker.request(new URL(form.action, login.url).href, { form: { ...form.fields, username: 'alice', password } });
      assertErrorPage(page, 403);
      assert.equal(attacker.cookies.has('strix_session'), false);
    });

    test('submitting a finished sign-in again gets an error page and no second code', async () => {
      const browser = new UserAgent(server.url);
      const login = await browser.open(authorizeUrl(server.issuer(), trustedRequest()));
      assert.ok(callbackParams(await browser.submit(login, { username: 'alice', password })).get('code'));
      assertErrorPage(await browser.submit(login, { username: 'alice', password }));
    });

    test('submitting an answered consent again gets an error page and no second code', async () => {
      const browser = new UserAgent(server.url);
      const login = await browser.open(authorizeUrl(server.issuer(), {
        client_id: 'web', redirect_uri: redirectUri, response_type: 'code', scope: 'openid email', state: 'twice', prompt: 'consent',
      }));
      const consent = await browser.submit(login, { username: 'alice', password });
      assert.ok(isConsentPage(consent), consent.html.slice(0, 300));
      assert.ok(callbackParams(await browser.submit(consent, {}, { name: 'decision', value: 'allow' })).get('code'));
      assertErrorPage(await browser.submit(consent, {}, { name: 'decision', value: 'allow' }));
    });

    test('a code is redeemed once; the same code a second time is invalid_grant', async () => {
      const browser = new UserAgent(server.url);
      const login = await browser.open(authorizeUrl(server.issuer(), trustedRequest()));
      const code = callbackParams(await browser.signIn(login, 'alice', password)).get('code')!;
      const form = { grant_type: 'authorization_code', code, redirect_uri: redirectUri, client_id: 'trusted', client_secret: 'trusted-secret' };
      assert.equal((await tokenRequest(server.issuer(), form)).status, 200);
      const again = await tokenRequest(server.issuer(), form);
      assert.equal(again.status, 400);
      assert.equal(again.body.error, 'invalid_grant');
    });

    test('a disabled user cannot sign in', async () => {
      const bob = (await server.services.store.users.findByUsername('demo', 'bob'))!;
      await server.services.store.users.setEnabled(bob.id, false, server.clock.now());
      try {
        const browser = new UserAgent(server.url);
        const login = await browser.open(authorizeUrl(server.issuer(), trustedRequest()));
        const page = await browser.submit(login, { username: 'bob', password });
        assert.equal(page.status, 401);
        assert.equal(page.location, undefined);
        assert.ok(isLoginPage({ ...page, status: 200 }));
        assert.match(page.html, /Invalid username or password/);
        assert.equal(browser.cookies.has('strix_session'), false);
      } finally {
        await server.services.store.users.setEnabled(bob.id, true, server.clock.now());
      }
    });

    test('disabling a signed-in user ends their single sign-on', async () => {
      const bob = (await server.services.store.users.findByUsername('demo', 'bob'))!;
      const browser = new UserAgent(server.url);
      const login = await browser.open(authorizeUrl(server.issuer(), trustedRequest()));
      assert.ok(callbackParams(await browser.signIn(login, 'bob', password)).get('code'));
      await server.services.store.users.setEnabled(bob.id, false, server.clock.now());
      try {
        const page = await browser.open(authorizeUrl(server.issuer(), trustedRequest({ prompt: 'none', state: 'gone' })));
        assertErrorRedirect(server, page, 'login_required', 'gone');
      } finally {
        await server.services.store.users.setEnabled(bob.id, true, server.clock.now());
      }
    });
  });
}
