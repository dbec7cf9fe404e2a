// Sign in with Apple through the apple preset (docs/identity-providers.md), in Chromium, against an
// Apple-shaped provider in the test process (shapes from Apple's "Sign in with Apple REST API"
// documentation): the answer is a cross-site form POST (response_mode=form_post) that must bring
// back the state cookie, the client secret is a JWT Strix signs with the team's key, email_verified
// is the string "true", and the user's name comes only in the form's `user` field at the first sign-in.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { exportJWK, exportPKCS8, generateKeyPair, jwtVerify, SignJWT, type JWK } from 'jose';
import * as client from 'openid-client';
import { browserPerSuite, newContext, skipWithoutChromium } from '../helpers/browser.js';
import { databases } from '../helpers/databases.js';
import { testRealmWith } from '../helpers/realm.js';
import { startRelyingParty, type RelyingParty } from '../helpers/relying-party.js';
import { freePort, startServer, type TestServer } from '../helpers/server.js';

const teamId = 'TEAMID1234';
const keyId = 'KEYID56789';
const servicesId = 'com.example.strix';

interface FakeApple { base: string; clientSecrets: { iss: unknown; sub: unknown; aud: unknown; kid: unknown }[]; close(): Promise<void> }

/** An Apple-shaped provider: its authorize page posts the answer back with a button; its token endpoint checks the JWT client secret. */
async function startFakeApple(teamKey: CryptoKey): Promise<FakeApple> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid: 'apple-1', alg: 'RS256', use: 'sig' };
  const nonces = new Map<string, string>();
  const fake: FakeApple = { base, clientSecrets: [], close: async () => {} };
  const escape = (value: string) => value.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', base);
    const json = (status: number, body: unknown) => response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (url.pathname === '/.well-known/openid-configuration') {
      return json(200, { issuer: base, authorization_endpoint: `${base}/auth/authorize`, token_endpoint: `${base}/auth/token`, jwks_uri: `${base}/auth/keys`, response_modes_supported: ['query', 'fragment', 'form_post'] });
    }
    if (url.pathname === '/auth/keys') return json(200, { keys: [jwk] });
    if (url.pathname === '/auth/authorize') {
      if (url.searchParams.get('response_mode') !== 'form_post') return json(400, { error: 'invalid_request', error_description: 'response_mode must be form_post' });
      const code = `code-${nonces.size + 1}`;
      nonces.set(code, url.searchParams.get('nonce') ?? '');
      const user = JSON.stringify({ name: { firstName: 'Tim', lastName: 'Apfel' }, email: 'tim@privaterelay.appleid.com' });
      const fields = { code, state: url.searchParams.get('state') ?? '', user };
      return response.writeHead(200, { 'content-type': 'text/html' }).end(`<!doctype html><title>Apple</title><form method="post" action="${escape(url.searchParams.get('redirect_uri') ?? '')}">${
        Object.entries(fields).map(([name, value]) => `<input type="hidden" name="${name}" value="${escape(value)}">`).join('')}<button>Continue with Apple</button></form>`);
    }
    if (url.pathname === '/auth/token' && request.method === 'POST') {
      let body = '';
      request.on('data', (chunk: Buffer) => { body += chunk.toString(); });
      request.on('end', () => void (async () => {
        const form = new URLSearchParams(body);
        try {
          const { payload, protectedHeader } = await jwtVerify(form.get('client_secret') ?? '', teamKey, { algorithms: ['ES256'], issuer: teamId, audience: base, subject: servicesId });
          fake.clientSecrets.push({ iss: payload.iss, sub: payload.sub, aud: payload.aud, kid: protectedHeader.kid });
        } catch {
          return json(400, { error: 'invalid_client' });
        }
        const nonce = nonces.get(form.get('code') ?? '');
        if (form.get('client_id') !== servicesId || nonce === undefined) return json(400, { error: 'invalid_grant' });
        const idToken = await new SignJWT({ nonce, email: 'tim@privaterelay.appleid.com', email_verified: 'true', is_private_email: 'true', auth_time: Math.floor(Date.now() / 1000) })
          .setProtectedHeader({ alg: 'RS256', kid: 'apple-1' }).setIssuer(base).setAudience(servicesId).setSubject('001234.abcdef0123456789.1234')
          .setIssuedAt().setExpirationTime('10m').sign(privateKey);
        return json(200, { access_token: 'apple-access-token', token_type: 'Bearer', expires_in: 3600, refresh_token: 'apple-refresh-token', id_token: idToken });
      })());
      return undefined;
    }
    return json(404, {});
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  fake.close = () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); });
  return fake;
}

for (const database of databases) {
  describe(`Sign in with Apple (${database})`, () => {
    if (skipWithoutChromium()) return;
    let rp: RelyingParty;
    let apple: FakeApple;
    let server: TestServer;
    let config: client.Configuration;
    const browser = browserPerSuite();
    before(async () => {
      const teamKey = await generateKeyPair('ES256', { extractable: true });
      process.env.STRIX_TEST_APPLE_KEY = await exportPKCS8(teamKey.privateKey);
      rp = await startRelyingParty();
      apple = await startFakeApple(teamKey.publicKey);
      server = await startServer(database, testRealmWith({
        // The sign-up asks for a nickname, which Apple does not give: the new user reviews its profile first (review_profile "missing").
        registration_fields: ['given_name', 'family_name', 'nickname'],
        identity_providers: [{ alias: 'apple', preset: 'apple', issuer: apple.base, client_id: servicesId, team_id: teamId, key_id: keyId, private_key: { env: 'STRIX_TEST_APPLE_KEY' } }],
      }, rp.base), { localhost: true });
      config = await client.discovery(new URL(server.issuer()), 'trusted', 'trusted-secret', client.ClientSecretPost('trusted-secret'), { execute: [client.allowInsecureRequests] });
    });
    after(async () => {
      await server?.close();
      await apple?.close();
      await rp?.close();
    });

    test('Apple\'s form_post answer comes back across sites, its JWT client secret is accepted, and the user gets the name from the first answer', async () => {
      const context = await newContext(browser());
      try {
        const page = await context.newPage();
        const verifier = client.randomPKCECodeVerifier();
        const state = client.randomState();
        await page.goto(client.buildAuthorizationUrl(config, {
          redirect_uri: rp.redirectUri, scope: 'openid profile email', state, code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
        }).href);
        await page.getByRole('link', { name: 'Sign in with Apple' }).click();
        assert.equal(new URL(page.url()).origin, apple.base, 'at the provider (another site than Strix\'s)');
        await page.getByRole('button', { name: 'Continue with Apple' }).click();
        await page.getByRole('heading', { name: 'Complete your profile' }).waitFor();
        assert.equal(await page.getByLabel('Given name').inputValue(), 'Tim', 'filled in from Apple\'s answer');
        await page.getByLabel('Nickname').fill('timmy');
        await Promise.all([page.waitForURL((url) => url.origin === rp.base), page.getByRole('button', { name: 'Continue' }).click()]);
        const tokens = await client.authorizationCodeGrant(config, new URL(page.url()), { pkceCodeVerifier: verifier, expectedState: state });
        const info = await client.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub);
        assert.equal(info.email, 'tim@privaterelay.appleid.com');
        assert.equal(info.given_name, 'Tim');
        assert.equal(info.family_name, 'Apfel');
        assert.equal(info.nickname, 'timmy', 'the reviewed profile');
        assert.deepEqual(apple.clientSecrets, [{ iss: teamId, sub: servicesId, aud: apple.base, kid: keyId }], 'one exchange, with the JWT client secret Apple expects');
        const user = await server.services.store.users.findByEmail('demo', 'tim@privaterelay.appleid.com');
        assert.equal((await server.services.store.userIdentities.forUser(user!.id))[0]!.subject, '001234.abcdef0123456789.1234');
      } finally {
        await context.close();
      }
    });
  });
}
