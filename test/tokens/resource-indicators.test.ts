// Resource indicators (RFC 8707) and the audience of JWT access tokens (RFC 9068 §3): `resource`
// at the authorization and token endpoints, what `aud` becomes, and what is refused.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt, UnsecuredJWT } from 'jose';
import * as oauth from 'oauth4webapi';
import { parseRealmFile, RealmFileError } from '../../src/admin/realm-file.js';
import { databases } from '../helpers/databases.js';
import { redirectUriOf, token } from '../helpers/flows.js';
import { password, testRealm } from '../helpers/realm.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { callbackParams, isConsentPage, isLoginPage, pkcePair, UserAgent } from '../helpers/user-agent.js';

const api = 'https://api.example.com';
const docs = 'https://docs.example.com/v1';
const admin = 'https://admin.example.com';

function realmWithResources() {
  const file = testRealm();
  const realm = file.realms[0]! as Record<string, any>;
  realm.resources = [{ uri: api }, { uri: docs }, { uri: admin }];
  realm.clients.push({
    client_id: 'reporting', client_secret: 'reporting-secret', grant_types: ['client_credentials'],
    scope: 'api:read', allowed_resources: [api],
  }, {
    client_id: 'implicit', redirect_uris: [redirectUriOf.spa], grant_types: ['implicit'], response_types: ['id_token token'],
    token_endpoint_auth_method: 'none', scope: 'openid api:read',
  }, {
    client_id: 'jar', client_secret: 'jar-secret', redirect_uris: [redirectUriOf.web], grant_types: ['authorization_code'],
    scope: 'openid api:read', request_object_signing_alg: 'none',
  });
  return file;
}

for (const database of databases) {
  describe(`resource indicators (${database})`, () => {
    let server: TestServer;
    before(async () => { server = await startServer(database, realmWithResources()); });
    after(async () => { await server?.close(); });

    const tokenEndpoint = () => `${server.issuer()}/protocol/openid-connect/token`;
    /** A token request with repeated parameters, authenticated with Basic. */
    const post = async (clientId: string, secret: string, form: [string, string][]) => {
      const response = await fetch(tokenEndpoint(), {
        method: 'POST', body: new URLSearchParams(form).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}` },
      });
      return { status: response.status, body: await response.json() as Record<string, any> };
    };
    const service = (form: [string, string][]) => post('service', 'service-secret', [['grant_type', 'client_credentials'], ...form]);

    /** An authorization request for `web` with these resources; returns the redirect's parameters and the PKCE verifier. */
    const authorize = async (resources: string[]) => {
      const browser = new UserAgent(server.url);
      const pair = pkcePair();
      const url = new URL(`${server.issuer()}/protocol/openid-connect/auth`);
      const query: [string, string][] = [
        ['client_id', 'web'], ['redirect_uri', redirectUriOf.web], ['response_type', 'code'], ['scope', 'openid api:read offline_access'],
        ['state', 'state-1'], ['code_challenge', pair.challenge], ['code_challenge_method', 'S256'], ...resources.map((r): [string, string] => ['resource', r]),
      ];
      url.search = new URLSearchParams(query).toString();
      let page = await browser.open(url.href);
      if (isLoginPage(page)) page = await browser.signIn(page, 'alice', password);
      else if (isConsentPage(page)) page = await browser.submit(page, {}, { name: 'decision', value: 'allow' });
      return { callback: callbackParams(page), verifier: pair.verifier };
    };
    const redeem = async (resources: string[], atToken: string[] = []) => {
      const { callback, verifier } = await authorize(resources);
      const code = callback.get('code');
      assert.ok(code, `no code: ${callback}`);
      return post('web', 'web-secret', [
        ['grant_type', 'authorization_code'], ['code', code], ['redirect_uri', redirectUriOf.web], ['code_verifier', verifier],
        ...atToken.map((r): [string, string] => ['resource', r]),
      ]);
    };

    test('JWTAT-05: without resource the access token keeps the client as its audience; with one, aud is that resource', async () => {
      const plain = await service([['scope', 'api:read']]);
      assert.equal(plain.status, 200, JSON.stringify(plain.body));
      assert.equal(decodeJwt(plain.body.access_token).aud, 'service');
      const targeted = await service([['scope', 'api:read'], ['resource', api]]);
      assert.equal(targeted.status, 200, JSON.stringify(targeted.body));
      assert.equal(decodeJwt(targeted.body.access_token).aud, api);
    });

    test('JWTAT-05: several resource parameters give an access token for all of them (oauth4webapi)', async () => {
      const issuer = new URL(server.issuer());
      const insecure = { [oauth.allowInsecureRequests]: true };
      const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, insecure));
      const client: oauth.Client = { client_id: 'service' };
      const parameters = new URLSearchParams([['scope', 'api:read'], ['resource', api], ['resource', docs]]);
      const response = await oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretBasic('service-secret'), parameters, insecure);
      const tokens = await oauth.processClientCredentialsResponse(as, client, response);
      assert.deepEqual(decodeJwt(tokens.access_token).aud, [api, docs]);
    });

    test('a resource that is not an absolute URI, has a fragment or is unknown is refused with invalid_target', async () => {
      for (const resource of ['api.example.com', '/relative', `${api}#part`, 'https://unknown.example.com']) {
        const answer = await service([['resource', resource]]);
        assert.equal(answer.status, 400, resource);
        assert.equal(answer.body.error, 'invalid_target', resource);
      }
    });

    test('a client limited by allowed_resources cannot ask for the realm\'s other resources', async () => {
      const allowed = await post('reporting', 'reporting-secret', [['grant_type', 'client_credentials'], ['resource', api]]);
      assert.equal(allowed.status, 200, JSON.stringify(allowed.body));
      assert.equal(decodeJwt(allowed.body.access_token).aud, api);
      const refused = await post('reporting', 'reporting-secret', [['grant_type', 'client_credentials'], ['resource', docs]]);
      assert.equal(refused.status, 400);
      assert.equal(refused.body.error, 'invalid_target');
    });

    test('resources asked for at authorization become the audience of the tokens the code is redeemed for', async () => {
      const tokens = await redeem([api, docs]);
      assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
      assert.deepEqual(decodeJwt(tokens.body.access_token).aud, [api, docs]);
      assert.equal(decodeJwt(tokens.body.id_token).aud, 'web', 'the ID token stays for the client');
    });

    test('the token request can narrow the audience to one of the resources granted, but not add another', async () => {
      const narrowed = await redeem([api, docs], [docs]);
      assert.equal(narrowed.status, 200, JSON.stringify(narrowed.body));
      assert.equal(decodeJwt(narrowed.body.access_token).aud, docs);
      const widened = await redeem([api], [admin]);
      assert.equal(widened.status, 400);
      assert.equal(widened.body.error, 'invalid_target');
    });

    test('BCP-11: a refresh keeps the granted resources, may narrow them, and asking for another one is invalid_target', async () => {
      const tokens = await redeem([api, docs]);
      assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
      const refreshed = await token(server, 'web', { grant_type: 'refresh_token', refresh_token: tokens.body.refresh_token });
      assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
      assert.deepEqual(decodeJwt(refreshed.body.access_token).aud, [api, docs]);
      const narrowed = await token(server, 'web', { grant_type: 'refresh_token', refresh_token: refreshed.body.refresh_token, resource: api });
      assert.equal(narrowed.status, 200, JSON.stringify(narrowed.body));
      assert.equal(decodeJwt(narrowed.body.access_token).aud, api);
      const widened = await token(server, 'web', { grant_type: 'refresh_token', refresh_token: narrowed.body.refresh_token, resource: admin });
      assert.equal(widened.status, 400);
      assert.equal(widened.body.error, 'invalid_target');
    });

    test('a grant made without resources cannot be redeemed for one', async () => {
      const answer = await redeem([], [api]);
      assert.equal(answer.status, 400);
      assert.equal(answer.body.error, 'invalid_target');
    });

    test('a bad resource at the authorization endpoint is sent back to the client as invalid_target', async () => {
      for (const resource of ['not a uri', `${api}#fragment`, 'https://unknown.example.com']) {
        const { callback } = await authorize([resource]);
        assert.equal(callback.get('error'), 'invalid_target', `${resource}: ${callback}`);
        assert.equal(callback.get('state'), 'state-1');
        assert.equal(callback.get('code'), null);
      }
    });

    test('an access token from the authorization endpoint (implicit flow) is for the resources asked for', async () => {
      const browser = new UserAgent(server.url);
      const url = new URL(`${server.issuer()}/protocol/openid-connect/auth`);
      url.search = new URLSearchParams([
        ['client_id', 'implicit'], ['redirect_uri', redirectUriOf.spa], ['response_type', 'id_token token'], ['scope', 'openid api:read'],
        ['nonce', 'n-1'], ['state', 's-1'], ['resource', api],
      ]).toString();
      const page = await browser.signIn(await browser.open(url.href), 'alice', password);
      const fragment = callbackParams(page);
      assert.equal(decodeJwt(fragment.get('access_token')!).aud, api, fragment.toString());
      assert.equal(decodeJwt(fragment.get('id_token')!).aud, 'implicit');
    });

    test('a request object may list several resources as a JSON array', async () => {
      const browser = new UserAgent(server.url);
      const pair = pkcePair();
      const request = new UnsecuredJWT({
        client_id: 'jar', response_type: 'code', redirect_uri: redirectUriOf.web, scope: 'openid api:read', state: 's-1',
        code_challenge: pair.challenge, code_challenge_method: 'S256', resource: [api, docs],
      }).setIssuer('jar').setAudience(server.issuer()).encode();
      const url = new URL(`${server.issuer()}/protocol/openid-connect/auth`);
      url.search = new URLSearchParams({ client_id: 'jar', request }).toString();
      const page = await browser.signIn(await browser.open(url.href), 'alice', password);
      const code = callbackParams(page).get('code');
      assert.ok(code, page.location);
      const tokens = await post('jar', 'jar-secret', [
        ['grant_type', 'authorization_code'], ['code', code], ['redirect_uri', redirectUriOf.web], ['code_verifier', pair.verifier],
      ]);
      assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
      assert.deepEqual(decodeJwt(tokens.body.access_token).aud, [api, docs]);
    });

    test('introspection reports the resources an access token is for as its aud', async () => {
      const tokens = await redeem([api, docs]);
      assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
      const response = await fetch(`${server.issuer()}/protocol/openid-connect/token/introspect`, {
        method: 'POST', body: new URLSearchParams({ token: tokens.body.access_token }).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from('service:service-secret').toString('base64')}` },
      });
      const described = await response.json() as Record<string, any>;
      assert.equal(described.active, true);
      assert.deepEqual(described.aud, [api, docs]);
    });
  });
}

describe('resource settings in a realm file', () => {
  const withResources = (resources: unknown, client: Record<string, unknown> = {}) =>
    parseRealmFile({ realms: [{ name: 'r', resources, clients: [{ client_id: 'c', client_secret: 's', grant_types: ['client_credentials'], ...client }] }] }, 'file');

  test('resources are absolute URIs without fragments, described as {"uri"}', () => {
    assert.deepEqual(withResources([{ uri: api }])[0]!.settings.resources, [{ uri: api }]);
    for (const bad of [[api], [{ uri: 'relative' }], [{ uri: `${api}#x` }], [{ uri: api, extra: 1 }]]) {
      assert.throws(() => withResources(bad), RealmFileError, JSON.stringify(bad));
    }
  });

  test('a client\'s allowed_resources must be resource URIs', () => {
    assert.deepEqual(withResources([{ uri: api }], { allowed_resources: [api] })[0]!.clients[0]!.metadata.allowed_resources, [api]);
    assert.throws(() => withResources([{ uri: api }], { allowed_resources: ['nope'] }), RealmFileError);
  });
});
