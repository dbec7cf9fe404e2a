// Sessions and signing keys in the admin API: listing live sessions, ending one or all of a user's
// (grants revoked, back-channel logout sent), and listing and rotating a realm's keys.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { adminApi, assertProblem, masterWithServiceAccounts, serviceToken, type AdminCall } from '../helpers/admin-api.js';
import { databases } from '../helpers/databases.js';
import { eventually } from '../helpers/eventually.js';
import { password, testRealmWith } from '../helpers/realm.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { authorizeUrl, callbackParams, endpointRequest, isLoginPage, tokenRequest, UserAgent } from '../helpers/user-agent.js';

const redirectUri = 'http://127.0.0.1:3999/callback';

/** Collects the logout tokens POSTed to it. */
async function startReceiver(): Promise<{ url: string; tokens: string[]; close(): Promise<void> }> {
  const tokens: string[] = [];
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => { body += chunk.toString(); });
    request.on('end', () => {
      tokens.push(new URLSearchParams(body).get('logout_token') ?? '');
      response.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/backchannel`, tokens, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

for (const database of databases) {
  describe(`admin API: sessions and keys (${database})`, () => {
    let server: TestServer;
    let receiver: Awaited<ReturnType<typeof startReceiver>>;
    let admin: AdminCall;
    let demoViewer: AdminCall;
    const app = { id: 'notified', secret: 'notified-secret-0123456789' };

    /** Signs alice in through the browser pages to the notified client; returns the tokens and the session id. */
    async function signIn(browser = new UserAgent(server.url), scope = 'openid'): Promise<{ refresh: string; access: string; sid: string }> {
      const page = await browser.open(authorizeUrl(server.issuer(), { client_id: app.id, redirect_uri: redirectUri, response_type: 'code', scope, state: 's' }));
      const callback = callbackParams(isLoginPage(page) ? await browser.signIn(page, 'alice', password) : page);
      const tokens = await tokenRequest(server.issuer(), { grant_type: 'authorization_code', code: callback.get('code')!, redirect_uri: redirectUri }, app);
      assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
      return { refresh: tokens.body.refresh_token, access: tokens.body.access_token, sid: decodeJwt(tokens.body.id_token).sid as string };
    }
    const refreshes = async (refresh: string) => (await tokenRequest(server.issuer(), { grant_type: 'refresh_token', refresh_token: refresh }, app)).status === 200;
    const active = async (access: string) => (await endpointRequest(server.issuer(), 'token/introspect', { token: access }, app)).body.active === true;

    before(async () => {
      receiver = await startReceiver();
      server = await startServer(database, {
        realms: [testRealmWith({
          clients: [{
            client_id: app.id, client_secret: app.secret, redirect_uris: [redirectUri], grant_types: ['authorization_code', 'refresh_token'],
            scope: 'openid offline_access', backchannel_logout_uri: receiver.url,
          }],
        }).realms[0]!, masterWithServiceAccounts()],
      });
      admin = adminApi(server, await serviceToken(server, 'ops-bot'));
      demoViewer = adminApi(server, await serviceToken(server, 'demo-viewer'));
    });
    after(async () => {
      await server?.close();
      await receiver?.close();
    });

    test('a signed-in browser session is listed with its user and clients; DELETE ends it, its tokens stop working, and the client gets a back-channel logout', async () => {
      const signedIn = await signIn();
      const listed = await admin('GET', '/realms/demo/sessions');
      assert.equal(listed.status, 200);
      const session = listed.body.find((entry: any) => entry.id === signedIn.sid);
      assert.ok(session, JSON.stringify(listed.body));
      assert.equal(session.username, 'alice');
      assert.deepEqual(session.clients, [app.id]);
      assert.deepEqual(session.amr, ['pwd']);
      assert.equal((await admin('DELETE', `/realms/demo/sessions/${signedIn.sid}`)).status, 204);
      assert.equal(await refreshes(signedIn.refresh), false);
      assert.equal(await active(signedIn.access), false);
      const logoutToken = await eventually(() => receiver.tokens.find((t) => decodeJwt(t).sid === signedIn.sid), 'a back-channel logout token');
      assert.equal(decodeJwt(logoutToken).aud, app.id);
      assert.ok(!(await admin('GET', '/realms/demo/sessions')).body.some((entry: any) => entry.id === signedIn.sid));
      assertProblem(await admin('DELETE', `/realms/demo/sessions/${signedIn.sid}`), 404);
    });

    test('POST …/users/{id}/logout ends every session of the user and revokes offline grants too', async () => {
      const first = await signIn(new UserAgent(server.url));
      const second = await signIn(new UserAgent(server.url), 'openid offline_access');
      const alice = (await admin('GET', '/realms/demo/users?username=alice')).body[0];
      const sessions = await admin('GET', `/realms/demo/users/${alice.id}/sessions`);
      assert.deepEqual(sessions.body.map((entry: any) => entry.id).sort(), [first.sid, second.sid].sort());
      assert.equal((await admin('POST', `/realms/demo/users/${alice.id}/logout`)).status, 204);
      assert.deepEqual((await admin('GET', `/realms/demo/users/${alice.id}/sessions`)).body, []);
      assert.equal(await refreshes(first.refresh), false);
      assert.equal(await refreshes(second.refresh), false, 'the offline grant is revoked too');
      await eventually(() => [first.sid, second.sid].every((sid) => receiver.tokens.some((t) => decodeJwt(t).sid === sid)) || undefined, 'back-channel logout for both sessions');
    });

    test('keys are listed without private parts; rotation makes the next keys current and keeps the old ones published', async () => {
      const listed = await admin('GET', '/realms/demo/keys');
      assert.equal(listed.status, 200);
      assert.ok(listed.body.every((key: any) => key.public_jwk.d === undefined && key.private_jwk === undefined));
      const current = listed.body.find((key: any) => key.alg === 'RS256' && key.status === 'current');
      const next = listed.body.find((key: any) => key.alg === 'RS256' && key.status === 'next');
      assert.ok(current && next, JSON.stringify(listed.body));
      const rotated = await admin('POST', '/realms/demo/keys/rotate');
      assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
      assert.equal(rotated.body.find((key: any) => key.kid === next.kid).status, 'current');
      assert.notEqual(rotated.body.find((key: any) => key.kid === current.kid).status, 'current');
      const jwks = await (await fetch(`${server.issuer()}/protocol/openid-connect/certs`)).json() as { keys: { kid: string }[] };
      assert.ok(jwks.keys.some((key) => key.kid === current.kid), 'the old key stays published');
    });

    test('a realm-viewer lists sessions and keys but may not end sessions, sign users out or rotate keys', async () => {
      assert.equal((await demoViewer('GET', '/realms/demo/sessions')).status, 200);
      assert.equal((await demoViewer('GET', '/realms/demo/keys')).status, 200);
      const alice = (await demoViewer('GET', '/realms/demo/users?username=alice')).body[0];
      assertProblem(await demoViewer('POST', `/realms/demo/users/${alice.id}/logout`), 403);
      assertProblem(await demoViewer('DELETE', '/realms/demo/sessions/whatever'), 403);
      assertProblem(await demoViewer('POST', '/realms/demo/keys/rotate'), 403);
    });
  });
}
