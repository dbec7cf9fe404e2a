// Claim mappers (docs/security.md "Custom rules"): claims configured as data in the realm and in
// client metadata, applied to ID tokens, access tokens and userinfo; protected claims refused at import.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { parseRealmFile, RealmFileError } from '../../src/admin/realm-file.js';
import { databases } from '../helpers/databases.js';
import { tokensFor, userinfo } from '../helpers/flows.js';
import { password, testRealm } from '../helpers/realm.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { authorizeUrl, callbackParams, tokenRequest, UserAgent } from '../helpers/user-agent.js';

function mapperRealm() {
  const file = testRealm();
  const realm = file.realms[0]! as Record<string, any>;
  realm.claim_mappers = [
    { type: 'user_attribute', attribute: 'department', claim: 'dept' },
    { type: 'fixed', claim: 'tenant', value: 'acme' },
    { type: 'fixed', claim: 'tier', value: { level: 'gold' }, tokens: ['access_token'] },
    { type: 'roles', claim: 'realm_access.roles', tokens: ['access_token'] },
    { type: 'groups', claim: 'groups', tokens: ['id_token', 'userinfo'], scope: 'profile' },
    { type: 'audience', audience: 'https://api.example.com' },
  ];
  const trusted = realm.clients.find((c: { client_id: string }) => c.client_id === 'trusted');
  trusted.claim_mappers = [
    { type: 'fixed', claim: 'tenant', value: 'first-party', tokens: ['id_token'] },
    { type: 'audience', audience: 'https://orders.example.com' },
  ];
  realm.clients.push({
    client_id: 'implicit-app', client_name: 'Implicit app', redirect_uris: ['https://app.example.com/callback'],
    grant_types: ['implicit'], response_types: ['id_token token'], token_endpoint_auth_method: 'none', scope: 'openid profile',
  });
  const alice = realm.users.find((u: { username: string }) => u.username === 'alice');
  alice.attributes = { department: 'Research' };
  realm.groups = [{ name: 'staff' }, { name: 'oxford', subgroups: [{ name: 'balliol' }] }];
  alice.groups = ['/staff', '/oxford/balliol'];
  return file;
}

for (const database of databases) {
  describe(`claim mappers (${database})`, () => {
    let server: TestServer;
    before(async () => { server = await startServer(database, mapperRealm()); });
    after(async () => { await server?.close(); });

    const tokens = (client: 'web' | 'trusted', scope: string) => tokensFor(server, new UserAgent(server.url), { client, scope });

    test('a user_attribute mapper puts the user\'s custom attribute in the ID token, the access token and userinfo', async () => {
      const body = await tokens('web', 'openid profile');
      assert.equal(decodeJwt(body.id_token).dept, 'Research');
      assert.equal(decodeJwt(body.access_token).dept, 'Research');
      const info = await userinfo(server, body.access_token);
      assert.equal(info.status, 200);
      assert.equal(info.body.dept, 'Research');
    });

    test('a fixed mapper adds its value; tokens limits where it goes', async () => {
      const body = await tokens('web', 'openid');
      const access = decodeJwt(body.access_token);
      assert.equal(decodeJwt(body.id_token).tenant, 'acme');
      assert.equal(access.tenant, 'acme');
      assert.deepEqual(access.tier, { level: 'gold' });
      assert.equal(decodeJwt(body.id_token).tier, undefined, 'tier is for access tokens only');
      const info = await userinfo(server, body.access_token);
      assert.equal(info.body.tenant, 'acme');
      assert.equal(info.body.tier, undefined);
    });

    test('a roles mapper writes the user\'s roles to a nested claim', async () => {
      const body = await tokens('web', 'openid');
      assert.deepEqual(decodeJwt(body.access_token).realm_access, { roles: ['admin'] });
      assert.equal(decodeJwt(body.id_token).realm_access, undefined);
    });

    test('a groups mapper bound to a scope adds the groups only when that scope is granted', async () => {
      const withProfile = await tokens('web', 'openid profile');
      assert.deepEqual(decodeJwt(withProfile.id_token).groups, ['/oxford/balliol', '/staff']);
      assert.deepEqual((await userinfo(server, withProfile.access_token)).body.groups, ['/oxford/balliol', '/staff']);
      assert.equal(decodeJwt(withProfile.access_token).groups, undefined, 'not mapped to access tokens');
      const without = await tokens('web', 'openid');
      assert.equal(decodeJwt(without.id_token).groups, undefined);
      assert.equal((await userinfo(server, without.access_token)).body.groups, undefined);
    });

    test('an audience mapper appends to the access token\'s aud, which keeps the client_id; the ID token aud is unchanged', async () => {
      const body = await tokens('web', 'openid');
      assert.deepEqual(decodeJwt(body.access_token).aud, ['web', 'https://api.example.com']);
      assert.equal(decodeJwt(body.id_token).aud, 'web');
    });

    test('a client mapper replaces the realm mapper writing the same claim, and client audiences add to the realm\'s', async () => {
      const body = await tokens('trusted', 'openid');
      const id = decodeJwt(body.id_token);
      const access = decodeJwt(body.access_token);
      assert.equal(id.tenant, 'first-party');
      assert.equal(access.tenant, undefined, 'the client mapper (ID token only) replaced the realm one everywhere');
      assert.deepEqual(access.aud, ['trusted', 'https://api.example.com', 'https://orders.example.com']);
      assert.equal(access.dept, 'Research', 'realm mappers for other claims still apply');
    });

    test('tokens from the authorization endpoint (implicit) get the mapped claims too', async () => {
      const browser = new UserAgent(server.url);
      const login = await browser.open(authorizeUrl(server.issuer(), {
        client_id: 'implicit-app', redirect_uri: 'https://app.example.com/callback', response_type: 'id_token token', scope: 'openid profile', nonce: 'n', state: 's',
      }));
      const back = callbackParams(await browser.signIn(login, 'alice', password));
      assert.ok(back.get('id_token'), back.toString());
      const id = decodeJwt(back.get('id_token')!);
      assert.equal(id.dept, 'Research');
      assert.deepEqual(id.groups, ['/oxford/balliol', '/staff']);
      assert.equal(id.nonce, 'n');
      const access = decodeJwt(back.get('access_token')!);
      assert.deepEqual(access.aud, ['implicit-app', 'https://api.example.com']);
      assert.deepEqual(access.realm_access, { roles: ['admin'] });
    });

    test('protected claims keep their protocol values', async () => {
      const body = await tokens('web', 'openid');
      const access = decodeJwt(body.access_token);
      assert.equal(access.iss, server.issuer());
      assert.equal(access.client_id, 'web');
      assert.equal(access.scope, 'openid');
    });

    test('client_credentials tokens get only the fixed and audience mappers', async () => {
      const response = await tokenRequest(server.issuer(), { grant_type: 'client_credentials', scope: 'api:read' }, { id: 'service', secret: 'service-secret' });
      assert.equal(response.status, 200, JSON.stringify(response.body));
      const access = decodeJwt(response.body.access_token);
      assert.equal(access.tenant, 'acme');
      assert.deepEqual(access.tier, { level: 'gold' });
      assert.deepEqual(access.aud, ['service', 'https://api.example.com']);
      assert.equal(access.dept, undefined);
      assert.equal(access.realm_access, undefined);
    });

    test('a refreshed token carries the mapped claims too', async () => {
      const body = await tokens('web', 'openid offline_access');
      const refreshed = await tokenRequest(server.issuer(), { grant_type: 'refresh_token', refresh_token: body.refresh_token }, { id: 'web', secret: 'web-secret' });
      assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
      assert.equal(decodeJwt(refreshed.body.access_token).dept, 'Research');
      assert.equal(decodeJwt(refreshed.body.id_token).tenant, 'acme');
    });

    test('a dynamically registered client cannot bring its own mappers', async () => {
      const admin = server.services;
      await admin.store.registrations.setPolicy('demo', 'open');
      const response = await fetch(`${server.issuer()}/protocol/openid-connect/registrations`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ redirect_uris: ['https://rp.example.com/cb'], claim_mappers: [{ type: 'audience', audience: 'https://api.example.com' }] }),
      });
      assert.equal(response.status, 201, await response.clone().text());
      const registered = await response.json() as Record<string, unknown>;
      assert.equal(registered.claim_mappers, undefined);
      const stored = await admin.store.clients.get('demo', registered.client_id as string);
      assert.equal(stored?.metadata.claim_mappers, undefined);
    });
  });
}

describe('claim mapper validation at import', () => {
  const importing = (realmMappers: unknown[] | undefined, clientMappers?: unknown[]) => {
    const file = testRealm();
    const realm = file.realms[0]! as Record<string, any>;
    if (realmMappers) realm.claim_mappers = realmMappers;
    if (clientMappers) realm.clients[0].claim_mappers = clientMappers;
    return () => parseRealmFile(file, 'realm.json');
  };
  const refused = (fn: () => unknown, field: string, problem: RegExp) => assert.throws(fn, (error: Error) => {
    assert.ok(error instanceof RealmFileError, String(error));
    assert.ok(error.message.includes(field), `${error.message} should name ${field}`);
    assert.match(error.message, problem);
    return true;
  });

  for (const claim of ['sub', 'iss', 'aud', 'exp', 'nonce', 'azp', 'client_id', 'scope', 'cnf', 'at_hash', 'sub.x']) {
    test(`a mapper writing the protected claim "${claim}" is refused, naming the field`, () => {
      refused(importing([{ type: 'fixed', claim, value: 'x' }]), 'realms[0].claim_mappers[0].claim', /protected claim/);
    });
  }

  test('a client mapper writing a protected claim is refused, naming the client', () => {
    refused(importing(undefined, [{ type: 'roles', claim: 'amr' }]), 'realms[0].clients[0].claim_mappers[0].claim', /protected claim/);
  });

  test('an unknown mapper type, an unknown field and a bad tokens list are refused', () => {
    refused(importing([{ type: 'script', claim: 'x' }]), 'claim_mappers[0].type', /must be one of/);
    refused(importing([{ type: 'fixed', claim: 'x', value: 1, audience: 'y' }]), 'claim_mappers[0].audience', /is not a field/);
    refused(importing([{ type: 'roles', claim: 'r', tokens: ['refresh_token'] }]), 'claim_mappers[0].tokens', /id_token, access_token, userinfo/);
    refused(importing([{ type: 'fixed', claim: 'x' }]), 'claim_mappers[0].value', /required/);
    refused(importing([{ type: 'audience' }]), 'claim_mappers[0].audience', /non-empty/);
    refused(importing([{ type: 'user_attribute', claim: 'x' }]), 'claim_mappers[0].attribute', /attribute name/);
  });

  test('user attributes must be an object and groups a list of group paths', () => {
    const withUser = (fields: Record<string, unknown>) => () => parseRealmFile({ realms: [{ name: 'r', users: [{ username: 'u', ...fields }] }] }, 'realm.json');
    refused(withUser({ attributes: ['x'] }), 'realms[0].users[0].attributes', /object/);
    refused(withUser({ groups: 'staff' }), 'realms[0].users[0].groups', /list of strings/);
    refused(withUser({ groups: ['/staff//x'] }), 'realms[0].users[0].groups[0]', /not a group path/);
    const [realm] = withUser({ attributes: { department: 'R&D' }, groups: ['staff', '/oxford/balliol'] })();
    assert.deepEqual(realm!.users[0]!.claims, { attributes: { department: 'R&D' } });
    assert.deepEqual(realm!.users[0]!.groups, ['/staff', '/oxford/balliol'], 'a name is a top-level group\'s path');
  });

  test('a namespaced URI claim and nested claims are accepted', () => {
    const [realm] = importing([
      { type: 'user_attribute', attribute: 'department', claim: 'https://example.com/claims/dept' },
      { type: 'roles', claim: 'realm_access.roles' },
    ])();
    assert.equal(realm!.settings.claim_mappers.length, 2);
  });
});
