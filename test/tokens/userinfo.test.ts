// UserInfo endpoint (OIDC Core §5.3, §5.4) and bearer token usage and errors (RFC 6750 §2, §3.1).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as oauth from 'oauth4webapi';
import { databases } from '../helpers/databases.js';
import { tokensFor, userinfo } from '../helpers/flows.js';
import { testRealm } from '../helpers/realm.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { tokenRequest, UserAgent } from '../helpers/user-agent.js';

for (const database of databases) {
  describe(`userinfo (${database})`, () => {
    let server: TestServer;
    before(async () => { server = await startServer(database, testRealm()); });
    after(async () => { await server?.close(); });

    const endpoint = () => `${server.issuer()}/protocol/openid-connect/userinfo`;
    const accessToken = async (scope: string, user = 'alice') =>
      (await tokensFor(server, new UserAgent(server.url), { client: 'web', scope, user })).access_token as string;
    const claimsFor = async (scope: string) => {
      const info = await userinfo(server, await accessToken(scope));
      assert.equal(info.status, 200, JSON.stringify(info.body));
      return info.body as Record<string, unknown>;
    };

    test('scope openid alone releases only sub', async () => {
      const claims = await claimsFor('openid');
      assert.deepEqual(Object.keys(claims), ['sub']);
      assert.equal(typeof claims.sub, 'string');
    });

    test('BASIC-09: scope profile releases the profile claims, with updated_at as a number, and no email', async () => {
      const claims = await claimsFor('openid profile');
      assert.equal(claims.name, 'Alice Liddell');
      assert.equal(claims.given_name, 'Alice');
      assert.equal(claims.family_name, 'Liddell');
      assert.equal(claims.preferred_username, 'alice');
      assert.equal(typeof claims.updated_at, 'number');
      assert.equal(claims.email, undefined);
      assert.equal(claims.email_verified, undefined);
    });

    test('scope email releases email and email_verified', async () => {
      const claims = await claimsFor('openid email');
      assert.equal(claims.email, 'alice@example.com');
      assert.equal(claims.email_verified, true);
      assert.equal(claims.name, undefined);
    });

    test('BASIC-11, BASIC-12: scopes address and phone release the address object and phone_number', async () => {
      const claims = await claimsFor('openid address phone');
      assert.deepEqual(claims.address, { locality: 'Oxford', country: 'GB' });
      assert.equal(claims.phone_number, '+44 20 7946 0000');
      assert.equal(claims.email, undefined);
    });

    test('scope roles releases the user\'s roles', async () => {
      const claims = await claimsFor('openid roles');
      assert.deepEqual(claims.roles, ['admin']);
    });

    test('oauth4webapi accepts the userinfo response for the token\'s subject', async () => {
      const issuer = new URL(server.issuer());
      const insecure = { [oauth.allowInsecureRequests]: true };
      const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, insecure));
      const client: oauth.Client = { client_id: 'web' };
      const tokens = await tokensFor(server, new UserAgent(server.url), { client: 'web', scope: 'openid profile email' });
      const sub = JSON.parse(Buffer.from(tokens.id_token.split('.')[1], 'base64url').toString()).sub as string;
      const response = await oauth.userInfoRequest(as, client, tokens.access_token, insecure);
      const claims = await oauth.processUserInfoResponse(as, client, sub, response);
      assert.equal(claims.sub, sub);
      assert.equal(claims.email, 'alice@example.com');
      assert.equal(response.headers.get('cache-control'), 'no-store');
    });

    test('BASIC-07: the access token may be sent as a form body parameter with POST', async () => {
      const token = await accessToken('openid email');
      const response = await fetch(endpoint(), {
        method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ access_token: token }).toString(),
      });
      assert.equal(response.status, 200);
      assert.equal((await response.json() as { email: string }).email, 'alice@example.com');
    });

    test('a request without a token gets 401 and a bare Bearer challenge without an error code', async () => {
      const response = await fetch(endpoint());
      assert.equal(response.status, 401);
      const challenge = response.headers.get('www-authenticate') ?? '';
      assert.match(challenge, /^Bearer realm="[^"]+"/);
      assert.doesNotMatch(challenge, /error=/);
    });

    test('CORE-29: a garbage token gets 401 with error="invalid_token"', async () => {
      const info = await userinfo(server, 'not.a.jwt');
      assert.equal(info.status, 401);
      assert.match(info.challenge ?? '', /^Bearer realm="[^"]+", error="invalid_token"/);
      assert.equal(info.body?.error, 'invalid_token');
    });

    test('a user\'s token granted without openid gets 403 with error="insufficient_scope"', async () => {
      const info = await userinfo(server, await accessToken('api:read'));
      assert.equal(info.status, 403, `got ${info.status} ${info.challenge}`);
      assert.match(info.challenge ?? '', /error="insufficient_scope"/);
    });

    test('a valid client credentials token without openid gets 403 with error="insufficient_scope"', async () => {
      const issued = await tokenRequest(server.issuer(), { grant_type: 'client_credentials', scope: 'api:read' }, { id: 'service', secret: 'service-secret' });
      assert.equal(issued.status, 200, JSON.stringify(issued.body));
      const info = await userinfo(server, issued.body.access_token);
      assert.equal(info.status, 403, `got ${info.status} ${info.challenge}`);
      assert.match(info.challenge ?? '', /error="insufficient_scope"/);
    });

    test('a token whose user has since been disabled gets 401 invalid_token', async () => {
      const token = await accessToken('openid profile', 'bob');
      const before = await userinfo(server, token);
      assert.equal(before.status, 200);
      await server.services.store.users.setEnabled(before.body.sub, false, Date.now());
      try {
        const info = await userinfo(server, token);
        assert.equal(info.status, 401);
        assert.match(info.challenge ?? '', /error="invalid_token"/);
      } finally {
        await server.services.store.users.setEnabled(before.body.sub, true, Date.now());
      }
    });

    test('a token sent both in the header and in the body is refused with 400 invalid_request', async () => {
      const token = await accessToken('openid');
      const response = await fetch(endpoint(), {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ access_token: token }).toString(),
      });
      assert.equal(response.status, 400);
      assert.match(response.headers.get('www-authenticate') ?? '', /error="invalid_request"/);
      assert.equal((await response.json() as { error: string }).error, 'invalid_request');
    });
  });
}
