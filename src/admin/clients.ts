// The client resource of the admin API: GET/POST …/clients, GET/PUT/DELETE …/clients/{client_id},
// POST …/clients/{client_id}/secret. Clients are RFC 7591 metadata, checked by the same parser as
// realm files and dynamic registration (clients/metadata.ts); a secret is shown once, never again.
import { randomBytes } from 'node:crypto';
import { Type, type TSchema } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { route } from '../http/endpoint.js';
import { isObject, type JsonObject } from '../json.js';
import type { Needs } from '../services.js';
import { storedSecret, type Client, type ClientMetadata } from '../store/clients.js';
import { adminEndpoints } from './endpoints.js';
import { AdminProblem, conflict, notFound } from './problems.js';
import { realmClient } from './realm-file.js';
import { initialAccessRequest, issueInitialAccessToken } from '../clients/initial-access.js';
import { assertIfMatch, recordChange, sendResource, type AdminChangeDeps } from './resource.js';
import { Conflict, IfMatchHeaders, NoContent, operation, page, PagingQuery, PreconditionFailed, RealmParams, type Paging } from './schemas.js';

/** What this module uses (services.ts `Needs`). */
export type AdminClientsDeps = Needs<'clock' | 'config' | 'sealer', 'clients' | 'grants' | 'realms' | 'registrations'> & AdminChangeDeps;

const uris = (description: string) => Type.Array(Type.String(), { description });
const optionalSeconds = (description: string) => Type.Integer({ minimum: 1, description: `${description}, in seconds (default: the realm's)` });

/**
 * Every member of a client's metadata. Typed by ClientMetadata's keys: a member added there and not
 * here (or the reverse) does not compile, so the schema and the parser cannot drift apart.
 */
const metadataProperties: Record<keyof ClientMetadata, TSchema> = {
  client_id: Type.String({ description: 'printable characters, no spaces' }),
  client_name: Type.String(),
  application_type: Type.Union([Type.Literal('web'), Type.Literal('native')]),
  contacts: Type.Array(Type.String()),
  client_uri: Type.String(), logo_uri: Type.String(), policy_uri: Type.String(), tos_uri: Type.String(),
  redirect_uris: uris('exact redirect URIs: https, or http on a loopback host'),
  post_logout_redirect_uris: uris('where the logout endpoint may send the browser back to'),
  grant_types: Type.Array(Type.String(), { description: 'default ["authorization_code"]' }),
  response_types: Type.Array(Type.String()),
  token_endpoint_auth_method: Type.String({ description: 'client_secret_basic (default), client_secret_post, client_secret_jwt, private_key_jwt or none' }),
  jwks: Type.Object({ keys: Type.Array(Type.Object({}, { additionalProperties: true })) }, { additionalProperties: false, description: 'public keys only' }),
  jwks_uri: Type.String(),
  token_endpoint_auth_signing_alg: Type.String(),
  request_object_signing_alg: Type.String(),
  request_uris: Type.Array(Type.String()),
  scope: Type.String({ description: 'space-separated scopes the client may be granted (default "openid profile email")' }),
  require_consent: Type.Boolean(),
  allowed_origins: Type.Array(Type.String(), { description: 'origins allowed to call the token, userinfo and other back-channel endpoints with CORS' }),
  id_token_signed_response_alg: Type.String(), access_token_signed_response_alg: Type.String(), userinfo_signed_response_alg: Type.String(),
  access_token_lifetime: optionalSeconds('access token lifetime'),
  id_token_lifetime: optionalSeconds('ID token lifetime'),
  refresh_token_idle_lifetime: optionalSeconds('refresh token idle lifetime'),
  refresh_token_absolute_lifetime: optionalSeconds('refresh token absolute lifetime'),
  pkce_plain_allowed: Type.Boolean(),
  backchannel_logout_uri: Type.String(), backchannel_logout_session_required: Type.Boolean(),
  frontchannel_logout_uri: Type.String(), frontchannel_logout_session_required: Type.Boolean(),
  dpop_bound_access_tokens: Type.Boolean(),
  ip_allow: Type.Array(Type.String()), ip_deny: Type.Array(Type.String()),
  allowed_resources: Type.Array(Type.String()),
  token_exchange_subject_clients: Type.Array(Type.String()),
  subject_type: Type.Union([Type.Literal('public'), Type.Literal('pairwise')]),
  sector_identifier_uri: Type.String(),
  require_pushed_authorization_requests: Type.Boolean(),
  initiate_login_uri: Type.String(),
  claim_mappers: Type.Array(Type.Object({}, { additionalProperties: true })),
  mfa: Type.Unknown({ description: '"optional", "required" or {"required_for_roles": [...]}' }),
  email_sign_in: Type.String({ description: 'sign-in by e-mail for this client in place of the realm\'s setting: off, code or code_and_link' }),
  service_account_roles: Type.Array(Type.String(), { description: 'admin API rights: in the master realm admin, realm-admin:{realm}, realm-viewer:{realm}; in any other realm realm-admin or realm-viewer (that realm only)' }),
  roles: Type.Array(Type.Object({
    name: Type.String({ pattern: '^[^\\s,]{1,100}$', description: 'no spaces or commas' }),
    description: Type.Optional(Type.String({ maxLength: 500 })),
    composites: Type.Optional(Type.Array(Type.String(), { description: 'other roles of this client that whoever holds this one holds too' })),
  }, { additionalProperties: false }), { description: 'the client\'s roles, which users and groups hold as client_roles; a role left out is taken from everyone who held it' }),
};

const optional = (properties: Record<string, TSchema>) => Object.fromEntries(Object.entries(properties).map(([name, schema]) => [name, Type.Optional(schema)]));

const ClientBody = Type.Object({
  ...optional(metadataProperties),
  client_secret: Type.Optional(Type.String({ description: 'write only; on POST one is generated for a confidential client when absent, and returned once' })),
  enabled: Type.Optional(Type.Boolean({ description: 'a disabled client is refused everywhere (default true)' })),
}, { additionalProperties: false, description: 'a client: RFC 7591 metadata with Strix\'s own members' });
const ClientRepresentation = Type.Object({ ...optional(metadataProperties), enabled: Type.Boolean() }, { additionalProperties: false, description: 'a client; never its secret' });
const CreatedClient = Type.Object({ ...optional(metadataProperties), enabled: Type.Boolean(), client_secret: Type.Optional(Type.String({ description: 'the generated secret, shown this once' })) });
const ClientParams = Type.Object({ realm: Type.String(), client_id: Type.String() }, { additionalProperties: false });
interface ClientParams { realm: string; client_id: string }
const Secret = Type.Object({ client_secret: Type.String({ description: 'the new secret, shown this once' }) }, { additionalProperties: false });
const limits = {
  timestamp: Type.Integer({ description: 'when it was issued, epoch seconds' }),
  expiration: Type.Integer({ description: 'seconds it lasts from then; 0: no end' }),
  count: Type.Integer({ description: 'registrations it allows; 0: any number' }),
  remainingCount: Type.Union([Type.Integer(), Type.Null()], { description: 'registrations left; null: any number' }),
};
const InitialAccessToken = Type.Object({
  id: Type.String(), token: Type.String({ description: 'a bearer token for the realm\'s registration endpoint (RFC 7591 §3), shown this once' }), ...limits,
});
const InitialAccessListed = Type.Object({
  id: Type.Union([Type.String(), Type.Null()], { description: 'null for a realm file\'s tokens, which the realm file manages' }),
  source: Type.Union([Type.Literal('issued'), Type.Literal('file')]), ...limits, expired: Type.Boolean(),
});
const InitialAccessParams = Type.Object({ realm: Type.String(), id: Type.String({ maxLength: 64 }) }, { additionalProperties: false });
type InitialAccessParams = { realm: string; id: string };

export function clientRepresentation(client: Client): JsonObject {
  return { ...client.metadata, enabled: client.enabled };
}

const newSecret = () => randomBytes(32).toString('base64url');
/** Methods that authenticate with a shared secret. */
const usesSecret = (method: ClientMetadata['token_endpoint_auth_method']) => method !== 'none' && method !== 'private_key_jwt';

/** The body through the realm file's client parser: anything a realm file can say about a client, the API can. */
const clientInput = (realm: string, body: JsonObject) => realmClient(realm, body, '');

export function adminClientRoutes(app: FastifyInstance, s: AdminClientsDeps): void {
  const found = async (params: ClientParams): Promise<Client> =>
    (await s.store.clients.get(params.realm, params.client_id)) ?? (() => { throw notFound(`client ${params.client_id} in realm ${params.realm}`); })();
  const realmOf = async (request: FastifyRequest) => (await s.store.realms.get((request.params as RealmParams).realm)) ?? (() => { throw notFound('such realm'); })();

  /** Stores a client and returns the secret to show, if one was generated. */
  async function save(realm: string, input: ReturnType<typeof clientInput>, existing: Client | undefined): Promise<string | undefined> {
    const method = input.metadata.token_endpoint_auth_method;
    const keeps = existing?.secretHash && (method !== 'client_secret_jwt' || existing.secretSealed);
    const generated = usesSecret(method) && input.secret === undefined && !keeps ? newSecret() : undefined;
    const secret = input.secret ?? generated;
    const stored = secret === undefined ? undefined : storedSecret(secret, method, s.sealer);
    const now = s.clock.now();
    await s.store.clients.upsert(realm, input.metadata, stored?.hash ?? null, now, stored?.sealed ?? null);
    if (input.enabled !== undefined && input.enabled !== (existing?.enabled ?? true)) await s.store.clients.setEnabled(realm, input.metadata.client_id, input.enabled, now);
    return generated;
  }

  route(app, adminEndpoints.admin_clients, {
    GET: {
      schema: operation('List the realm\'s clients, by client_id', ['clients'], { params: RealmParams, querystring: PagingQuery, response: { 200: Type.Array(ClientRepresentation) } }),
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        const { first, max } = page(request.query as Paging);
        const clients = await s.store.clients.page((request.params as RealmParams).realm, first, max);
        return reply.send(clients.map(clientRepresentation));
      },
    },
    POST: {
      schema: operation('Register a client; a generated secret is returned once', ['clients'], { params: RealmParams, body: ClientBody, response: { 201: CreatedClient, 409: Conflict } }),
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        const realm = await realmOf(request);
        const input = clientInput(realm.name, request.body as JsonObject);
        const clientId = input.metadata.client_id;
        if (await s.store.clients.get(realm.name, clientId)) throw conflict(`a client ${clientId}`, 'client_id');
        const secret = await save(realm.name, input, undefined);
        const after = clientRepresentation((await s.store.clients.get(realm.name, clientId))!);
        await recordChange(s, request, realm, { type: 'admin_client_created', resource: `clients/${clientId}`, clientId, after });
        reply.header('location', `${s.config.publicUrl}/admin/realms/${encodeURIComponent(realm.name)}/clients/${encodeURIComponent(clientId)}`);
        return sendResource(reply, secret === undefined ? after : { ...after, client_secret: secret }, 201);
      },
    },
  });

  route(app, adminEndpoints.admin_client, {
    GET: {
      schema: operation('Read a client', ['clients'], { params: ClientParams, response: { 200: ClientRepresentation } }),
      handler: async (request: FastifyRequest, reply: FastifyReply) => sendResource(reply, clientRepresentation(await found(request.params as ClientParams))),
    },
    PUT: {
      schema: operation('Replace a client\'s metadata (its secret stays unless client_secret is given)', ['clients'], {
        params: ClientParams, headers: IfMatchHeaders, body: ClientBody, response: { 200: CreatedClient, 412: PreconditionFailed },
      }),
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        const params = request.params as ClientParams;
        const body = request.body as JsonObject;
        if (body.client_id !== undefined && body.client_id !== params.client_id) throw new AdminProblem(400, 'Invalid request', 'client_id: must be the client_id in the path', 'client_id');
        const realm = await realmOf(request);
        const existing = await found(params);
        const before = clientRepresentation(existing);
        assertIfMatch(request, before);
        const secret = await save(realm.name, clientInput(realm.name, { ...body, client_id: params.client_id }), existing);
        const after = clientRepresentation((await s.store.clients.get(realm.name, params.client_id))!);
        await recordChange(s, request, realm, { type: 'admin_client_updated', resource: `clients/${params.client_id}`, clientId: params.client_id, before, after });
        return sendResource(reply, secret === undefined ? after : { ...after, client_secret: secret });
      },
    },
    DELETE: {
      schema: operation('Delete a client; the tokens it holds stop working', ['clients'], { params: ClientParams, headers: IfMatchHeaders, response: { 204: NoContent, 412: PreconditionFailed } }),
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        const params = request.params as ClientParams;
        const realm = await realmOf(request);
        const before = clientRepresentation(await found(params));
        assertIfMatch(request, before);
        await s.store.grants.revokeForClient(realm.name, params.client_id, s.clock.now());
        await s.store.clients.remove(realm.name, params.client_id);
        await recordChange(s, request, realm, { type: 'admin_client_deleted', resource: `clients/${params.client_id}`, clientId: params.client_id, before });
        return reply.code(204).send();
      },
    },
  });

  route(app, adminEndpoints.admin_initial_access_tokens, {
    GET: {
      schema: operation('The realm\'s initial access tokens, newest first (never the tokens themselves)', ['clients'], { params: RealmParams, response: { 200: Type.Array(InitialAccessListed) } }),
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        const realm = await realmOf(request);
        const now = s.clock.now();
        return reply.send((await s.store.registrations.listInitialAccessTokens(realm.name)).map((t) => ({
          id: t.id, source: t.source, timestamp: Math.floor(t.createdAt / 1000),
          expiration: t.expiresAt === null ? 0 : Math.round((t.expiresAt - t.createdAt) / 1000), count: t.count ?? 0, remainingCount: t.remaining,
          expired: t.expiresAt !== null && t.expiresAt <= now,
        })));
      },
    },
    POST: {
      schema: operation('Issue an initial access token for dynamic client registration, returned once: `expiration` in seconds (default a day, 0: no end) and `count` registrations (default 1, 0: any number); no body takes the defaults', ['clients'], { params: RealmParams, response: { 201: InitialAccessToken } }),
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        // No body, or an object: a schema cannot say "optional body" without refusing a missing one.
        if (request.body !== undefined && !isObject(request.body)) throw new AdminProblem(400, 'Invalid request', 'body: must be an object with expiration and count, or absent', 'body');
        const limits = initialAccessRequest(request.body ?? {});
        const realm = await realmOf(request);
        const issued = await issueInitialAccessToken(s, realm.name, limits);
        await recordChange(s, request, realm, { type: 'admin_initial_access_token_issued', resource: `clients-initial-access/${issued.id}`, after: { expiration: issued.expiration, count: issued.count } });
        return reply.code(201).send({ ...issued, remainingCount: issued.count === 0 ? null : issued.count });
      },
    },
  });

  route(app, adminEndpoints.admin_initial_access_token, {
    DELETE: {
      schema: operation('Remove an initial access token: it registers nothing more', ['clients'], { params: InitialAccessParams, response: { 204: NoContent } }),
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        const { id } = request.params as InitialAccessParams;
        const realm = await realmOf(request);
        if (!(await s.store.registrations.removeInitialAccessToken(realm.name, id))) throw notFound(`initial access token ${id} in realm ${realm.name}`);
        await recordChange(s, request, realm, { type: 'admin_initial_access_token_removed', resource: `clients-initial-access/${id}` });
        return reply.code(204).send();
      },
    },
  });

  route(app, adminEndpoints.admin_client_secret, {
    POST: {
      schema: operation('Issue a new client secret, returned once; the old one stops working', ['clients'], { params: ClientParams, response: { 200: Secret, 409: Conflict } }),
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        const params = request.params as ClientParams;
        const realm = await realmOf(request);
        const client = await found(params);
        const method = client.metadata.token_endpoint_auth_method;
        if (!usesSecret(method)) throw new AdminProblem(409, 'Conflict', `${params.client_id} uses ${method} and has no secret`, 'token_endpoint_auth_method');
        const secret = newSecret();
        const stored = storedSecret(secret, method, s.sealer);
        await s.store.clients.setSecretHash(realm.name, params.client_id, stored.hash, s.clock.now(), stored.sealed);
        await recordChange(s, request, realm, { type: 'admin_client_secret_rotated', resource: `clients/${params.client_id}/secret`, clientId: params.client_id });
        return reply.send({ client_secret: secret });
      },
    },
  });
}
