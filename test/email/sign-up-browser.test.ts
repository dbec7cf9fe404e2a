// Self-registration as a person does it (docs/email.md): Chromium follows "Create an account" from
// the sign-in page, the verification message arrives over SMTP, the link is followed, and the new
// account signs in to an openid-client relying party, which sees a verified address.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as client from 'openid-client';
import type { Browser } from 'playwright-core';
import { chromiumAvailable, chromiumPath, launchBrowser } from '../helpers/browser.js';
import { databases } from '../helpers/databases.js';
import { eventually } from '../helpers/eventually.js';
import { testRealm } from '../helpers/realm.js';
import { startRelyingParty, type RelyingParty } from '../helpers/relying-party.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { linkIn, startSmtp, type TestSmtp } from '../helpers/smtp.js';

const canRun = chromiumAvailable() || process.env.CI === 'true';
const secret = 'my own sign-up passphrase';

for (const database of databases) {
  describe(`a person signs up in the browser and signs in to a client (${database})`, () => {
    if (!canRun) {
      test.skip(`Chromium is not installed at ${chromiumPath} (set STRIX_TEST_CHROMIUM): browser tests are skipped`);
      return;
    }
    let rp: RelyingParty;
    let smtp: TestSmtp;
    let server: TestServer;
    let browser: Browser;
    before(async () => {
      rp = await startRelyingParty();
      smtp = await startSmtp();
      const realm = testRealm(rp.base);
      Object.assign(realm.realms[0]!, { user_registration: true, sign_in_requires_verified_email: true, registration_fields: ['given_name'] });
      server = await startServer(database, realm, { env: smtp.env });
      browser = await launchBrowser();
    });
    after(async () => {
      await browser?.close();
      await server?.close();
      await smtp?.close();
      await rp?.close();
    });

    test('sign up, confirm the address from the message, then sign in to the client', async () => {
      const context = await browser.newContext({ locale: 'en-US' });
      context.setDefaultTimeout(15_000);
      const page = await context.newPage();
      const config = await client.discovery(new URL(server.issuer()), 'trusted', 'trusted-secret', client.ClientSecretPost('trusted-secret'), { execute: [client.allowInsecureRequests] });
      const authorize = async () => {
        const verifier = client.randomPKCECodeVerifier();
        const state = client.randomState();
        const url = client.buildAuthorizationUrl(config, {
          redirect_uri: rp.redirectUri, scope: 'openid profile email', state, code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
        });
        return { url, verifier, state };
      };
      try {
        await page.goto((await authorize()).url.href);
        await page.getByRole('link', { name: 'Create an account' }).click();
        await page.getByLabel('Username').fill('olivia');
        await page.getByLabel('Email').fill('olivia@example.com');
        await page.getByLabel('Given name').fill('Olivia');
        await page.getByLabel('Password', { exact: true }).fill(secret);
        await page.getByLabel('Repeat the password').fill(secret);
        await page.getByRole('button', { name: 'Create account' }).click();
        assert.ok(await page.getByRole('heading', { name: 'Check your e-mail' }).isVisible());

        const mail = await eventually(() => smtp.received.find((m) => m.to.includes('olivia@example.com')), 'the verification message');
        assert.equal(mail.secure, true);
        await page.goto(linkIn(mail, `${server.issuer()}/login-actions/verify-email?token=`));
        await page.getByRole('button', { name: 'Confirm' }).click();
        assert.ok(await page.getByRole('heading', { name: 'Address confirmed' }).isVisible());

        const pending = await authorize();
        await page.goto(pending.url.href);
        await page.getByLabel('Username').fill('olivia');
        await page.getByLabel('Password').fill(secret);
        await Promise.all([page.waitForURL((url) => url.origin === rp.base), page.getByRole('button', { name: 'Sign in' }).click()]);
        const tokens = await client.authorizationCodeGrant(config, new URL(page.url()), { pkceCodeVerifier: pending.verifier, expectedState: pending.state });
        const sub = tokens.claims()!.sub;
        const info = await client.fetchUserInfo(config, tokens.access_token, sub);
        assert.equal(info.email, 'olivia@example.com');
        assert.equal(info.email_verified, true);
        assert.equal(info.given_name, 'Olivia');
      } finally {
        await context.close();
      }
    });
  });
}
