// CSRF tokens of Strix's forms: an HMAC of the browser's cookie bound to the session or the parked
// interaction the form acts for, so that a cookie planted by a sibling subdomain and echoed in a
// forged form is refused, and a token copied from another form is refused; over https the cookie
// carries the __Host- prefix, which no subdomain can set.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { databases } from '../helpers/databases.js';
import { tokensFor } from '../helpers/flows.js';
import { password, testRealm } from '../helpers/realm.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { authorizeUrl, isLoginPage, parseForm, pkcePair, UserAgent, type Page } from '../helpers/user-agent.js';

const callback = 'http://127.0.0.1:3999/callback';
const planted = 'P'.repeat(43);

const loginUrl = (server: TestServer) => authorizeUrl(server.issuer(), {
  client_id: 'trusted', redirect_uri: callback, response_type: 'code', scope: 'openid', state: 's',
  code_challenge: pkcePair().challenge, code_challenge_method: 'S256',
});

async function loginPage(server: TestServer, agent: UserAgent): Promise<Page> {
  const page = await agent.open(loginUrl(server));
  assert.ok(isLoginPage(page), `login page: ${page.status}`);
  return page;
}

/** Posts the page's form (to this server, whatever public URL its action names) with some fields changed. */
function post(server: TestServer, agent: UserAgent, page: Page, fields: Record<string, string>): Promise<Page> {
  const form = parseForm(page.html);
  const action = new URL(form.action, page.url);
  return agent.request(`${server.url}${action.pathname}`, { form: { ...form.fields, ...fields } });
}

for (const database of databases) {
  describe(`CSRF tokens (${database})`, () => {
    let server: TestServer;
    before(async () => { server = await startServer(database, testRealm()); });
    after(async () => { await server?.close(); });

    test('a sign-in form whose csrf field echoes a cookie planted by another site is refused with 403 and no session', async () => {
      const victim = new UserAgent(server.url);
      const page = await loginPage(server, victim);
      victim.cookies.set('strix_csrf', planted);
      const forged = await post(server, victim, page, { csrf: planted, username: 'alice', password });
      assert.equal(forged.status, 403);
      assert.equal(victim.cookies.has('strix_session'), false, 'no session was started');
    });

    test('a token from one sign-in form is refused on another sign-in of the same browser', async () => {
      const agent = new UserAgent(server.url);
      const first = await loginPage(server, agent);
      const second = await loginPage(server, agent);
      assert.notEqual(parseForm(first.html).fields.csrf, parseForm(second.html).fields.csrf, 'each interaction has its own token');
      const swapped = await post(server, agent, second, { csrf: parseForm(first.html).fields.csrf!, username: 'alice', password });
      assert.equal(swapped.status, 403);
      const genuine = await post(server, agent, second, { username: 'alice', password });
      assert.equal(genuine.status, 303, 'the form\'s own token works');
    });

    test('an attacker\'s own account-page token and cookie, planted in the victim\'s browser, do not revoke the victim\'s consent', async () => {
      const attacker = new UserAgent(server.url);
      await tokensFor(server, attacker, { client: 'web', scope: 'openid', user: 'bob' });
      const attackerPage = await attacker.open(`${server.issuer()}/account/applications`);
      const attackerToken = parseForm(attackerPage.html).fields.csrf!;

      const victim = new UserAgent(server.url);
      await tokensFor(server, victim, { client: 'web', scope: 'openid', user: 'alice' });
      victim.cookies.set('strix_csrf', attacker.cookies.get('strix_csrf')!);
      const forged = await victim.request(`${server.issuer()}/account/applications/revoke`, { form: { csrf: attackerToken, client_id: 'web' } });
      assert.equal(forged.status, 403);
      assert.match((await victim.open(`${server.issuer()}/account/applications`)).html, /Demo web app/, 'the consent is still there');
    });
  });

  describe(`CSRF cookie behind https (${database})`, () => {
    let server: TestServer;
    before(async () => { server = await startServer(database, testRealm(), { publicUrl: 'https://login.example.com' }); });
    after(async () => { await server?.close(); });

    test('the CSRF cookie is __Host-strix_csrf (Secure, Path=/, no Domain), and a planted strix_csrf cookie is not a token', async () => {
      const response = await fetch(loginUrl(server), { headers: { accept: 'text/html' } });
      const cookie = response.headers.getSetCookie().find((c) => c.startsWith('__Host-strix_csrf='));
      assert.ok(cookie, `no __Host- cookie: ${response.headers.getSetCookie().join(' | ')}`);
      for (const flag of [/;\s*Secure/i, /;\s*HttpOnly/i, /;\s*Path=\/(;|$)/i]) assert.match(cookie, flag);
      assert.doesNotMatch(cookie, /;\s*Domain=/i);

      const victim = new UserAgent(server.url);
      const page = await loginPage(server, victim);
      victim.cookies.set('strix_csrf', planted);
      const forged = await post(server, victim, page, { csrf: planted, username: 'alice', password });
      assert.equal(forged.status, 403);
      const genuine = await post(server, victim, page, { username: 'alice', password });
      assert.equal(genuine.status, 303, 'the page\'s own form still signs in');
    });
  });
}
