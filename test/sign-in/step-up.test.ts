// Step-up authentication: a client asks for a stronger authentication context (acr_values, or an
// essential acr in the claims parameter) than the SSO session has; the user gives a second factor
// without the password again, and the session and the ID token's acr / amr say so.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { launchBrowser, newContext, skipWithoutChromium, submitSignInForm } from '../helpers/browser.js';
import { databases } from '../helpers/databases.js';
import { codeFor, redeem } from '../helpers/flows.js';
import { password, testRealm, testRealmWith } from '../helpers/realm.js';
import { startRelyingParty } from '../helpers/relying-party.js';
import { codeAt, withTotp } from '../helpers/mfa.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { authorizeUrl, callbackParams, isLoginPage, parseForm, pkcePair, tokenRequest, UserAgent, type Page } from '../helpers/user-agent.js';

const redirectUri = 'http://127.0.0.1:3999/callback';

async function idToken(server: TestServer, agent: UserAgent, params: Record<string, string>, answer?: (page: Page) => Promise<Page>) {
  const pair = pkcePair();
  let page = await agent.open(authorizeUrl(server.issuer(), {
    client_id: 'trusted', redirect_uri: redirectUri, response_type: 'code', scope: 'openid', state: 'st',
    code_challenge: pair.challenge, code_challenge_method: 'S256', ...params,
  }));
  if (answer) page = await answer(page);
  const code = callbackParams(page).get('code');
  assert.ok(code, `no code: ${page.location ?? page.html.slice(0, 300)}`);
  const tokens = await tokenRequest(server.issuer(), {
    grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: pair.verifier, client_id: 'trusted', client_secret: 'trusted-secret',
  });
  assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
  return decodeJwt(tokens.body.id_token as string);
}

for (const database of databases) {
  describe(`step-up authentication (${database})`, () => {
    let server: TestServer;
    before(async () => {
      const users = ['carol', 'dave', 'erin', 'frank', 'gina'].map((username) => ({ username, password }));
      server = await startServer(database, testRealmWith({ users }));
    });
    after(async () => { await server?.close(); });

    /** A browser with a password-only SSO session of `username`, and its first ID token. */
    async function passwordSession(username: string) {
      const agent = new UserAgent(server.url);
      const first = await idToken(server, agent, {}, (page) => agent.signIn(page, username, password));
      assert.equal(first.acr, '1');
      assert.deepEqual(first.amr, ['pwd']);
      return { agent, first };
    }

    test('discovery advertises the acr values Strix can assert', async () => {
      const metadata = await (await fetch(`${server.issuer()}/.well-known/openid-configuration`)).json() as Record<string, unknown>;
      assert.deepEqual(metadata.acr_values_supported, ['1', '2', '3']);
    });

    test('acr_values=2 on a password-only session asks for the second factor, not the password, and upgrades the session', async () => {
      const { agent, first } = await passwordSession('carol');
      const secret = await withTotp(server, 'carol');
      const stepped = await idToken(server, agent, { acr_values: '2' }, async (page) => {
        assert.ok(!isLoginPage(page), 'the password is not asked again');
        assert.match(page.html, /Confirm it is you/);
        return agent.submit(page, { code: codeAt(server, secret) });
      });
      assert.equal(stepped.acr, '2');
      assert.deepEqual([...(stepped.amr as string[])].sort(), ['mfa', 'otp', 'pwd']);
      assert.equal(stepped.sid, first.sid, 'the same SSO session, upgraded');
      assert.equal(stepped.auth_time, first.auth_time);

      const later = await idToken(server, agent, {});
      assert.equal(later.acr, '2', 'the upgraded session serves later requests without a prompt');
    });

    test('CORE-26: an essential acr in the claims parameter forces the second factor, and the acr returned is the one asked for', async () => {
      const { agent } = await passwordSession('dave');
      const secret = await withTotp(server, 'dave');
      const claims = JSON.stringify({ id_token: { acr: { essential: true, values: ['2'] } } });
      const stepped = await idToken(server, agent, { claims }, async (page) => {
        assert.match(page.html, /Confirm it is you/);
        return agent.submit(page, { code: codeAt(server, secret) });
      });
      assert.equal(stepped.acr, '2');
    });

    test('a wrong code at step-up is refused and nothing is issued', async () => {
      const { agent } = await passwordSession('erin');
      const secret = await withTotp(server, 'erin');
      const page = await agent.open(authorizeUrl(server.issuer(), {
        client_id: 'trusted', redirect_uri: redirectUri, response_type: 'code', scope: 'openid', acr_values: '2',
        code_challenge: pkcePair().challenge, code_challenge_method: 'S256',
      }));
      const wrong = codeAt(server, secret) === '000000' ? '000001' : '000000';
      const answer = await agent.submit(page, { code: wrong });
      assert.equal(answer.status, 401);
      assert.equal(answer.location, undefined);
      assert.match(answer.html, /That code is not valid/);
    });

    test('acr_values=2 for a user with no second factor leads to setting one up, without the password', async () => {
      const { agent } = await passwordSession('frank');
      const page = await agent.open(authorizeUrl(server.issuer(), {
        client_id: 'trusted', redirect_uri: redirectUri, response_type: 'code', scope: 'openid', acr_values: '2',
        code_challenge: pkcePair().challenge, code_challenge_method: 'S256',
      }));
      assert.ok(!isLoginPage(page));
      assert.match(page.html, /Set up two-step verification/);
      assert.ok(parseForm(page.html).action.endsWith('/login-actions/enrol-totp'));
    });

    test('prompt=none with acr_values=2 on a password-only session answers interaction_required', async () => {
      const { agent } = await passwordSession('gina');
      await withTotp(server, 'gina');
      const page = await agent.open(authorizeUrl(server.issuer(), {
        client_id: 'trusted', redirect_uri: redirectUri, response_type: 'code', scope: 'openid', acr_values: '2', prompt: 'none', state: 'q',
        code_challenge: pkcePair().challenge, code_challenge_method: 'S256',
      }));
      const callback = callbackParams(page);
      assert.equal(callback.get('error'), 'interaction_required');
      assert.equal(callback.get('state'), 'q');
    });

    test('acr values Strix does not know are ignored: the password alone is enough and acr is 1', async () => {
      const agent = new UserAgent(server.url);
      const code = await codeFor(server, agent, { client: 'trusted', scope: 'openid', user: 'bob', params: { acr_values: 'urn:example:unknown' } });
      const tokens = await redeem(server, 'trusted', code);
      assert.equal(decodeJwt(tokens.body.id_token as string).acr, '1');
    });
  });

  describe(`step-up in a real browser (${database})`, () => {
    if (skipWithoutChromium()) return;
    test('Chromium: a signed-in user asked for acr 2 types only a TOTP code and returns to the client', async () => {
      const rp = await startRelyingParty();
      const server = await startServer(database, testRealm(rp.base));
      const browser = await launchBrowser();
      try {
        const page = await (await newContext(browser)).newPage();
        const url = (params: Record<string, string>) => authorizeUrl(server.issuer(), {
          client_id: 'trusted', redirect_uri: rp.redirectUri, response_type: 'code', scope: 'openid', state: 's',
          code_challenge: pkcePair().challenge, code_challenge_method: 'S256', ...params,
        });
        await page.goto(url({}));
        await submitSignInForm(page, 'alice', password, (u) => u.origin === rp.base);
        const secret = await withTotp(server, 'alice');

        await page.goto(url({ acr_values: '2' }));
        assert.ok(await page.getByRole('heading', { name: 'Confirm it is you' }).isVisible());
        assert.equal(await page.getByLabel('Password').count(), 0);
        await page.getByLabel('Verification code').fill(codeAt(server, secret));
        await Promise.all([page.waitForURL((u) => u.origin === rp.base), page.getByRole('button', { name: 'Verify' }).click()]);
        assert.ok(new URL(page.url()).searchParams.get('code'));
      } finally {
        await browser.close();
        await server.close();
        await rp.close();
      }
    });
  });
}
