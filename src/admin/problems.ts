// Errors of the admin API as RFC 9457 problem details (`application/problem+json`), naming the
// offending field. Every error an admin route throws is rendered here, whichever layer found it:
// schema validation, the domain's ValidationError, a refused token, a missing resource.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { challenge, InvalidToken } from '../http/bearer.js';
import { OAuthError, PageError } from '../http/errors.js';
import { PasswordPolicyError } from '../security/password-policy.js';
import { isDatabaseUnavailable } from '../store/db.js';
import { ValidationError } from '../validation.js';

/** A refusal the API states itself: 404, 409, 412 and the like. */
export class AdminProblem extends Error {
  constructor(readonly status: number, readonly title: string, detail: string, readonly field?: string) {
    super(detail);
    this.name = 'AdminProblem';
  }
}

export const notFound = (what: string) => new AdminProblem(404, 'Not found', `there is no ${what}`);
export const conflict = (what: string, field?: string) => new AdminProblem(409, 'Conflict', `${what} already exists`, field);

/** RFC 9457 §3: type, title, status, detail; `field` names the input at fault; `error` is the OAuth-style code older clients read. */
export interface Problem {
  type: 'about:blank';
  title: string;
  status: number;
  detail: string;
  error: string;
  field?: string;
}

const codes: Record<number, string> = {
  400: 'invalid_request', 401: 'invalid_token', 403: 'insufficient_scope', 404: 'not_found', 405: 'method_not_allowed',
  409: 'conflict', 412: 'precondition_failed', 413: 'request_too_large', 415: 'unsupported_media_type', 503: 'temporarily_unavailable',
};
const titles: Record<number, string> = {
  400: 'Invalid request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not found', 413: 'Request body too large',
  415: 'Unsupported media type', 500: 'Internal error', 503: 'Temporarily unavailable',
};

function problem(status: number, detail: string, field?: string, title = titles[status] ?? 'Request refused', error = codes[status] ?? 'invalid_request'): Problem {
  return { type: 'about:blank', title, status, detail, error, ...(field === undefined ? {} : { field }) };
}

/** `/redirect_uris/0` (a JSON pointer from the schema check) as `redirect_uris[0]`; query and path parameters by their name. */
function fieldOf(path: string): string {
  return path.split('/').filter(Boolean).map((part, i) => (/^\d+$/.test(part) ? `[${part}]` : `${i === 0 ? '' : '.'}${part.replace(/~1/g, '/').replace(/~0/g, '~')}`)).join('');
}

/** The problem an error stands for; unexpected errors are logged and become a 500 without details. */
export function problemOf(error: unknown, log: Pick<Logger, 'error' | 'warn'>): Problem {
  const validation = (error as FastifyError).validation;
  if (validation && validation.length > 0) {
    const first = validation[0]!;
    const field = fieldOf(first.instancePath ?? '');
    const where = (error as FastifyError).validationContext;
    const name = field || (where === 'body' ? 'body' : where ?? 'request');
    return problem(400, `${name}: ${first.message ?? 'is not valid'}`, name);
  }
  if (error instanceof AdminProblem) return problem(error.status, error.message, error.field, error.title);
  if (error instanceof ValidationError) {
    const field = error.field.replace(/^\./, '');
    return problem(400, field ? `${field}: ${error.problem}` : error.problem, field || 'body');
  }
  if (error instanceof PasswordPolicyError) return problem(400, `password: ${error.message}`, 'password');
  if (error instanceof OAuthError) return problem(error.status, error.description, undefined, undefined, error.code);
  if (error instanceof PageError) return problem(error.status, error.message);
  if (isDatabaseUnavailable(error)) {
    log.warn({ event: 'database_unavailable', err: (error as Error).message }, 'admin request failed: the database is unavailable');
    return problem(503, 'the database cannot be reached right now; retry in a moment');
  }
  const status = (error as FastifyError).statusCode;
  if (status !== undefined && status >= 400 && status < 500) return problem(status, (error as Error).message);
  log.error({ err: error }, 'unhandled error in the admin API');
  return problem(500, 'the request could not be completed', undefined, undefined, 'server_error');
}

/** Sends the problem; a refused token also gets its RFC 6750 challenge. */
export function sendProblem(request: FastifyRequest, reply: FastifyReply, error: unknown, bearerRealm: string): FastifyReply {
  const body = problemOf(error, request.log);
  if (error instanceof InvalidToken || (error instanceof OAuthError && error.code === 'insufficient_scope')) {
    reply.header('www-authenticate', challenge('Bearer', bearerRealm, error));
  }
  if (body.status === 503) reply.header('retry-after', '5');
  return reply.code(body.status).header('cache-control', 'no-store').type('application/problem+json').send(JSON.stringify(body));
}
