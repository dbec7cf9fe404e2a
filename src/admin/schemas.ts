// The admin API's shared schemas (TypeBox): the same declarations validate requests (unknown fields
// refused) and become the OpenAPI document (api.ts). Resource schemas live beside their routes.
import { Type, type TSchema } from '@sinclair/typebox';

/** RFC 9457 problem details, as problems.ts renders them. */
export const ProblemSchema = Type.Object({
  type: Type.String({ description: 'always about:blank: the status says what happened' }),
  title: Type.String(),
  status: Type.Integer(),
  detail: Type.String({ description: 'what is wrong, starting with the field at fault' }),
  error: Type.String({ description: 'a stable code: invalid_request, invalid_token, insufficient_scope, not_found, conflict, precondition_failed, …' }),
  field: Type.Optional(Type.String({ description: 'the offending field: a body member (`redirect_uris[0]`) or a query or path parameter' })),
}, { description: 'RFC 9457 problem details (application/problem+json)' });

/** Lists are paged: `first` entries are skipped, at most `max` returned. */
export const defaultPageSize = 100;
export const maxPageSize = 1000;

export const PagingProperties = {
  first: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000_000, default: 0, description: 'entries to skip (default 0)' })),
  max: Type.Optional(Type.Integer({ minimum: 1, maximum: maxPageSize, default: defaultPageSize, description: `entries to return (default ${defaultPageSize}, at most ${maxPageSize})` })),
};
export const PagingQuery = Type.Object(PagingProperties, { additionalProperties: false });
export interface Paging { first?: number; max?: number }

export function page(paging: Paging): { first: number; max: number } {
  return { first: paging.first ?? 0, max: paging.max ?? defaultPageSize };
}

export const RealmParams = Type.Object({ realm: Type.String({ description: 'the realm name' }) }, { additionalProperties: false });
export interface RealmParams { realm: string }

/** The problem answers every admin route may give. */
const problemResponses = {
  400: { ...ProblemSchema, description: 'the request is malformed: the problem names the field' },
  401: { ...ProblemSchema, description: 'no access token, or one that is invalid, expired, revoked, or whose client is disabled' },
  403: { ...ProblemSchema, description: 'the token is not for the admin API, or may not do this in this realm' },
  404: { ...ProblemSchema, description: 'no such realm or resource' },
};

/** A route's schema: its request parts and its answers, problems included. */
export function operation(summary: string, tags: string[], parts: {
  params?: TSchema; querystring?: TSchema; headers?: TSchema; body?: TSchema; response: Record<number, TSchema>; description?: string;
}) {
  const { response, ...request } = parts;
  const answers: Record<number, unknown> = { ...problemResponses, ...response };
  return { summary, tags, security: [{ bearer: [] }], ...request, response: answers };
}

export const NoContent = Type.Null({ description: 'no content' });

/** Single resources carry an ETag; PUT and DELETE honour If-Match (a stale one gets 412). */
export const IfMatchHeaders = Type.Object({
  'if-match': Type.Optional(Type.String({ description: 'an ETag from a GET of this resource (or *): the change is made only if it still matches, else 412' })),
});

export const PreconditionFailed = { ...ProblemSchema, description: 'If-Match does not match the current ETag' };
export const Conflict = { ...ProblemSchema, description: 'a resource with this name already exists' };
