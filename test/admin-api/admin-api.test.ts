// Who the admin API lets in: only tokens issued for it — the admin console's own client for a
// master-realm admin, or master-realm service accounts with `service_account_roles` — never an
// admin's token issued to some other application.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { bootstrap } from '../../src/admin/bootstrap.js';
import { parseRealmFile, RealmFileError } from '../../src/admin/realm-file.js';
import { databases } from '../helpers/databases.js';
import { adminConsoleRedirectUri, adminConsoleToken } from '../helpers/flows.js';
import { password, testRealm } from '../helpers/realm.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { authorizeUrl, tokenRequest, UserAgent } from '../helpers/user-agent.js';

const adminPassword = 'admin-password-for-tests';
const registrationToken = 'master-registration-token-0123456789';
const serviceAccount = (clientId: string, roles?: string[]) => ({
  client_id: clientId, client_secret: `${clientId}-secret`, grant_types: ['client_credentials'], scope: 'openid',
  ...(roles ? { service_account_roles: roles } : {}),
});

function realms() {
  return {
    realms: [
      testRealm().realms[0]!,
      {
        name: 'master', display_name: 'Strix',
        initial_access_tokens: [registrationToken],
        clients: [
          // An ordinary application of the master realm that administrators also sign in to.
          { client_id: 'wiki', client_secret: 'wiki-secret', grant_types: ['password'], scope: 'openid' },
          serviceAccount('ops-bot', ['admin']),
          serviceAccount('demo-viewer', ['realm-viewer:demo']),
          serviceAccount('plain-bot'),
        ],
        users: [{ username: 'operator', password }],
      },
    ],
  };
}

for (const database of databases) {
  describe(`admin API access (${database})`, () => {
    let server: TestServer;
    before(async () => { server = await startServer(database, realms()); });
    after(async () => { await server?.close(); });

    async function events(bearer: string, realm = 'demo'): Promise<{ status: number; body: any; challenge: string | null }> {
      const response = await fetch(`${server.url}/admin/realms/${realm}/events?max=1`, { headers: { authorization: `Bearer ${bearer}` } });
      return { status: response.status, body: await response.json(), challenge: response.headers.get('www-authenticate') };
    }

    async function serviceToken(clientId: string): Promise<string> {
      const answer = await tokenRequest(server.issuer('master'), { grant_type: 'client_credentials' }, { id: clientId, secret: `${clientId}-secret` });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      return answer.body.access_token as string;
    }

    test('an administrator\'s access token issued to another master-realm application does not open the admin API (403 insufficient_scope)', async () => {
      const answer = await tokenRequest(server.issuer('master'), { grant_type: 'password', username: 'admin', password: adminPassword }, { id: 'wiki', secret: 'wiki-secret' });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      const refused = await events(answer.body.access_token);
      assert.equal(refused.status, 403);
      assert.equal(refused.body.error, 'insufficient_scope');
      assert.match(refused.challenge ?? '', /error="insufficient_scope"/);
    });

    test('an administrator signed in to strix-admin-console (code flow with PKCE) reads the events of any realm', async () => {
      const token = await adminConsoleToken(server, 'admin', adminPassword);
      assert.equal((await events(token)).status, 200);
      assert.equal((await events(token, 'master')).status, 200);
    });

    test('a master-realm user without the admin role signed in to the admin console is refused with 403 insufficient_scope', async () => {
      const refused = await events(await adminConsoleToken(server, 'operator', password));
      assert.equal(refused.status, 403);
      assert.equal(refused.body.error, 'insufficient_scope');
      assert.match(refused.challenge ?? '', /error="insufficient_scope"/);
    });

    test('a master-realm service account with service_account_roles ["admin"] reads the events of any realm', async () => {
      const token = await serviceToken('ops-bot');
      assert.equal((await events(token)).status, 200);
      assert.equal((await events(token, 'master')).status, 200);
    });

    test('a realm-viewer:demo service account reads demo\'s events and is refused the master realm\'s with 403 insufficient_scope', async () => {
      const token = await serviceToken('demo-viewer');
      assert.equal((await events(token)).status, 200);
      const refused = await events(token, 'master');
      assert.equal(refused.status, 403);
      assert.equal(refused.body.error, 'insufficient_scope');
    });

    test('a master-realm client_credentials token of a client without service_account_roles is refused (403 insufficient_scope)', async () => {
      const refused = await events(await serviceToken('plain-bot'));
      assert.equal(refused.status, 403);
      assert.equal(refused.body.error, 'insufficient_scope');
    });

    test('a service account stops opening the admin API as soon as it is disabled', async () => {
      const token = await serviceToken('ops-bot');
      await server.services.store.clients.setEnabled('master', 'ops-bot', false, Date.now());
      try {
        assert.equal((await events(token)).status, 401);
      } finally {
        await server.services.store.clients.setEnabled('master', 'ops-bot', true, Date.now());
      }
    });

    test('a client registered dynamically in the master realm cannot give itself admin API roles', async () => {
      const response = await fetch(`${server.issuer('master')}/protocol/openid-connect/registrations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${registrationToken}` },
        body: JSON.stringify({ redirect_uris: ['https://app.example.com/cb'], service_account_roles: ['admin'] }),
      });
      const registered = await response.json() as Record<string, unknown>;
      assert.equal(response.status, 201, JSON.stringify(registered));
      assert.equal(registered.service_account_roles, undefined);
      const stored = await server.services.store.clients.get('master', registered.client_id as string);
      assert.equal(stored!.metadata.service_account_roles, undefined);
    });

    test('strix-admin-console is created at first start as a public client that must use PKCE, and a later start leaves it as it is', async () => {
      const consoleClient = (await server.services.store.clients.get('master', 'strix-admin-console'))!;
      assert.equal(consoleClient.confidential, false);
      assert.deepEqual(consoleClient.metadata.redirect_uris, [adminConsoleRedirectUri(server)]);
      const withoutPkce = await new UserAgent(server.url).request(authorizeUrl(server.issuer('master'), {
        client_id: 'strix-admin-console', redirect_uri: adminConsoleRedirectUri(server), response_type: 'code', scope: 'openid', state: 's',
      }));
      assert.equal(new URL(withoutPkce.location!).searchParams.get('error'), 'invalid_request');
      await server.services.store.clients.upsert('master', { ...consoleClient.metadata, client_name: 'Renamed' }, null, Date.now());
      await bootstrap(server.services, () => {});
      assert.equal((await server.services.store.clients.get('master', 'strix-admin-console'))!.metadata.client_name, 'Renamed');
    });
  });
}

test('a realm file may give admin API roles only to client_credentials clients of the master realm, and only known roles', () => {
  const realm = (name: string, client: Record<string, unknown>) => ({ realms: [{ name, clients: [client] }] });
  assert.throws(() => parseRealmFile(realm('demo', serviceAccount('bot', ['admin'])), 'file'), RealmFileError);
  assert.throws(() => parseRealmFile(realm('master', serviceAccount('bot', ['superuser'])), 'file'), RealmFileError);
  assert.throws(() => parseRealmFile(realm('master', { ...serviceAccount('bot', ['admin']), grant_types: ['password'] }), 'file'), RealmFileError);
  const [master] = parseRealmFile(realm('master', serviceAccount('bot', ['realm-admin:demo', 'realm-viewer:other'])), 'file');
  assert.deepEqual(master!.clients[0]!.metadata.service_account_roles, ['realm-admin:demo', 'realm-viewer:other']);
});
