// Token endpoint (RFC 6749 §3.2): client authentication → grant allowed? → grant handler.
// Errors are JSON per §5.2; responses are never cached.
import type { FastifyInstance } from 'fastify';
import { authenticatedRequest, type ClientAuthDeps } from '../http/client-auth.js';
import { forClient } from '../http/cors.js';
import { route } from '../http/endpoint.js';
import { OAuthError } from '../http/errors.js';
import { countTokensIssued } from '../ops/metrics.js';
import { recordEvent } from '../security/audit.js';
import { assertClientAddressAllowed } from '../security/ip-rules.js';
import { issuerOf, type Needs } from '../services.js';
import { oauthEndpoints } from './endpoints.js';
import { authorizationCode, type AuthorizationCodeGrantDeps } from './grants/authorization-code.js';
import { clientCredentials, type ClientCredentialsGrantDeps } from './grants/client-credentials.js';
import { deviceCode, type DeviceCodeGrantDeps } from './grants/device-code.js';
import type { GrantContext, GrantType } from './grants/grant.js';
import { password, type PasswordGrantDeps } from './grants/password.js';
import { refreshToken, type RefreshTokenGrantDeps } from './grants/refresh-token.js';
import { tokenExchange, type TokenExchangeGrantDeps } from './grants/token-exchange.js';
import { tokenRequestProof, type DpopDeps } from './dpop.js';

/** What this module uses (services.ts `Needs`). */
export type TokenEndpointDeps = Needs<'audit' | 'clock' | 'config'> & ClientAuthDeps & DpopDeps
  & AuthorizationCodeGrantDeps & RefreshTokenGrantDeps & ClientCredentialsGrantDeps & PasswordGrantDeps & DeviceCodeGrantDeps & TokenExchangeGrantDeps;

export const grants: GrantType<TokenEndpointDeps>[] = [authorizationCode, refreshToken, clientCredentials, password, deviceCode, tokenExchange];
const grantsByType = new Map(grants.map((g) => [g.type, g]));

export function tokenRoutes(app: FastifyInstance, s: TokenEndpointDeps): void {
  route(app, oauthEndpoints.token_endpoint, async (request, reply) => {
    reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
    const realm = request.realm!;
    const { params, client } = await authenticatedRequest(request, s);
    forClient(request, reply, client);
    assertClientAddressAllowed(client, request.ip, 'json');
    const type = params.grant_type;
    if (type === undefined) throw new OAuthError('invalid_request', 'grant_type is required');
    const grant = grantsByType.get(type);
    if (!grant) throw new OAuthError('unsupported_grant_type', `grant_type ${type} is not supported`);
    if (!client.metadata.grant_types.includes(type)) throw new OAuthError('unauthorized_client', `this client may not use ${type}`);
    const origin = { ip: request.ip, log: request.log };
    const dpop = await tokenRequestProof(request, reply, s, realm, client);
    const ctx: GrantContext<TokenEndpointDeps> = { s, realm, issuer: issuerOf(s.config, realm), client, params, now: s.clock.now(), origin, dpop };
    const response = await grant.handle(ctx);
    request.log.info({ realm: realm.name, clientId: client.clientId, grantType: type, event: 'token_issued' }, 'tokens issued');
    countTokensIssued(type);
    // Not awaited: the token endpoint is the hot path, and the event is written with others in one batch.
    // Tokens issued for no user (client_credentials) leave issuedFor unset.
    void recordEvent(s, {
      realm, type: 'token_issued', clientId: client.clientId, ip: request.ip,
      userId: ctx.issuedFor?.userId ?? null, sessionId: ctx.issuedFor?.sessionId ?? null,
      details: { grant_type: type, scope: response.scope, with_refresh_token: response.refresh_token !== undefined },
    });
    return reply.send(response);
  });
}
