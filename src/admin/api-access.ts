// Who may call the admin API, and on which realms (RFC 6750 for the bearer token and its errors).
// Only tokens issued for the API pass:
// - of the master realm: a token issued to the admin console's own client for a user holding
//   `admin`, or a client_credentials token of a client whose `service_account_roles` grant it
//   (`admin`, `realm-admin:{realm}`, `realm-viewer:{realm}`);
// - of any other realm, for that realm alone: a token issued to that realm's admin console client for
//   a user holding the realm role `realm-admin` (manage) or `realm-viewer` (read), or a
//   client_credentials token of a client of that realm whose `service_account_roles` say the same.
// An administrator's token issued to any other application opens nothing here, so signing in to that
// application does not hand it the admin API. Rights are read from the user and the client as stored
// now, not from the token: a role taken away counts at once.
import { decodeJwt } from 'jose';
import { adminRealm, adminRole, realmAdminRole, realmViewerRole } from '../clients/service-account-roles.js';
import { issuerOf, type Needs } from '../services.js';
import { bearerToken, InvalidToken } from '../http/bearer.js';
import { OAuthError } from '../http/errors.js';
import type { Client } from '../store/clients.js';
import type { Realm } from '../store/realms.js';
import { inspectAccessToken, type InspectDeps } from '../tokens/inspect.js';

export { adminRealm } from '../clients/service-account-roles.js';

/** What this module uses (services.ts `Needs`). */
export type AdminApiAccessDeps = Needs<'config', 'clients' | 'realms'> & InspectDeps;

/** The admin console's public client: in the master realm created at first start (bootstrap.ts), in another realm when its console is first opened (console.ts). */
export const adminConsoleClientId = 'strix-admin-console';

/** What the caller may do, realm by realm, and who it is (for the audit log). */
export interface AdminAccess {
  read(realm: string): boolean;
  manage(realm: string): boolean;
  /** `client:{client_id}` for a service account, `user:{id}` for an administrator signed in to a console (another realm's: prefixed `{realm}/`). */
  actor: string;
}

const everything = (actor: string): AdminAccess => ({ read: () => true, manage: () => true, actor });

/** What the roles of a master-realm caller open: `admin`, or `realm-admin:{realm}` / `realm-viewer:{realm}` per realm. */
function masterAccess(roles: readonly string[], actor: string): AdminAccess {
  if (roles.includes(adminRole)) return everything(actor);
  const manages = (realm: string) => roles.includes(`realm-admin:${realm}`);
  return { manage: manages, read: (realm) => manages(realm) || roles.includes(`realm-viewer:${realm}`), actor };
}

/** What the roles of another realm's caller open: that realm, to manage (`realm-admin`) or to read (`realm-viewer`). */
function ownRealmAccess(realm: string, roles: readonly string[], actor: string): AdminAccess {
  const manages = roles.includes(realmAdminRole);
  const reads = manages || roles.includes(realmViewerRole);
  return { manage: (name) => manages && name === realm, read: (name) => reads && name === realm, actor };
}

/** RFC 6750 §3.1: a valid token that this API does not accept is an insufficient_scope (403), not an invalid one. */
const notForThisApi = () => new OAuthError('insufficient_scope', 'the access token was not issued for the admin API');
const invalid = () => new InvalidToken('the access token is invalid, expired or revoked');

/**
 * The realm whose issuer the token names, read before the signature is checked only to know whose
 * keys check it: the realm's verification (iss included) decides, so naming another realm gains nothing.
 */
async function issuingRealm(s: AdminApiAccessDeps, token: string): Promise<Realm | undefined> {
  let iss: unknown;
  try { iss = decodeJwt(token).iss; } catch { return undefined; }
  const prefix = issuerOf(s.config, '');
  if (typeof iss !== 'string' || !iss.startsWith(prefix)) return undefined;
  let name: string;
  try { name = decodeURIComponent(iss.slice(prefix.length)); } catch { return undefined; }
  return name === '' || iss !== issuerOf(s.config, name) ? undefined : s.store.realms.get(name);
}

/**
 * The caller's access, from the Authorization header; throws InvalidToken (401: no token, or one that
 * is not active, or whose client is disabled) or insufficient_scope (403: a token of another client,
 * or of a user or service account without admin rights).
 */
export async function adminAccess(s: AdminApiAccessDeps, authorization: string | undefined): Promise<AdminAccess> {
  const bearer = bearerToken(authorization, 'an access token');
  const realm = await issuingRealm(s, bearer);
  const token = realm && await inspectAccessToken(s, realm, bearer);
  if (!realm || !token || !token.active) throw invalid();
  // RFC 9449 §7.1: a DPoP-bound token is good only with a proof of its key; this API takes bearer tokens alone.
  if (token.claims.cnf?.jkt) throw new InvalidToken('a DPoP-bound access token cannot be used as a bearer token');
  const client = await s.store.clients.get(realm.name, token.clientId);
  // A disabled client's tokens are already inactive (tokens/inspect.ts); only a client deleted meanwhile is left.
  if (!client) throw new InvalidToken('the client the access token was issued to is gone');
  const master = realm.name === adminRealm;
  if (client.clientId === adminConsoleClientId && token.user) {
    const { roles, id } = token.user;
    if (master) {
      if (!roles.includes(adminRole)) throw new OAuthError('insufficient_scope', `the token's user does not hold the ${adminRealm} realm's ${adminRole} role`);
      return everything(`user:${id}`);
    }
    if (!roles.includes(realmAdminRole) && !roles.includes(realmViewerRole)) {
      throw new OAuthError('insufficient_scope', `the token's user holds neither ${realmAdminRole} nor ${realmViewerRole} in the realm ${realm.name}`);
    }
    return ownRealmAccess(realm.name, roles, `user:${realm.name}/${id}`);
  }
  if (isServiceAccount(client) && token.grant === undefined) {
    const roles = client.metadata.service_account_roles!;
    return master ? masterAccess(roles, `client:${client.clientId}`) : ownRealmAccess(realm.name, roles, `client:${realm.name}/${client.clientId}`);
  }
  throw notForThisApi();
}

/** Read from the client as stored now, like a user's roles. */
function isServiceAccount(client: Client): boolean {
  return (client.metadata.service_account_roles?.length ?? 0) > 0 && client.metadata.grant_types.includes('client_credentials');
}
