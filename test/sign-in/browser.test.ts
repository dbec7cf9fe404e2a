// The code flow as a user and a real client see it: Chromium renders Strix's pages and submits
// its forms; openid-client (a certified relying-party library) builds the requests, redeems the
// code and validates everything Strix sends back.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as client from 'openid-client';
import type { BrowserContext, Page } from 'playwright-core';
import { pagePerTest, skipWithoutChromium, submitSignInForm } from '../helpers/browser.js';
import { databases } from '../helpers/databases.js';
import { password, testRealm } from '../helpers/realm.js';
import { startRelyingParty, type RelyingParty } from '../helpers/relying-party.js';
import { startServer, type TestServer } from '../helpers/server.js';

type Tokens = Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
interface PendingAuthorization { url: URL; verifier: string; state: string; nonce: string }

for (const database of databases) {
  describe(`a browser signs in through Strix for an openid-client relying party (${database})`, () => {
    if (skipWithoutChromium()) return;

    let rp: RelyingParty;
    let server: TestServer;
    let context: BrowserContext;
    let page: Page;

    before(async () => {
      rp = await startRelyingParty();
      server = await startServer(database, testRealm(rp.base));
    });
    after(async () => {
      await server?.close();
      await rp?.close();
    });
    pagePerTest((p, c) => { page = p; context = c; });

    /** openid-client's view of the provider, for a client registered in the test realm. */
    function configFor(clientId: 'web' | 'trusted'): Promise<client.Configuration> {
      const options = { execute: [client.allowInsecureRequests] };
      return clientId === 'web'
        ? client.discovery(new URL(server.issuer()), 'web', 'web-secret', client.ClientSecretBasic('web-secret'), options)
        : client.discovery(new URL(server.issuer()), 'trusted', 'trusted-secret', client.ClientSecretPost('trusted-secret'), options);
    }

    async function authorization(config: client.Configuration, params: Record<string, string> = {}): Promise<PendingAuthorization> {
      const verifier = client.randomPKCECodeVerifier();
      const state = client.randomState();
      const nonce = client.randomNonce();
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: rp.redirectUri, scope: 'openid profile email', state, nonce,
        code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', ...params,
      });
      return { url, verifier, state, nonce };
    }

    const atRelyingParty = (url: URL) => url.origin === rp.base;

    /** Fills the sign-in form and waits for whatever comes next: the consent page, the login page again, or the RP. */
    async function submitSignIn(username: string, secret: string): Promise<void> {
      await submitSignInForm(page, username, secret, (url) => atRelyingParty(url) || url.pathname.endsWith('/login-actions/authenticate'));
    }

    async function allow(): Promise<void> {
      await Promise.all([page.waitForURL(atRelyingParty), page.getByRole('button', { name: 'Allow' }).click()]);
    }

    function redeem(config: client.Configuration, pending: PendingAuthorization): Promise<Tokens> {
      return client.authorizationCodeGrant(config, new URL(page.url()), {
        pkceCodeVerifier: pending.verifier, expectedState: pending.state, expectedNonce: pending.nonce,
      });
    }

    /** Alice signs in through the pages (consenting if asked) and the client redeems the code. */
    async function signInAsAlice(config: client.Configuration, params: Record<string, string> = {}): Promise<Tokens> {
      const pending = await authorization(config, params);
      await page.goto(pending.url.href);
      await submitSignIn('alice', password);
      if (!atRelyingParty(new URL(page.url()))) await allow();
      return redeem(config, pending);
    }

    test('a user signs in and consents in the browser, and the client gets validated tokens and her claims', async () => {
      const config = await configFor('web');
      const pending = await authorization(config, { prompt: 'consent' });

      await page.goto(pending.url.href);
      await page.getByLabel('Username').waitFor();
      await page.screenshot({ path: '/tmp/strix-login.png', fullPage: true });
      await submitSignIn('alice', password);

      assert.ok(await page.getByRole('heading', { name: 'Demo web app wants to access your account' }).isVisible());
      assert.ok(await page.getByText('Signed in as alice').isVisible());
      await page.screenshot({ path: '/tmp/strix-consent.png', fullPage: true });
      await allow();

      const callback = new URL(page.url());
      assert.equal(callback.pathname, '/callback');
      assert.equal(await page.textContent('body'), 'signed in');
      // authorizationCodeGrant checks state, iss (RFC 9207), PKCE, and the ID token's signature, iss, aud, nonce.
      const tokens = await redeem(config, pending);
      const idToken = tokens.claims()!;
      assert.equal(idToken.iss, server.issuer());
      assert.equal(idToken.aud, 'web');
      assert.equal(idToken.nonce, pending.nonce);

      const userinfo = await client.fetchUserInfo(config, tokens.access_token, idToken.sub);
      assert.equal(userinfo.sub, idToken.sub);
      assert.equal(userinfo.given_name, 'Alice');
      assert.equal(userinfo.family_name, 'Liddell');
      assert.equal(userinfo.preferred_username, 'alice');
      assert.equal(userinfo.email, 'alice@example.com');
      assert.equal(userinfo.email_verified, true);
      assert.equal(userinfo.phone_number, undefined, 'phone was not requested');
    });

    test('the refresh token from the browser flow is rotated and the new access token is accepted by userinfo', async () => {
      const config = await configFor('web');
      const tokens = await signInAsAlice(config);
      assert.ok(tokens.refresh_token);

      const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
      assert.ok(refreshed.refresh_token);
      assert.notEqual(refreshed.refresh_token, tokens.refresh_token, 'a new refresh token replaces the used one');
      assert.notEqual(refreshed.access_token, tokens.access_token);

      const sub = tokens.claims()!.sub;
      const userinfo = await client.fetchUserInfo(config, refreshed.access_token, sub);
      assert.equal(userinfo.given_name, 'Alice');
    });

    test('a second client is signed in from the same browser session without seeing a login page', async () => {
      const first = await signInAsAlice(await configFor('web'));

      const trusted = await configFor('trusted');
      const pending = await authorization(trusted);
      const committed: string[] = [];
      page.on('framenavigated', (frame) => { if (frame === page.mainFrame()) committed.push(frame.url()); });
      await page.goto(pending.url.href);

      assert.ok(atRelyingParty(new URL(page.url())), `expected the callback, got ${page.url()}`);
      assert.deepEqual(committed.filter((url) => !atRelyingParty(new URL(url))), [], 'no Strix page was shown');
      const tokens = await redeem(trusted, pending);
      assert.equal(tokens.claims()!.sub, first.claims()!.sub);
      assert.equal(tokens.claims()!.sid, first.claims()!.sid, 'both ID tokens belong to one SSO session');
      assert.equal(tokens.claims()!.aud, 'trusted');
    });

    test('RP-initiated logout returns the browser to the client with its state and ends the SSO session', async () => {
      const config = await configFor('web');
      const tokens = await signInAsAlice(config);

      const logout = client.buildEndSessionUrl(config, {
        id_token_hint: tokens.id_token!, post_logout_redirect_uri: rp.postLogoutRedirectUri, state: 'bye-123',
      });
      await page.goto(logout.href);
      const back = new URL(page.url());
      assert.equal(`${back.origin}${back.pathname}`, rp.postLogoutRedirectUri);
      assert.equal(back.searchParams.get('state'), 'bye-123');

      const silent = await authorization(config, { prompt: 'none' });
      await page.goto(silent.url.href);
      const callback = new URL(page.url());
      assert.equal(callback.pathname, '/callback');
      assert.equal(callback.searchParams.get('error'), 'login_required');
      assert.equal(callback.searchParams.get('state'), silent.state);
      assert.equal(callback.searchParams.get('code'), null);
    });

    test('RP-initiated logout revokes the tokens issued in the ended session', async () => {
      const config = await configFor('web');
      const tokens = await signInAsAlice(config);

      await page.goto(client.buildEndSessionUrl(config, {
        id_token_hint: tokens.id_token!, post_logout_redirect_uri: rp.postLogoutRedirectUri,
      }).href);
      assert.ok(atRelyingParty(new URL(page.url())));

      await assert.rejects(client.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub), (error: any) => {
        assert.equal(error.status ?? error.cause?.status, 401);
        return true;
      });
      await assert.rejects(client.refreshTokenGrant(config, tokens.refresh_token!), (error: any) => {
        assert.equal(error.error, 'invalid_grant');
        return true;
      });
    });

    test('a wrong password shows the login page again with an error and sends nothing to the client', async () => {
      const config = await configFor('web');
      const pending = await authorization(config);
      const hitsBefore = rp.hits.length;

      await page.goto(pending.url.href);
      await submitSignIn('alice', 'not the password');

      assert.ok(!atRelyingParty(new URL(page.url())));
      assert.equal((await page.getByRole('alert').textContent())?.trim(), 'Invalid username or password.');
      assert.equal(await page.getByLabel('Username').inputValue(), 'alice');
      assert.equal(await page.getByLabel('Password').inputValue(), '');
      assert.ok(await page.getByRole('button', { name: 'Sign in' }).isVisible());
      assert.equal(rp.hits.length, hitsBefore, 'the relying party was not contacted');
      assert.equal((await context.cookies()).some((c) => c.name === 'strix_session'), false, 'no session was started');
    });
  });
}
