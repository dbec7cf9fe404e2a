// Validation of an authorization request (RFC 6749 §4.1.1, OIDC Core §3.1.2.1 / §3.2.2.1 / §3.3.2.1,
// OAuth 2.0 Multiple Response Types, Form Post Response Mode, RFC 7636 §4.3).
// The client and redirect URI are checked first: until both are trusted, errors are shown as a
// page and never redirected (OIDC Core §3.1.2.6, RFC 9700 §4.1).
import { OAuthError, PageError } from '../http/errors.js';
import type { Params } from '../http/params.js';
import { isObject } from '../json.js';
import type { Client } from '../store/clients.js';
import type { Realm } from '../store/realms.js';
import { requestedResources } from '../tokens/resources.js';
import { grantableScope, parseScope, withDefaultScopes } from '../tokens/scopes.js';
import { requestedCodeChallenge, type CodeChallengeMethod } from './pkce.js';
import { redirectUriMatches } from './redirect-uris.js';
import { acrLevels } from '../identity/mfa.js';
import { canonicalResponseType, responseTypes, returnsTokens, type ResponseType } from '../authorization/response-types.js';
import type { ClaimRequest, ClaimsRequest } from '../tokens/claims.js';

export type ResponseMode = 'query' | 'fragment' | 'form_post';
export const responseModes: ResponseMode[] = ['query', 'fragment', 'form_post'];

// select_account: Strix has no account chooser, so choosing an account means signing in again.
export const promptValues = ['none', 'login', 'consent', 'select_account'] as const;


/** Authentication context classes (src/identity/mfa.ts): '1' one factor, '2' two, '3' two with a passkey. */
export const acrValuesSupported: string[] = [...acrLevels];

/** A request that passed validation; parked in an interaction while the user signs in. */
export interface AuthorizationRequest {
  clientId: string;
  responseType: ResponseType;
  redirectUri: string;
  redirectUriSent: boolean;
  responseMode: ResponseMode;
  scope: string[];
  state?: string;
  nonce?: string;
  codeChallenge?: string;
  codeChallengeMethod?: CodeChallengeMethod;
  prompt: string[];
  maxAge?: number;
  loginHint?: string;
  /** Keycloak's kc_idp_hint (or idp_hint): the alias of the upstream provider to go straight to. */
  idpHint?: string;
  uiLocales?: string;
  idTokenHint?: string;
  claims?: ClaimsRequest;
  /** RFC 9449 §10: the thumbprint of the DPoP key the code must be redeemed with. */
  dpopJkt?: string;
  /** acr_values (OIDC Core §3.1.2.1), in order of preference; voluntary, unlike an essential acr claim. */
  acrValues?: string[];
  /** The user id the client insists on, resolved from the hint or the claims request. */
  subject?: string;
  /** RFC 8707 resource indicators; absent when none were sent. */
  resources?: string[];
}

/**
 * The longest value, in characters, of each authorization parameter: a request is parked as sent
 * while the user signs in (and a pushed one until it is used), so nothing may be stored unbounded.
 * Generous for real clients: JWTs (id_token_hint, request) and the claims JSON get more room.
 */
const parameterLengthCaps: Record<string, number> = { state: 4096, id_token_hint: 8192, claims: 8192, resource: 8192, request: 16_384 };
const defaultParameterLengthCap = 2048;
export const parameterLengthCap = (name: string): number => parameterLengthCaps[name] ?? defaultParameterLengthCap;

function assertParameterLengths(params: Params): void {
  for (const [name, value] of Object.entries(params)) {
    const cap = parameterLengthCap(name);
    if (value.length > cap) throw new OAuthError('invalid_request', `parameter ${name.slice(0, 50)} is longer than ${cap} characters`);
  }
}

/** Where errors for this request may be sent once client and redirect URI are trusted. */
export interface TrustedRedirect { redirectUri: string; responseMode: ResponseMode; state?: string }

export function trustedRedirect(client: Client | undefined, params: Params): TrustedRedirect {
  if (params.client_id === undefined) throw new PageError('Missing client', 'The application did not say who it is (client_id is missing).');
  if (!client || !client.enabled) throw new PageError('Unknown application', 'This application is not registered here, or it has been disabled.');
  const registered = client.metadata.redirect_uris;
  let redirectUri = params.redirect_uri;
  if (redirectUri === undefined) {
    // RFC 6749 §3.1.2.3 allows omitting it with exactly one registered URI; OIDC requires it.
    if (registered.length !== 1 || parseScope(params.scope).includes('openid')) {
      throw new PageError('Missing redirect URI', 'The application did not say where to return to (redirect_uri is missing).');
    }
    redirectUri = registered[0]!;
  } else if (!registered.some((uri) => redirectUriMatches(client, uri, redirectUri!))) {
    throw new PageError('Invalid redirect URI', 'The address this application asked to return to is not registered for it, so Strix will not send you there.');
  }
  // Tokens never travel in a query string: the default for any response type that returns one is
  // the fragment (Multiple Response Types §5), also for the errors of such requests.
  const requested = params.response_mode as ResponseMode | undefined;
  const fallback: ResponseMode = returnsTokens(params.response_type ?? '') ? 'fragment' : 'query';
  const responseMode = requested !== undefined && responseModes.includes(requested) && !(requested === 'query' && fallback === 'fragment') ? requested : fallback;
  // An over-long state is not echoed back: the request fails for it (invalid_request) anyway.
  const state = params.state !== undefined && params.state.length <= parameterLengthCap('state') ? params.state : undefined;
  return { redirectUri, responseMode, state };
}

export function validateAuthorizationRequest(realm: Realm, client: Client, params: Params, trusted: TrustedRedirect): AuthorizationRequest {
  assertParameterLengths(params);
  if (params.registration !== undefined) throw new OAuthError('registration_not_supported', 'the registration parameter is not supported');
  if (params.response_type === undefined) throw new OAuthError('invalid_request', 'response_type is required');
  const responseType = canonicalResponseType(params.response_type);
  if (!responseType) throw new OAuthError('unsupported_response_type', `response_type must be one of: ${responseTypes.join(', ')}`);
  if (!client.metadata.response_types.some((registered) => canonicalResponseType(registered) === responseType)) {
    throw new OAuthError('unauthorized_client', `this client may not use response_type ${responseType}`);
  }
  if (params.response_mode !== undefined && !responseModes.includes(params.response_mode as ResponseMode)) {
    throw new OAuthError('invalid_request', 'unsupported response_mode');
  }
  if (params.response_mode === 'query' && returnsTokens(responseType)) {
    throw new OAuthError('invalid_request', 'response_mode=query cannot carry tokens; use fragment or form_post');
  }
  const requestedScope = parseScope(params.scope);
  if (requestedScope.length === 0) throw new OAuthError('invalid_scope', 'scope is required');
  grantableScope(client, requestedScope);
  const scope = withDefaultScopes(realm, client, requestedScope);
  if (responseType.includes('id_token') && !scope.includes('openid')) {
    throw new OAuthError('invalid_scope', 'an id_token response needs the openid scope');
  }
  // OIDC Core §3.2.2.1 / §3.3.2.11: an ID token sent from the authorization endpoint must be bound
  // to a nonce; `code token` returns none, so there the nonce stays optional.
  if (responseType.includes('id_token') && params.nonce === undefined) {
    throw new OAuthError('invalid_request', `nonce is required with response_type ${responseType}`);
  }
  const prompt = parsePrompt(params.prompt);
  const claims = parseClaims(params.claims);
  const resources = requestedResources(realm, client, params);
  return {
    clientId: client.clientId,
    responseType,
    redirectUri: trusted.redirectUri,
    redirectUriSent: params.redirect_uri !== undefined,
    responseMode: trusted.responseMode,
    scope,
    state: params.state,
    nonce: params.nonce,
    ...(responseType.includes('code') ? requestedCodeChallenge(realm, client, params) : {}),
    prompt,
    maxAge: parseMaxAge(params.max_age),
    loginHint: params.login_hint,
    ...(params.kc_idp_hint ?? params.idp_hint ? { idpHint: params.kc_idp_hint ?? params.idp_hint } : {}),
    uiLocales: params.ui_locales,
    idTokenHint: params.id_token_hint,
    claims,
    ...(resources.length > 0 ? { resources } : {}),
    dpopJkt: parseDpopJkt(params.dpop_jkt),
    acrValues: params.acr_values === undefined ? undefined : params.acr_values.split(' ').filter(Boolean),
  };
}

/** RFC 9449 §10: a base64url SHA-256 JWK thumbprint (RFC 7638), 43 characters. */
function parseDpopJkt(value: string | undefined): string | undefined {
  if (value !== undefined && !/^[A-Za-z0-9_-]{43}$/.test(value)) throw new OAuthError('invalid_request', 'dpop_jkt must be a base64url SHA-256 JWK thumbprint');
  return value;
}

/**
 * The `claims` parameter (OIDC Core §5.5). An essential acr that Strix cannot meet fails the
 * request, as §5.5.1.1 says a failed authentication must.
 */
function parseClaims(value: string | undefined): ClaimsRequest | undefined {
  if (value === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new OAuthError('invalid_request', 'claims is not valid JSON');
  }
  if (!isObject(parsed)) throw new OAuthError('invalid_request', 'claims must be a JSON object');
  const claims: ClaimsRequest = {};
  for (const target of ['userinfo', 'id_token'] as const) {
    const members = parsed[target];
    if (members === undefined) continue;
    if (!isObject(members) || !Object.values(members).every((m) => m === null || isObject(m))) {
      throw new OAuthError('invalid_request', `claims.${target} must map claim names to null or an object`);
    }
    claims[target] = members as Record<string, ClaimRequest | null>;
  }
  const acr = claims.id_token?.acr;
  if (acr?.essential) {
    const wanted = [...(acr.value !== undefined ? [acr.value] : []), ...(Array.isArray(acr.values) ? acr.values : [])];
    if (wanted.length > 0 && !wanted.some((v) => acrValuesSupported.includes(String(v)))) {
      throw new OAuthError('access_denied', 'the essential acr requested cannot be met');
    }
  }
  return claims;
}

/** The user the client insists on: the id_token_hint's subject or an essential-valued sub claim (§3.1.2.2). */
export function requestedSubject(authorization: AuthorizationRequest, hintSubject: string | undefined): string | undefined {
  const sub = authorization.claims?.id_token?.sub?.value;
  return typeof sub === 'string' ? sub : hintSubject;
}

function parsePrompt(value: string | undefined): string[] {
  const prompt = value === undefined ? [] : [...new Set(value.split(' ').filter(Boolean))];
  for (const p of prompt) {
    if (!(promptValues as readonly string[]).includes(p)) throw new OAuthError('invalid_request', `unsupported prompt value: ${p}`);
  }
  if (prompt.includes('none') && prompt.length > 1) throw new OAuthError('invalid_request', 'prompt=none cannot be combined with other values');
  return prompt;
}

function parseMaxAge(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,10}$/.test(value)) throw new OAuthError('invalid_request', 'max_age must be a non-negative number of seconds');
  return Number(value);
}

export type { ClaimRequest, ClaimsRequest };
