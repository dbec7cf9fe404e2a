// DPoP (RFC 9449): proofs at the token endpoint (§4.3, §5), DPoP-bound access tokens (§6), bound
// refresh tokens of public clients (§5), dpop_jkt (§10), userinfo as a protected resource (§7),
// introspection (§6.2) and metadata (§5.1). Driven by oauth4webapi and openid-client, which implement
// the client side, and by hand-made proofs for everything a client library would never send.
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { calculateJwkThumbprint, decodeJwt, exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import * as oauth from 'oauth4webapi';
import * as client from 'openid-client';
import { databases } from '../helpers/databases.js';
import { codeFor, redirectUriOf, type Code, type UserClient } from '../helpers/flows.js';
import { testRealm } from '../helpers/realm.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { pkcePair, UserAgent } from '../helpers/user-agent.js';

interface KeyPair { publicKey: CryptoKey; privateKey: CryptoKey }

const insecure = { [oauth.allowInsecureRequests]: true } as const;
const service = { id: 'service', secret: 'service-secret' };
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

/**
 * The test realm, plus a client that registered dpop_bound_access_tokens, a realm requiring DPoP of
 * public clients and a realm requiring server-provided nonces.
 */
function dpopRealm() {
  const file = testRealm();
  (file.realms[0]!.clients as unknown[]).push({
    client_id: 'bound-service', client_secret: 'bound-secret', grant_types: ['client_credentials'], scope: 'api:read', dpop_bound_access_tokens: true,
  });
  (file.realms as unknown[]).push({
    name: 'strict', dpop_required_for_public_clients: true,
    clients: [{ client_id: 'strict-spa', redirect_uris: ['http://127.0.0.1:5173/callback'], token_endpoint_auth_method: 'none', scope: 'openid' }],
  }, {
    name: 'nonce', dpop_nonce_required: true,
    clients: [{ client_id: 'nonce-service', client_secret: 'nonce-secret', grant_types: ['client_credentials'], scope: 'api:read' }],
  });
  return file;
}

async function keyPair(alg = 'ES256'): Promise<KeyPair> {
  return generateKeyPair(alg, { extractable: true });
}

async function thumbprint(keys: KeyPair): Promise<string> {
  return calculateJwkThumbprint(await exportJWK(keys.publicKey));
}

/** A proof made by hand, correct unless the overrides say otherwise. */
async function proof(
  keys: KeyPair, claims: Record<string, unknown>, header: Record<string, unknown> = {}, signingKey: CryptoKey | Uint8Array = keys.privateKey,
): Promise<string> {
  return new SignJWT({ jti: randomUUID(), iat: Math.floor(Date.now() / 1000), ...claims })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: await exportJWK(keys.publicKey), ...header })
    .sign(signingKey);
}

for (const database of databases) {
  describe(`DPoP (${database})`, () => {
    let server: TestServer;
    let as: oauth.AuthorizationServer;
    before(async () => {
      server = await startServer(database, dpopRealm());
      const issuer = new URL(server.issuer());
      as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, insecure));
    });
    after(async () => { await server?.close(); });

    const tokenEndpoint = () => `${server.issuer()}/protocol/openid-connect/token`;
    const userinfoEndpoint = () => `${server.issuer()}/protocol/openid-connect/userinfo`;

    /** A client_credentials request for `service` with the given DPoP header(s). */
    const serviceToken = async (dpop?: string | string[], auth = service) => {
      const headers = new Headers({ 'content-type': 'application/x-www-form-urlencoded', authorization: basic(auth.id, auth.secret) });
      for (const value of typeof dpop === 'string' ? [dpop] : dpop ?? []) headers.append('DPoP', value);
      const response = await fetch(tokenEndpoint(), { method: 'POST', headers, body: 'grant_type=client_credentials&scope=api%3Aread' });
      return { status: response.status, body: await response.json() as Record<string, any> };
    };
    /** fetch folds repeated headers into one line; node:http sends each value on its own line. */
    const twoHeaderLines = (values: string[]) => new Promise<{ status: number; body: Record<string, any> }>((resolve, reject) => {
      const body = 'grant_type=client_credentials';
      const sent = httpRequest(tokenEndpoint(), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': body.length, authorization: basic(service.id, service.secret), DPoP: values },
      }, (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => { text += chunk.toString(); });
        response.on('end', () => resolve({ status: response.statusCode!, body: JSON.parse(text) as Record<string, any> }));
      });
      sent.on('error', reject);
      sent.end(body);
    });
    const refused = (response: { status: number; body: Record<string, any> }, because: string) => {
      assert.equal(response.status, 400, `${because}: ${JSON.stringify(response.body)}`);
      assert.equal(response.body.error, 'invalid_dpop_proof', because);
      assert.equal(response.body.access_token, undefined);
    };
    const post = { htm: 'POST' };
    const atTokenEndpoint = () => ({ ...post, htu: tokenEndpoint() });

    /** Runs the code flow for `name`, and redeems the code with oauth4webapi under `dpop` (if any). */
    const codeFlow = async (name: UserClient, dpop?: oauth.DPoPHandle, params: Record<string, string> = {}) => {
      const code = await codeFor(server, new UserAgent(server.url), { client: name, scope: 'openid profile', params });
      return { code, response: await redeem(name, code, dpop) };
    };
    const redeem = async (name: UserClient, code: Code, dpop?: oauth.DPoPHandle) => {
      const rp: oauth.Client = { client_id: name };
      const params = oauth.validateAuthResponse(as, rp, code.callback, code.state);
      return oauth.authorizationCodeGrantRequest(as, rp, clientAuth(name), params, code.redirectUri, code.verifier!, { ...insecure, DPoP: dpop });
    };
    const clientAuth = (name: UserClient) =>
      name === 'spa' ? oauth.None() : name === 'trusted' ? oauth.ClientSecretPost('trusted-secret') : oauth.ClientSecretBasic(`${name}-secret`);
    const refresh = (name: UserClient, refreshToken: string, dpop?: oauth.DPoPHandle) =>
      oauth.refreshTokenGrantRequest(as, { client_id: name }, clientAuth(name), refreshToken, { ...insecure, DPoP: dpop });
    const errorOf = async (response: Response) => ({ status: response.status, body: await response.json() as Record<string, any> });

    test('DPOP-17, DISC-13: the metadata advertises the asymmetric DPoP algorithms, and no none or HMAC', () => {
      const algs = as.dpop_signing_alg_values_supported ?? [];
      for (const alg of ['ES256', 'EdDSA', 'RS256', 'PS256']) assert.ok(algs.includes(alg), `${alg} is advertised`);
      assert.ok(!algs.some((alg) => alg === 'none' || alg.startsWith('HS')), algs.join(' '));
    });

    test('DPOP-01, CORE-16: client_credentials with a DPoP proof answers token_type DPoP and binds the JWT to the key (cnf.jkt)', async () => {
      const keys = await keyPair();
      const rp: oauth.Client = { client_id: 'service' };
      const DPoP = oauth.DPoP(rp, keys);
      const response = await oauth.clientCredentialsGrantRequest(as, rp, oauth.ClientSecretBasic('service-secret'), { scope: 'api:read' }, { ...insecure, DPoP });
      const result = await oauth.processClientCredentialsResponse(as, rp, response);
      assert.equal(result.token_type, 'dpop');
      assert.deepEqual(decodeJwt(result.access_token).cnf, { jkt: await thumbprint(keys) });
    });

    test('DPOP-01: openid-client\'s DPoP handle gets a DPoP-bound token; without a proof the token stays a bearer token', async () => {
      const config = await client.discovery(new URL(server.issuer()), 'service', undefined, client.ClientSecretBasic('service-secret'), { execute: [client.allowInsecureRequests] });
      const keys = await client.randomDPoPKeyPair('EdDSA');
      const bound = await client.clientCredentialsGrant(config, { scope: 'api:read' }, { DPoP: client.getDPoPHandle(config, keys) });
      assert.equal(bound.token_type, 'dpop');
      assert.deepEqual(decodeJwt(bound.access_token).cnf, { jkt: await calculateJwkThumbprint(await exportJWK(keys.publicKey)) });
      const plain = await client.clientCredentialsGrant(config, { scope: 'api:read' });
      assert.equal(plain.token_type, 'bearer');
      assert.equal(decodeJwt(plain.access_token).cnf, undefined);
    });

    test('DPOP-01, DPOP-15, DPOP-14: a code flow under DPoP gives a bound token that userinfo honours with a proof, and introspection shows cnf.jkt', async () => {
      const keys = await keyPair();
      const rp: oauth.Client = { client_id: 'web' };
      const DPoP = oauth.DPoP(rp, keys);
      const { response } = await codeFlow('web', DPoP);
      const tokens = await oauth.processAuthorizationCodeResponse(as, rp, response);
      assert.equal(tokens.token_type, 'dpop');
      const jkt = await thumbprint(keys);
      assert.deepEqual(decodeJwt(tokens.access_token).cnf, { jkt });

      const info = await oauth.userInfoRequest(as, rp, tokens.access_token, { ...insecure, DPoP });
      assert.equal(info.status, 200);
      const claims = await oauth.processUserInfoResponse(as, rp, oauth.skipSubjectCheck, info);
      assert.equal(claims.preferred_username, 'alice');

      const introspection = await fetch(`${server.issuer()}/protocol/openid-connect/token/introspect`, {
        method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(service.id, service.secret) },
        body: new URLSearchParams({ token: tokens.access_token }),
      });
      const described = await introspection.json() as Record<string, unknown>;
      assert.equal(described.active, true);
      assert.equal(described.token_type, 'DPoP');
      assert.deepEqual(described.cnf, { jkt });
    });

    describe('userinfo with a DPoP-bound token', () => {
      let keys: KeyPair;
      let accessToken: string;
      before(async () => {
        keys = await keyPair();
        const { response } = await codeFlow('web', oauth.DPoP({}, keys));
        accessToken = (await response.json() as { access_token: string }).access_token;
      });
      const ath = () => createHash('sha256').update(accessToken).digest('base64url');
      const call = async (authorization: string, dpop?: string) => {
        const response = await fetch(userinfoEndpoint(), { headers: { authorization, ...(dpop ? { dpop } : {}) } });
        return { status: response.status, challenge: response.headers.get('www-authenticate') ?? '' };
      };

      test('DPOP-15: with the DPoP scheme and a proof carrying ath, userinfo answers', async () => {
        const answer = await call(`DPoP ${accessToken}`, await proof(keys, { htm: 'GET', htu: userinfoEndpoint(), ath: ath() }));
        assert.equal(answer.status, 200, answer.challenge);
      });

      test('DPOP-16: the bound token sent as a Bearer token is refused with invalid_token in a DPoP challenge', async () => {
        const answer = await call(`Bearer ${accessToken}`);
        assert.equal(answer.status, 401);
        assert.match(answer.challenge, /^DPoP /);
        assert.match(answer.challenge, /error="invalid_token"/);
        assert.match(answer.challenge, /algs="[^"]*ES256/);
      });

      test('DPOP-15: the DPoP scheme without any proof is refused with invalid_dpop_proof', async () => {
        const answer = await call(`DPoP ${accessToken}`);
        assert.equal(answer.status, 401);
        assert.match(answer.challenge, /^DPoP .*error="invalid_dpop_proof"/);
      });

      test('DPOP-15: a proof without ath, or with the ath of another token, is refused', async () => {
        const missing = await call(`DPoP ${accessToken}`, await proof(keys, { htm: 'GET', htu: userinfoEndpoint() }));
        assert.equal(missing.status, 401);
        assert.match(missing.challenge, /error="invalid_dpop_proof"/);
        const other = await call(`DPoP ${accessToken}`, await proof(keys, { htm: 'GET', htu: userinfoEndpoint(), ath: createHash('sha256').update('another').digest('base64url') }));
        assert.equal(other.status, 401);
        assert.match(other.challenge, /error="invalid_dpop_proof"/);
      });

      test('DPOP-15: a valid proof made with another key than the token is bound to is refused with invalid_token', async () => {
        const answer = await call(`DPoP ${accessToken}`, await proof(await keyPair(), { htm: 'GET', htu: userinfoEndpoint(), ath: ath() }));
        assert.equal(answer.status, 401);
        assert.match(answer.challenge, /^DPoP .*error="invalid_token"/);
      });

      test('DPOP-06: a proof made for the token endpoint or for POST is refused at GET userinfo', async () => {
        const elsewhere = await call(`DPoP ${accessToken}`, await proof(keys, { htm: 'GET', htu: tokenEndpoint(), ath: ath() }));
        assert.equal(elsewhere.status, 401);
        assert.match(elsewhere.challenge, /error="invalid_dpop_proof"/);
        const method = await call(`DPoP ${accessToken}`, await proof(keys, { htm: 'POST', htu: userinfoEndpoint(), ath: ath() }));
        assert.equal(method.status, 401);
        assert.match(method.challenge, /error="invalid_dpop_proof"/);
      });

      test('DPOP-17: a userinfo proof is accepted once', async () => {
        const once = await proof(keys, { htm: 'GET', htu: userinfoEndpoint(), ath: ath() });
        assert.equal((await call(`DPoP ${accessToken}`, once)).status, 200);
        const again = await call(`DPoP ${accessToken}`, once);
        assert.equal(again.status, 401);
        assert.match(again.challenge, /error="invalid_dpop_proof"/);
      });

      test('a bearer token sent with the DPoP scheme is refused, and sent as Bearer still works', async () => {
        const plain = (await codeFlow('trusted')).response;
        const bearer = (await plain.json() as { access_token: string }).access_token;
        const wrongScheme = await call(`DPoP ${bearer}`, await proof(keys, { htm: 'GET', htu: userinfoEndpoint(), ath: createHash('sha256').update(bearer).digest('base64url') }));
        assert.equal(wrongScheme.status, 401);
        assert.match(wrongScheme.challenge, /error="invalid_token"/);
        assert.equal((await call(`Bearer ${bearer}`)).status, 200);
      });
    });

    test('DPOP-09, BCP-09: a public client\'s refresh token is bound to its DPoP key; another key or no proof is invalid_grant, the right key refreshes', async () => {
      const keys = await keyPair();
      const rp: oauth.Client = { client_id: 'spa' };
      const DPoP = oauth.DPoP(rp, keys);
      const tokens = await oauth.processAuthorizationCodeResponse(as, rp, (await codeFlow('spa', DPoP)).response);
      assert.ok(tokens.refresh_token);

      const otherKey = await errorOf(await refresh('spa', tokens.refresh_token, oauth.DPoP(rp, await keyPair())));
      assert.equal(otherKey.status, 400);
      assert.equal(otherKey.body.error, 'invalid_grant');
      const noProof = await errorOf(await refresh('spa', tokens.refresh_token));
      assert.equal(noProof.status, 400);
      assert.equal(noProof.body.error, 'invalid_grant');

      // The failed attempts did not use the token up: its holder still refreshes, and stays bound.
      const refreshed = await oauth.processRefreshTokenResponse(as, rp, await refresh('spa', tokens.refresh_token, DPoP));
      assert.equal(refreshed.token_type, 'dpop');
      assert.deepEqual(decodeJwt(refreshed.access_token).cnf, { jkt: await thumbprint(keys) });
      const stolen = await errorOf(await refresh('spa', refreshed.refresh_token!, oauth.DPoP(rp, await keyPair())));
      assert.equal(stolen.body.error, 'invalid_grant');
    });

    test('DPOP-09: a confidential client\'s refresh token is not bound to the key (client authentication binds it), each access token is', async () => {
      const rp: oauth.Client = { client_id: 'web' };
      const tokens = await oauth.processAuthorizationCodeResponse(as, rp, (await codeFlow('web', oauth.DPoP(rp, await keyPair()))).response);
      const newKey = await keyPair();
      const refreshed = await oauth.processRefreshTokenResponse(as, rp, await refresh('web', tokens.refresh_token!, oauth.DPoP(rp, newKey)));
      assert.deepEqual(decodeJwt(refreshed.access_token).cnf, { jkt: await thumbprint(newKey) });
    });

    test('DPOP-11: a code requested with dpop_jkt is refused with invalid_grant for another key or no proof, and redeemed with the right key', async () => {
      const keys = await keyPair();
      const rp: oauth.Client = { client_id: 'spa' };
      const DPoP = oauth.DPoP(rp, keys);
      const code = await codeFor(server, new UserAgent(server.url), { client: 'spa', scope: 'openid', params: { dpop_jkt: await DPoP.calculateThumbprint() } });

      const otherKey = await errorOf(await redeem('spa', code, oauth.DPoP(rp, await keyPair())));
      assert.equal(otherKey.status, 400);
      assert.equal(otherKey.body.error, 'invalid_grant');
      const noProof = await errorOf(await redeem('spa', code));
      assert.equal(noProof.body.error, 'invalid_grant');

      const tokens = await oauth.processAuthorizationCodeResponse(as, rp, await redeem('spa', code, DPoP));
      assert.deepEqual(decodeJwt(tokens.access_token).cnf, { jkt: await thumbprint(keys) });
    });

    /** Pushes a code request for `spa` (PKCE, state-1) with `dpop` and extra parameters; returns the code and the verifier. */
    const pushedCode = async (dpop: oauth.DPoPHandle, params: Record<string, string> = {}) => {
      const rp: oauth.Client = { client_id: 'spa' };
      const { verifier, challenge } = pkcePair();
      const response = await oauth.pushedAuthorizationRequest(as, rp, oauth.None(), {
        redirect_uri: redirectUriOf.spa, response_type: 'code', scope: 'openid', state: 'state-1',
        code_challenge: challenge, code_challenge_method: 'S256', ...params,
      }, { ...insecure, DPoP: dpop });
      if (!response.ok) return { error: await errorOf(response) };
      const { request_uri } = await oauth.processPushedAuthorizationResponse(as, rp, response);
      const code = await codeFor(server, new UserAgent(server.url), { client: 'spa', scope: 'openid', pkce: false, params: { request_uri } });
      return { code: { ...code, verifier } };
    };

    test('DPOP-12: a DPoP proof sent with a pushed request binds the code to that key: another key is invalid_grant, the same key redeems', async () => {
      const rp: oauth.Client = { client_id: 'spa' };
      const keys = await keyPair();
      const { code } = await pushedCode(oauth.DPoP(rp, keys));
      assert.ok(code);
      const otherKey = await errorOf(await redeem('spa', code, oauth.DPoP(rp, await keyPair())));
      assert.equal(otherKey.status, 400);
      assert.equal(otherKey.body.error, 'invalid_grant');
      const tokens = await oauth.processAuthorizationCodeResponse(as, rp, await redeem('spa', code, oauth.DPoP(rp, keys)));
      assert.deepEqual(decodeJwt(tokens.access_token).cnf, { jkt: await thumbprint(keys) });
    });

    test('DPOP-13: a pushed request whose dpop_jkt names another key than its DPoP proof is refused with invalid_dpop_proof', async () => {
      const rp: oauth.Client = { client_id: 'spa' };
      const { error } = await pushedCode(oauth.DPoP(rp, await keyPair()), { dpop_jkt: await thumbprint(await keyPair()) });
      assert.equal(error?.status, 400);
      assert.equal(error?.body.error, 'invalid_dpop_proof');
    });

    test('a malformed dpop_jkt is refused at the authorization endpoint with invalid_request', async () => {
      const page = await new UserAgent(server.url).open(`${server.issuer()}/protocol/openid-connect/auth?${new URLSearchParams({
        client_id: 'spa', redirect_uri: 'http://127.0.0.1:5173/callback', response_type: 'code', scope: 'openid', state: 's',
        code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256', dpop_jkt: 'not-a-thumbprint',
      })}`);
      const params = new URL(page.location!).searchParams;
      assert.equal(params.get('error'), 'invalid_request');
    });

    test('DPOP-10: a client registered with dpop_bound_access_tokens is refused without a proof (invalid_request) and served with one', async () => {
      const without = await serviceToken(undefined, { id: 'bound-service', secret: 'bound-secret' });
      assert.equal(without.status, 400);
      assert.equal(without.body.error, 'invalid_request');
      const withProof = await serviceToken(await proof(await keyPair(), atTokenEndpoint()), { id: 'bound-service', secret: 'bound-secret' });
      assert.equal(withProof.status, 200, JSON.stringify(withProof.body));
      assert.equal(withProof.body.token_type, 'DPoP');
    });

    test('a realm with dpop_required_for_public_clients refuses a public client\'s token request without a proof', async () => {
      const request = async (dpop?: string) => {
        const response = await fetch(`${server.issuer('strict')}/protocol/openid-connect/token`, {
          method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...(dpop ? { dpop } : {}) },
          body: new URLSearchParams({ grant_type: 'authorization_code', client_id: 'strict-spa', code: 'unknown', redirect_uri: 'http://127.0.0.1:5173/callback', code_verifier: 'v'.repeat(43) }),
        });
        return { status: response.status, body: await response.json() as Record<string, any> };
      };
      const without = await request();
      assert.equal(without.body.error, 'invalid_request');
      // With a proof the request gets as far as the code, which is unknown.
      const withProof = await request(await proof(await keyPair(), { htm: 'POST', htu: `${server.issuer('strict')}/protocol/openid-connect/token` }));
      assert.equal(withProof.body.error, 'invalid_grant');
    });

    test('DPOP-02, DPOP-17: a replayed proof (same jti) is refused with invalid_dpop_proof', async () => {
      const once = await proof(await keyPair(), atTokenEndpoint());
      assert.equal((await serviceToken(once)).status, 200);
      refused(await serviceToken(once), 'the same proof again');
    });

    test('DPOP-06: htm other than POST, or htu of another endpoint, is refused', async () => {
      const keys = await keyPair();
      refused(await serviceToken(await proof(keys, { htm: 'GET', htu: tokenEndpoint() })), 'htm GET');
      refused(await serviceToken(await proof(keys, { htm: 'post', htu: tokenEndpoint() })), 'htm in lower case');
      refused(await serviceToken(await proof(keys, { ...post, htu: userinfoEndpoint() })), 'htu of userinfo');
      refused(await serviceToken(await proof(keys, { ...post, htu: `${server.issuer('strict')}/protocol/openid-connect/token` })), 'htu of another realm');
      refused(await serviceToken(await proof(keys, { ...post, htu: 'https://attacker.example/realms/demo/protocol/openid-connect/token' })), 'htu on another host');
    });

    test('DPOP-06: htu is compared without query and fragment and after scheme and host normalisation', async () => {
      const keys = await keyPair();
      const url = new URL(tokenEndpoint());
      const shouted = `${url.protocol.toUpperCase()}//${url.host.toUpperCase()}${url.pathname}?x=1#frag`;
      const response = await serviceToken(await proof(keys, { ...post, htu: shouted }));
      assert.equal(response.status, 200, JSON.stringify(response.body));
    });

    test('DPOP-04: proofs signed with RS256, PS256 and ES384 keys are accepted', async () => {
      for (const alg of ['RS256', 'PS256', 'ES384']) {
        const response = await serviceToken(await proof(await keyPair(alg), atTokenEndpoint(), { alg }));
        assert.equal(response.status, 200, `${alg}: ${JSON.stringify(response.body)}`);
        assert.equal(response.body.token_type, 'DPoP');
      }
    });

    test('DPOP-07: a proof whose iat is two minutes old or two minutes ahead is refused', async () => {
      const keys = await keyPair();
      const now = Math.floor(server.clock.now() / 1000);
      refused(await serviceToken(await proof(keys, { ...atTokenEndpoint(), iat: now - 120 })), 'stale iat');
      refused(await serviceToken(await proof(keys, { ...atTokenEndpoint(), iat: now + 120 })), 'future iat');
    });

    test('DPOP-04: typ other than dpop+jwt, an HMAC alg, or alg none is refused', async () => {
      const keys = await keyPair();
      refused(await serviceToken(await proof(keys, atTokenEndpoint(), { typ: 'JWT' })), 'typ JWT');
      const secret = new TextEncoder().encode('a shared secret that is thirty-two bytes long');
      refused(await serviceToken(await proof(keys, atTokenEndpoint(), { alg: 'HS256' }, secret)), 'HS256 with the public jwk');
      refused(await serviceToken(await proof(keys, atTokenEndpoint(), { alg: 'HS256', jwk: { kty: 'oct', k: Buffer.from(secret).toString('base64url') } }, secret)), 'HS256 with an oct jwk');
      const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
      const unsigned = `${encode({ alg: 'none', typ: 'dpop+jwt', jwk: await exportJWK(keys.publicKey) })}.${encode({ jti: randomUUID(), iat: Math.floor(Date.now() / 1000), ...atTokenEndpoint() })}.`;
      refused(await serviceToken(unsigned), 'alg none');
    });

    test('DPOP-05: a jwk holding the private key, or a signature by another key than the jwk, is refused', async () => {
      const keys = await keyPair();
      refused(await serviceToken(await proof(keys, atTokenEndpoint(), { jwk: await exportJWK(keys.privateKey) })), 'private jwk');
      refused(await serviceToken(await proof(keys, atTokenEndpoint(), {}, (await keyPair()).privateKey)), 'signed by another key');
    });

    test('DPOP-02: malformed proofs of every shape are 400 invalid_dpop_proof, never a server error', async () => {
      const keys = await keyPair();
      const encode = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
      const jwk = await exportJWK(keys.publicKey);
      const shapes = [
        'a.b.c', `${encode('not json')}.${encode({})}.c2ln`, `${encode([1])}.${encode({})}.c2ln`,
        `${encode({ alg: 'ES256', typ: 'dpop+jwt', jwk: {} })}.${encode({})}.c2ln`,
        `${encode({ alg: 'ES256', typ: 'dpop+jwt', jwk: 'key' })}.${encode({})}.c2ln`,
        `${encode({ alg: 'ES256', typ: 'dpop+jwt', jwk: { ...jwk, x: 42 } })}.${encode({ jti: 'x' })}.c2ln`,
        `${encode({ alg: 'EdDSA', typ: 'dpop+jwt', jwk })}.${encode({ jti: 'x' })}.c2ln`,
        await proof(keys, { ...atTokenEndpoint(), iat: 'now' }),
        await proof(keys, { ...atTokenEndpoint(), htu: 'not a url' }),
        await proof(keys, { ...atTokenEndpoint(), jti: 42 }),
        await proof(keys, { ...atTokenEndpoint(), jti: 'j'.repeat(300) }),
      ];
      for (const shape of shapes) refused(await serviceToken(shape), shape.slice(0, 60));
    });

    test('DPOP-03: two DPoP headers, a header that is no JWT, or a proof missing jti, htm, htu or iat is refused', async () => {
      const keys = await keyPair();
      refused(await serviceToken([await proof(keys, atTokenEndpoint()), await proof(keys, atTokenEndpoint())]), 'two DPoP values in one header');
      refused(await twoHeaderLines([await proof(keys, atTokenEndpoint()), await proof(keys, atTokenEndpoint())]), 'two DPoP header lines');
      refused(await serviceToken('not-a-jwt'), 'not a JWT');
      for (const claim of ['jti', 'htm', 'htu', 'iat']) {
        refused(await serviceToken(await proof(keys, { ...atTokenEndpoint(), [claim]: undefined })), `no ${claim}`);
      }
    });

    describe('server-provided nonces (dpop_nonce_required)', () => {
      const nonceToken = () => `${server.issuer('nonce')}/protocol/openid-connect/token`;
      const nonceUserinfo = () => `${server.issuer('nonce')}/protocol/openid-connect/userinfo`;
      const request = async (dpop: string) => {
        const response = await fetch(nonceToken(), {
          method: 'POST', body: 'grant_type=client_credentials',
          headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic('nonce-service', 'nonce-secret'), dpop },
        });
        return { status: response.status, nonce: response.headers.get('dpop-nonce'), body: await response.json() as Record<string, any> };
      };
      const nowSeconds = () => Math.floor(server.clock.now() / 1000);

      test('DPOP-08: oauth4webapi is told to use a nonce (use_dpop_nonce), retries with it and gets a bound token', async () => {
        const issuer = new URL(server.issuer('nonce'));
        const nonceAs = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, insecure));
        const rp: oauth.Client = { client_id: 'nonce-service' };
        const DPoP = oauth.DPoP(rp, await keyPair());
        const grant = async () => oauth.processClientCredentialsResponse(nonceAs, rp,
          await oauth.clientCredentialsGrantRequest(nonceAs, rp, oauth.ClientSecretBasic('nonce-secret'), {}, { ...insecure, DPoP }));
        await assert.rejects(grant(), (error) => oauth.isDPoPNonceError(error));
        const result = await grant();
        assert.equal(result.token_type, 'dpop');
      });

      test('DPOP-08: a proof without a nonce, with a forged one, or with an expired one gets 400 use_dpop_nonce and one fresh DPoP-Nonce', async () => {
        const keys = await keyPair();
        const claims = () => ({ htm: 'POST', htu: nonceToken(), iat: nowSeconds() });
        const first = await request(await proof(keys, claims()));
        assert.equal(first.status, 400);
        assert.equal(first.body.error, 'use_dpop_nonce');
        assert.match(first.nonce ?? '', /^[^,\s]+$/, 'exactly one nonce');

        const forged = `${first.nonce!.split('.')[0]}.${'A'.repeat(43)}`;
        assert.equal((await request(await proof(keys, { ...claims(), nonce: forged }))).body.error, 'use_dpop_nonce');

        const accepted = await request(await proof(keys, { ...claims(), nonce: first.nonce }));
        assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
        server.clock.advance(11 * 60);
        try {
          const expired = await request(await proof(keys, { ...claims(), nonce: first.nonce }));
          assert.equal(expired.body.error, 'use_dpop_nonce');
          assert.notEqual(expired.nonce, first.nonce);
        } finally {
          server.clock.advance(-11 * 60);
        }
      });

      test('DPOP-08: userinfo asks for a nonce with 401 and error="use_dpop_nonce", then takes the proof that carries it', async () => {
        const keys = await keyPair();
        const issued = await request(await proof(keys, { htm: 'POST', htu: nonceToken(), iat: nowSeconds(), nonce: (await request(await proof(keys, { htm: 'POST', htu: nonceToken() }))).nonce }));
        assert.equal(issued.status, 200, JSON.stringify(issued.body));
        const accessToken = issued.body.access_token as string;
        const ath = createHash('sha256').update(accessToken).digest('base64url');
        const call = async (dpop: string) => fetch(nonceUserinfo(), { headers: { authorization: `DPoP ${accessToken}`, dpop } });
        const asked = await call(await proof(keys, { htm: 'GET', htu: nonceUserinfo(), ath }));
        assert.equal(asked.status, 401);
        assert.match(asked.headers.get('www-authenticate') ?? '', /^DPoP .*error="use_dpop_nonce"/);
        const nonce = asked.headers.get('dpop-nonce');
        assert.ok(nonce);
        // The proof now passes; the client_credentials token has no openid scope, which is what userinfo then says.
        const answered = await call(await proof(keys, { htm: 'GET', htu: nonceUserinfo(), ath, nonce }));
        assert.equal(answered.status, 403);
        assert.match(answered.headers.get('www-authenticate') ?? '', /error="insufficient_scope"/);
      });
    });
  });

  describe(`DPoP behind https://login.example.com (${database})`, () => {
    let server: TestServer;
    before(async () => { server = await startServer(database, testRealm(), { publicUrl: 'https://login.example.com' }); });
    after(async () => { await server?.close(); });

    test('DPOP-06: htu must be the token endpoint at STRIX_PUBLIC_URL, not at the address (Host) the request was sent to', async () => {
      const keys = await keyPair();
      const send = async (htu: string) => {
        const response = await fetch(`${server.issuer()}/protocol/openid-connect/token`, {
          method: 'POST', body: 'grant_type=client_credentials',
          headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(service.id, service.secret), dpop: await proof(keys, { htm: 'POST', htu }) },
        });
        return { status: response.status, body: await response.json() as Record<string, any> };
      };
      const public_ = await send('https://login.example.com/realms/demo/protocol/openid-connect/token');
      assert.equal(public_.status, 200, JSON.stringify(public_.body));
      const local = await send(`${server.issuer()}/protocol/openid-connect/token`);
      assert.equal(local.status, 400);
      assert.equal(local.body.error, 'invalid_dpop_proof');
    });
  });
}
