// Self-registration and e-mail verification (docs/email.md), through the forms: the sign-up link
// only where the realm opens it, the verification message over SMTP with its link and its code,
// a sign-in refused until the address is verified (the realm's choice), and an address that already
// has an account answered with the same page while its owner is told.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { databases } from '../helpers/databases.js';
import { eventually, eventuallyAsync } from '../helpers/eventually.js';
import { testRealm } from '../helpers/realm.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { linkIn, startSmtp, type ReceivedMail, type TestSmtp } from '../helpers/smtp.js';
import { authorizeUrl, isLoginPage, UserAgent, type Page } from '../helpers/user-agent.js';

const newPassword = 'a sign-up passphrase for tests';

function registrationRealm() {
  const file = testRealm();
  const demo = file.realms[0]! as Record<string, unknown>;
  Object.assign(demo, {
    user_registration: true, sign_in_requires_verified_email: true, registration_fields: ['given_name'],
    rate_limits: { user_registration_per_ip: { max: 1000 }, email_per_address: { max: 1000 } },
  });
  const trusted = (file.realms[0]!.clients as Record<string, unknown>[]).find((c) => c.client_id === 'trusted');
  file.realms.push({ name: 'closed', display_name: 'Closed', clients: [trusted] } as never);
  file.realms.push({ name: 'terms', display_name: 'Terms', clients: [trusted], user_registration: true, terms_url: 'https://example.com/terms' } as never);
  return file;
}

for (const database of databases) {
  describe(`self-registration and e-mail verification (${database})`, () => {
    let smtp: TestSmtp;
    let server: TestServer;
    before(async () => {
      smtp = await startSmtp();
      server = await startServer(database, registrationRealm(), { env: smtp.env });
    });
    after(async () => {
      await server?.close();
      await smtp?.close();
    });

    const signInPage = (browser: UserAgent, realm = 'demo') => browser.open(authorizeUrl(server.issuer(realm), {
      client_id: 'trusted', redirect_uri: 'http://127.0.0.1:3999/callback', response_type: 'code', scope: 'openid', state: 's',
    }));
    const mailsTo = (address: string) => smtp.received.filter((m) => m.to.includes(address));
    const nextMail = (address: string, seen: number): Promise<ReceivedMail> => eventually(() => mailsTo(address)[seen], `message ${seen + 1} to ${address}`);

    async function signUp(fields: Record<string, string>, browser = new UserAgent(server.url)): Promise<Page> {
      const login = await signInPage(browser);
      const href = login.html.match(/<a href="([^"]*)">Create an account<\/a>/)?.[1];
      assert.ok(href, 'the sign-in page links to the sign-up page');
      const form = await browser.open(new URL(href, login.url).href);
      assert.equal(form.status, 200);
      return browser.submit(form, { given_name: 'Test', password: newPassword, password_confirm: newPassword, ...fields });
    }

    const signIn = async (username: string, secret: string) => {
      const browser = new UserAgent(server.url);
      return browser.submit(await signInPage(browser), { username, password: secret });
    };
    const atClient = (page: Page) => page.location?.startsWith('http://127.0.0.1:3999/callback') ?? false;
    const verified = async (username: string) => (await server.services.store.users.findByUsername('demo', username))?.claims.email_verified;

    test('a sign-up sends a verification link; until it is followed the account may not sign in, then it may', async () => {
      const answer = await signUp({ username: 'ivan', email: 'ivan@example.com' });
      assert.equal(answer.status, 200);
      assert.match(answer.html, /Check your e-mail/);
      const mail = await nextMail('ivan@example.com', 0);
      assert.equal(mail.subject, 'Confirm your e-mail address for Demo');
      assert.equal(await verified('ivan'), false);

      const refused = await signIn('ivan', newPassword);
      assert.equal(refused.status, 403);
      assert.match(refused.html, /Confirm your e-mail address before you sign in/);
      // The refused sign-in sent a new message, whose link replaces the first one's.
      const again = await nextMail('ivan@example.com', 1);
      const browser = new UserAgent(server.url);
      assert.equal((await browser.open(linkIn(mail, `${server.issuer()}/login-actions/verify-email?token=`))).status, 410);
      const link = linkIn(again, `${server.issuer()}/login-actions/verify-email?token=`);
      const confirm = await browser.open(link);
      assert.equal(confirm.status, 200);
      assert.match(confirm.html, /ivan@example\.com/);
      const done = await browser.submit(confirm, {});
      assert.match(done.html, /Address confirmed/);
      assert.equal(await verified('ivan'), true);
      assert.equal((await server.services.store.users.findByUsername('demo', 'ivan'))?.claims.given_name, 'Test');
      assert.ok(atClient(await signIn('ivan', newPassword)));
      assert.equal((await browser.open(link)).status, 410, 'the link works once');
    });

    test('the 6-digit code in the message verifies the address from the page that asked for it', async () => {
      const browser = new UserAgent(server.url);
      const answer = await signUp({ username: 'judy', email: 'judy@example.com' }, browser);
      const mail = await nextMail('judy@example.com', 0);
      const code = mail.text.match(/code on the page that asked for it: (\d{6})/)?.[1];
      assert.ok(code, mail.text);
      const wrong = await browser.submit(answer, { code: code === '000000' ? '111111' : '000000' });
      assert.equal(wrong.status, 400);
      assert.match(wrong.html, /This code is not valid or has expired/);
      const done = await browser.submit(wrong, { code });
      assert.match(done.html, /Address confirmed/);
      assert.equal(await verified('judy'), true);
    });

    test('a code stops working after five wrong tries', async () => {
      const browser = new UserAgent(server.url);
      let page = await signUp({ username: 'kim', email: 'kim@example.com' }, browser);
      const code = (await nextMail('kim@example.com', 0)).text.match(/asked for it: (\d{6})/)![1]!;
      const wrongCode = code === '123456' ? '654321' : '123456';
      for (let i = 0; i < 5; i++) page = await browser.submit(page, { code: wrongCode });
      const late = await browser.submit(page, { code });
      assert.equal(late.status, 400);
      assert.equal(await verified('kim'), false);
    });

    test('a sign-in refused for an unverified address sends a verification, whose code then lets the sign-in through', async () => {
      await signUp({ username: 'leo', email: 'leo@example.com' });
      await nextMail('leo@example.com', 0);
      const browser = new UserAgent(server.url);
      const refused = await browser.submit(await signInPage(browser), { username: 'leo', password: newPassword });
      assert.equal(refused.status, 403);
      const code = (await nextMail('leo@example.com', 1)).text.match(/asked for it: (\d{6})/)![1]!;
      assert.match((await browser.submit(refused, { code })).html, /Address confirmed/);
      assert.ok(atClient(await signIn('leo', newPassword)));
    });

    test('an address that has an account gets the same page, nothing is created, and its owner is told', async () => {
      const fresh = await signUp({ username: 'mallory', email: 'mallory@example.com' });
      const taken = await signUp({ username: 'mallory2', email: 'Alice@example.com' });
      assert.equal(taken.status, fresh.status);
      const shape = (page: Page, email: string) => page.html.replace(/name="verification" value="[^"]*"/, '').replaceAll(email, 'EMAIL').replace(/name="csrf" value="[^"]*"/, '');
      assert.equal(shape(taken, 'Alice@example.com'), shape(fresh, 'mallory@example.com'));
      const notice = await nextMail('alice@example.com', 0);
      assert.equal(notice.subject, 'Someone tried to create a Demo account with your address');
      assert.equal(await server.services.store.users.findByUsername('demo', 'mallory2'), undefined);
    });

    test('a taken username, a common password and a missing field are refused on the form', async () => {
      const taken = await signUp({ username: 'bob', email: 'new-bob@example.com' });
      assert.equal(taken.status, 400);
      assert.match(taken.html, /This username is taken/);
      const common = await signUp({ username: 'nina', email: 'nina@example.com', password: 'password123', password_confirm: 'password123' });
      assert.equal(common.status, 400);
      assert.match(common.html, /most commonly used/);
      const missing = await signUp({ username: 'nina', email: 'nina@example.com', given_name: '' });
      assert.equal(missing.status, 400);
      assert.match(missing.html, /Fill in every field/);
      assert.equal(await server.services.store.users.findByUsername('demo', 'nina'), undefined);
    });

    test('where the realm has terms, the form links them and refuses a sign-up that does not accept them', async () => {
      const browser = new UserAgent(server.url);
      const login = await signInPage(browser, 'terms');
      const href = login.html.match(/<a href="([^"]*)">Create an account<\/a>/)![1]!;
      const form = await browser.open(new URL(href, login.url).href);
      assert.match(form.html, /<input type="checkbox" name="terms" value="accept" required/);
      assert.match(form.html, /href="https:\/\/example.com\/terms"/);
      const fields = { username: 'tara', email: 'tara@example.com', password: newPassword, password_confirm: newPassword };
      const refused = await browser.submit(form, fields);
      assert.equal(refused.status, 400);
      assert.match(refused.html, /Accept the terms of service to create an account/);
      assert.equal(await server.services.store.users.findByUsername('terms', 'tara'), undefined);
      const accepted = await browser.submit(form, { ...fields, terms: 'accept' });
      assert.equal(accepted.status, 200, accepted.html.slice(0, 300));
      // The account is written just after the answer (so that a taken address answers as fast).
      const user = await eventuallyAsync(() => server.services.store.users.findByUsername('terms', 'tara'), 'the new account');
      assert.deepEqual((user.claims.terms_accepted as { url: string }).url, 'https://example.com/terms');
    });

    test('where the realm does not open sign-up, the sign-in page has no link and the page does not exist', async () => {
      const browser = new UserAgent(server.url);
      const login = await signInPage(browser, 'closed');
      assert.ok(isLoginPage(login));
      assert.doesNotMatch(login.html, /Create an account/);
      assert.match(login.html, /Forgot password\?/);
      assert.equal((await browser.open(`${server.issuer('closed')}/login-actions/registration`)).status, 404);
    });
  });
}
