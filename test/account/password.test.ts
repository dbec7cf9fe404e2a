// The account console's Password, without JavaScript: the current password is asked for (and a wrong
// one counted like a failed sign-in), the policy's reasons are shown in plain words, and afterwards
// the new password signs in, the old one does not, the other sessions are signed out unless kept, and
// where the realm sends mail the account is told.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { accountPage, askedToSignIn, signedInBrowser, textOf } from '../helpers/account.js';
import { databases } from '../helpers/databases.js';
import { eventually } from '../helpers/eventually.js';
import { token } from '../helpers/flows.js';
import { password, testRealmWith } from '../helpers/realm.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { startSmtp, type TestSmtp } from '../helpers/smtp.js';
import { authorizeUrl, pkcePair, UserAgent } from '../helpers/user-agent.js';

const users = ['carol', 'dave', 'erin', 'frank'].map((username) => ({ username, password, email: `${username}@example.com`, roles: ['viewer'] }));
const newPassword = 'a brand new passphrase for the account';

for (const database of databases) {
  describe(`account console: password (${database})`, () => {
    let server: TestServer;
    before(async () => { server = await startServer(database, testRealmWith({ users })); });
    after(async () => { await server?.close(); });

    const refresh = (refreshToken: string) => token(server, 'trusted', { grant_type: 'refresh_token', refresh_token: refreshToken });

    /** Whether `secret` signs `username` in on the sign-in page (a fresh browser). */
    async function signsIn(username: string, secret: string): Promise<boolean> {
      const agent = new UserAgent(server.url);
      const login = await agent.open(authorizeUrl(server.issuer(), {
        client_id: 'trusted', redirect_uri: 'http://127.0.0.1:3999/callback', response_type: 'code', scope: 'openid', state: 's',
        code_challenge: pkcePair().challenge, code_challenge_method: 'S256',
      }));
      const next = await agent.submit(login, { username, password: secret });
      return next.location?.startsWith('http://127.0.0.1:3999/callback') ?? false;
    }

    const change = async (agent: UserAgent, fields: Record<string, string>) =>
      agent.submit(await accountPage(server, agent, 'password'), { current_password: password, password: newPassword, password_confirm: newPassword, ...fields });

    test('a wrong current password is refused, counted as a failed sign-in, and changes nothing', async () => {
      const { agent } = await signedInBrowser(server, 'carol');
      const refused = await change(agent, { current_password: 'not my password' });
      assert.equal(refused.status, 401);
      assert.match(textOf(refused), /That is not your current password\./);
      assert.ok(await signsIn('carol', password), 'the old password still works');
      await server.services.audit.flush();
      const user = (await server.services.store.users.findByUsername('demo', 'carol'))!;
      const failures = await server.services.store.events.find({ realm: 'demo', types: ['login_failure'], userId: user.id, first: 0, max: 10 });
      assert.equal(failures.length, 1);
    });

    test('the policy\'s reasons are shown in plain words, and a mistyped repetition is caught', async () => {
      const { agent } = await signedInBrowser(server, 'dave');
      const short = await change(agent, { password: 'short', password_confirm: 'short' });
      assert.equal(short.status, 400);
      assert.match(textOf(short), /Choose another password: use at least 8 characters/);
      const common = await change(agent, { password: 'password123', password_confirm: 'password123' });
      assert.match(textOf(common), /one of the most commonly used/);
      const username = await change(agent, { password: 'dave', password_confirm: 'dave' });
      assert.match(textOf(username), /do not use your username/);
      const same = await change(agent, { password, password_confirm: password });
      assert.match(textOf(same), /do not reuse one of your last 3 passwords/);
      const mismatch = await change(agent, { password_confirm: `${newPassword}!` });
      assert.equal(mismatch.status, 400);
      assert.match(textOf(mismatch), /The two passwords differ\./);
      assert.ok(await signsIn('dave', password), 'nothing changed');
    });

    test('after a change the new password signs in and the old one does not; other sessions are signed out, this one stays', async () => {
      const { agent } = await signedInBrowser(server, 'erin');
      const other = await signedInBrowser(server, 'erin');
      const changed = await change(agent, { sign_out_others: 'yes' });
      assert.equal(changed.status, 200);
      assert.match(textOf(changed), /Your password is changed, and your other sessions are signed out\./);

      assert.ok(await signsIn('erin', newPassword), 'the new password works');
      assert.ok(!(await signsIn('erin', password)), 'the old password does not');
      const otherRefresh = await refresh(other.tokens.refresh_token);
      assert.equal(otherRefresh.status, 400);
      assert.equal(otherRefresh.body.error, 'invalid_grant');
      assert.ok(askedToSignIn(server, await accountPage(server, other.agent)), 'the other browser is signed out: asked to sign in again');
      assert.equal((await accountPage(server, agent)).status, 200, 'this browser stays signed in');

      await server.services.audit.flush();
      const user = (await server.services.store.users.findByUsername('demo', 'erin'))!;
      const events = await server.services.store.events.find({ realm: 'demo', types: ['password_changed'], userId: user.id, first: 0, max: 10 });
      assert.equal(events.length, 1);
      assert.equal(events[0]!.details.other_sessions_signed_out, true);
    });

    test('unticking "Sign out my other sessions" keeps them', async () => {
      const { agent } = await signedInBrowser(server, 'frank');
      const other = await signedInBrowser(server, 'frank');
      const changed = await change(agent, {});
      assert.match(textOf(changed), /Your password is changed\./);
      assert.equal((await refresh(other.tokens.refresh_token)).status, 200);
    });
  });
}

describe('account console: password, in a realm that sends mail', () => {
  let smtp: TestSmtp;
  let server: TestServer;
  before(async () => {
    smtp = await startSmtp();
    server = await startServer('sqlite', testRealmWith({ users }), { env: smtp.env });
  });
  after(async () => {
    await server?.close();
    await smtp?.close();
  });

  test('the account is told by e-mail that its password was changed, and the console offers Email', async () => {
    const { agent } = await signedInBrowser(server, 'carol');
    assert.match(textOf(await accountPage(server, agent)), /Email/);
    const page = await accountPage(server, agent, 'password');
    const changed = await agent.submit(page, { current_password: password, password: newPassword, password_confirm: newPassword });
    assert.equal(changed.status, 200);
    const mail = await eventually(() => smtp.received.find((m) => m.to.includes('carol@example.com')), 'the notice');
    assert.match(mail.subject, /The password of your Demo account was changed/);
    assert.match(mail.text, /If you did not do this, reset your password at once/);
  });
});
