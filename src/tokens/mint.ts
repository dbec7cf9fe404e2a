// Token minting for every grant and for the authorization endpoint's front channel: RFC 9068 access
// tokens, OIDC Core §2 ID tokens and refresh tokens (RFC 6749 §6). The claim mappers and the token
// hook are consulted first (prepareTokens), so a refusal comes before anything is stored or signed.
import type { OAuthErrorCode } from '../http/errors.js';
import type { Needs } from '../services.js';
import type { Client } from '../store/clients.js';
import type { Grant } from '../store/grants.js';
import type { Realm } from '../store/realms.js';
import type { User } from '../store/users.js';
import { customClaims, type CustomClaimsDeps } from './custom-claims.js';
import { signAccessToken, signIdToken, type IssueContext } from './issue.js';
import { signRefreshToken } from './refresh-token.js';
import { subjectFor, type SubjectDeps } from './subject.js';

/** What this module uses (services.ts `Needs`). */
export type MintDeps = Needs<'keystore', 'refreshTokens'> & CustomClaimsDeps & SubjectDeps;

/** Who mints, for which client, and when. */
export interface Minting { s: MintDeps; realm: Realm; issuer: string; client: Client; now: number }

/** What the claim mappers and the token hook are asked about. */
export interface TokenClaimsRequest {
  /** The grant type they see (`implicit` for tokens from the authorization endpoint). */
  grantType: string;
  /** What a hook's denial becomes: invalid_grant at the token endpoint (RFC 6749 §5.2), access_denied at the authorization endpoint. */
  refusal: OAuthErrorCode;
  user: User | undefined;
  scope: string[];
  /** The ID token's claims from scopes and the claims request; present exactly when an ID token is to be issued. */
  idTokenClaims?: Record<string, unknown>;
}

/** Which tokens to sign, once the claims are settled. */
export interface TokenSigning {
  grant?: Grant;
  /** `sub`: by default the user as this client knows them (public or pairwise), or the client itself. */
  subject?: string;
  /** Absent: no access token (an ID token alone from the front channel). */
  accessToken?: {
    /** The resource servers (RFC 8707) or clients it is for; the client itself when empty. */
    audience?: string[];
    /** RFC 8693 §4.1 delegation. */
    act?: Record<string, unknown>;
    /** Seconds, when shorter than the client's access token lifetime. */
    lifetime?: number;
    /** RFC 9449: the DPoP key it is bound to. */
    dpopJkt?: string;
  };
  /**
   * The ID token (needs `grant`). `nonce`: echo the authorization request's nonce — not on refresh
   * (OIDC Core §12.2). `code`: the code issued beside it, for c_hash.
   */
  idToken?: { nonce: boolean; code?: string };
  /** A new refresh token of `grant`, or one already issued in its place by rotation. */
  refreshToken?: { expiresAt: number; dpopJkt: string | null } | { rotated: string };
}

export interface MintedTokens { accessToken?: string; expiresIn?: number; idToken?: string; refreshToken?: string }

export type TokenSigner = (signing: TokenSigning) => Promise<MintedTokens>;

/**
 * Runs the claim mappers and the token hook (which may refuse, as `refusal`), and returns the
 * signer of the tokens they shape. Callers that store something only once the hook agreed (the
 * front channel's grant and code) do so between the two steps.
 */
export async function prepareTokens(m: Minting, r: TokenClaimsRequest): Promise<TokenSigner> {
  const custom = await customClaims(m.s, {
    realm: m.realm, client: m.client, user: r.user, scope: r.scope, grantType: r.grantType, idToken: r.idTokenClaims,
  }, r.refusal);
  return async (signing) => {
    const issue = issueContext(m);
    const subject = signing.subject ?? (r.user ? await subjectFor(m.s, m.realm.name, m.client, r.user.id) : m.client.clientId);
    const minted: MintedTokens = {};
    if (signing.accessToken) {
      const { accessToken, expiresIn } = await signAccessToken(issue, {
        client: m.client, grant: signing.grant, user: r.user, scope: r.scope.join(' '), subject, ...signing.accessToken,
        customClaims: custom.accessToken, extraAudiences: custom.audiences,
      });
      Object.assign(minted, { accessToken, expiresIn });
    }
    if (signing.idToken && signing.grant) {
      const grant = signing.idToken.nonce ? signing.grant : { ...signing.grant, nonce: null };
      minted.idToken = await signIdToken(issue, {
        client: m.client, grant, user: r.user, subject, accessToken: minted.accessToken, code: signing.idToken.code, extraClaims: custom.idToken,
      });
    }
    if (signing.refreshToken && signing.grant) {
      minted.refreshToken = 'rotated' in signing.refreshToken
        ? signing.refreshToken.rotated
        : await mintRefreshToken(m, signing.grant, signing.refreshToken.expiresAt, signing.refreshToken.dpopJkt);
    }
    return minted;
  };
}

/** prepareTokens and signing in one step, for callers with nothing to store between them. */
export async function mintTokens(m: Minting, r: TokenClaimsRequest, signing: TokenSigning): Promise<MintedTokens> {
  return (await prepareTokens(m, r))(signing);
}

const issueContext = (m: Minting): IssueContext => ({ issuer: m.issuer, realm: m.realm, keystore: m.s.keystore, now: m.now });

/** A refresh token of a grant; the store keeps its hash, the token is returned once. */
export async function mintRefreshToken(m: Minting, grant: Grant, expiresAt: number, dpopJkt: string | null = null): Promise<string> {
  const token = await signedRefreshToken(m, grant, expiresAt);
  await m.s.store.refreshTokens.issue({ token, grantId: grant.id, expiresAt, dpopJkt }, m.now);
  return token;
}

/** A refresh token's text, not stored yet: rotation stores it in the commit that uses up its predecessor. */
export function signedRefreshToken(m: Minting, grant: Grant, expiresAt: number): Promise<string> {
  return signRefreshToken(issueContext(m), { client: m.client, grant, expiresAt });
}

/** When a new user grant ends: offline ones live long, others within the refresh token's absolute lifetime. */
export function grantExpiry(realm: Realm, client: Client, offline: boolean, now: number): number {
  const lifetime = offline
    ? realm.settings.offline_token_absolute_lifetime
    : client.metadata.refresh_token_absolute_lifetime ?? realm.settings.refresh_token_absolute_lifetime;
  return now + lifetime * 1000;
}
