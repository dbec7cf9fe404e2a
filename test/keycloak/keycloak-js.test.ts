// keycloak-js (loaded unchanged from node_modules, with its defaults: checkLoginIframe on, PKCE S256)
// against a Strix realm in Chromium: login-required with the fragment and the query response mode,
// check-sso through a hidden iframe with prompt=none, updateToken(-1), loadUserInfo, loadUserProfile,
// a sign-out in another tab noticed through the session iframe, and logout().
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { browserPerSuite, newContext, skipWithoutChromium, submitSignInForm } from '../helpers/browser.js';
import { databases } from '../helpers/databases.js';
import { keycloakApp, type KeycloakApp, type KeycloakAppPage } from '../helpers/keycloak-app.js';
import { testRealmWith } from '../helpers/realm.js';
import { startServer, type TestServer } from '../helpers/server.js';

/** Waits for init() to settle and returns the title it set: authenticated, anonymous or error. */
async function settled(page: Page): Promise<string> {
  await page.waitForFunction(() => document.title !== 'loading');
  const title = await page.title();
  if (title === 'error') assert.fail(`keycloak-js init failed: ${await page.evaluate(() => (window as any).initError)}`);
  return title;
}

for (const database of databases) {
  describe(`keycloak-js against Strix (${database})`, () => {
    if (skipWithoutChromium()) return;
    let server: TestServer;
    let app: KeycloakApp;
    let crossSiteApp: KeycloakApp;
    const browser = browserPerSuite();
    before(async () => {
      app = await keycloakApp();
      crossSiteApp = await keycloakApp({ clientId: 'kc-cross-site', crossSite: true });
      server = await startServer(database, testRealmWith({
        token_claims: 'keycloak',
        // keycloak-js asks for `openid` alone; Keycloak adds its default client scopes, and so does this realm.
        default_scopes: ['profile', 'email'],
        clients: [{ ...app.client(), roles: [{ name: 'editor' }] }, crossSiteApp.client()],
        users: [{ username: 'carol', password: 'correct horse battery staple', email: 'carol@example.com', email_verified: true, given_name: 'Carol', family_name: 'Danvers', locale: 'en', roles: ['admin'], client_roles: { 'kc-app': ['editor'] } }],
      }));
      await app.listen(server.url);
      await crossSiteApp.listen(server.url);
    });
    after(async () => {
      await app?.close();
      await crossSiteApp?.close();
      await server?.close();
    });

    /** Opens a login-required page of the app, signs in at Strix, and waits until keycloak-js is authenticated. */
    async function signedIn(page: Page, mode: KeycloakAppPage): Promise<void> {
      await page.goto(app.url(mode));
      await page.waitForURL((url) => url.origin === new URL(server.url).origin);
      await submitSignInForm(page, 'carol', undefined, (url) => url.origin === app.origin);
      assert.equal(await settled(page), 'authenticated');
    }

    for (const mode of ['fragment', 'query'] as const) {
      test(`login-required with response mode ${mode}: signed in, tokens decoded, refresh token shaped like Keycloak's`, async () => {
        const context = await newContext(browser());
        try {
          const page = await context.newPage();
          await signedIn(page, mode);
          const state = await page.evaluate(() => {
            const k = (window as any).keycloak;
            return {
              url: location.href, subject: k.subject, sessionId: k.sessionId, refreshTyp: k.refreshTokenParsed.typ, refreshSid: k.refreshTokenParsed.sid,
              username: k.idTokenParsed.preferred_username, admin: k.hasRealmRole('admin'), editor: k.hasResourceRole('editor'),
            };
          });
          assert.equal(state.url, app.url(mode), 'keycloak-js removed the response parameters from the URL');
          assert.ok(state.subject);
          assert.ok(state.sessionId);
          assert.equal(state.refreshTyp, 'Refresh');
          assert.equal(state.refreshSid, state.sessionId);
          assert.equal(state.username, 'carol');
          assert.equal(state.admin, true);
          assert.equal(state.editor, true);
        } finally {
          await context.close();
        }
      });
    }

    test('updateToken(-1) refreshes through the credentialed token endpoint, and loadUserInfo reads userinfo', async () => {
      const context = await newContext(browser());
      try {
        const page = await context.newPage();
        await signedIn(page, 'fragment');
        const result = await page.evaluate(async () => {
          const k = (window as any).keycloak;
          const before = { token: k.token, refreshToken: k.refreshToken };
          const refreshed = await k.updateToken(-1);
          const info = await k.loadUserInfo();
          return { refreshed, tokenChanged: k.token !== before.token, refreshChanged: k.refreshToken !== before.refreshToken, info, events: (window as any).events };
        });
        assert.equal(result.refreshed, true);
        assert.ok(result.tokenChanged);
        assert.ok(result.refreshChanged);
        assert.ok(result.events.includes('refresh_success'));
        assert.equal(result.info.sub, await page.evaluate(() => (window as any).keycloak.subject));
        assert.equal(result.info.preferred_username, 'carol');
        assert.equal(result.info.email, 'carol@example.com');
      } finally {
        await context.close();
      }
    });

    test('loadUserProfile reads Keycloak\'s account representation at {issuer}/account with the bearer token, across origins', async () => {
      const context = await newContext(browser());
      try {
        const page = await context.newPage();
        await signedIn(page, 'fragment');
        const account: string[] = [];
        page.on('request', (request) => { if (new URL(request.url()).pathname.endsWith('/account')) account.push(`${request.method()} ${request.headers().accept}`); });
        const profile = await page.evaluate(async () => {
          const k = (window as any).keycloak;
          return { profile: await k.loadUserProfile(), subject: k.subject };
        });
        assert.deepEqual(profile.profile, {
          id: profile.subject, username: 'carol', firstName: 'Carol', lastName: 'Danvers', email: 'carol@example.com', emailVerified: true, attributes: { locale: ['en'] },
        });
        assert.deepEqual(account, ['GET application/json'], 'keycloak-js fetched {issuer}/account for JSON, from the app\'s origin');
      } finally {
        await context.close();
      }
    });

    test('check-sso: anonymous without a session, then signed in silently through the hidden iframe once there is one', async () => {
      const context = await newContext(browser());
      try {
        const page = await context.newPage();
        await page.goto(app.url('check-sso'));
        assert.equal(await settled(page), 'anonymous');
        assert.equal(new URL(page.url()).origin, app.origin, 'check-sso never left the app');

        await signedIn(page, 'fragment');
        const topLevel: string[] = [];
        page.on('request', (request) => { if (request.isNavigationRequest() && request.frame() === page.mainFrame()) topLevel.push(request.url()); });
        await page.goto(app.url('check-sso'));
        assert.equal(await settled(page), 'authenticated');
        assert.deepEqual(topLevel, [app.url('check-sso')], 'signed in without a top-level redirect');
        assert.ok(await page.evaluate(() => document.querySelector('iframe[title="keycloak-session-iframe"]') !== null), 'the session iframe is in use');
        assert.equal(await page.evaluate(() => (window as any).keycloak.idTokenParsed.preferred_username), 'carol');
      } finally {
        await context.close();
      }
    });

    test('SM-02: a sign-out in another tab is noticed through the session iframe, and logout() ends the session', async () => {
      const context = await newContext(browser());
      try {
        const first = await context.newPage();
        await signedIn(first, 'fragment');
        await first.goto(app.url('check-sso'));
        assert.equal(await settled(first), 'authenticated');

        const second = await context.newPage();
        await second.goto(app.url('fragment'));
        assert.equal(await settled(second), 'authenticated', 'the second tab signed in by SSO');
        await Promise.all([
          second.waitForURL((url) => url.origin === new URL(server.url).origin && url.pathname.endsWith('/auth')),
          second.evaluate(() => { void (window as any).keycloak.logout(); }),
        ]);
        // logout() came back to the app, whose login-required init sent the tab to the sign-in page.
        await second.getByLabel('Username').waitFor();

        await first.waitForFunction(() => (window as any).events.includes('auth_logout'), undefined, { timeout: 20_000 });
        assert.equal(await first.evaluate(() => (window as any).keycloak.authenticated), false);
      } finally {
        await context.close();
      }
    });

    test('an app on another site: the cookie probe says unsupported, and check-sso falls back to a top-level prompt=none', async () => {
      const context = await newContext(browser());
      try {
        const page = await context.newPage();
        await signedIn(page, 'fragment');
        const topLevel: string[] = [];
        page.on('request', (request) => { if (request.isNavigationRequest() && request.frame() === page.mainFrame()) topLevel.push(request.url()); });
        await page.goto(crossSiteApp.url('check-sso'));
        assert.equal(await settled(page), 'authenticated');
        assert.ok(topLevel.some((url) => url.startsWith(`${server.issuer()}/protocol/openid-connect/auth?`) && new URL(url).searchParams.get('prompt') === 'none'), topLevel.join('\n'));
        assert.equal(await page.evaluate(() => document.querySelector('iframe[title="keycloak-session-iframe"]')), null, 'no session iframe across sites');
      } finally {
        await context.close();
      }
    });
  });
}
