// Validation of an authorization request (RFC 6749 §4.1.1, OIDC Core §3.1.2.1, RFC 7636 §4.3).
// The client and redirect URI are checked first: until both are trusted, errors are shown as a
// page and never redirected (OIDC Core §3.1.2.6, RFC 9700 §4.1).
import { OAuthError, PageError } from '../http/errors.js';
import type { Params } from '../http/params.js';
import type { Client } from '../store/clients.js';
import type { Realm } from '../store/realms.js';
import { grantableScope, parseScope } from '../tokens/scopes.js';

export type ResponseMode = 'query' | 'fragment';
export const responseModes: ResponseMode[] = ['query', 'fragment'];
export const promptValues = ['none', 'login', 'consent'] as const;

/** A request that passed validation; parked in an interaction while the user signs in. */
export interface AuthorizationRequest {
  clientId: string;
  redirectUri: string;
  redirectUriSent: boolean;
  responseMode: ResponseMode;
  scope: string[];
  state?: string;
  nonce?: string;
  codeChallenge?: string;
  codeChallengeMethod?: 'S256' | 'plain';
  prompt: string[];
  maxAge?: number;
  loginHint?: string;
  uiLocales?: string;
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
  } else if (!registered.includes(redirectUri)) {
    throw new PageError('Invalid redirect URI', 'The address this application asked to return to is not registered for it, so Strix will not send you there.');
  }
  const mode = params.response_mode;
  return { redirectUri, responseMode: mode === 'fragment' ? 'fragment' : 'query', state: params.state };
}

export function validateAuthorizationRequest(realm: Realm, client: Client, params: Params, trusted: TrustedRedirect): AuthorizationRequest {
  if (params.request !== undefined) throw new OAuthError('request_not_supported', 'request objects are not supported');
  if (params.request_uri !== undefined) throw new OAuthError('request_uri_not_supported', 'request_uri is not supported');
  if (params.registration !== undefined) throw new OAuthError('registration_not_supported', 'the registration parameter is not supported');
  const responseType = params.response_type;
  if (responseType === undefined) throw new OAuthError('invalid_request', 'response_type is required');
  if (responseType !== 'code') throw new OAuthError('unsupported_response_type', 'only response_type=code is supported');
  if (!client.metadata.response_types.includes('code') || !client.metadata.grant_types.includes('authorization_code')) {
    throw new OAuthError('unauthorized_client', 'this client may not use the authorization code flow');
  }
  if (params.response_mode !== undefined && !responseModes.includes(params.response_mode as ResponseMode)) {
    throw new OAuthError('invalid_request', 'unsupported response_mode');
  }
  const scope = parseScope(params.scope);
  if (scope.length === 0) throw new OAuthError('invalid_scope', 'scope is required');
  grantableScope(client, scope);
  const prompt = parsePrompt(params.prompt);
  return {
    clientId: client.clientId,
    redirectUri: trusted.redirectUri,
    redirectUriSent: params.redirect_uri !== undefined,
    responseMode: trusted.responseMode,
    scope,
    state: params.state,
    nonce: params.nonce,
    ...pkce(realm, client, params),
    prompt,
    maxAge: parseMaxAge(params.max_age),
    loginHint: params.login_hint,
    uiLocales: params.ui_locales,
  };
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

const codeChallengeFormat = /^[A-Za-z0-9\-._~]{43,128}$/;

function pkce(realm: Realm, client: Client, params: Params): Pick<AuthorizationRequest, 'codeChallenge' | 'codeChallengeMethod'> {
  const challenge = params.code_challenge;
  if (challenge === undefined) {
    if (params.code_challenge_method !== undefined) throw new OAuthError('invalid_request', 'code_challenge_method without code_challenge');
    if (!client.confidential) throw new OAuthError('invalid_request', 'PKCE is required for public clients: send code_challenge with code_challenge_method=S256');
    return {};
  }
  const method = params.code_challenge_method ?? 'plain';   // RFC 7636 §4.3 default
  const plainAllowed = client.metadata.pkce_plain_allowed ?? realm.settings.pkce_plain_allowed;
  if (method !== 'S256' && !(method === 'plain' && plainAllowed)) {
    throw new OAuthError('invalid_request', 'code_challenge_method must be S256');
  }
  if (!codeChallengeFormat.test(challenge)) throw new OAuthError('invalid_request', 'code_challenge is malformed');
  return { codeChallenge: challenge, codeChallengeMethod: method };
}
