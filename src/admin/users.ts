// The user resource of the admin API: GET/POST …/users (search, paging), GET/PUT/DELETE …/users/{id},
// PUT …/users/{id}/password, GET/PUT …/users/{id}/roles. Users are OpenID Connect claims plus
// `username`, `enabled`, `roles`, `client_roles` and `groups` (paths), through the realm file's user
// parser; never a password hash.
import { requiredActionNames } from '../identity/required-actions.js';
import { defaultActionsLifespan, sendActionsEmail, type ExecuteActionsDeps } from '../identity/execute-actions.js';
import { Type, type TSchema } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hashPassword } from '../identity/passwords.js';
import { endUserSessions, type LogoutNotificationsDeps } from '../identity/logout-notifications.js';
import { mailEnabled } from '../mail/transport.js';
import { endpointUrl } from '../http/endpoint.js';
import { uiEndpoints } from '../ui/endpoints.js';
import { route } from '../http/endpoint.js';
import { checkedClientRoleAssignments } from '../clients/client-roles.js';
import type { JsonObject } from '../json.js';
import { newId } from '../runtime.js';
import { assertAcceptable, changePassword, type PasswordPolicyDeps } from '../security/password-policy.js';
import type { Needs } from '../services.js';
import type { Realm } from '../store/realms.js';
import type { User } from '../store/users.js';
import { userAttributeClaims } from '../tokens/claims.js';
import { adminEndpoints } from './endpoints.js';
import { AdminProblem, conflict, notFound } from './problems.js';
import { groupPath, parseUser } from './realm-file.js';
import { assertIfMatch, recordChange, sendResource, type AdminChangeDeps } from './resource.js';
import { Conflict, IfMatchHeaders, NoContent, operation, page, PagingProperties, PreconditionFailed, RealmParams } from './schemas.js';

/** What this module uses (services.ts `Needs`). */
export type AdminUsersDeps = Needs<'clock' | 'config', 'grants' | 'groups' | 'realms' | 'roles' | 'sessions' | 'users' | 'clients' | 'emailActions'> & PasswordPolicyDeps & AdminChangeDeps & LogoutNotificationsDeps & ExecuteActionsDeps;

/** Required actions the sign-in flow carries out (ui/login-actions.ts). */
export const requiredActions = requiredActionNames;

const claimProperties: Record<string, TSchema> = Object.fromEntries(userAttributeClaims.map((claim) => [claim, Type.Optional(Type.Unknown({ description: `OpenID Connect claim ${claim}` }))]));
const profileProperties = {
  username: Type.String({ pattern: '^\\S{1,200}$', description: 'unique in the realm, case-insensitive, no spaces' }),
  email: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  ...claimProperties,
  attributes: Type.Optional(Type.Object({}, { additionalProperties: true, description: 'custom attributes, for user_attribute claim mappers' })),
  groups: Type.Optional(Type.Array(Type.String(), { description: 'paths of the groups the user is a direct member of (/engineering/backend); on PUT, replaces the memberships when given' })),
  client_roles: Type.Optional(Type.Record(Type.String(), Type.Array(Type.String()), { description: 'client roles given to the user: {"<client_id>": ["editor"]}, each declared by its client; on PUT, replaced when given' })),
  enabled: Type.Optional(Type.Boolean({ description: 'a disabled user cannot sign in, and their tokens stop working (default true)' })),
  roles: Type.Optional(Type.Array(Type.String(), { description: 'realm roles' })),
  required_actions: Type.Optional(Type.Array(Type.Union(requiredActions.map((a) => Type.Literal(a))), { description: 'what the user must do at the next sign-in' })),
};
const NewUserBody = Type.Object({
  ...profileProperties,
  password: Type.Optional(Type.String({ description: 'write only; must meet the realm\'s password policy' })),
}, { additionalProperties: false, description: 'a user: OpenID Connect claims plus username, enabled and roles' });
const UserBody = Type.Object({
  id: Type.Optional(Type.String({ description: 'if given, the id in the path (what GET answered can be sent back as is)' })),
  ...profileProperties,
  username: Type.Optional(profileProperties.username),
}, { additionalProperties: false, description: 'a user\'s profile (the password has its own resource)' });
const UserRepresentation = Type.Object({
  id: Type.String(), ...profileProperties, enabled: Type.Boolean(), roles: Type.Array(Type.String()), required_actions: Type.Array(Type.String()),
  groups: Type.Array(Type.String()), client_roles: Type.Record(Type.String(), Type.Array(Type.String())),
}, { description: 'a user; never a password or its hash' });
const UserParams = Type.Object({ realm: Type.String(), id: Type.String() }, { additionalProperties: false });
const ActionList = Type.Array(Type.Union(requiredActionNames.map((a) => Type.Literal(a))), { minItems: 1, maxItems: requiredActionNames.length, uniqueItems: true, description: 'the required actions to ask for' });
const ExecuteActionsQuery = Type.Object({
  lifespan: Type.Optional(Type.Integer({ minimum: 60, maximum: 2_592_000, description: 'seconds the link works (default 43200)' })),
  client_id: Type.Optional(Type.String({ maxLength: 255 })),
  redirect_uri: Type.Optional(Type.String({ maxLength: 2048, description: 'one of client_id\'s redirect URIs: where the browser goes once the actions are done' })),
}, { additionalProperties: false });
interface UserParams { realm: string; id: string }
const UsersQuery = Type.Object({
  search: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'a prefix of the username, the e-mail address or any word of the name, case-insensitive' })),
  username: Type.Optional(Type.String({ description: 'exactly this username (case-insensitive)' })),
  email: Type.Optional(Type.String({ description: 'exactly this e-mail address (case-insensitive)' })),
  enabled: Type.Optional(Type.Boolean()),
  ...PagingProperties,
}, { additionalProperties: false });
interface UsersQuery { search?: string; username?: string; email?: string; enabled?: boolean; first?: number; max?: number }
const PasswordBody = Type.Object({
  password: Type.String({ description: 'the new password; the realm\'s password policy applies (history included)' }),
  temporary: Type.Optional(Type.Boolean({ description: 'the user must choose a new password at the next sign-in (default false)' })),
}, { additionalProperties: false });
const RoleNames = Type.Array(Type.String(), { description: 'realm role names' });

export function userRepresentation(user: User): JsonObject {
  return {
    id: user.id, username: user.username, ...(user.email === null ? {} : { email: user.email }), ...user.claims,
    enabled: user.enabled, roles: user.assignedRoles, required_actions: user.requiredActions,
    groups: user.groups, client_roles: user.assignedClientRoles,
  };
}

export function adminUserRoutes(app: FastifyInstance, s: AdminUsersDeps): void {
  const realmOf = async (request: FastifyRequest): Promise<Realm> =>
    (await s.store.realms.get((request.params as RealmParams).realm)) ?? (() => { throw notFound('such realm'); })();
  /** A user of the realm in the path; another realm's user id is as unknown as a made-up one. */
  const found = async (params: UserParams): Promise<User> => {
    const user = await s.store.users.findById(params.id);
    if (!user || user.realm !== params.realm) throw notFound(`user ${params.id} in realm ${params.realm}`);
    return user;
  };
  /** Roles are the realm's own: a name the realm does not define is refused, naming it. */
  const knownRoles = async (realm: string, roles: string[], field: string): Promise<string[]> => {
    const defined = new Set(await s.store.roles.list(realm));
    const index = roles.findIndex((role) => !defined.has(role));
    if (index >= 0) throw new AdminProblem(400, 'Invalid request', `${field}[${index}]: the realm has no role ${roles[index]}`, `${field}[${index}]`);
    return [...new Set(roles)];
  };
  /** Group paths must name groups of the realm; errors name `groups[i]`. */
  const groupIds = async (realm: string, paths: string[]): Promise<string[]> => Promise.all(paths.map(async (path, i) =>
    (await s.store.groups.byPath(realm, path))?.id ?? (() => { throw new AdminProblem(400, 'Invalid request', `groups[${i}]: the realm has no group ${path}`, `groups[${i}]`); })()));
  /** The client roles and groups of a user's body, checked; undefined when the body leaves them out. */
  const memberships = async (realm: string, body: JsonObject) => ({
    clientRoles: body.client_roles === undefined ? undefined : await checkedClientRoleAssignments(s, realm, body.client_roles, 'client_roles'),
    groups: body.groups === undefined ? undefined : await groupIds(realm, (body.groups as string[]).map((path, i) => groupPath(path, `groups[${i}]`))),
  });
  const setMemberships = async (realm: string, userId: string, m: Awaited<ReturnType<typeof memberships>>) => {
    if (m.clientRoles !== undefined) await s.store.users.setClientRoles(userId, realm, m.clientRoles);
    if (m.groups !== undefined) await s.store.groups.setMemberships(userId, m.groups);
  };
  const reread = async (id: string) => userRepresentation((await s.store.users.findById(id))!);

  route(app, adminEndpoints.admin_users, {
    GET: {
      schema: operation('Find users, by username', ['users'], { params: RealmParams, querystring: UsersQuery, response: { 200: Type.Array(UserRepresentation) } }),
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        const query = request.query as UsersQuery;
        const users = await s.store.users.search((request.params as RealmParams).realm, { ...query, ...page(query) });
        return reply.send(users.map(userRepresentation));
      },
    },
    POST: {
      schema: operation('Create a user', ['users'], { params: RealmParams, body: NewUserBody, response: { 201: UserRepresentation, 409: Conflict } }),
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        const realm = await realmOf(request);
        const body = request.body as JsonObject;
        const input = parseUser(body, '');
        if (await s.store.users.findByUsername(realm.name, input.username)) throw conflict(`a user named ${input.username}`, 'username');
        const roles = await knownRoles(realm.name, input.roles, 'roles');
        const held = await memberships(realm.name, body);
        if (input.password !== undefined) await assertAcceptable(realm.settings.password_policy, input.password, input);
        const passwordHash = input.password === undefined ? null : await hashPassword(input.password, realm.settings.password_policy.hashing);
        const id = newId();
        const now = s.clock.now();
        await s.store.users.create({ id, realm: realm.name, username: input.username, email: input.email, passwordHash, claims: input.claims, enabled: input.enabled }, now);
        await s.store.users.setRoles(id, roles);
        await setMemberships(realm.name, id, held);
        if (Array.isArray(body.required_actions)) await s.store.users.setRequiredActions(id, body.required_actions as string[], now);
        const after = await reread(id);
        await recordChange(s, request, realm, { type: 'admin_user_created', resource: `users/${id}`, userId: id, after });
        reply.header('location', `${s.config.publicUrl}/admin/realms/${encodeURIComponent(realm.name)}/users/${id}`);
        return sendResource(reply, after, 201);
      },
    },
  });

  route(app, adminEndpoints.admin_user, {
    GET: {
      schema: operation('Read a user', ['users'], { params: UserParams, response: { 200: UserRepresentation } }),
      handler: async (request: FastifyRequest, reply: FastifyReply) => sendResource(reply, userRepresentation(await found(request.params as UserParams))),
    },
    PUT: {
      schema: operation('Replace a user\'s profile (roles, client roles, groups and required actions only when given)', ['users'], {
        params: UserParams, headers: IfMatchHeaders, body: UserBody, response: { 200: UserRepresentation, 412: PreconditionFailed },
      }),
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        const params = request.params as UserParams;
        const realm = await realmOf(request);
        const user = await found(params);
        const body = request.body as JsonObject;
        if (body.id !== undefined && body.id !== user.id) throw new AdminProblem(400, 'Invalid request', 'id: must be the id in the path', 'id');
        if (body.username !== undefined && String(body.username).toLowerCase() !== user.username) {
          throw new AdminProblem(400, 'Invalid request', 'username: a user cannot be renamed; it must be the username in the stored user', 'username');
        }
        const before = userRepresentation(user);
        assertIfMatch(request, before);
        const { id: _id, ...profile } = body;
        const input = parseUser({ ...profile, username: user.username }, '');
        const held = await memberships(realm.name, body);
        const now = s.clock.now();
        await s.store.users.updateProfile(user.id, input.email, input.claims, now);
        if (input.enabled !== user.enabled) await s.store.users.setEnabled(user.id, input.enabled, now);
        if (body.roles !== undefined) await s.store.users.setRoles(user.id, await knownRoles(realm.name, input.roles, 'roles'));
        await setMemberships(realm.name, user.id, held);
        if (Array.isArray(body.required_actions)) await s.store.users.setRequiredActions(user.id, body.required_actions as string[], now);
        const after = await reread(user.id);
        await recordChange(s, request, realm, { type: 'admin_user_updated', resource: `users/${user.id}`, userId: user.id, before, after });
        return sendResource(reply, after);
      },
    },
    DELETE: {
      schema: operation('Delete a user; their sessions end and their tokens stop working', ['users'], { params: UserParams, headers: IfMatchHeaders, response: { 204: NoContent, 412: PreconditionFailed } }),
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        const params = request.params as UserParams;
        const realm = await realmOf(request);
        const user = await found(params);
        const before = userRepresentation(user);
        assertIfMatch(request, before);
        await endUserSessions(s, realm, user.id);
        await s.store.users.remove(user.id);
        await recordChange(s, request, realm, { type: 'admin_user_deleted', resource: `users/${user.id}`, userId: user.id, before });
        return reply.code(204).send();
      },
    },
  });

  route(app, adminEndpoints.admin_user_password, {
    PUT: {
      schema: operation('Set a user\'s password under the realm\'s policy', ['users'], { params: UserParams, body: PasswordBody, response: { 204: NoContent } }),
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        const params = request.params as UserParams;
        const realm = await realmOf(request);
        const user = await found(params);
        const { password, temporary } = request.body as { password: string; temporary?: boolean };
        await changePassword(s, realm, user, password);
        const others = user.requiredActions.filter((action) => action !== 'update_password');
        await s.store.users.setRequiredActions(user.id, temporary ? [...others, 'update_password'] : others, s.clock.now());
        await recordChange(s, request, realm, { type: 'admin_user_password_set', resource: `users/${user.id}/password`, userId: user.id });
        return reply.code(204).send();
      },
    },
  });

  const executeActions = {
    schema: operation('E-mail the user a link that runs the listed required actions in the browser that opens it (Keycloak\'s execute-actions-email), then shows a done page or goes to redirect_uri; the actions are also set on the user, for the next sign-in should the link go unused', ['users'], {
      params: UserParams, querystring: ExecuteActionsQuery, body: ActionList, response: { 204: NoContent },
    }),
    handler: async (request: FastifyRequest, reply: FastifyReply) => {
      const params = request.params as UserParams;
      const realm = await realmOf(request);
      const user = await found(params);
      const actions = requiredActionNames.filter((a) => (request.body as string[]).includes(a));
      const query = request.query as { lifespan?: number; client_id?: string; redirect_uri?: string };
      if (!mailEnabled(s.config, realm)) throw new AdminProblem(409, 'Conflict', 'the realm cannot send mail: set STRIX_SMTP_URL or the realm\'s smtp setting');
      if (!user.email) throw new AdminProblem(400, 'Invalid request', 'the user has no e-mail address', 'email');
      await checkActionsRedirect(realm, query);
      await s.store.users.setRequiredActions(user.id, [...new Set([...user.requiredActions, ...actions])], s.clock.now());
      const locale = typeof user.claims.locale === 'string' ? user.claims.locale : realm.settings.default_locale;
      const link = (key: string) => `${endpointUrl(s.config, realm, uiEndpoints.login_action_token)}?${new URLSearchParams({ key })}`;
      await sendActionsEmail(s, realm, { ...user, email: user.email }, {
        actions, lifespan: query.lifespan ?? defaultActionsLifespan, clientId: query.client_id, redirectUri: query.redirect_uri,
      }, { link, locale });
      await recordChange(s, request, realm, { type: 'admin_user_execute_actions_email', resource: `users/${user.id}/execute-actions-email`, userId: user.id });
      return reply.code(204).send();
    },
  };
  /** Keycloak's rule: redirect_uri needs client_id, and must be one of that client's redirect URIs (no open redirect). */
  async function checkActionsRedirect(realm: Realm, query: { client_id?: string; redirect_uri?: string }): Promise<void> {
    const client = query.client_id === undefined ? undefined : await s.store.clients.get(realm.name, query.client_id);
    if (query.client_id !== undefined && !client) throw new AdminProblem(400, 'Invalid request', 'client_id must name a client of the realm', 'client_id');
    if (query.redirect_uri === undefined) return;
    if (!client) throw new AdminProblem(400, 'Invalid request', 'redirect_uri needs client_id', 'client_id');
    if (!client.metadata.redirect_uris.includes(query.redirect_uri)) throw new AdminProblem(400, 'Invalid request', 'redirect_uri is not one of the client\'s redirect URIs', 'redirect_uri');
  }
  route(app, adminEndpoints.admin_user_execute_actions_email, { PUT: executeActions, POST: executeActions });

  route(app, adminEndpoints.admin_user_roles, {
    GET: {
      schema: operation('The realm roles given to the user (tokens carry these and what their composites bring)', ['users'], { params: UserParams, response: { 200: RoleNames } }),
      handler: async (request: FastifyRequest, reply: FastifyReply) => reply.send((await found(request.params as UserParams)).assignedRoles),
    },
    PUT: {
      schema: operation('Replace the user\'s realm roles', ['users'], { params: UserParams, body: RoleNames, response: { 200: RoleNames } }),
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        const params = request.params as UserParams;
        const realm = await realmOf(request);
        const user = await found(params);
        const roles = await knownRoles(realm.name, request.body as string[], 'roles');
        await s.store.users.setRoles(user.id, roles);
        const after = (await s.store.users.findById(user.id))!.assignedRoles;
        await recordChange(s, request, realm, { type: 'admin_user_roles_set', resource: `users/${user.id}/roles`, userId: user.id, before: user.assignedRoles, after });
        return reply.send(after);
      },
    },
  });
}
