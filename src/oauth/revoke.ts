// Token revocation (RFC 7009): a client tells Strix it no longer needs a token. Revoking a refresh
// token, or an access token with a grant behind it, revokes that grant, so every token issued from
// it stops working; an access token without one (client_credentials) is revoked on its own.
import type { FastifyInstance } from 'fastify';
import { authenticatedRequest, type ClientAuthDeps } from '../http/client-auth.js';
import { forClient } from '../http/cors.js';
import { route } from '../http/endpoint.js';
import { OAuthError } from '../http/errors.js';
import type { Needs } from '../services.js';
import { inspectToken, type InspectDeps } from '../tokens/inspect.js';
import { oauthEndpoints } from './endpoints.js';

/** What this module uses (services.ts `Needs`). */
export type RevokeDeps = Needs<'clock', 'grants' | 'revokedAccessTokens'> & ClientAuthDeps & InspectDeps;

export function revokeRoutes(app: FastifyInstance, s: RevokeDeps): void {
  route(app, oauthEndpoints.revocation_endpoint, async (request, reply) => {
    reply.header('cache-control', 'no-store');
    const realm = request.realm!;
    // Public clients take part too (client_id only): they hold tokens and must be able to discard them.
    const { params, client } = await authenticatedRequest(request, s);
    forClient(request, reply, client);
    if (params.token === undefined) throw new OAuthError('invalid_request', 'token is required');
    // Strix can revoke every token it issues (refresh tokens and every access token), so an
    // unknown token_type_hint is simply ignored and unsupported_token_type (§2.2.1) never applies.
    const token = await inspectToken(s, realm, params.token, params.token_type_hint);
    // §2.2: an invalid, expired or unknown token is no error; the client's aim is already achieved.
    if (!token) return reply.send();
    // §2.1: a token issued to another client is refused. RFC 7009 names no error code for it;
    // unauthorized_client is the one its editor recommends (oauth@ietf.org, June 2019).
    if (token.clientId !== client.clientId) throw new OAuthError('unauthorized_client', 'the token was not issued to this client');
    // §2.1 allows revoking the tokens based on the same grant; an access token carries its
    // grant's id, so it goes the same way as a refresh token.
    if (token.grant) {
      await s.store.grants.revoke(token.grant.id, s.clock.now());
      request.log.info({ realm: realm.name, clientId: client.clientId, tokenType: token.type, event: 'grant_revoked' }, 'grant revoked by the client');
      return reply.send();
    }
    // A client_credentials access token stems from no grant: its id is recorded until it expires,
    // and every node's introspection reads that record.
    if (token.type === 'access_token') {
      await s.store.revokedAccessTokens.revoke(token.claims.jti, token.claims.exp * 1000);
      request.log.info({ realm: realm.name, clientId: client.clientId, tokenType: token.type, event: 'access_token_revoked' }, 'access token revoked by the client');
    }
    return reply.send();
  });
}
