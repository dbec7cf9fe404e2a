// Passkeys (WebAuthn) in Chromium with its virtual authenticator (CDP WebAuthn domain): register a
// passkey on the account page, use it as the second factor after the password, and sign in with
// it alone from the sign-in page. Strix runs at http://localhost:PORT, a secure context whose host
// name is a valid relying party id.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import type { BrowserContext, Page } from 'playwright-core';
import { pagePerTest, skipWithoutChromium, submitSignInForm } from '../helpers/browser.js';
import { databases } from '../helpers/databases.js';
import { codeAt, withTotp } from '../helpers/mfa.js';
import { password, testRealmWith } from '../helpers/realm.js';
import { startRelyingParty, type RelyingParty } from '../helpers/relying-party.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { authorizeUrl, pkcePair, tokenRequest } from '../helpers/user-agent.js';

for (const database of databases) {
  describe(`passkeys (${database})`, () => {
    if (skipWithoutChromium()) return;
    let rp: RelyingParty;
    let server: TestServer;
    let context: BrowserContext;
    let page: Page;

    before(async () => {
      rp = await startRelyingParty();
      const users = ['carol', 'dave', 'erin'].map((username) => ({ username, password }));
      server = await startServer(database, testRealmWith({ users }, rp.base), { localhost: true });
    });
    after(async () => {
      await server?.close();
      await rp?.close();
    });
    pagePerTest(async (p, c) => {
      page = p;
      context = c;
      // A platform authenticator that holds discoverable credentials and verifies the user (as Touch ID would).
      const cdp = await context.newCDPSession(page);
      await cdp.send('WebAuthn.enable');
      await cdp.send('WebAuthn.addVirtualAuthenticator', {
        options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
      });
    });

    const atRelyingParty = (url: URL) => url.origin === rp.base;

    async function startAuthorization(params: Record<string, string> = {}): Promise<string> {
      const pair = pkcePair();
      await page.goto(authorizeUrl(server.issuer(), {
        client_id: 'trusted', redirect_uri: rp.redirectUri, response_type: 'code', scope: 'openid', state: 's', nonce: 'n',
        code_challenge: pair.challenge, code_challenge_method: 'S256', ...params,
      }));
      return pair.verifier;
    }

    async function signInWithPassword(username: string, params: Record<string, string> = {}): Promise<string> {
      const verifier = await startAuthorization(params);
      await submitSignInForm(page, username, password, (url) => atRelyingParty(url) || url.pathname.includes('/login-actions/'));
      return verifier;
    }

    async function idTokenClaims(verifier: string): Promise<Record<string, unknown>> {
      const code = new URL(page.url()).searchParams.get('code');
      assert.ok(code, `no code at ${page.url()}`);
      const tokens = await tokenRequest(server.issuer(), {
        grant_type: 'authorization_code', code, redirect_uri: rp.redirectUri, code_verifier: verifier, client_id: 'trusted', client_secret: 'trusted-secret',
      });
      assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
      return decodeJwt(tokens.body.id_token as string);
    }

    /** Signs `username` in with the password and registers a passkey on the account page. */
    async function registerPasskey(username: string): Promise<string> {
      const verifier = await signInWithPassword(username);
      const sub = (await idTokenClaims(verifier)).sub as string;
      await page.goto(`${server.issuer()}/account/mfa`);
      assert.ok(await page.getByText('Passkeys: 0.').isVisible());
      await Promise.all([page.waitForURL(/\/account\/mfa\/passkey$/), page.getByRole('button', { name: 'Register a passkey' }).click()]);
      assert.ok(await page.getByText('Your passkey was registered.').isVisible(), await page.content());
      assert.ok(await page.getByText('Passkeys: 1.').isVisible());
      return sub;
    }

    test('the pages load the WebAuthn scripts from Strix itself, under the CSP', async () => {
      const response = await page.request.get(`${server.url}/resources/webauthn/simplewebauthn-browser.js`);
      assert.equal(response.status(), 200);
      assert.match(await response.text(), /SimpleWebAuthnBrowser/);
      await startAuthorization();
      assert.ok(await page.getByRole('button', { name: 'Use a passkey' }).isVisible());
      assert.equal(await page.evaluate(() => typeof (window as unknown as { SimpleWebAuthnBrowser?: unknown }).SimpleWebAuthnBrowser), 'object');
    });

    test('a passkey registered on the account page is asked for after the password; the ID token says acr 3, amr pwd+hwk+user', async () => {
      await registerPasskey('carol');
      await context.clearCookies();
      const verifier = await signInWithPassword('carol');
      assert.ok(await page.getByRole('heading', { name: 'Confirm it is you' }).isVisible());
      assert.equal(await page.getByLabel('Verification code').count(), 0, 'no codes: carol has only a passkey');
      await Promise.all([page.waitForURL(atRelyingParty), page.getByRole('button', { name: 'Use a passkey' }).click()]);
      const claims = await idTokenClaims(verifier);
      assert.equal(claims.acr, '3');
      assert.deepEqual([...(claims.amr as string[])].sort(), ['hwk', 'mfa', 'pwd', 'user']);
    });

    test('"Use a passkey" on the sign-in page signs in without a username or password (discoverable credential, user verified)', async () => {
      const sub = await registerPasskey('dave');
      await context.clearCookies();
      const verifier = await startAuthorization();
      await Promise.all([page.waitForURL(atRelyingParty), page.getByRole('button', { name: 'Use a passkey' }).click()]);
      const claims = await idTokenClaims(verifier);
      assert.equal(claims.sub, sub);
      assert.equal(claims.acr, '3');
      assert.deepEqual([...(claims.amr as string[])].sort(), ['hwk', 'mfa', 'user']);
    });

    test('a forged passkey answer is refused and counted like a wrong code', async () => {
      await registerPasskey('erin');
      await context.clearCookies();
      await signInWithPassword('erin');
      await page.evaluate(() => {
        const form = document.querySelector('form.webauthn-form') as HTMLFormElement;
        (form.querySelector('input[name="credential"]') as HTMLInputElement).value = JSON.stringify({ id: 'forged', rawId: 'forged', type: 'public-key', response: {} });
        form.submit();
      });
      await page.waitForURL(/\/login-actions\/passkey$/);
      assert.ok(await page.getByText('The passkey could not be verified.').isVisible());
      const failures = await server.services.store.loginFailures.find('demo', ['user:erin']);
      assert.equal(failures[0]?.failures, 1);
    });

    test('step-up: acr_values=3 on a TOTP session (acr 2) asks for the passkey only, and upgrades it to acr 3', async () => {
      await registerPasskey('bob');
      const secret = await withTotp(server, 'bob');

      await context.clearCookies();
      const first = await signInWithPassword('bob');
      await page.getByLabel('Verification code').fill(codeAt(server, secret));
      await Promise.all([page.waitForURL(atRelyingParty), page.getByRole('button', { name: 'Verify' }).click()]);
      assert.equal((await idTokenClaims(first)).acr, '2');

      const verifier = await startAuthorization({ acr_values: '3' });
      assert.ok(await page.getByText('This application asks you to confirm with a passkey.').isVisible());
      assert.equal(await page.getByLabel('Verification code').count(), 0);
      await Promise.all([page.waitForURL(atRelyingParty), page.getByRole('button', { name: 'Use a passkey' }).click()]);
      const claims = await idTokenClaims(verifier);
      assert.equal(claims.acr, '3');
      assert.deepEqual([...(claims.amr as string[])].sort(), ['hwk', 'mfa', 'otp', 'pwd', 'user']);
    });
  });
}
