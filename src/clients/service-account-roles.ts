// The admin API rights a master-realm client holds as a service account (`service_account_roles`);
// src/admin/api-access.ts decides what each one opens.

export const adminRole = 'admin';

/** `admin` (every realm), `realm-admin:{realm}` (manage and read one realm) or `realm-viewer:{realm}` (read one realm). */
export type ServiceAccountRole = 'admin' | `realm-admin:${string}` | `realm-viewer:${string}`;

export function isServiceAccountRole(value: string): value is ServiceAccountRole {
  return value === adminRole || /^realm-(admin|viewer):[A-Za-z0-9_-]{1,64}$/.test(value);
}
