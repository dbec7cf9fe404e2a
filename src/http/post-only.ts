// Back-channel endpoints that only take POST (RFC 6749 §3.2, RFC 7009 §2.1, RFC 7662 §2.1,
// RFC 9126 §2.1): any other method is answered 405 with an Allow header (RFC 9110 §15.5.6) and an
// OAuth error body, never processed and never a 404. An endpoint asks for it with `postOnly`.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { OAuthError } from './errors.js';

export const otherMethods = ['GET', 'PUT', 'DELETE', 'PATCH'] as const;

export async function methodNotAllowed(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  return reply.code(405).header('allow', 'POST').header('cache-control', 'no-store')
    .send(new OAuthError('invalid_request', `${request.method} is not allowed here; use POST`, 405).toJSON());
}
