// Sessions and signing keys in the admin API: GET …/sessions, DELETE …/sessions/{id},
// GET …/users/{id}/sessions, POST …/users/{id}/logout (every session ends, every grant is revoked,
// back-channel logout is sent), GET …/keys and POST …/keys/rotate (public parts only).
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { route } from '../http/endpoint.js';
import type { SsoDeps } from '../identity/sso.js';
import { logOutSession, type LogoutNotificationsDeps } from '../identity/logout-notifications.js';
import type { Needs } from '../services.js';
import type { Realm } from '../store/realms.js';
import type { ListedSession } from '../store/sessions.js';
import type { StoredKey } from '../store/signing-keys.js';
import { adminEndpoints } from './endpoints.js';
import { notFound } from './problems.js';
import { recordChange, type AdminChangeDeps } from './resource.js';
import { NoContent, operation, page, PagingQuery, RealmParams, type Paging } from './schemas.js';

/** What this module uses (services.ts `Needs`). */
export type AdminSessionsDeps = Needs<'clock' | 'keystore', 'grants' | 'realms' | 'sessions' | 'users'> & SsoDeps & LogoutNotificationsDeps & AdminChangeDeps;

const SessionRepresentation = Type.Object({
  id: Type.String({ description: 'the sid claim' }), user_id: Type.String(), username: Type.Union([Type.String(), Type.Null()]),
  started: Type.Integer({ description: 'epoch ms' }), last_access: Type.Integer({ description: 'epoch ms' }),
  auth_time: Type.Integer({ description: 'epoch ms of the last authentication' }), expires_at: Type.Integer({ description: 'epoch ms' }),
  amr: Type.Array(Type.String()), acr: Type.String(), clients: Type.Array(Type.String(), { description: 'clients holding grants of this session' }),
});
const KeyRepresentation = Type.Object({
  kid: Type.String(), alg: Type.String(), status: Type.String({ description: 'next, current or retired' }),
  created_at: Type.Integer(), retired_at: Type.Union([Type.Integer(), Type.Null()]),
  public_jwk: Type.Object({}, { additionalProperties: true, description: 'the public key only' }),
});
const SessionParams = Type.Object({ realm: Type.String(), id: Type.String() }, { additionalProperties: false });
interface IdParams { realm: string; id: string }
const UserParams = SessionParams;

const keyRepresentation = (key: StoredKey) => ({
  kid: key.kid, alg: key.alg, status: key.status, created_at: key.createdAt, retired_at: key.retiredAt, public_jwk: key.publicJwk,
});

export function adminSessionRoutes(app: FastifyInstance, s: AdminSessionsDeps): void {
  const realmOf = async (request: FastifyRequest): Promise<Realm> =>
    (await s.store.realms.get((request.params as RealmParams).realm)) ?? (() => { throw notFound('such realm'); })();
  const userOf = async (params: IdParams) => {
    const user = await s.store.users.findById(params.id);
    if (!user || user.realm !== params.realm) throw notFound(`user ${params.id} in realm ${params.realm}`);
    return user;
  };
  async function representations(sessions: ListedSession[]) {
    return Promise.all(sessions.map(async (session) => ({
      id: session.id, user_id: session.userId, username: (await s.store.users.findById(session.userId))?.username ?? null,
      started: session.createdAt, last_access: session.lastSeenAt, auth_time: session.authTime, expires_at: session.expiresAt,
      amr: session.amr, acr: session.acr, clients: await s.store.grants.clientIdsForSession(session.id),
    })));
  }
  route(app, adminEndpoints.admin_sessions, {
    GET: {
      schema: operation('The realm\'s live sessions, newest first', ['sessions'], { params: RealmParams, querystring: PagingQuery, response: { 200: Type.Array(SessionRepresentation) } }),
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        const { first, max } = page(request.query as Paging);
        return reply.send(await representations(await s.store.sessions.listLive({ realm: (request.params as RealmParams).realm }, s.clock.now(), first, max)));
      },
    },
  });
  route(app, adminEndpoints.admin_session, {
    DELETE: {
      schema: operation('End a session: its grants are revoked and its clients get a back-channel logout', ['sessions'], { params: SessionParams, response: { 204: NoContent } }),
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        const params = request.params as IdParams;
        const realm = await realmOf(request);
        const session = await s.store.sessions.findLive(params.id, s.clock.now());
        if (!session || session.realm !== realm.name) throw notFound(`live session ${params.id} in realm ${realm.name}`);
        await logOutSession(s, realm, session);
        await recordChange(s, request, realm, { type: 'admin_session_ended', resource: `sessions/${session.id}`, userId: session.userId });
        return reply.code(204).send();
      },
    },
  });
  route(app, adminEndpoints.admin_user_sessions, {
    GET: {
      schema: operation('The user\'s live sessions, newest first', ['users', 'sessions'], { params: UserParams, querystring: PagingQuery, response: { 200: Type.Array(SessionRepresentation) } }),
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        const params = request.params as IdParams;
        const user = await userOf(params);
        const { first, max } = page(request.query as Paging);
        return reply.send(await representations(await s.store.sessions.listLive({ realm: params.realm, userId: user.id }, s.clock.now(), first, max)));
      },
    },
  });
  route(app, adminEndpoints.admin_user_logout, {
    POST: {
      schema: operation('Sign the user out everywhere: every session ends, every grant (offline ones too) is revoked, clients get back-channel logout', ['users', 'sessions'], {
        params: UserParams, response: { 204: NoContent },
      }),
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        const params = request.params as IdParams;
        const realm = await realmOf(request);
        const user = await userOf(params);
        for (;;) {
          const sessions = await s.store.sessions.listLive({ realm: realm.name, userId: user.id }, s.clock.now(), 0, 100);
          if (sessions.length === 0) break;
          for (const session of sessions) await logOutSession(s, realm, session);
        }
        await s.store.grants.revokeForUser(user.id, s.clock.now());
        await recordChange(s, request, realm, { type: 'admin_user_logged_out', resource: `users/${user.id}/logout`, userId: user.id });
        return reply.code(204).send();
      },
    },
  });
  route(app, adminEndpoints.admin_keys, {
    GET: {
      schema: operation('The realm\'s signing keys (public parts), oldest first', ['keys'], { params: RealmParams, response: { 200: Type.Array(KeyRepresentation) } }),
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        const realm = await realmOf(request);
        await s.keystore.ensure(realm.name);
        return reply.send((await s.keystore.list(realm.name)).map(keyRepresentation));
      },
    },
  });
  route(app, adminEndpoints.admin_keys_rotate, {
    POST: {
      schema: operation('Rotate the signing keys: the next keys become current; current ones stay published while they retire', ['keys'], {
        params: RealmParams, response: { 200: Type.Array(KeyRepresentation) },
      }),
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        const realm = await realmOf(request);
        await s.keystore.rotate(realm.name);
        await recordChange(s, request, realm, { type: 'admin_keys_rotated', resource: 'keys' });
        return reply.send((await s.keystore.list(realm.name)).map(keyRepresentation));
      },
    },
  });
}
