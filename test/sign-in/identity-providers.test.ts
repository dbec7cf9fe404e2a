// Sign-in through an upstream OpenID Connect provider (docs/identity-providers.md), in Chromium, with
// a second Strix realm as the upstream (realm-to-realm brokering) and openid-client as the
// application: a new upstream user is created just in time and lands on the client; an upstream
// account with the verified address of an existing user is linked only once that user gives its
// password; an unverified address links nothing; kc_idp_hint skips the sign-in page.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { decodeJwt, exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';
import * as client from 'openid-client';
import type { Browser, Page } from 'playwright-core';
import { importRealm, parseRealmFile } from '../../src/admin/realm-file.js';
import { browserPerSuite, newContext, skipWithoutChromium } from '../helpers/browser.js';
import { databases } from '../helpers/databases.js';
import { password, testRealm } from '../helpers/realm.js';
import { startFakeGitHub } from '../helpers/fake-github.js';
import { startRelyingParty, type RelyingParty } from '../helpers/relying-party.js';
import { freePort, startServer, type TestServer } from '../helpers/server.js';

const upstreamPassword = 'an upstream passphrase for tests';
process.env.STRIX_TEST_CORP_SECRET = 'broker-secret-for-tests';

/** The upstream realm (its client is the demo realm's broker) and the demo realm with the provider. */
function realms(server: TestServer, rp: RelyingParty, github: { base: string }) {
  const demo = testRealm(rp.base).realms[0]!;
  const upstream = {
    name: 'upstream', display_name: 'Upstream',
    clients: [{
      client_id: 'broker', client_secret: 'broker-secret-for-tests', redirect_uris: [`${server.issuer('demo')}/broker/corp/endpoint`],
      post_logout_redirect_uris: [`${server.issuer('demo')}/broker/corp/endpoint/logout_response`],
      grant_types: ['authorization_code'], response_types: ['code'], scope: 'openid profile email', require_consent: false,
    }],
    users: [
      { username: 'uma', password: upstreamPassword, email: 'uma@upstream.example', email_verified: true, given_name: 'Uma' },
      { username: 'uma2', password: upstreamPassword, email: 'uma2@upstream.example', email_verified: true },
      { username: 'alice-up', password: upstreamPassword, email: 'alice@example.com', email_verified: true },
      { username: 'bob-up', password: upstreamPassword, email: 'bob@example.com', email_verified: false },
      { username: 'carol-up', password: upstreamPassword, email: 'carol@upstream.example', email_verified: true },
    ],
  };
  const withProvider = {
    ...demo,
    identity_providers: [{
      alias: 'corp', display_name: 'Corporate login', issuer: server.issuer('upstream'), client_id: 'broker',
      client_secret: { env: 'STRIX_TEST_CORP_SECRET' }, scopes: 'openid profile email', upstream_logout: true, store_tokens: true,
    }, {
      alias: 'github', preset: 'github', client_id: 'gh-client', authorization_endpoint: `${github.base}/login/oauth/authorize`,
      token_endpoint: `${github.base}/login/oauth/access_token`, user_endpoint: `${github.base}/user`, emails_endpoint: `${github.base}/user/emails`,
      claim_mappers: [{ type: 'fixed_role', role: 'viewer' }, { type: 'claim_to_attribute', claim: 'picture', attribute: 'avatar' }],
    }],
  };
  return parseRealmFile({ realms: [upstream, withProvider] }, 'brokering test');
}

for (const database of databases) {
  describe(`sign-in through an upstream provider (${database})`, () => {
    if (skipWithoutChromium()) return;
    let rp: RelyingParty;
    let github: Awaited<ReturnType<typeof startFakeGitHub>>;
    let server: TestServer;
    let config: client.Configuration;
    const browser = browserPerSuite();
    before(async () => {
      rp = await startRelyingParty();
      github = await startFakeGitHub();
      server = await startServer(database, testRealm(rp.base));
      for (const realm of realms(server, rp, github)) await importRealm(server.services, realm);
      config = await client.discovery(new URL(server.issuer()), 'trusted', 'trusted-secret', client.ClientSecretPost('trusted-secret'), { execute: [client.allowInsecureRequests] });
    });
    after(async () => {
      await server?.close();
      await github?.close();
      await rp?.close();
    });

    /** Starts openid-client's authorization request in a fresh context; returns the page and how to finish. */
    async function authorize(b: Browser, params: Record<string, string> = {}) {
      const context = await newContext(b);
      const page = await context.newPage();
      const verifier = client.randomPKCECodeVerifier();
      const state = client.randomState();
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: rp.redirectUri, scope: 'openid profile email', state, code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', ...params,
      });
      await page.goto(url.href);
      const finish = async () => {
        const tokens = await client.authorizationCodeGrant(config, new URL(page.url()), { pkceCodeVerifier: verifier, expectedState: state });
        return { tokens, claims: tokens.claims()!, info: await client.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub) };
      };
      return { page, context, finish };
    }

    /** On the upstream realm's sign-in page: signs in there. */
    async function upstreamSignIn(page: Page, username: string, until?: (url: URL) => boolean) {
      assert.match(await page.title(), /Sign in/);
      assert.ok(await page.getByRole('heading', { name: 'Sign in to Upstream' }).isVisible(), 'the upstream realm\'s page');
      await page.getByLabel('Username').fill(username);
      await page.getByLabel('Password').fill(upstreamPassword);
      await Promise.all([until && page.waitForURL(until), page.getByRole('button', { name: 'Sign in' }).click()]);
    }

    const atClient = (url: URL) => url.origin === rp.base;
    const demoUser = (username: string) => server.services.store.users.findByUsername('demo', username);

    test('a new upstream user is created just in time and lands on the client with the upstream claims', async () => {
      const { page, context, finish } = await authorize(browser());
      try {
        await page.getByRole('link', { name: 'Sign in with Corporate login' }).click();
        await upstreamSignIn(page, 'uma', atClient);
        const { claims, info } = await finish();
        const user = await demoUser('uma');
        assert.ok(user, 'the user is created in the demo realm');
        assert.equal(claims.sub, user.id);
        assert.deepEqual(claims.amr, ['pwd'], 'the upstream amr');
        assert.equal(claims.idp, 'corp', 'the provider that signed the user in');
        assert.equal(claims.acr, '1', 'without accept_mfa a provider\'s sign-in is one factor');
        assert.equal(info.email, 'uma@upstream.example');
        assert.equal(info.email_verified, false, 'not trusted: the address is not verified here');
        assert.equal(info.given_name, 'Uma');
        assert.equal(user.passwordHash, null, 'no password: the upstream signs this user in');
        const links = await server.services.store.userIdentities.forUser(user.id);
        assert.deepEqual(links.map((l) => l.provider), ['corp']);
      } finally {
        await context.close();
      }
    });

    test('GitHub (the github preset, OAuth 2.0): the user lands on the client with its verified address and the mapped role', async () => {
      const { page, context, finish } = await authorize(browser(), { scope: 'openid profile email roles' });
      try {
        await Promise.all([page.waitForURL(atClient), page.getByRole('link', { name: 'Sign in with GitHub' }).click()]);
        const { claims, info } = await finish();
        assert.equal(info.email, 'octo@gh.example', 'the verified primary address from the emails API');
        assert.equal(info.preferred_username, 'octocat');
        assert.equal(claims.idp, 'github');
        assert.deepEqual(info.roles, ['viewer'], 'the fixed_role mapper');
        assert.equal((await demoUser('octocat'))!.claims.avatar, 'https://avatars.example/u/4242', 'claim_to_attribute');
      } finally {
        await context.close();
      }
    });

    test('the same upstream account signs in to the same user again', async () => {
      const first = await authorize(browser());
      let sub: string;
      try {
        await first.page.getByRole('link', { name: 'Sign in with Corporate login' }).click();
        await upstreamSignIn(first.page, 'uma2', atClient);
        sub = (await first.finish()).claims.sub;
      } finally {
        await first.context.close();
      }
      const again = await authorize(browser());
      try {
        await again.page.getByRole('link', { name: 'Sign in with Corporate login' }).click();
        await upstreamSignIn(again.page, 'uma2', atClient);
        assert.equal((await again.finish()).claims.sub, sub);
      } finally {
        await again.context.close();
      }
    });

    test('an upstream account with the verified address of an existing user is linked only after that user\'s password', async () => {
      const alice = (await demoUser('alice'))!;
      const { page, context, finish } = await authorize(browser());
      try {
        await page.getByRole('link', { name: 'Sign in with Corporate login' }).click();
        await upstreamSignIn(page, 'alice-up');
        assert.ok(await page.getByRole('heading', { name: 'Link your Corporate login account' }).isVisible());
        assert.deepEqual(await server.services.store.userIdentities.forUser(alice.id), [], 'nothing linked before the password');
        await page.getByLabel('Password of alice').fill('not her password');
        await page.getByRole('button', { name: 'Link and sign in' }).click();
        assert.ok(await page.getByText('Invalid username or password.').isVisible());
        await page.getByLabel('Password of alice').fill(password);
        await Promise.all([page.waitForURL(atClient), page.getByRole('button', { name: 'Link and sign in' }).click()]);
        const { claims } = await finish();
        assert.equal(claims.sub, alice.id, 'signed in as the existing user');
        assert.deepEqual((await server.services.store.userIdentities.forUser(alice.id)).map((l) => l.provider), ['corp']);
      } finally {
        await context.close();
      }
    });

    test('an unverified upstream address never links to the user who has it, and creates nobody', async () => {
      const usersBefore = (await server.services.store.users.list('demo')).length;
      const bob = (await demoUser('bob'))!;
      const { page, context } = await authorize(browser());
      try {
        await page.getByRole('link', { name: 'Sign in with Corporate login' }).click();
        await upstreamSignIn(page, 'bob-up');
        assert.ok(await page.getByRole('heading', { name: 'Sign-in with Corporate login failed' }).isVisible());
        assert.ok(await page.getByText('An account with your Corporate login e-mail address already exists here').isVisible());
        assert.equal(page.url().startsWith(rp.base), false);
        assert.deepEqual(await server.services.store.userIdentities.forUser(bob.id), []);
        assert.equal((await server.services.store.users.list('demo')).length, usersBefore);
      } finally {
        await context.close();
      }
    });

    test('the password form beside the provider buttons works on a first visit (one CSRF cookie for all of the page)', async () => {
      const { page, context, finish } = await authorize(browser());
      try {
        await page.getByLabel('Username').fill('alice');
        await page.getByLabel('Password').fill(password);
        await Promise.all([page.waitForURL(atClient), page.getByRole('button', { name: 'Sign in', exact: true }).click()]);
        assert.equal((await finish()).claims.sub, (await demoUser('alice'))!.id);
      } finally {
        await context.close();
      }
    });

    test('Linked accounts on the account page: link an upstream account after signing in, sign in with it, unlink it', async () => {
      const bob = (await demoUser('bob'))!;
      const { page, context, finish } = await authorize(browser());
      try {
        await page.getByLabel('Username').fill('bob');
        await page.getByLabel('Password').fill(password);
        await Promise.all([page.waitForURL(atClient), page.getByRole('button', { name: 'Sign in', exact: true }).click()]);
        await finish();
        await page.goto(`${server.issuer()}/account/mfa`);
        await page.getByRole('link', { name: 'Linked accounts' }).click();
        const corp = page.getByRole('listitem').filter({ hasText: 'Corporate login' });
        assert.ok(await corp.getByText('Not linked').isVisible());
        await corp.getByRole('button', { name: 'Link' }).click();
        await upstreamSignIn(page, 'carol-up');
        assert.ok(await page.getByText('Corporate login is linked: it signs you in here from now on.').isVisible());
        assert.deepEqual((await server.services.store.userIdentities.forUser(bob.id)).map((l) => l.subject.length > 0), [true]);
      } finally {
        await context.close();
      }
      const viaProvider = await authorize(browser());
      try {
        await viaProvider.page.getByRole('link', { name: 'Sign in with Corporate login' }).click();
        await upstreamSignIn(viaProvider.page, 'carol-up', atClient);
        assert.equal((await viaProvider.finish()).claims.sub, bob.id, 'the linked account signs bob in');
        await viaProvider.page.goto(`${server.issuer()}/account/linked-accounts`);
        await viaProvider.page.getByRole('listitem').filter({ hasText: 'Corporate login' }).getByRole('button', { name: 'Unlink' }).click();
        assert.ok(await viaProvider.page.getByText('Corporate login is no longer linked.').isVisible());
        assert.deepEqual(await server.services.store.userIdentities.forUser(bob.id), []);
      } finally {
        await viaProvider.context.close();
      }
    });

    test('the only way a user signs in cannot be unlinked', async () => {
      const { page, context, finish } = await authorize(browser());
      try {
        await page.getByRole('link', { name: 'Sign in with Corporate login' }).click();
        await upstreamSignIn(page, 'uma', atClient);
        await finish();
        await page.goto(`${server.issuer()}/account/linked-accounts`);
        const [response] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/unlink')), page.getByRole('button', { name: 'Unlink' }).click()]);
        assert.equal(response.status(), 409);
        assert.ok(await page.getByText('Corporate login is your only way to sign in').isVisible());
        assert.equal((await server.services.store.userIdentities.forUser((await demoUser('uma'))!.id)).length, 1);
      } finally {
        await context.close();
      }
    });

    test('signing out of the application signs out at the provider too, and comes back to the application', async () => {
      const { page, context, finish } = await authorize(browser());
      try {
        await page.getByRole('link', { name: 'Sign in with Corporate login' }).click();
        await upstreamSignIn(page, 'uma', atClient);
        const { tokens } = await finish();
        const session = (await server.services.store.sessions.findLive(tokens.claims()!.sid as string, server.clock.now()))!;
        assert.ok(session.idpIdToken, 'the session keeps the provider\'s ID token for the sign-out there');
        assert.doesNotMatch(session.idpIdToken, /eyJ/, 'sealed');
        const upstreamSessionLive = () => server.services.store.sessions.isActive(session.idpSid!, server.clock.now());
        assert.equal(await upstreamSessionLive(), true, 'signed in at the provider');
        const logout = new URL(`${server.issuer()}/protocol/openid-connect/logout`);
        logout.search = new URLSearchParams({ id_token_hint: tokens.id_token!, post_logout_redirect_uri: `${rp.base}/`, state: 'goodbye' }).toString();
        await page.goto(logout.href);
        await page.waitForURL((url) => url.origin === rp.base);
        assert.equal(new URL(page.url()).searchParams.get('state'), 'goodbye', 'back at the application with its state');
        assert.equal(await upstreamSessionLive(), false, 'the provider\'s session ended too (its ID token was the hint: no confirmation asked)');
        assert.equal(await server.services.store.sessions.isActive(session.id, server.clock.now()), false);
      } finally {
        await context.close();
      }
    });

    test('store_tokens keeps the provider\'s tokens on the link, sealed', async () => {
      const { page, context, finish } = await authorize(browser());
      try {
        await page.getByRole('link', { name: 'Sign in with Corporate login' }).click();
        await upstreamSignIn(page, 'uma', atClient);
        const user = (await demoUser('uma'))!;
        const sealed = await server.services.store.userIdentities.tokens(user.id, 'corp');
        assert.ok(sealed);
        assert.doesNotMatch(sealed, /eyJ/, 'no token readable in the database');
        const kept = JSON.parse(server.services.sealer.open(sealed)) as { access_token: string; id_token: string; refresh_token?: string };
        assert.equal(decodeJwt(kept.id_token).iss, server.issuer('upstream'));
        const introspected = await fetch(`${server.issuer('upstream')}/protocol/openid-connect/token/introspect`, {
          method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from('broker:broker-secret-for-tests').toString('base64')}` },
          body: new URLSearchParams({ token: kept.access_token }).toString(),
        });
        assert.equal((await introspected.json() as { active: boolean }).active, true, 'the kept access token is the provider\'s, and live');

        // Keycloak's broker token endpoint: the application reads them with the user's access token, once the user holds read-token.
        const { tokens } = await finish();
        const read = () => fetch(`${server.issuer()}/broker/corp/token`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
        const refused = await read();
        assert.equal(refused.status, 403);
        assert.match(refused.headers.get('www-authenticate') ?? '', /error="insufficient_scope"/);
        await server.services.store.roles.ensure('demo', ['read-token']);
        await server.services.store.users.setRoles(user.id, [...user.assignedRoles, 'read-token']);
        const answer = await read();
        assert.equal(answer.status, 200);
        assert.equal(answer.headers.get('cache-control'), 'no-store');
        const body = await answer.json() as { access_token: string; id_token: string; expires_in: number };
        assert.equal(body.access_token, kept.access_token);
        assert.ok(body.expires_in > 0);
        assert.equal((await fetch(`${server.issuer()}/broker/corp/token`)).status, 401, 'no token, no answer');
      } finally {
        await context.close();
      }
    });

    test('kc_idp_hint goes straight to the provider, without the sign-in page', async () => {
      const { page, context, finish } = await authorize(browser(), { kc_idp_hint: 'corp' });
      try {
        await upstreamSignIn(page, 'uma', atClient);
        assert.equal((await finish()).claims.sub, (await demoUser('uma'))!.id);
      } finally {
        await context.close();
      }
    });
  });
}

/** node-oidc-provider as a generic OpenID provider: its own development sign-in and consent pages, userinfo for the address. */
async function startNodeOidcProvider(strixIssuer: (realm?: string) => string): Promise<{ issuer: string; close(): Promise<void> }> {
  const port = await freePort();
  // node-oidc-provider takes a jwks_uri over https only: the demo realm's published keys are given to it as they are now.
  const demoKeys = await (await fetch(`${strixIssuer()}/protocol/openid-connect/certs`)).json() as { keys: object[] };
  const issuer = `http://127.0.0.1:${port}`;
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const provider = new Provider(issuer, {
    clients: [
      { client_id: 'strix', client_secret: 'np-secret-for-tests', redirect_uris: [`${strixIssuer()}/broker/np/endpoint`], token_endpoint_auth_method: 'client_secret_basic', id_token_signed_response_alg: 'ES256' },
      // private_key_jwt: node-oidc-provider checks Strix's client assertion against the demo realm's published keys.
      {
        client_id: 'strix-jwt', redirect_uris: [`${strixIssuer()}/broker/npjwt/endpoint`, `${strixIssuer('other')}/broker/npjwt/endpoint`],
        token_endpoint_auth_method: 'private_key_jwt', token_endpoint_auth_signing_alg: 'ES256', jwks: demoKeys, id_token_signed_response_alg: 'ES256',
      },
    ],
    jwks: { keys: [{ ...(await exportJWK(privateKey)), alg: 'ES256', use: 'sig', kid: 'np' }] },
    cookies: { keys: ['node-oidc-provider-cookie-key-for-tests'] },
    claims: { openid: ['sub'], profile: ['preferred_username', 'given_name'], email: ['email', 'email_verified'] },
    findAccount: async (_ctx: unknown, sub: string) => ({
      accountId: sub, claims: async () => ({ sub, preferred_username: sub, given_name: 'Nadia', email: `${sub}@np.example`, email_verified: true }),
    }),
    pkce: { required: () => true },
  });
  const server = createServer(provider.callback());
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { issuer, close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }) };
}

for (const database of databases) {
  describe(`sign-in through node-oidc-provider as the upstream (${database})`, () => {
    if (skipWithoutChromium()) return;
    let rp: RelyingParty;
    let upstream: { issuer: string; close(): Promise<void> };
    let server: TestServer;
    let config: client.Configuration;
    const browser = browserPerSuite();
    before(async () => {
      rp = await startRelyingParty();
      server = await startServer(database, testRealm(rp.base));
      upstream = await startNodeOidcProvider((realm) => server.issuer(realm));
      process.env.STRIX_TEST_NP_SECRET = 'np-secret-for-tests';
      const demo = testRealm(rp.base).realms[0]!;
      const signedAssertion = { alias: 'npjwt', display_name: 'Node OIDC with a signed assertion', issuer: upstream.issuer, client_id: 'strix-jwt', token_endpoint_auth_method: 'private_key_jwt', token_endpoint_auth_signing_alg: 'ES256' };
      for (const realm of parseRealmFile({ realms: [
        { ...demo, identity_providers: [{ alias: 'np', display_name: 'Node OIDC', issuer: upstream.issuer, client_id: 'strix', client_secret: { env: 'STRIX_TEST_NP_SECRET' } }, signedAssertion] },
        // Another realm signs with its own keys, which node-oidc-provider does not know for strix-jwt.
        { ...demo, name: 'other', display_name: 'Other', identity_providers: [signedAssertion] },
      ] }, 'node-oidc-provider test')) await importRealm(server.services, realm);
      config = await client.discovery(new URL(server.issuer()), 'trusted', 'trusted-secret', client.ClientSecretPost('trusted-secret'), { execute: [client.allowInsecureRequests] });
    });

    /** Signs in at node-oidc-provider's development pages (any password) and gives consent. */
    async function upstreamSignIn(page: Page, login: string, until?: (url: URL) => boolean) {
      await page.locator('input[name=login]').fill(login);
      await page.locator('input[name=password]').fill('anything');
      await page.getByRole('button', { name: 'Sign-in' }).click();
      await Promise.all([until && page.waitForURL(until), page.getByRole('button', { name: 'Continue' }).click()]);
    }

    async function authorize(realm?: string) {
      const context = await newContext(browser());
      const page = await context.newPage();
      const verifier = client.randomPKCECodeVerifier();
      const state = client.randomState();
      const configuration = realm === undefined ? config : await client.discovery(new URL(server.issuer(realm)), 'trusted', 'trusted-secret', client.ClientSecretPost('trusted-secret'), { execute: [client.allowInsecureRequests] });
      await page.goto(client.buildAuthorizationUrl(configuration, {
        redirect_uri: rp.redirectUri, scope: 'openid profile email', state, code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
      }).href);
      const finish = async () => {
        const tokens = await client.authorizationCodeGrant(configuration, new URL(page.url()), { pkceCodeVerifier: verifier, expectedState: state });
        return { tokens, info: await client.fetchUserInfo(configuration, tokens.access_token, tokens.claims()!.sub) };
      };
      return { page, context, finish };
    }
    after(async () => {
      await server?.close();
      await upstream?.close();
      await rp?.close();
    });

    test('a user of node-oidc-provider signs in to a Strix client; the address comes from its userinfo', async () => {
      const { page, context, finish } = await authorize();
      try {
        await page.getByRole('link', { name: 'Sign in with Node OIDC', exact: true }).click();
        await upstreamSignIn(page, 'nadia', (url) => url.origin === rp.base);
        const { tokens, info } = await finish();
        assert.equal(info.email, 'nadia@np.example');
        assert.equal(info.given_name, 'Nadia');
        const user = await server.services.store.users.findByUsername('demo', 'nadia');
        assert.equal(user?.id, tokens.claims()!.sub);
      } finally {
        await context.close();
      }
    });

    test('private_key_jwt: Strix authenticates to the provider with an assertion signed by the realm\'s key', async () => {
      const { page, context, finish } = await authorize();
      try {
        await page.getByRole('link', { name: 'Sign in with Node OIDC with a signed assertion' }).click();
        await upstreamSignIn(page, 'nico', (url) => url.origin === rp.base);
        const { info } = await finish();
        assert.equal(info.email, 'nico@np.example');
      } finally {
        await context.close();
      }
    });

    test('private_key_jwt: an assertion signed with keys the provider does not know is refused, and nobody is created', async () => {
      const { page, context } = await authorize('other');
      try {
        await page.getByRole('link', { name: 'Sign in with Node OIDC with a signed assertion' }).click();
        await upstreamSignIn(page, 'olga');
        await page.getByRole('heading', { name: 'Sign-in with Node OIDC with a signed assertion failed' }).waitFor();
        assert.equal(await server.services.store.users.findByUsername('other', 'olga'), undefined);
      } finally {
        await context.close();
      }
    });
  });
}
