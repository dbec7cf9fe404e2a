// OAuth 2.0 Token Exchange (RFC 8693), driven with oauth4webapi's generic grant request:
// impersonation, delegation (`act`), downscoping, audience switch, refusals, and revocation.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import * as oauth from 'oauth4webapi';
import { parseRealmFile, RealmFileError } from '../../src/admin/realm-file.js';
import { databases } from '../helpers/databases.js';
import { token, tokensFor, userinfo } from '../helpers/flows.js';
import { testRealm } from '../helpers/realm.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { tokenRequest, UserAgent } from '../helpers/user-agent.js';

const grantType = 'urn:ietf:params:oauth:grant-type:token-exchange';
const types = {
  accessToken: 'urn:ietf:params:oauth:token-type:access_token',
  refreshToken: 'urn:ietf:params:oauth:token-type:refresh_token',
  idToken: 'urn:ietf:params:oauth:token-type:id_token',
  jwt: 'urn:ietf:params:oauth:token-type:jwt',
};
const api = 'https://api.example.com';
const insecure = { [oauth.allowInsecureRequests]: true };

function exchangeRealm() {
  const file = testRealm();
  const realm = file.realms[0]! as Record<string, any>;
  realm.resources = [{ uri: api }];
  realm.clients.push(
    {
      client_id: 'gateway', client_secret: 'gateway-secret', grant_types: [grantType, 'client_credentials', 'refresh_token'],
      scope: 'openid profile api:read', token_exchange_subject_clients: ['web'],
    },
    { client_id: 'orders', client_secret: 'orders-secret', grant_types: [grantType, 'client_credentials'], scope: 'openid profile api:read' },
    { client_id: 'outsider', client_secret: 'outsider-secret', grant_types: [grantType], scope: 'openid profile api:read' },
    {
      client_id: 'mapped', client_secret: 'mapped-secret', grant_types: [grantType], scope: 'openid profile api:read', token_exchange_subject_clients: ['web'],
      claim_mappers: [{ type: 'fixed', claim: 'tier', value: 'internal' }, { type: 'user_attribute', attribute: 'email', claim: 'mail', tokens: ['access_token'] }],
    },
  );
  return file;
}

for (const database of databases) {
  describe(`token exchange (${database})`, () => {
    let server: TestServer;
    let as: oauth.AuthorizationServer;
    before(async () => {
      server = await startServer(database, exchangeRealm());
      const issuer = new URL(server.issuer());
      as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, insecure));
    });
    after(async () => { await server?.close(); });

    /** A token exchange request by `clientId` (secret `<id>-secret`), as oauth4webapi sends it. */
    const exchangeRequest = (clientId: string, parameters: [string, string][], secret = `${clientId}-secret`) =>
      oauth.genericTokenEndpointRequest(as, { client_id: clientId }, oauth.ClientSecretBasic(secret), grantType, parameters, insecure);
    /** A successful exchange: the parsed response, checked by oauth4webapi. */
    const exchange = async (clientId: string, parameters: [string, string][]) =>
      oauth.processGenericTokenEndpointResponse(as, { client_id: clientId }, await exchangeRequest(clientId, parameters));
    /** A refused exchange: status and error code. */
    const refused = async (clientId: string, parameters: [string, string][], secret?: string) => {
      const response = await exchangeRequest(clientId, parameters, secret);
      return { status: response.status, error: (await response.json() as { error: string }).error };
    };
    const signIn = (scope = 'openid profile api:read') => tokensFor(server, new UserAgent(server.url), { client: 'web', scope });
    const subjectAccessToken = (accessToken: string): [string, string][] => [['subject_token', accessToken], ['subject_token_type', types.accessToken]];
    const clientToken = async (clientId: string) => {
      const issued = await tokenRequest(server.issuer(), { grant_type: 'client_credentials', scope: 'api:read' }, { id: clientId, secret: `${clientId}-secret` });
      assert.equal(issued.status, 200, JSON.stringify(issued.body));
      return issued.body.access_token as string;
    };
    const introspect = async (accessToken: string) => {
      const response = await oauth.introspectionRequest(as, { client_id: 'service' }, oauth.ClientSecretBasic('service-secret'), accessToken, insecure);
      return oauth.processIntrospectionResponse(as, { client_id: 'service' }, response);
    };

    test('discovery lists the token exchange grant type', () => {
      assert.ok(as.grant_types_supported?.includes(grantType));
    });

    test('TX-06, TX-08: impersonation gives an uncached access token for the same user, issued to the exchanging client, with no act', async () => {
      const tokens = await signIn();
      const response = await exchangeRequest('gateway', subjectAccessToken(tokens.access_token));
      assert.equal(response.headers.get('cache-control'), 'no-store');
      const exchanged = await oauth.processGenericTokenEndpointResponse(as, { client_id: 'gateway' }, response);
      assert.equal(exchanged.issued_token_type, types.accessToken);
      assert.equal(exchanged.token_type, 'bearer');
      assert.equal(typeof exchanged.expires_in, 'number');
      assert.equal(exchanged.scope, 'openid profile api:read');
      const claims = decodeJwt(exchanged.access_token);
      assert.equal(claims.sub, decodeJwt(tokens.access_token).sub);
      assert.equal(claims.client_id, 'gateway');
      assert.equal(claims.aud, 'gateway');
      assert.equal(claims.act, undefined);
      const answer = await userinfo(server, exchanged.access_token);
      assert.equal(answer.status, 200);
      assert.equal(answer.body.sub, claims.sub);
    });

    test('the exchanging client\'s claim mappers apply to the exchanged token', async () => {
      const tokens = await signIn();
      const claims = decodeJwt((await exchange('mapped', subjectAccessToken(tokens.access_token))).access_token);
      assert.equal(claims.client_id, 'mapped');
      assert.equal(claims.tier, 'internal');
      assert.equal(claims.mail, 'alice@example.com');
      assert.equal(decodeJwt(tokens.access_token).tier, undefined, 'the subject token had no such claim');
    });

    test('TX-08: delegation puts the actor in act, and a second exchange nests the earlier actor inside', async () => {
      const tokens = await signIn();
      const delegated = await exchange('gateway', [
        ...subjectAccessToken(tokens.access_token), ['actor_token', await clientToken('gateway')], ['actor_token_type', types.accessToken], ['audience', 'orders'],
      ]);
      const first = decodeJwt(delegated.access_token);
      assert.deepEqual(first.act, { sub: 'gateway' });
      assert.equal(first.aud, 'orders');
      const onward = await exchange('orders', [
        ...subjectAccessToken(delegated.access_token), ['actor_token', await clientToken('orders')], ['actor_token_type', types.accessToken], ['resource', api],
      ]);
      const second = decodeJwt(onward.access_token);
      assert.deepEqual(second.act, { sub: 'orders', act: { sub: 'gateway' } });
      assert.equal(second.sub, first.sub);
      assert.equal(second.aud, api);
    });

    test('downscoping: the scope asked for must lie within both the subject token\'s and the exchanging client\'s', async () => {
      const tokens = await signIn('openid profile email');
      const narrowed = await exchange('gateway', [...subjectAccessToken(tokens.access_token), ['scope', 'openid']]);
      assert.equal(narrowed.scope, 'openid');
      assert.equal(decodeJwt(narrowed.access_token).scope, 'openid');
      const byDefault = await exchange('gateway', subjectAccessToken(tokens.access_token));
      assert.equal(byDefault.scope, 'openid profile', 'email is not in the gateway\'s scope');
      assert.deepEqual(await refused('gateway', [...subjectAccessToken(tokens.access_token), ['scope', 'openid api:read']]), { status: 400, error: 'invalid_scope' });
      assert.deepEqual(await refused('gateway', [...subjectAccessToken(tokens.access_token), ['scope', 'openid email']]), { status: 400, error: 'invalid_scope' });
    });

    test('TX-05: audience and resource switch the token\'s audience; an unknown one is invalid_target', async () => {
      const tokens = await signIn();
      const both = await exchange('gateway', [...subjectAccessToken(tokens.access_token), ['audience', 'orders'], ['resource', api]]);
      assert.deepEqual(decodeJwt(both.access_token).aud, [api, 'orders']);
      const byAudience = await exchange('gateway', [...subjectAccessToken(tokens.access_token), ['audience', api]]);
      assert.equal(decodeJwt(byAudience.access_token).aud, api);
      for (const target of [['audience', 'nobody'], ['audience', 'two words'], ['resource', 'https://unknown.example.com'], ['resource', 'not-a-uri']] as [string, string][]) {
        assert.deepEqual(await refused('gateway', [...subjectAccessToken(tokens.access_token), target]), { status: 400, error: 'invalid_target' }, target.join('='));
      }
    });

    test('a refresh token and an ID token can be exchanged too; the ID token stands for the openid scope only', async () => {
      const tokens = await signIn();
      const fromRefresh = await exchange('gateway', [['subject_token', tokens.refresh_token], ['subject_token_type', types.refreshToken], ['scope', 'api:read']]);
      assert.equal(decodeJwt(fromRefresh.access_token).sub, decodeJwt(tokens.access_token).sub);
      const again = await token(server, 'web', { grant_type: 'refresh_token', refresh_token: tokens.refresh_token });
      assert.equal(again.status, 200, 'exchanging a refresh token does not use it up');
      const fromIdToken = await exchange('gateway', [['subject_token', tokens.id_token], ['subject_token_type', types.idToken]]);
      assert.equal(fromIdToken.scope, 'openid');
      assert.equal(decodeJwt(fromIdToken.access_token).sub, decodeJwt(tokens.id_token).sub);
      const asJwt = await exchange('gateway', [['subject_token', tokens.id_token], ['subject_token_type', types.jwt]]);
      assert.equal(asJwt.scope, 'openid');
      assert.deepEqual(await refused('gateway', [['subject_token', tokens.id_token], ['subject_token_type', types.idToken], ['scope', 'profile']]), { status: 400, error: 'invalid_scope' });
    });

    test('TX-01, TX-02: subject_token and its type are required, and actor_token and its type go together', async () => {
      const tokens = await signIn();
      const actor = await clientToken('gateway');
      for (const parameters of [
        [['subject_token', tokens.access_token]],
        [['subject_token_type', types.accessToken]],
        [...subjectAccessToken(tokens.access_token), ['actor_token', actor]],
        [...subjectAccessToken(tokens.access_token), ['actor_token_type', types.accessToken]],
      ] as [string, string][][]) {
        assert.deepEqual(await refused('gateway', parameters), { status: 400, error: 'invalid_request' }, JSON.stringify(parameters.map(([k]) => k)));
      }
    });

    test('TX-04: forged, wrongly typed, revoked and unacceptable subject tokens are invalid_request', async () => {
      const tokens = await signIn();
      const [header, payload, signature] = tokens.access_token.split('.');
      const forged = `${header}.${payload}.${signature.slice(0, -4)}${signature.slice(-4) === 'AAAA' ? 'BBBB' : 'AAAA'}`;
      const cases: [string, [string, string][]][] = [
        ['forged', subjectAccessToken(forged)],
        ['refresh token declared as access token', subjectAccessToken(tokens.refresh_token)],
        ['access token declared as refresh token', [['subject_token', tokens.access_token], ['subject_token_type', types.refreshToken]]],
        ['ID token declared as access token', subjectAccessToken(tokens.id_token)],
        ['unknown token type', [['subject_token', tokens.access_token], ['subject_token_type', 'urn:example:unknown']]],
        ['refresh token as actor', [...subjectAccessToken(tokens.access_token), ['actor_token', tokens.refresh_token], ['actor_token_type', types.refreshToken]]],
      ];
      for (const [name, parameters] of cases) assert.deepEqual(await refused('gateway', parameters), { status: 400, error: 'invalid_request' }, name);
      assert.deepEqual(await refused('outsider', subjectAccessToken(tokens.access_token)), { status: 400, error: 'invalid_request' },
        'a client that is neither the token\'s client nor in its audience nor allowed by token_exchange_subject_clients');
      await server.services.store.grants.revoke(decodeJwt(tokens.access_token).gid as string, server.clock.now());
      assert.deepEqual(await refused('gateway', subjectAccessToken(tokens.access_token)), { status: 400, error: 'invalid_request' }, 'revoked');
    });

    test('TX-04: an ID token whose session has ended since cannot be exchanged, nor can the tokens exchanged from it be used', async () => {
      const tokens = await signIn();
      const exchanged = await exchange('gateway', [['subject_token', tokens.id_token], ['subject_token_type', types.idToken]]);
      const sid = decodeJwt(tokens.id_token).sid as string;
      assert.equal(typeof sid, 'string');
      await server.services.store.sessions.end(sid, server.clock.now());
      await server.services.store.grants.revokeForSession(sid, server.clock.now());
      assert.deepEqual(await refused('gateway', [['subject_token', tokens.id_token], ['subject_token_type', types.idToken]]), { status: 400, error: 'invalid_request' });
      assert.equal((await introspect(exchanged.access_token)).active, false);
    });

    test('TX-07: requested_token_type jwt is echoed; a token type Strix does not issue is invalid_request', async () => {
      const tokens = await signIn();
      const jwt = await exchange('gateway', [...subjectAccessToken(tokens.access_token), ['requested_token_type', types.jwt]]);
      assert.equal(jwt.issued_token_type, types.jwt);
      for (const type of [types.idToken, 'urn:example:unknown']) {
        assert.deepEqual(await refused('gateway', [...subjectAccessToken(tokens.access_token), ['requested_token_type', type]]), { status: 400, error: 'invalid_request' }, type);
      }
    });

    test('TX-06, TX-07: a refresh token is exchanged for one the exchanging client can refresh, until the original grant is revoked', async () => {
      const tokens = await signIn();
      const response = await exchangeRequest('gateway', [
        ['subject_token', tokens.refresh_token], ['subject_token_type', types.refreshToken], ['requested_token_type', types.refreshToken],
        ['scope', 'openid api:read'], ['resource', api],
      ]);
      assert.equal(response.status, 200);
      const issued = await response.json() as Record<string, any>;
      assert.equal(issued.issued_token_type, types.refreshToken);
      assert.equal(issued.token_type, 'N_A');
      assert.equal(issued.scope, 'openid api:read');
      const refreshed = await oauth.processRefreshTokenResponse(as, { client_id: 'gateway' },
        await oauth.refreshTokenGrantRequest(as, { client_id: 'gateway' }, oauth.ClientSecretBasic('gateway-secret'), issued.access_token, insecure));
      const claims = decodeJwt(refreshed.access_token);
      assert.equal(claims.sub, decodeJwt(tokens.access_token).sub);
      assert.equal(claims.client_id, 'gateway');
      assert.equal(claims.aud, api);
      await server.services.store.grants.revoke(decodeJwt(tokens.access_token).gid as string, server.clock.now());
      const after = await tokenRequest(server.issuer(), { grant_type: 'refresh_token', refresh_token: refreshed.refresh_token! }, { id: 'gateway', secret: 'gateway-secret' });
      assert.equal(after.status, 400);
      assert.equal(after.body.error, 'invalid_grant');
    });

    test('TX-07: a refresh token is refused for an access token subject, for delegation, and to a client that may not refresh', async () => {
      const tokens = await signIn();
      const wantRefresh: [string, string] = ['requested_token_type', types.refreshToken];
      const subjectRefresh: [string, string][] = [['subject_token', tokens.refresh_token], ['subject_token_type', types.refreshToken]];
      assert.deepEqual(await refused('gateway', [...subjectAccessToken(tokens.access_token), wantRefresh]), { status: 400, error: 'invalid_request' });
      assert.deepEqual(await refused('gateway', [...subjectRefresh, wantRefresh, ['actor_token', await clientToken('gateway')], ['actor_token_type', types.accessToken]]),
        { status: 400, error: 'invalid_request' });
      const forOrders = await exchange('gateway', [...subjectAccessToken(tokens.access_token), ['audience', 'orders']]);
      assert.deepEqual(await refused('orders', [...subjectAccessToken(forOrders.access_token), wantRefresh]), { status: 400, error: 'invalid_request' });
      assert.deepEqual(await refused('gateway', [...subjectRefresh, wantRefresh, ['audience', 'orders']]), { status: 400, error: 'invalid_target' });
    });

    test('TX-03: a wrong client secret is invalid_client, and a client without the grant type is unauthorized_client', async () => {
      const tokens = await signIn();
      assert.deepEqual(await refused('gateway', subjectAccessToken(tokens.access_token), 'wrong-secret'), { status: 401, error: 'invalid_client' });
      assert.deepEqual(await refused('web', subjectAccessToken(tokens.access_token)), { status: 400, error: 'unauthorized_client' });
    });

    test('introspection describes the exchanged token: its client, user, audience, scope and actor', async () => {
      const tokens = await signIn();
      const exchanged = await exchange('gateway', [
        ...subjectAccessToken(tokens.access_token), ['audience', 'orders'], ['scope', 'openid api:read'],
        ['actor_token', await clientToken('gateway')], ['actor_token_type', types.accessToken],
      ]);
      const described = await introspect(exchanged.access_token);
      assert.equal(described.active, true);
      assert.equal(described.client_id, 'gateway');
      assert.equal(described.username, 'alice');
      assert.equal(described.sub, decodeJwt(tokens.access_token).sub);
      assert.equal(described.aud, 'orders');
      assert.equal(described.scope, 'openid api:read');
      assert.deepEqual(described.act, { sub: 'gateway' });
    });

    test('revoking the original grant ends the exchanged tokens; revoking an exchanged token leaves the original alone', async () => {
      const tokens = await signIn();
      const first = await exchange('gateway', subjectAccessToken(tokens.access_token));
      const revokeAt = `${server.issuer()}/protocol/openid-connect/revoke`;
      const revoked = await fetch(revokeAt, {
        method: 'POST', body: new URLSearchParams({ token: first.access_token }).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from('gateway:gateway-secret').toString('base64')}` },
      });
      assert.equal(revoked.status, 200);
      assert.equal((await introspect(first.access_token)).active, false);
      assert.equal((await introspect(tokens.access_token)).active, true, 'the original grant stands');
      const second = await exchange('gateway', subjectAccessToken(tokens.access_token));
      const onward = await exchange('orders', subjectAccessToken((await exchange('gateway', [...subjectAccessToken(tokens.access_token), ['audience', 'orders']])).access_token));
      assert.equal((await introspect(second.access_token)).active, true);
      const original = await token(server, 'web', { grant_type: 'refresh_token', refresh_token: tokens.refresh_token });
      assert.equal(original.status, 200);
      const revokeOriginal = await fetch(revokeAt, {
        method: 'POST', body: new URLSearchParams({ token: original.body.refresh_token }).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from('web:web-secret').toString('base64')}` },
      });
      assert.equal(revokeOriginal.status, 200);
      assert.equal((await introspect(second.access_token)).active, false);
      assert.equal((await introspect(onward.access_token)).active, false, 'an exchange of an exchanged token ends too');
      assert.equal((await userinfo(server, second.access_token)).status, 401);
    });

    test('TX-04: an expired subject token is invalid_request, and an exchanged token never outlives its subject', async () => {
      const tokens = await signIn();
      server.clock.advance(200);
      const exchanged = await exchange('gateway', subjectAccessToken(tokens.access_token));
      const subjectExp = decodeJwt(tokens.access_token).exp!;
      assert.ok(decodeJwt(exchanged.access_token).exp! <= subjectExp, 'capped at the subject token\'s expiry');
      server.clock.advance(200);
      assert.deepEqual(await refused('gateway', subjectAccessToken(tokens.access_token)), { status: 400, error: 'invalid_request' });
    });
  });
}

describe('token exchange in a realm file', () => {
  test('a public client cannot have the token exchange grant type', () => {
    assert.throws(() => parseRealmFile({
      realms: [{ name: 'r', clients: [{ client_id: 'p', token_endpoint_auth_method: 'none', grant_types: [grantType] }] }],
    }, 'file'), RealmFileError);
  });

  test('token_exchange_subject_clients is a list of client ids', () => {
    const parse = (value: unknown) => parseRealmFile({
      realms: [{ name: 'r', clients: [{ client_id: 'c', client_secret: 's', grant_types: [grantType], token_exchange_subject_clients: value }] }],
    }, 'file');
    assert.deepEqual(parse(['web'])[0]!.clients[0]!.metadata.token_exchange_subject_clients, ['web']);
    assert.throws(() => parse('web'), RealmFileError);
  });
});
