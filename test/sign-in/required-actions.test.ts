// Required actions (docs/email.md "Required actions"): set on a user (by the admin API or an
// administrator), they run after the password and before the client gets its code — verify the
// address by a code sent over SMTP, complete the profile, set up an authenticator app, accept the
// terms (declining sends access_denied to the client) — in order, each once.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Secret, TOTP } from 'otpauth';
import { adminApi, assertProblem, masterWithServiceAccounts, serviceToken } from '../helpers/admin-api.js';
import { databases } from '../helpers/databases.js';
import { eventually } from '../helpers/eventually.js';
import { password, testRealmWith } from '../helpers/realm.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { startSmtp, type TestSmtp } from '../helpers/smtp.js';
import { authorizeUrl, UserAgent, type Page } from '../helpers/user-agent.js';

const callback = 'http://127.0.0.1:3999/callback';
const people = ['vera', 'pat', 'tom', 'tess', 'otto', 'ella'];

for (const database of databases) {
  describe(`required actions (${database})`, () => {
    let smtp: TestSmtp;
    let server: TestServer;
    before(async () => {
      smtp = await startSmtp();
      const demo = testRealmWith({
        terms_url: 'https://example.com/terms', rate_limits: { email_per_address: { max: 1000 } }, registration_fields: ['given_name', 'website'],
        users: people.map((username) => ({ username, password, email: `${username}@example.com`, email_verified: username !== 'vera' })),
      }).realms[0]!;
      server = await startServer(database, { realms: [demo, masterWithServiceAccounts()] }, { env: smtp.env });
    });
    after(async () => {
      await server?.close();
      await smtp?.close();
    });

    const stored = async (username: string) => (await server.services.store.users.findByUsername('demo', username))!;
    async function withActions(username: string, actions: string[]) {
      await server.services.store.users.setRequiredActions((await stored(username)).id, actions, server.clock.now());
    }
    async function signIn(username: string, extra: Record<string, string> = {}): Promise<{ browser: UserAgent; page: Page }> {
      const browser = new UserAgent(server.url);
      const login = await browser.open(authorizeUrl(server.issuer(), { client_id: 'trusted', redirect_uri: callback, response_type: 'code', scope: 'openid', state: 's', ...extra }));
      return { browser, page: await browser.submit(login, { username, password }) };
    }
    const codeOf = (secret: string) => new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30 }).generate({ timestamp: server.clock.now() });
    const atClient = (page: Page) => page.location?.startsWith(callback) === true && new URL(page.location).searchParams.has('code');

    test('verify_email: a code sent over SMTP verifies the address, then the sign-in goes on', async () => {
      await withActions('vera', ['verify_email']);
      const { browser, page } = await signIn('vera');
      assert.equal(page.status, 200);
      assert.match(page.html, /Verify your e-mail address/);
      assert.equal(smtp.received.filter((m) => m.to.includes('vera@example.com')).length, 0, 'nothing is sent before the user asks');
      const sent = await browser.submit(page, {});
      assert.match(sent.html, /A code is on its way to vera@example\.com/);
      const mail = await eventually(() => smtp.received.find((m) => m.to.includes('vera@example.com')), 'the code');
      const code = mail.text.match(/asked for it: (\d{6})/)![1]!;
      // The page has two forms (the code, and "I followed the link"); the helper reads the first form's fields and the page's hidden ones, so the step is named.
      const wrong = await browser.submit(sent, { step: 'code', code: code === '000000' ? '111111' : '000000' });
      assert.equal(wrong.status, 400);
      const done = await browser.submit(sent, { step: 'code', code });
      assert.ok(atClient(done), `${done.status} ${done.html.match(/role="alert">([^<]*)/)?.[1] ?? done.html.slice(0, 200)}`);
      const user = await stored('vera');
      assert.equal(user.claims.email_verified, true);
      assert.deepEqual(user.requiredActions, []);
    });

    test('update_profile then terms_and_conditions, in that order; declining the terms sends access_denied', async () => {
      await withActions('pat', ['terms_and_conditions', 'update_profile']);
      const { browser, page } = await signIn('pat');
      assert.match(page.html, /Complete your profile/);
      assert.match(page.html, /<label for="website">/, 'the realm\'s other sign-up fields are asked too');
      const empty = await browser.submit(page, { given_name: '', family_name: '', website: '' });
      assert.equal(empty.status, 400);
      const notAUrl = await browser.submit(page, { given_name: 'Pat', family_name: 'Doe', website: 'javascript:alert(1)' });
      assert.equal(notAUrl.status, 400, 'each field is checked for its kind');
      const terms = await browser.submit(page, { given_name: 'Pat', family_name: 'Doe', website: 'https://pat.example' });
      assert.match(terms.html, /Terms of service/);
      assert.match(terms.html, /href="https:\/\/example.com\/terms"/);
      assert.equal((await stored('pat')).claims.given_name, 'Pat');
      assert.equal((await stored('pat')).claims.website, 'https://pat.example');
      const declined = await browser.submit(terms, {}, { name: 'decision', value: 'decline' });
      assert.equal(new URL(declined.location!).searchParams.get('error'), 'access_denied');
      assert.deepEqual((await stored('pat')).requiredActions, ['terms_and_conditions'], 'declined: still to do');

      const again = await signIn('pat');
      assert.match(again.page.html, /Terms of service/);
      const accepted = await again.browser.submit(again.page, {}, { name: 'decision', value: 'accept' });
      assert.ok(atClient(accepted));
      const user = await stored('pat');
      assert.deepEqual(user.requiredActions, []);
      assert.equal((user.claims.terms_accepted as { url: string }).url, 'https://example.com/terms');
    });

    test('configure_totp: the authenticator app set-up page, then the sign-in goes on', async () => {
      await withActions('tom', ['configure_totp']);
      const { browser, page } = await signIn('tom');
      const secret = page.html.match(/id="totp-secret">([A-Z2-7]+)</)?.[1];
      assert.ok(secret, page.html.slice(0, 400));
      const code = new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30 }).generate({ timestamp: server.clock.now() });
      const done = await browser.submit(page, { code });
      assert.ok(atClient(done) || /recovery/i.test(done.html), `${done.status} ${done.html.slice(0, 300)}`);
      const factors = await server.services.store.mfa.totp((await stored('tom')).id);
      assert.ok(factors, 'an authenticator app is set up');
    });

    test('prompt=none with an action pending answers interaction_required', async () => {
      await withActions('otto', ['update_profile']);
      const { browser, page } = await signIn('otto');
      assert.match(page.html, /Complete your profile/);
      const silent = await browser.open(authorizeUrl(server.issuer(), { client_id: 'trusted', redirect_uri: callback, response_type: 'code', scope: 'openid', state: 's', prompt: 'none' }));
      assert.equal(new URL(silent.location!).searchParams.get('error'), 'interaction_required');
    });

    test('execute-actions-email: the link sets up an authenticator app and accepts the terms, then goes to redirect_uri; it works once', async () => {
      const admin = adminApi(server, await serviceToken(server, 'ops-bot'));
      const ella = await stored('ella');
      const send = (query: string, actions: unknown) => admin('PUT', `/realms/demo/users/${ella.id}/execute-actions-email${query}`, actions);
      assertProblem(await send('', ['fly_to_the_moon']), 400);
      assertProblem(await send('?client_id=trusted&redirect_uri=https://evil.example/', ['update_profile']), 400, 'redirect_uri');
      assertProblem(await send(`?redirect_uri=${encodeURIComponent(callback)}`, ['update_profile']), 400, 'client_id');
      assertProblem(await send('?client_id=nobody', ['update_profile']), 400, 'client_id');
      const sent = await send(`?client_id=trusted&redirect_uri=${encodeURIComponent(callback)}`, ['terms_and_conditions', 'configure_totp']);
      assert.equal(sent.status, 204, JSON.stringify(sent.body));
      assert.deepEqual((await stored('ella')).requiredActions, ['configure_totp', 'terms_and_conditions'], 'left for the next sign-in should the link go unused');
      const mail = await eventually(() => smtp.received.find((m) => m.to.includes('ella@example.com')), 'the message');
      assert.equal(mail.subject, 'Your Demo account needs your attention');
      assert.match(mail.text, /set up an authenticator app, accept the terms of service/);
      const link = mail.text.split(/\s+/).find((word) => word.startsWith(`${server.issuer()}/login-actions/action-token?key=`))!;
      const browser = new UserAgent(server.url);

      const asked = await browser.open(link);
      assert.equal(asked.status, 200);
      assert.match(asked.html, /Update your account/);
      const setUp = await browser.submit(asked, {});
      assert.match(setUp.html, /id="totp-secret">([A-Z2-7]+)</);
      const secret = setUp.html.match(/id="totp-secret">([A-Z2-7]+)</)![1]!;
      const wrong = await browser.submit(setUp, { code: '000000' === codeOf(secret) ? '111111' : '000000' });
      assert.equal(wrong.status, 400);
      const codes = await browser.submit(wrong, { code: codeOf(secret) });
      assert.match(codes.html, /recovery-codes/);
      const terms = await browser.submit(codes, {});
      assert.match(terms.html, /Terms of service/);
      const end = await browser.submit(terms, {}, { name: 'decision', value: 'accept' });
      assert.equal(end.status, 303);
      assert.equal(end.location, callback);

      const after = await stored('ella');
      assert.deepEqual(after.requiredActions, []);
      assert.equal((after.claims.terms_accepted as { url: string }).url, 'https://example.com/terms');
      assert.ok(await server.services.store.mfa.totp(after.id), 'the authenticator app is set up');
      const reused = await browser.open(link);
      assert.equal(reused.status, 410);
      assert.match(reused.html, /This link has expired or was already used/);
    });

    test('the admin API takes every required action by name', async () => {
      const { requiredActions } = await import('../../src/admin/users.js');
      assert.deepEqual([...requiredActions], ['update_password', 'verify_email', 'update_profile', 'configure_totp', 'terms_and_conditions']);
    });
  });
}
