// Forgotten passwords (docs/email.md): the link arrives over SMTP, works once and not after its
// lifetime, a newer link or a sign-in ends it, the new password follows the policy, sessions and
// refresh tokens end unless the user keeps them, and the answer never tells whether an account exists.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createServer, type Server } from 'node:http';
import { decodeJwt } from 'jose';
import { databases } from '../helpers/databases.js';
import { eventually, eventuallyAsync } from '../helpers/eventually.js';
import { token, tokensFor } from '../helpers/flows.js';
import { withTotp } from '../helpers/mfa.js';
import { password, testRealm } from '../helpers/realm.js';
import { freePort, startServer, type TestServer } from '../helpers/server.js';
import { linkIn, startSmtp, type ReceivedMail, type TestSmtp } from '../helpers/smtp.js';
import { authorizeUrl, isLoginPage, UserAgent, type Page } from '../helpers/user-agent.js';

const newPassword = 'a brand new passphrase for tests';

function emailRealm(logoutReceiver: string) {
  const file = testRealm();
  const realm = file.realms[0]! as Record<string, unknown> & { users: Record<string, unknown>[]; clients: Record<string, unknown>[] };
  // The first-party client hears of sessions that end (OIDC Back-Channel Logout), as a reset ends them.
  Object.assign(realm.clients.find((c) => c.client_id === 'trusted')!, { backchannel_logout_uri: logoutReceiver });
  // The tests ask for many links from one address: the per-IP and per-address limits have their own tests.
  realm.rate_limits = { password_reset_per_ip: { max: 1000 }, email_per_address: { max: 1000 } };
  file.realms.push({ name: 'tight', display_name: 'Tight', rate_limits: { password_reset_per_ip: { max: 2, window_seconds: 600 } } } as never);
  for (const name of ['carol', 'dave', 'erin', 'frank', 'grace', 'heidi']) realm.users.push({ username: name, password, email: `${name}@example.com`, email_verified: true });
  return file;
}

for (const database of databases) {
  describe(`forgotten password (${database})`, () => {
    let smtp: TestSmtp;
    let server: TestServer;
    let receiver: Server;
    const logoutTokens: string[] = [];
    before(async () => {
      smtp = await startSmtp();
      const port = await freePort();
      receiver = createServer((request, response) => {
        let body = '';
        request.on('data', (chunk: Buffer) => { body += chunk.toString(); });
        request.on('end', () => { logoutTokens.push(new URLSearchParams(body).get('logout_token') ?? ''); response.writeHead(200).end(); });
      });
      await new Promise<void>((resolve) => receiver.listen(port, '127.0.0.1', resolve));
      server = await startServer(database, emailRealm(`http://127.0.0.1:${port}/backchannel`), { env: smtp.env });
    });
    after(async () => {
      await server?.close();
      await smtp?.close();
      receiver?.closeAllConnections();
      receiver?.close();
    });

    const signInPage = (browser: UserAgent) => browser.open(authorizeUrl(server.issuer(), {
      client_id: 'trusted', redirect_uri: 'http://127.0.0.1:3999/callback', response_type: 'code', scope: 'openid', state: 's',
    }));
    const resetPrefix = () => `${server.issuer()}/login-actions/reset-password?token=`;
    const mailsTo = (address: string) => smtp.received.filter((m) => m.to.includes(address));

    /** Asks for a link from the sign-in page's "Forgot password?" link; returns the answer page. */
    async function askForLink(identifier: string, browser = new UserAgent(server.url)): Promise<Page> {
      const login = await signInPage(browser);
      const href = login.html.match(/<a href="([^"]*)">Forgot password\?<\/a>/)?.[1];
      assert.ok(href, 'the sign-in page links to the forgotten-password page');
      const form = await browser.open(new URL(href.replace(/&amp;/g, '&'), login.url).href);
      assert.equal(form.status, 200);
      return browser.submit(form, { identifier });
    }

    /** Asks for a link for `address` (by username or address) and waits for the message. */
    async function linkFor(identifier: string, address: string): Promise<string> {
      const before = mailsTo(address).length;
      const answer = await askForLink(identifier);
      assert.equal(answer.status, 200);
      const mail: ReceivedMail = await eventually(() => mailsTo(address)[before], `the reset message to ${address}`);
      assert.equal(mail.subject, 'Reset your Demo password');
      return linkIn(mail, resetPrefix());
    }

    async function choosePassword(link: string, fields: Record<string, string> = {}, browser = new UserAgent(server.url)): Promise<Page> {
      const form = await browser.open(link);
      assert.equal(form.status, 200, form.html);
      return browser.submit(form, { password: newPassword, password_confirm: newPassword, sign_out_everywhere: 'yes', ...fields });
    }

    const signsIn = async (user: string, secret: string) => {
      const browser = new UserAgent(server.url);
      const next = await browser.submit(await signInPage(browser), { username: user, password: secret });
      return next.location?.startsWith('http://127.0.0.1:3999/callback') ?? false;
    };

    test('the link arrives by e-mail, the new password is set with it, and sign-in works with the new password only', async () => {
      const link = await linkFor('carol', 'carol@example.com');
      const done = await choosePassword(link);
      assert.equal(done.status, 200);
      assert.match(done.html, /Password changed/);
      assert.equal(await signsIn('carol', newPassword), true);
      assert.equal(await signsIn('carol', password), false);
    });

    test('the account may be named by its e-mail address, in any case', async () => {
      const link = await linkFor('Dave@Example.com', 'dave@example.com');
      assert.match(link, /token=/);
    });

    test('a used link is refused with a page that says so', async () => {
      const link = await linkFor('erin', 'erin@example.com');
      await choosePassword(link);
      const again = await new UserAgent(server.url).open(link);
      assert.equal(again.status, 410);
      assert.match(again.html, /This link has expired or was already used/);
      assert.doesNotMatch(again.html, /name="password"/);
    });

    test('a link is refused once its 15 minutes are over', async () => {
      const link = await linkFor('frank', 'frank@example.com');
      server.clock.advance(15 * 60 + 1);
      const page = await new UserAgent(server.url).open(link);
      assert.equal(page.status, 410);
      assert.match(page.html, /Link expired/);
    });

    test('a newer link ends the older one, and a sign-in ends a pending link', async () => {
      const older = await linkFor('grace', 'grace@example.com');
      const newer = await linkFor('grace', 'grace@example.com');
      assert.equal((await new UserAgent(server.url).open(older)).status, 410);
      assert.equal(await signsIn('grace', password), true);
      assert.equal((await new UserAgent(server.url).open(newer)).status, 410);
    });

    test('the new password follows the policy, and a refused one leaves the link usable', async () => {
      const link = await linkFor('heidi', 'heidi@example.com');
      const browser = new UserAgent(server.url);
      const short = await choosePassword(link, { password: 'short', password_confirm: 'short' }, browser);
      assert.equal(short.status, 400);
      assert.match(short.html, /use at least 8 characters/);
      const mismatch = await browser.submit(short, { password: newPassword, password_confirm: 'something else entirely' });
      assert.match(mismatch.html, /The two passwords differ/);
      const done = await browser.submit(mismatch, { password: newPassword, password_confirm: newPassword, sign_out_everywhere: 'yes' });
      assert.match(done.html, /Password changed/);
    });

    test('a reset ends the sessions and refresh tokens of the account, unless the user unticks the box', async () => {
      const browser = new UserAgent(server.url);
      const kept = await tokensFor(server, browser, { client: 'trusted', scope: 'openid offline_access', user: 'bob' });
      await choosePassword(await linkFor('bob', 'bob@example.com'), { sign_out_everywhere: '' });
      const stillValid = await token(server, 'trusted', { grant_type: 'refresh_token', refresh_token: kept.refresh_token });
      assert.equal(stillValid.status, 200, 'unticked: the refresh token still works');

      await choosePassword(await linkFor('bob', 'bob@example.com'), { password: 'yet another passphrase here', password_confirm: 'yet another passphrase here' });
      const refused = await token(server, 'trusted', { grant_type: 'refresh_token', refresh_token: stillValid.body.refresh_token });
      assert.equal(refused.status, 400);
      assert.equal(refused.body.error, 'invalid_grant');
      // The browser's SSO session ended too: the next authorization request asks to sign in again.
      assert.ok(isLoginPage(await signInPage(browser)));
      // And the client was told: a logout token for bob's session.
      const bob = (await server.services.store.users.findByUsername('demo', 'bob'))!;
      assert.ok(logoutTokens.some((t) => decodeJwt(t).sub === bob.id && typeof decodeJwt(t).sid === 'string'), 'a back-channel logout token for the ended session');
    });

    test('with the SMTP server down the user sees the usual page, and the link arrives once the server is back', async () => {
      await smtp.down();
      let answer: Page;
      try {
        answer = await askForLink('erin');
        assert.equal(answer.status, 200);
        assert.match(answer.html, /If an account matches what you entered/);
        await eventuallyAsync(async () => (await server.services.store.events.find({ realm: 'demo', types: ['email_delivery_failed'], first: 0, max: 1 }))[0], 'a failed delivery');
      } finally {
        await smtp.up();
      }
      const before = mailsTo('erin@example.com').length;
      server.clock.advance(60);
      const mail = await eventually(() => mailsTo('erin@example.com')[before], 'the message after the outage');
      const done = await choosePassword(linkIn(mail, resetPrefix()), { password: 'after the outage passphrase', password_confirm: 'after the outage passphrase' });
      assert.match(done.html, /Password changed/);
    });

    test('the answer is the same page, with the same status, whether or not the account exists', async () => {
      const known = await askForLink('alice');
      const unknown = await askForLink('nobody-by-this-name');
      const unknownAddress = await askForLink('nobody@example.com');
      assert.equal(known.status, 200);
      assert.equal(unknown.status, known.status);
      assert.equal(unknownAddress.status, known.status);
      assert.equal(unknown.html, known.html);
      assert.equal(unknownAddress.html, known.html);
      assert.match(known.html, /If an account matches what you entered/);
    });

    test('requests for links are limited per address of the requester', async () => {
      const browser = new UserAgent(server.url);
      const form = await browser.open(`${server.issuer('tight')}/login-actions/forgot-password`);
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await browser.submit(form, { identifier: `someone-${i}` })).status);
      assert.deepEqual(statuses, [200, 200, 429]);
    });

    test('a form posted without its CSRF token is refused', async () => {
      const browser = new UserAgent(server.url);
      const form = await browser.open(`${server.issuer()}/login-actions/forgot-password`);
      const refused = await browser.submit(form, { identifier: 'alice', csrf: 'x'.repeat(43) });
      assert.equal(refused.status, 403);
    });

    test('a reset signs nobody in: the next sign-in still asks for the second factor the account has', async () => {
      await withTotp(server, 'dave');
      const link = await linkFor('dave', 'dave@example.com');
      const resetBrowser = new UserAgent(server.url);
      await choosePassword(link, {}, resetBrowser);
      assert.equal(resetBrowser.cookies.has('strix_session'), false);
      const browser = new UserAgent(server.url);
      const next = await browser.submit(await signInPage(browser), { username: 'dave', password: newPassword });
      assert.equal(next.location, undefined, 'no redirect to the client yet');
      assert.match(next.html, /name="code"/);
    });
  });

  describe(`forgotten password without SMTP (${database})`, () => {
    let server: TestServer;
    before(async () => { server = await startServer(database, testRealm()); });
    after(async () => { await server?.close(); });

    test('the sign-in page offers no "Forgot password?" link and the page does not exist', async () => {
      const browser = new UserAgent(server.url);
      const login = await browser.open(authorizeUrl(server.issuer(), {
        client_id: 'trusted', redirect_uri: 'http://127.0.0.1:3999/callback', response_type: 'code', scope: 'openid', state: 's',
      }));
      assert.ok(isLoginPage(login));
      assert.doesNotMatch(login.html, /Forgot password/);
      assert.equal((await browser.open(`${server.issuer()}/login-actions/forgot-password`)).status, 404);
    });
  });
}
