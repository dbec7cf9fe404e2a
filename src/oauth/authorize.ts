// Authorization endpoint (RFC 6749 §3.1, OIDC Core §3.1.2), GET and POST, and the continuation
// of a parked request after sign-in and consent. Responses carry `iss` (RFC 9207).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { OAuthError, PageError } from '../http/errors.js';
import { csrfToken } from '../http/cookies.js';
import { singleParams } from '../http/params.js';
import { currentSession, type ActiveSession } from '../identity/sso.js';
import { assertedAcr, requiredAcr, satisfies } from '../identity/mfa.js';
import { assertClientAddressAllowed } from '../security/ip-rules.js';
import { issuerOf, type Services } from '../services.js';
import type { Client } from '../store/clients.js';
import type { Realm } from '../store/realms.js';
import { format, getMessages, type Messages } from '../ui/messages.js';
import { claimsForScopes, claimsNamed, requestedClaimNames } from '../tokens/claims.js';
import { verifyIdTokenHint } from '../tokens/id-token-hint.js';
import { grantExpiry, prepareTokens, type TokenClaimsRequest, type TokenSigner } from '../tokens/mint.js';
import { subjectFor } from '../tokens/subject.js';
import { consentPage, formPostPage, loginPage } from '../ui/pages.js';
import { showSecondFactor } from '../ui/second-factor.js';
import { clientBranding, formPostScriptHref, realmView, sendPage, stylesheetHref, webauthnScriptHrefs } from '../ui/render.js';
import { requestedSubject, trustedRedirect, validateAuthorizationRequest, type AuthorizationRequest, type TrustedRedirect } from './authorization-request.js';
import { isPushedRequestUri, pushRequired, resolvePushedRequest } from './par.js';
import { RejectedRequestObject, resolveRequestObject } from './request-object.js';

const interactionLifetimeMs = 30 * 60_000;

export function authorizeRoutes(app: FastifyInstance, s: Services): void {
  const handler = async (request: FastifyRequest<{ Params: { realm: string } }>, reply: FastifyReply) => {
    const realm = request.realm!;
    let params;
    try {
      params = singleParams(request.method === 'POST' ? request.body : request.query);
    } catch (error) {
      throw new PageError('Invalid request', (error as Error).message);
    }
    const client = params.client_id === undefined ? undefined : await s.store.clients.get(realm.name, params.client_id);
    if (client) assertClientAddressAllowed(client, request.ip, 'page');
    const pushed = isPushedRequestUri(params.request_uri);
    try {
      params = pushed ? await resolvePushedRequest(s, realm, client, params) : await resolveRequestObject(s, realm, client, params);
    } catch (error) {
      if (error instanceof RejectedRequestObject) return redirectWithError(s, reply, realm, error.replyTo, error);
      throw error;
    }
    const trusted = trustedRedirect(client, params);
    try {
      if (!pushed && pushRequired(realm, client!)) throw new OAuthError('invalid_request', 'this client must push its authorization requests to the PAR endpoint');
      const authorization = validateAuthorizationRequest(realm, client!, params, trusted);
      return await proceed(s, request, reply, realm, client!, { ...authorization, subject: await expectedSubject(s, realm, authorization) });
    } catch (error) {
      if (error instanceof OAuthError) return redirectWithError(s, reply, realm, trusted, error);
      throw error;
    }
  };
  app.get('/realms/:realm/protocol/openid-connect/auth', handler);
  app.post('/realms/:realm/protocol/openid-connect/auth', handler);
}

/** A parked interaction being resumed; `signedIn` is the session its sign-in form just started. */
export interface Continuation { id: string; signedIn?: ActiveSession }

/** The user the client insists on (id_token_hint or a valued sub claim); a hint not issued here is refused. */
async function expectedSubject(s: Services, realm: Realm, authorization: AuthorizationRequest): Promise<string | undefined> {
  if (authorization.idTokenHint === undefined) return requestedSubject(authorization, undefined);
  const hint = await verifyIdTokenHint(s, realm, authorization.idTokenHint);
  if (!hint) throw new OAuthError('invalid_request', 'id_token_hint is not an ID token issued by this realm');
  return requestedSubject(authorization, hint.sub);
}

/**
 * Decides what the request needs next — sign-in, consent, or nothing — and either shows that
 * page or completes it. `continuation` is the parked interaction when resuming after a page.
 */
export async function proceed(
  s: Services, request: FastifyRequest, reply: FastifyReply, realm: Realm, client: Client,
  authorization: AuthorizationRequest, continuation?: Continuation,
): Promise<FastifyReply> {
  const active = continuation?.signedIn ?? await currentSession(s, request, realm);
  // OIDC Core §3.1.2.2: never answer for a different user than the one the client named (by the
  // subject this client knows the user by, pairwise or not).
  const otherUser = active !== undefined && authorization.subject !== undefined
    && await subjectFor(s, realm.name, client, active.user.id) !== authorization.subject;
  if (otherUser && continuation?.signedIn) throw new OAuthError('login_required', 'signed in as a different user than the client asked for');
  if (!active || otherUser || (!continuation?.signedIn && reauthenticationRequired(s, authorization, active))) {
    if (authorization.prompt.includes('none')) throw new OAuthError('login_required', 'the user is not signed in');
    return showLogin(s, request, reply, realm, client, authorization, continuation);
  }
  // A policy or the client may want more than the session has: a second factor, without the password again.
  const required = await requiredAcr(s, realm, client, authorization, active.user);
  if (!satisfies(active.session, required)) {
    if (authorization.prompt.includes('none')) throw new OAuthError('interaction_required', 'a further authentication factor is needed');
    const id = continuation?.id ?? await park(s, realm, authorization, active.session.id);
    return showSecondFactor(s, request, reply, realm, authorization.uiLocales, active, id, required);
  }
  const consented = await s.store.consents.grantedScopes(active.user.id, client.clientId);
  const needsConsent = client.metadata.require_consent
    && (authorization.prompt.includes('consent') || authorization.scope.some((scope) => !consented.has(scope)));
  if (needsConsent) {
    if (authorization.prompt.includes('none')) throw new OAuthError('consent_required', 'the user has not consented to this client');
    const id = continuation?.id ?? await park(s, realm, authorization, active.session.id);
    return showConsent(s, request, reply, realm, client, authorization, active, id);
  }
  if (continuation && !(await s.store.interactions.finish(continuation.id))) {
    throw new PageError('Already completed', 'This sign-in was already completed. Go back to the application.');
  }
  return complete(s, reply, realm, client, authorization, active, request.method === 'POST' ? 303 : 302);
}

function reauthenticationRequired(s: Services, authorization: AuthorizationRequest, active: ActiveSession): boolean {
  if (authorization.prompt.includes('login') || authorization.prompt.includes('select_account')) return true;
  if (authorization.maxAge === undefined) return false;
  // max_age=0 means "authenticate now", like prompt=login (OIDC Core §3.1.2.1).
  return authorization.maxAge === 0 || s.clock.now() - active.session.authTime > authorization.maxAge * 1000;
}

function park(s: Services, realm: Realm, authorization: AuthorizationRequest, sessionId: string | null): Promise<string> {
  const now = s.clock.now();
  return s.store.interactions.create({ realm: realm.name, clientId: authorization.clientId, request: authorization, sessionId, expiresAt: now + interactionLifetimeMs }, now);
}

export async function showLogin(
  s: Services, request: FastifyRequest, reply: FastifyReply, realm: Realm, client: Client,
  authorization: AuthorizationRequest, continuation?: Continuation, error?: string, username?: string, status = 200,
): Promise<FastifyReply> {
  const interaction = continuation?.id ?? await park(s, realm, authorization, null);
  const csrf = csrfToken(s, request, reply, realm.name, { interaction });
  const view = realmView(s, request, realm, authorization.uiLocales);
  const html = loginPage({
    realm: view,
    action: `${issuerOf(s.config, realm)}/login-actions/authenticate`,
    csrf,
    interaction,
    clientName: client.metadata.client_name ?? client.clientId,
    branding: clientBranding(reply, client.metadata),
    username: username ?? authorization.loginHint,
    error,
    passkey: {
      action: `${issuerOf(s.config, realm)}/login-actions/passkey-sign-in`, ceremony: 'authenticate', label: getMessages(view.locale).usePasskey,
      // The challenge is made when the button is pressed (src/ui/passkey-actions.ts), not for every page shown.
      optionsUrl: `${issuerOf(s.config, realm)}/login-actions/passkey-options`, fields: { csrf, interaction },
    },
    scriptHrefs: webauthnScriptHrefs(s),
  });
  return sendPage(reply, html, status);
}

function showConsent(
  s: Services, request: FastifyRequest, reply: FastifyReply, realm: Realm, client: Client,
  authorization: AuthorizationRequest, active: ActiveSession, interaction: string,
): FastifyReply {
  const view = realmView(s, request, realm, authorization.uiLocales);
  const html = consentPage({
    realm: view,
    action: `${issuerOf(s.config, realm)}/login-actions/consent`,
    csrf: csrfToken(s, request, reply, realm.name, { interaction }),
    interaction,
    clientName: client.metadata.client_name ?? client.clientId,
    branding: clientBranding(reply, client.metadata),
    username: active.user.username,
    scopes: authorization.scope.map((name) => ({ name, description: describeScope(realm, name, getMessages(view.locale)) })),
  });
  return sendPage(reply, html);
}

export function describeScope(realm: Realm, scope: string, t: Messages): string {
  const builtIn = (t as Record<string, string>)[`scope_${scope}`];
  if (builtIn) return format(builtIn, { realm: realm.displayName });
  return realm.settings.scopes.find((d) => d.name === scope)?.description ?? scope;
}

/**
 * Success: a grant, and what the response type asks for — a single-use code, an access token,
 * an ID token (OIDC Core §3.1.2.5, §3.2.2.5, §3.3.2.5) — sent to the trusted redirect URI.
 */
export async function complete(
  s: Services, reply: FastifyReply, realm: Realm, client: Client, authorization: AuthorizationRequest,
  active: ActiveSession, status: 302 | 303,
): Promise<FastifyReply> {
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
      if (error instanceof OAuthError) return redirectWithError(s, reply, realm, authorization, error, status);
      throw error;
    }
  }
  const grant = await s.store.grants.create({
    realm: realm.name, clientId: client.clientId, userId: active.user.id, sessionId: active.session.id,
    scope: scope.join(' '), authTime: active.session.authTime, amr: active.session.amr, acr: assertedAcr(authorization, active.session),
    nonce: authorization.nonce ?? null, claims: (authorization.claims as Record<string, unknown> | undefined) ?? null,
    offline, expiresAt: grantExpiry(realm, client, offline, now), resources: authorization.resources,
  }, now);
  const response: Record<string, string | undefined> = { state: authorization.state, iss: issuerOf(s.config, realm) };
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
  await s.store.sessions.touch(active.session.id, now);
  return respond(s, reply, authorization, response, status);
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

export function redirectWithError(s: Services, reply: FastifyReply, realm: Realm, trusted: TrustedRedirect, error: OAuthError, status: 302 | 303 = 302): FastifyReply {
  const { error: code, error_description } = error.toJSON();
  return respond(s, reply, trusted, { error: code, error_description, state: trusted.state, iss: issuerOf(s.config, realm) }, status);
}

/** Delivers an authorization response in its response mode: query, fragment or an auto-posting form. */
function respond(s: Services, reply: FastifyReply, target: TrustedRedirect, values: Record<string, string | undefined>, status: 302 | 303): FastifyReply {
  const fields: Record<string, string> = {};
  for (const [name, value] of Object.entries(values)) if (value !== undefined) fields[name] = value;
  if (target.responseMode === 'form_post') {
    return sendPage(reply, formPostPage({ stylesheetHref: stylesheetHref(s), scriptHref: formPostScriptHref(s), action: target.redirectUri, fields }));
  }
  const url = new URL(target.redirectUri);
  const encoded = new URLSearchParams(fields);
  if (target.responseMode === 'fragment') {
    url.hash = encoded.toString();
  } else {
    for (const [name, value] of encoded) url.searchParams.append(name, value);
  }
  return reply.header('cache-control', 'no-store').redirect(url.href, status);
}
