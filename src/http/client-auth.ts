// Client authentication at the token endpoint (RFC 6749 §2.3.1): client_secret_basic,
// client_secret_post and none; the method registered for the client is enforced.
import type { FastifyRequest } from 'fastify';
import { safeEqual } from '../runtime.js';
import type { Client, ClientsRepository } from '../store/clients.js';
import type { Sealer } from '../tokens/master-key.js';
import { OAuthError } from './errors.js';
import type { Params } from './params.js';

export class InvalidClient extends OAuthError {
  constructor(description: string, readonly basic: boolean) {
    super('invalid_client', description, 401);
  }
}

interface Presented { method: 'client_secret_basic' | 'client_secret_post' | 'none'; clientId: string; secret?: string }

function presentedCredentials(authorization: string | undefined, params: Params): Presented {
  const basic = authorization?.match(/^Basic\s+(\S+)\s*$/i);
  if (authorization !== undefined && !basic && /^basic/i.test(authorization)) throw new InvalidClient('malformed Basic credentials', true);
  if (basic) {
    if (params.client_secret !== undefined) throw new OAuthError('invalid_request', 'use only one client authentication method');
    const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw new InvalidClient('malformed Basic credentials', true);
    let clientId: string;
    let secret: string;
    try {
      clientId = decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' '));
      secret = decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' '));
    } catch {
      throw new InvalidClient('malformed Basic credentials', true);
    }
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

export async function authenticateClient(
  request: FastifyRequest,
  params: Params,
  realm: string,
  clients: ClientsRepository,
  sealer: Sealer,
): Promise<Client> {
  const presented = presentedCredentials(request.headers.authorization, params);
  const basic = presented.method === 'client_secret_basic';
  const client = await clients.get(realm, presented.clientId);
  // One message for every failure, so that responses do not reveal which client ids exist.
  const fail = () => new InvalidClient('client authentication failed', basic);
  if (!client || !client.enabled) throw fail();
  if (client.metadata.token_endpoint_auth_method !== presented.method) throw fail();
  if (presented.method !== 'none') {
    if (!client.secretHash || !safeEqual(sealer.digest(presented.secret ?? ''), client.secretHash)) throw fail();
  }
  return client;
}
