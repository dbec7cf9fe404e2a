// Client authentication (RFC 6749 §2.3, OIDC Core §9): client_secret_basic, client_secret_post,
// client_secret_jwt and private_key_jwt (RFC 7523 §2.2, checked in client-assertion.ts) and none;
// the method registered for the client is enforced.
import type { FastifyRequest } from 'fastify';
import { oauthEndpoints } from '../oauth/endpoints.js';
import { safeEqual } from '../runtime.js';
import { issuerOf, type Needs } from '../services.js';
import type { Client, TokenEndpointAuthMethod } from '../store/clients.js';
import { endpointUrl, matchedEndpoint } from './endpoint.js';
import { AssertionRejected, assertionIssuer, jwtBearerAssertionType, verifyClientAssertion } from './client-assertion.js';
import { OAuthError } from './errors.js';
import { isFormBody, singleParams, type Params } from './params.js';
import { wellFormedText, wellFormedUtf8 } from './well-formed-input.js';

/** What this module uses (services.ts `Needs`). */
export type ClientAuthDeps = Needs<'clock' | 'config' | 'outbound' | 'sealer', 'changes' | 'clientAssertions' | 'clients'>;

export class InvalidClient extends OAuthError {
  constructor(description: string, readonly basic: boolean) {
    super('invalid_client', description, 401);
  }
}

type Presented =
  | { method: 'client_secret_basic' | 'client_secret_post'; clientId: string; secret: string }
  | { method: 'none'; clientId: string }
  | { method: 'client_assertion'; clientId: string | undefined; assertion: string };

function presentedCredentials(authorization: string | undefined, params: Params): Presented {
  if (params.client_assertion !== undefined || params.client_assertion_type !== undefined) return presentedAssertion(authorization, params);
  const basic = authorization?.match(/^Basic\s+(\S+)\s*$/i);
  if (authorization !== undefined && !basic && /^basic/i.test(authorization)) throw new InvalidClient('malformed Basic credentials', true);
  if (basic) {
    if (params.client_secret !== undefined) throw new OAuthError('invalid_request', 'use only one client authentication method');
    const decoded = wellFormedUtf8(Buffer.from(basic[1]!, 'base64'));
    const colon = decoded?.indexOf(':') ?? -1;
    if (decoded === undefined || colon < 0) throw new InvalidClient('malformed Basic credentials', true);
    let clientId: string;
    let secret: string;
    try {
      clientId = decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' '));
      secret = decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' '));
    } catch {
      throw new InvalidClient('malformed Basic credentials', true);
    }
    // The credentials are form-encoded (RFC 6749 §2.3.1): %00 decodes to a NUL the store cannot hold.
    if (!wellFormedText(clientId) || !wellFormedText(secret)) throw new InvalidClient('malformed Basic credentials', true);
    if (params.client_id !== undefined && params.client_id !== clientId) {
      throw new OAuthError('invalid_request', 'client_id does not match the authenticated client');
    }
    return { method: 'client_secret_basic', clientId, secret };
  }
  const clientId = params.client_id;
  if (clientId === undefined) throw new InvalidClient('client authentication is required', false);
  if (params.client_secret !== undefined) return { method: 'client_secret_post', clientId, secret: params.client_secret };
  return { method: 'none', clientId };
}

/** RFC 7521 §4.2 (parameters) and RFC 7523 §2.2; the client is the assertion's iss (§3 item 1). */
function presentedAssertion(authorization: string | undefined, params: Params): Presented {
  if ((authorization !== undefined && /^basic/i.test(authorization)) || params.client_secret !== undefined) {
    throw new OAuthError('invalid_request', 'use only one client authentication method');
  }
  const { client_assertion: assertion, client_assertion_type: type } = params;
  if (assertion === undefined || type === undefined) throw new OAuthError('invalid_request', 'client_assertion and client_assertion_type go together');
  // An assertion format Strix does not know is an unsupported authentication method: invalid_client
  // (RFC 6749 §5.2, RFC 7521 §4.2.1), not a malformed request.
  if (type !== jwtBearerAssertionType) throw new InvalidClient(`client_assertion_type must be ${jwtBearerAssertionType}`, false);
  return { method: 'client_assertion', clientId: assertionIssuer(assertion), assertion };
}

function registeredFor(method: TokenEndpointAuthMethod, presented: Presented['method']): boolean {
  if (presented === 'client_assertion') return method === 'client_secret_jwt' || method === 'private_key_jwt';
  return method === presented;
}


/**
 * What rate limits need to know of client authentication (src/security/rate-limits.ts decorates the
 * app with it): a client's allowance is spent by requests that proved to be that client, never by
 * strangers naming it, and failed attempts are counted per address and client on their own. Each
 * may throw TooManyRequests.
 */
export interface ClientAuthenticationLimits {
  /** Before the credentials are checked: an address that failed too often for this client is refused. */
  beforeCheck(request: FastifyRequest, clientId: string): Promise<void>;
  failed(request: FastifyRequest, clientId: string): Promise<void>;
  /** `proven`: the client presented a credential (not `none`, which anyone can claim). */
  succeeded(request: FastifyRequest, clientId: string, proven: boolean): Promise<void>;
}

declare module 'fastify' {
  interface FastifyInstance { clientAuthenticationLimits?: ClientAuthenticationLimits }
}

export async function authenticateClient(request: FastifyRequest, params: Params, s: ClientAuthDeps): Promise<Client> {
  const presented = presentedCredentials(request.headers.authorization, params);
  const limits = request.server.clientAuthenticationLimits;
  const clientId = presented.clientId;
  if (!limits || clientId === undefined) return verifyCredentials(request, presented, params, s);
  await limits.beforeCheck(request, clientId);
  let client: Client;
  try {
    client = await verifyCredentials(request, presented, params, s);
  } catch (error) {
    if (error instanceof InvalidClient) await limits.failed(request, clientId);
    throw error;
  }
  await limits.succeeded(request, clientId, presented.method !== 'none');
  return client;
}

async function verifyCredentials(request: FastifyRequest, presented: Presented, params: Params, s: ClientAuthDeps): Promise<Client> {
  const realm = request.realm!.name;
  const basic = presented.method === 'client_secret_basic';
  // One message for every failure, so that responses do not reveal which client ids exist or what
  // was wrong; the reason goes to the debug log for whoever runs Strix.
  const fail = (reason: string) => {
    request.log.debug({ realm, clientId: presented.clientId, method: presented.method, reason, event: 'client_authentication_failed' }, 'client authentication failed');
    return new InvalidClient('client authentication failed', basic);
  };
  if (presented.clientId === undefined) throw fail('client_assertion is not a JWT with an iss claim');
  if (presented.method === 'client_assertion' && params.client_id !== undefined && params.client_id !== presented.clientId) {
    throw fail('client_id differs from the assertion iss');
  }
  const client = await s.store.clients.get(realm, presented.clientId);
  if (!client) throw fail('unknown client');
  if (!client.enabled) throw fail('client is disabled');
  if (!registeredFor(client.metadata.token_endpoint_auth_method, presented.method)) {
    throw fail(`client is registered for ${client.metadata.token_endpoint_auth_method}`);
  }
  if (presented.method === 'client_assertion') {
    try {
      await verifyClientAssertion(presented.assertion, { client, audiences: audiences(request, s), now: s.clock.now(), sealer: s.sealer, outbound: s.outbound, jtis: s.store.clientAssertions, changes: s.store.changes });
    } catch (error) {
      if (error instanceof AssertionRejected) throw fail(error.message);
      throw error;
    }
  } else if (presented.method !== 'none') {
    if (!secretMatches(client, presented.secret, s)) throw fail('wrong secret');
  }
  return client;
}

/**
 * The secret last proven for a client, per cached client object: a client that authenticates on every
 * request is compared in constant time with it instead of paying a keyed hash each time. A changed
 * secret (or anything else about the client) is a new client object, so a rotated secret is never
 * compared with the old one, and the entry goes with the object when the client cache lets it go.
 */
const provenSecrets = new WeakMap<Client, string>();

function secretMatches(client: Client, secret: string, s: Pick<ClientAuthDeps, 'sealer'>): boolean {
  if (!client.secretHash) return false;
  const proven = provenSecrets.get(client);
  if (proven !== undefined && safeEqual(secret, proven)) return true;
  if (!safeEqual(s.sealer.digest(secret), client.secretHash)) return false;
  provenSecrets.set(client, secret);
  return true;
}

/**
 * RFC 7523 §3 item 3: the aud must identify Strix. The issuer and the token endpoint are both
 * accepted (OIDC Core §9 names the token endpoint; RFC 7523 and many clients use the issuer), and so
 * is the URL of the endpoint actually called (introspection, revocation), built from the endpoint
 * table and STRIX_PUBLIC_URL rather than from the Host header, which the caller controls.
 */
function audiences(request: FastifyRequest, s: ClientAuthDeps): string[] {
  const realm = request.realm!.name;
  const called = matchedEndpoint(request);
  return [issuerOf(s.config, realm), endpointUrl(s.config, realm, oauthEndpoints.token_endpoint), ...(called ? [endpointUrl(s.config, realm, called)] : [])];
}

/**
 * The start of every client-authenticated back-channel request (token, introspection, revocation):
 * a form body, each parameter once, and the client it authenticates as.
 */
export async function authenticatedRequest(request: FastifyRequest, s: ClientAuthDeps): Promise<{ params: Params; client: Client }> {
  if (!isFormBody(request.headers['content-type'])) {
    throw new OAuthError('invalid_request', 'the request body must be application/x-www-form-urlencoded');
  }
  const params = singleParams(request.body);
  return { params, client: await authenticateClient(request, params, s) };
}
