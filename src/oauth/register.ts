// Dynamic client registration (RFC 7591) and its management protocol (RFC 7592), with the MUSTs
// OpenID Connect Dynamic Client Registration 1.0 adds. Registration is authorized by an initial
// access token unless the realm's registration is "open"; a registered client is then read,
// updated and deleted with the registration access token it was given.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { tokenExchangeGrantType } from '../clients/grant-types.js';
import { parseClientMetadata } from '../clients/metadata.js';
import { bearerToken, challenge, InvalidToken } from '../http/bearer.js';
import { endpointUrl, route } from '../http/endpoint.js';
import { OAuthError } from '../http/errors.js';
import { isObject, type JsonObject } from '../json.js';
import { randomToken, safeEqual, seconds, sha256 } from '../runtime.js';
import { recordEvent } from '../security/audit.js';
import type { Needs } from '../services.js';
import { storedSecret, type Client, type ClientMetadata, type TokenEndpointAuthMethod } from '../store/clients.js';
import type { Realm } from '../store/realms.js';
import type { ClientRegistration } from '../store/registrations.js';
import { builtInScopes } from '../tokens/scopes.js';
import { ValidationError } from '../validation.js';
import { oauthEndpoints } from './endpoints.js';
import { checkSectorIdentifier, type SectorIdentifierDeps } from './sector-identifier.js';

/** What this module uses (services.ts `Needs`). */
export type RegisterDeps = Needs<'audit' | 'clock' | 'config' | 'sealer', 'clients' | 'grants' | 'registrations'> & SectorIdentifierDeps;

/** Values Strix issues (RFC 7591 §3.2.1, RFC 7592 §3); a client never chooses them. */
const issuedFields = ['client_id', 'client_secret', 'client_id_issued_at', 'client_secret_expires_at', 'registration_access_token', 'registration_client_uri'];
/** RFC 7592 §2.2: an update request MUST NOT include these. */
const notInUpdates = ['registration_access_token', 'registration_client_uri', 'client_secret_expires_at', 'client_id_issued_at'];
/**
 * Realm-administrator choices a self-registered client does not make (RFC 7591 §2 lets the server
 * replace any value): it always asks for consent and gets the realm's lifetimes, PKCE rules and sign-in methods.
 */
const serverChosenFields = ['require_consent', 'pkce_plain_allowed', 'access_token_lifetime', 'id_token_lifetime', 'refresh_token_idle_lifetime', 'refresh_token_absolute_lifetime', 'claim_mappers', 'service_account_roles', 'email_sign_in', 'roles'];
/** Metadata asking for what Strix does not do; silently ignoring it would leave the client expecting it. */
const unsupportedFields = [
  'id_token_encrypted_response_alg', 'id_token_encrypted_response_enc',
  'userinfo_encrypted_response_alg', 'userinfo_encrypted_response_enc',
];

/**
 * client_credentials grants API scopes with no user to consent, and the password grant hands the
 * client users' passwords (RFC 9700 §2.4): only a realm administrator creates such clients.
 */
const administratorGrants = ['client_credentials', 'password', tokenExchangeGrantType];

const usesSecret = (method: TokenEndpointAuthMethod) => method !== 'none' && method !== 'private_key_jwt';

/** Validates client metadata as every client's (parseClientMetadata), then applies the registration policy. */
export function registeredMetadata(body: unknown, realm: Realm, clientId: string): ClientMetadata {
  if (!isObject(body)) throw new OAuthError('invalid_client_metadata', 'the body must be a JSON object of client metadata');
  for (const field of unsupportedFields) {
    if (body[field] !== undefined) throw new OAuthError('invalid_client_metadata', `${field} is not supported`);
  }
  const raw: JsonObject = { ...body, client_id: clientId };
  for (const field of [...issuedFields.filter((f) => f !== 'client_id'), ...serverChosenFields]) delete raw[field];
  raw.require_consent = true;
  let metadata: ClientMetadata;
  try {
    metadata = parseClientMetadata(raw, 'client').metadata;
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    const code = error.field === 'client.redirect_uris' ? 'invalid_redirect_uri' : 'invalid_client_metadata';
    throw new OAuthError(code, error.message.replace(/^client\./, ''));
  }
  const reserved = metadata.grant_types.find((g) => administratorGrants.includes(g));
  if (reserved) throw new OAuthError('invalid_client_metadata', `grant_types: ${reserved} clients are created by an administrator, not registered`);
  const known = new Set<string>([...builtInScopes, ...realm.settings.scopes.map((d) => d.name)]);
  const unknown = metadata.scope.split(' ').filter((v) => v && !known.has(v));
  if (unknown.length > 0) throw new OAuthError('invalid_client_metadata', `scope: not offered by this realm: ${unknown.join(' ')}`);
  checkImplicitRedirectUris(metadata);
  return metadata;
}

/** OIDC Dynamic Registration §2 (redirect_uris): web clients using implicit register https URIs, never localhost. */
function checkImplicitRedirectUris(metadata: ClientMetadata): void {
  if (!metadata.grant_types.includes('implicit') || metadata.application_type === 'native') return;
  for (const uri of metadata.redirect_uris) {
    const url = new URL(uri);
    if (url.protocol !== 'https:' || url.hostname === 'localhost') {
      throw new OAuthError('invalid_redirect_uri', `redirect_uris: "${uri}": a web client using implicit must use https and not localhost`);
    }
  }
}

/**
 * RFC 7591 §3: a protected realm needs an initial access token (kept as a keyed digest: it may be
 * chosen by a person). Its digest, for spendRegistration; undefined in an open realm.
 */
async function authorizeRegistration(s: RegisterDeps, request: FastifyRequest): Promise<string | undefined> {
  const realm = request.realm!.name;
  if ((await s.store.registrations.policy(realm)) === 'open') return undefined;
  const tokenHash = s.sealer.digest(bearerToken(request.headers.authorization, 'an initial access token'));
  if (!(await s.store.registrations.isInitialAccessToken(realm, tokenHash, s.clock.now()))) throw invalidInitialAccessToken();
  return tokenHash;
}

/** Spends one of the token's registrations once the request has proved good: a token with none left (or expired meanwhile) registers nothing. */
async function spendRegistration(s: RegisterDeps, request: FastifyRequest, tokenHash: string | undefined): Promise<void> {
  if (tokenHash === undefined) return;
  if (!(await s.store.registrations.spendInitialAccessToken(request.realm!.name, tokenHash, s.clock.now()))) throw invalidInitialAccessToken();
}

const invalidInitialAccessToken = () => new InvalidToken('the initial access token is not valid');

/**
 * RFC 7592 §2: the registration access token must be the one issued for the client in the path.
 * A token for another client gets the same answer, so that answers do not reveal which clients exist.
 */
async function managedClient(s: RegisterDeps, request: FastifyRequest): Promise<{ client: Client; registration: ClientRegistration; token: string }> {
  const realm = request.realm!.name;
  const token = bearerToken(request.headers.authorization, 'a registration access token');
  const { clientId } = request.params as { clientId: string };
  const registration = await s.store.registrations.byToken(realm, sha256(token));
  const client = registration?.clientId === clientId ? await s.store.clients.get(realm, clientId) : undefined;
  if (!registration || !client) throw new InvalidToken('the registration access token is not valid for this client');
  return { client, registration, token };
}

function requireJson(request: FastifyRequest): void {
  const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') throw new OAuthError('invalid_request', 'client metadata must be sent as application/json');
}

/** RFC 7592 §2.2: the client names itself, and may not change its secret or send issued values. */
function checkUpdateRequest(s: RegisterDeps, body: unknown, client: Client): void {
  if (!isObject(body)) throw new OAuthError('invalid_client_metadata', 'the body must be a JSON object of client metadata');
  if (body.client_id !== client.clientId) throw new OAuthError('invalid_request', 'client_id must be included and be the client\'s own');
  const forbidden = notInUpdates.find((field) => body[field] !== undefined);
  if (forbidden) throw new OAuthError('invalid_request', `an update must not include ${forbidden}`);
  const secret = body.client_secret;
  if (secret !== undefined && !(typeof secret === 'string' && client.secretHash && safeEqual(s.sealer.digest(secret), client.secretHash))) {
    throw new OAuthError('invalid_request', 'client_secret does not match the client\'s secret (a client cannot choose its secret)');
  }
}

interface Issued { secret?: string; registrationAccessToken: string }

/** RFC 7591 §3.2.1 and RFC 7592 §3. The secret is shown only when issued; Strix keeps only its digest. */
function clientInformation(s: RegisterDeps, realm: Realm, metadata: ClientMetadata, registration: { issuedAt: number }, issued: Issued): JsonObject {
  return {
    ...metadata,
    client_id_issued_at: seconds(registration.issuedAt),
    ...(issued.secret === undefined ? {} : { client_secret: issued.secret }),
    ...(usesSecret(metadata.token_endpoint_auth_method) ? { client_secret_expires_at: 0 } : {}),
    registration_access_token: issued.registrationAccessToken,
    registration_client_uri: endpointUrl(s.config, realm, oauthEndpoints.registration_client_uri, { clientId: metadata.client_id }),
  };
}

/** Adds the RFC 6750 §3 challenge to an invalid_token answer; the error itself renders as JSON. */
function withBearerChallenge(handler: (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply>) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
    try {
      return await handler(request, reply);
    } catch (error) {
      if (error instanceof InvalidToken) reply.header('www-authenticate', challenge('Bearer', request.realm!.name, error));
      throw error;
    }
  };
}

export function registerRoutes(app: FastifyInstance, s: RegisterDeps): void {
  route(app, oauthEndpoints.registration_endpoint, withBearerChallenge(async (request, reply) => {
    const realm = request.realm!;
    const initialAccessToken = await authorizeRegistration(s, request);
    requireJson(request);
    const metadata = registeredMetadata(request.body, realm, randomToken(16));
    await checkSectorIdentifier(s, metadata);
    const secret = usesSecret(metadata.token_endpoint_auth_method) ? randomToken() : undefined;
    const stored = secret === undefined ? undefined : storedSecret(secret, metadata.token_endpoint_auth_method, s.sealer);
    const registrationAccessToken = randomToken();
    await spendRegistration(s, request, initialAccessToken);
    const now = s.clock.now();
    await s.store.clients.upsert(realm.name, metadata, stored?.hash ?? null, now, stored?.sealed ?? null);
    await s.store.registrations.record(realm.name, metadata.client_id, sha256(registrationAccessToken), now);
    await recordEvent(s, {
      realm, type: 'client_registered', clientId: metadata.client_id, ip: request.ip,
      details: { client_name: metadata.client_name ?? null, grant_types: metadata.grant_types, redirect_uris: metadata.redirect_uris },
    });
    return reply.code(201).send(clientInformation(s, realm, metadata, { issuedAt: now }, { secret, registrationAccessToken }));
  }));

  // RFC 7592 §2.1: the registration access token presented is the one in the response; the secret is not.
  const read = withBearerChallenge(async (request, reply) => {
    const { client, registration, token } = await managedClient(s, request);
    return reply.send(clientInformation(s, request.realm!, client.metadata, registration, { registrationAccessToken: token }));
  });

  // RFC 7592 §2.2: the body replaces the metadata. A new secret is issued (and shown) only when the
  // new method needs a secret the client does not have in a usable form.
  const update = withBearerChallenge(async (request, reply) => {
    const realm = request.realm!;
    const { client, registration, token } = await managedClient(s, request);
    requireJson(request);
    checkUpdateRequest(s, request.body, client);
    // The client's roles are the administrator's: an update by the client keeps them (and who holds them).
    const metadata = { ...registeredMetadata(request.body, realm, client.clientId), roles: client.metadata.roles };
    await checkSectorIdentifier(s, metadata);
    const method = metadata.token_endpoint_auth_method;
    const usable = method === 'client_secret_jwt' ? client.secretSealed : client.secretHash;
    const secret = usesSecret(method) && !usable ? randomToken() : undefined;
    const stored = secret === undefined ? undefined : storedSecret(secret, method, s.sealer);
    await s.store.clients.upsert(realm.name, metadata, stored?.hash ?? null, s.clock.now(), stored?.sealed ?? null);
    return reply.send(clientInformation(s, realm, metadata, registration, { secret, registrationAccessToken: token }));
  });

  // RFC 7592 §2.3: the client id, its secret and this token stop working at once.
  const remove = withBearerChallenge(async (request, reply) => {
    const { client } = await managedClient(s, request);
    await s.store.clients.remove(request.realm!.name, client.clientId);
    await s.store.grants.revokeForClient(request.realm!.name, client.clientId, s.clock.now());
    return reply.code(204).send();
  });

  route(app, oauthEndpoints.registration_client_uri, { GET: read, PUT: update, DELETE: remove });
}
