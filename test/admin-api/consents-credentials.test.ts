// A user's consents and second factors in the admin API: revoking a consent ends the client's
// grants; removing a lost authenticator (and with the last factor, the recovery codes).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { adminApi, assertProblem, masterWithServiceAccounts, serviceToken, type AdminCall } from '../helpers/admin-api.js';
import { databases } from '../helpers/databases.js';
import { token, tokensFor } from '../helpers/flows.js';
import { withTotp } from '../helpers/mfa.js';
import { password, testRealmWith } from '../helpers/realm.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { tokenRequest, UserAgent } from '../helpers/user-agent.js';

const passwordClient = { client_id: 'cli', client_secret: 'cli-secret-0123456789', grant_types: ['password'], scope: 'openid' };

for (const database of databases) {
  describe(`admin API: consents and second factors (${database})`, () => {
    let server: TestServer;
    let admin: AdminCall;
    let demoViewer: AdminCall;
    const userId = async (username: string) => (await admin('GET', `/realms/demo/users?username=${username}`)).body[0].id as string;

    before(async () => {
      server = await startServer(database, { realms: [testRealmWith({ clients: [passwordClient] }).realms[0]!, masterWithServiceAccounts()] });
      admin = adminApi(server, await serviceToken(server, 'ops-bot'));
      demoViewer = adminApi(server, await serviceToken(server, 'demo-viewer'));
    });
    after(async () => { await server?.close(); });

    test('a consent given on the consent page is listed; revoking it forgets it and ends the client\'s grants', async () => {
      const tokens = await tokensFor(server, new UserAgent(server.url), { client: 'web', scope: 'openid offline_access', user: 'bob' });
      const bob = await userId('bob');
      const consents = await admin('GET', `/realms/demo/users/${bob}/consents`);
      assert.equal(consents.status, 200);
      assert.deepEqual(consents.body, [{ client_id: 'web', scopes: ['offline_access', 'openid'] }]);
      assertProblem(await demoViewer('DELETE', `/realms/demo/users/${bob}/consents/web`), 403);
      assert.equal((await admin('DELETE', `/realms/demo/users/${bob}/consents/web`)).status, 204);
      assert.deepEqual((await admin('GET', `/realms/demo/users/${bob}/consents`)).body, []);
      assert.equal((await token(server, 'web', { grant_type: 'refresh_token', refresh_token: tokens.refresh_token })).status, 400);
      assertProblem(await admin('DELETE', `/realms/demo/users/${bob}/consents/web`), 404);
    });

    test('an administrator removes a lost authenticator app; the recovery codes go with the last factor, and the password grant works again', async () => {
      await withTotp(server, 'alice');
      const alice = await userId('alice');
      await server.services.store.mfa.replaceRecoveryCodes(alice, ['hash-1', 'hash-2'], Date.now());
      const listed = await admin('GET', `/realms/demo/users/${alice}/credentials`);
      assert.deepEqual(listed.body, [{ id: 'otp', type: 'otp' }, { id: 'recovery-codes', type: 'recovery_codes', remaining: 2 }]);
      const signIn = () => tokenRequest(server.issuer(), { grant_type: 'password', username: 'alice', password, scope: 'openid' }, { id: 'cli', secret: 'cli-secret-0123456789' });
      assert.equal((await signIn()).status, 400, 'the password grant cannot carry a second factor');
      assertProblem(await demoViewer('DELETE', `/realms/demo/users/${alice}/credentials/otp`), 403);
      assert.equal((await admin('DELETE', `/realms/demo/users/${alice}/credentials/otp`)).status, 204);
      assert.deepEqual((await admin('GET', `/realms/demo/users/${alice}/credentials`)).body, []);
      assert.equal((await signIn()).status, 200);
      assertProblem(await admin('DELETE', `/realms/demo/users/${alice}/credentials/otp`), 404);
      assertProblem(await admin('DELETE', `/realms/demo/users/${alice}/credentials/no-such-passkey`), 404);
    });
  });
}
