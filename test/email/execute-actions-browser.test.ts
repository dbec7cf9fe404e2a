// execute-actions-email as a person receives it (docs/email.md "Required actions"): an administrator
// asks for a new password, a completed profile and a verified address; Chromium follows the link
// from the message received over SMTP, runs every action, and sees the done page; the address is
// verified, nobody is signed in, and the link opened again says it was used.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { adminApi, masterWithServiceAccounts, serviceToken } from '../helpers/admin-api.js';
import { browserPerSuite, newContext, skipWithoutChromium, submitSignInForm } from '../helpers/browser.js';
import { databases } from '../helpers/databases.js';
import { eventually } from '../helpers/eventually.js';
import { password, testRealmWith } from '../helpers/realm.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { linkIn, startSmtp, type TestSmtp } from '../helpers/smtp.js';
import { authorizeUrl } from '../helpers/user-agent.js';

const chosen = 'a passphrase quinn chose';
const callback = 'http://127.0.0.1:3999/callback';

for (const database of databases) {
  describe(`execute-actions-email followed in the browser (${database})`, () => {
    if (skipWithoutChromium()) return;
    const browser = browserPerSuite();
    let smtp: TestSmtp;
    let server: TestServer;
    before(async () => {
      smtp = await startSmtp();
      const demo = testRealmWith({ users: [{ username: 'quinn', password, email: 'quinn@example.com', email_verified: false }] }).realms[0]!;
      server = await startServer(database, { realms: [demo, masterWithServiceAccounts()] }, { env: smtp.env });
    });
    after(async () => {
      await server?.close();
      await smtp?.close();
    });

    test('the link runs update_password, verify_email and update_profile, then the done page; used, it says so', async () => {
      const admin = adminApi(server, await serviceToken(server, 'ops-bot'));
      const quinn = (await server.services.store.users.findByUsername('demo', 'quinn'))!;
      const sent = await admin('PUT', `/realms/demo/users/${quinn.id}/execute-actions-email?lifespan=3600`, ['update_password', 'update_profile', 'verify_email']);
      assert.equal(sent.status, 204, JSON.stringify(sent.body));
      const mail = await eventually(() => smtp.received.find((m) => m.to.includes('quinn@example.com')), 'the message');
      assert.match(mail.text, /The link works once, within 1 hours\./);
      const link = linkIn(mail, `${server.issuer()}/login-actions/action-token?key=`);

      const context = await newContext(browser());
      const page = await context.newPage();
      try {
        await page.goto(link);
        assert.ok(await page.getByText('asks you to: choose a new password, verify your e-mail address, complete your profile').isVisible());
        await page.getByRole('button', { name: 'Continue' }).click();

        await page.getByLabel('New password', { exact: true }).fill(chosen);
        await page.getByLabel('Repeat the new password').fill(chosen);
        await page.getByRole('button', { name: 'Change password' }).click();

        await page.getByLabel('Given name').fill('Quinn');
        await page.getByLabel('Family name').fill('Fabray');
        await page.getByRole('button', { name: 'Continue' }).click();
        assert.ok(await page.getByRole('heading', { name: 'Account updated' }).isVisible());

        const after = (await server.services.store.users.findById(quinn.id))!;
        assert.equal(after.claims.email_verified, true);
        assert.equal(after.claims.given_name, 'Quinn');
        assert.deepEqual(after.requiredActions, []);

        // The link signed nobody in: the account console sends the browser to the sign-in page.
        await page.goto(`${server.issuer()}/account/`);
        assert.ok(await page.getByLabel('Username').isVisible(), 'the account console asks to sign in');

        const reused = await page.goto(link);
        assert.equal(reused?.status(), 410);
        assert.ok(await page.getByRole('heading', { name: 'Link expired' }).isVisible());

        // The new password is the one that signs in now, straight to the client: nothing is left to do.
        await page.goto(authorizeUrl(server.issuer(), { client_id: 'trusted', redirect_uri: callback, response_type: 'code', scope: 'openid', state: 's' }));
        const reached = page.waitForRequest((request) => request.url().startsWith(callback));
        await submitSignInForm(page, 'quinn', chosen);
        assert.ok(new URL((await reached).url()).searchParams.get('code'));
      } finally {
        await context.close();
      }
    });
  });
}
