// Pairwise subject identifiers (OIDC Core §8.1): a client registered with subject_type "pairwise"
// knows each user by a sub of its own sector — the same for clients of one sector, different
// across sectors, stable across sign-ins — everywhere a sub appears; and registration checks
// sector_identifier_uri documents (OIDC Registration §5).
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { parseRealmFile } from '../../src/admin/realm-file.js';
import { databases } from '../helpers/databases.js';
import { userinfo } from '../helpers/flows.js';
import { password, testRealm } from '../helpers/realm.js';
import { freePort, startServer, type TestServer } from '../helpers/server.js';
import { authorizeUrl, callbackParams, isConsentPage, isLoginPage, pkcePair, tokenRequest, UserAgent } from '../helpers/user-agent.js';

const pairwiseClient = (clientId: string, redirectUri: string) => ({
  client_id: clientId, client_secret: `${clientId}-secret`, client_name: clientId, redirect_uris: [redirectUri],
  grant_types: ['authorization_code', 'refresh_token'], token_endpoint_auth_method: 'client_secret_basic',
  scope: 'openid profile offline_access', require_consent: false, subject_type: 'pairwise',
});

/**
 * Two clients in the sector one.example, one in two.example (told of logouts at `base`/backchannel);
 * registration open to anyone.
 */
function pairwiseRealm(base: string) {
  const file = testRealm();
  const realm = file.realms[0]!;
  return {
    realms: [{
      ...realm, registration: 'open',
      clients: [
        ...realm.clients,
        pairwiseClient('one-a', 'https://one.example/callback'),
        pairwiseClient('one-b', 'https://one.example/other'),
        { ...pairwiseClient('two', 'https://two.example/callback'), backchannel_logout_uri: `${base}/backchannel` },
      ],
    }],
  };
}

/** Serves sector_identifier_uri documents on 127.0.0.1, and records the logout tokens POSTed to it. */
async function startSectorServer(documents: Record<string, string>): Promise<{ base: string; logoutTokens: string[]; close(): Promise<void> }> {
  const port = await freePort();
  const logoutTokens: string[] = [];
  const server: Server = createServer((request, response) => {
    if (request.method === 'POST') {
      let form = '';
      request.on('data', (chunk) => { form += chunk; });
      request.on('end', () => {
        logoutTokens.push(new URLSearchParams(form).get('logout_token') ?? '');
        response.writeHead(200).end();
      });
      return;
    }
    const body = documents[request.url ?? ''];
    if (body === undefined) return response.writeHead(404).end();
    response.writeHead(200, { 'content-type': 'application/json' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${port}`,
    logoutTokens,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

for (const database of databases) {
  describe(`pairwise subject identifiers (${database})`, () => {
    let server: TestServer;
    let sectors: Awaited<ReturnType<typeof startSectorServer>>;
    before(async () => {
      sectors = await startSectorServer({
        '/sector.json': JSON.stringify(['https://three.example/callback', 'https://four.example/callback']),
        '/not-json': 'three.example',
        '/object.json': JSON.stringify({ redirect_uris: ['https://three.example/callback'] }),
      });
      server = await startServer(database, pairwiseRealm(sectors.base));
    });
    after(async () => {
      await sectors?.close();
      await server?.close();
    });

    /** Signs `user` in for `clientId` (allowing if asked) and redeems the code; the token response. */
    async function tokensFor(
      clientId: string, redirectUri: string,
      o: { user?: string; agent?: UserAgent; secret?: string; post?: boolean; params?: Record<string, string> } = {},
    ): Promise<Record<string, any>> {
      const agent = o.agent ?? new UserAgent(server.url);
      const pair = pkcePair();
      let page = await agent.open(authorizeUrl(server.issuer(), {
        client_id: clientId, redirect_uri: redirectUri, response_type: 'code', scope: 'openid profile offline_access', state: 's',
        code_challenge: pair.challenge, code_challenge_method: 'S256', ...o.params,
      }));
      if (isLoginPage(page)) page = await agent.signIn(page, o.user ?? 'alice', password);
      else if (isConsentPage(page)) page = await agent.submit(page, {}, { name: 'decision', value: 'allow' });
      const code = callbackParams(page).get('code');
      assert.ok(code, `no code in ${page.location}`);
      const form = { grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: pair.verifier };
      const secret = o.secret ?? `${clientId}-secret`;
      const tokens = o.post
        ? await tokenRequest(server.issuer(), { ...form, client_id: clientId, client_secret: secret })
        : await tokenRequest(server.issuer(), form, { id: clientId, secret });
      assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
      return tokens.body;
    }

    const subOf = (tokens: Record<string, any>) => decodeJwt(tokens.id_token).sub!;

    async function register(metadata: Record<string, unknown>): Promise<{ status: number; body: Record<string, any> }> {
      const response = await fetch(`${server.issuer()}/protocol/openid-connect/registrations`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ client_name: 'Registered', scope: 'openid profile offline_access', ...metadata }),
      });
      return { status: response.status, body: await response.json() as Record<string, any> };
    }

    test('CONFIG-06: discovery lists the public and pairwise subject types', async () => {
      const metadata = await (await fetch(`${server.issuer()}/.well-known/openid-configuration`)).json() as Record<string, any>;
      assert.deepEqual(metadata.subject_types_supported, ['public', 'pairwise']);
    });

    test('CORE-35: clients of different sectors get different subs for one user, stable across sign-ins; one sector shares one sub', async () => {
      const publicSub = subOf(await tokensFor('trusted', 'http://127.0.0.1:3999/callback', { secret: 'trusted-secret', post: true }));
      const oneA = subOf(await tokensFor('one-a', 'https://one.example/callback'));
      const oneB = subOf(await tokensFor('one-b', 'https://one.example/other'));
      const two = subOf(await tokensFor('two', 'https://two.example/callback'));
      assert.match(oneA, /^[A-Za-z0-9_-]{43}$/);
      assert.equal(oneB, oneA, 'one sector, one sub');
      assert.notEqual(two, oneA, 'another sector, another sub');
      assert.notEqual(oneA, publicSub);
      assert.notEqual(two, publicSub);
      assert.equal(subOf(await tokensFor('one-a', 'https://one.example/callback')), oneA, 'stable across sign-ins');
      assert.notEqual(subOf(await tokensFor('one-a', 'https://one.example/callback', { user: 'bob' })), oneA, 'another user, another sub');
    });

    test('userinfo, the access token, introspection and a refresh all carry the ID token\'s pairwise sub', async () => {
      const tokens = await tokensFor('two', 'https://two.example/callback');
      const sub = subOf(tokens);
      assert.equal(decodeJwt(tokens.access_token).sub, sub);
      const info = await userinfo(server, tokens.access_token);
      assert.equal(info.status, 200);
      assert.equal(info.body.sub, sub);

      const introspect = async (token: string, id: string, secret: string) => (await fetch(`${server.issuer()}/protocol/openid-connect/token/introspect`, {
        method: 'POST', body: new URLSearchParams({ token }).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}` },
      })).json() as Promise<Record<string, any>>;
      assert.equal((await introspect(tokens.access_token, 'web', 'web-secret')).sub, sub);
      const refresh = await introspect(tokens.refresh_token, 'two', 'two-secret');
      assert.equal(refresh.active, true);
      assert.equal(refresh.sub, sub);

      const refreshed = await tokenRequest(server.issuer(), { grant_type: 'refresh_token', refresh_token: tokens.refresh_token }, { id: 'two', secret: 'two-secret' });
      assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
      assert.equal(subOf(refreshed.body), sub);
      assert.equal(decodeJwt(refreshed.body.access_token).sub, sub);
    });

    test('an id_token_hint with a pairwise sub names the signed-in user; another user\'s hint does not', async () => {
      const alice = new UserAgent(server.url);
      const aliceTokens = await tokensFor('one-a', 'https://one.example/callback', { agent: alice });
      const bobTokens = await tokensFor('one-a', 'https://one.example/callback', { user: 'bob' });
      const silent = (hint: string) => alice.open(authorizeUrl(server.issuer(), {
        client_id: 'one-a', redirect_uri: 'https://one.example/callback', response_type: 'code', scope: 'openid', state: 's',
        code_challenge: pkcePair().challenge, code_challenge_method: 'S256', prompt: 'none', id_token_hint: hint,
      }));
      const same = callbackParams(await silent(aliceTokens.id_token));
      assert.ok(same.get('code'), `expected a code, got ${same}`);
      const other = callbackParams(await silent(bobTokens.id_token));
      assert.equal(other.get('error'), 'login_required');
    });

    test('the back-channel logout token names the user by the client\'s pairwise sub', async () => {
      const agent = new UserAgent(server.url);
      const tokens = await tokensFor('two', 'https://two.example/callback', { agent });
      const before = sectors.logoutTokens.length;
      const logout = new URL(`${server.issuer()}/protocol/openid-connect/logout`);
      logout.searchParams.set('id_token_hint', tokens.id_token);
      await agent.open(logout.href);
      assert.equal(sectors.logoutTokens.length, before + 1);
      const logoutToken = decodeJwt(sectors.logoutTokens.at(-1)!);
      assert.equal(logoutToken.sub, subOf(tokens));
      assert.equal(logoutToken.sid, decodeJwt(tokens.id_token).sid);
    });

    test('DYN-15: a pairwise registration whose sector_identifier_uri lists its redirect URIs is created, signs in, and its sub follows the sector', async () => {
      const sectorUri = `${sectors.base}/sector.json`;
      const three = await register({ redirect_uris: ['https://three.example/callback'], subject_type: 'pairwise', sector_identifier_uri: sectorUri });
      assert.equal(three.status, 201, JSON.stringify(three.body));
      assert.equal(three.body.subject_type, 'pairwise');
      assert.equal(three.body.sector_identifier_uri, sectorUri);
      const four = await register({ redirect_uris: ['https://four.example/callback'], subject_type: 'pairwise', sector_identifier_uri: sectorUri });
      assert.equal(four.status, 201, JSON.stringify(four.body));

      const viaThree = subOf(await tokensFor(three.body.client_id, 'https://three.example/callback', { secret: three.body.client_secret }));
      const viaFour = subOf(await tokensFor(four.body.client_id, 'https://four.example/callback', { secret: four.body.client_secret }));
      assert.equal(viaFour, viaThree, 'one sector_identifier_uri host, one sector');
      assert.notEqual(viaThree, subOf(await tokensFor('one-a', 'https://one.example/callback')));
    });

    test('DYN-16: a sector_identifier_uri that does not list every redirect URI, or cannot be read, is invalid_client_metadata', async () => {
      const refused = async (metadata: Record<string, unknown>, why: RegExp) => {
        const answer = await register({ subject_type: 'pairwise', ...metadata });
        assert.equal(answer.status, 400, JSON.stringify(answer.body));
        assert.equal(answer.body.error, 'invalid_client_metadata');
        assert.match(answer.body.error_description, why);
      };
      const unlisted = ['https://three.example/callback', 'https://five.example/callback'];
      await refused({ redirect_uris: unlisted, sector_identifier_uri: `${sectors.base}/sector.json` }, /does not list the redirect URI https:\/\/five\.example\/callback/);
      await refused({ redirect_uris: ['https://three.example/callback'], sector_identifier_uri: `${sectors.base}/missing.json` }, /could not be fetched/);
      await refused({ redirect_uris: ['https://three.example/callback'], sector_identifier_uri: `${sectors.base}/not-json` }, /not JSON/);
      await refused({ redirect_uris: ['https://three.example/callback'], sector_identifier_uri: `${sectors.base}/object.json` }, /JSON array/);
      await refused({ redirect_uris: ['https://three.example/callback'], sector_identifier_uri: 'ftp://three.example/sector.json' }, /https/);
      await refused({ redirect_uris: unlisted }, /needs a sector_identifier_uri/);
      const bogus = await register({ redirect_uris: ['https://three.example/callback'], subject_type: 'ephemeral' });
      assert.equal(bogus.body.error, 'invalid_client_metadata');
    });
  });
}

test('a realm file pairwise client whose redirect URIs span hosts needs a sector_identifier_uri; one host is its sector', () => {
  const file = (client: Record<string, unknown>) => ({ realms: [{ name: 'demo', clients: [{ client_id: 'c', client_secret: 's', ...client }] }] });
  assert.throws(() => parseRealmFile(file({ subject_type: 'pairwise', redirect_uris: ['https://a.example/cb', 'https://b.example/cb'] }), 'realm.json'),
    /sector_identifier_uri: a pairwise client whose redirect URIs are not all on one host needs a sector_identifier_uri/);
  const [realm] = parseRealmFile(file({ subject_type: 'pairwise', redirect_uris: ['https://a.example/cb', 'https://a.example/other'] }), 'realm.json');
  assert.equal(realm!.clients[0]!.metadata.subject_type, 'pairwise');
  assert.throws(() => parseRealmFile(file({ subject_type: 'secret', redirect_uris: ['https://a.example/cb'] }), 'realm.json'), /subject_type: must be one of public, pairwise/);
});
