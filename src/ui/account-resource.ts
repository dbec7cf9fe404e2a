// Keycloak's account resource (`GET {issuer}/account` with `Accept: application/json`, what
// keycloak-js's loadUserProfile() fetches): the user of a bearer access token (RFC 6750 §2.1) in
// the shape of Keycloak's account UserRepresentation. Errors follow RFC 6750 §3.1; CORS is the
// token's client's web origins, as at the userinfo endpoint. Browsers get the account console.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { challenge, InvalidToken, userBearerToken } from '../http/bearer.js';
import { forClient } from '../http/cors.js';
import type { Needs } from '../services.js';
import type { User } from '../store/users.js';
import { claimsForScopes } from '../tokens/claims.js';
import type { InspectDeps } from '../tokens/inspect.js';
import { subjectFor, type SubjectDeps } from '../tokens/subject.js';

/** What this module uses (services.ts `Needs`). */
export type AccountResourceDeps = Needs<never, 'clients'> & InspectDeps & SubjectDeps;

/** Keycloak's account UserRepresentation, less `userProfileMetadata` (Strix has no user profile configuration). */
export interface KeycloakAccount {
  id: string;
  username?: string;
  firstName?: string;
  lastName?: string;
  email?: string;
  emailVerified?: boolean;
  /** Keycloak keeps every attribute as a list of strings. */
  attributes: Record<string, string[]>;
}

/** Claims with a field of their own in the representation, or none at all (name is Keycloak's first and last name). */
const notAttributes = new Set(['sub', 'preferred_username', 'given_name', 'family_name', 'email', 'email_verified', 'name', 'updated_at', 'roles']);

/**
 * The user as the token's scopes release them, as userinfo would (`profile`: username and names,
 * `email`: the address), never more than the user consented to. The other released standard claims
 * (`locale`, `zoneinfo`, …) are attributes; custom attributes are not, as in Keycloak, whose user
 * profile leaves attributes it does not declare out of the account API.
 */
export function keycloakAccount(user: User, scope: readonly string[], id: string): KeycloakAccount {
  const claims = claimsForScopes(user, scope);
  const attributes = Object.fromEntries(Object.entries(claims).flatMap(([name, value]) =>
    notAttributes.has(name) || !['string', 'number', 'boolean'].includes(typeof value) ? [] : [[name, [String(value)]]]));
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  return {
    id,
    username: text(claims.preferred_username),
    firstName: text(claims.given_name),
    lastName: text(claims.family_name),
    email: text(claims.email),
    emailVerified: scope.includes('email') ? claims.email_verified === true : undefined,
    attributes,
  };
}

/** Answers a JSON request for the account: the representation, or a 401 with its challenge. */
export async function sendAccount(s: AccountResourceDeps, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const realm = request.realm!;
  reply.header('cache-control', 'no-store');
  try {
    const token = await userBearerToken(s, realm, request.headers.authorization, 'the access token');
    const client = await s.store.clients.get(realm.name, token.clientId);
    forClient(request, reply, client);
    // A disabled client's tokens are already inactive (tokens/inspect.ts); only a client deleted meanwhile is left.
    if (!client) throw new InvalidToken('the access token\'s client is gone');
    return reply.send(keycloakAccount(token.user, token.scope, await subjectFor(s, realm.name, client, token.user.id)));
  } catch (error) {
    if (!(error instanceof InvalidToken)) throw error;
    return reply.code(401).header('www-authenticate', challenge('Bearer', realm.name, error)).send(error.presented ? error.toJSON() : undefined);
  }
}
