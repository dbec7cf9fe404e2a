// OpenID Provider metadata (OIDC Discovery 1.0 §3, RFC 8414) and the JWKS (RFC 7517):
// advertises exactly what is implemented.
import type { FastifyInstance, RouteHandlerMethod } from 'fastify';
import { responseTypes } from '../authorization/response-types.js';
import { endpointUrl, route } from '../http/endpoint.js';
import { issuerOf, type Needs } from '../services.js';
import { clientAssertionAlgs, requestObjectSigningAlgs, tokenEndpointAuthMethods } from '../store/clients.js';
import { signingAlgs, type Realm } from '../store/realms.js';
import { claimsSupported } from '../tokens/claims.js';
import { builtInScopes } from '../tokens/scopes.js';
import { subjectTypes } from '../tokens/subject.js';
import { messages } from '../i18n/messages.js';
import { acrValuesSupported, promptValues, responseModes } from '../authorization/request.js';
import { dpopSigningAlgs } from './dpop.js';
import { discoveryEndpoints, oauthEndpoints } from './endpoints.js';
import { grants } from './token.js';

/** What this module uses (services.ts `Needs`). */
export type DiscoveryDeps = Needs<'config' | 'keystore', 'clients'>;

/**
 * RFC 9700 §2.4: the resource owner password grant MUST NOT be used. Strix keeps it for clients an
 * administrator creates with it, and offers it only in a realm that has such an enabled client.
 */
const offeredOnlyWhenUsed = new Set(['password']);

async function grantTypesSupported(s: DiscoveryDeps, realm: Realm): Promise<string[]> {
  const supported: string[] = [];
  for (const { type } of grants) {
    if (!offeredOnlyWhenUsed.has(type) || await s.store.clients.anyEnabledWithGrantType(realm.name, type)) supported.push(type);
  }
  return [...supported, 'implicit'];
}

export async function discoveryDocument(s: DiscoveryDeps, realm: Realm): Promise<Record<string, unknown>> {
  return {
    issuer: issuerOf(s.config, realm),
    ...Object.fromEntries(discoveryEndpoints.map((endpoint) => [endpoint.name, endpointUrl(s.config, realm, endpoint)])),
    require_pushed_authorization_requests: realm.settings.require_pushed_authorization_requests,
    scopes_supported: [...builtInScopes, ...realm.settings.scopes.map((d) => d.name)],
    response_types_supported: responseTypes,
    response_modes_supported: responseModes,
    grant_types_supported: await grantTypesSupported(s, realm),
    subject_types_supported: subjectTypes,
    id_token_signing_alg_values_supported: signingAlgs,
    userinfo_signing_alg_values_supported: signingAlgs,
    token_endpoint_auth_methods_supported: tokenEndpointAuthMethods,
    token_endpoint_auth_signing_alg_values_supported: [...clientAssertionAlgs.client_secret_jwt, ...clientAssertionAlgs.private_key_jwt],
    // Public clients (`none`) may revoke their own tokens but not introspect (RFC 7662 §2.1).
    introspection_endpoint_auth_methods_supported: tokenEndpointAuthMethods.filter((m) => m !== 'none'),
    revocation_endpoint_auth_methods_supported: tokenEndpointAuthMethods,
    code_challenge_methods_supported: realm.settings.pkce_plain_allowed ? ['S256', 'plain'] : ['S256'],
    claims_supported: claimsSupported,
    claim_types_supported: ['normal'],
    prompt_values_supported: promptValues,
    ui_locales_supported: Object.keys(messages),
    claims_parameter_supported: true,
    acr_values_supported: acrValuesSupported,
    request_parameter_supported: true,
    request_uri_parameter_supported: true,
    require_request_uri_registration: false,
    request_object_signing_alg_values_supported: requestObjectSigningAlgs,
    authorization_response_iss_parameter_supported: true,
    dpop_signing_alg_values_supported: dpopSigningAlgs,
    backchannel_logout_supported: true,
    backchannel_logout_session_supported: true,
    frontchannel_logout_supported: true,
    frontchannel_logout_session_supported: true,
  };
}

export function discoveryRoutes(app: FastifyInstance, s: DiscoveryDeps): void {
  const metadata: RouteHandlerMethod = async (request, reply) =>
    reply.header('cache-control', 'public, max-age=60').send(await discoveryDocument(s, request.realm!));
  route(app, oauthEndpoints.openid_configuration, metadata);
  route(app, oauthEndpoints.oauth_authorization_server, metadata);
  route(app, oauthEndpoints.jwks_uri, async (request, reply) =>
    reply.header('cache-control', 'public, max-age=60').type('application/jwk-set+json').send(await s.keystore.jwks(request.realm!.name)));
}
