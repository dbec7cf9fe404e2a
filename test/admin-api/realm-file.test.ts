// Realm files (DESIGN "realm file"): the documented example parses, and every rejection says
// where in the file the problem is.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseRealmFile, RealmFileError } from '../../src/admin/realm-file.js';

/** The example from DESIGN.md, verbatim. */
const designExample = {
  realms: [{
    name: 'demo',
    display_name: 'Demo',
    roles: ['admin', 'viewer'],
    clients: [{
      client_id: 'web',
      client_secret: 'change-me',
      client_name: 'Demo web app',
      redirect_uris: ['http://localhost:3000/callback'],
      post_logout_redirect_uris: ['http://localhost:3000/'],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      scope: 'openid profile email offline_access',
      require_consent: false,
    }],
    users: [{
      username: 'alice',
      password: 'correct horse battery staple',
      email: 'alice@example.com',
      email_verified: true,
      given_name: 'Alice',
      family_name: 'Liddell',
      roles: ['admin'],
    }],
  }],
};

/** The example with one client replaced by `client` (merged over the web client). */
function withClient(client: Record<string, unknown>, replace = false) {
  const base = designExample.realms[0]!;
  return { realms: [{ ...base, clients: [replace ? client : { ...base.clients[0], ...client }] }] };
}

function assertRejected(content: unknown, where: string): void {
  assert.throws(() => parseRealmFile(content, 'realm.json'), (error: unknown) => {
    assert.ok(error instanceof RealmFileError, `expected a RealmFileError, got ${String(error)}`);
    assert.ok(error.message.includes(where), `"${error.message}" does not say ${where}`);
    return true;
  });
}

const publicClient = { client_id: 'spa', redirect_uris: ['http://localhost:5173/callback'], token_endpoint_auth_method: 'none' };

describe('realm files', () => {
  test('the DESIGN.md example is accepted', () => {
    const [realm, ...rest] = parseRealmFile(designExample, 'realm.json');
    assert.equal(rest.length, 0);
    assert.equal(realm!.name, 'demo');
    assert.equal(realm!.displayName, 'Demo');
    assert.deepEqual(realm!.roles, ['admin', 'viewer']);
    const [client] = realm!.clients;
    assert.equal(client!.metadata.client_id, 'web');
    assert.equal(client!.secret, 'change-me');
    assert.deepEqual(client!.metadata.redirect_uris, ['http://localhost:3000/callback']);
    assert.deepEqual(client!.metadata.grant_types, ['authorization_code', 'refresh_token']);
    assert.equal(client!.metadata.require_consent, false);
    const [user] = realm!.users;
    assert.equal(user!.username, 'alice');
    assert.equal(user!.email, 'alice@example.com');
    assert.equal(user!.claims.family_name, 'Liddell');
    assert.deepEqual(user!.roles, ['admin']);
    assert.equal(user!.enabled, true);
  });

  test('a public client with PKCE-only settings is accepted', () => {
    const [realm] = parseRealmFile(withClient(publicClient, true), 'realm.json');
    assert.equal(realm!.clients[0]!.secret, undefined);
    assert.equal(realm!.clients[0]!.metadata.token_endpoint_auth_method, 'none');
  });

  test('a file without a realms list is rejected', () => {
    assertRejected({}, 'realm.json');
    assertRejected({ realms: {} }, 'realm.json');
    assert.throws(() => parseRealmFile({ realm: [] }, 'realm.json'), /realms/);
  });

  test('a redirect URI with a fragment is rejected, naming where', () => {
    assertRejected(withClient({ redirect_uris: ['http://localhost:3000/callback#frag'] }), 'realms[0].clients[0].redirect_uris');
  });

  test('a relative redirect URI is rejected, naming where', () => {
    assertRejected(withClient({ redirect_uris: ['/callback'] }), 'realms[0].clients[0].redirect_uris');
  });

  test('a javascript: redirect URI is rejected, naming where', () => {
    assertRejected(withClient({ redirect_uris: ['javascript:alert(1)'] }), 'realms[0].clients[0].redirect_uris');
  });

  test('a post-logout redirect URI with a fragment is rejected, naming where', () => {
    assertRejected(withClient({ post_logout_redirect_uris: ['http://localhost:3000/#bye'] }), 'realms[0].clients[0].post_logout_redirect_uris');
  });

  test('an unknown grant type is rejected, naming where', () => {
    assertRejected(withClient({ grant_types: ['authorization_code', 'urn:example:params:oauth:grant-type:unknown'] }), 'realms[0].clients[0].grant_types');
  });

  test('the implicit response type is rejected, naming where', () => {
    assertRejected(withClient({ response_types: ['token'] }), 'realms[0].clients[0].response_types');
  });

  test('a public client with a secret is rejected, naming where', () => {
    assertRejected(withClient({ ...publicClient, client_secret: 's3cret' }, true), 'realms[0].clients[0].client_secret');
  });

  test('client_credentials on a public client is rejected, naming where', () => {
    assertRejected(withClient({ ...publicClient, grant_types: ['client_credentials'] }, true), 'realms[0].clients[0].grant_types');
  });

  test('OAUTH-11: an authorization_code client without redirect URIs is rejected, naming where', () => {
    assertRejected(withClient({ redirect_uris: [] }), 'realms[0].clients[0].redirect_uris');
  });

  test('an unknown token endpoint auth method is rejected, naming where', () => {
    assertRejected(withClient({ token_endpoint_auth_method: 'private_key_jwt_maybe' }), 'realms[0].clients[0].token_endpoint_auth_method');
  });

  for (const name of ['my realm', '', 'ü', '../admin', 'x'.repeat(65)]) {
    test(`the realm name ${JSON.stringify(name.length > 20 ? `${name.slice(0, 8)}…` : name)} is rejected, naming where`, () => {
      assertRejected({ realms: [{ ...designExample.realms[0], name }] }, 'realms[0].name');
    });
  }

  test('a missing realm name is rejected, naming where', () => {
    const { name: _omitted, ...rest } = designExample.realms[0]!;
    assertRejected({ realms: [rest] }, 'realms[0].name');
  });

  test('errors in a later realm or client name its index', () => {
    const second = { name: 'other', clients: [designExample.realms[0]!.clients[0], { ...publicClient, client_secret: 'x' }] };
    assertRejected({ realms: [designExample.realms[0], second] }, 'realms[1].clients[1].client_secret');
  });

  test('a user with a space in the username is rejected, naming where', () => {
    assertRejected({ realms: [{ ...designExample.realms[0], users: [{ username: 'alice liddell' }] }] }, 'realms[0].users[0].username');
  });

  test('the source file name is part of every error', () => {
    assert.throws(() => parseRealmFile(withClient({ redirect_uris: ['/cb'] }), 'imports/demo.json'), /^RealmFileError: imports\/demo\.json: /m);
  });

  test('an mfa policy is accepted for a realm and a client, in each of its three shapes', () => {
    const base = designExample.realms[0]!;
    const [realm] = parseRealmFile({ realms: [{ ...base, mfa: { required_for_roles: ['admin'] }, clients: [{ ...base.clients[0], mfa: 'required' }] }] }, 'realm.json');
    assert.deepEqual(realm!.settings.mfa, { required_for_roles: ['admin'] });
    assert.equal(realm!.clients[0]!.metadata.mfa, 'required');
    assert.equal(parseRealmFile(designExample, 'realm.json')[0]!.settings.mfa, 'optional', 'optional by default');
  });

  test('a misspelt mfa policy is rejected, naming where', () => {
    const base = designExample.realms[0]!;
    assertRejected({ realms: [{ ...base, mfa: 'always' }] }, 'realms[0].mfa');
    assertRejected({ realms: [{ ...base, mfa: { required_for_role: ['admin'] } }] }, 'realms[0].mfa');
    assertRejected(withClient({ mfa: true }), 'clients[0].mfa');
  });
});
