// The account pages as a signed-in user meets them, without JavaScript: revoking an application's
// access (its tokens stop working at once and it asks for consent again), and removing second
// factors or replacing recovery codes — only from a session that used a second factor.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { askedToSignIn } from '../helpers/account.js';
import { databases } from '../helpers/databases.js';
import { token, tokensFor, userinfo } from '../helpers/flows.js';
import { password, testRealmWith } from '../helpers/realm.js';
import { codeAt, withTotp } from '../helpers/mfa.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { authorizeUrl, isConsentPage, parseForm, pkcePair, UserAgent, type Page } from '../helpers/user-agent.js';

const callback = 'http://127.0.0.1:3999/callback';

function realmWith(settings: Record<string, unknown>) {
  return testRealmWith({ users: ['carol', 'dave', 'erin', 'frank'].map((username) => ({ username, password, roles: ['viewer'] })), ...settings });
}

/** Signs in to the first-party client (no consent) with the password, and the TOTP code when `secret` is given. */
async function signIn(server: TestServer, username: string, secret?: string): Promise<UserAgent> {
  const agent = new UserAgent(server.url);
  const login = await agent.open(authorizeUrl(server.issuer(), {
    client_id: 'trusted', redirect_uri: callback, response_type: 'code', scope: 'openid', state: 's',
    code_challenge: pkcePair().challenge, code_challenge_method: 'S256',
  }));
  let next = await agent.submit(login, { username, password });
  if (secret) {
    assert.match(next.html, /Confirm it is you/);
    server.clock.advance(30);
    next = await agent.submit(next, { code: codeAt(server, secret) });
  }
  assert.ok(next.location?.startsWith(callback), `signed in: ${next.status} ${next.html.slice(0, 300)}`);
  return agent;
}

/** Gives `username` a stored passkey (never used to sign in here: only listed and removed). */
async function withPasskey(server: TestServer, username: string, id: string): Promise<void> {
  const user = (await server.services.store.users.findByUsername('demo', username))!;
  await server.services.store.mfa.addWebauthnCredential({
    id, userId: user.id, publicKey: 'AQID', counter: 0, transports: ['internal'], deviceType: 'multiDevice', name: null,
  }, server.clock.now());
}

const csrfOf = (page: Page) => parseForm(page.html).fields.csrf!;

async function eventsOf(server: TestServer, type: string, username: string) {
  await server.services.audit.flush();
  const user = (await server.services.store.users.findByUsername('demo', username))!;
  return server.services.store.events.find({ realm: 'demo', types: [type], userId: user.id, first: 0, max: 50 });
}

for (const database of databases) {
  describe(`account: applications (${database})`, () => {
    let server: TestServer;
    before(async () => { server = await startServer(database, realmWith({})); });
    after(async () => { await server?.close(); });

    const introspect = async (accessToken: string) => {
      const response = await fetch(`${server.issuer()}/protocol/openid-connect/token/introspect`, {
        method: 'POST', body: new URLSearchParams({ token: accessToken }).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from('service:service-secret').toString('base64')}` },
      });
      return (await response.json() as { active: boolean }).active;
    };
    const refresh = (refreshToken: string) => token(server, 'web', { grant_type: 'refresh_token', refresh_token: refreshToken });
    const applications = (agent: UserAgent) => agent.open(`${server.issuer()}/account/applications`);
    const revoke = (agent: UserAgent, form: Record<string, string>) => agent.request(`${server.issuer()}/account/applications/revoke`, { form });

    test('revoking access ends the application\'s tokens at once, is recorded, and the application asks for consent again', async () => {
      const agent = new UserAgent(server.url);
      const tokens = await tokensFor(server, agent, { client: 'web', scope: 'openid profile' });
      assert.equal((await refresh(tokens.refresh_token)).status, 200, 'the refresh token works before');

      const account = await agent.open(`${server.issuer()}/account/mfa`);
      assert.match(account.html, /href="[^"]*\/account\/applications"/, 'the account page links to the applications');
      const list = await applications(agent);
      assert.equal(list.status, 200);
      assert.match(list.html, /Demo web app/);
      assert.match(list.html, /Allowed: openid, profile/);
      assert.match(list.html, /Revoke access/);

      const revoked = await revoke(agent, { csrf: csrfOf(list), client_id: 'web' });
      assert.equal(revoked.status, 200);
      assert.match(revoked.html, /Demo web app no longer has access to your account/);
      assert.doesNotMatch(revoked.html, /name="client_id" value="web"/, 'the application is gone from the list');

      // The latest refresh token and access token both stop working, without waiting for them to expire.
      const latest = await refresh(tokens.refresh_token);
      assert.equal(latest.status, 400);
      assert.equal(latest.body.error, 'invalid_grant');
      assert.equal(await introspect(tokens.access_token), false);
      assert.equal((await userinfo(server, tokens.access_token)).status, 401);

      const [event] = await eventsOf(server, 'consent_revoked', 'alice');
      assert.ok(event, 'consent_revoked event');
      assert.equal(event.clientId, 'web');
      assert.deepEqual(event.details.scope, ['openid', 'profile']);

      // Still signed in, the next authorization for the client asks for consent again.
      const again = await agent.open(authorizeUrl(server.issuer(), {
        client_id: 'web', redirect_uri: callback, response_type: 'code', scope: 'openid profile', state: 's2',
        code_challenge: pkcePair().challenge, code_challenge_method: 'S256',
      }));
      assert.ok(isConsentPage(again), `consent asked again: ${again.status} ${again.location ?? ''}`);
    });

    test('a revocation without the CSRF token is refused with 403 and changes nothing', async () => {
      const agent = new UserAgent(server.url);
      const tokens = await tokensFor(server, agent, { client: 'web', scope: 'openid', user: 'bob' });
      await applications(agent);
      const forged = await revoke(agent, { client_id: 'web' });
      assert.equal(forged.status, 403);
      const wrong = await revoke(agent, { csrf: 'not-the-token', client_id: 'web' });
      assert.equal(wrong.status, 403);
      assert.match((await applications(agent)).html, /Demo web app/, 'still allowed');
      assert.equal(await introspect(tokens.access_token), true);
    });

    test('another user\'s client id in the form does nothing to that user', async () => {
      const carol = new UserAgent(server.url);
      const tokens = await tokensFor(server, carol, { client: 'web', scope: 'openid', user: 'carol' });
      const dave = await signIn(server, 'dave');
      const page = await applications(dave);
      assert.match(page.html, /You have not allowed any application/);
      const answer = await revoke(dave, { csrf: csrfOf(await dave.open(`${server.issuer()}/account/mfa`)), client_id: 'web' });
      assert.equal(answer.status, 200);
      assert.equal(await introspect(tokens.access_token), true, 'carol\'s token still works');
      assert.equal((await refresh(tokens.refresh_token)).status, 200);
      assert.match((await applications(carol)).html, /Demo web app/, 'carol\'s consent is still there');
      assert.equal((await eventsOf(server, 'consent_revoked', 'dave')).length, 0);
    });

    test('the applications page without a session has the browser sign in first', async () => {
      assert.ok(askedToSignIn(server, await applications(new UserAgent(server.url))));
    });
  });

  describe(`account: second factors (${database})`, () => {
    let server: TestServer;
    before(async () => { server = await startServer(database, realmWith({})); });
    after(async () => { await server?.close(); });

    const account = (agent: UserAgent) => agent.open(`${server.issuer()}/account/mfa`);
    const post = (agent: UserAgent, path: string, form: Record<string, string>) => agent.request(`${server.issuer()}/account/mfa/${path}`, { form });

    test('removing the authenticator app is refused from a password-only session and works from one that used it', async () => {
      const weak = await signIn(server, 'alice');
      const csrf = csrfOf(await account(weak)); // the page as it was before the factor existed (passkey form)
      const secret = await withTotp(server, 'alice');
      const page = await account(weak);
      assert.equal(page.status, 403, 'the password-only session now owes the second factor');
      assert.match(page.html, /Your sign-in is not finished/);
      assert.doesNotMatch(page.html, /totp\/remove/, 'no Remove button');
      const refused = await post(weak, 'totp/remove', { csrf });
      assert.equal(refused.status, 403);

      const strong = await signIn(server, 'alice', secret);
      const before = await account(strong);
      assert.match(before.html, /Authenticator app: set up\./, 'still set up');
      assert.match(before.html, />Remove</);
      const removed = await post(strong, 'totp/remove', { csrf: csrfOf(before) });
      assert.equal(removed.status, 200);
      assert.match(removed.html, /The second factor was removed\./);
      assert.match(removed.html, /Authenticator app: not set up\./);
      assert.match(removed.html, /Unused recovery codes: 0\./, 'the recovery codes go with the last factor');
      const [event] = await eventsOf(server, 'mfa_removed', 'alice');
      assert.equal(event?.details.method, 'otp');
      await signIn(server, 'alice'); // the password alone is enough again
    });

    test('new recovery codes are shown once and the old ones stop working', async () => {
      const secret = await withTotp(server, 'bob');
      const agent = await signIn(server, 'bob', secret);
      const codesOf = async () => {
        const page = await post(agent, 'recovery-codes', { csrf: csrfOf(await account(agent)) });
        assert.equal(page.status, 200);
        assert.match(page.html, /Save your recovery codes/);
        return [...page.html.matchAll(/<li><code>([^<]+)<\/code><\/li>/g)].map((m) => m[1]!);
      };
      const old = await codesOf();
      assert.equal(old.length, 10);
      const fresh = await codesOf();
      assert.equal(fresh.length, 10);
      assert.equal(fresh.filter((c) => old.includes(c)).length, 0);
      assert.equal((await eventsOf(server, 'recovery_codes_regenerated', 'bob')).length, 2);

      const signInWithCode = async (code: string) => {
        const other = new UserAgent(server.url);
        const login = await other.open(authorizeUrl(server.issuer(), {
          client_id: 'trusted', redirect_uri: callback, response_type: 'code', scope: 'openid', state: 's',
          code_challenge: pkcePair().challenge, code_challenge_method: 'S256',
        }));
        const factor = await other.submit(login, { username: 'bob', password });
        return other.submit(factor, { code });
      };
      const stale = await signInWithCode(old[0]!);
      assert.equal(stale.status, 401);
      assert.match(stale.html, /That code is not valid/);
      assert.ok((await signInWithCode(fresh[0]!)).location?.startsWith(callback), 'a new code works');
    });

    test('new recovery codes need a session that used the second factor', async () => {
      const weak = await signIn(server, 'carol');
      const csrf = csrfOf(await account(weak));
      await withTotp(server, 'carol');
      const refused = await post(weak, 'recovery-codes', { csrf });
      assert.equal(refused.status, 403);
      assert.doesNotMatch(refused.html, /Save your recovery codes/);
    });

    test('a passkey is removed with its own Remove button; another user\'s passkey id does nothing', async () => {
      const secret = await withTotp(server, 'frank');
      await withPasskey(server, 'frank', 'frank-passkey');
      await withPasskey(server, 'bob', 'bobs-passkey');
      const agent = await signIn(server, 'frank', secret);
      const page = await account(agent);
      assert.match(page.html, /Passkeys: 1\./);
      assert.match(page.html, /Passkey 1<\/strong> <span class="note">Added [^<]+ · never used<\/span>/, 'an unnamed passkey, with when it was added and last used');
      assert.match(page.html, /name="credential_id" value="frank-passkey"/);
      assert.doesNotMatch(page.html, /bobs-passkey/);
      const other = await post(agent, 'passkey/remove', { csrf: csrfOf(page), credential_id: 'bobs-passkey' });
      assert.equal(other.status, 200);
      assert.match(other.html, /Passkeys: 1\./);
      const bob = (await server.services.store.users.findByUsername('demo', 'bob'))!;
      assert.equal((await server.services.store.mfa.webauthnCredentials(bob.id)).length, 1, 'bob keeps his passkey');
      const removed = await post(agent, 'passkey/remove', { csrf: csrfOf(page), credential_id: 'frank-passkey' });
      assert.equal(removed.status, 200);
      assert.match(removed.html, /Passkeys: 0\./);
      assert.match(removed.html, /Authenticator app: set up\./);
      const events = await eventsOf(server, 'mfa_removed', 'frank');
      assert.deepEqual(events.map((e) => e.details.method), ['passkey']);
    });

    test('removing factors without the CSRF token is refused with 403', async () => {
      const secret = await withTotp(server, 'dave');
      const agent = await signIn(server, 'dave', secret);
      await account(agent);
      assert.equal((await post(agent, 'totp/remove', {})).status, 403);
      assert.equal((await post(agent, 'passkey/remove', { credential_id: 'x' })).status, 403);
      assert.equal((await post(agent, 'recovery-codes', {})).status, 403);
      assert.match((await account(agent)).html, /Authenticator app: set up\./);
    });
  });

  describe(`account: setting up an authenticator app (${database})`, () => {
    let server: TestServer;
    before(async () => { server = await startServer(database, realmWith({})); });
    after(async () => { await server?.close(); });

    const account = (agent: UserAgent) => agent.open(`${server.issuer()}/account/mfa`);
    const setUpPage = (agent: UserAgent) => agent.open(`${server.issuer()}/account/mfa/totp`);
    const secretOf = (page: Page) => /id="totp-secret">([A-Z2-7]+)</.exec(page.html)?.[1] ?? assert.fail(`no secret on the page: ${page.status}`);

    test('two sessions opening the set-up page get different secrets, and once one confirms, the other\'s secret gives no valid code', async () => {
      const attacker = await signIn(server, 'alice'); // knows the password, not the second factor to come
      const stolen = secretOf(await setUpPage(attacker));
      const user = await signIn(server, 'alice');
      const page = await setUpPage(user);
      const secret = secretOf(page);
      assert.notEqual(secret, stolen, 'each session gets its own secret');
      server.clock.advance(30);
      const confirmed = await user.submit(page, { code: codeAt(server, secret) });
      assert.equal(confirmed.status, 200);
      assert.match(confirmed.html, /recovery codes/i);

      const agent = new UserAgent(server.url);
      const login = await agent.open(authorizeUrl(server.issuer(), {
        client_id: 'trusted', redirect_uri: callback, response_type: 'code', scope: 'openid', state: 's',
        code_challenge: pkcePair().challenge, code_challenge_method: 'S256',
      }));
      const challenge = await agent.submit(login, { username: 'alice', password });
      assert.match(challenge.html, /Confirm it is you/);
      server.clock.advance(30);
      const refused = await agent.submit(challenge, { code: codeAt(server, stolen) });
      assert.equal(refused.status, 401);
      assert.equal(refused.location, undefined, 'no redirect to the client');
    });

    test('reopening the set-up page shows a fresh secret, and the earlier one no longer confirms', async () => {
      const agent = await signIn(server, 'bob');
      const first = await setUpPage(agent);
      const second = await setUpPage(agent);
      assert.notEqual(secretOf(second), secretOf(first));
      server.clock.advance(30);
      const refused = await agent.submit(first, { code: codeAt(server, secretOf(first)) });
      assert.equal(refused.status, 401);
      assert.match((await account(agent)).html, /Authenticator app: not set up\./);
    });
  });

  describe(`account: half-signed-in and older sessions (${database})`, () => {
    let server: TestServer;
    before(async () => { server = await startServer(database, realmWith({})); });
    after(async () => { await server?.close(); });

    const account = (agent: UserAgent, path = 'mfa') => agent.open(`${server.issuer()}/account/${path}`);

    /** Signs in with the password only, stopping at the second-factor page. */
    async function passwordStep(username: string): Promise<{ agent: UserAgent; page: Page }> {
      const agent = new UserAgent(server.url);
      const login = await agent.open(authorizeUrl(server.issuer(), {
        client_id: 'trusted', redirect_uri: callback, response_type: 'code', scope: 'openid', state: 's',
        code_challenge: pkcePair().challenge, code_challenge_method: 'S256',
      }));
      const page = await agent.submit(login, { username, password });
      assert.match(page.html, /Confirm it is you/);
      return { agent, page };
    }

    test('a session that gave the password but still owes the second factor opens none of the account pages', async () => {
      await withTotp(server, 'alice');
      const { agent } = await passwordStep('alice');
      for (const path of ['applications', 'mfa', 'mfa/totp']) {
        const page = await account(agent, path);
        assert.equal(page.status, 403, path);
        assert.match(page.html, /Your sign-in is not finished/, path);
        assert.doesNotMatch(page.html, /name="csrf"/, `${path}: no form to post`);
      }
    });

    test('giving the second factor replaces the session cookie: the one from the password step no longer works', async () => {
      const secret = await withTotp(server, 'bob');
      const { agent, page } = await passwordStep('bob');
      const before = agent.cookies.get('strix_session')!;
      server.clock.advance(30);
      const done = await agent.submit(page, { code: codeAt(server, secret) });
      assert.ok(done.location?.startsWith(callback), `signed in: ${done.status}`);
      const after = agent.cookies.get('strix_session')!;
      assert.notEqual(after, before, 'a new cookie secret');
      assert.equal((await account(agent)).status, 200, 'the new cookie opens the account page');
      const stale = new UserAgent(server.url);
      stale.cookies.set('strix_session', before);
      assert.ok(askedToSignIn(server, await account(stale)), 'the cookie from before the step-up is signed out');
    });

    test('removing a factor needs a sign-in within the last 5 minutes', async () => {
      const secret = await withTotp(server, 'carol');
      const agent = await signIn(server, 'carol', secret);
      server.clock.advance(6 * 60);
      const page = await account(agent);
      assert.equal(page.status, 200);
      const refused = await agent.request(`${server.issuer()}/account/mfa/totp/remove`, { form: { csrf: csrfOf(page) } });
      assert.equal(refused.status, 403);
      assert.match(refused.html, /sign in again/i);
      assert.match(refused.html, /Authenticator app: set up\./, 'still set up');
      assert.match(refused.html, /href="[^"]*\/account\/reauthenticate"/, 'a link to sign in again');
    });

    test('signing in again on the account page (password and code) allows the removal; a wrong password does not', async () => {
      const secret = await withTotp(server, 'erin');
      const agent = await signIn(server, 'erin', secret);
      server.clock.advance(6 * 60);
      const form = await account(agent, 'reauthenticate');
      assert.equal(form.status, 200);
      assert.match(form.html, /name="password"/);
      assert.match(form.html, /name="code"/, 'the code is asked for too');
      const wrong = await agent.submit(form, { password: 'not the password', code: codeAt(server, secret) });
      assert.equal(wrong.status, 401);
      const stillRefused = await agent.request(`${server.issuer()}/account/mfa/totp/remove`, { form: { csrf: csrfOf(await account(agent)) } });
      assert.equal(stillRefused.status, 403);

      server.clock.advance(30);
      const before = agent.cookies.get('strix_session');
      const confirmed = await agent.submit(await account(agent, 'reauthenticate'), { password, code: codeAt(server, secret) });
      assert.equal(confirmed.status, 200, 'back on the account page');
      assert.notEqual(agent.cookies.get('strix_session'), before, 'a new cookie secret');
      const removed = await agent.request(`${server.issuer()}/account/mfa/totp/remove`, { form: { csrf: csrfOf(await account(agent)) } });
      assert.equal(removed.status, 200);
      assert.match(removed.html, /Authenticator app: not set up\./);
      const methods = (await eventsOf(server, 'login_success', 'erin')).map((e) => e.details.method);
      assert.ok(methods.includes('reauthentication'), `recorded: ${methods.join(', ')}`);
    });

    test('setting up an authenticator app needs a sign-in within the last 5 minutes', async () => {
      const agent = await signIn(server, 'dave');
      server.clock.advance(6 * 60);
      const page = await account(agent, 'mfa/totp');
      assert.equal(page.status, 403);
      assert.match(page.html, /sign in again/i);
      assert.doesNotMatch(page.html, /id="totp-secret"/, 'no secret shown');
      const form = await account(agent, 'reauthenticate');
      assert.doesNotMatch(form.html, /name="code"/, 'a user without factors gives the password only');
      assert.equal((await agent.submit(form, { password })).status, 200);
      assert.match((await account(agent, 'mfa/totp')).html, /id="totp-secret"/, 'the set-up page opens after signing in again');
    });
  });

  describe(`account: a realm's own re-authentication window (${database})`, () => {
    let server: TestServer;
    before(async () => { server = await startServer(database, realmWith({ reauthentication_max_age: 60 })); });
    after(async () => { await server?.close(); });

    test('with reauthentication_max_age 60, setting up an authenticator app two minutes after signing in asks to sign in again', async () => {
      const agent = await signIn(server, 'alice');
      assert.match((await agent.open(`${server.issuer()}/account/mfa/totp`)).html, /id="totp-secret"/, 'open right after signing in');
      server.clock.advance(2 * 60);
      const page = await agent.open(`${server.issuer()}/account/mfa/totp`);
      assert.equal(page.status, 403);
      assert.match(page.html, /href="[^"]*\/account\/reauthenticate"/);
    });
  });

  describe(`account: the last factor under a required policy (${database})`, () => {
    let server: TestServer;
    before(async () => { server = await startServer(database, realmWith({ mfa: 'required' })); });
    after(async () => { await server?.close(); });

    test('removing the last second factor is refused with a clear message when the realm requires one', async () => {
      const secret = await withTotp(server, 'erin');
      const agent = await signIn(server, 'erin', secret);
      const page = await agent.open(`${server.issuer()}/account/mfa`);
      const refused = await agent.request(`${server.issuer()}/account/mfa/totp/remove`, { form: { csrf: csrfOf(page) } });
      assert.equal(refused.status, 409);
      assert.match(refused.html, /your last second factor cannot be removed/);
      assert.match(refused.html, /Authenticator app: set up\./);

      // With a passkey as well, the app may go; then the passkey is the last one and stays.
      await withPasskey(server, 'erin', 'erin-passkey');
      const removed = await agent.request(`${server.issuer()}/account/mfa/totp/remove`, { form: { csrf: csrfOf(page) } });
      assert.equal(removed.status, 200);
      assert.match(removed.html, /Authenticator app: not set up\./);
      const kept = await agent.request(`${server.issuer()}/account/mfa/passkey/remove`, { form: { csrf: csrfOf(page), credential_id: 'erin-passkey' } });
      assert.equal(kept.status, 409);
      assert.match(kept.html, /Passkeys: 1\./);
      assert.equal((await eventsOf(server, 'mfa_removed', 'erin')).length, 1);
    });
  });
}
