// Sign-in through an upstream provider that misbehaves (docs/identity-providers.md): a small OIDC
// provider in the test process answers with ID tokens of the wrong issuer, audience, nonce or
// signature, an error, or a refused code; the provider is down; the answer is replayed or brought
// to another browser. Each ends on a page that says so, with an audit event, and nobody is created
// or signed in. A well-behaved answer signs in, so the failures are the provider's, not the set-up's.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { decodeJwt, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { parseRealmFile } from '../../src/admin/realm-file.js';
import { databases } from '../helpers/databases.js';
import { redeem } from '../helpers/flows.js';
import { testRealmWith } from '../helpers/realm.js';
import { startFakeGitHub } from '../helpers/fake-github.js';
import { freePort, startServer, type TestServer } from '../helpers/server.js';
import { authorizeUrl, UserAgent } from '../helpers/user-agent.js';

const callback = 'http://127.0.0.1:3999/callback';

type Mode = 'good' | 'mfa' | 'named' | 'hang' | 'wrong_iss' | 'wrong_aud' | 'wrong_nonce' | 'bad_signature' | 'expired' | 'token_error' | 'no_id_token';

interface FakeProvider {
  base: string; mode: Mode; nonce?: string; close(): Promise<void>;
  /** A logout token (OIDC Back-Channel Logout §2.4) with these claims over the defaults; `stranger` signs with a key not in the JWKS. */
  logoutToken(claims: Record<string, unknown>, stranger?: boolean): Promise<string>;
}

/** An OpenID provider that signs in whoever comes, and answers the token request as `mode` says. */
async function startFakeProvider(): Promise<FakeProvider> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const stranger = (await generateKeyPair('ES256')).privateKey;
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  const fake: FakeProvider = {
    base, mode: 'good', close: async () => {},
    logoutToken: (claims, useStranger = false) => new SignJWT({ events: { 'http://schemas.openid.net/event/backchannel-logout': {} }, jti: `jti-${Math.random()}`, ...claims })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1', typ: 'logout+jwt' }).setIssuer(base).setAudience('broker').setIssuedAt().setExpirationTime('2m')
      .sign(useStranger ? stranger : privateKey),
  };
  const idToken = async (key: CryptoKey, claims: Record<string, unknown>, expiresIn = '5m') =>
    new SignJWT({ email: 'fiona@upstream.example', email_verified: true, nonce: fake.nonce, sid: 'upstream-session-1', groups: ['staff', 'admins'], department: 'research', ...claims })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' }).setIssuer(String(claims.iss ?? base)).setAudience(String(claims.aud ?? 'broker'))
      .setSubject(String(claims.sub ?? 'fiona-at-upstream')).setIssuedAt().setExpirationTime(expiresIn).sign(key);
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', base);
    const json = (status: number, body: unknown) => response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (url.pathname === '/.well-known/openid-configuration') {
      return json(200, { issuer: base, authorization_endpoint: `${base}/authorize`, token_endpoint: `${base}/token`, jwks_uri: `${base}/jwks` });
    }
    if (url.pathname === '/jwks') return json(200, { keys: [jwk] });
    if (url.pathname === '/token') {
      void (async () => {
        switch (fake.mode) {
          case 'token_error': return json(400, { error: 'invalid_grant' });
          case 'hang': return undefined;
          case 'no_id_token': return json(200, { access_token: 'at', token_type: 'Bearer' });
          case 'wrong_iss': return json(200, { id_token: await idToken(privateKey, { iss: 'https://evil.example' }) });
          case 'wrong_aud': return json(200, { id_token: await idToken(privateKey, { aud: 'someone-else' }) });
          case 'wrong_nonce': return json(200, { id_token: await idToken(privateKey, { nonce: 'not-the-nonce' }) });
          case 'bad_signature': return json(200, { id_token: await idToken(stranger, {}) });
          case 'expired': return json(200, { id_token: await idToken(privateKey, {}, '-10m') });
          case 'good': return json(200, { id_token: await idToken(privateKey, {}), access_token: 'at', token_type: 'Bearer' });
          case 'mfa': return json(200, { id_token: await idToken(privateKey, { sub: 'gina-at-upstream', email: 'gina@upstream.example', amr: ['pwd', 'otp', 'mfa'] }) });
          case 'named': return json(200, { id_token: await idToken(privateKey, { sub: 'hana-at-upstream', email: 'hana@upstream.example', given_name: 'Hana' }) });
        }
      })();
      return undefined;
    }
    return json(404, {});
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  fake.close = () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); });
  return fake;
}

const tenantA = '11111111-1111-4111-8111-111111111111';
const tenantB = '22222222-2222-4222-8222-222222222222';
const tenantC = '33333333-3333-4333-8333-333333333333';

/**
 * A Microsoft Entra ID-shaped provider for a multi-tenant app (shapes from Microsoft's identity
 * platform documentation): the `organizations` discovery document names the issuer template
 * `…/{tenantid}/v2.0`, and each ID token carries its user's tenant in `tid` and in `iss`.
 */
async function startFakeEntra(): Promise<{ base: string; answer: { tid: string; issTenant?: string; nonce?: string }; close(): Promise<void> }> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid: 'entra-1', alg: 'RS256', use: 'sig' };
  const answer: { tid: string; issTenant?: string; nonce?: string } = { tid: tenantA };
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', base);
    const json = (status: number, body: unknown) => response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (url.pathname === '/organizations/v2.0/.well-known/openid-configuration') {
      return json(200, {
        issuer: `${base}/{tenantid}/v2.0`, authorization_endpoint: `${base}/organizations/oauth2/v2.0/authorize`,
        token_endpoint: `${base}/organizations/oauth2/v2.0/token`, jwks_uri: `${base}/organizations/discovery/v2.0/keys`,
      });
    }
    if (url.pathname === '/organizations/discovery/v2.0/keys') return json(200, { keys: [jwk] });
    if (url.pathname === '/organizations/oauth2/v2.0/token') {
      void new SignJWT({ tid: answer.tid, nonce: answer.nonce, email: `erin@${answer.tid.slice(0, 4)}.example`, name: 'Erin', oid: 'object-id-1' })
        .setProtectedHeader({ alg: 'RS256', kid: 'entra-1' }).setIssuer(`${base}/${answer.issTenant ?? answer.tid}/v2.0`).setAudience('entra-app')
        .setSubject('pairwise-sub-of-erin').setIssuedAt().setExpirationTime('5m').sign(privateKey)
        .then((idToken) => json(200, { id_token: idToken, access_token: 'entra-at', token_type: 'Bearer' }));
      return undefined;
    }
    return json(404, {});
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { base, answer, close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }) };
}

for (const database of databases) {
  describe(`an upstream provider that misbehaves (${database})`, () => {
    let fake: FakeProvider;
    let github: Awaited<ReturnType<typeof startFakeGitHub>>;
    let entra: Awaited<ReturnType<typeof startFakeEntra>>;
    let server: TestServer;
    before(async () => {
      fake = await startFakeProvider();
      github = await startFakeGitHub();
      entra = await startFakeEntra();
      const closedPort = await freePort();
      server = await startServer(database, testRealmWith({
        identity_providers: [
          {
            alias: 'corp', display_name: 'Corp', issuer: fake.base, client_id: 'broker', token_endpoint_auth_method: 'client_secret_post',
            claim_mappers: [
              { type: 'claim_to_attribute', claim: 'department', attribute: 'department' },
              { type: 'claim_to_role', claim: 'groups', value: 'admins', role: 'admin' },
              { type: 'claim_to_role', claim: 'groups', value: 'nobody-has-this', role: 'viewer' },
              { type: 'fixed_role', role: 'undefined-in-the-realm' },
              { type: 'claim_to_group', claim: 'groups', value: 'staff', group: '/staff' },
              { type: 'claim_to_group', claim: 'groups', value: 'staff', group: '/no/such/group' },
            ],
          },
          { alias: 'down', display_name: 'Down', issuer: `http://127.0.0.1:${closedPort}`, client_id: 'broker' },
          { alias: 'strong', display_name: 'Strong', issuer: fake.base, client_id: 'broker', token_endpoint_auth_method: 'client_secret_post', accept_mfa: true },
          { alias: 'review', display_name: 'Review', issuer: fake.base, client_id: 'broker', token_endpoint_auth_method: 'client_secret_post', review_profile: 'always' },
          {
            alias: 'github', preset: 'github', client_id: 'gh-client', authorization_endpoint: `${github.base}/login/oauth/authorize`,
            token_endpoint: `${github.base}/login/oauth/access_token`, user_endpoint: `${github.base}/user`, emails_endpoint: `${github.base}/user/emails`,
          },
          {
            alias: 'entra', preset: 'entra', tenant: 'organizations', allowed_tenants: [tenantA, tenantB], issuer: `${entra.base}/organizations/v2.0`,
            client_id: 'entra-app', token_endpoint_auth_method: 'client_secret_post',
          },
        ],
      }));
    });
    after(async () => {
      await server?.close();
      await fake?.close();
      await github?.close();
      await entra?.close();
    });
    before(async () => {
      await server.services.store.groups.create({ id: 'group-staff', realm: 'demo', name: 'staff', parentId: null, roles: ['viewer'] }, server.clock.now());
    });

    /** Leaves the sign-in page for `alias`; returns the browser and where the provider must send it back. */
    async function leaveFor(alias: string) {
      const browser = new UserAgent(server.url);
      const login = await browser.open(authorizeUrl(server.issuer(), { client_id: 'trusted', redirect_uri: callback, response_type: 'code', scope: 'openid', state: 's' }));
      const href = login.html.match(new RegExp(`href="([^"]*/broker/${alias}/login[^"]*)"`))?.[1];
      assert.ok(href, `the sign-in page links to ${alias}`);
      const leaving = await browser.open(new URL(href.replace(/&amp;/g, '&'), login.url).href);
      return { browser, leaving };
    }

    async function answered(mode: Mode, alias = 'corp') {
      const { browser, leaving } = await leaveFor(alias);
      assert.equal(leaving.status, 303);
      const upstream = new URL(leaving.location!);
      assert.equal(upstream.origin, fake.base);
      assert.equal(upstream.searchParams.get('code_challenge_method'), 'S256');
      fake.nonce = upstream.searchParams.get('nonce')!;
      fake.mode = mode;
      const back = `${upstream.searchParams.get('redirect_uri')}?${new URLSearchParams({ code: 'code-1', state: upstream.searchParams.get('state')! })}`;
      return { browser, back, page: await browser.open(back), upstream };
    }

    const fionas = async () => (await server.services.store.users.list('demo')).filter((u) => u.email === 'fiona@upstream.example');
    async function errorEvents() {
      await server.services.audit.flush();
      return server.services.store.events.find({ realm: 'demo', types: ['identity_provider_error'], first: 0, max: 100 });
    }

    for (const [mode, reason] of [
      ['wrong_iss', 'invalid_id_token'], ['wrong_aud', 'invalid_id_token'], ['wrong_nonce', 'invalid_id_token'],
      ['bad_signature', 'invalid_id_token'], ['expired', 'invalid_id_token'], ['token_error', 'token_refused'], ['no_id_token', 'token_refused'],
    ] as const) {
      test(`an answer with ${mode.replace('_', ' ')} signs nobody in and says so`, async () => {
        const before = (await errorEvents()).length;
        const { page } = await answered(mode);
        assert.equal(page.status, 400);
        assert.match(page.html, /Sign-in with Corp failed/);
        assert.match(page.html, /could not be verified, so nobody was signed in/);
        assert.equal(page.location, undefined);
        assert.deepEqual(await fionas(), []);
        const events = await errorEvents();
        assert.equal(events.length, before + 1);
        assert.equal(events[0]!.details.reason, reason);
        assert.doesNotMatch(JSON.stringify(events[0]), /eyJ/, 'no token in the event');
      });
    }

    test('the provider\'s error answer ends on a page that says it did not sign you in', async () => {
      const { browser, leaving } = await leaveFor('corp');
      const upstream = new URL(leaving.location!);
      const page = await browser.open(`${upstream.searchParams.get('redirect_uri')}?${new URLSearchParams({ error: 'access_denied', state: upstream.searchParams.get('state')! })}`);
      assert.equal(page.status, 400);
      assert.match(page.html, /Corp did not sign you in/);
    });

    test('a provider that does not answer the code exchange in time: a page that says it could not be reached, and nobody signed in', async () => {
      const before = (await errorEvents()).length;
      const { page } = await answered('hang');
      assert.equal(page.status, 502);
      assert.match(page.html, /Corp could not be reached/);
      assert.equal(page.location, undefined);
      const events = await errorEvents();
      assert.equal(events.length, before + 1);
      assert.equal(events[0]!.details.reason, 'unavailable');
      assert.match(String(events[0]!.details.detail), /timeout/);
    });

    test('a provider that cannot be reached gets a page that says so', async () => {
      const { leaving } = await leaveFor('down');
      assert.equal(leaving.status, 502);
      assert.match(leaving.html, /Down could not be reached/);
    });

    test('a good answer signs in once; replayed, or brought to another browser, it continues nothing', async () => {
      const { page, back } = await answered('good');
      assert.ok(page.location?.startsWith(callback), `${page.status} ${page.html.slice(0, 200)}`);
      assert.equal((await fionas()).length, 1);
      const [fiona] = await fionas();
      assert.equal(fiona!.claims.department, 'research', 'claim_to_attribute');
      assert.deepEqual(fiona!.assignedRoles, ['admin'], 'claim_to_role grants admin only; a role the realm does not define is not created');
      assert.deepEqual((await server.services.store.groups.groupsOf(fiona!.id)).map((g) => g.path), ['/staff'], 'claim_to_group: a member of /staff');
      assert.deepEqual(fiona!.roles, ['admin', 'viewer'], 'and holds the group\'s role');
      const replayed = await new UserAgent(server.url).open(back);
      assert.equal(replayed.status, 400);
      assert.match(replayed.html, /took too long or was started in another browser/);

      // A sign-in started in one browser, its answer opened in another: that browser has no state to match.
      const upstream = new URL((await leaveFor('corp')).leaving.location!);
      const stolen = `${upstream.searchParams.get('redirect_uri')}?${new URLSearchParams({ code: 'code-2', state: upstream.searchParams.get('state')! })}`;
      assert.equal((await new UserAgent(server.url).open(stolen)).status, 400, 'another browser');
      assert.equal((await fionas()).length, 1);
    });

    test('the tokens name the provider (idp), and accept_mfa lets its multi-factor sign-in count as two factors', async () => {
      const { page } = await answered('mfa', 'strong');
      assert.ok(page.location?.startsWith(callback), `${page.status} ${page.html.slice(0, 200)}`);
      const code = new URL(page.location!).searchParams.get('code')!;
      const tokens = await redeem(server, 'trusted', { code, redirectUri: callback, state: 's', callback: new URL(page.location!).searchParams });
      assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
      const idToken = decodeJwt(tokens.body.id_token as string);
      assert.equal(idToken.idp, 'strong');
      assert.equal(idToken.acr, '2');
      assert.deepEqual(idToken.amr, ['pwd', 'otp', 'mfa']);
      assert.equal(decodeJwt(tokens.body.access_token as string).idp, 'strong');
    });

    test('a logout token from the provider ends the sessions it signed in; a forged one ends nothing', async () => {
      const { page } = await answered('good');
      assert.ok(page.location?.startsWith(callback));
      const live = () => server.services.store.sessions.findByUpstream('demo', 'corp', { idpSid: 'upstream-session-1' }, server.clock.now());
      assert.ok((await live()).length >= 1, 'the session remembers the provider\'s sid');
      const post = async (logoutToken: string) => fetch(`${server.issuer()}/broker/corp/backchannel-logout`, {
        method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ logout_token: logoutToken }).toString(),
      });
      for (const forged of [await fake.logoutToken({ sid: 'upstream-session-1' }, true), await fake.logoutToken({ sid: 'upstream-session-1', nonce: 'n' }),
        await fake.logoutToken({ sid: 'upstream-session-1', events: {} }), await fake.logoutToken({})]) {
        const refused = await post(forged);
        assert.equal(refused.status, 400);
        assert.equal((await refused.json() as { error: string }).error, 'invalid_request');
      }
      assert.ok((await live()).length >= 1, 'nothing ended by a refused token');
      const accepted = await post(await fake.logoutToken({ sid: 'upstream-session-1' }));
      assert.equal(accepted.status, 200);
      assert.equal(accepted.headers.get('cache-control'), 'no-store');
      assert.deepEqual(await live(), []);
    });

    test('the github preset (OAuth 2.0, not OpenID Connect): the user and its verified primary address come from the API', async () => {
      const { browser, leaving } = await leaveFor('github');
      const upstream = new URL(leaving.location!);
      assert.equal(`${upstream.origin}${upstream.pathname}`, `${github.base}/login/oauth/authorize`);
      assert.equal(upstream.searchParams.get('scope'), 'read:user user:email');
      assert.equal(upstream.searchParams.get('nonce'), null, 'no nonce: there is no ID token');
      const page = await browser.open(`${upstream.searchParams.get('redirect_uri')}?${new URLSearchParams({ code: 'gh-code', state: upstream.searchParams.get('state')! })}`);
      assert.ok(page.location?.startsWith(callback), `${page.status} ${page.html.slice(0, 300)}`);
      const user = await server.services.store.users.findByUsername('demo', 'octocat');
      assert.ok(user);
      assert.equal(user.email, 'octo@gh.example', 'the verified primary address');
      assert.equal(user.claims.name, 'Octo Cat');
      assert.equal((await server.services.store.userIdentities.forUser(user.id))[0]!.subject, '4242');
      const api = github.requests.find((r) => r.path === '/user')!;
      assert.equal(api.headers['user-agent'], 'Strix', 'GitHub\'s API refuses requests without a User-Agent');
    });

    /** Leaves for the Entra-shaped provider and comes back with its answer for a user of `tid`. */
    async function fromEntra(tid: string, issTenant?: string) {
      const { browser, leaving } = await leaveFor('entra');
      const upstream = new URL(leaving.location!);
      assert.equal(`${upstream.origin}${upstream.pathname}`, `${entra.base}/organizations/oauth2/v2.0/authorize`);
      Object.assign(entra.answer, { tid, issTenant, nonce: upstream.searchParams.get('nonce')! });
      return browser.open(`${upstream.searchParams.get('redirect_uri')}?${new URLSearchParams({ code: 'entra-code', state: upstream.searchParams.get('state')! })}`);
    }

    test('the entra preset, multi-tenant: the ID token\'s issuer is its own tenant\'s, and the account is the tenant\'s user', async () => {
      const page = await fromEntra(tenantA);
      assert.ok(page.location?.startsWith(callback), `${page.status} ${page.html.slice(0, 300)}`);
      const user = await server.services.store.users.findByEmail('demo', `erin@${tenantA.slice(0, 4)}.example`);
      assert.ok(user);
      assert.equal((await server.services.store.userIdentities.forUser(user.id))[0]!.subject, `${tenantA}/pairwise-sub-of-erin`, '(iss, sub): the tenant is part of the account');
    });

    test('the entra preset refuses a token whose issuer names another tenant than its tid, and a tenant not allowed', async () => {
      for (const [tid, issTenant] of [[tenantB, tenantA], [tenantC, undefined]] as const) {
        const page = await fromEntra(tid, issTenant);
        assert.equal(page.status, 400);
        assert.match(page.html, /could not be verified, so nobody was signed in/);
        assert.equal(await server.services.store.users.findByEmail('demo', `erin@${tid.slice(0, 4)}.example`), undefined);
      }
    });

    test('review_profile: a user created through the provider first reviews its names, filled in from the provider, then goes on to the client', async () => {
      const { browser, page } = await answered('named', 'review');
      assert.equal(page.status, 200, page.html.slice(0, 300));
      assert.match(page.html, /Complete your profile/);
      assert.match(page.html, /value="Hana"/, 'the provider\'s given name, to review');
      const hana = await server.services.store.users.findByEmail('demo', 'hana@upstream.example');
      assert.deepEqual(hana!.requiredActions, ['update_profile']);
      const done = await browser.submit(page, { given_name: 'Hana', family_name: 'Sato' });
      assert.ok(done.location?.startsWith(callback), `${done.status} ${done.html.slice(0, 200)}`);
      const reviewed = (await server.services.store.users.findByEmail('demo', 'hana@upstream.example'))!;
      assert.equal(reviewed.claims.family_name, 'Sato');
      assert.deepEqual(reviewed.requiredActions, []);
    });

    test('an unknown provider alias is a page, not an error', async () => {
      const page = await new UserAgent(server.url).open(`${server.issuer()}/broker/nobody/endpoint?state=x&code=y`);
      assert.equal(page.status, 404);
      assert.match(page.html, /This sign-in provider does not exist/);
    });
  });
}

describe('identity_providers realm setting', () => {
  const parse = (providers: unknown) => parseRealmFile({ realms: [{ name: 'demo', identity_providers: providers }] }, 'realm.json')[0]!.settings.identity_providers;
  const refused = (providers: unknown, field: RegExp) => assert.throws(() => parse(providers), field);
  const minimal = { alias: 'corp', issuer: 'https://idp.example.com/', client_id: 'strix' };

  test('presets fill in a known provider', () => {
    const [github] = parse([{ alias: 'gh', preset: 'github', client_id: 'x' }]);
    assert.equal(github!.type, 'oauth2');
    assert.equal(github!.display_name, 'GitHub');
    assert.equal(github!.token_endpoint, 'https://github.com/login/oauth/access_token');
    const [microsoft] = parse([{ alias: 'ms', preset: 'entra', tenant: '72f988bf-86f1-41af-91ab-2d7cd011db47', client_id: 'x' }]);
    assert.equal(microsoft!.issuer, 'https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0');
    assert.equal(microsoft!.display_name, 'Microsoft');
    const [google] = parse([{ alias: 'google', preset: 'google', client_id: 'x' }]);
    assert.equal(google!.issuer, 'https://accounts.google.com');
    assert.equal(google!.scopes, 'openid profile email');
  });

  test('defaults fill in what a provider leaves out', () => {
    assert.deepEqual(parse([minimal]), [{
      alias: 'corp', display_name: 'corp', type: 'oidc', issuer: 'https://idp.example.com', client_id: 'strix', token_endpoint_auth_method: 'client_secret_basic',
      scopes: 'openid profile email', link: 'verified_email', sync: 'on_first_login', trust_email: false, hide_on_login_page: false, accept_mfa: false, claim_mappers: [],
      upstream_logout: false, store_tokens: false, review_profile: 'missing',
    }]);
  });

  test('mistakes are refused naming the field', () => {
    refused({}, /identity_providers: must be a list/);
    refused([{ ...minimal, alias: 'Not An Alias' }], /identity_providers\[0\]\.alias/);
    refused([minimal, minimal], /identity_providers\[1\]\.alias: "corp" is used twice/);
    refused([{ ...minimal, issuer: 'http://idp.example.com' }], /identity_providers\[0\]\.issuer: must be an https URL/);
    refused([{ ...minimal, client_secret: 'plain-secret' }], /identity_providers\[0\]\.client_secret: must be \{"env": "VARIABLE"\}/);
    refused([{ ...minimal, type: 'saml' }], /identity_providers\[0\]\.type/);
    refused([{ ...minimal, link: 'email' }], /identity_providers\[0\]\.link: must be one of verified_email, manual, never/);
    refused([{ ...minimal, scopes: 'profile email' }], /identity_providers\[0\]\.scopes: must include openid/);
    refused([{ ...minimal, preset: 'myspace' }], /identity_providers\[0\]\.preset: must be one of github, google, gitlab, entra, apple/);
    const apple = { alias: 'apple', preset: 'apple', client_id: 'com.example.app', team_id: 'TEAMID1234', key_id: 'KEYID56789', private_key: { env: 'APPLE_KEY' } };
    assert.equal(parse([apple])[0]!.issuer, 'https://appleid.apple.com');
    assert.equal(parse([apple])[0]!.token_endpoint_auth_method, 'client_secret_post');
    refused([{ ...apple, team_id: undefined }], /identity_providers\[0\]\.team_id: is required with the apple preset/);
    refused([{ ...apple, private_key: 'PEM' }], /identity_providers\[0\]\.private_key: is required with the apple preset/);
    refused([{ ...apple, client_secret: { env: 'X' } }], /client_secret: is not used with the apple preset/);
    refused([{ ...minimal, team_id: 'TEAMID1234' }], /identity_providers\[0\]\.team_id: is for the apple preset/);
    refused([{ alias: 'ms', preset: 'entra', client_id: 'x' }], /identity_providers\[0\]\.tenant: is required with the entra preset/);
    refused([{ alias: 'ms', preset: 'entra', tenant: 'contoso.onmicrosoft.com', client_id: 'x' }], /tenant: is required with the entra preset: the tenant ID/);
    refused([{ alias: 'ms', preset: 'entra', tenant: tenantA, allowed_tenants: [tenantB], client_id: 'x' }], /allowed_tenants: is for a multi-tenant app/);
    refused([{ ...minimal, tenant: 'common' }], /identity_providers\[0\]\.tenant: is for the entra preset/);
    refused([{ ...minimal, token_endpoint_auth_method: 'private_key_jwt', client_secret: { env: 'X' } }], /client_secret: is not used with private_key_jwt/);
    refused([{ ...minimal, token_endpoint_auth_signing_alg: 'ES256' }], /token_endpoint_auth_signing_alg: is for private_key_jwt only/);
    refused([{ alias: 'gh', preset: 'github', client_id: 'x', upstream_logout: true }], /upstream_logout: is for oidc providers/);
    refused([{ alias: 'gh', type: 'oauth2', client_id: 'x' }], /identity_providers\[0\]\.authorization_endpoint: is required/);
    refused([{ ...minimal, authorization_endpoint: 'https://idp.example.com/auth' }], /authorization_endpoint: is for oauth2 providers/);
    refused([{ ...minimal, extra: true }], /identity_providers\[0\]\.extra: is not a provider field/);
    refused([{ ...minimal, claim_mappers: [{ type: 'claim_to_attribute', claim: 'x', attribute: 'email' }] }], /claim_mappers\[0\]\.attribute: "email" is set by Strix itself/);
    refused([{ ...minimal, claim_mappers: [{ type: 'claim_to_role', claim: 'groups', role: 'admin' }] }], /claim_mappers\[0\]\.value/);
    refused([{ ...minimal, claim_mappers: [{ type: 'script' }] }], /claim_mappers\[0\]\.type: must be one of/);
  });
});
