// UserInfo endpoint (OIDC Core §5.3), GET and POST; bearer tokens per RFC 6750 §2.1/§2.2 and
// errors per §3.1, DPoP-bound tokens per RFC 9449 §7. Revocation is honoured by checking the token's grant.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { authorizationToken, challenge, InvalidToken, type TokenScheme } from '../http/bearer.js';
import { forClient } from '../http/cors.js';
import { endpointUrl, route } from '../http/endpoint.js';
import { OAuthError } from '../http/errors.js';
import { issuerOf, type Needs } from '../services.js';
import type { Realm } from '../store/realms.js';
import { claimsForScopes, claimsNamed, requestedClaimNames } from '../tokens/claims.js';
import { userinfoClaims } from '../tokens/custom-claims.js';
import { signUserinfo } from '../tokens/issue.js';
import { inspectAccessToken, type InspectDeps } from '../tokens/inspect.js';
import { subjectFor, type SubjectDeps } from '../tokens/subject.js';
import { isFormBody } from '../http/params.js';
import { dpopHeader, dpopSigningAlgs, nonceChallenge, verifyDPoPProof, type DpopDeps } from './dpop.js';
import { oauthEndpoints } from './endpoints.js';

/** What this module uses (services.ts `Needs`). */
export type UserinfoDeps = Needs<'clock' | 'config' | 'keystore', 'clients'> & DpopDeps & InspectDeps & SubjectDeps;

/** The access token and how it came: in the Authorization header with its scheme, or in the form body. */
interface PresentedToken { token: string; scheme: TokenScheme | 'body' }

function presentedToken(request: FastifyRequest): PresentedToken {
  const header = request.headers.authorization;
  const body = request.method === 'POST' && isFormBody(request.headers['content-type']) ? (request.body as Record<string, unknown> | undefined)?.access_token : undefined;
  if (header !== undefined && body !== undefined) throw new OAuthError('invalid_request', 'send the access token one way only', 400);
  if (header !== undefined) {
    const presented = authorizationToken(header, ['Bearer', 'DPoP']);
    if (!presented) throw new InvalidToken('malformed Authorization header');
    return presented;
  }
  if (typeof body === 'string' && body !== '') return { token: body, scheme: 'body' };
  if (body !== undefined) throw new OAuthError('invalid_request', 'access_token is malformed', 400);
  throw new InvalidToken('no access token', false);
}

/**
 * RFC 9449 §7.1: a token bound to a key (cnf.jkt) is honoured only with the DPoP scheme and a proof
 * made with that key for this request and this token; never as a bearer token (§7.2, no downgrade).
 */
async function checkSenderConstraint(
  s: UserinfoDeps, request: FastifyRequest, reply: FastifyReply, realm: Realm, presented: PresentedToken, jkt: string | undefined,
): Promise<void> {
  if (jkt === undefined) {
    if (presented.scheme === 'DPoP') throw new OAuthError('invalid_token', 'the access token is not DPoP-bound: send it with the Bearer scheme');
    return;
  }
  if (presented.scheme !== 'DPoP') throw new OAuthError('invalid_token', 'the access token is DPoP-bound: send it with the DPoP scheme and a DPoP proof');
  const proof = dpopHeader(request);
  if (proof === undefined) throw new OAuthError('invalid_dpop_proof', 'a DPoP proof is required with a DPoP-bound access token', 401);
  const expected = { htm: request.method, htu: endpointUrl(s.config, realm, oauthEndpoints.userinfo_endpoint), accessToken: presented.token, nonces: nonceChallenge(s, realm, reply) };
  const { jkt: proved } = await verifyDPoPProof(proof, expected, s);
  if (proved !== jkt) throw new OAuthError('invalid_token', 'the DPoP proof was not made with the key the access token is bound to');
}

/** RFC 6750 §3 and RFC 9449 §7.1: the challenge names the scheme the token was (or should have been) sent with. */
function challengeFor(error: OAuthError, realm: Realm, dpop: boolean): string {
  if (cameWithoutToken(error)) return `${challenge('Bearer', realm.name)}, ${challenge('DPoP', realm.name, undefined, dpopSigningAlgs)}`;
  return dpop ? challenge('DPoP', realm.name, error, dpopSigningAlgs) : challenge('Bearer', realm.name, error);
}

/** RFC 6750 §3.1: a request without any token gets a bare challenge and no error body. */
const cameWithoutToken = (error: OAuthError) => error instanceof InvalidToken && !error.presented;

export function userinfoRoutes(app: FastifyInstance, s: UserinfoDeps): void {
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const realm = request.realm!;
    reply.header('cache-control', 'no-store');
    let dpop = false;
    try {
      const presented = presentedToken(request);
      dpop = presented.scheme === 'DPoP';
      const token = await inspectAccessToken(s, realm, presented.token);
      if (!token) throw new OAuthError('invalid_token', 'the access token is invalid or has expired');
      const client = await s.store.clients.get(realm.name, token.clientId);
      forClient(request, reply, client);
      const jkt = token.claims.cnf?.jkt;
      dpop ||= jkt !== undefined;
      await checkSenderConstraint(s, request, reply, realm, presented, jkt);
      if (!token.scope.includes('openid')) throw new OAuthError('insufficient_scope', 'the access token lacks the openid scope');
      if (!token.active || !token.user) throw new OAuthError('invalid_token', 'the access token has been revoked, or its user disabled');
      const requested = claimsNamed(token.user, requestedClaimNames(token.grant?.claims ?? null, 'userinfo'));
      // The sub of the ID token (OIDC Core §5.3.2), pairwise for a pairwise client; mappers cannot change it.
      const claims = {
        ...userinfoClaims(realm, client, token.user, token.scope, { ...requested, ...claimsForScopes(token.user, token.scope) }),
        sub: await subjectFor(s, realm.name, client, token.user.id),
      };
      const alg = client?.metadata.userinfo_signed_response_alg;
      if (!client || !alg) return reply.send(claims);
      const signed = await signUserinfo({ issuer: issuerOf(s.config, realm), realm, keystore: s.keystore, now: s.clock.now() }, { client, alg, claims });
      return reply.type('application/jwt').send(signed);
    } catch (error) {
      if (!(error instanceof OAuthError)) throw error;
      // A proof refused here answers 401 (RFC 9449 §7.1), not the token endpoint's 400.
      const status = error.code === 'invalid_dpop_proof' || error.code === 'use_dpop_nonce' ? 401 : error.status;
      return reply.code(status).header('www-authenticate', challengeFor(error, realm, dpop)).send(cameWithoutToken(error) ? undefined : error.toJSON());
    }
  };
  route(app, oauthEndpoints.userinfo_endpoint, handler);
}
