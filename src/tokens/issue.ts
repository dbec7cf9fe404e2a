// Token builders: RFC 9068 JWT access tokens and OIDC Core §2 ID tokens (at_hash §3.1.3.6, c_hash §3.3.2.11).
import { createHash } from 'node:crypto';
import { randomToken, seconds } from '../runtime.js';
import type { Client } from '../store/clients.js';
import type { Grant } from '../store/grants.js';
import type { Realm, SigningAlg } from '../store/realms.js';
import type { User } from '../store/users.js';
import { signJwt } from './jws.js';
import type { Keystore } from './keystore.js';
import { keycloakAccessTokenClaims, keycloakIdTokenClaims } from './keycloak-claims.js';
import { mergeClaims } from './mappers.js';

export interface IssueContext { issuer: string; realm: Realm; keystore: Keystore; now: number }

export function accessTokenLifetime(realm: Realm, client: Client): number {
  return client.metadata.access_token_lifetime ?? realm.settings.access_token_lifetime;
}

export async function signAccessToken(
  ctx: IssueContext,
  p: {
    client: Client; grant?: Grant; user?: User; scope: string;
    /** The resource servers (RFC 8707) or clients the token is for; the client itself when empty or absent. */
    audience?: string[];
    /** RFC 8693 §4.1: who acts for the subject (delegation). */
    act?: Record<string, unknown>;
    /** `sub`: the user as this client knows them (public or pairwise), or a client's id for a client's own token. */
    subject: string;
    /** Seconds, when shorter than the client's access token lifetime (an exchanged token never outlives its subject). */
    lifetime?: number;
    /** RFC 9449: the JWK thumbprint of the DPoP key the token is bound to (cnf.jkt). */
    dpopJkt?: string;
    /** Claims from mappers and the token hook (src/tokens/custom-claims.ts); they never override registered ones. */
    customClaims?: Record<string, unknown>;
    /** Audiences added by audience mappers, besides `audience` (or the client_id). */
    extraAudiences?: string[];
  },
): Promise<{ accessToken: string; expiresIn: number }> {
  const alg = p.client.metadata.access_token_signed_response_alg ?? ctx.realm.settings.access_token_signing_alg;
  const key = await ctx.keystore.signingKey(ctx.realm.name, alg);
  const expiresIn = Math.min(accessTokenLifetime(ctx.realm, p.client), p.lifetime ?? Infinity);
  const iat = seconds(ctx.now);
  const claims: Record<string, unknown> = {
    client_id: p.client.clientId,
    scope: p.scope,
  };
  if (p.grant) claims.gid = p.grant.id;
  // RFC 9449 §6.1: bound to the DPoP key the token request proved.
  if (p.dpopJkt) claims.cnf = { jkt: p.dpopJkt };
  if (p.user && p.grant) {
    if (p.grant.authTime !== null) claims.auth_time = seconds(p.grant.authTime);
    if (p.grant.acr) claims.acr = p.grant.acr;
    if (p.grant.sessionId) claims.sid = p.grant.sessionId;
    if (p.grant.idp) claims.idp = p.grant.idp;
    claims.roles = p.user.roles;
    // Client roles, {"<client_id>": ["editor"]}, every client's (docs/tokens.md); absent when the user holds none.
    if (Object.keys(p.user.clientRoles).length > 0) claims.client_roles = p.user.clientRoles;
  }
  if (p.act) claims.act = p.act;
  if (ctx.realm.settings.token_claims === 'keycloak') Object.assign(claims, keycloakAccessTokenClaims(p));
  const audience = [...new Set([...(p.audience?.length ? p.audience : [p.client.clientId]), ...p.extraAudiences ?? []])];
  const accessToken = await signJwt({
    ...mergeClaims(claims, p.customClaims ?? {}),
    iss: ctx.issuer, sub: p.subject, aud: audience.length === 1 ? audience[0]! : audience,
    iat, exp: iat + expiresIn, jti: randomToken(16),
  }, { alg, kid: key.kid, typ: 'at+jwt' }, key.key);
  return { accessToken, expiresIn };
}

export async function signIdToken(
  ctx: IssueContext,
  p: { client: Client; grant: Grant; user?: User; subject: string; accessToken?: string; code?: string; extraClaims?: Record<string, unknown> },
): Promise<string> {
  const alg = p.client.metadata.id_token_signed_response_alg ?? ctx.realm.settings.id_token_signing_alg;
  const key = await ctx.keystore.signingKey(ctx.realm.name, alg);
  const iat = seconds(ctx.now);
  const claims: Record<string, unknown> = { ...p.extraClaims, azp: p.client.clientId };
  if (ctx.realm.settings.token_claims === 'keycloak') Object.assign(claims, keycloakIdTokenClaims(p));
  if (p.grant.authTime !== null) claims.auth_time = seconds(p.grant.authTime);
  if (p.grant.nonce) claims.nonce = p.grant.nonce;
  if (p.grant.acr) claims.acr = p.grant.acr;
  if (p.grant.amr.length > 0) claims.amr = p.grant.amr;
  if (p.grant.sessionId) claims.sid = p.grant.sessionId;
  if (p.grant.idp) claims.idp = p.grant.idp;
  if (p.accessToken) claims.at_hash = leftHalfHash(p.accessToken, alg);
  if (p.code) claims.c_hash = leftHalfHash(p.code, alg);
  return signJwt({
    ...claims, iss: ctx.issuer, sub: p.subject, aud: p.client.clientId,
    iat, exp: iat + (p.client.metadata.id_token_lifetime ?? ctx.realm.settings.id_token_lifetime),
  }, { alg, kid: key.kid, typ: 'JWT' }, key.key);
}

/** Userinfo as a signed JWT (OIDC Core §5.3.2), for clients that registered userinfo_signed_response_alg. */
export async function signUserinfo(ctx: IssueContext, p: { client: Client; alg: SigningAlg; claims: Record<string, unknown> }): Promise<string> {
  const key = await ctx.keystore.signingKey(ctx.realm.name, p.alg);
  return signJwt({ ...p.claims, iss: ctx.issuer, aud: p.client.clientId, iat: seconds(ctx.now) }, { alg: p.alg, kid: key.kid, typ: 'JWT' }, key.key);
}

/** A logout token (OIDC Back-Channel Logout 1.0 §2.4): typ logout+jwt, the event, sub (as the client knows it) and sid, never a nonce. */
export async function signLogoutToken(ctx: IssueContext, p: { client: Client; subject: string; sessionId: string }): Promise<string> {
  const alg = p.client.metadata.id_token_signed_response_alg ?? ctx.realm.settings.id_token_signing_alg;
  const key = await ctx.keystore.signingKey(ctx.realm.name, alg);
  const iat = seconds(ctx.now);
  return signJwt({
    iss: ctx.issuer, sub: p.subject, aud: p.client.clientId, iat, exp: iat + 120, jti: randomToken(16),
    sid: p.sessionId, events: { 'http://schemas.openid.net/event/backchannel-logout': {} },
  }, { alg, kid: key.kid, typ: 'logout+jwt' }, key.key);
}

/** at_hash / c_hash: base64url of the left half of the hash the signing algorithm uses. */
export function leftHalfHash(value: string, alg: SigningAlg): string {
  const digest = createHash(alg === 'EdDSA' ? 'sha512' : 'sha256').update(value, 'ascii').digest();
  return digest.subarray(0, digest.length / 2).toString('base64url');
}
