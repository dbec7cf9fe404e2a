// Conformance checklist, Config plan (A5) and Discovery (B12): the discovery document and the
// JWKS as the OpenID conformance suite's oidcc-discovery-endpoint-verification checks them.
// Strix runs behind https://login.example.com here, as it would in production.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { databases } from '../helpers/databases.js';
import { testRealm } from '../helpers/realm.js';
import { startServer, type TestServer } from '../helpers/server.js';

const publicUrl = 'https://login.example.com';
const privateMembers = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth'];
/** RFC 6749 §3.3 scope-token: 1*( %x21 / %x23-5B / %x5D-7E ). */
const scopeToken = /^[\x21\x23-\x5B\x5D-\x7E]+$/;
/** A simplified BCP 47 language tag: language, optional script/region/variants. */
const languageTag = /^[a-z]{2,3}(-[A-Z][a-z]{3})?(-([A-Z]{2}|[0-9]{3}))?(-[A-Za-z0-9]{5,8})*$/;

function assertHttpsUrl(value: unknown, name: string): void {
  assert.equal(typeof value, 'string', `${name} is a string`);
  const url = new URL(value as string);
  assert.equal(url.protocol, 'https:', `${name} is https: ${value}`);
  assert.equal(url.hash, '', `${name} has no fragment`);
}

for (const database of databases) {
  describe(`conformance: discovery document and JWKS (${database})`, () => {
    let server: TestServer;
    let response: Response;
    let metadata: Record<string, any>;
    before(async () => {
      server = await startServer(database, testRealm(), { publicUrl });
      response = await fetch(`${server.issuer()}/.well-known/openid-configuration`);
      metadata = await response.json() as Record<string, any>;
    });
    after(async () => { await server?.close(); });

    test('CONFIG-01, DISC-01: the discovery document is served with 200 and application/json', () => {
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /^application\/json\b/);
    });

    test('CONFIG-02, CONFIG-03, DISC-02, COMMON-01: issuer is the https discovery URL minus /.well-known/openid-configuration, without query or fragment', () => {
      const discoveryUrl = `${publicUrl}/realms/demo/.well-known/openid-configuration`;
      assertHttpsUrl(discoveryUrl, 'discovery URL');
      assert.equal(metadata.issuer, discoveryUrl.slice(0, -'/.well-known/openid-configuration'.length));
      const issuer = new URL(metadata.issuer);
      assert.equal(issuer.protocol, 'https:');
      assert.equal(issuer.search, '');
      assert.equal(issuer.hash, '');
      assert.ok(metadata.authorization_endpoint && metadata.token_endpoint, 'authorization_endpoint and token_endpoint present');
    });

    test('CONFIG-04: the metadata has the RFC 8414 member types: URLs are strings, *_supported lists are string arrays, flags are booleans', () => {
      const booleans = ['claims_parameter_supported', 'request_parameter_supported', 'request_uri_parameter_supported', 'require_request_uri_registration',
        'authorization_response_iss_parameter_supported', 'backchannel_logout_supported', 'backchannel_logout_session_supported',
        'frontchannel_logout_supported', 'frontchannel_logout_session_supported', 'require_pushed_authorization_requests'];
      for (const [name, value] of Object.entries(metadata)) {
        if (booleans.includes(name)) assert.equal(typeof value, 'boolean', name);
        else if (name.endsWith('_supported')) {
          assert.ok(Array.isArray(value), `${name} is an array`);
          for (const item of value as unknown[]) assert.equal(typeof item, 'string', `${name} holds strings`);
        } else assert.equal(typeof value, 'string', name);
      }
    });

    test('CONFIG-05, DISC-05, DYN-09: response_types_supported covers code, id_token and id_token token; grant_types_supported covers authorization_code and implicit', () => {
      for (const type of ['code', 'id_token', 'id_token token']) assert.ok(metadata.response_types_supported.includes(type), type);
      for (const grant of ['authorization_code', 'implicit']) assert.ok(metadata.grant_types_supported.includes(grant), grant);
    });

    test('CONFIG-06, CONFIG-07, DISC-03, DISC-04: the REQUIRED members are present, subject types are public/pairwise, RS256 is an ID token alg, userinfo algs (if any) are valid', () => {
      for (const name of ['issuer', 'authorization_endpoint', 'token_endpoint', 'jwks_uri', 'response_types_supported', 'subject_types_supported', 'id_token_signing_alg_values_supported']) {
        assert.ok(metadata[name], name);
      }
      assert.ok(metadata.subject_types_supported.length > 0);
      for (const type of metadata.subject_types_supported) assert.ok(['public', 'pairwise'].includes(type), type);
      assert.ok(metadata.id_token_signing_alg_values_supported.includes('RS256'));
      if (metadata.userinfo_signing_alg_values_supported !== undefined) {
        assert.ok(Array.isArray(metadata.userinfo_signing_alg_values_supported) && metadata.userinfo_signing_alg_values_supported.length > 0);
        for (const alg of metadata.userinfo_signing_alg_values_supported) assert.match(alg, /^(RS|PS|ES)(256|384|512)$|^EdDSA$|^ES256K$|^none$/);
      }
    });

    test('CONFIG-08, CONFIG-15, DISC-08, DISC-12, RPIL-01, RPL-01: every endpoint, jwks_uri included, is an https URL', () => {
      for (const name of ['authorization_endpoint', 'token_endpoint', 'userinfo_endpoint', 'registration_endpoint', 'end_session_endpoint', 'jwks_uri']) {
        assert.ok(metadata[name], `${name} is present`);
      }
      for (const [name, value] of Object.entries(metadata)) {
        if (name.endsWith('_endpoint') || name === 'jwks_uri') assertHttpsUrl(value, name);
      }
    });

    test('CONFIG-09, COMMON-02, DISC-09, CORE-27: the JWKS parses, has no private or symmetric keys, and every key has a distinct kid and a use', async () => {
      const jwks = await fetch(`${server.issuer()}/protocol/openid-connect/certs`);
      assert.equal(jwks.status, 200);
      const { keys } = await jwks.json() as { keys: Record<string, unknown>[] };
      assert.ok(keys.length > 1);
      for (const key of keys) {
        assert.notEqual(key.kty, 'oct', 'no symmetric keys');
        for (const member of privateMembers) assert.equal(key[member], undefined, `${String(key.kid)} has no ${member}`);
        assert.equal(typeof key.kid, 'string');
        assert.ok(key.use === 'sig' || key.use === 'enc');
      }
      assert.equal(new Set(keys.map((k) => k.kid)).size, keys.length, 'kids are distinct');
    });

    test('CONFIG-10: request_object_signing_alg_values_supported includes RS256', () => {
      assert.ok(metadata.request_object_signing_alg_values_supported.includes('RS256'));
    });

    test('CONFIG-11: claims_supported is present', () => {
      assert.ok(Array.isArray(metadata.claims_supported) && metadata.claims_supported.includes('sub'));
    });

    test('CONFIG-12: grant_types_supported is a non-empty array', () => {
      assert.ok(Array.isArray(metadata.grant_types_supported) && metadata.grant_types_supported.length > 0);
    });

    test('CONFIG-13, DISC-06: scopes_supported contains openid and every scope token has RFC 6749 §3.3 syntax', () => {
      assert.ok(metadata.scopes_supported.includes('openid'));
      for (const scope of metadata.scopes_supported) assert.match(scope, scopeToken);
    });

    test('CONFIG-14: ui_locales_supported and claims_locales_supported (when present) hold canonical BCP 47 tags', () => {
      for (const name of ['ui_locales_supported', 'claims_locales_supported']) {
        for (const tag of metadata[name] ?? []) assert.match(tag, languageTag, `${name}: ${tag}`);
      }
    });

    test('CONFIG-16, BCP-07: code_challenge_methods_supported is an array listing S256', () => {
      assert.ok(Array.isArray(metadata.code_challenge_methods_supported));
      assert.ok(metadata.code_challenge_methods_supported.includes('S256'));
    });

    test('DISC-07: no member is an empty array', () => {
      for (const [name, value] of Object.entries(metadata)) {
        if (Array.isArray(value)) assert.ok(value.length > 0, `${name} is empty`);
      }
    });

    test('DISC-10: token_endpoint_auth_signing_alg_values_supported never contains none', () => {
      assert.ok(!metadata.token_endpoint_auth_signing_alg_values_supported.includes('none'));
    });

    test('COMMON-03, BASIC-32: token_endpoint_auth_methods_supported lists client_secret_basic, client_secret_post and private_key_jwt', () => {
      for (const method of ['client_secret_basic', 'client_secret_post', 'private_key_jwt']) {
        assert.ok(metadata.token_endpoint_auth_methods_supported.includes(method), method);
      }
    });

    test('DISC-13, BCP-18, DEV-01, PAR-01: optional features Strix supports are advertised (PKCE, revocation, introspection, PAR, iss parameter, logout, device authorization, DPoP)', () => {
      assert.ok(metadata.code_challenge_methods_supported);
      assertHttpsUrl(metadata.revocation_endpoint, 'revocation_endpoint');
      assertHttpsUrl(metadata.introspection_endpoint, 'introspection_endpoint');
      assert.equal(metadata.authorization_response_iss_parameter_supported, true);
      assertHttpsUrl(metadata.end_session_endpoint, 'end_session_endpoint');
      assert.equal(metadata.backchannel_logout_supported, true);
      assert.equal(metadata.frontchannel_logout_supported, true);
      assertHttpsUrl(metadata.device_authorization_endpoint, 'device_authorization_endpoint');
      assertHttpsUrl(metadata.pushed_authorization_request_endpoint, 'pushed_authorization_request_endpoint');
      assert.equal(metadata.require_pushed_authorization_requests, false);
      assert.ok((metadata.dpop_signing_alg_values_supported as string[]).includes('ES256'), 'DPoP is implemented, so advertised');
    });

    test('BCL-01, BCLO-01: back-channel logout with sessions is advertised next to an https end_session_endpoint', () => {
      assert.equal(metadata.backchannel_logout_supported, true);
      assert.equal(metadata.backchannel_logout_session_supported, true);
      assertHttpsUrl(metadata.end_session_endpoint, 'end_session_endpoint');
    });

    test('FCL-01: front-channel logout with sessions is advertised next to an https end_session_endpoint', () => {
      assert.equal(metadata.frontchannel_logout_supported, true);
      assert.equal(metadata.frontchannel_logout_session_supported, true);
      assertHttpsUrl(metadata.end_session_endpoint, 'end_session_endpoint');
    });
  });
}
