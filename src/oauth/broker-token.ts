// Keycloak's broker token endpoint (docs/identity-providers.md): an application reads the tokens an
// upstream provider gave the signed-in user, to call that provider's APIs on the user's behalf. Only
// for a provider with store_tokens, only with the user's live access token, and only when the user
// holds the role read-token (Keycloak's, given by the admin); the tokens are never otherwise shown.
import type { FastifyInstance } from 'fastify';
import { challenge, InvalidToken, userBearerToken } from '../http/bearer.js';
import { route } from '../http/endpoint.js';
import { OAuthError } from '../http/errors.js';
import { storedTokens } from '../identity/brokering.js';
import type { Needs } from '../services.js';
import type { InspectDeps } from '../tokens/inspect.js';
import { oauthEndpoints } from './endpoints.js';

/** What this module uses (services.ts `Needs`). */
export type BrokerTokenDeps = Needs<'clock' | 'sealer', 'userIdentities'> & InspectDeps;

/** Keycloak's role that lets a user's applications read the provider's tokens. */
export const readTokenRole = 'read-token';

export function brokerTokenRoutes(app: FastifyInstance, s: BrokerTokenDeps): void {
  route(app, oauthEndpoints.broker_token, async (request, reply) => {
    const realm = request.realm!;
    reply.header('cache-control', 'no-store');
    try {
      const token = await userBearerToken(s, realm, request.headers.authorization, 'the user\'s access token');
      const alias = (request.params as Record<string, string>).alias;
      const provider = realm.settings.identity_providers.find((p) => p.alias === alias);
      if (!provider?.store_tokens) throw new OAuthError('invalid_request', 'this identity provider does not keep its tokens', 400);
      if (!token.user.roles.includes(readTokenRole)) throw new OAuthError('insufficient_scope', `the user does not hold the role ${readTokenRole}`, 403);
      const kept = await storedTokens(s, provider, token.user.id);
      if (!kept) throw new OAuthError('invalid_request', 'no tokens of this identity provider are kept for the user', 400);
      const { expires_at: expiresAt, ...answer } = kept;
      return reply.send(expiresAt === undefined ? answer : { ...answer, expires_in: Math.max(0, Math.floor((expiresAt - s.clock.now()) / 1000)) });
    } catch (error) {
      if (!(error instanceof OAuthError)) throw error;
      if (error.status === 401 || error.status === 403) reply.header('www-authenticate', challenge('Bearer', realm.name, error));
      return reply.code(error.status).send(error instanceof InvalidToken && !error.presented ? undefined : error.toJSON());
    }
  });
}
