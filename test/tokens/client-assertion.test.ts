// Client authentication with JWT assertions (RFC 7523 §2.2 and §3, OIDC Core §9):
// client_secret_jwt and private_key_jwt at the token endpoint, with the registered method enforced.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { jwtVerify, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import * as oauth from 'oauth4webapi';
import { importRealm, parseClient, RealmFileError, type RealmInput } from '../../src/admin/realm-file.js';
import { storedSecret } from '../../src/store/clients.js';
import { databases } from '../helpers/databases.js';
import { jwksServer, keyPair, type Signer } from '../helpers/key-server.js';
import { testRealm } from '../helpers/realm.js';
import { startServer, testOutboundAllow, type TestServer } from '../helpers/server.js';
import { tokenRequest } from '../helpers/user-agent.js';

const assertionType = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const sharedSecret = 'a-client-secret-long-enough-for-hs512-hmac-keys-0123456789abcdef';
const basicSecret = 'batch-basic-secret';

const serviceClient = (clientId: string, extra: Record<string, unknown>) => ({
  client_id: clientId, grant_types: ['client_credentials'], scope: 'api:read', ...extra,
});

for (const database of databases) {
  describe(`JWT client authentication (${database})`, () => {
    let server: TestServer;
    let keys: { rsa: Signer; ec: Signer; ed: Signer; stranger: Signer };
    let remote: Awaited<ReturnType<typeof jwksServer>>;

    before(async () => {
      const [rsa, ec, ed, stranger] = await Promise.all([
        keyPair('RS256', 'rsa-1'), keyPair('ES256', 'ec-1'), keyPair('EdDSA', 'ed-1'), keyPair('RS256', 'stranger'),
      ]);
      keys = { rsa: rsa.signer, ec: ec.signer, ed: ed.signer, stranger: stranger.signer };
      remote = await jwksServer({ keys: [ed.jwk] });
      const realm = testRealm();
      realm.realms[0]!.clients.push(
        serviceClient('robot', { token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [rsa.jwk, ec.jwk] } }) as never,
        serviceClient('remote-robot', { token_endpoint_auth_method: 'private_key_jwt', jwks_uri: remote.url }) as never,
        serviceClient('pinned-robot', { token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [rsa.jwk, ec.jwk] }, token_endpoint_auth_signing_alg: 'ES256' }) as never,
        serviceClient('batch', { token_endpoint_auth_method: 'client_secret_jwt', client_secret: sharedSecret }) as never,
      );
      server = await startServer(database, realm);
      await server.services.store.clients.upsert('demo', {
        client_id: 'batch-basic', redirect_uris: [], post_logout_redirect_uris: [], grant_types: ['client_credentials'],
        response_types: [], token_endpoint_auth_method: 'client_secret_basic', scope: 'api:read', require_consent: false,
      }, server.services.sealer.digest(basicSecret), Date.now());
    });
    after(async () => {
      await server?.close();
      await remote?.close();
    });

    const tokenEndpoint = () => `${server.issuer()}/protocol/openid-connect/token`;
    const hmac = (secret = sharedSecret, alg = 'HS256'): Signer => ({ key: new TextEncoder().encode(secret), alg });

    /** A valid assertion for `clientId` unless `claims` overrides (undefined removes a claim). */
    async function assertion(clientId: string, signer: Signer, claims: Partial<Record<keyof JWTPayload, unknown>> = {}): Promise<string> {
      const now = Math.floor(server.clock.now() / 1000);
      const payload = { iss: clientId, sub: clientId, aud: tokenEndpoint(), jti: randomUUID(), iat: now, exp: now + 60, ...claims };
      return new SignJWT(payload as JWTPayload).setProtectedHeader({ alg: signer.alg, ...(signer.kid ? { kid: signer.kid } : {}) }).sign(signer.key);
    }

    const present = (jwt: string, extra: Record<string, string> = {}, basic?: { id: string; secret: string }) =>
      tokenRequest(server.issuer(), { grant_type: 'client_credentials', client_assertion_type: assertionType, client_assertion: jwt, ...extra }, basic);

    async function assertRefused(response: Awaited<ReturnType<typeof tokenRequest>>): Promise<void> {
      assert.equal(response.status, 401, JSON.stringify(response.body));
      assert.equal(response.body.error, 'invalid_client');
      // One description for every failure: it must not tell an attacker what to fix.
      assert.equal(response.body.error_description, 'client authentication failed');
      assert.equal(response.body.access_token, undefined);
    }

    test('private_key_jwt with an RS256 assertion signed by a key in the inline JWK Set gets a token', async () => {
      const response = await present(await assertion('robot', keys.rsa));
      assert.equal(response.status, 200, JSON.stringify(response.body));
      assert.equal(response.body.token_type, 'Bearer');
      assert.equal(response.body.scope, 'api:read');
    });

    test('private_key_jwt with an ES256 assertion and client_id sent alongside gets a token', async () => {
      const response = await present(await assertion('robot', keys.ec), { client_id: 'robot' });
      assert.equal(response.status, 200, JSON.stringify(response.body));
    });

    test('private_key_jwt with keys from jwks_uri (EdDSA) gets a token, and the key set is fetched once and cached', async () => {
      const before = remote.hits();
      for (let i = 0; i < 2; i++) {
        const response = await present(await assertion('remote-robot', keys.ed));
        assert.equal(response.status, 200, JSON.stringify(response.body));
      }
      assert.equal(remote.hits() - before, 1);
    });

    /** Registers (or replaces) a private_key_jwt client whose keys are at `jwksUri`. */
    async function registerRemoteKeyClient(clientId: string, jwksUri: string, extra: Record<string, string> = {}): Promise<void> {
      await server.services.store.clients.upsert('demo', {
        client_id: clientId, redirect_uris: [], post_logout_redirect_uris: [], grant_types: ['client_credentials'],
        response_types: [], token_endpoint_auth_method: 'private_key_jwt', jwks_uri: jwksUri, scope: 'api:read', require_consent: false, ...extra,
      }, null, Date.now());
    }

    test('a key withdrawn from a client\'s jwks_uri stops authenticating as soon as the client is updated, not when the fetched key set expires', async () => {
      const [old, fresh] = await Promise.all([keyPair('ES256', 'old'), keyPair('ES256', 'fresh')]);
      const jwks = { keys: [old.jwk] };
      const own = await jwksServer(jwks);
      try {
        await registerRemoteKeyClient('rotating-robot', own.url);
        assert.equal((await present(await assertion('rotating-robot', old.signer))).status, 200);
        // The old key leaked: the client publishes only the new one and updates its registration.
        jwks.keys = [fresh.jwk];
        await registerRemoteKeyClient('rotating-robot', own.url, { client_name: 'Rotated' });
        await assertRefused(await present(await assertion('rotating-robot', old.signer)));
        assert.equal((await present(await assertion('rotating-robot', fresh.signer))).status, 200);
      } finally {
        await own.close();
      }
    });

    test('a client deleted and registered again under the same id does not inherit the key set fetched for the deleted one', async () => {
      const [first, second] = await Promise.all([keyPair('ES256', 'first'), keyPair('ES256', 'second')]);
      const jwks = { keys: [first.jwk] };
      const own = await jwksServer(jwks);
      try {
        await registerRemoteKeyClient('reused-robot', own.url);
        assert.equal((await present(await assertion('reused-robot', first.signer))).status, 200);
        await server.services.store.clients.remove('demo', 'reused-robot');
        jwks.keys = [second.jwk];
        await registerRemoteKeyClient('reused-robot', own.url);
        await assertRefused(await present(await assertion('reused-robot', first.signer)));
        assert.equal((await present(await assertion('reused-robot', second.signer))).status, 200);
      } finally {
        await own.close();
      }
    });

    test('DYN-22: an assertion whose aud is the issuer is accepted as well as one for the token endpoint', async () => {
      const response = await present(await assertion('robot', keys.rsa, { aud: [server.issuer(), 'https://elsewhere.example.com'] }));
      assert.equal(response.status, 200, JSON.stringify(response.body));
    });

    test('a private_key_jwt client authenticates at introspection with an assertion addressed to that endpoint', async () => {
      const issued = await present(await assertion('robot', keys.rsa));
      assert.equal(issued.status, 200, JSON.stringify(issued.body));
      const introspect = `${server.issuer()}/protocol/openid-connect/token/introspect`;
      const response = await fetch(introspect, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: issued.body.access_token, client_assertion_type: assertionType, client_assertion: await assertion('robot', keys.rsa, { aud: introspect }) }),
      });
      const body = await response.json() as Record<string, unknown>;
      assert.equal(response.status, 200, JSON.stringify(body));
      assert.equal(body.active, true);
      assert.equal(body.client_id, 'robot');
    });

    test('an assertion addressed to the introspection endpoint is refused at the token endpoint', async () => {
      await assertRefused(await present(await assertion('robot', keys.rsa, { aud: `${server.issuer()}/protocol/openid-connect/token/introspect` })));
    });

    test('oauth4webapi client_secret_jwt gets a client credentials token', async () => {
      const issuer = new URL(server.issuer());
      const insecure = { [oauth.allowInsecureRequests]: true };
      const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, insecure));
      const client: oauth.Client = { client_id: 'batch' };
      const response = await oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretJwt(sharedSecret), { scope: 'api:read' }, insecure);
      const result = await oauth.processClientCredentialsResponse(as, client, response);
      assert.equal(result.scope, 'api:read');
    });

    test('oauth4webapi private_key_jwt gets a client credentials token', async () => {
      const issuer = new URL(server.issuer());
      const insecure = { [oauth.allowInsecureRequests]: true };
      const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, insecure));
      const client: oauth.Client = { client_id: 'robot' };
      const auth = oauth.PrivateKeyJwt({ key: keys.ec.key as CryptoKey, kid: 'ec-1' });
      const response = await oauth.clientCredentialsGrantRequest(as, client, auth, {}, insecure);
      assert.equal((await oauth.processClientCredentialsResponse(as, client, response)).token_type, 'bearer');
    });

    test('client_secret_jwt accepts HS512 too', async () => {
      const response = await present(await assertion('batch', hmac(sharedSecret, 'HS512')));
      assert.equal(response.status, 200, JSON.stringify(response.body));
    });

    test('a replayed assertion (same jti) is refused with invalid_client', async () => {
      const jwt = await assertion('robot', keys.rsa);
      assert.equal((await present(jwt)).status, 200);
      await assertRefused(await present(jwt));
    });

    test('the same assertion sent twice at once is accepted exactly once', async () => {
      const jwt = await assertion('batch', hmac());
      const responses = await Promise.all([present(jwt), present(jwt), present(jwt)]);
      assert.deepEqual(responses.map((r) => r.status).sort(), [200, 401, 401]);
    });

    test('an expired assertion is refused', async () => {
      const now = Math.floor(server.clock.now() / 1000);
      await assertRefused(await present(await assertion('robot', keys.rsa, { iat: now - 300, exp: now - 120 })));
    });

    test('an assertion that expired within the 30 s clock skew is still accepted', async () => {
      const now = Math.floor(server.clock.now() / 1000);
      const response = await present(await assertion('robot', keys.rsa, { iat: now - 60, exp: now - 10 }));
      assert.equal(response.status, 200, JSON.stringify(response.body));
    });

    test('an assertion valid for more than 10 minutes is refused', async () => {
      const now = Math.floor(server.clock.now() / 1000);
      await assertRefused(await present(await assertion('robot', keys.rsa, { exp: now + 3600 })));
    });

    test('an assertion issued in the future (beyond the skew) is refused', async () => {
      const now = Math.floor(server.clock.now() / 1000);
      await assertRefused(await present(await assertion('robot', keys.rsa, { iat: now + 120, exp: now + 180 })));
    });

    test('an assertion for another audience is refused', async () => {
      await assertRefused(await present(await assertion('robot', keys.rsa, { aud: 'https://other-idp.example.com/token' })));
    });

    test('an assertion for another realm of this server is refused', async () => {
      await assertRefused(await present(await assertion('robot', keys.rsa, { aud: server.issuer('other') })));
    });

    test('an assertion whose sub differs from iss is refused', async () => {
      await assertRefused(await present(await assertion('robot', keys.rsa, { sub: 'alice' })));
    });

    test('an assertion without a jti is refused', async () => {
      await assertRefused(await present(await assertion('robot', keys.rsa, { jti: undefined })));
    });

    test('an assertion without exp is refused', async () => {
      await assertRefused(await present(await assertion('robot', keys.rsa, { exp: undefined })));
    });

    test('an unsigned assertion (alg none) is refused', async () => {
      const now = Math.floor(server.clock.now() / 1000);
      const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
      const jwt = `${part({ alg: 'none' })}.${part({ iss: 'robot', sub: 'robot', aud: tokenEndpoint(), jti: randomUUID(), iat: now, exp: now + 60 })}.`;
      await assertRefused(await present(jwt));
    });

    test('an HMAC assertion for a private_key_jwt client is refused', async () => {
      await assertRefused(await present(await assertion('robot', hmac())));
    });

    test('a signed assertion for a client_secret_jwt client is refused', async () => {
      await assertRefused(await present(await assertion('batch', keys.rsa)));
    });

    test('an HMAC made with the wrong secret is refused', async () => {
      await assertRefused(await present(await assertion('batch', hmac('not-the-secret-not-the-secret-not-the-secret'))));
    });

    test('an assertion signed by a key not in the client\'s JWK Set is refused', async () => {
      await assertRefused(await present(await assertion('robot', keys.stranger)));
    });

    test('an assertion signed with a key of the set under another key\'s kid is refused', async () => {
      await assertRefused(await present(await assertion('robot', { ...keys.stranger, kid: 'rsa-1' })));
    });

    test('an alg other than the registered token_endpoint_auth_signing_alg is refused', async () => {
      await assertRefused(await present(await assertion('pinned-robot', keys.rsa)));
      const response = await present(await assertion('pinned-robot', keys.ec));
      assert.equal(response.status, 200, JSON.stringify(response.body));
    });

    test('an assertion from an unknown client is refused', async () => {
      await assertRefused(await present(await assertion('nobody', keys.rsa)));
    });

    test('a client_id that differs from the assertion iss is refused', async () => {
      await assertRefused(await present(await assertion('robot', keys.rsa), { client_id: 'remote-robot' }));
    });

    test('a client registered for client_secret_basic cannot authenticate with an assertion', async () => {
      await assertRefused(await present(await assertion('batch-basic', hmac(basicSecret))));
    });

    test('a malformed assertion is refused', async () => {
      await assertRefused(await present('not-a-jwt'));
    });

    test('OAUTH-21: an assertion together with a Basic header is refused with invalid_request', async () => {
      const response = await present(await assertion('batch', hmac()), {}, { id: 'batch', secret: sharedSecret });
      assert.equal(response.status, 400);
      assert.equal(response.body.error, 'invalid_request');
    });

    test('OAUTH-21: an assertion together with client_secret is refused with invalid_request', async () => {
      const response = await present(await assertion('batch', hmac()), { client_id: 'batch', client_secret: sharedSecret });
      assert.equal(response.status, 400);
      assert.equal(response.body.error, 'invalid_request');
    });

    test('client_assertion without client_assertion_type is refused with invalid_request', async () => {
      const response = await tokenRequest(server.issuer(), { grant_type: 'client_credentials', client_assertion: await assertion('robot', keys.rsa) });
      assert.equal(response.status, 400);
      assert.equal(response.body.error, 'invalid_request');
    });

    test('an unknown client_assertion_type is an unsupported authentication method: invalid_client', async () => {
      const response = await present(await assertion('robot', keys.rsa), { client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:saml2-bearer' });
      assert.equal(response.status, 401);
      assert.equal(response.body.error, 'invalid_client');
    });

    test('a private_key_jwt client cannot fall back to client_secret_basic', async () => {
      await assertRefused(await tokenRequest(server.issuer(), { grant_type: 'client_credentials' }, { id: 'robot', secret: 'anything' }));
    });

    test('a client_secret_jwt client cannot use its secret with client_secret_basic', async () => {
      await assertRefused(await tokenRequest(server.issuer(), { grant_type: 'client_credentials' }, { id: 'batch', secret: sharedSecret }));
    });

    test('discovery lists both JWT methods and their algs, never none', async () => {
      const metadata = await (await fetch(`${server.issuer()}/.well-known/openid-configuration`)).json() as Record<string, string[]>;
      for (const method of ['client_secret_jwt', 'private_key_jwt']) assert.ok(metadata.token_endpoint_auth_methods_supported!.includes(method), method);
      for (const alg of ['HS256', 'RS256', 'PS256', 'ES256', 'EdDSA']) assert.ok(metadata.token_endpoint_auth_signing_alg_values_supported!.includes(alg), alg);
      assert.ok(!metadata.token_endpoint_auth_signing_alg_values_supported!.includes('none'));
    });

    test('rotating a client_secret_jwt secret retires the old one for assertions', async () => {
      const { clients } = server.services.store;
      const rotated = 'rotated-secret-rotated-secret-rotated-secret-0123456789';
      await clients.upsert('demo', { ...(await clients.get('demo', 'batch'))!.metadata, client_id: 'batch-rotating' }, null, Date.now());
      const first = storedSecret(sharedSecret, 'client_secret_jwt', server.services.sealer);
      await clients.setSecretHash('demo', 'batch-rotating', first.hash, Date.now(), first.sealed);
      assert.equal((await present(await assertion('batch-rotating', hmac()))).status, 200);

      // A digest-only rotation (no sealed form) must not leave the old secret working.
      await clients.setSecretHash('demo', 'batch-rotating', server.services.sealer.digest(rotated), Date.now());
      await assertRefused(await present(await assertion('batch-rotating', hmac())));

      const second = storedSecret(rotated, 'client_secret_jwt', server.services.sealer);
      await clients.setSecretHash('demo', 'batch-rotating', second.hash, Date.now(), second.sealed);
      assert.equal((await present(await assertion('batch-rotating', hmac(rotated)))).status, 200);
      await assertRefused(await present(await assertion('batch-rotating', hmac())));
    });

    /** The demo realm as it is, with just `client` to import. */
    async function demoWith(client: Record<string, unknown>): Promise<RealmInput> {
      const { settings } = (await server.services.store.realms.get('demo'))!;
      return { name: 'demo', displayName: 'Demo', settings, roles: [], users: [], groups: [], clients: [parseClient(client, 'client')] };
    }

    test('importing a client_secret_jwt client without a client_secret fails: the secret must be sealed', async () => {
      const realm = await demoWith(serviceClient('batch-2', { token_endpoint_auth_method: 'client_secret_jwt' }));
      await assert.rejects(importRealm(server.services, realm), (error: unknown) => error instanceof RealmFileError && /client_secret_jwt client needs a client_secret/.test(error.message));
    });

    test('switching a client_secret_basic client to client_secret_jwt needs its secret again: only a digest is stored', async () => {
      const realm = await demoWith(serviceClient('batch-basic', { token_endpoint_auth_method: 'client_secret_jwt' }));
      await assert.rejects(importRealm(server.services, realm), RealmFileError);
    });

    test('re-importing a client_secret_jwt client without its secret keeps the sealed one', async () => {
      await importRealm(server.services, await demoWith(serviceClient('batch', { token_endpoint_auth_method: 'client_secret_jwt', client_name: 'Batch' })));
      assert.equal((await present(await assertion('batch', hmac()))).status, 200);
    });
  });
}

test('the fetched key sets are bounded: the least recently used client\'s set is dropped and fetched again on its next use', async () => {
  const { clientKeys } = await import('../../src/http/client-assertion.js');
  const { localChanges } = await import('../../src/store/changes.js');
  const ed = await keyPair('EdDSA', 'ed-bound');
  const remote = await jwksServer({ keys: [ed.jwk] });
  const changes = localChanges();
  const { createOutbound, parseOutboundAllow } = await import('../../src/http/outbound.js');
  const outbound = createOutbound(parseOutboundAllow(testOutboundAllow), { warn: () => {} });
  const client = (clientId: string, jwksUri: string) => ({
    realm: 'demo', clientId, secretHash: null, secretSealed: null, enabled: true, confidential: true,
    metadata: { client_id: clientId, redirect_uris: [], post_logout_redirect_uris: [], grant_types: [], response_types: [], token_endpoint_auth_method: 'private_key_jwt' as const, jwks_uri: jwksUri, scope: '', require_consent: false },
  });
  const jwt = await new SignJWT({}).setProtectedHeader({ alg: 'EdDSA', kid: 'ed-bound' }).sign(ed.privateKey);
  const verifyAs = (clientId: string) => jwtVerify(jwt, clientKeys(client(clientId, remote.url), Date.now(), changes, outbound));
  try {
    await verifyAs('first');
    await verifyAs('first');
    assert.equal(remote.hits(), 1, 'kept while in use');
    // Many other clients, each with a jwks_uri of its own (made-up ones: never fetched here).
    for (let i = 0; i < 1_000; i++) clientKeys(client(`other-${i}`, `${remote.url}?client=${i}`), Date.now(), changes, outbound);
    await verifyAs('first');
    assert.equal(remote.hits(), 2, 'dropped to make room, then fetched again');
  } finally {
    await remote.close();
    await changes.close();
  }
});
