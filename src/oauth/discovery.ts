// OpenID Provider metadata (OIDC Discovery 1.0 §3, RFC 8414) and the JWKS (RFC 7517):
// advertises exactly what is implemented.
import type { FastifyInstance } from 'fastify';
import { endpointOf, issuerOf, type Services } from '../services.js';
import { signingAlgs, type Realm } from '../store/realms.js';
import { claimsSupported } from '../tokens/claims.js';
import { builtInScopes } from '../tokens/scopes.js';
import { messages } from '../ui/messages.js';
import { promptValues, responseModes } from './authorization-request.js';
import { grants } from './token.js';

export function discoveryDocument(s: Services, realm: Realm): Record<string, unknown> {
  return {
    issuer: issuerOf(s.config, realm),
    authorization_endpoint: endpointOf(s.config, realm, 'auth'),
    token_endpoint: endpointOf(s.config, realm, 'token'),
    userinfo_endpoint: endpointOf(s.config, realm, 'userinfo'),
    jwks_uri: endpointOf(s.config, realm, 'certs'),
    end_session_endpoint: endpointOf(s.config, realm, 'logout'),
    scopes_supported: [...builtInScopes, ...realm.settings.scopes.map((d) => d.name)],
    response_types_supported: ['code'],
    response_modes_supported: responseModes,
    grant_types_supported: grants.map((g) => g.type),
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: signingAlgs,
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
    code_challenge_methods_supported: realm.settings.pkce_plain_allowed ? ['S256', 'plain'] : ['S256'],
    claims_supported: claimsSupported,
    claim_types_supported: ['normal'],
    prompt_values_supported: promptValues,
    ui_locales_supported: Object.keys(messages),
    claims_parameter_supported: false,
    request_parameter_supported: false,
    request_uri_parameter_supported: false,
    require_request_uri_registration: false,
    authorization_response_iss_parameter_supported: true,
  };
}

export function discoveryRoutes(app: FastifyInstance, s: Services): void {
  app.get('/realms/:realm/.well-known/openid-configuration', async (request, reply) =>
    reply.header('cache-control', 'public, max-age=60').send(discoveryDocument(s, request.realm!)));
  // RFC 8414 §3 location for the same document.
  app.get('/.well-known/oauth-authorization-server/realms/:realm', async (request, reply) =>
    reply.header('cache-control', 'public, max-age=60').send(discoveryDocument(s, request.realm!)));
  app.get('/realms/:realm/protocol/openid-connect/certs', async (request, reply) =>
    reply.header('cache-control', 'public, max-age=60').type('application/jwk-set+json').send(await s.keystore.jwks(request.realm!.name)));
}
