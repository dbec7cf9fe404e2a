// Token introspection (RFC 7662): a resource server, authenticated as a confidential client, asks
// whether a token is active and what it stands for. Anything not active answers {"active": false}.
import type { FastifyInstance } from 'fastify';
import { authenticatedRequest, InvalidClient, type ClientAuthDeps } from '../http/client-auth.js';
import { route } from '../http/endpoint.js';
import { OAuthError } from '../http/errors.js';
import { seconds } from '../runtime.js';
import { issuerOf, type Needs } from '../services.js';
import type { Client } from '../store/clients.js';
import { inspectToken, type InspectedToken, type InspectDeps } from '../tokens/inspect.js';
import { subjectFor, type SubjectDeps } from '../tokens/subject.js';
import { oauthEndpoints } from './endpoints.js';

/** What this module uses (services.ts `Needs`). */
export type IntrospectDeps = Needs<'config', 'clients'> & ClientAuthDeps & InspectDeps & SubjectDeps;

export function introspectRoutes(app: FastifyInstance, s: IntrospectDeps): void {
  route(app, oauthEndpoints.introspection_endpoint, async (request, reply) => {
    reply.header('cache-control', 'no-store');
    const realm = request.realm!;
    const { params, client } = await authenticatedRequest(request, s);
    // RFC 7662 §2.1: the endpoint MUST require authorization, against token scanning. A public
    // client only names itself (RFC 6749 §2.1), which anyone can do, so it is no authorization:
    // `none` is an unsupported authentication method here (RFC 6749 §5.2 invalid_client).
    if (!client.confidential) throw new InvalidClient('public clients cannot introspect tokens', false);
    if (params.token === undefined) throw new OAuthError('invalid_request', 'token is required');
    const token = await inspectToken(s, realm, params.token, params.token_type_hint);
    if (!token || !token.active || !mayIntrospect(client, token)) return reply.send({ active: false });
    // A refresh token's sub is the one its client knows (an access token carries its own).
    const sub = token.type === 'refresh_token' && token.grant.userId !== null
      ? await subjectFor(s, realm.name, await s.store.clients.get(realm.name, token.clientId), token.grant.userId) : undefined;
    return reply.send(introspectionResponse(token, issuerOf(s.config, realm), sub));
  });
}

/**
 * Access tokens are meant for resource servers, so any confidential client may ask about them. A
 * refresh token is only ever presented by the client it was issued to; for anyone else it stays
 * opaque (RFC 7662 §4 lets the server decide what each client may learn).
 */
function mayIntrospect(client: Client, token: InspectedToken): boolean {
  return token.type === 'access_token' || token.clientId === client.clientId;
}

/** RFC 7662 §2.2; absent values are left out rather than sent as null. */
function introspectionResponse(token: InspectedToken, issuer: string, refreshSubject: string | undefined): Record<string, unknown> {
  const described = { active: true, scope: token.scope.join(' '), client_id: token.clientId, username: token.user?.username };
  if (token.type === 'access_token') {
    // `act`: who acts for the subject of an exchanged token (RFC 8693 §4.1 allows it here too).
    const { exp, iat, sub, aud, iss, jti, sid, auth_time, cnf, act } = token.claims;
    // RFC 9449 §6.2: a DPoP-bound token says so, and which key it is bound to.
    const binding = cnf?.jkt ? { token_type: 'DPoP', cnf: { jkt: cnf.jkt } } : { token_type: 'Bearer' };
    return { ...described, ...binding, exp, iat, sub, aud, iss, jti, sid, auth_time, act };
  }
  return {
    ...described, token_type: 'refresh_token', exp: seconds(token.expiresAt), iat: seconds(token.issuedAt),
    sub: refreshSubject, iss: issuer,
  };
}
