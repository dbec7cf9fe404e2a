// The account console's landing page and Personal info, without JavaScript: the sections a user
// reaches from `{issuer}/account/`, and the standard claims the realm lets users edit, which the
// next ID token and userinfo carry.
import assert from 'node:assert/strict';
import { decodeJwt } from 'jose';
import { after, before, describe, test } from 'node:test';
import { editedClaims } from '../../src/identity/profile.js';
import { parseRealmSettings } from '../../src/realms/settings.js';
import { accountPage, askedToSignIn, csrfOf, signedInBrowser, textOf } from '../helpers/account.js';
import { databases } from '../helpers/databases.js';
import { tokensFor, userinfo } from '../helpers/flows.js';
import { password, testRealmWith } from '../helpers/realm.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { UserAgent } from '../helpers/user-agent.js';

const users = ['carol', 'dave', 'erin'].map((username) => ({ username, password, given_name: username, roles: ['viewer'] }));

for (const database of databases) {
  describe(`account console: landing page and personal info (${database})`, () => {
    let server: TestServer;
    before(async () => { server = await startServer(database, testRealmWith({ users })); });
    after(async () => { await server?.close(); });

    test('the landing page lists the sections of the account, and every account page shares its navigation', async () => {
      const { agent } = await signedInBrowser(server, 'carol');
      const home = await accountPage(server, agent);
      assert.equal(home.status, 200);
      const text = textOf(home);
      for (const section of ['Personal info', 'Password', 'Signing in', 'Devices and sessions', 'Applications']) assert.match(text, new RegExp(section));
      assert.match(text, /Signed in as carol/);
      // No upstream providers and no mail in this realm: nothing to link, no address to change here.
      assert.doesNotMatch(text, /Linked accounts|Email/);
      for (const path of ['personal-info', 'password', 'mfa', 'sessions', 'applications']) {
        assert.match(home.html, new RegExp(`href="${server.issuer()}/account/${path}"`), path);
        const page = await accountPage(server, agent, path);
        assert.equal(page.status, 200, path);
        assert.match(page.html, /<nav class="account-nav"/, `${path} has the navigation`);
        assert.match(page.html, new RegExp(`href="${server.issuer()}/account/${path}" aria-current="page"`), `${path} is marked current`);
      }
    });

    test('Sign out in the navigation ends this session after the logout endpoint\'s confirmation', async () => {
      const { agent } = await signedInBrowser(server, 'erin');
      const home = await accountPage(server, agent);
      const href = home.html.match(/<a class="account-sign-out" href="([^"]+)">Sign out<\/a>/)?.[1];
      assert.equal(href, `${server.issuer()}/protocol/openid-connect/logout`);
      const confirmation = await agent.open(href!);
      assert.match(confirmation.html, />Sign out</);
      await agent.submit(confirmation, {});
      const after = await accountPage(server, agent);
      assert.ok(askedToSignIn(server, after), 'signed out: the console asks to sign in again');
    });

    test('{issuer}/account leads to the landing page', async () => {
      const response = await fetch(`${server.issuer()}/account`, { redirect: 'manual' });
      assert.equal(response.status, 302);
      assert.equal(response.headers.get('location'), `${server.issuer()}/account/`);
    });

    test('a changed name is in the next ID token and in userinfo', async () => {
      const { agent } = await signedInBrowser(server, 'dave');
      const page = await accountPage(server, agent, 'personal-info');
      assert.match(page.html, /id="given_name" name="given_name" value="dave"/);
      const saved = await agent.submit(page, { given_name: 'David', family_name: 'Bowman', name: 'David Bowman', nickname: 'Dave', locale: 'fr', zoneinfo: 'Europe/Paris' });
      assert.equal(saved.status, 200);
      assert.match(textOf(saved), /Your personal information is saved/);
      assert.match(saved.html, /value="Bowman"/);
      assert.match(saved.html, /<option value="fr" selected>français<\/option>/);

      // A fresh sign-in by SSO (no password asked) for an ID token that asks for the claims by name (OIDC Core §5.5).
      const claims = JSON.stringify({ id_token: { given_name: null, family_name: null, name: null, locale: null, zoneinfo: null } });
      const tokens = await tokensFor(server, agent, { client: 'trusted', scope: 'openid profile', params: { claims } });
      const idToken = decodeJwt(tokens.id_token);
      assert.deepEqual(
        { given_name: idToken.given_name, family_name: idToken.family_name, name: idToken.name, locale: idToken.locale, zoneinfo: idToken.zoneinfo },
        { given_name: 'David', family_name: 'Bowman', name: 'David Bowman', locale: 'fr', zoneinfo: 'Europe/Paris' },
      );
      const info = await userinfo(server, tokens.access_token);
      assert.equal(info.body.given_name, 'David');
      assert.equal(info.body.nickname, 'Dave');

      await server.services.audit.flush();
      const user = (await server.services.store.users.findByUsername('demo', 'dave'))!;
      const events = await server.services.store.events.find({ realm: 'demo', types: ['profile_updated'], userId: user.id, first: 0, max: 10 });
      assert.equal(events.length, 1);
    });

    test('an emptied field removes the claim', async () => {
      const { agent } = await signedInBrowser(server, 'erin');
      await agent.submit(await accountPage(server, agent, 'personal-info'), { nickname: 'E' });
      await agent.submit(await accountPage(server, agent, 'personal-info'), { nickname: '' });
      const user = (await server.services.store.users.findByUsername('demo', 'erin'))!;
      assert.equal(user.claims.nickname, undefined);
      assert.equal(user.claims.given_name, 'erin', 'the other claims stay');
    });

    test('bad values are refused with the field named, and nothing is saved', async () => {
      const { agent } = await signedInBrowser(server, 'carol');
      const page = await accountPage(server, agent, 'personal-info');
      const cases: [Record<string, string>, RegExp][] = [
        [{ given_name: 'x'.repeat(201) }, /Given name: use at most 200 characters\./],
        [{ locale: 'xx' }, /Language: this is not a valid value\./],
        [{ zoneinfo: 'Mars/Olympus_Mons' }, /Time zone: this is not a valid value\./],
        [{ given_name: 'Carol\nDROP' }, /Given name: this is not a valid value\./],
      ];
      for (const [fields, message] of cases) {
        const refused = await agent.submit(page, fields);
        assert.equal(refused.status, 400, JSON.stringify(fields));
        assert.match(textOf(refused), message);
      }
      const user = (await server.services.store.users.findByUsername('demo', 'carol'))!;
      assert.equal(user.claims.given_name, 'carol');
      assert.equal(user.claims.locale, undefined);
    });

    test('claims the realm does not let users edit cannot be changed, even when posted', async () => {
      const { agent } = await signedInBrowser(server, 'carol');
      const page = await accountPage(server, agent, 'personal-info');
      assert.doesNotMatch(page.html, /name="website"/);
      const saved = await agent.submit(page, { website: 'https://evil.example', email_verified: 'false', phone_number: '+1 555' });
      assert.equal(saved.status, 200);
      const user = (await server.services.store.users.findByUsername('demo', 'carol'))!;
      assert.equal(user.claims.website, undefined);
      assert.equal(user.claims.phone_number, undefined);
    });

    test('a form without its CSRF token is refused', async () => {
      const { agent } = await signedInBrowser(server, 'carol');
      const page = await accountPage(server, agent, 'personal-info');
      assert.ok(csrfOf(page));
      const refused = await agent.request(`${server.issuer()}/account/personal-info`, { form: { given_name: 'Mallory' } });
      assert.equal(refused.status, 403);
      const user = (await server.services.store.users.findByUsername('demo', 'carol'))!;
      assert.equal(user.claims.given_name, 'carol');
    });

    test('opened without a session, the console has the browser sign in (as the realm\'s account console client) and comes back to it', async () => {
      const agent = new UserAgent(server.url);
      const first = await agent.request(`${server.issuer()}/account/personal-info`);
      assert.equal(first.status, 303);
      const authorize = new URL(first.location!);
      assert.equal(`${authorize.origin}${authorize.pathname}`, `${server.issuer()}/protocol/openid-connect/auth`);
      assert.equal(authorize.searchParams.get('client_id'), 'strix-account-console');
      assert.equal(authorize.searchParams.get('redirect_uri'), `${server.issuer()}/account/`);
      assert.equal(authorize.searchParams.get('code_challenge_method'), 'S256');
      const signInPage = await agent.open(first.location!);
      assert.match(signInPage.html, /Sign in/);
      const console = await agent.signIn(signInPage, 'carol', password);
      assert.equal(console.status, 200, console.html.slice(0, 300));
      assert.ok(console.url.startsWith(`${server.issuer()}/account/?`), 'back at the console');
      assert.match(console.html, /Personal info/);
      const posted = await new UserAgent(server.url).request(`${server.issuer()}/account/personal-info`, { form: { given_name: 'Mallory' } });
      assert.equal(posted.status, 401, 'a form posted without a session is refused, not redirected');
      assert.match(posted.html, /Not signed in/);
    });
  });
}

describe('account console: the values of each claim', () => {
  const all = ['website', 'birthdate', 'zoneinfo', 'locale', 'gender'];
  const edit = (values: Record<string, string>, current: Record<string, unknown> = {}) => editedClaims(current, all, values, ['en', 'fr', 'de']);

  test('a website is an http(s) URL, a birthdate a real day or a year, a zone an IANA one, a language one of the pages\'', () => {
    for (const [claim, value] of [['website', 'https://grace.example/'], ['birthdate', '1906-12-09'], ['birthdate', '1906'], ['birthdate', '0000-12-09'],
      ['zoneinfo', 'America/New_York'], ['locale', 'de']] as const) {
      assert.ok(!('problem' in edit({ [claim]: value })), `${claim}: ${value}`);
    }
    for (const [claim, value] of [['website', 'javascript:alert(1)'], ['website', 'grace.example'], ['birthdate', '1906-02-30'], ['birthdate', '09/12/1906'],
      ['zoneinfo', 'Europe/Atlantis'], ['locale', 'es']] as const) {
      assert.deepEqual(edit({ [claim]: value }), { claim, problem: 'invalid' }, `${claim}: ${value}`);
    }
  });

  test('a language set by an administrator outside the list stays valid while unchanged; only changed claims are reported', () => {
    const result = edit({ locale: 'pt-BR', gender: 'female' }, { locale: 'pt-BR' });
    assert.deepEqual(result, { claims: { locale: 'pt-BR', gender: 'female' }, changed: ['gender'] });
  });
});

describe('account console: which claims users edit', () => {
  test('a realm lets users edit only known standard claims; none at all is allowed', () => {
    assert.deepEqual(parseRealmSettings({ user_editable_claims: ['given_name', 'website'] }, 'realm').user_editable_claims, ['given_name', 'website']);
    assert.deepEqual(parseRealmSettings({ user_editable_claims: [] }, 'realm').user_editable_claims, []);
    assert.throws(() => parseRealmSettings({ user_editable_claims: ['email_verified'] }, 'realm'), /"email_verified" is not a claim users can edit/);
  });
});

describe('account console: a realm that lets users edit nothing', () => {
  let server: TestServer;
  before(async () => { server = await startServer('sqlite', testRealmWith({ users, user_editable_claims: [] })); });
  after(async () => { await server?.close(); });

  test('personal info shows the account and says the administrator manages it', async () => {
    const { agent } = await signedInBrowser(server, 'carol');
    const page = await accountPage(server, agent, 'personal-info');
    assert.match(textOf(page), /Your administrator manages your personal information/);
    assert.match(textOf(page), /Username carol/);
    assert.doesNotMatch(page.html, /<form/);
  });
});
