// Keycloak's token shape, for realms whose `token_claims` is "keycloak": the claims that software
// written for Keycloak reads — Spring Security's and Quarkus's role converters (`realm_access.roles`,
// `resource_access.<client>.roles`), keycloak-js (`realm_access`, `resource_access`, `sid`), and APIs
// that check `typ`, `azp`, `session_state` or `allowed-origins`. They come on top of Strix's own
// claims, which stay (`client_id`, `gid`, `roles`, …): the default shape is unchanged.
import { clientOrigins } from '../clients/web-origins.js';
import type { Client } from '../store/clients.js';
import type { Grant } from '../store/grants.js';
import type { User } from '../store/users.js';
import { claimsForScopes } from './claims.js';

/** The profile and e-mail claims Keycloak puts in access tokens for those scopes. */
const accessTokenScopes = ['profile', 'email'];

export function keycloakAccessTokenClaims(p: { client: Client; grant?: Grant; user?: User; scope: string }): Record<string, unknown> {
  const claims: Record<string, unknown> = { typ: 'Bearer', azp: p.client.clientId, 'allowed-origins': [...clientOrigins(p.client)] };
  if (p.grant?.sessionId) claims.session_state = p.grant.sessionId;
  if (p.user) {
    const { sub: _sub, ...profile } = claimsForScopes(p.user, p.scope.split(' ').filter((scope) => accessTokenScopes.includes(scope)));
    Object.assign(claims, profile, { preferred_username: p.user.username, realm_access: { roles: p.user.roles } });
    // Held directly or through groups and their ancestors, composites included (store/users.ts).
    const clientRoles = Object.entries(p.user.clientRoles);
    if (clientRoles.length > 0) claims.resource_access = Object.fromEntries(clientRoles.map(([clientId, roles]) => [clientId, { roles }]));
  }
  return claims;
}

export function keycloakIdTokenClaims(p: { grant: Grant; user?: User }): Record<string, unknown> {
  const claims: Record<string, unknown> = { typ: 'ID' };
  if (p.grant.sessionId) claims.session_state = p.grant.sessionId;
  if (p.user) claims.preferred_username = p.user.username;
  return claims;
}
