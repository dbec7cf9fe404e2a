// UserInfo endpoint (OIDC Core §5.3), GET and POST; bearer tokens per RFC 6750 §2.1/§2.2 and
// errors per §3.1. Revocation is honoured by checking the token's grant.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { OAuthError } from '../http/errors.js';
import { issuerOf, type Services } from '../services.js';
import { claimsForScopes, claimsNamed, requestedClaimNames } from '../tokens/claims.js';
import { userinfoClaims } from '../tokens/custom-claims.js';
import { signUserinfo } from '../tokens/issue.js';
import { inspectAccessToken } from '../tokens/inspect.js';
import { isFormBody } from '../http/params.js';

function bearerToken(request: FastifyRequest): string {
  const header = request.headers.authorization;
  const body = request.method === 'POST' && isFormBody(request.headers['content-type']) ? (request.body as Record<string, unknown> | undefined)?.access_token : undefined;
  if (header !== undefined && body !== undefined) throw new OAuthError('invalid_request', 'send the access token one way only', 400);
  if (header !== undefined) {
    const match = header.match(/^Bearer ([A-Za-z0-9\-._~+/]+=*)$/i);
    if (!match) throw new OAuthError('invalid_token', 'malformed Authorization header');
    return match[1]!;
  }
  if (typeof body === 'string' && body !== '') return body;
  if (body !== undefined) throw new OAuthError('invalid_request', 'access_token is malformed', 400);
  throw new MissingToken();
}

/** RFC 6750 §3.1: a request without any token gets a bare challenge, no error code. */
class MissingToken extends OAuthError {
  constructor() {
    super('invalid_token', 'no access token', 401);
  }
}

export function userinfoRoutes(app: FastifyInstance, s: Services): void {
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const realm = request.realm!;
    reply.header('cache-control', 'no-store');
    try {
      const token = await inspectAccessToken(s, realm, bearerToken(request));
      if (!token) throw new OAuthError('invalid_token', 'the access token is invalid or has expired');
      if (!token.scope.includes('openid')) throw new OAuthError('insufficient_scope', 'the access token lacks the openid scope');
      if (!token.active || !token.user) throw new OAuthError('invalid_token', 'the access token has been revoked, or its user disabled');
      const requested = claimsNamed(token.user, requestedClaimNames(token.grant?.claims ?? null, 'userinfo'));
      const client = await s.store.clients.get(realm.name, token.clientId);
      const claims = userinfoClaims(realm, client, token.user, token.scope, { ...requested, ...claimsForScopes(token.user, token.scope) });
      const alg = client?.metadata.userinfo_signed_response_alg;
      if (!client || !alg) return reply.send(claims);
      const signed = await signUserinfo({ issuer: issuerOf(s.config, realm), realm, keystore: s.keystore, now: s.clock.now() }, { client, alg, claims });
      return reply.type('application/jwt').send(signed);
    } catch (error) {
      if (!(error instanceof OAuthError)) throw error;
      const realmParam = `realm="${realm.name}"`;
      const challenge = error instanceof MissingToken
        ? `Bearer ${realmParam}`
        : `Bearer ${realmParam}, error="${error.code}", error_description="${error.toJSON().error_description.replace(/"/g, "'")}"`;
      return reply.code(error.status).header('www-authenticate', challenge).send(error instanceof MissingToken ? undefined : error.toJSON());
    }
  };
  app.get('/realms/:realm/protocol/openid-connect/userinfo', handler);
  app.post('/realms/:realm/protocol/openid-connect/userinfo', handler);
}
