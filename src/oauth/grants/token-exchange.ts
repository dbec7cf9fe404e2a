// OAuth 2.0 Token Exchange (RFC 8693 §2): a confidential client trades a token it holds (the
// subject, and for delegation an actor's) for a new access token (or refresh token), for other
// audiences or less scope. The new token gets its own grant whose parent is the subject's, so
// revoking the original grant also ends every token exchanged from it, while revoking an
// exchanged token leaves the original alone.
import { tokenExchangeGrantType } from '../../clients/grant-types.js';
import type { Needs } from '../../services.js';
import { OAuthError } from '../../http/errors.js';
import { paramValues, type Params } from '../../http/params.js';
import type { Client } from '../../store/clients.js';
import type { Grant } from '../../store/grants.js';
import { mintRefreshToken, mintTokens } from '../../tokens/mint.js';
import { presentedToken, tokenTypes, type PresentedToken, type PresentedTokenDeps } from '../../tokens/presented-token.js';
import { clientResources, requestedResources } from '../../tokens/resources.js';
import { clientScopes, parseScope } from '../../tokens/scopes.js';
import { minting, tokenType, type GrantContext, type GrantDeps, type GrantType } from './grant.js';

/** `jwt` names an access token too, since Strix access tokens are JWTs (RFC 9068); refresh tokens see assertMayIssueRefreshToken. */
const issuableTypes: string[] = [tokenTypes.accessToken, tokenTypes.jwt, tokenTypes.refreshToken];
/** An actor is identified by a token about it, never by a refresh token. */
const actorTypes: string[] = [tokenTypes.accessToken, tokenTypes.idToken, tokenTypes.jwt];
/** What a client_id can look like (src/admin/realm-file.ts); anything else is not looked up. */
const clientIdFormat = /^[\x21-\x7E]{1,200}$/;

/** What this grant uses (services.ts `Needs`). */
export type TokenExchangeGrantDeps = Needs<never, 'clients' | 'grants'> & PresentedTokenDeps & GrantDeps;

export const tokenExchange: GrantType<TokenExchangeGrantDeps> = {
  type: tokenExchangeGrantType,
  async handle(ctx) {
    const { client, params, now } = ctx;
    if (!client.confidential) throw new OAuthError('unauthorized_client', 'public clients cannot exchange tokens');
    const issuedTokenType = requestedTokenType(params);
    const subject = await usableToken(ctx, 'subject', params.subject_token, params.subject_token_type, Object.values(tokenTypes));
    const actor = params.actor_token === undefined && params.actor_token_type === undefined
      ? undefined
      : await usableToken(ctx, 'actor', params.actor_token, params.actor_token_type, actorTypes);
    const scope = exchangedScope(client, subject, parseScope(params.scope));
    const { audience, resources } = await targets(ctx, params);
    if (issuedTokenType === tokenTypes.refreshToken) assertMayIssueRefreshToken(client, params, subject, audience, resources);
    const lifetime = Math.floor((subject.expiresAt - now) / 1000);
    if (lifetime < 1) throw new OAuthError('invalid_request', 'subject_token expires too soon to be exchanged');
    const grant = await childGrant(ctx, subject, scope, resources, now + lifetime * 1000);
    ctx.issuedFor = { userId: grant.userId, sessionId: grant.sessionId };
    if (issuedTokenType === tokenTypes.refreshToken) {
      const refreshToken = await mintRefreshToken(minting(ctx), grant, grant.expiresAt);
      return { access_token: refreshToken, issued_token_type: issuedTokenType, token_type: 'N_A', expires_in: lifetime, scope: scope.join(' ') };
    }
    // The exchanging client's claim mappers and the realm's token hook apply as to any other token it gets.
    const { accessToken, expiresIn } = await mintTokens(minting(ctx), { grantType: tokenExchangeGrantType, refusal: 'invalid_grant', user: subject.user, scope }, {
      grant, subject: subject.user ? undefined : subject.sub, accessToken: { audience, act: actClaim(subject, actor), lifetime, dpopJkt: ctx.dpop?.jkt },
    });
    return { access_token: accessToken!, issued_token_type: issuedTokenType, token_type: tokenType(ctx), expires_in: expiresIn!, scope: scope.join(' ') };
  },
};

/**
 * The exchanged token's grant: the subject's user, session and sign-in, for the exchanging client,
 * a child of the subject's grant (ID and client_credentials tokens have none to descend from).
 */
function childGrant(ctx: GrantContext<TokenExchangeGrantDeps>, subject: PresentedToken, scope: string[], resources: string[], expiresAt: number): Promise<Grant> {
  const signIn = subject.grant ?? subject.signIn;
  return ctx.s.store.grants.create({
    realm: ctx.realm.name, clientId: ctx.client.clientId, userId: subject.user?.id ?? null, sessionId: signIn?.sessionId ?? null,
    scope: scope.join(' '), authTime: signIn?.authTime ?? null, amr: signIn?.amr ?? [], acr: signIn?.acr ?? null, ...(subject.grant?.idp ? { idp: subject.grant.idp } : {}),
    nonce: null, claims: null, offline: false, expiresAt, resources, parentId: subject.grant?.id ?? null,
  }, ctx.now);
}

function requestedTokenType(params: Params): string {
  const requested = params.requested_token_type ?? tokenTypes.accessToken;
  if (!issuableTypes.includes(requested)) throw new OAuthError('invalid_request', `requested_token_type must be one of: ${issuableTypes.join(', ')}`);
  return requested;
}

/**
 * A refresh token is issued only to a client that may refresh, in exchange for a refresh token
 * (so no longer-lived credential comes from a short-lived one), and only for impersonation and
 * resource audiences: the tokens it is later refreshed into carry neither `act` nor client
 * audiences, which the grant does not keep.
 */
function assertMayIssueRefreshToken(client: Client, params: Params, subject: PresentedToken, audience: string[], resources: string[]): void {
  if (!client.metadata.grant_types.includes('refresh_token')) throw new OAuthError('invalid_request', 'this client may not use refresh tokens');
  if (params.subject_token_type !== tokenTypes.refreshToken) throw new OAuthError('invalid_request', 'a refresh token is only issued in exchange for a refresh token');
  if (params.actor_token !== undefined || subject.act) throw new OAuthError('invalid_request', 'a refresh token is not issued for delegation');
  if (audience.some((name) => !resources.includes(name))) throw new OAuthError('invalid_target', 'a refresh token can only be issued for resources, not for other clients');
}

/**
 * A subject or actor token, present with its type, valid, and one this client may present. Every
 * failure is invalid_request, as RFC 8693 §2.2.2 requires for invalid or unacceptable tokens.
 */
async function usableToken(
  ctx: GrantContext<TokenExchangeGrantDeps>, role: 'subject' | 'actor', token: string | undefined, type: string | undefined, acceptedTypes: string[],
): Promise<PresentedToken> {
  if (token === undefined || type === undefined) throw new OAuthError('invalid_request', `${role}_token and ${role}_token_type are both required`);
  if (!acceptedTypes.includes(type)) throw new OAuthError('invalid_request', `${role}_token_type must be one of: ${acceptedTypes.join(', ')}`);
  const presented = await presentedToken(ctx.s, ctx.realm, token, type);
  if (!presented) throw new OAuthError('invalid_request', `${role}_token is not a valid ${type.split(':').pop()} of this realm`);
  if (!mayPresent(ctx.client, presented)) throw new OAuthError('invalid_request', `this client may not exchange the ${role}_token`);
  return presented;
}

/**
 * Which tokens a client may exchange: those issued to it, those whose audience names it (it is the
 * resource server they were meant for), and those issued to a client its
 * `token_exchange_subject_clients` metadata lists.
 */
function mayPresent(client: Client, token: PresentedToken): boolean {
  return token.clientId === client.clientId || token.audience.includes(client.clientId)
    || (client.metadata.token_exchange_subject_clients ?? []).includes(token.clientId);
}

/** The scope asked for (by default the subject's), within both the subject token's scope and the client's. */
function exchangedScope(client: Client, subject: PresentedToken, requested: string[]): string[] {
  const allowed = clientScopes(client);
  if (requested.length === 0) return subject.scope.filter((value) => allowed.has(value));
  const refused = requested.filter((value) => !subject.scope.includes(value) || !allowed.has(value));
  if (refused.length > 0) throw new OAuthError('invalid_scope', `scope exceeds the subject token's or this client's: ${refused.join(' ')}`);
  return requested;
}

/**
 * RFC 8693 §2.1 `resource` (a realm resource the client may ask for) and `audience` (such a
 * resource, or the client_id of an enabled client of the realm). Without either, the token is for
 * the client itself.
 */
async function targets(ctx: GrantContext<TokenExchangeGrantDeps>, params: Params): Promise<{ audience: string[]; resources: string[] }> {
  const resources = requestedResources(ctx.realm, ctx.client, params);
  const known = clientResources(ctx.realm, ctx.client);
  const audience = [...resources];
  for (const name of new Set(paramValues(params, 'audience'))) {
    if (known.includes(name)) {
      if (!resources.includes(name)) resources.push(name);
    } else {
      const target = clientIdFormat.test(name) ? await ctx.s.store.clients.get(ctx.realm.name, name) : undefined;
      if (!target?.enabled) throw new OAuthError('invalid_target', `audience ${name} is not a client or resource this client may ask for`);
    }
    if (!audience.includes(name)) audience.push(name);
  }
  return { audience, resources };
}

/** RFC 8693 §4.1: the actor becomes the current one; earlier actors nest inside. Impersonation keeps what the subject carried. */
function actClaim(subject: PresentedToken, actor: PresentedToken | undefined): Record<string, unknown> | undefined {
  if (!actor) return subject.act;
  return { sub: actor.sub, ...(subject.act ? { act: subject.act } : {}) };
}
