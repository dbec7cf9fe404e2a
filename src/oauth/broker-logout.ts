// Logout with Strix as the relying party of an upstream provider (docs/identity-providers.md).
// OIDC Back-Channel Logout 1.0: the provider POSTs a logout token when a user signs out there; the
// Strix sessions that provider signed in (its session by sid, or all of the user's by sub) end, their
// grants are revoked, and Strix's own clients are told in turn. RP-Initiated Logout 1.0, the other
// way: a sign-out at Strix of a session a provider with upstream_logout signed in goes on to the
// provider's end_session_endpoint, and comes back to where the application asked to return.
import type { FastifyInstance, FastifyReply } from 'fastify';
import { clearRealmCookie, cookieScope, openSealedCookie, setRealmCookie } from '../http/cookies.js';
import { endpointUrl, route } from '../http/endpoint.js';
import { OAuthError } from '../http/errors.js';
import { sendAnswer } from '../http/page-view.js';
import { singleParams } from '../http/params.js';
import { BrokerError, upstreamMetadata, verifyLogoutToken, type BrokeringDeps } from '../identity/brokering.js';
import { randomToken, safeEqual } from '../runtime.js';
import type { Realm } from '../store/realms.js';
import type { Session } from '../store/sessions.js';
import type { SsoDeps } from '../identity/sso.js';
import { recordEvent } from '../security/audit.js';
import type { Needs } from '../services.js';
import { oauthEndpoints } from './endpoints.js';
import { logOutSession, type LogoutNotificationsDeps } from '../identity/logout-notifications.js';

/** What this module uses (services.ts `Needs`). */
export type BrokerLogoutDeps = Needs<'config' | 'sealer', 'grants' | 'sessions'> & BrokeringDeps & SsoDeps & LogoutNotificationsDeps;

/** What the browser carries to the provider's sign-out and back (sealed in a cookie): the state to match and where to go then. */
interface ProviderLogout { kind: 'broker_logout'; realm: string; alias: string; state: string; next?: string; expiresAt: number }

const logoutCookie = 'strix_broker_logout';
const logoutCookieSeconds = 600;

/**
 * Where the browser goes to sign out at the provider that signed this (now ended) session in, when the
 * provider has upstream_logout and an end_session_endpoint: its ID token as the hint, Strix's
 * client_id, and Strix's logout_response as the return address with a fresh state; `next` (the
 * application's registered post-logout URI, if any) is kept for the way back. Undefined when there is
 * nothing to do there, or the provider cannot be reached (the sign-out here stands on its own).
 */
export async function logoutAtProvider(
  s: BrokerLogoutDeps, reply: FastifyReply, realm: Realm, session: Session, next: string | undefined, uiLocales: string | undefined,
): Promise<string | undefined> {
  const provider = session.idp === undefined ? undefined : realm.settings.identity_providers.find((p) => p.alias === session.idp);
  if (!provider?.upstream_logout) return undefined;
  let endSessionEndpoint: string | undefined;
  try {
    endSessionEndpoint = (await upstreamMetadata(s, provider)).end_session_endpoint;
  } catch (error) {
    if (error instanceof BrokerError) return undefined;
    throw error;
  }
  if (!endSessionEndpoint) return undefined;
  const state = randomToken();
  const url = new URL(endSessionEndpoint);
  const hint = session.idpIdToken === undefined ? undefined : openedHint(s, session.idpIdToken);
  if (hint) url.searchParams.set('id_token_hint', hint);
  url.searchParams.set('client_id', provider.client_id);
  url.searchParams.set('post_logout_redirect_uri', endpointUrl(s.config, realm, oauthEndpoints.broker_logout_response, { alias: provider.alias }));
  url.searchParams.set('state', state);
  if (uiLocales !== undefined) url.searchParams.set('ui_locales', uiLocales);
  const way: ProviderLogout = { kind: 'broker_logout', realm: realm.name, alias: provider.alias, state, ...(next ? { next } : {}), expiresAt: s.clock.now() + logoutCookieSeconds * 1000 };
  setRealmCookie(reply, cookieScope(s.config.publicUrl, realm.name), logoutCookie, s.sealer.seal(JSON.stringify(way)), logoutCookieSeconds);
  return url.href;
}

/** The sealed ID token, opened; a token sealed under a master key since replaced is no hint. */
function openedHint(s: BrokerLogoutDeps, sealed: string): string | undefined {
  try {
    return s.sealer.open(sealed);
  } catch {
    return undefined;
  }
}

export function brokerLogoutRoutes(app: FastifyInstance, s: BrokerLogoutDeps): void {
  route(app, oauthEndpoints.broker_backchannel_logout, async (request, reply) => {
    reply.header('cache-control', 'no-store');
    const realm = request.realm!;
    const alias = (request.params as Record<string, string>).alias;
    const provider = realm.settings.identity_providers.find((p) => p.alias === alias);
    if (!provider) throw new OAuthError('invalid_request', 'no such identity provider', 404);
    let params: Record<string, string | undefined>;
    try {
      params = singleParams(request.body);
    } catch (error) {
      throw new OAuthError('invalid_request', (error as Error).message);
    }
    if (!params.logout_token) throw new OAuthError('invalid_request', 'logout_token is required');
    let named: { sub?: string; sid?: string };
    try {
      named = await verifyLogoutToken(s, provider, params.logout_token);
    } catch (error) {
      if (!(error instanceof BrokerError)) throw error;
      await recordEvent(s, { realm, type: 'identity_provider_error', ip: request.ip, details: { identity_provider: provider.alias, reason: error.reason, detail: error.message } });
      // §2.8: an invalid logout token is answered 400.
      throw new OAuthError('invalid_request', error.message);
    }
    const now = s.clock.now();
    const linked = named.sub === undefined ? undefined : await s.store.userIdentities.find(realm.name, provider.alias, named.sub);
    // A sid ends that session of the provider (of the named user, when a sub comes with it); a sub alone ends every session the provider signed that user in.
    const sessions = named.sid !== undefined
      ? (await s.store.sessions.findByUpstream(realm.name, provider.alias, { idpSid: named.sid }, now)).filter((session) => named.sub === undefined || session.userId === linked?.userId)
      : linked ? await s.store.sessions.findByUpstream(realm.name, provider.alias, { userId: linked.userId }, now) : [];
    for (const session of sessions) {
      const clientIds = await logOutSession(s, realm, session);
      await recordEvent(s, { realm, type: 'logout', userId: session.userId, ip: request.ip, sessionId: session.id, details: { clients: clientIds, identity_provider: provider.alias } });
    }
    return reply.code(200).send();
  });

  // Back from the provider's sign-out: on to the application's return address when the state is the
  // one this browser left with; the signed-out page otherwise (the session here ended before leaving).
  route(app, oauthEndpoints.broker_logout_response, async (request, reply) => {
    const realm = request.realm!;
    const alias = (request.params as Record<string, string>).alias;
    const way = openSealedCookie<ProviderLogout>(s.sealer, request.cookies[logoutCookie], 'broker_logout');
    clearRealmCookie(reply, cookieScope(s.config.publicUrl, realm.name), logoutCookie);
    const state = (request.query as Record<string, unknown>).state;
    const matches = way !== undefined && way.realm === realm.name && way.alias === alias && way.expiresAt >= s.clock.now()
      && typeof state === 'string' && safeEqual(state, way.state);
    if (matches && way.next) return sendAnswer(reply, { kind: 'redirect', location: way.next, status: 303 });
    return reply.page({ page: 'signed_out', realm, frames: [] });
  });
}
