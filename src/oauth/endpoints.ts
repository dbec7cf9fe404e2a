// The protocol endpoints of a realm, named as discovery metadata (OIDC Discovery 1.0 §3, RFC 8414 §2)
// and the RFCs that define them name them. Routes, discovery, URLs and policies all read this table.
import { endpointTable } from '../http/endpoint.js';

const protocol = '/realms/:realm/protocol/openid-connect';

export const oauthEndpoints = endpointTable({
  openid_configuration: { path: '/realms/:realm/.well-known/openid-configuration', methods: ['GET'], errors: 'json', cors: 'clients' },
  // RFC 8414 §3 location for the same document.
  oauth_authorization_server: { path: '/.well-known/oauth-authorization-server/realms/:realm', methods: ['GET'], errors: 'page' },
  // Every request that shows the sign-in page parks a row (authorization/decision.ts), so it has a cost to bound. Never CORS (BCP-16).
  authorization_endpoint: {
    path: `${protocol}/auth`, methods: ['GET', 'POST'], errors: 'page', discovery: true,
    rateLimits: [{ name: 'authorization_per_ip', by: 'ip' }],
  },
  token_endpoint: {
    path: `${protocol}/token`, methods: ['POST'], errors: 'json', cors: 'clients', corsCredentials: true, postOnly: true, discovery: true,
    rateLimits: [{ name: 'token_per_ip', by: 'ip' }, { name: 'token_per_client', by: 'client' }],
  },
  userinfo_endpoint: { path: `${protocol}/userinfo`, methods: ['GET', 'POST'], errors: 'json', cors: 'clients', corsCredentials: true, discovery: true },
  jwks_uri: { path: `${protocol}/certs`, methods: ['GET'], errors: 'json', cors: 'clients', discovery: true },
  end_session_endpoint: { path: `${protocol}/logout`, methods: ['GET', 'POST'], errors: 'page', cors: 'clients', corsCredentials: true, discovery: true },
  /** The form the logout confirmation page posts. */
  end_session_confirmation: { path: `${protocol}/logout/confirm`, methods: ['POST'], errors: 'page' },
  // OpenID Connect Session Management 1.0 §3.3 at Keycloak's path, and Keycloak's pages around it
  // (oauth/session-management.ts); framable by the realm's client origins only.
  check_session_iframe: { path: `${protocol}/login-status-iframe.html`, methods: ['GET'], errors: 'page', discovery: true },
  /** Keycloak's origin check the iframe makes: 204 when the origin may ask about the client, else 403. */
  check_session_iframe_init: { path: `${protocol}/login-status-iframe.html/init`, methods: ['GET'], errors: 'json' },
  /** The third-party cookie probe keycloak-js runs before using the iframe. */
  third_party_cookies_step1: { path: `${protocol}/3p-cookies/step1.html`, methods: ['GET'], errors: 'page' },
  third_party_cookies_step2: { path: `${protocol}/3p-cookies/step2.html`, methods: ['GET'], errors: 'page' },
  /** Their scripts, as files: the pages run no inline script. */
  check_session_iframe_script: { path: '/resources/session/login-status-iframe.js', methods: ['GET'], errors: 'page' },
  third_party_cookies_step1_script: { path: '/resources/session/3p-cookies-step1.js', methods: ['GET'], errors: 'page' },
  third_party_cookies_step2_script: { path: '/resources/session/3p-cookies-step2.js', methods: ['GET'], errors: 'page' },
  introspection_endpoint: {
    path: `${protocol}/token/introspect`, methods: ['POST'], errors: 'json', postOnly: true, discovery: true,
    rateLimits: [{ name: 'introspection_per_ip', by: 'ip' }, { name: 'introspection_per_client', by: 'client' }],
  },
  revocation_endpoint: {
    path: `${protocol}/revoke`, methods: ['POST'], errors: 'json', cors: 'clients', corsCredentials: true, postOnly: true, discovery: true,
    rateLimits: [{ name: 'revocation_per_ip', by: 'ip' }, { name: 'revocation_per_client', by: 'client' }],
  },
  // OIDC Back-Channel Logout 1.0 as the relying party of an upstream provider (docs/identity-providers.md).
  broker_backchannel_logout: {
    path: '/realms/:realm/broker/:alias/backchannel-logout', methods: ['POST'], errors: 'json', postOnly: true,
    rateLimits: [{ name: 'revocation_per_ip', by: 'ip' }],
  },
  // RP-Initiated Logout 1.0 §3 as the relying party: where the provider sends the browser back after a
  // sign-out there (Keycloak's path, so a provider that knew Keycloak's needs no change).
  broker_logout_response: { path: '/realms/:realm/broker/:alias/endpoint/logout_response', methods: ['GET'], errors: 'page' },
  // Keycloak's broker token endpoint: the tokens a provider with store_tokens gave the user (oauth/broker-token.ts).
  broker_token: { path: '/realms/:realm/broker/:alias/token', methods: ['GET'], errors: 'json' },
  registration_endpoint: {
    path: `${protocol}/registrations`, methods: ['POST'], errors: 'json', discovery: true,
    rateLimits: [{ name: 'registration_per_ip', by: 'ip' }],
  },
  // RFC 7592 client configuration endpoint.
  registration_client_uri: {
    path: `${protocol}/registrations/:clientId`, methods: ['GET', 'PUT', 'DELETE'], errors: 'json',
    rateLimits: [{ name: 'registration_per_ip', by: 'ip' }],
  },
  device_authorization_endpoint: {
    path: `${protocol}/auth/device`, methods: ['POST'], errors: 'json', postOnly: true, discovery: true,
    rateLimits: [{ name: 'device_authorization_per_ip', by: 'ip' }, { name: 'device_authorization_per_client', by: 'client' }],
  },
  // RFC 8628 §3.3: where the user enters the code. Code entries only are limited: showing the form costs a guesser nothing.
  verification_uri: {
    path: '/realms/:realm/device', methods: ['GET', 'POST'], errors: 'page',
    rateLimits: [{ name: 'device_verification_per_ip', by: 'ip', methods: ['POST'] }],
  },
  pushed_authorization_request_endpoint: {
    path: `${protocol}/ext/par/request`, methods: ['POST'], errors: 'json', cors: 'clients', postOnly: true, discovery: true,
    rateLimits: [{ name: 'par_per_ip', by: 'ip' }, { name: 'par_per_client', by: 'client' }],
  },
});

/** In the order the discovery document lists them. */
export const discoveryEndpoints = Object.values(oauthEndpoints).filter((e) => e.discovery);
