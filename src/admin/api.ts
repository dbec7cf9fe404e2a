// The admin REST API (Keycloak's layout under /admin/realms/{realm}/…; docs/admin-api.md). Every route
// declares TypeBox schemas once: they validate the request (unknown fields refused) and make the
// OpenAPI 3.1 document at /admin/openapi.json. Callers present a bearer access token issued for the
// API (api-access.ts); errors are RFC 9457 problem details (problems.ts).
import swagger from '@fastify/swagger';
import { TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { matchedEndpoint, route } from '../http/endpoint.js';
import { OAuthError } from '../http/errors.js';
import { eventTypes, representation } from '../security/audit.js';
import type { Needs } from '../services.js';
import type { EventQuery } from '../store/events.js';
import type { Realm } from '../store/realms.js';
import { adminAccess, adminRealm, type AdminApiAccessDeps } from './api-access.js';
import { adminClientRoutes, type AdminClientsDeps } from './clients.js';
import { adminEndpoints } from './endpoints.js';
import { AdminProblem, sendProblem } from './problems.js';
import { adminRealmRoutes, type AdminRealmsDeps } from './realms.js';
import { adminImportRoutes } from './import-api.js';
import { adminCredentialRoutes, type AdminCredentialsDeps } from './credentials.js';
import { adminGroupRoutes, type AdminGroupsDeps } from './groups.js';
import { adminRoleRoutes, type AdminRolesDeps } from './roles.js';
import { adminSessionRoutes, type AdminSessionsDeps } from './sessions.js';
import { adminUserRoutes, type AdminUsersDeps } from './users.js';
import { operation, RealmParams } from './schemas.js';

/** What this module uses (services.ts `Needs`). */
export type AdminApiDeps = Needs<'config', 'events' | 'realms' | 'users'> & AdminApiAccessDeps & AdminRealmsDeps & AdminClientsDeps & AdminUsersDeps & AdminRolesDeps & AdminSessionsDeps & AdminGroupsDeps & AdminCredentialsDeps;

/** Methods that only read; any other needs the right to manage the realm. */
const reads = new Set(['GET', 'HEAD']);

/**
 * Runs before anything else of an admin route: the token, then the caller's right to the realm in
 * the path. A realm the caller may not see is 403 whether it exists or not.
 */
async function authorize(s: AdminApiDeps, request: FastifyRequest): Promise<void> {
  if (matchedEndpoint(request) === adminEndpoints.admin_openapi) return;
  const access = await adminAccess(s, request.headers.authorization);
  request.adminAccess = access;
  const realm = (request.params as { realm?: string } | undefined)?.realm;
  if (realm === undefined) return;
  const allowed = reads.has(request.method) ? access.read(realm) : access.manage(realm);
  if (!allowed) throw new OAuthError('insufficient_scope', `the token may not ${reads.has(request.method) ? 'read' : 'change'} the realm ${realm}`);
}

type Query = Record<string, string | string[] | undefined>;

const badParameter = (name: string, problem: string) => new AdminProblem(400, 'Invalid request', `${name}: ${problem}`, name);

function one(query: Query, ...names: string[]): string | undefined {
  for (const name of names) {
    const value = query[name];
    if (Array.isArray(value)) throw badParameter(name, 'may be given only once');
    if (value !== undefined && value !== '') return value;
  }
  return undefined;
}

/** Epoch milliseconds, or an ISO 8601 date or date-time; a bare date as `to` means the end of that day. */
function time(value: string | undefined, name: string, endOfDay = false): number | undefined {
  if (value === undefined) return undefined;
  if (/^\d{1,15}$/.test(value)) return Number(value);
  const parsed = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(parsed)) throw badParameter(name, 'must be epoch milliseconds or an ISO 8601 date');
  return endOfDay && /^\d{4}-\d{2}-\d{2}$/.test(value) ? parsed + 86_399_999 : parsed;
}

function count(value: string | undefined, name: string, fallback: number, limit: number): number {
  if (value === undefined) return fallback;
  if (!/^\d{1,9}$/.test(value) || Number(value) > limit) throw badParameter(name, `must be a whole number from 0 to ${limit}`);
  return Number(value);
}

/** Filters by Keycloak's names (`type`, `user`, `client`, `ipAddress`, `dateFrom`, `dateTo`, `first`, `max`) or their short forms. */
async function eventQuery(s: AdminApiDeps, realm: Realm, query: Query): Promise<EventQuery> {
  const types = [query.type ?? []].flat().flatMap((t) => t.split(',')).filter(Boolean);
  const unknown = types.find((t) => !(eventTypes as readonly string[]).includes(t));
  if (unknown !== undefined) throw badParameter('type', `unknown event type ${unknown}`);
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

const text = (description: string) => Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())], { description }));
/** The event filters, checked by eventQuery (which names the parameter at fault). */
const EventsQuery = Type.Object({
  type: text('event types, repeated or comma-separated'), user: text('a username or user id'), client: text('a client_id'),
  ipAddress: text('the caller\'s address'), ip: text('short for ipAddress'),
  dateFrom: text('epoch milliseconds or an ISO 8601 date'), from: text('short for dateFrom'),
  dateTo: text('epoch milliseconds or an ISO 8601 date (a bare date: to its end)'), to: text('short for dateTo'),
  first: text('entries to skip (default 0)'), max: text('entries to return (default 100, at most 1000)'),
}, { additionalProperties: false });
const EventRepresentation = Type.Object({
  id: Type.String(), time: Type.Integer(), type: Type.String(), realmId: Type.String(), clientId: Type.Union([Type.String(), Type.Null()]),
  userId: Type.Union([Type.String(), Type.Null()]), sessionId: Type.Union([Type.String(), Type.Null()]),
  ipAddress: Type.Union([Type.String(), Type.Null()]), details: Type.Object({}, { additionalProperties: true }),
}, { description: 'an audit event (Keycloak\'s event representation); admin changes name the actor, the resource and digests of before and after' });

async function adminApi(admin: FastifyInstance, s: AdminApiDeps): Promise<void> {
  // Collects the routes registered in this context, and only these, into the OpenAPI document.
  await admin.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Strix admin API', version: '1', description: 'Manage realms, clients, users and roles. See docs/admin-api.md.' },
      servers: [{ url: s.config.publicUrl }],
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'an access token of a master-realm service account (client_credentials) or of the admin console' } } },
    },
  });
  // TypeBox checks requests itself: nothing is coerced or dropped silently, and unknown members are errors.
  admin.setValidatorCompiler(TypeBoxValidatorCompiler);
  // Answers are built field by field from the domain's objects (never a secret), then sent as JSON.
  admin.setSerializerCompiler(() => (data) => JSON.stringify(data));
  admin.setErrorHandler((error, request, reply) => sendProblem(request, reply, error, adminRealm));
  admin.decorateRequest('adminAccess', undefined);
  admin.addHook('onRequest', async (request, reply) => {
    reply.header('cache-control', 'no-store');
    await authorize(s, request);
  });

  route(admin, adminEndpoints.admin_openapi, {
    GET: {
      schema: { summary: 'This document: the OpenAPI 3.1 description of the admin API', tags: ['meta'], response: { 200: Type.Object({}, { additionalProperties: true }) } },
      handler: async (_request: FastifyRequest, reply: FastifyReply) => reply.send(admin.swagger()),
    },
  });
  adminRealmRoutes(admin, s);
  adminClientRoutes(admin, s);
  adminUserRoutes(admin, s);
  adminRoleRoutes(admin, s);
  adminSessionRoutes(admin, s);
  adminGroupRoutes(admin, s);
  adminCredentialRoutes(admin, s);
  adminImportRoutes(admin, s);
  route(admin, adminEndpoints.admin_realm_events, {
    GET: {
      schema: operation('Search the realm\'s audit events, newest first', ['events'], { params: RealmParams, querystring: EventsQuery, response: { 200: Type.Array(EventRepresentation) } }),
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        const realm = request.realm!;
        const events = await s.store.events.find(await eventQuery(s, realm, request.query as Query));
        return reply.send(events.map(representation));
      },
    },
  });
}

export async function adminApiRoutes(app: FastifyInstance, s: AdminApiDeps): Promise<void> {
  await app.register(async (admin) => adminApi(admin, s));
}
