// Implicit and hybrid flows (OIDC Core §3.2, §3.3) and the response modes that carry them:
// fragment by default, form_post on request (OAuth 2.0 Form Post Response Mode); with the
// conformance checklist's Implicit (A2), Hybrid (A3) and Form Post (A4) plans run module by module.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { createLocalJWKSet, decodeJwt, jwtVerify, UnsecuredJWT, type JWTPayload } from 'jose';
import * as client from 'openid-client';
import { parseRealmFile, RealmFileError } from '../../src/admin/realm-file.js';
import { browserPerSuite, newContext, skipWithoutChromium, submitSignInForm } from '../helpers/browser.js';
import { databases } from '../helpers/databases.js';
import { userinfo } from '../helpers/flows.js';
import { allResponseTypes, hybridClient, password, testRealmWith } from '../helpers/realm.js';
import { requestObjectServer } from '../helpers/relying-party.js';
import { freePort, startServer, type TestServer } from '../helpers/server.js';
import { authorizeUrl, fragmentOf, halfHash, isLoginPage, parseForm, s256, tokenRequest, UserAgent, type Page } from '../helpers/user-agent.js';

const redirectUri = 'http://127.0.0.1:3999/callback';

/** An unsigned request object (alg none) with the whole request: Strix ignores the query's copies (RFC 9101 §5). */
function unsigned(flow: Flow): string {
  return new UnsecuredJWT({
    client_id: 'hybrid', redirect_uri: redirectUri, response_type: flow.responseType, scope: 'openid', state: 'st', nonce: 'nn',
    ...(flow.formPost ? { response_mode: 'form_post' } : {}),
  }).encode();
}

/**
 * `hybrid` (client_secret_basic) and `hybrid-post` (client_secret_post, for -server-client-secret-post),
 * both allowed every response type, the address and phone scopes, and unsigned request objects;
 * `implicit-spa`, a public client of the implicit grant alone.
 */
function realmWithFlows(redirect = redirectUri) {
  const client = { ...hybridClient(redirect), scope: 'openid profile email address phone offline_access', request_object_signing_alg: 'none' };
  return testRealmWith({
    clients: [client, { ...client, client_id: 'hybrid-post', client_secret: 'hybrid-post-secret', token_endpoint_auth_method: 'client_secret_post' }, {
      client_id: 'implicit-spa', client_name: 'Implicit SPA', redirect_uris: [redirect], grant_types: ['implicit'],
      response_types: ['id_token', 'id_token token'], token_endpoint_auth_method: 'none', scope: 'openid profile email',
    }],
    // The conformance plans send more authorization requests from one address in a minute than
    // authorization_per_ip allows by default, as the OpenID conformance suite itself does.
    rate_limits: { authorization_per_ip: { max: 100_000 } },
  });
}

/** One run of a plan: a response type, and form_post when the Form Post profile is under test. */
interface Flow { responseType: string; formPost: boolean }

const returnsIdToken = (flow: Flow) => flow.responseType.split(' ').includes('id_token');
const returnsAccessToken = (flow: Flow) => flow.responseType.split(' ').includes('token');
const returnsCode = (flow: Flow) => flow.responseType.split(' ').includes('code');

/** The authorization response as the client receives it: form_post fields, the fragment, or (code flow) the query. */
function responseOf(page: Page, flow: Flow): URLSearchParams {
  if (flow.formPost) {
    assert.equal(page.location, undefined, `form_post must not redirect, got ${page.location}`);
    const form = parseForm(page.html);
    assert.equal(form.action, redirectUri, 'the form posts to the bare redirect URI');
    return new URLSearchParams(form.fields);
  }
  if (flow.responseType !== 'code') return fragmentOf(page);
  assert.ok(page.location, `expected a redirect, got ${page.status}: ${page.html.slice(0, 200)}`);
  const url = new URL(page.location);
  assert.equal(url.hash, '', 'the code flow answers in the query');
  return url.searchParams;
}

/** The names of the conformance modules each plan runs, per response type (OIDCC*TestPlan). */
const implicitModules = [
  'oidcc-server', 'oidcc-idtoken-signature', 'oidcc-ensure-request-without-nonce-fails', 'oidcc-scope-profile', 'oidcc-scope-email',
  'oidcc-scope-address', 'oidcc-scope-phone', 'oidcc-scope-all', 'oidcc-alternate-happy-flow', 'oidcc-display-page', 'oidcc-display-popup',
  'oidcc-prompt-login', 'oidcc-prompt-none-not-logged-in', 'oidcc-prompt-none-logged-in', 'oidcc-max-age-1', 'oidcc-max-age-10000',
  'oidcc-ensure-request-with-unknown-parameter-succeeds', 'oidcc-id-token-hint', 'oidcc-login-hint', 'oidcc-ui-locales', 'oidcc-claims-locales',
  'oidcc-ensure-request-with-acr-values-succeeds', 'oidcc-ensure-registered-redirect-uri', 'oidcc-request-uri-unsigned',
  'oidcc-unsigned-request-object-supported-correctly-or-rejected-as-unsupported', 'oidcc-ensure-request-object-with-redirect-uri', 'oidcc-claims-essential',
];
const userinfoModules = ['oidcc-userinfo-get', 'oidcc-userinfo-post-header', 'oidcc-userinfo-post-body'];
const codeModules = ['oidcc-codereuse', 'oidcc-codereuse-30seconds', 'oidcc-server-client-secret-post', 'oidcc-refresh-token'];
const codeIdTokenModules = [
  ...implicitModules, ...userinfoModules, ...codeModules, 'oidcc-response-type-missing', 'oidcc-ensure-request-with-valid-pkce-succeeds',
];
/** HYB-02: as `code id_token` without -response-type-missing, -alternate-happy-flow and -valid-pkce; code token's nonce module differs. */
const codeTokenModules = (nonceModule: string) => codeIdTokenModules
  .filter((m) => !['oidcc-response-type-missing', 'oidcc-alternate-happy-flow', 'oidcc-ensure-request-with-valid-pkce-succeeds'].includes(m))
  .map((m) => m === 'oidcc-ensure-request-without-nonce-fails' ? nonceModule : m);
/** BASIC (code) for FP-01: the same checks that apply to the code flow. */
const basicModules = [...codeTokenModules('oidcc-ensure-request-without-nonce-succeeds-for-code-flow'), 'oidcc-response-type-missing', 'oidcc-alternate-happy-flow', 'oidcc-ensure-request-with-valid-pkce-succeeds'];

/** The module list of each response type: IMPL-01, HYB-01, HYB-02 (and BASIC for code). */
const modulesOf: Record<string, string[]> = {
  'id_token': implicitModules,
  'id_token token': [...implicitModules, ...userinfoModules, 'oidcc-response-type-missing'],
  'code id_token': codeIdTokenModules,
  'code token': codeTokenModules('oidcc-ensure-request-without-nonce-succeeds-for-code-flow'),
  'code id_token token': codeTokenModules('oidcc-ensure-request-without-nonce-fails'),
  'code': basicModules,
};

for (const database of databases) {
  describe(`implicit and hybrid flows, and the conformance plans (${database})`, () => {
    let server: TestServer;
    let browser: UserAgent;
    before(async () => {
      server = await startServer(database, realmWithFlows());
      browser = new UserAgent(server.url);
      const login = await browser.open(authorizeUrl(server.issuer(), { client_id: 'hybrid', redirect_uri: redirectUri, response_type: 'code', scope: 'openid' }));
      await browser.signIn(login, 'alice', password);
    });
    after(async () => { await server?.close(); });

    const authorize = (params: Record<string, string>, agent = browser) =>
      agent.open(authorizeUrl(server.issuer(), { client_id: 'hybrid', redirect_uri: redirectUri, scope: 'openid profile email', state: 'st', nonce: 'nn', ...params }));
    const redeem = (code: string) => tokenRequest(server.issuer(), { grant_type: 'authorization_code', code, redirect_uri: redirectUri }, { id: 'hybrid', secret: 'hybrid-secret' });

    let requestObjects: Awaited<ReturnType<typeof requestObjectServer>>;
    before(async () => { requestObjects = await requestObjectServer(); });
    after(async () => { await requestObjects?.close(); });

    /** The tokens a successful response gives the client: front-channel ones, and the token endpoint's for a code. */
    interface Outcome { response: URLSearchParams; idToken: JWTPayload; idTokenJwt: string; accessToken?: string; refreshToken?: string }

    /** Runs the authorization request for the flow and checks the happy-path expectations every module shares. */
    async function succeed(flow: Flow, params: Record<string, string> = {}, agent = browser, client = { id: 'hybrid', secret: 'hybrid-secret', post: false }): Promise<Outcome> {
      const { code_verifier: codeVerifier, ...request } = params;
      const page = await agent.open(authorizeUrl(server.issuer(), {
        client_id: client.id, redirect_uri: redirectUri, scope: 'openid', state: 'st', nonce: 'nn', response_type: flow.responseType,
        ...(flow.formPost ? { response_mode: 'form_post' } : {}), ...request,
      }));
      const response = responseOf(page, flow);
      assert.equal(response.get('error'), null, `${response.get('error')}: ${response.get('error_description')}`);
      assert.equal(response.get('state'), params.state ?? 'st');
      assert.equal(response.get('iss'), server.issuer());
      for (const [name, present] of [['code', returnsCode(flow)], ['id_token', returnsIdToken(flow)], ['access_token', returnsAccessToken(flow)]] as const) {
        assert.equal(response.has(name), present, `${name} in the ${flow.responseType} response`);
      }
      const jwks = createLocalJWKSet(await (await fetch(`${server.issuer()}/protocol/openid-connect/certs`)).json() as never);
      const verify = async (jwt: string) => (await jwtVerify(jwt, jwks, { issuer: server.issuer(), audience: client.id })).payload;
      let idTokenJwt = response.get('id_token') ?? undefined;
      let accessToken = response.get('access_token') ?? undefined;
      let refreshToken: string | undefined;
      if (idTokenJwt) {
        const front = await verify(idTokenJwt);
        assert.equal(front.nonce, params.nonce ?? 'nn');
        if (returnsCode(flow)) assert.equal(front.c_hash, halfHash(response.get('code')!));
        if (accessToken) assert.equal(front.at_hash, halfHash(accessToken));
      }
      if (returnsCode(flow)) {
        const form = { grant_type: 'authorization_code', code: response.get('code')!, redirect_uri: redirectUri, ...codeVerifier ? { code_verifier: codeVerifier } : {} };
        const tokens = client.post
          ? await tokenRequest(server.issuer(), { ...form, client_id: client.id, client_secret: client.secret })
          : await tokenRequest(server.issuer(), form, { id: client.id, secret: client.secret });
        assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
        const back = await verify(tokens.body.id_token);
        assert.equal(back.nonce, params.nonce === '' ? undefined : params.nonce ?? 'nn');
        if (idTokenJwt) assert.equal(back.sub, decodeJwt(idTokenJwt).sub);
        idTokenJwt = tokens.body.id_token as string;
        accessToken = tokens.body.access_token;
        refreshToken = tokens.body.refresh_token;
      }
      assert.ok(idTokenJwt, 'an ID token reaches the client');
      return { response, idToken: await verify(idTokenJwt), idTokenJwt, accessToken, refreshToken };
    }

    /** Runs the request and expects an error response to the redirect URI, with the state. */
    async function fail(flow: Flow, params: Record<string, string>, error: string, agent = browser): Promise<void> {
      const page = await agent.open(authorizeUrl(server.issuer(), {
        client_id: 'hybrid', redirect_uri: redirectUri, scope: 'openid', state: 'st', nonce: 'nn', response_type: flow.responseType,
        ...(flow.formPost ? { response_mode: 'form_post' } : {}), ...params,
      }));
      const response = responseOf(page, flow);
      assert.equal(response.get('error'), error, response.get('error_description') ?? '');
      assert.equal(response.get('state'), 'st');
      for (const name of ['code', 'id_token', 'access_token']) assert.equal(response.get(name), null, name);
    }

    /** The user's claims as the client gets them: from userinfo when it has an access token, else from the ID token. */
    async function claimsOf(outcome: Outcome): Promise<Record<string, unknown>> {
      if (!outcome.accessToken) return outcome.idToken;
      const info = await userinfo(server, outcome.accessToken);
      assert.equal(info.status, 200);
      assert.equal(info.body.sub, outcome.idToken.sub);
      return info.body;
    }

    const loginPageFor = async (flow: Flow, params: Record<string, string>) => {
      const page = await browser.open(authorizeUrl(server.issuer(), {
        client_id: 'hybrid', redirect_uri: redirectUri, scope: 'openid', state: 'st', nonce: 'nn', response_type: flow.responseType,
        ...(flow.formPost ? { response_mode: 'form_post' } : {}), ...params,
      }));
      assert.ok(isLoginPage(page), `expected the sign-in page, got ${page.status} ${page.location ?? ''}`);
      return page;
    };

    const userinfoBy = async (outcome: Outcome, how: 'get' | 'post-header' | 'post-body') => {
      assert.ok(outcome.accessToken);
      const url = `${server.issuer()}/protocol/openid-connect/userinfo`;
      const response = how === 'get' ? await fetch(url, { headers: { authorization: `Bearer ${outcome.accessToken}` } })
        : how === 'post-header' ? await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${outcome.accessToken}` } })
          : await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ access_token: outcome.accessToken }).toString() });
      assert.equal(response.status, 200, how);
      assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
      assert.equal((await response.json() as { sub: string }).sub, outcome.idToken.sub);
    };

    /** Each module's key pass criteria (the BASIC line it reuses names them), for one flow. */
    const modules: Record<string, (flow: Flow) => Promise<unknown>> = {
      'oidcc-server': (flow) => succeed(flow),
      'oidcc-idtoken-signature': async (flow) => {
        const { idTokenJwt } = await succeed(flow);
        assert.ok(['RS256', 'ES256', 'EdDSA'].includes(JSON.parse(Buffer.from(idTokenJwt.split('.')[0]!, 'base64url').toString()).alg));
      },
      'oidcc-ensure-request-without-nonce-fails': (flow) => fail(flow, { nonce: '' }, 'invalid_request'),
      'oidcc-ensure-request-without-nonce-succeeds-for-code-flow': async (flow) => {
        assert.equal((await succeed(flow, { nonce: '' })).idToken.nonce, undefined);
      },
      'oidcc-scope-profile': async (flow) => { assert.equal((await claimsOf(await succeed(flow, { scope: 'openid profile' }))).name, 'Alice Liddell'); },
      'oidcc-scope-email': async (flow) => { assert.equal((await claimsOf(await succeed(flow, { scope: 'openid email' }))).email, 'alice@example.com'); },
      'oidcc-scope-address': async (flow) => { assert.deepEqual((await claimsOf(await succeed(flow, { scope: 'openid address' }))).address, { locality: 'Oxford', country: 'GB' }); },
      'oidcc-scope-phone': async (flow) => { assert.equal((await claimsOf(await succeed(flow, { scope: 'openid phone' }))).phone_number, '+44 20 7946 0000'); },
      'oidcc-scope-all': async (flow) => {
        const claims = await claimsOf(await succeed(flow, { scope: 'openid profile email address phone' }));
        for (const name of ['name', 'email', 'address', 'phone_number']) assert.ok(claims[name] !== undefined, name);
      },
      'oidcc-alternate-happy-flow': async (flow) => { assert.equal((await claimsOf(await succeed(flow, { scope: 'email openid' }))).email, 'alice@example.com'); },
      'oidcc-display-page': (flow) => succeed(flow, { display: 'page' }),
      'oidcc-display-popup': (flow) => succeed(flow, { display: 'popup' }),
      'oidcc-prompt-login': async (flow) => {
        const before = (await succeed(flow)).idToken.auth_time as number;
        server.clock.advance(2);
        const page = await loginPageFor(flow, { prompt: 'login' });
        const after = responseOf(await browser.signIn(page, 'alice', password), flow);
        assert.equal(after.get('error'), null);
        const again = await succeed(flow);
        assert.ok((again.idToken.auth_time as number) > before, 'a new sign-in');
      },
      'oidcc-prompt-none-not-logged-in': (flow) => fail(flow, { prompt: 'none' }, 'login_required', new UserAgent(server.url)),
      'oidcc-prompt-none-logged-in': (flow) => succeed(flow, { prompt: 'none' }),
      'oidcc-max-age-1': async (flow) => {
        server.clock.advance(2);
        const page = await loginPageFor(flow, { max_age: '1' });
        assert.equal(responseOf(await browser.signIn(page, 'alice', password), flow).get('error'), null);
      },
      'oidcc-max-age-10000': async (flow) => { assert.equal(typeof (await succeed(flow, { max_age: '10000' })).idToken.auth_time, 'number'); },
      'oidcc-ensure-request-with-unknown-parameter-succeeds': (flow) => succeed(flow, { extra: 'foobar' }),
      'oidcc-id-token-hint': async (flow) => {
        const first = await succeed(flow);
        const again = await succeed(flow, { prompt: 'none', id_token_hint: first.idTokenJwt });
        assert.equal(again.idToken.sub, first.idToken.sub);
      },
      'oidcc-login-hint': (flow) => succeed(flow, { login_hint: 'alice' }),
      'oidcc-ui-locales': (flow) => succeed(flow, { ui_locales: 'se' }),
      'oidcc-claims-locales': (flow) => succeed(flow, { claims_locales: 'se' }),
      'oidcc-ensure-request-with-acr-values-succeeds': (flow) => succeed(flow, { acr_values: '1 2' }),
      'oidcc-ensure-registered-redirect-uri': async (flow) => {
        const page = await browser.open(authorizeUrl(server.issuer(), { client_id: 'hybrid', redirect_uri: 'https://attacker.example.com/cb', scope: 'openid', state: 'st', nonce: 'nn', response_type: flow.responseType, ...(flow.formPost ? { response_mode: 'form_post' } : {}) }));
        assert.equal(page.status, 400);
        assert.equal(page.location, undefined, 'no redirect to an unregistered URI');
        assert.ok(!page.html.includes('attacker.example.com/cb"'), 'no form to an unregistered URI');
      },
      'oidcc-request-uri-unsigned': async (flow) => {
        const path = `/request-${flow.responseType.replace(/ /g, '-')}-${flow.formPost}`;
        requestObjects.objects.set(path, unsigned(flow));
        await succeed(flow, { request_uri: `${requestObjects.base}${path}` });
      },
      'oidcc-unsigned-request-object-supported-correctly-or-rejected-as-unsupported': (flow) =>
        succeed(flow, { request: unsigned(flow) }),
      'oidcc-ensure-request-object-with-redirect-uri': (flow) =>
        succeed(flow, { request: unsigned(flow), redirect_uri: 'https://attacker.example.com/cb' }),
      'oidcc-claims-essential': async (flow) => {
        const outcome = await succeed(flow, { claims: JSON.stringify({ userinfo: { name: { essential: true } }, id_token: { name: { essential: true } } }) });
        assert.equal((await claimsOf(outcome)).name, 'Alice Liddell');
      },
      'oidcc-userinfo-get': async (flow) => userinfoBy(await succeed(flow), 'get'),
      'oidcc-userinfo-post-header': async (flow) => userinfoBy(await succeed(flow), 'post-header'),
      'oidcc-userinfo-post-body': async (flow) => userinfoBy(await succeed(flow), 'post-body'),
      'oidcc-response-type-missing': async (flow) => {
        const page = await browser.open(authorizeUrl(server.issuer(), { client_id: 'hybrid', redirect_uri: redirectUri, scope: 'openid', state: 'st', nonce: 'nn', ...(flow.formPost ? { response_mode: 'form_post' } : {}) }));
        // The OP cannot know the response type, so the error may come in the query or as a form_post.
        const response = page.location ? new URL(page.location).searchParams : new URLSearchParams(parseForm(page.html).fields);
        assert.ok(['invalid_request', 'unsupported_response_type'].includes(response.get('error') ?? ''), `error ${response.get('error')}`);
        assert.equal(response.get('state'), 'st');
      },
      'oidcc-codereuse': async (flow) => {
        const { response } = await succeed(flow);
        const again = await redeem(response.get('code')!);
        assert.equal(again.status, 400);
        assert.equal(again.body.error, 'invalid_grant');
      },
      'oidcc-codereuse-30seconds': async (flow) => {
        const { response, accessToken } = await succeed(flow);
        server.clock.advance(30);
        const again = await redeem(response.get('code')!);
        assert.equal(again.body.error, 'invalid_grant');
        assert.equal((await userinfo(server, accessToken!)).status, 401, 'the first access token is revoked');
      },
      'oidcc-server-client-secret-post': (flow) => succeed(flow, {}, browser, { id: 'hybrid-post', secret: 'hybrid-post-secret', post: true }),
      'oidcc-refresh-token': async (flow) => {
        const { refreshToken, idToken } = await succeed(flow, { scope: 'openid offline_access', prompt: 'consent' });
        assert.ok(refreshToken, 'offline_access gives a refresh token');
        const refreshed = await tokenRequest(server.issuer(), { grant_type: 'refresh_token', refresh_token: refreshToken, scope: 'openid' }, { id: 'hybrid', secret: 'hybrid-secret' });
        assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
        assert.equal(decodeJwt(refreshed.body.id_token).sub, idToken.sub);
      },
      'oidcc-ensure-request-with-valid-pkce-succeeds': (flow) => {
        const verifier = 'a-code-verifier-of-at-least-43-characters-0123456789';
        return succeed(flow, { code_challenge: s256(verifier), code_challenge_method: 'S256', code_verifier: verifier });
      },
    };

    /** Runs every module of the response type's plan; a failure names the module. */
    async function runPlan(flow: Flow, only?: string[]): Promise<void> {
      for (const name of modulesOf[flow.responseType]!.filter((m) => !only || only.includes(m))) {
        const module = modules[name];
        assert.ok(module, `no check for ${name}`);
        try {
          await module(flow);
        } catch (error) {
          throw new Error(`${name} (${flow.responseType}${flow.formPost ? ', form_post' : ''}): ${(error as Error).message}`, { cause: error });
        }
      }
    }

    test('CORE-24: no ID token carries s_hash, from the authorization or the token endpoint, for any response type', async () => {
      for (const responseType of Object.keys(modulesOf)) {
        const { response, idToken } = await succeed({ responseType, formPost: false });
        assert.equal(idToken.s_hash, undefined, responseType);
        if (response.get('id_token')) assert.equal(decodeJwt(response.get('id_token')!).s_hash, undefined, responseType);
      }
    });

    test('IMPL-01: the implicit plan\'s modules pass for id_token and for id_token token', async () => {
      for (const responseType of ['id_token', 'id_token token']) await runPlan({ responseType, formPost: false });
    });

    test('IMPL-07: prompt, max_age and id_token_hint work as in the code flow, with the ID token from the fragment', async () => {
      const only = ['oidcc-prompt-login', 'oidcc-prompt-none-not-logged-in', 'oidcc-prompt-none-logged-in', 'oidcc-max-age-1', 'oidcc-max-age-10000', 'oidcc-id-token-hint'];
      for (const responseType of ['id_token', 'id_token token']) await runPlan({ responseType, formPost: false }, only);
    });

    test('HYB-01: the hybrid plan\'s modules pass for code id_token', async () => {
      await runPlan({ responseType: 'code id_token', formPost: false });
    });

    test('HYB-02: the hybrid plan\'s modules pass for code token and code id_token token, each with its own nonce module', async () => {
      assert.ok(modulesOf['code token']!.includes('oidcc-ensure-request-without-nonce-succeeds-for-code-flow'));
      assert.ok(modulesOf['code id_token token']!.includes('oidcc-ensure-request-without-nonce-fails'));
      for (const responseType of ['code token', 'code id_token token']) await runPlan({ responseType, formPost: false });
    });

    test('FP-01: with response_mode=form_post, the basic, implicit and hybrid plans pass for every response type', async () => {
      for (const responseType of Object.keys(modulesOf)) await runPlan({ responseType, formPost: true });
    });

    test('IMPL-02, COMMON-06, BCP-19: response_type=id_token puts a signed ID token with the nonce and state in the fragment, and no code or access token', async () => {
      const fragment = fragmentOf(await authorize({ response_type: 'id_token' }));
      assert.deepEqual([...fragment.keys()].sort(), ['id_token', 'iss', 'session_state', 'state']);
      assert.equal(fragment.get('state'), 'st');
      assert.equal(fragment.get('iss'), server.issuer());
      assert.equal(fragment.get('code'), null);
      assert.equal(fragment.get('access_token'), null);
      const jwks = createLocalJWKSet(await (await fetch(`${server.issuer()}/protocol/openid-connect/certs`)).json() as never);
      const { payload } = await jwtVerify(fragment.get('id_token')!, jwks, { issuer: server.issuer(), audience: 'hybrid' });
      assert.equal(payload.nonce, 'nn');
      assert.equal(payload.at_hash, undefined);
      assert.equal(fragment.get('iss'), payload.iss, 'the iss parameter equals the ID token iss');
    });

    test('IMPL-05, CORE-30, COMMON-11: with response_type=id_token the requested scope claims are in the ID token, with their JSON types and updated_at a number', async () => {
      const idToken = decodeJwt(fragmentOf(await authorize({ response_type: 'id_token' })).get('id_token')!);
      assert.equal(idToken.name, 'Alice Liddell');
      assert.equal(idToken.given_name, 'Alice');
      assert.equal(idToken.email, 'alice@example.com');
      assert.equal(typeof idToken.email_verified, 'boolean');
      assert.equal(typeof idToken.updated_at, 'number');
    });

    test('IMPL-06: with response_type=id_token, name requested as essential for the ID token is in the ID token', async () => {
      const fragment = fragmentOf(await authorize({ response_type: 'id_token', scope: 'openid', claims: JSON.stringify({ id_token: { name: { essential: true } } }) }));
      assert.equal(decodeJwt(fragment.get('id_token')!).name, 'Alice Liddell');
    });

    test('IMPL-03, OAUTH-16: response_type=id_token token has access_token, token_type, id_token with a valid at_hash, no refresh_token, and the access token works at userinfo', async () => {
      const fragment = fragmentOf(await authorize({ response_type: 'id_token token', scope: 'openid profile offline_access' }));
      const accessToken = fragment.get('access_token')!;
      assert.equal(fragment.get('token_type'), 'Bearer');
      assert.ok(Number(fragment.get('expires_in')) > 0);
      assert.equal(fragment.get('code'), null);
      assert.equal(fragment.get('refresh_token'), null);
      const idToken = decodeJwt(fragment.get('id_token')!);
      assert.equal(idToken.at_hash, halfHash(accessToken));
      assert.equal(idToken.given_name, undefined, 'with an access token the claims come from userinfo');
      const info = await userinfo(server, accessToken);
      assert.equal(info.status, 200);
      assert.equal(info.body.given_name, 'Alice');
    });

    test('IMPL-04, HYB-07, CORE-20: id_token, code id_token and code id_token token without nonce get invalid_request in the fragment, with state and no tokens', async () => {
      for (const responseType of ['id_token', 'id_token token', 'code id_token', 'code id_token token']) {
        const page = await browser.open(authorizeUrl(server.issuer(), { client_id: 'hybrid', redirect_uri: redirectUri, scope: 'openid', state: 'st', response_type: responseType }));
        const fragment = fragmentOf(page);
        assert.equal(fragment.get('error'), 'invalid_request', responseType);
        assert.equal(fragment.get('state'), 'st');
        assert.equal(fragment.get('iss'), server.issuer());
        for (const name of ['code', 'id_token', 'access_token']) assert.equal(fragment.get(name), null, `${responseType}: ${name}`);
      }
    });

    test('HYB-07: code token without nonce succeeds: no ID token comes from the authorization endpoint, so no nonce is needed', async () => {
      const page = await browser.open(authorizeUrl(server.issuer(), { client_id: 'hybrid', redirect_uri: redirectUri, scope: 'openid', state: 'st', response_type: 'code token' }));
      const fragment = fragmentOf(page);
      assert.equal(fragment.get('error'), null, fragment.toString());
      assert.ok(fragment.get('code') && fragment.get('access_token'));
      const tokens = await redeem(fragment.get('code')!);
      assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
      assert.equal(decodeJwt(tokens.body.id_token).nonce, undefined);
    });

    test('HYB-03, HYB-06, CORE-23, CORE-25: code id_token has a valid c_hash, and the token endpoint ID token has the same iss and sub', async () => {
      const fragment = fragmentOf(await authorize({ response_type: 'code id_token' }));
      const front = decodeJwt(fragment.get('id_token')!);
      assert.equal(front.c_hash, halfHash(fragment.get('code')!));
      assert.equal(front.nonce, 'nn');
      const tokens = await redeem(fragment.get('code')!);
      assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
      const back = decodeJwt(tokens.body.id_token);
      assert.equal(back.iss, front.iss);
      assert.equal(back.sub, front.sub);
    });

    test('HYB-04: code token has code, access_token and token_type but no id_token in the fragment; the ID token comes from the token endpoint', async () => {
      const fragment = fragmentOf(await authorize({ response_type: 'code token' }));
      assert.ok(fragment.get('code') && fragment.get('access_token'));
      assert.equal(fragment.get('token_type'), 'Bearer');
      assert.equal(fragment.get('id_token'), null);
      assert.equal((await userinfo(server, fragment.get('access_token')!)).status, 200);
      const tokens = await redeem(fragment.get('code')!);
      assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
      assert.equal(decodeJwt(tokens.body.id_token).nonce, 'nn');
    });

    test('HYB-05, CORE-22, CORE-23: code id_token token has code, access_token and id_token with valid c_hash and at_hash', async () => {
      const fragment = fragmentOf(await authorize({ response_type: 'code id_token token' }));
      const idToken = decodeJwt(fragment.get('id_token')!);
      assert.equal(idToken.c_hash, halfHash(fragment.get('code')!));
      assert.equal(idToken.at_hash, halfHash(fragment.get('access_token')!));
    });

    test('HYB-08: a hybrid code redeemed twice is invalid_grant the second time', async () => {
      const fragment = fragmentOf(await authorize({ response_type: 'code id_token' }));
      assert.equal((await redeem(fragment.get('code')!)).status, 200);
      const again = await redeem(fragment.get('code')!);
      assert.equal(again.status, 400);
      assert.equal(again.body.error, 'invalid_grant');
    });

    test('FP-02, FP-03, FP-04, FP-05: with form_post, success and error responses are a form POSTed (url-encoded) to the bare redirect_uri with every parameter', async () => {
      for (const [params, expect, error] of [
        [{ response_type: 'code', response_mode: 'form_post' }, ['code', 'state', 'iss']],
        [{ response_type: 'code id_token token', response_mode: 'form_post' }, ['code', 'id_token', 'access_token', 'state', 'iss']],
        [{ response_type: 'code id_token', response_mode: 'form_post', nonce: '' }, ['error', 'state', 'iss'], 'invalid_request'],
        [{ client_id: 'web', response_type: 'code', response_mode: 'form_post', prompt: 'none' }, ['error', 'state', 'iss'], 'consent_required'],
      ] as [Record<string, string>, string[], string?][]) {
        const page = await authorize(params);
        assert.equal(page.status, 200);
        assert.equal(page.location, undefined);
        assert.match(page.html, /<form[^>]*method="post"/i);
        assert.doesNotMatch(page.html, /<form[^>]*enctype="(?!application\/x-www-form-urlencoded)/i, 'the default (url-encoded) encoding');
        const form = parseForm(page.html);
        assert.equal(form.action, redirectUri, 'nothing in the redirect_uri query');
        for (const name of expect) assert.ok(form.fields[name], `${name} is posted`);
        if (error) assert.equal(form.fields.error, error);
        assert.equal(form.fields.state, 'st');
        assert.equal(form.fields.iss, server.issuer());
        assert.match(page.html, /<script src="\/resources\/form-post\.js" defer/);
        assert.match(page.html, /<button type="submit"[^>]*>Continue<\/button>/);
      }
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

    test('the order of values in response_type does not matter', async () => {
      const fragment = fragmentOf(await authorize({ response_type: 'token id_token' }));
      assert.ok(fragment.get('access_token') && fragment.get('id_token'));
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
  if (skipWithoutChromium()) return;
  let server: TestServer;
  let rp: Server;
  let rpBase: string;
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
  });
  const chromium = browserPerSuite();
  after(async () => {
    await server?.close();
    rp?.closeAllConnections();
    await new Promise((resolve) => rp?.close(resolve));
  });

  for (const javaScriptEnabled of [true, false]) {
    test(`the browser posts the code to the client ${javaScriptEnabled ? 'by itself' : 'when the user presses Continue (JavaScript off)'}`, async () => {
      const context = await newContext(chromium(), { javaScriptEnabled });
      const page = await context.newPage();
      const before = posts.length;
      await page.goto(authorizeUrl(server.issuer(), { client_id: 'hybrid', redirect_uri: `${rpBase}/callback`, response_type: 'code', response_mode: 'form_post', scope: 'openid', state: 'fp' }));
      await submitSignInForm(page, 'alice');
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
