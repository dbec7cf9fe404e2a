// The shape every grant type shares; the token endpoint owns authentication and dispatch.
import type { Logger } from 'pino';
import type { Params } from '../../http/params.js';
import type { Client } from '../../store/clients.js';
import type { Grant } from '../../store/grants.js';
import type { VerifiedProof } from '../dpop.js';
import type { Realm } from '../../store/realms.js';
import type { User } from '../../store/users.js';
import { claimsNamed, requestedClaimNames } from '../../tokens/claims.js';
import { mintTokens, type MintDeps, type Minting } from '../../tokens/mint.js';

/** Where a token request came from: the address brute-force counters use, and its logger. */
export interface RequestOrigin { ip: string; log: Pick<Logger, 'warn' | 'info'> }

/** What every grant uses: minting tokens (tokensForUser, minting). A grant adds its own: `GrantType<Needs<…> & GrantDeps>`. */
export type GrantDeps = MintDeps;

export interface GrantContext<D extends GrantDeps = GrantDeps> {
  s: D; realm: Realm; issuer: string; client: Client; params: Params; now: number; origin: RequestOrigin;
  /** The request's checked DPoP proof (RFC 9449 §5), if it sent one: the tokens are then bound to its key. */
  dpop?: VerifiedProof;
  /** Set by the grant: whom the tokens were issued for, for the `token_issued` audit event. */
  issuedFor?: { userId: string | null; sessionId: string | null };
}

/** RFC 9449 §5: `DPoP` when the access token is bound to a key, else `Bearer` (RFC 6750). */
export const tokenType = (ctx: Pick<GrantContext, 'dpop'>): TokenResponse['token_type'] => ctx.dpop ? 'DPoP' : 'Bearer';

export interface TokenResponse {
  access_token: string;
  /** DPoP for key-bound access tokens (RFC 9449); N_A: a token exchange issued something other than an access token (RFC 8693 §2.2.1). */
  token_type: 'Bearer' | 'DPoP' | 'N_A';
  expires_in: number;
  scope: string;
  id_token?: string;
  refresh_token?: string;
  /** RFC 8693 §2.2.1: the type of token a token exchange issued. */
  issued_token_type?: string;
}

/** A grant type's handler at the token endpoint (RFC 6749 §4); not the stored grant (src/store/grants.ts). */
export interface GrantType<D extends GrantDeps = GrantDeps> {
  type: string;
  handle(ctx: GrantContext<D>): Promise<TokenResponse>;
}

/**
 * Access token, ID token (with openid) and a new refresh token for a user's grant. The ID token
 * echoes the authorization request's nonce only when answering that request, not on refresh
 * (OIDC Core §12.2 errata: a refreshed ID token should carry no nonce).
 */
export async function tokensForUser(
  ctx: GrantContext, grant: Grant, user: User, scope: string[], idToken: 'authorization' | 'refresh', audience: string[] = [],
  /** The refresh token already issued in place of the one presented (refresh_token grant), if any. */
  rotated?: string,
): Promise<TokenResponse> {
  const withIdToken = scope.includes('openid');
  const refreshToken = rotated !== undefined ? { rotated }
    : ctx.client.metadata.grant_types.includes('refresh_token') ? nextRefreshToken(ctx, grant) : undefined;
  const minted = await mintTokens(minting(ctx), {
    grantType: ctx.params.grant_type ?? 'authorization_code', refusal: 'invalid_grant', user, scope,
    idTokenClaims: withIdToken ? claimsNamed(user, requestedClaimNames(grant.claims, 'id_token')) : undefined,
  }, { grant, accessToken: { audience, dpopJkt: ctx.dpop?.jkt }, idToken: withIdToken ? { nonce: idToken === 'authorization' } : undefined, refreshToken });
  ctx.issuedFor = { userId: user.id, sessionId: grant.sessionId };
  const response: TokenResponse = { access_token: minted.accessToken!, token_type: tokenType(ctx), expires_in: minted.expiresIn!, scope: scope.join(' ') };
  if (minted.idToken !== undefined) response.id_token = minted.idToken;
  if (minted.refreshToken !== undefined) response.refresh_token = minted.refreshToken;
  return response;
}

/** The minting context of a token request. */
export const minting = (ctx: GrantContext): Minting => ({ s: ctx.s, realm: ctx.realm, issuer: ctx.issuer, client: ctx.client, now: ctx.now });

/**
 * When a new refresh token of this grant expires (its idle lifetime, within the grant's), and the key
 * it is bound to: RFC 9449 §5 binds a public client's refresh token to its DPoP key; a confidential
 * client's is already bound to the client by its authentication.
 */
export function nextRefreshToken(ctx: GrantContext, grant: Grant): { expiresAt: number; dpopJkt: string | null } {
  const idle = grant.offline
    ? ctx.realm.settings.offline_token_idle_lifetime
    : ctx.client.metadata.refresh_token_idle_lifetime ?? ctx.realm.settings.refresh_token_idle_lifetime;
  return { expiresAt: Math.min(grant.expiresAt, ctx.now + idle * 1000), dpopJkt: ctx.client.confidential ? null : ctx.dpop?.jkt ?? null };
}
