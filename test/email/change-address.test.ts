// Changing the account's e-mail address from the account page (docs/email.md): the current password
// is asked; the new address gets a link and code, the old one a notice; the address changes only
// once the new one is confirmed; an address of another account is not taken and gets a message
// saying someone tried, while the page answers the same.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { askedToSignIn } from '../helpers/account.js';
import { databases } from '../helpers/databases.js';
import { eventually } from '../helpers/eventually.js';
import { password, testRealmWith } from '../helpers/realm.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { linkIn, startSmtp, type TestSmtp } from '../helpers/smtp.js';
import { authorizeUrl, pkcePair, UserAgent, type Page } from '../helpers/user-agent.js';

const callback = 'http://127.0.0.1:3999/callback';
const people = ['kate', 'liam', 'mona', 'nico', 'omar'];

function realm() {
  return testRealmWith({
    rate_limits: { email_per_address: { max: 1000 } },
    users: people.map((name) => ({ username: name, password, email: `${name}@example.com`, email_verified: true })),
  });
}

for (const database of databases) {
  describe(`changing the e-mail address (${database})`, () => {
    let smtp: TestSmtp;
    let server: TestServer;
    before(async () => {
      smtp = await startSmtp();
      server = await startServer(database, realm(), { env: smtp.env });
    });
    after(async () => {
      await server?.close();
      await smtp?.close();
    });

    const mailsTo = (address: string) => smtp.received.filter((m) => m.to.includes(address));
    const accountEmail = () => `${server.issuer()}/account/email`;
    const stored = async (username: string) => (await server.services.store.users.findByUsername('demo', username))!;

    async function signedIn(username: string): Promise<UserAgent> {
      const agent = new UserAgent(server.url);
      const login = await agent.open(authorizeUrl(server.issuer(), {
        client_id: 'trusted', redirect_uri: callback, response_type: 'code', scope: 'openid', state: 's',
        code_challenge: pkcePair().challenge, code_challenge_method: 'S256',
      }));
      const next = await agent.submit(login, { username, password });
      assert.ok(next.location?.startsWith(callback), next.html.slice(0, 300));
      return agent;
    }

    async function askToChange(agent: UserAgent, email: string, currentPassword = password): Promise<Page> {
      const page = await agent.open(accountEmail());
      assert.equal(page.status, 200);
      return agent.submit(page, { email, password: currentPassword });
    }

    test('the account page shows the address, and the change waits for the new address to be confirmed by its link', async () => {
      const agent = await signedIn('kate');
      const page = await agent.open(accountEmail());
      assert.match(page.html, /Your address is kate@example\.com\. It is verified\./);
      const sent = await askToChange(agent, 'kate.new@example.org');
      assert.equal(sent.status, 200);
      assert.match(sent.html, /We sent a confirmation to the new address/);

      const confirmation = await eventually(() => mailsTo('kate.new@example.org')[0], 'the confirmation to the new address');
      assert.equal(confirmation.subject, 'Confirm your new e-mail address for Demo');
      const notice = await eventually(() => mailsTo('kate@example.com')[0], 'the notice to the old address');
      assert.equal(notice.subject, 'The e-mail address of your Demo account is being changed');
      assert.match(notice.text, /kate\.new@example\.org/);
      assert.equal((await stored('kate')).email, 'kate@example.com', 'nothing changes before the confirmation');

      const link = linkIn(confirmation, `${server.issuer()}/login-actions/verify-email?token=`);
      // Confirmed in another browser (the message may be read anywhere): the link alone is the proof.
      const elsewhere = new UserAgent(server.url);
      const confirm = await elsewhere.open(link);
      assert.equal(confirm.status, 200);
      const done = await elsewhere.submit(confirm, {});
      assert.equal(done.status, 200);
      const user = await stored('kate');
      assert.equal(user.email, 'kate.new@example.org');
      assert.equal(user.claims.email_verified, true);
      assert.equal((await new UserAgent(server.url).open(link)).status, 410, 'the link works once');
    });

    test('the code from the message confirms the new address on the page that asked', async () => {
      const agent = await signedIn('liam');
      const sent = await askToChange(agent, 'liam@new.example');
      const message = await eventually(() => mailsTo('liam@new.example')[0], 'the confirmation');
      const code = message.text.match(/asked for it: (\d{6})/)![1]!;
      const done = await agent.submit(sent, { code });
      assert.equal(done.status, 200, done.html.slice(0, 300));
      assert.equal((await stored('liam')).email, 'liam@new.example');
    });

    test('a wrong current password changes nothing and sends nothing', async () => {
      const agent = await signedIn('mona');
      const refused = await askToChange(agent, 'mona@elsewhere.example', 'not the password');
      assert.equal(refused.status, 401);
      assert.match(refused.html, /Invalid username or password/);
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(mailsTo('mona@elsewhere.example').length, 0);
      assert.equal(mailsTo('mona@example.com').length, 0);
    });

    test('the address of another account answers the same, is not taken, and its owner is told', async () => {
      const agent = await signedIn('nico');
      const taken = await askToChange(agent, 'omar@example.com');
      const free = await askToChange(await signedIn('nico'), 'nico@free.example');
      const shape = (p: Page) => p.html.replace(/value="[^"]*"/g, '').replace(/[a-z.]+@[a-z.]+/g, 'ADDRESS');
      assert.equal(taken.status, free.status);
      assert.equal(shape(taken), shape(free));
      const told = await eventually(() => mailsTo('omar@example.com')[0], 'the message to the owner');
      assert.equal(told.subject, 'Someone tried to use your address for another Demo account');
      assert.equal((await stored('nico')).email, 'nico@example.com');
      assert.equal((await stored('omar')).email, 'omar@example.com');
    });

    test('an address that is not one is refused on the form, and so is the current one', async () => {
      const agent = await signedIn('omar');
      const bad = await askToChange(agent, 'not an address');
      assert.equal(bad.status, 400);
      assert.match(bad.html, /Enter a valid e-mail address/);
      const same = await askToChange(agent, 'Omar@Example.com');
      assert.equal(same.status, 400);
      assert.match(same.html, /That is already your address/);
    });

    test('without a session the page is not shown: the browser is sent to sign in first', async () => {
      assert.ok(askedToSignIn(server, await new UserAgent(server.url).open(accountEmail())));
    });
  });
}
