// Implicit and hybrid flows (OIDC Core §3.2, §3.3) and the response modes that carry them:
// fragment by default, form_post on request (OAuth 2.0 Form Post Response Mode).
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import * as client from 'openid-client';
import type { Browser } from 'playwright-core';
import { parseRealmFile, RealmFileError } from '../../src/admin/realm-file.js';
import { chromiumAvailable, launchBrowser } from '../helpers/browser.js';
import { databases } from '../helpers/databases.js';
import { userinfo } from '../helpers/flows.js';
import { allResponseTypes, hybridClient, password, testRealm } from '../helpers/realm.js';
import { freePort, startServer, type TestServer } from '../helpers/server.js';
import { authorizeUrl, fragmentOf, halfHash, parseForm, UserAgent } from '../helpers/user-agent.js';

const redirectUri = 'http://127.0.0.1:3999/callback';

function realmWithFlows(redirect = redirectUri) {
  const realm = testRealm();
  realm.realms[0]!.clients.push(
    hybridClient(redirect) as never,
    {
      client_id: 'implicit-spa', client_name: 'Implicit SPA', redirect_uris: [redirect], grant_types: ['implicit'],
      response_types: ['id_token', 'id_token token'], token_endpoint_auth_method: 'none', scope: 'openid profile email',
    } as never,
  );
  return realm;
}

for (const database of databases) {
  describe(`implicit and hybrid flows (${database})`, () => {
    let server: TestServer;
    let browser: UserAgent;

    before(async () => {
      server = await startServer(database, realmWithFlows());
      browser = new UserAgent(server.url);
      const login = await browser.open(authorizeUrl(server.issuer(), { client_id: 'trusted', redirect_uri: redirectUri, response_type: 'code', scope: 'openid' }));
      await browser.signIn(login, 'alice', password);
    });
    after(async () => { await server?.close(); });

    const authorize = (params: Record<string, string>) =>
      browser.open(authorizeUrl(server.issuer(), { client_id: 'hybrid', redirect_uri: redirectUri, scope: 'openid profile email', state: 'st', nonce: 'nn', ...params }));

    test('IMPL-02, IMPL-05: response_type=id_token returns only an ID token, in the fragment, carrying the profile claims', async () => {
      const fragment = fragmentOf(await authorize({ response_type: 'id_token' }));
      assert.deepEqual([...fragment.keys()].sort(), ['id_token', 'iss', 'state']);
      assert.equal(fragment.get('iss'), server.issuer());
      const idToken = decodeJwt(fragment.get('id_token')!);
      assert.equal(idToken.nonce, 'nn');
      assert.equal(idToken.at_hash, undefined);
      assert.equal(idToken.given_name, 'Alice');
      assert.equal(idToken.email, 'alice@example.com');
    });

    test('openid-client validates an implicit id_token response', async () => {
      const config = await client.discovery(new URL(server.issuer()), 'implicit-spa', undefined, client.None(), { execute: [client.allowInsecureRequests, client.useIdTokenResponseType] });
      const nonce = client.randomNonce();
      const url = client.buildAuthorizationUrl(config, { redirect_uri: redirectUri, scope: 'openid', nonce });
      const page = await browser.open(url.href);
      const claims = await client.implicitAuthentication(config, new URL(page.location!), nonce);
      assert.equal(claims.iss, server.issuer());
      assert.equal(claims.aud, 'implicit-spa');
    });

    test('IMPL-03: response_type=id_token token returns an access token that userinfo accepts and an ID token with its at_hash', async () => {
      const fragment = fragmentOf(await authorize({ response_type: 'id_token token' }));
      const accessToken = fragment.get('access_token')!;
      assert.equal(fragment.get('token_type'), 'Bearer');
      assert.ok(Number(fragment.get('expires_in')) > 0);
      assert.equal(fragment.get('code'), null);
      const idToken = decodeJwt(fragment.get('id_token')!);
      assert.equal(idToken.at_hash, halfHash(accessToken));
      assert.equal(idToken.given_name, undefined, 'with an access token the claims come from userinfo');
      const info = await userinfo(server, accessToken);
      assert.equal(info.status, 200);
      assert.equal(info.body.given_name, 'Alice');
    });

    test('HYB-03: response_type=code id_token gives an ID token whose c_hash matches the code, and openid-client completes the flow', async () => {
      const config = await client.discovery(new URL(server.issuer()), 'hybrid', undefined, client.ClientSecretBasic('hybrid-secret'), { execute: [client.allowInsecureRequests, client.useCodeIdTokenResponseType] });
      const nonce = client.randomNonce();
      const state = client.randomState();
      const url = client.buildAuthorizationUrl(config, { redirect_uri: redirectUri, scope: 'openid email', nonce, state });
      const page = await browser.open(url.href);
      const fragment = fragmentOf(page);
      assert.equal(decodeJwt(fragment.get('id_token')!).c_hash, halfHash(fragment.get('code')!));
      const tokens = await client.authorizationCodeGrant(config, new URL(page.location!), { expectedNonce: nonce, expectedState: state });
      assert.equal(tokens.claims()?.nonce, nonce);
      assert.ok(tokens.access_token);
    });

    test('HYB-04: response_type=code token returns a code and an access token; the code still redeems at the token endpoint', async () => {
      const fragment = fragmentOf(await authorize({ response_type: 'code token' }));
      assert.ok(fragment.get('access_token'));
      const response = await fetch(`${server.issuer()}/protocol/openid-connect/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from('hybrid:hybrid-secret').toString('base64')}` },
        body: new URLSearchParams({ grant_type: 'authorization_code', code: fragment.get('code')!, redirect_uri: redirectUri }),
      });
      const body = await response.json() as Record<string, string>;
      assert.equal(response.status, 200, JSON.stringify(body));
      assert.equal(decodeJwt(body.id_token!).nonce, 'nn');
    });

    test('HYB-05: response_type=code id_token token binds the ID token to both the code (c_hash) and the access token (at_hash)', async () => {
      const fragment = fragmentOf(await authorize({ response_type: 'code id_token token' }));
      const idToken = decodeJwt(fragment.get('id_token')!);
      assert.equal(idToken.c_hash, halfHash(fragment.get('code')!));
      assert.equal(idToken.at_hash, halfHash(fragment.get('access_token')!));
    });

    test('the order of values in response_type does not matter', async () => {
      const fragment = fragmentOf(await authorize({ response_type: 'token id_token' }));
      assert.ok(fragment.get('access_token') && fragment.get('id_token'));
    });

    test('IMPL-04, CORE-20: a token-returning request without a nonce is refused with invalid_request, in the fragment', async () => {
      const page = await browser.open(authorizeUrl(server.issuer(), { client_id: 'hybrid', redirect_uri: redirectUri, scope: 'openid', state: 'st', response_type: 'id_token' }));
      const fragment = fragmentOf(page);
      assert.equal(fragment.get('error'), 'invalid_request');
      assert.equal(fragment.get('state'), 'st');
      assert.equal(fragment.get('iss'), server.issuer());
    });

    test('response_mode=query with a token-returning response type is refused, and the error stays out of the query', async () => {
      const fragment = fragmentOf(await authorize({ response_type: 'id_token', response_mode: 'query' }));
      assert.equal(fragment.get('error'), 'invalid_request');
    });

    test('CORE-32: offline_access is ignored when no code is returned (OIDC Core §11)', async () => {
      const fragment = fragmentOf(await authorize({ response_type: 'id_token token', scope: 'openid offline_access' }));
      assert.equal(fragment.get('scope'), 'openid');
    });

    test('a client not registered for a response type gets unauthorized_client', async () => {
      const page = await browser.open(authorizeUrl(server.issuer(), { client_id: 'trusted', redirect_uri: redirectUri, scope: 'openid', state: 'st', nonce: 'n', response_type: 'code id_token' }));
      assert.equal(fragmentOf(page).get('error'), 'unauthorized_client');
    });

    test('FP-02, FP-05: response_mode=form_post answers with a self-posting form to the redirect URI, with no redirect', async () => {
      const page = await authorize({ response_type: 'code', response_mode: 'form_post' });
      assert.equal(page.status, 200);
      assert.equal(page.location, undefined);
      const form = parseForm(page.html);
      assert.equal(form.action, redirectUri);
      assert.ok(form.fields.code);
      assert.equal(form.fields.state, 'st');
      assert.equal(form.fields.iss, server.issuer());
      assert.match(page.html, /<script src="\/resources\/form-post\.js" defer/);
      assert.match(page.html, /<button type="submit"[^>]*>Continue<\/button>/);
    });

    test('FP-02: errors go through form_post too when it was asked for', async () => {
      const page = await browser.open(authorizeUrl(server.issuer(), { client_id: 'web', redirect_uri: redirectUri, scope: 'openid', state: 'st', response_type: 'code', response_mode: 'form_post', prompt: 'none' }));
      const form = parseForm(page.html);
      assert.equal(form.fields.error, 'consent_required');
      assert.equal(form.fields.state, 'st');
    });

    test('discovery advertises the six response types, form_post and the implicit grant', async () => {
      const discovery = await (await fetch(`${server.issuer()}/.well-known/openid-configuration`)).json() as Record<string, string[]>;
      assert.deepEqual(discovery.response_types_supported, allResponseTypes);
      assert.deepEqual(discovery.response_modes_supported, ['query', 'fragment', 'form_post']);
      assert.ok(discovery.grant_types_supported!.includes('implicit'));
    });
  });
}

describe('client registration of response types', () => {
  const withClient = (extra: Record<string, unknown>) => ({ realms: [{ name: 'r', clients: [{ client_id: 'c', client_secret: 's', redirect_uris: [redirectUri], ...extra }] }] });

  test('a hybrid response type without the implicit grant type is rejected, naming where', () => {
    assert.throws(() => parseRealmFile(withClient({ grant_types: ['authorization_code'], response_types: ['code id_token'] }), 'f'),
      (error: Error) => error instanceof RealmFileError && /clients\[0\]\.grant_types/.test(error.message) && /implicit/.test(error.message));
  });

  test('response types are stored in canonical order', () => {
    const [realm] = parseRealmFile(withClient({ grant_types: ['authorization_code', 'implicit'], response_types: ['token id_token code'] }), 'f');
    assert.deepEqual(realm!.clients[0]!.metadata.response_types, ['code id_token token']);
  });

  test('an unknown response type is rejected', () => {
    assert.throws(() => parseRealmFile(withClient({ response_types: ['token'] }), 'f'), /response_types/);
  });
});

describe('form_post in a real browser', () => {
  if (!chromiumAvailable() && process.env.CI !== 'true') {
    test.skip('Chromium is not installed: browser tests are skipped');
    return;
  }
  let server: TestServer;
  let rp: Server;
  let rpBase: string;
  let chromium: Browser;
  const posts: URLSearchParams[] = [];

  before(async () => {
    const port = await freePort();
    rpBase = `http://127.0.0.1:${port}`;
    rp = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => { body += chunk; });
      request.on('end', () => {
        if (request.method === 'POST') posts.push(new URLSearchParams(body));
        response.writeHead(200, { 'content-type': 'text/plain' }).end(`${request.method} received`);
      });
    });
    await new Promise<void>((resolve) => rp.listen(port, '127.0.0.1', resolve));
    server = await startServer('sqlite', realmWithFlows(`${rpBase}/callback`));
    chromium = await launchBrowser();
  });
  after(async () => {
    await chromium?.close();
    await server?.close();
    rp?.closeAllConnections();
    await new Promise((resolve) => rp?.close(resolve));
  });

  for (const javaScriptEnabled of [true, false]) {
    test(`the browser posts the code to the client ${javaScriptEnabled ? 'by itself' : 'when the user presses Continue (JavaScript off)'}`, async () => {
      const context = await chromium.newContext({ javaScriptEnabled });
      const page = await context.newPage();
      const before = posts.length;
      await page.goto(authorizeUrl(server.issuer(), { client_id: 'hybrid', redirect_uri: `${rpBase}/callback`, response_type: 'code', response_mode: 'form_post', scope: 'openid', state: 'fp' }));
      await page.getByLabel('Username').fill('alice');
      await page.getByLabel('Password').fill(password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      if (!javaScriptEnabled) await page.getByRole('button', { name: 'Continue' }).click();
      await page.waitForURL(`${rpBase}/callback`);
      assert.equal(await page.textContent('body'), 'POST received');
      const posted = posts[before]!;
      assert.ok(posted.get('code'));
      assert.equal(posted.get('state'), 'fp');
      await context.close();
    });
  }
});
