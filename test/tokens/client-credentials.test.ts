// Client credentials grant (RFC 6749 §4.4) with client authentication (§2.3.1), token endpoint
// errors (§5.2) and RFC 9068 JWT access tokens.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import * as oauth from 'oauth4webapi';
import { databases } from '../helpers/databases.js';
import { testRealm } from '../helpers/realm.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { tokenRequest } from '../helpers/user-agent.js';

const service = { id: 'service', secret: 'service-secret' };

for (const database of databases) {
  describe(`client credentials grant (${database})`, () => {
    let server: TestServer;
    before(async () => { server = await startServer(database, testRealm()); });
    after(async () => { await server?.close(); });

    const endpoint = () => `${server.issuer()}/protocol/openid-connect/token`;
    const post = (body: string, headers: Record<string, string> = {}) => fetch(endpoint(), {
      method: 'POST', body,
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(service.id, service.secret), ...headers },
    });

    test('a confidential client authenticated with Basic gets an access token and nothing else, uncached', async () => {
      const response = await tokenRequest(server.issuer(), { grant_type: 'client_credentials' }, service);
      assert.equal(response.status, 200, JSON.stringify(response.body));
      assert.equal(response.body.token_type, 'Bearer');
      assert.equal(typeof response.body.expires_in, 'number');
      assert.equal(response.body.refresh_token, undefined);
      assert.equal(response.body.id_token, undefined);
      assert.equal(response.headers.get('cache-control'), 'no-store');
    });

    test('JWTAT-03, JWTAT-04: the access token is an RFC 9068 JWT about the client itself', async () => {
      const response = await tokenRequest(server.issuer(), { grant_type: 'client_credentials', scope: 'api:read' }, service);
      assert.equal(response.status, 200, JSON.stringify(response.body));
      const jwt = response.body.access_token as string;
      assert.equal(decodeProtectedHeader(jwt).typ, 'at+jwt');
      const jwks = createRemoteJWKSet(new URL(`${server.issuer()}/protocol/openid-connect/certs`));
      const { payload } = await jwtVerify(jwt, jwks, { issuer: server.issuer(), typ: 'at+jwt', currentDate: new Date(server.clock.now()) });
      assert.equal(payload.sub, 'service');
      assert.equal(payload.client_id, 'service');
      assert.equal(payload.scope, 'api:read');
      assert.equal(response.body.scope, 'api:read');
      assert.ok(payload.aud, 'aud is required');
      assert.equal(typeof payload.jti, 'string');
      assert.equal(typeof payload.iat, 'number');
      assert.equal(payload.exp, payload.iat! + response.body.expires_in);
    });

    test('oauth4webapi accepts the client credentials response', async () => {
      const issuer = new URL(server.issuer());
      const insecure = { [oauth.allowInsecureRequests]: true };
      const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, insecure));
      const client: oauth.Client = { client_id: 'service' };
      const response = await oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretBasic('service-secret'), { scope: 'api:read api:write' }, insecure);
      const result = await oauth.processClientCredentialsResponse(as, client, response);
      assert.equal(result.token_type, 'bearer');
      assert.equal(result.scope, 'api:read api:write');
    });

    test('client_secret_post is refused with 401 invalid_client for a client registered with client_secret_basic', async () => {
      const response = await tokenRequest(server.issuer(), { grant_type: 'client_credentials', client_id: 'service', client_secret: 'service-secret' });
      assert.equal(response.status, 401);
      assert.equal(response.body.error, 'invalid_client');
      assert.equal(response.body.access_token, undefined);
    });

    test('OAUTH-20: a wrong secret sent with Basic is refused with 401 invalid_client and a Basic challenge', async () => {
      const response = await tokenRequest(server.issuer(), { grant_type: 'client_credentials' }, { id: 'service', secret: 'wrong' });
      assert.equal(response.status, 401);
      assert.equal(response.body.error, 'invalid_client');
      assert.match(response.headers.get('www-authenticate') ?? '', /^Basic\b/i);
    });

    test('an unknown client is refused with 401 invalid_client', async () => {
      const response = await tokenRequest(server.issuer(), { grant_type: 'client_credentials' }, { id: 'nobody', secret: 'service-secret' });
      assert.equal(response.status, 401);
      assert.equal(response.body.error, 'invalid_client');
    });

    test('a disabled client is refused with 401 invalid_client until it is enabled again', async () => {
      const { clients } = server.services.store;
      await clients.setEnabled('demo', 'service', false, Date.now());
      try {
        const refused = await tokenRequest(server.issuer(), { grant_type: 'client_credentials' }, { id: 'service', secret: 'service-secret' });
        assert.equal(refused.status, 401);
        assert.equal(refused.body.error, 'invalid_client');
      } finally {
        await clients.setEnabled('demo', 'service', true, Date.now());
      }
      const accepted = await tokenRequest(server.issuer(), { grant_type: 'client_credentials' }, { id: 'service', secret: 'service-secret' });
      assert.equal(accepted.status, 200);
    });

    test('scope openid is refused with invalid_scope: there is no user', async () => {
      const response = await tokenRequest(server.issuer(), { grant_type: 'client_credentials', scope: 'openid' }, service);
      assert.equal(response.status, 400);
      assert.equal(response.body.error, 'invalid_scope');
    });

    test('a scope the client is not registered for is refused with invalid_scope', async () => {
      const response = await tokenRequest(server.issuer(), { grant_type: 'client_credentials', scope: 'api:read api:admin' }, service);
      assert.equal(response.status, 400);
      assert.equal(response.body.error, 'invalid_scope');
    });

    test('a public client whose grant_types lack client_credentials is refused with unauthorized_client', async () => {
      const response = await tokenRequest(server.issuer(), { grant_type: 'client_credentials', client_id: 'spa' });
      assert.equal(response.status, 400);
      assert.equal(response.body.error, 'unauthorized_client');
    });

    test('a request without grant_type is refused with invalid_request', async () => {
      const response = await tokenRequest(server.issuer(), { scope: 'api:read' }, service);
      assert.equal(response.status, 400);
      assert.equal(response.body.error, 'invalid_request');
    });

    test('OAUTH-27: an unknown grant_type is refused with unsupported_grant_type', async () => {
      const response = await tokenRequest(server.issuer(), { grant_type: 'urn:example:params:oauth:grant-type:unknown' }, service);
      assert.equal(response.status, 400);
      assert.equal(response.body.error, 'unsupported_grant_type');
    });

    test('a JSON body is refused with 400 invalid_request', async () => {
      const response = await post(JSON.stringify({ grant_type: 'client_credentials' }), { 'content-type': 'application/json' });
      assert.equal(response.status, 400);
      assert.equal((await response.json() as { error: string }).error, 'invalid_request');
    });

    test('OAUTH-04: a parameter sent twice is refused with invalid_request', async () => {
      const response = await post('grant_type=client_credentials&grant_type=client_credentials');
      assert.equal(response.status, 400);
      assert.equal((await response.json() as { error: string }).error, 'invalid_request');
    });

    test('OAUTH-19: Basic credentials are form-urlencoded, so ids and secrets with special characters work', async () => {
      const clientId = 'batch:job/1+é';
      const secret = 'p@ss:w/rd%20+ &é=?';
      await server.services.store.clients.upsert('demo', {
        client_id: clientId, redirect_uris: [], post_logout_redirect_uris: [], grant_types: ['client_credentials'],
        response_types: [], token_endpoint_auth_method: 'client_secret_basic', scope: 'api:read', require_consent: false,
      }, server.services.sealer.digest(secret), Date.now());
      const response = await tokenRequest(server.issuer(), { grant_type: 'client_credentials' }, { id: clientId, secret });
      assert.equal(response.status, 200, JSON.stringify(response.body));
      assert.equal(response.body.scope, 'api:read');

      // Same again through oauth4webapi's own encoding (spaces as '+').
      const issuer = new URL(server.issuer());
      const insecure = { [oauth.allowInsecureRequests]: true };
      const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, insecure));
      const client: oauth.Client = { client_id: clientId };
      const viaLibrary = await oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretBasic(secret), {}, insecure);
      assert.equal((await oauth.processClientCredentialsResponse(as, client, viaLibrary)).scope, 'api:read');
    });
  });
}

function basic(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}
