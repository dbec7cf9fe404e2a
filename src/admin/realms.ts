// The realm resource of the admin API: GET/POST /admin/realms, GET/PUT/DELETE /admin/realms/{realm},
// in the realm file's shape and through the realm file's own parser and import (realm-file.ts).
import { Type, type TSchema } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { route } from '../http/endpoint.js';
import { isObject, type JsonObject } from '../json.js';
import type { Needs } from '../services.js';
import { mailEnabled } from '../mail/transport.js';
import { defaultRealmSettings, type Realm } from '../store/realms.js';
import { adminRealm } from './api-access.js';
import { adminEndpoints } from './endpoints.js';
import { AdminProblem, conflict, notFound } from './problems.js';
import { importRealm, parseRealm, realmRepresentation, type RealmFileDeps } from './realm-file.js';
import { accessOf, assertIfMatch, recordChange, sendResource, type AdminChangeDeps } from './resource.js';
import { Conflict, IfMatchHeaders, NoContent, operation, page, PagingQuery, PreconditionFailed, RealmParams, type Paging } from './schemas.js';

/** What this module uses (services.ts `Needs`). */
export type AdminRealmsDeps = Needs<'config', 'realms' | 'registrations'> & RealmFileDeps & AdminChangeDeps;

/** A setting's schema from its default's JSON type: the realm file's parser checks the rest and names the field. */
function settingSchema(name: string, value: unknown): TSchema {
  const description = `realm setting ${name} (docs/configuration.md)`;
  if (typeof value === 'number') return Type.Integer({ minimum: 0, description });
  if (typeof value === 'boolean') return Type.Boolean({ description });
  if (typeof value === 'string') return Type.String({ description });
  if (Array.isArray(value)) return Type.Array(Type.Unknown(), { description });
  if (isObject(value)) return Type.Object({}, { additionalProperties: true, description });
  return Type.Unknown({ description });
}

const nullableString = (description: string) => Type.Optional(Type.Union([Type.String(), Type.Null()], { description }));

/** `branding` described field by field for the OpenAPI document (the console's branding form); src/realms/branding.ts checks the values. */
const brandingSchema = Type.Object({
  logo_url: nullableString('an https URL or a data: URL of a PNG, JPEG, GIF, WebP, SVG or ICO image of at most 256 KiB'),
  favicon_url: nullableString('an https URL or a data: URL of an image of at most 64 KiB'),
  colors: Type.Optional(Type.Object({ primary: nullableString('#rgb or #rrggbb'), background: nullableString('#rgb or #rrggbb') }, { additionalProperties: true })),
  stylesheet: nullableString('CSS served after Strix\'s stylesheet, at most 64 KiB'),
  secured_by_strix: Type.Optional(Type.Boolean({ description: 'the "Secured by Strix" footer' })),
  messages: Type.Optional(Type.Record(Type.String(), Type.Record(Type.String(), Type.String()), { description: '{"<locale>": {"<message key>": "text"}}' })),
}, { additionalProperties: true, description: 'realm setting branding: the look and wording of the realm\'s pages and e-mails (docs/branding.md)' });

/** Every setting a realm file may give, derived from the defaults so that the schema cannot miss one. */
const settingProperties = Object.fromEntries(Object.entries(defaultRealmSettings)
  .map(([name, value]) => [name, Type.Optional(name === 'branding' ? brandingSchema : settingSchema(name, value))]));

const realmProperties = {
  name: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$', description: 'the realm name: letters, digits, - and _' }),
  display_name: Type.Optional(Type.String()),
  registration: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('protected')], { description: 'dynamic client registration (default protected)' })),
  initial_access_tokens: Type.Optional(Type.Array(Type.String(), { description: 'write only: bearer tokens the registration endpoint accepts; replace those of the realm file' })),
  mail_enabled: Type.Optional(Type.Boolean({ description: 'read only (ignored when written): whether the realm can send mail, by its smtp setting or STRIX_SMTP_URL' })),
  ...settingProperties,
};

/** A realm's settings (PUT; what GET answers, secrets left out). */
const RealmBody = Type.Object({ ...realmProperties, name: Type.Optional(realmProperties.name) }, { additionalProperties: false, description: 'a realm in the realm file\'s shape, without clients, users and roles' });
/** A new realm: a whole realm file entry, clients, users and roles included. */
const NewRealmBody = Type.Object({
  ...realmProperties,
  roles: Type.Optional(Type.Array(Type.String())),
  clients: Type.Optional(Type.Array(Type.Object({}, { additionalProperties: true, description: 'a client (see the client resource)' }))),
  users: Type.Optional(Type.Array(Type.Object({}, { additionalProperties: true, description: 'a user of the realm file, with password' }))),
}, { additionalProperties: false, description: 'a realm file entry' });
const RealmRepresentation = Type.Object(realmProperties, { additionalProperties: true, description: 'a realm\'s settings in the realm file\'s shape; never a secret' });

/** The realm as given, minus what the API leaves as stored when absent. */
function realmInput(raw: JsonObject) {
  const { mail_enabled: _readOnly, ...given } = raw;
  const input = parseRealm(given, '');
  return {
    ...input,
    registration: raw.registration === undefined ? undefined : input.registration,
    initialAccessTokens: raw.initial_access_tokens === undefined ? undefined : input.initialAccessTokens,
  };
}

/** The realm as the API shows it: its realm file entry, and whether it can send mail (what the admin console offers depends on it). */
async function representation(s: AdminRealmsDeps, realm: Realm): Promise<JsonObject> {
  return { ...await realmRepresentation(s, realm), mail_enabled: mailEnabled(s.config, realm) };
}

async function stored(s: AdminRealmsDeps, name: string): Promise<Realm> {
  return (await s.store.realms.get(name)) ?? (() => { throw notFound(`realm named ${name}`); })();
}

export function adminRealmRoutes(app: FastifyInstance, s: AdminRealmsDeps): void {
  route(app, adminEndpoints.admin_realms, {
    GET: {
      schema: operation('List the realms the caller may read', ['realms'], { querystring: PagingQuery, response: { 200: Type.Array(RealmRepresentation) } }),
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        const { first, max } = page(request.query as Paging);
        const access = accessOf(request);
        // Filtered after paging would give short pages: a caller limited to some realms pages through those.
        const realms = (await s.store.realms.list()).filter((realm) => access.read(realm.name)).slice(first, first + max);
        return reply.send(await Promise.all(realms.map((realm) => representation(s, realm))));
      },
    },
    POST: {
      schema: operation('Create a realm from a realm file entry', ['realms'], { body: NewRealmBody, response: { 201: RealmRepresentation, 409: Conflict } }),
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        const raw = request.body as JsonObject;
        const input = realmInput(raw);
        if (!accessOf(request).manage(input.name)) throw new AdminProblem(403, 'Forbidden', `the token may not create the realm ${input.name}`, 'name');
        if (await s.store.realms.get(input.name)) throw conflict(`a realm named ${input.name}`, 'name');
        await importRealm(s, input);
        const realm = await stored(s, input.name);
        const after = await representation(s, realm);
        await recordChange(s, request, realm, { type: 'admin_realm_created', resource: `realms/${realm.name}`, after });
        return sendResource(reply.header('location', `${s.config.publicUrl}/admin/realms/${encodeURIComponent(realm.name)}`), after, 201);
      },
    },
  });

  route(app, adminEndpoints.admin_realm, {
    GET: {
      schema: operation('Read a realm\'s settings', ['realms'], { params: RealmParams, response: { 200: RealmRepresentation } }),
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        const realm = await stored(s, (request.params as RealmParams).realm);
        return sendResource(reply, await representation(s, realm));
      },
    },
    PUT: {
      schema: operation('Replace a realm\'s settings (absent settings return to their defaults)', ['realms'], {
        params: RealmParams, headers: IfMatchHeaders, body: RealmBody, response: { 200: RealmRepresentation, 412: PreconditionFailed },
      }),
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        const name = (request.params as RealmParams).realm;
        const body = request.body as JsonObject;
        if (body.name !== undefined && body.name !== name) throw new AdminProblem(400, 'Invalid request', 'name: a realm cannot be renamed; it must be the name in the path', 'name');
        const before = await representation(s, await stored(s, name));
        assertIfMatch(request, before);
        await importRealm(s, realmInput({ ...body, name }));
        const realm = await stored(s, name);
        const after = await representation(s, realm);
        await recordChange(s, request, realm, { type: 'admin_realm_updated', resource: `realms/${name}`, before, after });
        return sendResource(reply, after);
      },
    },
    DELETE: {
      schema: operation('Delete a realm and everything in it', ['realms'], { params: RealmParams, headers: IfMatchHeaders, response: { 204: NoContent, 409: Conflict, 412: PreconditionFailed } }),
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        const name = (request.params as RealmParams).realm;
        if (name === adminRealm) throw new AdminProblem(409, 'Conflict', `the ${adminRealm} realm holds the administrators and cannot be deleted`, 'realm');
        const before = await representation(s, await stored(s, name));
        assertIfMatch(request, before);
        await s.store.realms.remove(name);
        // The realm is gone, and with it the settings its log is kept by: the deletion goes to the master realm's log.
        const master = await s.store.realms.get(adminRealm);
        if (master) await recordChange(s, request, master, { type: 'admin_realm_deleted', resource: `realms/${name}`, before });
        return reply.code(204).send();
      },
    },
  });
}
