// The device authorization grant (RFC 8628) as a TV and its user see it: the device asks for codes
// and polls with openid-client or oauth4webapi (certified client libraries), while Chromium opens
// the verification page, types the code, signs in and answers.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as oauth from 'oauth4webapi';
import * as client from 'openid-client';
import type { Page } from 'playwright-core';
import { purgeExpired } from '../../src/store/purge.js';
import { pagePerTest, skipWithoutChromium, submitSignInForm } from '../helpers/browser.js';
import { databases } from '../helpers/databases.js';
import { userinfo } from '../helpers/flows.js';
import { password, testRealm } from '../helpers/realm.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { sendFrom } from '../helpers/source-address.js';
import { isConsentPage, isLoginPage, parseForm, UserAgent } from '../helpers/user-agent.js';

const deviceGrant = 'urn:ietf:params:oauth:grant-type:device_code';
const userCodeFormat = /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/;

/** The test realm plus a public TV app and a confidential console, both allowed the device grant; polling every second. */
function deviceRealm(settings: Record<string, unknown> = {}) {
  const file = testRealm();
  const realm = file.realms[0]!;
  return {
    realms: [{
      // Many code entries come from 127.0.0.1 here; the guessing test sets a small limit of its own.
      ...realm, device_code_interval: 1, rate_limits: { device_verification_per_ip: { max: 100 } }, ...settings,
      clients: [
        ...realm.clients,
        {
          client_id: 'tv', client_name: 'Living-room TV', token_endpoint_auth_method: 'none',
          grant_types: [deviceGrant, 'refresh_token'], scope: 'openid profile offline_access',
        },
        {
          client_id: 'console', client_secret: 'console-secret', client_name: 'Game console', token_endpoint_auth_method: 'client_secret_basic',
          grant_types: [deviceGrant], scope: 'openid profile',
        },
      ],
    }],
  };
}

interface Answer { status: number; body: Record<string, any>; headers: Headers }

async function post(url: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(url, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(form).toString(),
  });
  return { status: response.status, body: await response.json() as Record<string, any>, headers: response.headers };
}

const basic = (id: string, secret: string) => ({ authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}` });

function deviceAuthorization(server: TestServer, form: Record<string, string>, headers: Record<string, string> = {}): Promise<Answer> {
  return post(`${server.issuer()}/protocol/openid-connect/auth/device`, form, headers);
}

function poll(server: TestServer, deviceCode: string, auth: { client_id: string } | { basic: [string, string] } = { client_id: 'tv' }): Promise<Answer> {
  const form = { grant_type: deviceGrant, device_code: deviceCode, ...('client_id' in auth ? { client_id: auth.client_id } : {}) };
  return post(`${server.issuer()}/protocol/openid-connect/token`, form, 'basic' in auth ? basic(...auth.basic) : {});
}

/** A TV's device authorization; fails the test unless it succeeded. */
async function tvCodes(server: TestServer, scope = 'openid profile'): Promise<Record<string, any>> {
  const answer = await deviceAuthorization(server, { client_id: 'tv', scope });
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  return answer.body;
}

/** The user answers on the verification page without a real browser: code, sign-in, consent. */
async function answerWithoutBrowser(server: TestServer, userCode: string, decision: 'allow' | 'deny' = 'allow') {
  const agent = new UserAgent(server.url);
  const form = await agent.open(`${server.issuer()}/device`);
  let page = await agent.submit(form, { user_code: userCode });
  assert.ok(isLoginPage(page), page.html.slice(0, 300));
  page = await agent.submit(page, { username: 'alice', password });
  assert.ok(isConsentPage(page), page.html.slice(0, 300));
  return agent.submit(page, {}, { name: 'decision', value: decision });
}

for (const database of databases) {
  describe(`device authorization grant (${database})`, () => {
    let server: TestServer;
    before(async () => { server = await startServer(database, deviceRealm()); });
    after(async () => { await server?.close(); });

    test('DEV-01, DISC-13: discovery advertises the device authorization endpoint and the device_code grant', async () => {
      const metadata = await (await fetch(`${server.issuer()}/.well-known/openid-configuration`)).json() as Record<string, any>;
      assert.equal(metadata.device_authorization_endpoint, `${server.issuer()}/protocol/openid-connect/auth/device`);
      assert.ok(metadata.grant_types_supported.includes(deviceGrant));
    });

    test('DEV-03, DEV-10: the device gets a high-entropy device code, a short user code, the verification URIs, expires_in and interval', async () => {
      const codes = await tvCodes(server);
      assert.match(codes.device_code, /^[A-Za-z0-9_-]{43}$/);
      assert.match(codes.user_code, userCodeFormat);
      assert.equal(codes.verification_uri, `${server.issuer()}/device`);
      assert.equal(codes.verification_uri_complete, `${server.issuer()}/device?user_code=${codes.user_code}`);
      assert.equal(codes.expires_in, 600);
      assert.equal(codes.interval, 1);
      const again = await tvCodes(server);
      assert.notEqual(again.device_code, codes.device_code);
      assert.notEqual(again.user_code, codes.user_code);
    });

    test('DEV-02, DEV-04: confidential clients authenticate; errors are RFC 6749 §5.2 JSON', async () => {
      const console = await deviceAuthorization(server, { scope: 'openid' }, basic('console', 'console-secret'));
      assert.equal(console.status, 200, JSON.stringify(console.body));
      assert.equal(console.headers.get('cache-control'), 'no-store');

      const wrongSecret = await deviceAuthorization(server, { scope: 'openid' }, basic('console', 'wrong'));
      assert.equal(wrongSecret.status, 401);
      assert.equal(wrongSecret.body.error, 'invalid_client');
      const secretless = await deviceAuthorization(server, { client_id: 'console', scope: 'openid' });
      assert.equal(secretless.status, 401);
      assert.equal(secretless.body.error, 'invalid_client');

      const scope = await deviceAuthorization(server, { client_id: 'tv', scope: 'openid email' });
      assert.equal(scope.status, 400);
      assert.equal(scope.body.error, 'invalid_scope');
      const notAllowed = await deviceAuthorization(server, { client_id: 'spa', scope: 'openid' });
      assert.equal(notAllowed.status, 400);
      assert.equal(notAllowed.body.error, 'unauthorized_client');

      const json = await fetch(`${server.issuer()}/protocol/openid-connect/auth/device`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ client_id: 'tv' }),
      });
      assert.equal(json.status, 400);
      assert.equal((await json.json() as Record<string, string>).error, 'invalid_request');
    });

    test('DEV-05: polling before the user has answered gets authorization_pending', async () => {
      const codes = await tvCodes(server);
      const pending = await poll(server, codes.device_code);
      assert.equal(pending.status, 400);
      assert.equal(pending.body.error, 'authorization_pending');
    });

    test('DEV-06: polling faster than the interval gets slow_down, and the interval then grows by 5 seconds', async () => {
      const codes = await tvCodes(server);
      assert.equal((await poll(server, codes.device_code)).body.error, 'authorization_pending');
      const fast = await poll(server, codes.device_code);
      assert.equal(fast.status, 400);
      assert.equal(fast.body.error, 'slow_down');
      server.clock.advance(3);   // the old interval (1 s) has passed, the new one (6 s) has not
      assert.equal((await poll(server, codes.device_code)).body.error, 'slow_down');
      server.clock.advance(12);  // past the interval, grown again to 11 s
      assert.equal((await poll(server, codes.device_code)).body.error, 'authorization_pending');
    });

    test('DEV-07: after expires_in the device gets expired_token, the page refuses the code, and the code is purged', async () => {
      const codes = await tvCodes(server);
      server.clock.advance(601);
      const expired = await poll(server, codes.device_code);
      assert.equal(expired.status, 400);
      assert.equal(expired.body.error, 'expired_token');

      const agent = new UserAgent(server.url);
      const refused = await agent.submit(await agent.open(`${server.issuer()}/device`), { user_code: codes.user_code });
      assert.equal(refused.status, 400);
      assert.match(refused.html, /This code is not valid or has expired/);

      server.clock.advance(3600);
      assert.ok((await purgeExpired(server.services.store, server.clock.now())).device_codes >= 1);
      assert.equal((await poll(server, codes.device_code)).body.error, 'invalid_grant');
    });

    test('DEV-08: the approved device code is exchanged once; a replay is invalid_grant', async () => {
      const codes = await tvCodes(server);
      const done = await answerWithoutBrowser(server, codes.user_code);
      assert.match(done.html, /You may return to your device/);
      const tokens = await poll(server, codes.device_code);
      assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
      assert.equal(tokens.body.token_type, 'Bearer');
      assert.ok(tokens.body.access_token && tokens.body.id_token);
      server.clock.advance(2);
      const replay = await poll(server, codes.device_code);
      assert.equal(replay.status, 400);
      assert.equal(replay.body.error, 'invalid_grant');
    });

    test('DEV-09: a device code polled by another client is invalid_grant; wrong client authentication is invalid_client', async () => {
      const codes = await tvCodes(server);
      const other = await poll(server, codes.device_code, { basic: ['console', 'console-secret'] });
      assert.equal(other.status, 400);
      assert.equal(other.body.error, 'invalid_grant');
      const wrong = await poll(server, codes.device_code, { basic: ['console', 'not-the-secret'] });
      assert.equal(wrong.status, 401);
      assert.equal(wrong.body.error, 'invalid_client');
      const unknown = await poll(server, 'x'.repeat(43));
      assert.equal(unknown.body.error, 'invalid_grant');
      // The code still works for its own client.
      assert.equal((await poll(server, codes.device_code)).body.error, 'authorization_pending');
    });

    test('signing out ends the device\'s session-bound tokens; offline ones outlive the session', async () => {
      const codes = await tvCodes(server, 'openid profile offline_access');
      const agent = new UserAgent(server.url);
      let page = await agent.submit(await agent.open(`${server.issuer()}/device`), { user_code: codes.user_code });
      page = await agent.submit(page, { username: 'alice', password });
      await agent.submit(page, {}, { name: 'decision', value: 'allow' });
      const tokens = await poll(server, codes.device_code);
      assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
      assert.equal((await userinfo(server, tokens.body.access_token)).status, 200);
      // offline_access outlives the session; a plain grant would not — this one is offline, so it stands.
      const logout = await agent.open(`${server.issuer()}/protocol/openid-connect/logout`);
      await agent.submit(logout, {});
      assert.equal((await userinfo(server, tokens.body.access_token)).status, 200);

      const plain = await tvCodes(server, 'openid profile');
      const second = new UserAgent(server.url);
      page = await second.submit(await second.open(`${server.issuer()}/device`), { user_code: plain.user_code });
      page = await second.submit(page, { username: 'alice', password });
      await second.submit(page, {}, { name: 'decision', value: 'allow' });
      const sessionBound = await poll(server, plain.device_code);
      assert.equal(sessionBound.status, 200, JSON.stringify(sessionBound.body));
      await second.submit(await second.open(`${server.issuer()}/protocol/openid-connect/logout`), {});
      assert.equal((await userinfo(server, sessionBound.body.access_token)).status, 401);
    });

    describe('in a browser', () => {
      if (skipWithoutChromium()) return;
      let page: Page;
      pagePerTest((p) => { page = p; });

      async function signIn(): Promise<void> {
        await submitSignInForm(page, 'alice', password, /\/login-actions\/authenticate$/);
      }

      test('DEV-02, DEV-03, DEV-05, DEV-08, DEV-11: a TV polls with openid-client while the user types the code, signs in and allows', async () => {
        const config = await client.discovery(new URL(server.issuer()), 'tv', undefined, client.None(), { execute: [client.allowInsecureRequests] });
        const codes = await client.initiateDeviceAuthorization(config, { scope: 'openid profile offline_access' });
        assert.match(codes.user_code, userCodeFormat);
        const polling = client.pollDeviceAuthorizationGrant(config, codes);

        const response = await page.goto(codes.verification_uri);
        assert.equal(response!.headers()['x-frame-options'], 'DENY');
        assert.match(response!.headers()['content-security-policy']!, /frame-ancestors 'none'/);
        // Typed the way people type: lower case, no dash.
        await page.getByLabel('Code').fill(codes.user_code.replace('-', '').toLowerCase());
        await Promise.all([page.waitForURL(/\/device$/), page.getByRole('button', { name: 'Continue' }).click()]);
        assert.ok(await page.getByText('to continue to Living-room TV').isVisible());
        await signIn();
        assert.ok(await page.getByRole('heading', { name: 'Living-room TV wants to access your account' }).isVisible());
        assert.ok(await page.getByText('Signed in as alice').isVisible());
        assert.ok(await page.getByText('See your name and profile details').isVisible());
        assert.ok(await page.getByText('Stay signed in to your account when you are away').isVisible());
        await page.getByRole('button', { name: 'Allow' }).click();
        await page.getByRole('heading', { name: 'Device connected' }).waitFor();
        assert.ok(await page.getByText('You may return to your device').isVisible());

        // openid-client validates the ID token (signature, iss, aud, exp, iat) before returning.
        const tokens = await polling;
        const idToken = tokens.claims()!;
        assert.equal(idToken.iss, server.issuer());
        assert.equal(idToken.aud, 'tv');
        assert.ok(tokens.refresh_token);
        assert.equal(tokens.scope, 'openid profile offline_access');
        const claims = await client.fetchUserInfo(config, tokens.access_token, idToken.sub);
        assert.equal(claims.preferred_username, 'alice');
        const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!);
        assert.ok(refreshed.access_token);
      });

      test('DEV-07: verification_uri_complete fills the code in; the user denies, and oauth4webapi gets access_denied', async () => {
        const issuer = new URL(server.issuer());
        const insecure = { [oauth.allowInsecureRequests]: true };
        const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, insecure));
        const tv: oauth.Client = { client_id: 'tv' };
        const codes = await oauth.processDeviceAuthorizationResponse(as, tv,
          await oauth.deviceAuthorizationRequest(as, tv, oauth.None(), { scope: 'openid' }, insecure));

        await page.goto(codes.verification_uri_complete!);
        assert.equal(await page.getByLabel('Code').inputValue(), codes.user_code);
        await Promise.all([page.waitForURL(/\/device$/), page.getByRole('button', { name: 'Continue' }).click()]);
        await signIn();
        await page.getByRole('button', { name: 'Deny' }).click();
        await page.getByRole('heading', { name: 'Access denied' }).waitFor();

        await assert.rejects(
          oauth.processDeviceCodeResponse(as, tv, await oauth.deviceCodeGrantRequest(as, tv, oauth.None(), codes.device_code, insecure)),
          (error: unknown) => error instanceof oauth.ResponseBodyError && error.error === 'access_denied',
        );
      });

      test('a user already signed in only confirms: the consent page comes straight after the code', async () => {
        const first = await tvCodes(server);
        await page.goto(first.verification_uri_complete);
        await Promise.all([page.waitForURL(/\/device$/), page.getByRole('button', { name: 'Continue' }).click()]);
        await signIn();
        await page.getByRole('button', { name: 'Allow' }).click();
        await page.getByRole('heading', { name: 'Device connected' }).waitFor();

        const second = await tvCodes(server);
        await page.goto(second.verification_uri_complete);
        await Promise.all([page.waitForURL(/\/device$/), page.getByRole('button', { name: 'Continue' }).click()]);
        assert.ok(await page.getByRole('heading', { name: 'Living-room TV wants to access your account' }).isVisible());
        await page.getByRole('button', { name: 'Allow' }).click();
        await page.getByRole('heading', { name: 'Device connected' }).waitFor();
        assert.equal((await poll(server, second.device_code)).status, 200);
      });
    });
  });

  describe(`device verification page guessing (${database})`, () => {
    let server: TestServer;
    before(async () => { server = await startServer(database, deviceRealm({ rate_limits: { device_verification_per_ip: { max: 3 } } })); });
    after(async () => { await server?.close(); });

    test('DEV-10: wrong user codes are refused, and code entries are rate-limited per address', async () => {
      const codes = await tvCodes(server);
      const agent = new UserAgent(server.url);
      const form = await agent.open(`${server.issuer()}/device`);
      const { action, fields } = parseForm(form.html);
      const cookie = [...agent.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
      const enter = (userCode: string, from = '127.0.0.1') =>
        sendFrom(new URL(action, form.url).href, { from, form: { ...fields, user_code: userCode }, headers: { cookie, accept: 'text/html' } });

      for (const wrong of ['BBBB-BBBB', 'not a code', 'CCCC-CCCC']) {
        const refused = await enter(wrong);
        assert.equal(refused.status, 400);
        assert.match(refused.body, /This code is not valid or has expired/);
      }
      const limited = await enter(codes.user_code);
      assert.equal(limited.status, 429);
      assert.ok(Number(limited.retryAfter) >= 1);
      assert.match(limited.body, /Too many requests/);
      // Another address still gets through, to the sign-in page.
      const elsewhere = await enter(codes.user_code, '127.0.0.2');
      assert.equal(elsewhere.status, 200);
      assert.match(elsewhere.body, /name="password"/);
    });

    test('the code form needs its CSRF token', async () => {
      const codes = await tvCodes(server);
      const forged = await sendFrom(`${server.issuer()}/device`, { from: '127.0.0.3', form: { user_code: codes.user_code, csrf: 'x'.repeat(43) }, headers: { accept: 'text/html' } });
      assert.equal(forged.status, 403);
    });
  });
}

for (const database of databases) {
  describe(`device authorization grant with a second factor required (${database})`, () => {
    let server: TestServer;
    before(async () => { server = await startServer(database, deviceRealm({ mfa: 'required' })); });
    after(async () => { await server?.close(); });

    test('a device is no way around MFA: after the password comes the second factor, and posting the consent form directly is refused', async () => {
      const codes = await tvCodes(server);
      const agent = new UserAgent(server.url);
      let page = await agent.submit(await agent.open(`${server.issuer()}/device`), { user_code: codes.user_code });
      assert.ok(isLoginPage(page), page.html.slice(0, 300));
      page = await agent.submit(page, { username: 'alice', password });
      assert.ok(!isConsentPage(page), 'the consent page came before the second factor');
      assert.match(page.html, /login-actions\/enrol-totp/, 'alice has no factor yet, so she is asked to set one up');

      const { fields } = parseForm(page.html);
      const forged = await agent.open(`${server.issuer()}/login-actions/consent`, { form: { csrf: fields.csrf!, interaction: fields.interaction!, decision: 'allow' } });
      assert.equal(forged.status, 403);
      assert.equal((await poll(server, codes.device_code)).body.error, 'authorization_pending');

      // A second visit with the password-only session goes straight to the factor too, not to consent.
      const codes2 = await tvCodes(server);
      const again = await agent.submit(await agent.open(`${server.issuer()}/device`), { user_code: codes2.user_code });
      assert.ok(!isConsentPage(again) && !isLoginPage(again), again.html.slice(0, 300));
      assert.match(again.html, /login-actions\/enrol-totp/);
    });
  });
}
