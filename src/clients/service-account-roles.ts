// The admin API rights a client holds as a service account (`service_account_roles`) and that a
// realm's own administrators hold as realm roles; src/admin/api-access.ts decides what each one opens.
import { ValidationError } from '../validation.js';

/** The realm whose administrators and service accounts may manage every realm. */
export const adminRealm = 'master';
export const adminRole = 'admin';
/** Realm roles (and, outside the master realm, service account roles) that open the admin API for their own realm only. */
export const realmAdminRole = 'realm-admin';
export const realmViewerRole = 'realm-viewer';

/**
 * In the master realm: `admin` (every realm), `realm-admin:{realm}` (manage and read one realm) or
 * `realm-viewer:{realm}` (read one realm). In any other realm: `realm-admin` or `realm-viewer`, which
 * open that realm alone.
 */
export type ServiceAccountRole = 'admin' | typeof realmAdminRole | typeof realmViewerRole | `realm-admin:${string}` | `realm-viewer:${string}`;

export function isServiceAccountRole(value: string): value is ServiceAccountRole {
  return value === adminRole || /^realm-(admin|viewer)(:[A-Za-z0-9_-]{1,64})?$/.test(value);
}

/** Refuses a role that its client's realm may not give: a realm's clients never reach beyond that realm. */
export function assertServiceAccountRoles(realm: string, roles: readonly string[], where: string): void {
  const allowed = realm === adminRealm
    ? (role: string) => role === adminRole || role.includes(':')
    : (role: string) => role === realmAdminRole || role === realmViewerRole;
  const wrong = roles.find((role) => !allowed(role));
  if (wrong === undefined) return;
  throw new ValidationError(where, realm === adminRealm
    ? `"${wrong}" is not one of admin, realm-admin:{realm}, realm-viewer:{realm}`
    : `"${wrong}" is not one of ${realmAdminRole}, ${realmViewerRole}: a client of the realm ${realm} may hold admin API rights to that realm only`);
}
