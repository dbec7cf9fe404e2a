// Token revocation (RFC 7009): revoking either token of a grant ends the whole grant at once — at
// the token endpoint, at userinfo and at introspection —, a client_credentials access token (no
// grant) is revoked on its own, and only the client a token was issued to may revoke it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import * as oauth from 'oauth4webapi';
import { databases } from '../helpers/databases.js';
import { token, tokensFor, userinfo, type ClientName, type UserClient } from '../helpers/flows.js';
import { testRealm } from '../helpers/realm.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { UserAgent } from '../helpers/user-agent.js';

const spaOrigin = 'http://127.0.0.1:5173';

for (const database of databases) {
  describe(`token revocation (${database})`, () => {
    let server: TestServer;
    before(async () => { server = await startServer(database, testRealm()); });
    after(async () => { await server?.close(); });

    const endpoint = () => `${server.issuer()}/protocol/openid-connect/revoke`;
    /** POSTs to `path` under the issuer, authenticated as the test realm registers `caller`. */
    const post = async (path: string, caller: ClientName | 'nobody', form: Record<string, string>, headers: Record<string, string> = {}) => {
      const allHeaders: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', ...headers };
      const fields: Record<string, string> = { ...form };
      if (caller === 'web' || caller === 'service') allHeaders.authorization = `Basic ${Buffer.from(`${caller}:${caller}-secret`).toString('base64')}`;
      if (caller === 'trusted') Object.assign(fields, { client_id: 'trusted', client_secret: 'trusted-secret' });
      if (caller === 'spa') fields.client_id = 'spa';
      const response = await fetch(`${server.issuer()}/protocol/openid-connect/${path}`, { method: 'POST', headers: allHeaders, body: new URLSearchParams(fields).toString() });
      const text = await response.text();
      return { status: response.status, body: (text ? JSON.parse(text) : undefined) as Record<string, any> | undefined, headers: response.headers };
    };
    const revoke = (caller: ClientName | 'nobody', form: Record<string, string>, headers?: Record<string, string>) => post('revoke', caller, form, headers);
    const activeAt = async (accessToken: string) => (await post('token/introspect', 'service', { token: accessToken })).body?.active as boolean;
    const refresh = (client: UserClient, refreshToken: string) => token(server, client, { grant_type: 'refresh_token', refresh_token: refreshToken });
    const signIn = (client: UserClient = 'web', scope = 'openid profile') => tokensFor(server, new UserAgent(server.url), { client, scope });

    /** The grant behind `tokens` is over: refresh, userinfo and introspection all refuse its tokens. */
    const assertGrantRevoked = async (client: UserClient, tokens: Record<string, any>) => {
      const refreshed = await refresh(client, tokens.refresh_token);
      assert.equal(refreshed.status, 400, JSON.stringify(refreshed.body));
      assert.equal(refreshed.body.error, 'invalid_grant');
      const info = await userinfo(server, tokens.access_token);
      assert.equal(info.status, 401);
      assert.match(info.challenge ?? '', /error="invalid_token"/);
      assert.equal(await activeAt(tokens.access_token), false);
    };

    test('REV-02, REV-05: revoking a refresh token revokes its grant: the refresh token and its access token stop working (oauth4webapi)', async () => {
      const issuer = new URL(server.issuer());
      const insecure = { [oauth.allowInsecureRequests]: true };
      const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, insecure));
      const client: oauth.Client = { client_id: 'web' };
      const tokens = await signIn();
      const response = await oauth.revocationRequest(as, client, oauth.ClientSecretBasic('web-secret'), tokens.refresh_token, {
        ...insecure, additionalParameters: { token_type_hint: 'refresh_token' },
      });
      assert.equal(response.headers.get('cache-control'), 'no-store');
      await oauth.processRevocationResponse(response);
      await assertGrantRevoked('web', tokens);
    });

    test('REV-02: revoking an access token revokes its grant, refresh token included', async () => {
      const tokens = await signIn();
      const answer = await revoke('web', { token: tokens.access_token, token_type_hint: 'access_token' });
      assert.equal(answer.status, 200);
      await assertGrantRevoked('web', tokens);
    });

    test('REV-07: a refresh token sent with the access_token hint is found and revoked all the same', async () => {
      const tokens = await signIn();
      assert.equal((await revoke('web', { token: tokens.refresh_token, token_type_hint: 'access_token' })).status, 200);
      await assertGrantRevoked('web', tokens);
    });

    test('an unknown token_type_hint is ignored, not refused', async () => {
      const tokens = await signIn();
      assert.equal((await revoke('web', { token: tokens.refresh_token, token_type_hint: 'id_token' })).status, 200);
      await assertGrantRevoked('web', tokens);
    });

    test('revoking only ends the grant of the token: the same user\'s other grants live on', async () => {
      const revoked = await signIn();
      const kept = await signIn();
      assert.equal((await revoke('web', { token: revoked.refresh_token })).status, 200);
      assert.equal((await userinfo(server, kept.access_token)).status, 200);
      assert.equal((await refresh('web', kept.refresh_token)).status, 200);
    });

    test('REV-06: an unknown or malformed token is answered with 200', async () => {
      for (const unknown of ['no-such-token', 'eyJhbGciOiJub25lIn0.e30.']) {
        const answer = await revoke('web', { token: unknown });
        assert.equal(answer.status, 200, unknown);
        assert.equal(answer.headers.get('cache-control'), 'no-store');
      }
    });

    test('REV-06: revoking a token twice is answered with 200 both times', async () => {
      const tokens = await signIn();
      assert.equal((await revoke('web', { token: tokens.refresh_token })).status, 200);
      assert.equal((await revoke('web', { token: tokens.refresh_token })).status, 200);
    });

    test('REV-04: a token issued to another client is refused with 400 unauthorized_client, and nothing is revoked', async () => {
      const tokens = await signIn();
      for (const revoked of [tokens.refresh_token, tokens.access_token]) {
        const answer = await revoke('trusted', { token: revoked });
        assert.equal(answer.status, 400);
        assert.equal(answer.body?.error, 'unauthorized_client');
      }
      assert.equal((await userinfo(server, tokens.access_token)).status, 200);
      assert.equal((await refresh('web', tokens.refresh_token)).status, 200);
    });

    test('the public client spa revokes its own refresh token with its client_id alone', async () => {
      const tokens = await signIn('spa', 'openid profile');
      assert.ok(tokens.refresh_token);
      const answer = await revoke('spa', { token: tokens.refresh_token });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      await assertGrantRevoked('spa', tokens);
    });

    test('a browser app at spa\'s origin may call the endpoint: preflight and POST carry its CORS origin', async () => {
      const preflight = await fetch(endpoint(), {
        method: 'OPTIONS', headers: { origin: spaOrigin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
      });
      assert.equal(preflight.status, 204);
      assert.equal(preflight.headers.get('access-control-allow-origin'), spaOrigin);
      assert.match(preflight.headers.get('access-control-allow-methods') ?? '', /POST/);
      const tokens = await signIn('spa', 'openid');
      const answer = await revoke('spa', { token: tokens.refresh_token }, { origin: spaOrigin });
      assert.equal(answer.status, 200);
      assert.equal(answer.headers.get('access-control-allow-origin'), spaOrigin);
    });

    test('an unknown origin gets no CORS from the endpoint', async () => {
      const answer = await revoke('spa', { token: 'no-such-token' }, { origin: 'https://evil.example' });
      assert.equal(answer.status, 200);
      assert.equal(answer.headers.get('access-control-allow-origin'), null);
    });

    const serviceToken = async () => {
      const issued = await token(server, 'service', { grant_type: 'client_credentials', scope: 'api:read' });
      assert.equal(issued.status, 200, JSON.stringify(issued.body));
      assert.equal(decodeJwt(issued.body.access_token).gid, undefined, 'a client_credentials token has no grant');
      return issued.body.access_token as string;
    };

    test('REV-08: a client_credentials access token (no grant behind it) is revocable: 200, then inactive at introspection at once', async () => {
      const revoked = await serviceToken();
      assert.equal(await activeAt(revoked), true);
      const answer = await revoke('service', { token: revoked, token_type_hint: 'access_token' });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.equal(await activeAt(revoked), false);
      assert.equal((await revoke('service', { token: revoked })).status, 200, 'revoking it again is no error');
    });

    test('REV-08: revoking one client_credentials access token leaves the client\'s other tokens active', async () => {
      const revoked = await serviceToken();
      const kept = await serviceToken();
      assert.equal((await revoke('service', { token: revoked })).status, 200);
      assert.equal(await activeAt(revoked), false);
      assert.equal(await activeAt(kept), true);
    });

    test('REV-08, REV-04: another client cannot revoke a client_credentials access token: 400 unauthorized_client, and it stays active', async () => {
      const issued = await serviceToken();
      const answer = await revoke('web', { token: issued });
      assert.equal(answer.status, 400);
      assert.equal(answer.body?.error, 'unauthorized_client');
      assert.equal(await activeAt(issued), true);
    });

    test('REV-03: a request without client authentication gets 401 invalid_client', async () => {
      const answer = await revoke('nobody', { token: 'anything' });
      assert.equal(answer.status, 401);
      assert.equal(answer.body?.error, 'invalid_client');
    });

    test('REV-08: a request without a token gets 400 invalid_request', async () => {
      const answer = await revoke('web', {});
      assert.equal(answer.status, 400);
      assert.equal(answer.body?.error, 'invalid_request');
    });

    test('a body that is not form-encoded gets 400 invalid_request as JSON', async () => {
      const response = await fetch(endpoint(), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"token":"x","client_id":"spa"}' });
      assert.equal(response.status, 400);
      assert.equal((await response.json() as { error: string }).error, 'invalid_request');
    });
  });
}
