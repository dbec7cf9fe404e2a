// Device authorization endpoint (RFC 8628 §3.1, §3.2): a device that cannot show a browser asks
// for a device code (which it polls the token endpoint with) and a user code (which the user types
// on the verification page, src/ui/device-verification.ts). Clients authenticate as at the token
// endpoint; public clients name themselves with client_id.
import type { FastifyInstance } from 'fastify';
import { deviceCodeGrantType } from '../clients/grant-types.js';
import { authenticatedRequest, type ClientAuthDeps } from '../http/client-auth.js';
import { endpointUrl, route } from '../http/endpoint.js';
import { OAuthError } from '../http/errors.js';
import { randomToken } from '../runtime.js';
import { assertClientAddressAllowed } from '../security/ip-rules.js';
import type { Needs } from '../services.js';
import type { Client } from '../store/clients.js';
import { clientScopes, grantableScope, parseScope } from '../tokens/scopes.js';
import { oauthEndpoints } from './endpoints.js';
import { newUserCode, normalizeUserCode, userCodeHash } from '../authorization/user-code.js';

/** What this module uses (services.ts `Needs`). */
export type DeviceAuthorizationDeps = Needs<'clock' | 'config' | 'sealer', 'deviceCodes'> & ClientAuthDeps;


/** Drawing a code that is taken is rare (20^8 codes); a few tries make it vanishingly so. */
const userCodeAttempts = 5;

/** The requested scope, or without one every scope of the client except offline_access. */
function deviceScope(client: Client, requested: string | undefined): string[] {
  const scope = parseScope(requested);
  return scope.length > 0 ? grantableScope(client, scope) : [...clientScopes(client)].filter((v) => v !== 'offline_access');
}

export function deviceRoutes(app: FastifyInstance, s: DeviceAuthorizationDeps): void {
  route(app, oauthEndpoints.device_authorization_endpoint, async (request, reply) => {
    reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
    const realm = request.realm!;
    const { params, client } = await authenticatedRequest(request, s);
    assertClientAddressAllowed(client, request.ip, 'json');
    if (!client.metadata.grant_types.includes(deviceCodeGrantType)) throw new OAuthError('unauthorized_client', `this client may not use ${deviceCodeGrantType}`);
    const scope = deviceScope(client, params.scope).join(' ');
    const now = s.clock.now();
    const { device_code_lifetime: expiresIn, device_code_interval: interval } = realm.settings;
    const deviceCode = randomToken();
    for (let attempt = 0; attempt < userCodeAttempts; attempt++) {
      const userCode = newUserCode();
      const created = await s.store.deviceCodes.create({
        deviceCode, userCodeHash: userCodeHash(s.sealer, normalizeUserCode(userCode)!), realm: realm.name, clientId: client.clientId,
        scope, interval, expiresAt: now + expiresIn * 1000,
      }, now);
      if (!created) continue;
      request.log.info({ realm: realm.name, clientId: client.clientId, event: 'device_authorization' }, 'device code issued');
      const verificationUri = endpointUrl(s.config, realm, oauthEndpoints.verification_uri);
      return reply.send({
        device_code: deviceCode, user_code: userCode, verification_uri: verificationUri,
        verification_uri_complete: `${verificationUri}?user_code=${encodeURIComponent(userCode)}`, expires_in: expiresIn, interval,
      });
    }
    throw new OAuthError('temporarily_unavailable', 'no user code could be drawn, try again', 503);
  });
}
