// What a dynamically registered client says about itself (OIDC Registration §2): its logo, privacy
// policy and terms of service on the login and consent pages, and its initiate_login_uri (OIDC Core
// §4), registered and read back.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { pagePerTest, skipWithoutChromium, submitSignInForm } from '../helpers/browser.js';
import { databases } from '../helpers/databases.js';
import { password, testRealm } from '../helpers/realm.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { authorizeUrl, isLoginPage, pkcePair, UserAgent } from '../helpers/user-agent.js';

const redirectUri = 'http://127.0.0.1:3999/callback';
// A 1×1 transparent PNG, served by the browser's request interception in place of the RP's logo host.
const pixel = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');
const branding = {
  logo_uri: 'https://cdn.rp.example/logo.png', policy_uri: 'https://rp.example/privacy', tos_uri: 'https://rp.example/terms',
};

function realms() {
  const file = testRealm() as { realms: Record<string, unknown>[] };
  file.realms[0]!.registration = 'open';
  return file;
}

for (const database of databases) {
  describe(`client logo, policy and terms, and initiate_login_uri (${database})`, () => {
    let server: TestServer;
    before(async () => { server = await startServer(database, realms()); });
    after(async () => { await server?.close(); });

    async function register(metadata: Record<string, unknown>): Promise<{ status: number; body: Record<string, any> }> {
      const response = await fetch(`${server.issuer()}/protocol/openid-connect/registrations`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ client_name: 'Branded app', redirect_uris: [redirectUri], ...metadata }),
      });
      return { status: response.status, body: await response.json() as Record<string, any> };
    }

    function authorization(clientId: string): string {
      return authorizeUrl(server.issuer(), {
        client_id: clientId, redirect_uri: redirectUri, response_type: 'code', scope: 'openid', state: 's',
        code_challenge: pkcePair().challenge, code_challenge_method: 'S256',
      });
    }

    test('3P-01: an https initiate_login_uri is echoed at registration and by the client configuration endpoint', async () => {
      const registered = await register({ initiate_login_uri: 'https://rp.example/login' });
      assert.equal(registered.status, 201, JSON.stringify(registered.body));
      assert.equal(registered.body.initiate_login_uri, 'https://rp.example/login');
      const read = await fetch(registered.body.registration_client_uri, { headers: { authorization: `Bearer ${registered.body.registration_access_token}` } });
      assert.equal(read.status, 200);
      assert.match(read.headers.get('content-type') ?? '', /^application\/json/);
      assert.equal((await read.json() as Record<string, unknown>).initiate_login_uri, 'https://rp.example/login');
    });

    test('3P-02: an http (or non-URL) initiate_login_uri is refused with invalid_client_metadata', async () => {
      for (const uri of ['http://rp.example/login', 'not a url']) {
        const refused = await register({ initiate_login_uri: uri });
        assert.equal(refused.status, 400);
        assert.equal(refused.body.error, 'invalid_client_metadata');
      }
    });

    test('BCP-03: an http redirect URI on a non-loopback host is refused at registration; loopback http is accepted', async () => {
      const refused = await register({ redirect_uris: ['http://rp.example/callback'] });
      assert.equal(refused.status, 400);
      assert.equal(refused.body.error, 'invalid_redirect_uri');
      for (const uri of ['http://127.0.0.1:8000/cb', 'http://[::1]:8000/cb', 'http://localhost:8000/cb', 'https://rp.example/cb', 'com.example.app:/cb']) {
        const accepted = await register({ redirect_uris: [uri] });
        assert.equal(accepted.status, 201, `${uri}: ${JSON.stringify(accepted.body)}`);
      }
    });

    test('the login page leaves out http logo, policy and terms URIs, and keeps images to its own origin', async () => {
      const registered = await register({ logo_uri: 'http://rp.example/logo.png', policy_uri: 'http://rp.example/privacy', tos_uri: 'http://rp.example/terms' });
      assert.equal(registered.status, 201);
      const response = await fetch(authorization(registered.body.client_id), { headers: { accept: 'text/html' } });
      const html = await response.text();
      assert.match(html, /name="password"/);
      assert.doesNotMatch(html, /rp\.example/);
      assert.match(response.headers.get('content-security-policy') ?? '', /img-src 'self' data:;/);
    });

    describe('in Chromium', () => {
      if (skipWithoutChromium()) return;
      let page: Page;
      pagePerTest((p) => { page = p; }, (context) => context.route('https://cdn.rp.example/**', (route) => route.fulfill({ status: 200, contentType: 'image/png', body: pixel })));

      async function assertBranding(): Promise<void> {
        const logo = page.getByRole('img', { name: 'Branded app' });
        assert.ok(await logo.isVisible(), 'the logo is shown, with the client name as its alt text');
        assert.equal(await logo.getAttribute('src'), branding.logo_uri);
        assert.ok(await logo.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0), 'the CSP let the logo load');
        for (const [name, href] of [['Privacy policy of Branded app', branding.policy_uri], ['Terms of service of Branded app', branding.tos_uri]] as const) {
          const link = page.getByRole('link', { name });
          assert.equal(await link.getAttribute('href'), href);
          assert.match((await link.getAttribute('rel')) ?? '', /\bnoopener\b/);
        }
      }

      test('DYN-11, DYN-12, DYN-13: the login and consent pages show the registered logo and link the policy and terms', async () => {
        const registered = await register(branding);
        assert.equal(registered.status, 201, JSON.stringify(registered.body));
        assert.equal(registered.body.logo_uri, branding.logo_uri);

        const login = await page.goto(authorization(registered.body.client_id));
        assert.match(login?.headers()['content-security-policy'] ?? '', /img-src 'self' data: https:\/\/cdn\.rp\.example;/);
        await page.getByLabel('Username').waitFor();
        await assertBranding();
        await page.screenshot({ path: '/tmp/strix-login-branded.png', fullPage: true });

        await submitSignInForm(page, 'alice', password, (url) => url.pathname.endsWith('/login-actions/authenticate'));
        assert.ok(await page.getByRole('button', { name: 'Allow' }).isVisible(), 'a registered client asks for consent');
        await assertBranding();
      });
    });

    test('a client without branding gets the plain login page', async () => {
      const page = await new UserAgent(server.url).open(authorization('web'));
      assert.ok(isLoginPage(page));
      assert.doesNotMatch(page.html, /client-logo|client-links/);
    });
  });
}
