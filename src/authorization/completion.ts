// Completing an authorization request: on to the page the decision names, or — once nothing is
// left to ask — the grant, the code and the front channel's tokens (OIDC Core §3.1.2.5, §3.2.2.5,
// §3.3.2.5) sent in the response mode, with `iss` (RFC 9207). Errors go to the trusted redirect URI.
import { OAuthError } from '../http/errors.js';
import type { Answer, PageView, SignInView } from '../http/page-view.js';
import { assertedAcr } from '../identity/mfa.js';
import type { ActiveSession } from '../identity/sso.js';
import { issuerOf, type Needs } from '../services.js';
import type { Client } from '../store/clients.js';
import type { Realm } from '../store/realms.js';
import { claimsForScopes, claimsNamed, requestedClaimNames } from '../tokens/claims.js';
import { grantExpiry, prepareTokens, type TokenClaimsRequest, type TokenSigner, type MintDeps } from '../tokens/mint.js';
import { decide, type Continuation, type DecisionDeps } from './decision.js';
import type { AuthorizationRequest, TrustedRedirect } from './request.js';
import { authorizationResponse } from './response-modes/index.js';

/** What this module uses (services.ts `Needs`). */
export type CompletionDeps = Needs<'clock' | 'config', 'authorizationCodes' | 'grants' | 'sessions'> & DecisionDeps & MintDeps;

/**
 * The answer to an authorization request, fresh (`active`: the browser's session) or resumed after
 * a page (`continuation`): the page its decision names, or the response to the client. `status`:
 * 303 after a POST, else 302.
 */
export async function proceed(
  s: CompletionDeps, realm: Realm, client: Client, authorization: AuthorizationRequest,
  active: ActiveSession | undefined, continuation: Continuation | undefined, status: 302 | 303,
): Promise<Answer> {
  const decision = await decide(s, realm, client, authorization, active, continuation);
  const { uiLocales } = authorization;
  const page = (view: PageView): Answer => ({ kind: 'page', view });
  switch (decision.next) {
    case 'sign_in': return page(signInView(realm, client, authorization, decision.interaction));
    case 'second_factor': return page({ page: 'second_factor', realm, interaction: decision.interaction, active: decision.active, required: decision.required, uiLocales });
    case 'update_password': return page({ page: 'update_password', realm, interaction: decision.interaction, active: decision.active, uiLocales });
    case 'required_action': return page({ page: 'required_action', action: decision.action, realm, interaction: decision.interaction, active: decision.active, uiLocales });
    case 'consent': return page({ page: 'consent', realm, client, interaction: decision.interaction, active: decision.active, scope: authorization.scope, uiLocales });
    case 'done': return complete(s, realm, client, authorization, decision.active, status);
  }
}

/** proceed() after a page's form (a POST): protocol errors go back to the client. */
export async function resumeAuthorization(
  s: CompletionDeps, realm: Realm, client: Client, authorization: AuthorizationRequest, continuation: Continuation,
): Promise<Answer> {
  try {
    return await proceed(s, realm, client, authorization, continuation.signedIn, continuation, 303);
  } catch (error) {
    if (error instanceof OAuthError) return errorResponse(s, realm, authorization, error, 303);
    throw error;
  }
}

/** The sign-in form for a parked request; `username` (as typed) defaults to the request's login_hint. */
export function signInView(
  realm: Realm, client: Client, authorization: AuthorizationRequest, interaction: string, extra: { username?: string; error?: string } = {},
): SignInView {
  return { page: 'sign_in', realm, client, interaction, uiLocales: authorization.uiLocales, username: extra.username ?? authorization.loginHint, error: extra.error,
    ...(extra.error === undefined && authorization.idpHint ? { idpHint: authorization.idpHint } : {}) };
}

/**
 * Success: a grant, and what the response type asks for — a single-use code, an access token,
 * an ID token (OIDC Core §3.1.2.5, §3.2.2.5, §3.3.2.5) — sent to the trusted redirect URI.
 */
export async function complete(
  s: CompletionDeps, realm: Realm, client: Client, authorization: AuthorizationRequest, active: ActiveSession, status: 302 | 303,
): Promise<Answer> {
  const now = s.clock.now();
  const responseType = (authorization.responseType ?? 'code').split(' ');
  const returnsCode = responseType.includes('code');
  // offline_access only makes sense with a code, which can become a refresh token (OIDC Core §11).
  const scope = returnsCode ? authorization.scope : authorization.scope.filter((value) => value !== 'offline_access');
  const offline = scope.includes('offline_access');
  const returnsTokens = responseType.includes('token') || responseType.includes('id_token');
  let sign: TokenSigner | undefined;
  if (returnsTokens) {
    try {
      sign = await prepareTokens({ s, realm, issuer: issuerOf(s.config, realm), client, now }, frontChannelClaims(authorization, active, scope, responseType));
    } catch (error) {
      if (error instanceof OAuthError) return errorResponse(s, realm, authorization, error, status);
      throw error;
    }
  }
  const grant = await s.store.grants.create({
    realm: realm.name, clientId: client.clientId, userId: active.user.id, sessionId: active.session.id,
    scope: scope.join(' '), authTime: active.session.authTime, amr: active.session.amr, acr: assertedAcr(authorization, active.session), ...(active.session.idp ? { idp: active.session.idp } : {}),
    nonce: authorization.nonce ?? null, claims: (authorization.claims as Record<string, unknown> | undefined) ?? null,
    offline, expiresAt: grantExpiry(realm, client, offline, now), resources: authorization.resources,
  }, now);
  // OIDC Session Management 1.0 §2: what the client posts to the check_session_iframe (the `sid`, as Keycloak does).
  const response: Record<string, string | undefined> = { state: authorization.state, session_state: active.session.id, iss: issuerOf(s.config, realm) };
  if (returnsCode) {
    response.code = await s.store.authorizationCodes.issue({
      grantId: grant.id, realm: realm.name, clientId: client.clientId,
      redirectUri: authorization.redirectUriSent ? authorization.redirectUri : null,
      codeChallenge: authorization.codeChallenge ?? null, codeChallengeMethod: authorization.codeChallengeMethod ?? null,
      dpopJkt: authorization.dpopJkt ?? null,
      expiresAt: now + realm.settings.authorization_code_lifetime * 1000,
    });
  }
  if (sign) {
    const minted = await sign({
      grant,
      accessToken: responseType.includes('token') ? { audience: grant.resources } : undefined,
      idToken: responseType.includes('id_token') ? { nonce: true, code: response.code } : undefined,
    });
    if (minted.accessToken !== undefined) {
      Object.assign(response, { access_token: minted.accessToken, token_type: 'Bearer', expires_in: String(minted.expiresIn), scope: scope.join(' ') });
    }
    response.id_token = minted.idToken;
  }
  return authorizationResponse(authorization, response, status);
}

/**
 * What the custom rules are asked about tokens issued at the authorization endpoint. A hook's
 * denial is access_denied here (RFC 6749 §4.1.2.1, §4.2.2.1), sent to the client.
 */
function frontChannelClaims(authorization: AuthorizationRequest, active: ActiveSession, scope: string[], responseType: string[]): TokenClaimsRequest {
  const returnsAccessToken = responseType.includes('token');
  // Without an access token there is no userinfo call, so the scopes' claims go in the ID token (§5.4).
  const { sub: _sub, ...claims } = returnsAccessToken ? {} : claimsForScopes(active.user, scope);
  const requested = claimsNamed(active.user, requestedClaimNames((authorization.claims as Record<string, unknown> | undefined) ?? null, 'id_token'));
  return {
    grantType: 'implicit', refusal: 'access_denied', user: active.user, scope,
    idTokenClaims: responseType.includes('id_token') ? { ...claims, ...requested } : undefined,
  };
}

export function errorResponse(s: CompletionDeps, realm: Realm, trusted: TrustedRedirect, error: OAuthError, status: 302 | 303 = 302): Answer {
  const { error: code, error_description } = error.toJSON();
  return authorizationResponse(trusted, { error: code, error_description, state: trusted.state, iss: issuerOf(s.config, realm) }, status);
}
