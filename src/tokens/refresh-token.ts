// Refresh tokens shaped as JWTs the way Keycloak's are (payload `typ` "Refresh" or "Offline"), so that
// keycloak-js, which decodes the refresh token it holds, works unchanged. The shape is for reading
// only: Strix never trusts what a refresh token says. The store keeps the hash of the whole token
// (src/store/refresh-tokens.ts); a token is honoured only if its exact text was issued, unused and
// unexpired there, so changing a claim (a later `exp`) or forging a signature makes it unknown.
import { randomToken, seconds } from '../runtime.js';
import type { Client } from '../store/clients.js';
import type { Grant } from '../store/grants.js';
import type { SigningAlg } from '../store/realms.js';
import { signJwt } from './jws.js';
import type { IssueContext } from './issue.js';

/**
 * Nobody but Strix needs to verify a refresh token, so it is signed with the realm's cheapest key
 * to make (ES256 signs several times faster than RS256), whatever the realm signs access tokens with.
 */
const refreshTokenAlg: SigningAlg = 'ES256';

/**
 * Its own header `typ`, so that no verifier of Strix's access tokens (`at+jwt`) or ID tokens (`JWT`)
 * can take a refresh token for one; `aud` is the issuer, as in Keycloak's, not a client or an API.
 */
const refreshTokenTyp = 'refresh+jwt';

export async function signRefreshToken(ctx: IssueContext, p: { client: Client; grant: Grant; expiresAt: number }): Promise<string> {
  const key = await ctx.keystore.signingKey(ctx.realm.name, refreshTokenAlg);
  const claims: Record<string, unknown> = {
    iss: ctx.issuer, aud: ctx.issuer, azp: p.client.clientId, typ: p.grant.offline ? 'Offline' : 'Refresh',
    iat: seconds(ctx.now), exp: seconds(p.expiresAt), scope: p.grant.scope,
    // 256 random bits: the token's text cannot be guessed even by someone holding the signing key.
    jti: randomToken(),
  };
  if (p.grant.sessionId) claims.sid = p.grant.sessionId;
  return signJwt(claims, { alg: refreshTokenAlg, kid: key.kid, typ: refreshTokenTyp }, key.key);
}
