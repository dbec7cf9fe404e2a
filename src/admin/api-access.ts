// Who may call the admin API, and on which realms (RFC 6750 for the bearer token and its errors).
// Only tokens issued for the API pass: an access token of the master realm issued to the admin
// console's own client for a user holding `admin`, or a client_credentials token of a master-realm
// client whose `service_account_roles` grant it. An admin's token issued to any other application
// opens nothing here, so signing in to that application does not hand it the admin API.
import { adminRole } from '../clients/service-account-roles.js';
import type { Needs } from '../services.js';
import { bearerToken, InvalidToken } from '../http/bearer.js';
import { OAuthError } from '../http/errors.js';
import type { Client } from '../store/clients.js';
import { inspectAccessToken, type InspectDeps } from '../tokens/inspect.js';

/** What this module uses (services.ts `Needs`). */
export type AdminApiAccessDeps = Needs<never, 'clients' | 'realms'> & InspectDeps;

export const adminRealm = 'master';
/** The admin console's public client in the master realm, created at first start (bootstrap.ts). */
export const adminConsoleClientId = 'strix-admin-console';

/** What the caller may do, realm by realm, and who it is (for the audit log). */
export interface AdminAccess {
  read(realm: string): boolean;
  manage(realm: string): boolean;
  /** `client:{client_id}` for a service account, `user:{id}` for an administrator signed in to the console. */
  actor: string;
}

const everything = (actor: string): AdminAccess => ({ read: () => true, manage: () => true, actor });

function accessOf(roles: readonly string[], actor: string): AdminAccess {
  if (roles.includes(adminRole)) return everything(actor);
  const manages = (realm: string) => roles.includes(`realm-admin:${realm}`);
  return { manage: manages, read: (realm) => manages(realm) || roles.includes(`realm-viewer:${realm}`), actor };
}

/** RFC 6750 §3.1: a valid token that this API does not accept is an insufficient_scope (403), not an invalid one. */
const notForThisApi = () => new OAuthError('insufficient_scope', 'the access token was not issued for the admin API');

/**
 * The caller's access, from the Authorization header; throws InvalidToken (401: no token, or one that
 * is not active, or whose client is disabled) or insufficient_scope (403: a token of another client).
 */
export async function adminAccess(s: AdminApiAccessDeps, authorization: string | undefined): Promise<AdminAccess> {
  const bearer = bearerToken(authorization, 'an access token');
  const master = await s.store.realms.get(adminRealm);
  const token = master && await inspectAccessToken(s, master, bearer);
  if (!token || !token.active) throw new InvalidToken('the access token is invalid, expired or revoked');
  // RFC 9449 §7.1: a DPoP-bound token is good only with a proof of its key; this API takes bearer tokens alone.
  if (token.claims.cnf?.jkt) throw new InvalidToken('a DPoP-bound access token cannot be used as a bearer token');
  const client = await s.store.clients.get(adminRealm, token.clientId);
  if (!client?.enabled) throw new InvalidToken('the client the access token was issued to is disabled or gone');
  if (client.clientId === adminConsoleClientId && token.user) {
    // Roles are read from the user as stored now, not from the token: a role taken away counts at once.
    if (!token.user.roles.includes(adminRole)) throw new OAuthError('insufficient_scope', `the token's user does not hold the ${adminRealm} realm's ${adminRole} role`);
    return everything(`user:${token.user.id}`);
  }
  if (isServiceAccount(client) && token.grant === undefined) return accessOf(client.metadata.service_account_roles!, `client:${client.clientId}`);
  throw notForThisApi();
}

/** Read from the client as stored now, like a user's roles. */
function isServiceAccount(client: Client): boolean {
  return (client.metadata.service_account_roles?.length ?? 0) > 0 && client.metadata.grant_types.includes('client_credentials');
}
