// Groups in the admin API: GET/POST …/groups (the top level), GET/PUT/DELETE …/groups/{id},
// GET/POST …/groups/{id}/children, GET …/groups/{id}/members, GET …/users/{id}/groups and
// PUT/DELETE …/users/{id}/groups/{group_id}. Groups nest; a member holds the realm roles and client
// roles of the group and of every ancestor (store/users.ts reads them with the user, so tokens carry them).
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { checkedClientRoleAssignments } from '../clients/client-roles.js';
import { route } from '../http/endpoint.js';
import { newId } from '../runtime.js';
import type { Needs } from '../services.js';
import type { Group } from '../store/groups.js';
import type { Realm } from '../store/realms.js';
import { adminEndpoints } from './endpoints.js';
import { AdminProblem, conflict, notFound } from './problems.js';
import { assertIfMatch, recordChange, sendResource, type AdminChangeDeps } from './resource.js';
import { Conflict, IfMatchHeaders, NoContent, operation, page, PagingQuery, PreconditionFailed, RealmParams, type Paging } from './schemas.js';
import { userRepresentation } from './users.js';

/** What this module uses (services.ts `Needs`). */
export type AdminGroupsDeps = Needs<'clock' | 'config', 'clients' | 'groups' | 'realms' | 'roles' | 'users'> & AdminChangeDeps;

const groupName = Type.String({ pattern: '^[^/\\s][^/]{0,99}$', description: 'no slashes; unique among its siblings' });
const ClientRoles = Type.Record(Type.String(), Type.Array(Type.String()), { description: 'client roles every member holds (members of subgroups too): {"<client_id>": ["editor"]}; each declared by its client' });
const GroupBody = Type.Object({
  name: groupName,
  roles: Type.Optional(Type.Array(Type.String(), { description: 'realm roles every member holds (members of subgroups too)' })),
  client_roles: Type.Optional(ClientRoles),
}, { additionalProperties: false, description: 'a group' });
const GroupUpdate = Type.Object({
  id: Type.Optional(Type.String()), name: groupName, roles: Type.Optional(Type.Array(Type.String())), client_roles: Type.Optional(ClientRoles),
  path: Type.Optional(Type.String({ description: 'ignored: it follows from the name and the parent' })), parent_id: Type.Optional(Type.Union([Type.String(), Type.Null()], { description: 'if given, the current parent (groups are not moved)' })),
}, { additionalProperties: false, description: 'a group (what GET answered can be sent back)' });
const GroupRepresentation = Type.Object({
  id: Type.String(), name: Type.String(), path: Type.String({ description: '/parent/child' }), parent_id: Type.Union([Type.String(), Type.Null()]), roles: Type.Array(Type.String()),
  client_roles: ClientRoles,
});
const GroupParams = Type.Object({ realm: Type.String(), id: Type.String() }, { additionalProperties: false });
interface IdParams { realm: string; id: string }
const MembershipParams = Type.Object({ realm: Type.String(), id: Type.String(), group_id: Type.String() }, { additionalProperties: false });
interface MembershipParams { realm: string; id: string; group_id: string }

const representation = (group: Group) => ({ id: group.id, name: group.name, path: group.path, parent_id: group.parentId, roles: group.roles, client_roles: group.clientRoles });

export function adminGroupRoutes(app: FastifyInstance, s: AdminGroupsDeps): void {
  const realmOf = async (request: FastifyRequest): Promise<Realm> =>
    (await s.store.realms.get((request.params as RealmParams).realm)) ?? (() => { throw notFound('such realm'); })();
  const groupOf = async (realm: string, id: string): Promise<Group> =>
    (await s.store.groups.get(realm, id)) ?? (() => { throw notFound(`group ${id} in realm ${realm}`); })();
  const userOf = async (realm: string, id: string) => {
    const user = await s.store.users.findById(id);
    if (!user || user.realm !== realm) throw notFound(`user ${id} in realm ${realm}`);
    return user;
  };
  const knownRoles = async (realm: string, roles: string[]): Promise<string[]> => {
    const defined = new Set(await s.store.roles.list(realm));
    const index = roles.findIndex((role) => !defined.has(role));
    if (index >= 0) throw new AdminProblem(400, 'Invalid request', `roles[${index}]: the realm has no role ${roles[index]}`, `roles[${index}]`);
    return [...new Set(roles)];
  };

  /** Creates a group under `parentId` (null: the top level). */
  async function create(request: FastifyRequest, reply: FastifyReply, parentId: string | null): Promise<FastifyReply> {
    const realm = await realmOf(request);
    const body = request.body as { name: string; roles?: string[]; client_roles?: Record<string, string[]> };
    if (await s.store.groups.nameTaken(realm.name, parentId, body.name)) throw conflict(`a group named ${body.name} here`, 'name');
    const id = newId();
    const roles = { roles: await knownRoles(realm.name, body.roles ?? []), clientRoles: await checkedClientRoleAssignments(s, realm.name, body.client_roles, 'client_roles') };
    await s.store.groups.create({ id, realm: realm.name, name: body.name, parentId, ...roles }, s.clock.now());
    const after = representation(await groupOf(realm.name, id));
    await recordChange(s, request, realm, { type: 'admin_group_created', resource: `groups/${id}`, after });
    reply.header('location', `${s.config.publicUrl}/admin/realms/${encodeURIComponent(realm.name)}/groups/${id}`);
    return sendResource(reply, after, 201);
  }

  route(app, adminEndpoints.admin_groups, {
    GET: {
      schema: operation('The realm\'s top-level groups, by name', ['groups'], { params: RealmParams, querystring: PagingQuery, response: { 200: Type.Array(GroupRepresentation) } }),
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        const { first, max } = page(request.query as Paging);
        return reply.send((await s.store.groups.children((request.params as RealmParams).realm, null, first, max)).map(representation));
      },
    },
    POST: {
      schema: operation('Create a top-level group', ['groups'], { params: RealmParams, body: GroupBody, response: { 201: GroupRepresentation, 409: Conflict } }),
      handler: (request: FastifyRequest, reply: FastifyReply) => create(request, reply, null),
    },
  });

  route(app, adminEndpoints.admin_group, {
    GET: {
      schema: operation('Read a group', ['groups'], { params: GroupParams, response: { 200: GroupRepresentation } }),
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        const params = request.params as IdParams;
        return sendResource(reply, representation(await groupOf(params.realm, params.id)));
      },
    },
    PUT: {
      schema: operation('Rename a group and replace its realm roles and client roles', ['groups'], { params: GroupParams, headers: IfMatchHeaders, body: GroupUpdate, response: { 200: GroupRepresentation, 409: Conflict, 412: PreconditionFailed } }),
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        const params = request.params as IdParams;
        const realm = await realmOf(request);
        const group = await groupOf(realm.name, params.id);
        const body = request.body as { id?: string; name: string; roles?: string[]; client_roles?: Record<string, string[]>; parent_id?: string | null };
        if (body.id !== undefined && body.id !== group.id) throw new AdminProblem(400, 'Invalid request', 'id: must be the id in the path', 'id');
        if (body.parent_id !== undefined && body.parent_id !== group.parentId) throw new AdminProblem(400, 'Invalid request', 'parent_id: groups are not moved', 'parent_id');
        const before = representation(group);
        assertIfMatch(request, before);
        if (await s.store.groups.nameTaken(realm.name, group.parentId, body.name, group.id)) throw conflict(`a group named ${body.name} here`, 'name');
        const roles = { roles: await knownRoles(realm.name, body.roles ?? []), clientRoles: await checkedClientRoleAssignments(s, realm.name, body.client_roles, 'client_roles') };
        await s.store.groups.update({ id: group.id, realm: realm.name, name: body.name, ...roles });
        const after = representation(await groupOf(realm.name, group.id));
        await recordChange(s, request, realm, { type: 'admin_group_updated', resource: `groups/${group.id}`, before, after });
        return sendResource(reply, after);
      },
    },
    DELETE: {
      schema: operation('Delete a group with its subgroups; members leave them', ['groups'], { params: GroupParams, headers: IfMatchHeaders, response: { 204: NoContent, 412: PreconditionFailed } }),
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        const params = request.params as IdParams;
        const realm = await realmOf(request);
        const before = representation(await groupOf(realm.name, params.id));
        assertIfMatch(request, before);
        await s.store.groups.remove(params.id);
        await recordChange(s, request, realm, { type: 'admin_group_deleted', resource: `groups/${params.id}`, before });
        return reply.code(204).send();
      },
    },
  });

  route(app, adminEndpoints.admin_group_children, {
    GET: {
      schema: operation('A group\'s subgroups, by name', ['groups'], { params: GroupParams, querystring: PagingQuery, response: { 200: Type.Array(GroupRepresentation) } }),
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        const params = request.params as IdParams;
        const group = await groupOf(params.realm, params.id);
        const { first, max } = page(request.query as Paging);
        return reply.send((await s.store.groups.children(params.realm, group.id, first, max)).map(representation));
      },
    },
    POST: {
      schema: operation('Create a subgroup', ['groups'], { params: GroupParams, body: GroupBody, response: { 201: GroupRepresentation, 409: Conflict } }),
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        const params = request.params as IdParams;
        return create(request, reply, (await groupOf(params.realm, params.id)).id);
      },
    },
  });

  route(app, adminEndpoints.admin_group_members, {
    GET: {
      schema: operation('The group\'s direct members, by username', ['groups'], { params: GroupParams, querystring: PagingQuery, response: { 200: Type.Array(Type.Object({}, { additionalProperties: true, description: 'a user' })) } }),
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        const params = request.params as IdParams;
        const group = await groupOf(params.realm, params.id);
        const { first, max } = page(request.query as Paging);
        const ids = await s.store.groups.members(group.id, first, max);
        return reply.send((await Promise.all(ids.map((id) => s.store.users.findById(id)))).flatMap((user) => (user ? [userRepresentation(user)] : [])));
      },
    },
  });

  route(app, adminEndpoints.admin_user_groups, {
    GET: {
      schema: operation('The groups the user is a direct member of', ['users', 'groups'], { params: GroupParams, response: { 200: Type.Array(GroupRepresentation) } }),
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        const params = request.params as IdParams;
        const user = await userOf(params.realm, params.id);
        return reply.send((await s.store.groups.groupsOf(user.id)).map(representation));
      },
    },
  });

  route(app, adminEndpoints.admin_user_group, {
    PUT: {
      schema: operation('Make the user a member of the group', ['users', 'groups'], { params: MembershipParams, response: { 204: NoContent } }),
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        const params = request.params as MembershipParams;
        const realm = await realmOf(request);
        const user = await userOf(realm.name, params.id);
        const group = await groupOf(realm.name, params.group_id);
        await s.store.groups.addMember(group.id, user.id);
        await recordChange(s, request, realm, { type: 'admin_user_groups_changed', resource: `users/${user.id}/groups/${group.id}`, userId: user.id, after: group.path });
        return reply.code(204).send();
      },
    },
    DELETE: {
      schema: operation('Take the user out of the group', ['users', 'groups'], { params: MembershipParams, response: { 204: NoContent } }),
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        const params = request.params as MembershipParams;
        const realm = await realmOf(request);
        const user = await userOf(realm.name, params.id);
        const group = await groupOf(realm.name, params.group_id);
        if (!(await s.store.groups.removeMember(group.id, user.id))) throw notFound(`membership of user ${user.id} in group ${group.id}`);
        await recordChange(s, request, realm, { type: 'admin_user_groups_changed', resource: `users/${user.id}/groups/${group.id}`, userId: user.id, before: group.path });
        return reply.code(204).send();
      },
    },
  });
}
