// The admin REST API (Keycloak's layout under /admin/realms/{realm}/…). Callers present a bearer
// access token issued by the `master` realm to a user holding its `admin` role; the token must
// still be active (grant not revoked, user enabled). Errors are JSON; 401 carries a Bearer challenge.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { OAuthError } from '../http/errors.js';
import { eventTypes, representation } from '../security/audit.js';
import type { Services } from '../services.js';
import type { EventQuery } from '../store/events.js';
import type { Realm } from '../store/realms.js';
import { inspectAccessToken } from '../tokens/inspect.js';

export const adminRealm = 'master';
export const adminRole = 'admin';

class Unauthenticated extends OAuthError {
  constructor(description: string, readonly presented: boolean) {
    super('invalid_token', description, 401);
  }
}

async function authenticateAdmin(s: Services, request: FastifyRequest): Promise<void> {
  const header = request.headers.authorization;
  if (header === undefined) throw new Unauthenticated('an access token is required', false);
  const match = header.match(/^Bearer ([A-Za-z0-9\-._~+/]+=*)$/i);
  if (!match) throw new Unauthenticated('the Authorization header must carry a Bearer token', true);
  const master = await s.store.realms.get(adminRealm);
  const token = master && await inspectAccessToken(s, master, match[1]!);
  if (!token || !token.active) throw new Unauthenticated('the access token is invalid, expired or revoked', true);
  // RFC 9449 §7.1: a DPoP-bound token is good only with a proof of its key; this API takes bearer tokens alone.
  if (token.claims.cnf?.jkt) throw new Unauthenticated('a DPoP-bound access token cannot be used as a bearer token', true);
  // Roles are read from the user as stored now, not from the token: a role taken away counts at once.
  if (!token.user || token.user.realm !== adminRealm || !token.user.roles.includes(adminRole)) {
    throw new OAuthError('access_denied', `the token's user does not hold the ${adminRealm} realm's ${adminRole} role`, 403);
  }
}

/** Adds the RFC 6750 §3 challenge to 401 answers; the error itself renders as JSON. */
function adminRoute(s: Services, handler: (request: FastifyRequest, reply: FastifyReply, realm: Realm) => Promise<FastifyReply>) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    reply.header('cache-control', 'no-store');
    try {
      await authenticateAdmin(s, request);
      const name = (request.params as { name: string }).name;
      const realm = await s.store.realms.get(name);
      if (!realm) return reply.code(404).send({ error: 'not_found', error_description: `there is no realm named ${name}` });
      return await handler(request, reply, realm);
    } catch (error) {
      if (error instanceof Unauthenticated) {
        reply.header('www-authenticate', error.presented ? `Bearer realm="${adminRealm}", error="invalid_token"` : `Bearer realm="${adminRealm}"`);
      }
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
async function eventQuery(s: Services, realm: Realm, query: Query): Promise<EventQuery> {
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

export function adminApiRoutes(app: FastifyInstance, s: Services): void {
  app.get('/admin/realms/:name/events', adminRoute(s, async (request, reply, realm) => {
    const events = await s.store.events.find(await eventQuery(s, realm, request.query as Query));
    return reply.send(events.map(representation));
  }));
}
