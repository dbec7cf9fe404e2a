// Sign-in by e-mail code and link (docs/email.md): the code arrives over SMTP and signs in to a
// client with amr "otp"; the page is the same for unknown, unverified and real accounts; wrong
// codes count toward brute-force protection; a code works once and not after its lifetime; the
// link works once, and only in the browser that asked for it; MFA still applies after a code; a
// client's own email_sign_in replaces the realm's for its sign-ins.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { databases } from '../helpers/databases.js';
import { eventually } from '../helpers/eventually.js';
import { redeem, redirectUriOf } from '../helpers/flows.js';
import { withTotp } from '../helpers/mfa.js';
import { password, testRealmWith } from '../helpers/realm.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { linkIn, startSmtp, type TestSmtp } from '../helpers/smtp.js';
import { authorizeUrl, callbackParams, isConsentPage, isLoginPage, pkcePair, UserAgent, type Page } from '../helpers/user-agent.js';

const people = ['ivan', 'judy', 'mallory', 'niaj', 'olivia', 'peggy', 'rupert', 'sybil', 'trent'];

function emailSignInRealm() {
  return testRealmWith({
    email_sign_in: 'code_and_link',
    clients: [{
      client_id: 'quiet', client_secret: 'quiet-secret', redirect_uris: [redirectUriOf.trusted], grant_types: ['authorization_code'],
      token_endpoint_auth_method: 'client_secret_post', scope: 'openid', email_sign_in: 'off',
    }],
    brute_force: { failure_factor: 3 },
    rate_limits: { email_sign_in_per_ip: { max: 1000 }, email_per_address: { max: 1000 } },
    users: [
      ...people.map((name) => ({ username: name, password, email: `${name}@example.com`, email_verified: true })),
      { username: 'victor', password, email: 'victor@example.com', email_verified: false },
      { username: 'wendy', password, email: 'wendy@example.com', email_verified: true, enabled: false },
    ],
  });
}

for (const database of databases) {
  describe(`sign-in by e-mail code (${database})`, () => {
    let smtp: TestSmtp;
    let server: TestServer;
    before(async () => {
      smtp = await startSmtp();
      server = await startServer(database, emailSignInRealm(), { env: smtp.env });
    });
    after(async () => {
      await server?.close();
      await smtp?.close();
    });

    const mailsTo = (address: string) => smtp.received.filter((m) => m.to.includes(address));

    /** Opens the sign-in page of a code-flow request of the `trusted` client; returns it and the PKCE verifier. */
    async function signInPage(browser: UserAgent): Promise<{ page: Page; verifier: string }> {
      const { verifier, challenge } = pkcePair();
      const page = await browser.open(authorizeUrl(server.issuer(), {
        client_id: 'trusted', redirect_uri: redirectUriOf.trusted, response_type: 'code', scope: 'openid', state: 's',
        code_challenge: challenge, code_challenge_method: 'S256',
      }));
      assert.ok(isLoginPage(page), page.html.slice(0, 300));
      return { page, verifier };
    }

    /** Presses `Email me a sign-in code` on the sign-in page with `username` typed in. */
    async function askForCode(browser: UserAgent, page: Page, username: string): Promise<Page> {
      const button = page.html.match(/formaction="([^"]*)"[^>]*>\s*Email me a sign-in code/);
      assert.ok(button, 'the sign-in page offers a code by e-mail');
      const fields = Object.fromEntries([...page.html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
      return browser.open(new URL(button[1]!.replace(/&amp;/g, '&'), page.url).href, { form: { ...fields, username } });
    }

    /** Waits for message number `index` to `address` and returns its code and link. */
    async function messageFor(address: string, index: number): Promise<{ code: string; link: string; subject: string }> {
      const mail = await eventually(() => mailsTo(address)[index], `sign-in message ${index} to ${address}`);
      const code = mail.text.match(/Your sign-in code: (\d{6})/)?.[1];
      assert.ok(code, mail.text);
      return { code, link: linkIn(mail, `${server.issuer()}/login-actions/email-link?`), subject: mail.subject };
    }

    /** Presses `Send a new code` on the code page (its second form). */
    async function sendNewCode(browser: UserAgent, page: Page): Promise<Page> {
      const form = page.html.split('<form').slice(1).find((html) => html.includes('Send a new code'));
      assert.ok(form, 'the code page offers a new code');
      const action = form.match(/action="([^"]*)"/)![1]!.replace(/&amp;/g, '&');
      const fields = Object.fromEntries([...form.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
      return browser.open(new URL(action, page.url).href, { form: fields });
    }

    const typeCode = (browser: UserAgent, page: Page, code: string) => browser.submit(page, { code });

    test('the code arrives by e-mail and signs in to the client; the tokens say otp', async () => {
      const browser = new UserAgent(server.url);
      const { page, verifier } = await signInPage(browser);
      const codePage = await askForCode(browser, page, 'ivan');
      assert.equal(codePage.status, 200);
      assert.match(codePage.html, /Enter your sign-in code/);
      const { code, subject } = await messageFor('ivan@example.com', 0);
      assert.equal(subject, 'Your Demo sign-in code');
      let next = await typeCode(browser, codePage, code);
      if (isConsentPage(next)) next = await browser.submit(next, {}, { name: 'decision', value: 'allow' });
      const callback = callbackParams(next);
      const tokens = await redeem(server, 'trusted', { code: callback.get('code')!, verifier, redirectUri: redirectUriOf.trusted, state: 's', callback });
      assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
      const idToken = decodeJwt(tokens.body.id_token as string);
      assert.deepEqual(idToken.amr, ['otp']);
      assert.equal(idToken.acr, '1');
    });

    test('the account may be named by its address; the same code does not work twice', async () => {
      const browser = new UserAgent(server.url);
      const { page } = await signInPage(browser);
      const codePage = await askForCode(browser, page, 'Judy@Example.com');
      const { code } = await messageFor('judy@example.com', 0);
      const done = await typeCode(browser, codePage, code);
      assert.ok(done.location?.startsWith(redirectUriOf.trusted) || isConsentPage(done), done.html.slice(0, 300));

      const again = new UserAgent(server.url);
      const second = await askForCode(again, (await signInPage(again)).page, 'judy');
      // The first code, typed with the first page's challenge into a new sign-in: used once already.
      const firstChallenge = codePage.html.match(/name="challenge" value="([^"]*)"/)![1]!;
      const replayed = await typeCode(again, { ...second, html: second.html.replace(/name="challenge" value="[^"]*"/, `name="challenge" value="${firstChallenge}"`) }, code);
      assert.equal(replayed.status, 401);
      assert.match(replayed.html, /That code is not right, or it has expired/);
    });

    test('unknown, unverified and disabled accounts get the same page, and no message', async () => {
      const pages: Page[] = [];
      for (const username of ['nobody-here', 'victor', 'wendy', 'mallory']) {
        const browser = new UserAgent(server.url);
        pages.push(await askForCode(browser, (await signInPage(browser)).page, username));
      }
      const shape = (p: Page) => p.html.replace(/value="[^"]*"/g, 'value=""');
      for (const p of pages) {
        assert.equal(p.status, 200);
        assert.equal(shape(p), shape(pages[3]!));
      }
      await messageFor('mallory@example.com', 0);
      assert.equal(mailsTo('victor@example.com').length, 0, 'an unverified address is sent no code');
      assert.equal(mailsTo('wendy@example.com').length, 0, 'a disabled account is sent no code');
    });

    test('wrong codes count toward brute-force protection and lock the account', async () => {
      const browser = new UserAgent(server.url);
      const codePage = await askForCode(browser, (await signInPage(browser)).page, 'niaj');
      const { code } = await messageFor('niaj@example.com', 0);
      const wrong = code === '000000' ? '111111' : '000000';
      let answer = await typeCode(browser, codePage, wrong);
      assert.equal(answer.status, 401);
      answer = await typeCode(browser, codePage, wrong);
      answer = await typeCode(browser, codePage, wrong);
      assert.equal(answer.status, 429);
      assert.match(answer.html, /temporarily locked/);
      // Locked: even the right code is refused now, and the password too.
      assert.equal((await typeCode(browser, codePage, code)).status, 429);
      const other = new UserAgent(server.url);
      const refused = await other.submit((await signInPage(other)).page, { username: 'niaj', password });
      assert.equal(refused.status, 429);
    });

    test('a code is refused once its 10 minutes are over, and a newer code ends the older one', async () => {
      const browser = new UserAgent(server.url);
      const first = await askForCode(browser, (await signInPage(browser)).page, 'olivia');
      const older = await messageFor('olivia@example.com', 0);
      const second = await sendNewCode(browser, first);
      assert.equal(second.status, 200);
      const newer = await messageFor('olivia@example.com', 1);
      assert.equal((await typeCode(browser, first, older.code)).status, 401, 'the older code is dead');
      server.clock.advance(10 * 60 + 1);
      assert.equal((await typeCode(browser, second, newer.code)).status, 401, 'the newer code has expired');
    });

    test('the link signs in the browser that asked for it, once', async () => {
      const browser = new UserAgent(server.url);
      const { page, verifier } = await signInPage(browser);
      await askForCode(browser, page, 'peggy');
      const { link } = await messageFor('peggy@example.com', 0);
      const confirm = await browser.open(link);
      assert.equal(confirm.status, 200);
      assert.match(confirm.html, /Continue signing in to Demo as peggy/);
      let next = await browser.submit(confirm, {});
      if (isConsentPage(next)) next = await browser.submit(next, {}, { name: 'decision', value: 'allow' });
      const callback = callbackParams(next);
      const tokens = await redeem(server, 'trusted', { code: callback.get('code')!, verifier, redirectUri: redirectUriOf.trusted, state: 's', callback });
      assert.equal(tokens.status, 200);
      assert.deepEqual(decodeJwt(tokens.body.id_token as string).amr, ['otp']);
      const reused = await browser.open(link);
      assert.equal(reused.status, 410);
    });

    test('the link opened in another browser signs nobody in, and says where to open it', async () => {
      const browser = new UserAgent(server.url);
      await askForCode(browser, (await signInPage(browser)).page, 'rupert');
      const { link } = await messageFor('rupert@example.com', 0);
      const elsewhere = new UserAgent(server.url);
      const page = await elsewhere.open(link);
      assert.equal(page.status, 403);
      assert.match(page.html, /works only in the browser where you asked for it/);
      assert.doesNotMatch(page.html, /<form/);
      // Posting the link's fields from the other browser directly is refused as well.
      const url = new URL(link);
      const posted = await elsewhere.open(`${server.issuer()}/login-actions/email-link`, { form: Object.fromEntries(url.searchParams) });
      assert.equal(posted.status, 403);
      // The link still works where it was asked for.
      assert.equal((await browser.open(link)).status, 200);
    });

    test('a second factor is still asked for after the code', async () => {
      const browser = new UserAgent(server.url);
      const { page } = await signInPage(browser);
      await withTotp(server, 'sybil');
      const codePage = await askForCode(browser, page, 'sybil');
      const { code } = await messageFor('sybil@example.com', 0);
      const next = await typeCode(browser, codePage, code);
      assert.equal(next.status, 200);
      assert.match(next.html, /name="code"/);
      assert.doesNotMatch(next.html, /Enter your sign-in code/);
      assert.equal(next.location, undefined, 'no code for the client before the second factor');
    });

    /** The sign-in page of `client` on `on`, its hidden fields, and whether it offers a code by e-mail. */
    async function clientSignInPage(on: TestServer, browser: UserAgent, client: string): Promise<{ page: Page; fields: Record<string, string>; offered: boolean }> {
      const page = await browser.open(authorizeUrl(on.issuer(), {
        client_id: client, redirect_uri: redirectUriOf.trusted, response_type: 'code', scope: 'openid', state: 's',
      }));
      assert.ok(isLoginPage(page), page.html.slice(0, 300));
      const fields = Object.fromEntries([...page.html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
      return { page, fields, offered: /Email me a sign-in code/.test(page.html) };
    }

    test('a client with email_sign_in "off" does not offer it where the realm does, and its posts are refused', async () => {
      const browser = new UserAgent(server.url);
      const { fields, offered } = await clientSignInPage(server, browser, 'quiet');
      assert.equal(offered, false);
      const posted = await browser.open(`${server.issuer()}/login-actions/email-code`, { form: { ...fields, username: 'trent' } });
      assert.equal(posted.status, 404);
      assert.ok((await clientSignInPage(server, new UserAgent(server.url), 'trusted')).offered, 'the realm\'s other clients still offer it');
      assert.equal(mailsTo('trent@example.com').length, 0);
    });

    test('without email_sign_in in the realm only a client that turns it on offers it; the others\' posts are refused', async () => {
      const mailer = {
        client_id: 'mailer', client_secret: 'mailer-secret', redirect_uris: [redirectUriOf.trusted], grant_types: ['authorization_code'],
        token_endpoint_auth_method: 'client_secret_post', scope: 'openid', email_sign_in: 'code',
      };
      const plain = await startServer(database, testRealmWith({
        clients: [mailer], users: [{ username: 'uma', password, email: 'uma@example.com', email_verified: true }],
      }), { env: smtp.env });
      try {
        const browser = new UserAgent(plain.url);
        const trusted = await clientSignInPage(plain, browser, 'trusted');
        assert.equal(trusted.offered, false);
        const posted = await browser.open(`${plain.issuer()}/login-actions/email-code`, { form: { ...trusted.fields, username: 'uma' } });
        assert.equal(posted.status, 404);

        const own = await clientSignInPage(plain, browser, 'mailer');
        assert.ok(own.offered, 'the client that turned it on offers it');
        const codePage = await askForCode(browser, own.page, 'uma');
        assert.equal(codePage.status, 200);
        const mail = await eventually(() => mailsTo('uma@example.com')[0], 'the code for uma');
        assert.doesNotMatch(mail.text, /email-link/, 'the client asked for codes only, no link');
        const done = await typeCode(browser, codePage, mail.text.match(/Your sign-in code: (\d{6})/)![1]!);
        assert.ok(done.location?.startsWith(redirectUriOf.trusted), done.html.slice(0, 300));
        assert.ok(new URL(done.location!).searchParams.get('code'));
      } finally {
        await plain.close();
      }
    });
  });
}

