// Authorization endpoint (RFC 6749 §3.1, OIDC Core §3.1.2), GET and POST: resolves and validates
// the request, then answers what src/authorization/completion.ts decides — a page or the response.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { route } from '../http/endpoint.js';
import { OAuthError, PageError } from '../http/errors.js';
import { sendAnswer } from '../http/page-view.js';
import { singleParams } from '../http/params.js';
import { currentSession, keepSessionState, type SsoDeps } from '../identity/sso.js';
import { assertClientAddressAllowed } from '../security/ip-rules.js';
import type { Needs } from '../services.js';
import type { Realm } from '../store/realms.js';
import { verifyIdTokenHint, type IdTokenHintDeps } from '../tokens/id-token-hint.js';
import { oauthEndpoints } from './endpoints.js';
import { errorResponse, proceed, type CompletionDeps } from '../authorization/completion.js';
import { requestedSubject, trustedRedirect, validateAuthorizationRequest, type AuthorizationRequest } from '../authorization/request.js';
import { isPushedRequestUri, pushRequired, resolvePushedRequest, type ParDeps } from './par.js';
import { RejectedRequestObject, resolveRequestObject } from './request-object.js';

/** What this module uses (services.ts `Needs`). */
export type AuthorizeDeps = Needs<never, 'clients'> & CompletionDeps & SsoDeps & ParDeps & IdTokenHintDeps;

export function authorizeRoutes(app: FastifyInstance, s: AuthorizeDeps): void {
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const realm = request.realm!;
    let params;
    try {
      params = singleParams(request.method === 'POST' ? request.body : request.query);
    } catch (error) {
      throw new PageError('Invalid request', (error as Error).message);
    }
    const client = params.client_id === undefined ? undefined : await s.store.clients.get(realm.name, params.client_id);
    if (client) assertClientAddressAllowed(client, request.ip, 'page');
    const pushed = isPushedRequestUri(params.request_uri);
    try {
      params = pushed ? await resolvePushedRequest(s, realm, client, params) : await resolveRequestObject(s, realm, client, params);
    } catch (error) {
      if (error instanceof RejectedRequestObject) return sendAnswer(reply, errorResponse(s, realm, error.replyTo, error));
      throw error;
    }
    const trusted = trustedRedirect(client, params);
    try {
      if (!pushed && pushRequired(realm, client!)) throw new OAuthError('invalid_request', 'this client must push its authorization requests to the PAR endpoint');
      const authorization = validateAuthorizationRequest(realm, client!, params, trusted);
      const expected = { ...authorization, subject: await expectedSubject(s, realm, authorization) };
      const active = await currentSession(s, request, realm);
      if (active) keepSessionState(s, request, reply, realm, active.session);
      return sendAnswer(reply, await proceed(s, realm, client!, expected, active, undefined, request.method === 'POST' ? 303 : 302));
    } catch (error) {
      if (error instanceof OAuthError) return sendAnswer(reply, errorResponse(s, realm, trusted, error));
      throw error;
    }
  };
  route(app, oauthEndpoints.authorization_endpoint, handler);
}

/** The user the client insists on (id_token_hint or a valued sub claim); a hint not issued here is refused. */
async function expectedSubject(s: AuthorizeDeps, realm: Realm, authorization: AuthorizationRequest): Promise<string | undefined> {
  if (authorization.idTokenHint === undefined) return requestedSubject(authorization, undefined);
  const hint = await verifyIdTokenHint(s, realm, authorization.idTokenHint);
  if (!hint) throw new OAuthError('invalid_request', 'id_token_hint is not an ID token issued by this realm');
  return requestedSubject(authorization, hint.sub);
}
