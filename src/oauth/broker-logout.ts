// OIDC Back-Channel Logout 1.0 with Strix as the relying party of an upstream provider
// (docs/identity-providers.md): the provider POSTs a logout token when a user signs out there; the
// Strix sessions that provider signed in (its session by sid, or all of the user's by sub) end, their
// grants are revoked, and Strix's own clients are told in turn.
import type { FastifyInstance } from 'fastify';
import { route } from '../http/endpoint.js';
import { OAuthError } from '../http/errors.js';
import { singleParams } from '../http/params.js';
import { BrokerError, verifyLogoutToken, type BrokeringDeps } from '../identity/brokering.js';
import type { SsoDeps } from '../identity/sso.js';
import { recordEvent } from '../security/audit.js';
import type { Needs } from '../services.js';
import { oauthEndpoints } from './endpoints.js';
import { logOutSession, type LogoutNotificationsDeps } from '../identity/logout-notifications.js';

/** What this module uses (services.ts `Needs`). */
export type BrokerLogoutDeps = Needs<never, 'grants' | 'sessions'> & BrokeringDeps & SsoDeps & LogoutNotificationsDeps;

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
}
