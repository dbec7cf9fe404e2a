// Client metadata for JWT client authentication (RFC 7591 §2: jwks, jwks_uri,
// token_endpoint_auth_signing_alg; RFC 7523): what a realm file may register, and how secrets are stored.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseClient, RealmFileError } from '../../src/admin/realm-file.js';
import { storedSecret } from '../../src/store/clients.js';
import { createSealer } from '../../src/tokens/master-key.js';

const rsaPublic = {
  kty: 'RSA', kid: 'rsa-1', e: 'AQAB',
  n: 'sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw',
};
const ecPublic = { kty: 'EC', kid: 'ec-1', crv: 'P-256', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0' };

const keyClient = {
  client_id: 'robot', grant_types: ['client_credentials'], scope: 'api:read',
  token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [rsaPublic, ecPublic] },
};

function assertRejected(raw: Record<string, unknown>, where: string, problem?: RegExp): void {
  assert.throws(() => parseClient(raw, 'client'), (error: unknown) => {
    assert.ok(error instanceof RealmFileError, `expected a RealmFileError, got ${String(error)}`);
    assert.ok(error.message.includes(where), `"${error.message}" does not say ${where}`);
    if (problem) assert.match(error.message, problem);
    return true;
  });
}

describe('client metadata for JWT client authentication', () => {
  test('a private_key_jwt client with an inline JWK Set keeps its public keys', () => {
    const { metadata, secret } = parseClient(keyClient, 'client');
    assert.equal(metadata.token_endpoint_auth_method, 'private_key_jwt');
    assert.deepEqual(metadata.jwks, { keys: [rsaPublic, ecPublic] });
    assert.equal(metadata.jwks_uri, undefined);
    assert.equal(secret, undefined);
  });

  test('a private_key_jwt client may register a jwks_uri instead', () => {
    const { jwks: _, ...rest } = keyClient;
    const { metadata } = parseClient({ ...rest, jwks_uri: 'https://robot.example.com/jwks.json' }, 'client');
    assert.equal(metadata.jwks_uri, 'https://robot.example.com/jwks.json');
    assert.equal(metadata.jwks, undefined);
  });

  test('a JWK Set holding a private key is rejected', () => {
    assertRejected({ ...keyClient, jwks: { keys: [rsaPublic, { ...ecPublic, d: 'jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI' }] } }, 'client.jwks.keys[1]', /private key material \("d"\)/);
  });

  test('a JWK Set holding a symmetric key is rejected', () => {
    assertRejected({ ...keyClient, jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] } }, 'client.jwks.keys[0]');
  });

  test('jwks must be a JWK Set, not a bare list of keys', () => {
    assertRejected({ ...keyClient, jwks: [rsaPublic] }, 'client.jwks', /JWK Set/);
  });

  test('jwks and jwks_uri together are rejected', () => {
    assertRejected({ ...keyClient, jwks_uri: 'https://robot.example.com/jwks.json' }, 'client.jwks_uri', /both/);
  });

  test('a private_key_jwt client without jwks or jwks_uri is rejected', () => {
    const { jwks: _, ...rest } = keyClient;
    assertRejected(rest, 'client.jwks', /needs jwks or jwks_uri/);
  });

  test('a jwks_uri that is not http(s) is rejected', () => {
    const { jwks: _, ...rest } = keyClient;
    assertRejected({ ...rest, jwks_uri: 'file:///etc/jwks.json' }, 'client.jwks_uri');
    assertRejected({ ...rest, jwks_uri: '/jwks.json' }, 'client.jwks_uri');
  });

  test('a private_key_jwt client with a client_secret is rejected: it has no use for one', () => {
    assertRejected({ ...keyClient, client_secret: 'unused' }, 'client.client_secret');
  });

  test('token_endpoint_auth_signing_alg must be a signature alg for private_key_jwt', () => {
    assert.equal(parseClient({ ...keyClient, token_endpoint_auth_signing_alg: 'ES256' }, 'client').metadata.token_endpoint_auth_signing_alg, 'ES256');
    assertRejected({ ...keyClient, token_endpoint_auth_signing_alg: 'HS256' }, 'client.token_endpoint_auth_signing_alg');
    assertRejected({ ...keyClient, token_endpoint_auth_signing_alg: 'none' }, 'client.token_endpoint_auth_signing_alg');
  });

  test('token_endpoint_auth_signing_alg must be an HMAC alg for client_secret_jwt', () => {
    const secretJwt = { client_id: 'batch', client_secret: 's3cret', grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_jwt' };
    assert.equal(parseClient({ ...secretJwt, token_endpoint_auth_signing_alg: 'HS512' }, 'client').metadata.token_endpoint_auth_signing_alg, 'HS512');
    assertRejected({ ...secretJwt, token_endpoint_auth_signing_alg: 'RS256' }, 'client.token_endpoint_auth_signing_alg');
  });

  test('token_endpoint_auth_signing_alg is rejected for methods that send no assertion', () => {
    assertRejected({ client_id: 'svc', client_secret: 'x', grant_types: ['client_credentials'], token_endpoint_auth_signing_alg: 'HS256' }, 'client.token_endpoint_auth_signing_alg');
  });

  test('only client_secret_jwt clients get their secret stored sealed; every method gets the digest', () => {
    const sealer = createSealer('unit-test-master-key-unit-test-master-key');
    const jwt = storedSecret('s3cret', 'client_secret_jwt', sealer);
    assert.equal(jwt.hash, sealer.digest('s3cret'));
    assert.equal(sealer.open(jwt.sealed!), 's3cret');
    for (const method of ['client_secret_basic', 'client_secret_post', 'private_key_jwt'] as const) {
      assert.deepEqual(storedSecret('s3cret', method, sealer), { hash: sealer.digest('s3cret'), sealed: null });
    }
  });

  test('email_sign_in is one of off, code and code_and_link', () => {
    const web = { client_id: 'web', client_secret: 's', redirect_uris: ['https://app.example/cb'] };
    assert.equal(parseClient({ ...web, email_sign_in: 'code' }, 'client').metadata.email_sign_in, 'code');
    assert.equal(parseClient(web, 'client').metadata.email_sign_in, undefined, 'absent: the realm decides');
    assertRejected({ ...web, email_sign_in: 'always' }, 'client.email_sign_in', /off, code, code_and_link/);
  });
});
