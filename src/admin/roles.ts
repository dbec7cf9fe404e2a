// The role resource of the admin API: GET/POST …/roles, GET/PUT/DELETE …/roles/{name}. A composite
// role (`"composites": ["viewer"]`) brings the roles it names to whoever holds it, at any depth; the
// tokens' `roles` claim carries them all (store/users.ts expands them).
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { route } from '../http/endpoint.js';
import type { Needs } from '../services.js';
import type { Realm } from '../store/realms.js';
import type { Role } from '../store/roles.js';
import { adminEndpoints } from './endpoints.js';
import { AdminProblem, conflict, notFound } from './problems.js';
import { assertIfMatch, recordChange, sendResource, type AdminChangeDeps } from './resource.js';
import { Conflict, IfMatchHeaders, NoContent, operation, page, PagingQuery, PreconditionFailed, RealmParams, type Paging } from './schemas.js';

/** What this module uses (services.ts `Needs`). */
export type AdminRolesDeps = Needs<'config', 'realms' | 'roles'> & AdminChangeDeps;

const roleName = Type.String({ pattern: '^[^\\s,]{1,100}$', description: 'no spaces or commas' });
const roleProperties = {
  name: roleName,
  description: Type.Optional(Type.Union([Type.String({ maxLength: 500 }), Type.Null()])),
  composites: Type.Optional(Type.Array(roleName, { description: 'roles that whoever holds this one holds too' })),
};
const RoleBody = Type.Object(roleProperties, { additionalProperties: false, description: 'a realm role' });
const RoleUpdate = Type.Object({ ...roleProperties, name: Type.Optional(roleName) }, { additionalProperties: false, description: 'a realm role' });
const RoleRepresentation = Type.Object({ name: roleName, description: Type.Union([Type.String(), Type.Null()]), composites: Type.Array(Type.String()) });
const RoleParams = Type.Object({ realm: Type.String(), name: Type.String() }, { additionalProperties: false });
interface RoleParams { realm: string; name: string }
interface RoleInput { name?: string; description?: string | null; composites?: string[] }

const representation = (role: Role) => ({ name: role.name, description: role.description, composites: role.composites });

/**
 * Composites must be roles of the realm, other than the role itself, and must not bring the role
 * back (a cycle); the API and the CLI both check them here. Errors name `composites[i]`.
 */
export async function checkedComposites(s: Needs<never, 'roles'>, realm: string, name: string, composites: string[]): Promise<string[]> {
  const defined = new Set(await s.store.roles.list(realm));
  const graph = await s.store.roles.compositeGraph(realm);
  graph.set(name, composites);
  composites.forEach((composite, i) => {
    const field = `composites[${i}]`;
    if (!defined.has(composite)) throw new AdminProblem(400, 'Invalid request', `${field}: the realm has no role ${composite}`, field);
    const seen = new Set<string>();
    const reaches = (from: string): boolean => from === name || (!seen.has(from) && (seen.add(from), (graph.get(from) ?? []).some(reaches)));
    if (reaches(composite)) throw new AdminProblem(400, 'Invalid request', `${field}: ${composite} brings ${name} back (composite roles may not form a cycle)`, field);
  });
  return [...new Set(composites)];
}

export function adminRoleRoutes(app: FastifyInstance, s: AdminRolesDeps): void {
  const realmOf = async (request: FastifyRequest): Promise<Realm> =>
    (await s.store.realms.get((request.params as RealmParams).realm)) ?? (() => { throw notFound('such realm'); })();
  const found = async (params: RoleParams): Promise<Role> =>
    (await s.store.roles.get(params.realm, params.name)) ?? (() => { throw notFound(`role ${params.name} in realm ${params.realm}`); })();

  route(app, adminEndpoints.admin_roles, {
    GET: {
      schema: operation('List the realm\'s roles, by name', ['roles'], { params: RealmParams, querystring: PagingQuery, response: { 200: Type.Array(RoleRepresentation) } }),
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        const { first, max } = page(request.query as Paging);
        return reply.send((await s.store.roles.page((request.params as RealmParams).realm, first, max)).map(representation));
      },
    },
    POST: {
      schema: operation('Create a role', ['roles'], { params: RealmParams, body: RoleBody, response: { 201: RoleRepresentation, 409: Conflict } }),
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        const realm = await realmOf(request);
        const body = request.body as RoleInput & { name: string };
        if (await s.store.roles.get(realm.name, body.name)) throw conflict(`a role named ${body.name}`, 'name');
        const role: Role = { name: body.name, description: body.description ?? null, composites: await checkedComposites(s, realm.name, body.name, body.composites ?? []) };
        await s.store.roles.create(realm.name, role);
        const after = representation((await s.store.roles.get(realm.name, role.name))!);
        await recordChange(s, request, realm, { type: 'admin_role_created', resource: `roles/${role.name}`, after });
        reply.header('location', `${s.config.publicUrl}/admin/realms/${encodeURIComponent(realm.name)}/roles/${encodeURIComponent(role.name)}`);
        return sendResource(reply, after, 201);
      },
    },
  });

  route(app, adminEndpoints.admin_role, {
    GET: {
      schema: operation('Read a role', ['roles'], { params: RoleParams, response: { 200: RoleRepresentation } }),
      handler: async (request: FastifyRequest, reply: FastifyReply) => sendResource(reply, representation(await found(request.params as RoleParams))),
    },
    PUT: {
      schema: operation('Replace a role\'s description and composites', ['roles'], { params: RoleParams, headers: IfMatchHeaders, body: RoleUpdate, response: { 200: RoleRepresentation, 412: PreconditionFailed } }),
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        const params = request.params as RoleParams;
        const realm = await realmOf(request);
        const before = representation(await found(params));
        const body = request.body as RoleInput;
        if (body.name !== undefined && body.name !== params.name) throw new AdminProblem(400, 'Invalid request', 'name: a role cannot be renamed; it must be the name in the path', 'name');
        assertIfMatch(request, before);
        await s.store.roles.update(realm.name, { name: params.name, description: body.description ?? null, composites: await checkedComposites(s, realm.name, params.name, body.composites ?? []) });
        const after = representation((await s.store.roles.get(realm.name, params.name))!);
        await recordChange(s, request, realm, { type: 'admin_role_updated', resource: `roles/${params.name}`, before, after });
        return sendResource(reply, after);
      },
    },
    DELETE: {
      schema: operation('Delete a role: users and composite roles no longer hold it', ['roles'], { params: RoleParams, headers: IfMatchHeaders, response: { 204: NoContent, 412: PreconditionFailed } }),
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        const params = request.params as RoleParams;
        const realm = await realmOf(request);
        const before = representation(await found(params));
        assertIfMatch(request, before);
        await s.store.roles.remove(realm.name, params.name);
        await recordChange(s, request, realm, { type: 'admin_role_deleted', resource: `roles/${params.name}`, before });
        return reply.code(204).send();
      },
    },
  });
}
