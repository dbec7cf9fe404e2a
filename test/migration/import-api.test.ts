// The admin API's import (POST /admin/import?from=…&realm=…): a Keycloak realm export or an
// Auth0 user list as the body, checked whole, the report as the answer; a dry run writes nothing;
// only a token that may manage the realm may import into it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { adminApi, assertProblem, masterWithServiceAccounts, serviceToken, type AdminCall } from '../helpers/admin-api.js';
import { databases } from '../helpers/databases.js';
import { exportWithUsers } from '../helpers/keycloak-export.js';
import { testRealmWith } from '../helpers/realm.js';
import { startServer, type TestServer } from '../helpers/server.js';

for (const database of databases) {
  describe(`admin API import (${database})`, () => {
    let server: TestServer;
    let admin: AdminCall;
    before(async () => {
      server = await startServer(database, { realms: [testRealmWith({}).realms[0]!, masterWithServiceAccounts()] });
      admin = adminApi(server, await serviceToken(server, 'ops-bot'));
    });
    after(async () => { await server?.close(); });

    test('a Keycloak export: the dry run reports and writes nothing, the import creates the realm with its users', async () => {
      const kc = await exportWithUsers();
      const dry = await admin('POST', '/import?from=keycloak&dry_run=true', kc);
      assert.equal(dry.status, 200, JSON.stringify(dry.body));
      assert.equal(dry.body.applied, false);
      assert.ok(dry.body.entries.some((e: { kind: string }) => e.kind === 'imported'));
      assert.ok(dry.body.entries.some((e: { kind: string }) => e.kind === 'left out'));
      assert.equal(await server.services.store.realms.get('acme'), undefined, 'a dry run writes nothing');

      const done = await admin('POST', '/import?from=keycloak', kc);
      assert.equal(done.status, 200, JSON.stringify(done.body));
      assert.equal(done.body.applied, true);
      assert.ok(await server.services.store.realms.get('acme'));
      assert.ok((await server.services.store.users.list('acme')).length > 0);
    });

    test('an Auth0 user list goes into an existing realm', async () => {
      const answer = await admin('POST', '/import?from=auth0&realm=demo', [{ user_id: 'auth0|1', email: 'zed@shop.test', email_verified: true, name: 'Zed' }]);
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.ok(await server.services.store.users.findByUsername('demo', 'zed@shop.test'));
    });

    test('refused: an unknown system, an export of another realm, a hostile hash, and a token that may not manage the realm', async () => {
      assertProblem(await admin('POST', '/import?from=okta', {}), 400);
      assertProblem(await admin('POST', '/import?from=keycloak&realm=other', await exportWithUsers()), 400);
      const hostile = await exportWithUsers() as { users: { credentials: { credentialData: string }[] }[] };
      const data = JSON.parse(hostile.users[0]!.credentials[0]!.credentialData) as Record<string, unknown>;
      hostile.users[0]!.credentials[0]!.credentialData = JSON.stringify({ ...data, hashIterations: 1_000_000_000 });
      const refused = await admin('POST', '/import?from=keycloak', { ...hostile, realm: 'acme2', id: 'acme2' });
      assert.equal(refused.status, 400, JSON.stringify(refused.body));
      assert.equal(await server.services.store.realms.get('acme2'), undefined, 'nothing written');
      const viewer = adminApi(server, await serviceToken(server, 'demo-viewer'));
      assert.equal((await viewer('POST', '/import?from=auth0&realm=demo', [])).status, 403);
    });
  });
}
