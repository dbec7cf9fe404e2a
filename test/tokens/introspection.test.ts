// Token introspection (RFC 7662): what an active token is described with, everything that makes a
// token inactive, who may ask, and the metadata that advertises the endpoint (RFC 8414 §2).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import * as oauth from 'oauth4webapi';
import { databases } from '../helpers/databases.js';
import { token, tokensFor, type ClientName } from '../helpers/flows.js';
import { testRealm } from '../helpers/realm.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { tokenRequest, UserAgent } from '../helpers/user-agent.js';

/** A second realm with the same clients, to show that tokens do not cross realms. */
function twoRealms() {
  const file = testRealm();
  file.realms.push({ ...file.realms[0]!, name: 'other', display_name: 'Other' });
  return file;
}

for (const database of databases) {
  describe(`token introspection (${database})`, () => {
    let server: TestServer;
    before(async () => { server = await startServer(database, twoRealms()); });
    after(async () => { await server?.close(); });

    const endpoint = () => `${server.issuer()}/protocol/openid-connect/token/introspect`;
    /** POSTs to the introspection endpoint authenticated as the test realm registers `caller`. */
    const introspect = async (caller: ClientName | 'nobody', form: Record<string, string>, init: { body?: string } = {}) => {
      const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
      const fields: Record<string, string> = { ...form };
      if (caller === 'web' || caller === 'service') headers.authorization = `Basic ${Buffer.from(`${caller}:${caller}-secret`).toString('base64')}`;
      if (caller === 'trusted') Object.assign(fields, { client_id: 'trusted', client_secret: 'trusted-secret' });
      if (caller === 'spa') fields.client_id = 'spa';
      const response = await fetch(endpoint(), { method: 'POST', headers, body: init.body ?? new URLSearchParams(fields).toString() });
      return { status: response.status, body: await response.json() as Record<string, any>, headers: response.headers };
    };
    const signIn = (scope = 'openid profile', user = 'alice') => tokensFor(server, new UserAgent(server.url), { client: 'web', scope, user });
    const assertInactive = (answer: { status: number; body: Record<string, any> }) => {
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.deepEqual(answer.body, { active: false });
    };

    test('discovery advertises the introspection and revocation endpoints and their client authentication methods', async () => {
      const metadata = await (await fetch(`${server.issuer()}/.well-known/openid-configuration`)).json() as Record<string, any>;
      const base = `${server.issuer()}/protocol/openid-connect`;
      assert.equal(metadata.introspection_endpoint, `${base}/token/introspect`);
      assert.equal(metadata.revocation_endpoint, `${base}/revoke`);
      assert.deepEqual(metadata.revocation_endpoint_auth_methods_supported, metadata.token_endpoint_auth_methods_supported);
      assert.deepEqual(metadata.introspection_endpoint_auth_methods_supported,
        metadata.token_endpoint_auth_methods_supported.filter((m: string) => m !== 'none'));
    });

    test('INTRO-03, INTRO-07: a resource server learns an active access token\'s scope, client, user, lifetimes and session (oauth4webapi)', async () => {
      const issuer = new URL(server.issuer());
      const insecure = { [oauth.allowInsecureRequests]: true };
      const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, insecure));
      const resourceServer: oauth.Client = { client_id: 'service' };
      const tokens = await signIn('openid profile');
      const response = await oauth.introspectionRequest(as, resourceServer, oauth.ClientSecretBasic('service-secret'), tokens.access_token, insecure);
      assert.equal(response.headers.get('cache-control'), 'no-store');
      const described = await oauth.processIntrospectionResponse(as, resourceServer, response);
      const jwt = decodeJwt(tokens.access_token);
      assert.equal(described.active, true);
      assert.equal(described.scope, 'openid profile');
      assert.equal(described.client_id, 'web');
      assert.equal(described.username, 'alice');
      assert.equal(described.token_type, 'Bearer');
      assert.equal(described.sub, jwt.sub);
      assert.equal(described.aud, 'web');
      assert.equal(described.iss, server.issuer());
      assert.equal(described.jti, jwt.jti);
      assert.equal(described.exp, jwt.exp);
      assert.equal(described.iat, jwt.iat);
      assert.equal(typeof described.sid, 'string');
      assert.equal(typeof described.auth_time, 'number');
      assert.equal(described.gid, undefined, 'the grant id is internal');
    });

    test('the client a refresh token was issued to learns that it is active, with its scope, user and expiry', async () => {
      const tokens = await signIn('openid email');
      const answer = await introspect('web', { token: tokens.refresh_token });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.equal(answer.headers.get('cache-control'), 'no-store');
      const { body } = answer;
      assert.equal(body.active, true);
      assert.equal(body.token_type, 'refresh_token');
      assert.equal(body.scope, 'openid email');
      assert.equal(body.client_id, 'web');
      assert.equal(body.username, 'alice');
      assert.equal(body.sub, decodeJwt(tokens.access_token).sub);
      assert.equal(body.iss, server.issuer());
      const now = Math.floor(server.clock.now() / 1000);
      assert.ok(body.exp > now && body.exp <= now + 1800, `exp ${body.exp}`);
      assert.ok(body.iat <= now && body.iat > now - 60, `iat ${body.iat}`);
    });

    test('INTRO-08: a wrong token_type_hint does not change the answer', async () => {
      const tokens = await signIn();
      assert.equal((await introspect('web', { token: tokens.access_token, token_type_hint: 'refresh_token' })).body.active, true);
      assert.equal((await introspect('web', { token: tokens.refresh_token, token_type_hint: 'access_token' })).body.active, true);
      assert.equal((await introspect('web', { token: tokens.refresh_token, token_type_hint: 'something_else' })).body.active, true);
    });

    test('a client_credentials access token is active, with the client as subject and no username', async () => {
      const issued = await token(server, 'service', { grant_type: 'client_credentials', scope: 'api:read' });
      assert.equal(issued.status, 200, JSON.stringify(issued.body));
      const { body } = await introspect('service', { token: issued.body.access_token });
      assert.equal(body.active, true);
      assert.equal(body.client_id, 'service');
      assert.equal(body.sub, 'service');
      assert.equal(body.scope, 'api:read');
      assert.equal(body.username, undefined);
    });

    test('a refresh token introspected by a client it was not issued to is inactive', async () => {
      const tokens = await signIn();
      assertInactive(await introspect('trusted', { token: tokens.refresh_token }));
      assertInactive(await introspect('service', { token: tokens.refresh_token }));
    });

    test('the tokens of a client that has been disabled are inactive, and active again once it is enabled', async () => {
      const tokens = await signIn();
      await server.services.store.clients.setEnabled('demo', 'web', false, server.clock.now());
      try {
        assertInactive(await introspect('service', { token: tokens.access_token }));
        assertInactive(await introspect('service', { token: tokens.refresh_token, token_type_hint: 'refresh_token' }));
        const userinfo = await fetch(`${server.issuer()}/protocol/openid-connect/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
        assert.equal(userinfo.status, 401);
        assert.match(userinfo.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
      } finally {
        await server.services.store.clients.setEnabled('demo', 'web', true, server.clock.now());
      }
      assert.equal((await introspect('service', { token: tokens.access_token })).body.active, true);
    });

    test('INTRO-04: the tokens of a revoked grant are inactive at once', async () => {
      const tokens = await signIn();
      await server.services.store.grants.revoke(decodeJwt(tokens.access_token).gid as string, server.clock.now());
      assertInactive(await introspect('service', { token: tokens.access_token }));
      assertInactive(await introspect('web', { token: tokens.refresh_token }));
    });

    test('a refresh token already exchanged for new tokens is inactive', async () => {
      const tokens = await signIn();
      const refreshed = await token(server, 'web', { grant_type: 'refresh_token', refresh_token: tokens.refresh_token });
      assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
      assertInactive(await introspect('web', { token: tokens.refresh_token }));
      assert.equal((await introspect('web', { token: refreshed.body.refresh_token })).body.active, true);
    });

    test('the access token of a user disabled since is inactive', async () => {
      const tokens = await signIn('openid', 'bob');
      const sub = decodeJwt(tokens.access_token).sub!;
      await server.services.store.users.setEnabled(sub, false, server.clock.now());
      try {
        assertInactive(await introspect('service', { token: tokens.access_token }));
      } finally {
        await server.services.store.users.setEnabled(sub, true, server.clock.now());
      }
    });

    test('INTRO-04: an unknown token, a malformed one and a token of another realm are inactive', async () => {
      assertInactive(await introspect('service', { token: 'no-such-token' }));
      assertInactive(await introspect('service', { token: 'eyJhbGciOiJub25lIn0.e30.' }));
      const foreign = await tokenRequest(server.issuer('other'), { grant_type: 'client_credentials' }, { id: 'service', secret: 'service-secret' });
      assert.equal(foreign.status, 200, JSON.stringify(foreign.body));
      assertInactive(await introspect('service', { token: foreign.body.access_token }));
    });

    test('INTRO-04, INTRO-06: an expired access token is inactive', async () => {
      const tokens = await signIn();
      server.clock.advance(301);   // access_token_lifetime defaults to 300 s
      assertInactive(await introspect('service', { token: tokens.access_token }));
    });

    test('an expired refresh token is inactive', async () => {
      const tokens = await signIn();
      server.clock.advance(1801);   // refresh_token_idle_lifetime defaults to 1800 s
      assertInactive(await introspect('web', { token: tokens.refresh_token }));
    });

    test('a public client may not introspect, even its own tokens: 401 invalid_client', async () => {
      const tokens = await tokensFor(server, new UserAgent(server.url), { client: 'spa', scope: 'openid' });
      const answer = await introspect('spa', { token: tokens.access_token });
      assert.equal(answer.status, 401);
      assert.equal(answer.body.error, 'invalid_client');
    });

    test('INTRO-02: a request without client authentication gets 401 invalid_client', async () => {
      const answer = await introspect('nobody', { token: 'anything' });
      assert.equal(answer.status, 401);
      assert.equal(answer.body.error, 'invalid_client');
      assert.equal(answer.headers.get('cache-control'), 'no-store');
    });

    test('a wrong client secret in Basic gets 401 invalid_client with a Basic challenge', async () => {
      const response = await fetch(endpoint(), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from('service:wrong').toString('base64')}` },
        body: 'token=anything',
      });
      assert.equal(response.status, 401);
      assert.match(response.headers.get('www-authenticate') ?? '', /^Basic realm=/);
      assert.equal((await response.json() as { error: string }).error, 'invalid_client');
    });

    test('INTRO-01: a request without a token gets 400 invalid_request', async () => {
      const answer = await introspect('service', {});
      assert.equal(answer.status, 400);
      assert.equal(answer.body.error, 'invalid_request');
    });

    test('a parameter sent twice gets 400 invalid_request', async () => {
      const answer = await introspect('service', {}, { body: 'token=a&token=b' });
      assert.equal(answer.status, 400);
      assert.equal(answer.body.error, 'invalid_request');
    });

    test('the endpoint answers no CORS: it is for resource servers, not browsers', async () => {
      const response = await fetch(endpoint(), {
        method: 'POST',
        headers: { origin: 'http://127.0.0.1:5173', 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from('service:service-secret').toString('base64')}` },
        body: 'token=anything',
      });
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('access-control-allow-origin'), null);
    });
  });
}
