// Pushed Authorization Requests (RFC 9126): a client POSTs its authorization request to the PAR
// endpoint, authenticated as at the token endpoint, and gets back a short-lived request_uri that
// the authorization endpoint accepts in place of the parameters.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { authenticatedRequest, type ClientAuthDeps } from '../http/client-auth.js';
import { endpointUrl, route } from '../http/endpoint.js';
import { OAuthError, PageError } from '../http/errors.js';
import type { Params } from '../http/params.js';
import { assertClientAddressAllowed } from '../security/ip-rules.js';
import type { Needs } from '../services.js';
import type { Client } from '../store/clients.js';
import type { Realm } from '../store/realms.js';
import { dpopHeader, InvalidDPoPProof, nonceChallenge, verifyDPoPProof, type DpopDeps } from './dpop.js';
import { trustedRedirect, validateAuthorizationRequest, type TrustedRedirect } from '../authorization/request.js';
import { oauthEndpoints } from './endpoints.js';
import { pushedRequestObject, rejection, type RequestObjectDeps } from './request-object.js';

/** What this module uses (services.ts `Needs`). */
export type ParDeps = Needs<'clock' | 'config', 'pushedRequests'> & ClientAuthDeps & DpopDeps & RequestObjectDeps;

/** RFC 9126 §2.2: the request_uri is a URN with this prefix and a random reference. */
export const pushedRequestUriPrefix = 'urn:ietf:params:oauth:request_uri:';
/** Long enough for the redirect that follows the push, short enough to leave little to replay (RFC 9126 §7.1). */
export const pushedRequestLifetimeSeconds = 60;

/** Client authentication travels with the push but is no part of the authorization request. */
const authenticationParams = ['client_secret', 'client_assertion', 'client_assertion_type'];

export function parRoutes(app: FastifyInstance, s: ParDeps): void {
  route(app, oauthEndpoints.pushed_authorization_request_endpoint, async (request, reply) => {
    reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
    const realm = request.realm!;
    const { params, client } = await authenticatedRequest(request, s);
    assertClientAddressAllowed(client, request.ip, 'json');
    const pushed = await validatedPush(s, realm, client, params);
    await bindToProof(request, reply, s, realm, pushed);
    const now = s.clock.now();
    const reference = await s.store.pushedRequests.create({
      realm: realm.name, clientId: client.clientId, params: pushed, expiresAt: now + pushedRequestLifetimeSeconds * 1000,
    }, now);
    request.log.info({ realm: realm.name, clientId: client.clientId, event: 'authorization_request_pushed' }, 'authorization request pushed');
    return reply.code(201).send({ request_uri: `${pushedRequestUriPrefix}${reference}`, expires_in: pushedRequestLifetimeSeconds });
  });
}

/**
 * RFC 9126 §2.1: the pushed parameters (or the request object among them) are validated as the
 * authorization endpoint would, and every error is answered here as JSON (§2.3). Returns the
 * effective parameters, which the authorization endpoint validates again when they are used.
 */
async function validatedPush(s: ParDeps, realm: Realm, client: Client, body: Params): Promise<Params> {
  if (body.request_uri !== undefined) throw new OAuthError('invalid_request', 'request_uri must not be sent to the pushed authorization request endpoint');
  const outer: Params = { client_id: client.clientId };
  for (const [name, value] of Object.entries(body)) if (!authenticationParams.includes(name)) outer[name] = value;
  const params = await pushedRequestObject(s, realm, client, outer);
  validateAuthorizationRequest(realm, client, params, registeredRedirect(client, params));
  return params;
}

/**
 * RFC 9449 §10.1: a DPoP proof sent with the push binds the code to its key, as dpop_jkt would; when
 * both come, they must name the same key.
 */
async function bindToProof(request: FastifyRequest, reply: FastifyReply, s: ParDeps, realm: Realm, pushed: Params): Promise<void> {
  const proof = dpopHeader(request);
  if (proof === undefined) return;
  const nonces = nonceChallenge(s, realm, reply);
  const { jkt } = await verifyDPoPProof(proof, { htm: 'POST', htu: endpointUrl(s.config, realm, oauthEndpoints.pushed_authorization_request_endpoint), nonces }, s);
  if (pushed.dpop_jkt !== undefined && pushed.dpop_jkt !== jkt) throw new InvalidDPoPProof('dpop_jkt names another key than the DPoP proof');
  pushed.dpop_jkt = jkt;
}

/** §2.4 would let an authenticated client push an unregistered redirect URI; Strix keeps to registered ones. */
function registeredRedirect(client: Client, params: Params): TrustedRedirect {
  try {
    return trustedRedirect(client, params);
  } catch (error) {
    if (error instanceof PageError) throw new OAuthError('invalid_request', error.message);
    throw error;
  }
}

export function isPushedRequestUri(value: string | undefined): value is string {
  return value?.startsWith(pushedRequestUriPrefix) === true;
}

/**
 * RFC 9126 §4: the authorization request that names a pushed request_uri. Its parameters are the
 * pushed ones; anything else on the URL but client_id is ignored. The reference works once, for the
 * client that pushed it, until it expires; errors take the route of any request_uri error (a
 * redirect only to a registered redirect_uri the request named, otherwise a page).
 */
export async function resolvePushedRequest(s: ParDeps, realm: Realm, client: Client | undefined, outer: Params): Promise<Params> {
  // Without a known client, trustedRedirect shows the error page.
  if (outer.client_id === undefined || !client?.enabled) return outer;
  const reference = outer.request_uri!.slice(pushedRequestUriPrefix.length);
  const pushed = await s.store.pushedRequests.take(realm.name, client.clientId, reference);
  const refused = (problem: string) => rejection(client, new OAuthError('invalid_request_uri', problem), outer.redirect_uri !== undefined ? outer : undefined);
  if (!pushed) throw refused('request_uri is unknown, was already used, or was pushed by another client');
  if (pushed.expiresAt <= s.clock.now()) throw refused('request_uri has expired');
  return pushed.params;
}

/** RFC 9126 §5, §6: the realm or the client may insist that every authorization request is pushed. */
export function pushRequired(realm: Realm, client: Client): boolean {
  return realm.settings.require_pushed_authorization_requests || client.metadata.require_pushed_authorization_requests === true;
}
