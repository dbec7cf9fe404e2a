// TOTP second factor (RFC 6238) and recovery codes, as a user meets them in Chromium: set-up forced
// by policy, the code asked after the password, and the attacks on it — wrong codes, replayed
// codes, reused recovery codes, and skipping the factor by posting a later form directly.
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
import { authorizeUrl, parseForm, pkcePair, tokenRequest, UserAgent } from '../helpers/user-agent.js';

/** The test realm with a realm-wide MFA policy and brute-force limits small enough to reach. */
function realmWith(settings: Record<string, unknown>, base: string) {
  return testRealmWith({ users: ['carol', 'dave', 'erin', 'frank'].map((username) => ({ username, password, roles: ['admin'] })), ...settings }, base);
}

for (const database of databases) {
  describe(`TOTP second factor (${database})`, () => {
    if (skipWithoutChromium()) return;
    let rp: RelyingParty;
    let server: TestServer;
    let context: BrowserContext;
    let page: Page;

    before(async () => {
      rp = await startRelyingParty();
      server = await startServer(database, realmWith({ mfa: { required_for_roles: ['admin'] }, brute_force: { failure_factor: 3 } }, rp.base));
    });
    after(async () => {
      await server?.close();
      await rp?.close();
    });
    pagePerTest((p, c) => { page = p; context = c; });

    const atRelyingParty = (url: URL) => url.origin === rp.base;

    /** Starts a code flow for the `trusted` client and signs in with the password; returns the PKCE verifier. */
    async function signInWithPassword(username: string, params: Record<string, string> = {}): Promise<string> {
      const pair = pkcePair();
      await page.goto(authorizeUrl(server.issuer(), {
        client_id: 'trusted', redirect_uri: rp.redirectUri, response_type: 'code', scope: 'openid', state: 's1', nonce: 'n1',
        code_challenge: pair.challenge, code_challenge_method: 'S256', ...params,
      }));
      await submitSignInForm(page, username, password, (url) => atRelyingParty(url) || url.pathname.includes('/login-actions/'));
      return pair.verifier;
    }

    async function submitCode(code: string): Promise<void> {
      await page.getByLabel('Verification code').fill(code);
      await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Verify' }).click()]);
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

    /** An admin (MFA is required for admins) sets up TOTP at their first sign-in; returns the secret and recovery codes. */
    async function enrol(username: string): Promise<{ secret: string; recoveryCodes: string[]; claims: Record<string, unknown> }> {
      const verifier = await signInWithPassword(username);
      assert.ok(await page.getByRole('heading', { name: 'Set up two-step verification' }).isVisible());
      assert.ok(await page.getByRole('img', { name: 'QR code for your authenticator app' }).isVisible());
      const secret = (await page.locator('#totp-secret').textContent())!.trim();
      await submitCode(codeAt(server, secret));
      assert.ok(await page.getByRole('heading', { name: 'Save your recovery codes' }).isVisible());
      const recoveryCodes = (await page.locator('.recovery-codes code').allTextContents()).map((c) => c.trim());
      await Promise.all([page.waitForURL((url) => atRelyingParty(url)), page.getByRole('button', { name: 'Continue' }).click()]);
      return { secret, recoveryCodes, claims: await idTokenClaims(verifier) };
    }

    test('a required second factor is set up at sign-in with the QR code page, and the ID token says acr 2 with amr pwd+otp', async () => {
      const { secret, recoveryCodes, claims } = await enrol('alice');
      assert.match(secret, /^[A-Z2-7]{32}$/);
      assert.equal(recoveryCodes.length, 10);
      assert.equal(new Set(recoveryCodes).size, 10);
      assert.equal(claims.acr, '2');
      assert.deepEqual([...(claims.amr as string[])].sort(), ['mfa', 'otp', 'pwd']);

      // Next time, the code is asked for right after the password.
      await context.clearCookies();
      const verifier = await signInWithPassword('alice');
      assert.ok(await page.getByRole('heading', { name: 'Confirm it is you' }).isVisible());
      server.clock.advance(30);
      await submitCode(codeAt(server, secret));
      assert.ok(atRelyingParty(new URL(page.url())), page.url());
      assert.equal((await idTokenClaims(verifier)).acr, '2');
    });

    test('a wrong code is refused and counted: after three, the account is locked even for the right code', async () => {
      const { secret } = await enrol('carol');
      await context.clearCookies();
      await signInWithPassword('carol');
      for (let i = 0; i < 2; i++) {
        await submitCode('000000' === codeAt(server, secret) ? '111111' : '000000');
        assert.ok(await page.getByText('That code is not valid.').isVisible());
      }
      await submitCode('123456' === codeAt(server, secret) ? '654321' : '123456');
      assert.ok(await page.getByText('Too many failed attempts.').isVisible());
      server.clock.advance(30);
      await submitCode(codeAt(server, secret));
      assert.ok(await page.getByText('Too many failed attempts.').isVisible(), 'locked: even the right code is refused');
      assert.ok(!atRelyingParty(new URL(page.url())));
      server.clock.advance(120);
    });

    test('a TOTP code that was used once is refused when replayed in another browser', async () => {
      const { secret } = await enrol('dave');
      server.clock.advance(30);
      const code = codeAt(server, secret);
      await context.clearCookies();
      await signInWithPassword('dave');
      await submitCode(code);
      assert.ok(atRelyingParty(new URL(page.url())));

      await context.clearCookies();
      await signInWithPassword('dave');
      await submitCode(code);
      assert.ok(await page.getByText('That code is not valid.').isVisible(), 'the replayed code is refused');
      server.clock.advance(30);
      await submitCode(codeAt(server, secret));
      assert.ok(atRelyingParty(new URL(page.url())), 'the next time step is accepted');
    });

    test('a recovery code replaces a TOTP code once, and only once', async () => {
      const { recoveryCodes } = await enrol('erin');
      await context.clearCookies();
      const verifier = await signInWithPassword('erin');
      await submitCode(recoveryCodes[3]!);
      assert.ok(atRelyingParty(new URL(page.url())), page.url());
      assert.equal((await idTokenClaims(verifier)).acr, '2');

      await context.clearCookies();
      await signInWithPassword('erin');
      await submitCode(recoveryCodes[3]!);
      assert.ok(await page.getByText('That code is not valid.').isVisible(), 'a spent recovery code is refused');
      await submitCode(recoveryCodes[4]!);
      assert.ok(atRelyingParty(new URL(page.url())));
    });

    test('a user without a required factor signs in with the password alone (acr 1, amr pwd)', async () => {
      const verifier = await signInWithPassword('bob');
      assert.ok(atRelyingParty(new URL(page.url())), page.url());
      const claims = await idTokenClaims(verifier);
      assert.equal(claims.acr, '1');
      assert.deepEqual(claims.amr, ['pwd']);
    });

    test('a user sets up TOTP voluntarily on the account page, and is then asked for it at sign-in', async () => {
      await signInWithPassword('bob');
      await page.goto(`${server.issuer()}/account/mfa`);
      assert.ok(await page.getByText('Authenticator app: not set up.').isVisible());
      await Promise.all([page.waitForURL(/\/account\/mfa\/totp$/), page.getByRole('link', { name: 'Set up two-step verification' }).click()]);
      const secret = (await page.locator('#totp-secret').textContent())!.trim();
      await submitCode('999999' === codeAt(server, secret) ? '999998' : '999999');
      assert.ok(await page.getByText('That code is not valid.').isVisible(), 'a wrong first code does not activate it');
      await submitCode(codeAt(server, secret));
      assert.equal(await page.locator('.recovery-codes code').count(), 10);
      await Promise.all([page.waitForURL(/\/account\/mfa$/), page.getByRole('link', { name: 'Continue' }).click()]);
      assert.ok(await page.getByText('Authenticator app: set up.').isVisible());

      await context.clearCookies();
      await signInWithPassword('bob');
      assert.ok(await page.getByRole('heading', { name: 'Confirm it is you' }).isVisible());
    });

    test('the account page without a session has the browser sign in first, as the account console\'s client', async () => {
      const response = await page.goto(`${server.issuer()}/account/mfa`);
      assert.equal(response?.status(), 200);
      assert.equal(new URL(page.url()).searchParams.get('client_id'), 'strix-account-console');
      assert.ok(await page.getByRole('button', { name: 'Sign in', exact: true }).isVisible());
    });
  });

  describe(`a required second factor cannot be skipped (${database})`, () => {
    let server: TestServer;
    before(async () => { server = await startServer(database, realmWith({ mfa: 'required' }, 'http://127.0.0.1:3999')); });
    after(async () => { await server?.close(); });

    /** Signs in with the password for `client`; returns the user agent on the page that follows. */
    async function afterPassword(client: 'web' | 'trusted', username = 'alice') {
      const agent = new UserAgent(server.url);
      const login = await agent.open(authorizeUrl(server.issuer(), {
        client_id: client, redirect_uri: 'http://127.0.0.1:3999/callback', response_type: 'code', scope: 'openid', state: 's',
        code_challenge: pkcePair().challenge, code_challenge_method: 'S256',
      }));
      const next = await agent.submit(login, { username, password });
      return { agent, next, form: parseForm(next.html) };
    }

    test('posting the consent form straight after the password is refused; no code is issued', async () => {
      const { agent, next, form } = await afterPassword('web');
      assert.match(next.html, /Set up two-step verification/);
      const consent = await agent.request(`${server.issuer()}/login-actions/consent`, {
        form: { csrf: form.fields.csrf!, interaction: form.fields.interaction!, decision: 'allow' },
      });
      assert.equal(consent.status, 403);
      assert.equal(consent.location, undefined);
    });

    test('the set-up pages of two sign-ins show different secrets; the one confirmed leaves the other useless', async () => {
      const attacker = await afterPassword('trusted', 'bob');
      const user = await afterPassword('trusted', 'bob');
      const secretOf = (html: string) => /id="totp-secret">([A-Z2-7]+)</.exec(html)?.[1] ?? assert.fail('no secret on the page');
      const stolen = secretOf(attacker.next.html);
      const secret = secretOf(user.next.html);
      assert.notEqual(secret, stolen);
      server.clock.advance(30);
      const refused = await attacker.agent.submit(attacker.next, { code: codeAt(server, secret) });
      assert.equal(refused.status, 401, 'a session cannot confirm the secret another session was shown');
      const confirmed = await user.agent.submit(user.next, { code: codeAt(server, secret) });
      assert.equal(confirmed.status, 200);
      assert.match(confirmed.html, /recovery codes/i);
      server.clock.advance(30);
      const late = await attacker.agent.submit(attacker.next, { code: codeAt(server, stolen) });
      assert.notEqual(late.status, 200);
      assert.equal(late.location, undefined, 'no redirect to the client');
    });

    test('a set-up page\'s secret expires after 10 minutes: its code is refused and a new secret is shown', async () => {
      const { agent, next } = await afterPassword('trusted', 'carol');
      const secretOf = (html: string) => /id="totp-secret">([A-Z2-7]+)</.exec(html)?.[1] ?? assert.fail('no secret on the page');
      server.clock.advance(11 * 60);
      const refused = await agent.submit(next, { code: codeAt(server, secretOf(next.html)) });
      assert.equal(refused.status, 401);
      assert.equal(refused.location, undefined, 'no redirect to the client');
      assert.notEqual(secretOf(refused.html), secretOf(next.html), 'a new secret to scan');
    });

    test('resuming the sign-in directly shows the factor again instead of returning to the client', async () => {
      const { agent, form } = await afterPassword('trusted');
      const resumed = await agent.request(`${server.issuer()}/login-actions/continue`, {
        form: { csrf: form.fields.csrf!, interaction: form.fields.interaction! },
      });
      assert.equal(resumed.location, undefined, 'no redirect to the client');
      assert.match(resumed.html, /Set up two-step verification/);
    });

    test('a new authorization request in the same browser asks for the factor again, and prompt=none gets interaction_required', async () => {
      const { agent } = await afterPassword('trusted');
      const again = await agent.open(authorizeUrl(server.issuer(), {
        client_id: 'trusted', redirect_uri: 'http://127.0.0.1:3999/callback', response_type: 'code', scope: 'openid', state: 's2',
        code_challenge: pkcePair().challenge, code_challenge_method: 'S256',
      }));
      assert.equal(again.location, undefined);
      assert.match(again.html, /Set up two-step verification/);
      const silent = await agent.open(authorizeUrl(server.issuer(), {
        client_id: 'trusted', redirect_uri: 'http://127.0.0.1:3999/callback', response_type: 'code', scope: 'openid', state: 's3', prompt: 'none',
        code_challenge: pkcePair().challenge, code_challenge_method: 'S256',
      }));
      assert.equal(new URL(silent.location!).searchParams.get('error'), 'interaction_required');
    });

    test('wrong codes add up across password sign-ins: a correct password in between does not reset the count', async () => {
      await withTotp(server, 'frank');
      let locked = false;
      for (let round = 0; round < 3 && !locked; round++) {
        const { agent, next } = await afterPassword('trusted', 'frank');
        assert.match(next.html, /Confirm it is you/, `round ${round}: the password is still accepted`);
        for (let i = 0; i < 2 && !locked; i++) {
          const answer = await agent.submit(next, { code: '000000' });
          locked = answer.status === 429;
          if (!locked) assert.equal(answer.status, 401);
        }
      }
      assert.ok(locked, 'the fifth wrong code locks the account (failure_factor 5)');
    });
  });
}
