// Signed userinfo (OIDC Core §5.3.2): a client that registered userinfo_signed_response_alg gets
// its claims as a JWT signed by the realm, which a certified client library verifies.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import * as client from 'openid-client';
import { databases } from '../helpers/databases.js';
import { tokensFor } from '../helpers/flows.js';
import { password, testRealm } from '../helpers/realm.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { UserAgent } from '../helpers/user-agent.js';

const redirectUri = 'http://127.0.0.1:3999/callback';

function realm() {
  const file = testRealm();
  file.realms[0]!.clients.push({
    client_id: 'signed-ui', client_secret: 'signed-ui-secret', redirect_uris: [redirectUri], grant_types: ['authorization_code'],
    token_endpoint_auth_method: 'client_secret_basic', scope: 'openid profile email', userinfo_signed_response_alg: 'ES256',
  } as never);
  return file;
}

for (const database of databases) {
  describe(`signed userinfo (${database})`, () => {
    let server: TestServer;
    before(async () => { server = await startServer(database, realm()); });
    after(async () => { await server?.close(); });

    async function signIn(): Promise<{ config: client.Configuration; tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>> }> {
      const config = await client.discovery(new URL(server.issuer()), 'signed-ui', { userinfo_signed_response_alg: 'ES256' },
        client.ClientSecretBasic('signed-ui-secret'), { execute: [client.allowInsecureRequests] });
      const verifier = client.randomPKCECodeVerifier();
      const state = client.randomState();
      const url = client.buildAuthorizationUrl(config, { redirect_uri: redirectUri, scope: 'openid profile email', state,
        code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' });
      const browser = new UserAgent(server.url);
      const back = await browser.signIn(await browser.open(url.href), 'alice', password);
      const tokens = await client.authorizationCodeGrant(config, new URL(back.location!), { pkceCodeVerifier: verifier, expectedState: state });
      return { config, tokens };
    }

    test('DYN-03: userinfo answers application/jwt, signed with the registered alg, with iss and aud, and openid-client accepts it', async () => {
      const { config, tokens } = await signIn();
      const response = await fetch(`${server.issuer()}/protocol/openid-connect/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /^application\/jwt/);
      const jwt = await response.text();
      assert.equal(decodeProtectedHeader(jwt).alg, 'ES256');
      const { payload } = await jwtVerify(jwt, createRemoteJWKSet(new URL(`${server.issuer()}/protocol/openid-connect/certs`)), { issuer: server.issuer(), audience: 'signed-ui' });
      assert.equal(payload.given_name, 'Alice');
      assert.equal(payload.nonce, undefined);
      const claims = await client.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub);
      assert.equal(claims.email, 'alice@example.com');
    });

    test('other clients still get plain JSON, and discovery lists the userinfo signing algorithms', async () => {
      const metadata = await (await fetch(`${server.issuer()}/.well-known/openid-configuration`)).json() as Record<string, string[]>;
      assert.ok(metadata.userinfo_signing_alg_values_supported!.includes('ES256'));
      const tokens = await tokensFor(server, new UserAgent(server.url), { client: 'trusted', scope: 'openid profile' });
      const response = await fetch(`${server.issuer()}/protocol/openid-connect/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
      assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
      assert.equal((await response.json() as Record<string, string>).given_name, 'Alice');
    });
  });
}
