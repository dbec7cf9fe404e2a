// The admin REST API (Keycloak's layout under /admin/realms/{realm}/…). Callers present a bearer
// access token issued for the API (api-access.ts says which); the token must still be active
// (grant not revoked, user enabled). Errors are JSON; 401 and 403 carry a Bearer challenge.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { challenge, InvalidToken } from '../http/bearer.js';
import { route } from '../http/endpoint.js';
import { OAuthError } from '../http/errors.js';
import { eventTypes, representation } from '../security/audit.js';
import type { Needs } from '../services.js';
import type { EventQuery } from '../store/events.js';
import type { Realm } from '../store/realms.js';
import { adminAccess, adminRealm, type AdminApiAccessDeps } from './api-access.js';
import { adminEndpoints } from './endpoints.js';

/** What this module uses (services.ts `Needs`). */
export type AdminApiDeps = Needs<never, 'events' | 'realms' | 'users'> & AdminApiAccessDeps;

/** RFC 6750 §3: the challenge for a refused bearer token. */
function challengeFor(error: unknown): string | undefined {
  const refused = error instanceof InvalidToken || (error instanceof OAuthError && error.code === 'insufficient_scope');
  return refused ? challenge('Bearer', adminRealm, error) : undefined;
}

/** A read of one realm: the caller must be allowed to read it; a realm it may not read is 403 whether it exists or not. */
function adminRoute(s: AdminApiDeps, handler: (request: FastifyRequest, reply: FastifyReply, realm: Realm) => Promise<FastifyReply>) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    reply.header('cache-control', 'no-store');
    try {
      const access = await adminAccess(s, request.headers.authorization);
      const name = (request.params as { name: string }).name;
      if (!access.read(name)) throw new OAuthError('insufficient_scope', `the token may not read the realm ${name}`);
      const realm = await s.store.realms.get(name);
      if (!realm) return reply.code(404).send({ error: 'not_found', error_description: `there is no realm named ${name}` });
      return await handler(request, reply, realm);
    } catch (error) {
      const header = challengeFor(error);
      if (header) reply.header('www-authenticate', header);
      throw error;
    }
  };
}

type Query = Record<string, string | string[] | undefined>;

function one(query: Query, ...names: string[]): string | undefined {
  for (const name of names) {
    const value = query[name];
    if (Array.isArray(value)) throw new OAuthError('invalid_request', `${name} may be given only once`);
    if (value !== undefined && value !== '') return value;
  }
  return undefined;
}

/** Epoch milliseconds, or an ISO 8601 date or date-time; a bare date as `to` means the end of that day. */
function time(value: string | undefined, name: string, endOfDay = false): number | undefined {
  if (value === undefined) return undefined;
  if (/^\d{1,15}$/.test(value)) return Number(value);
  const parsed = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(parsed)) throw new OAuthError('invalid_request', `${name} must be epoch milliseconds or an ISO 8601 date`);
  return endOfDay && /^\d{4}-\d{2}-\d{2}$/.test(value) ? parsed + 86_399_999 : parsed;
}

function count(value: string | undefined, name: string, fallback: number, limit: number): number {
  if (value === undefined) return fallback;
  if (!/^\d{1,9}$/.test(value) || Number(value) > limit) throw new OAuthError('invalid_request', `${name} must be a whole number from 0 to ${limit}`);
  return Number(value);
}

/** Filters by Keycloak's names (`type`, `user`, `client`, `ipAddress`, `dateFrom`, `dateTo`, `first`, `max`) or their short forms. */
async function eventQuery(s: AdminApiDeps, realm: Realm, query: Query): Promise<EventQuery> {
  const types = [query.type ?? []].flat().flatMap((t) => t.split(',')).filter(Boolean);
  const unknown = types.find((t) => !(eventTypes as readonly string[]).includes(t));
  if (unknown !== undefined) throw new OAuthError('invalid_request', `unknown event type ${unknown}`);
  const user = one(query, 'user');
  return {
    realm: realm.name,
    types,
    // A username is resolved to its id; anything else is taken as an id (users deleted since included).
    userId: user === undefined ? undefined : (await s.store.users.findByUsername(realm.name, user))?.id ?? user,
    clientId: one(query, 'client'),
    ip: one(query, 'ipAddress', 'ip'),
    from: time(one(query, 'dateFrom', 'from'), 'from'),
    to: time(one(query, 'dateTo', 'to'), 'to', true),
    first: count(one(query, 'first'), 'first', 0, 1_000_000_000),
    max: count(one(query, 'max'), 'max', 100, 1000),
  };
}

export function adminApiRoutes(app: FastifyInstance, s: AdminApiDeps): void {
  route(app, adminEndpoints.admin_realm_events, adminRoute(s, async (request, reply, realm) => {
    const events = await s.store.events.find(await eventQuery(s, realm, request.query as Query));
    return reply.send(events.map(representation));
  }));
}
