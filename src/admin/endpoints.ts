// The admin REST API (api.ts): Keycloak's layout under /admin/realms/{realm}/…. `:realm` is resolved
// by http/realm.ts after the caller's rights to it are checked (api.ts), so an unknown realm is a 404
// only to a caller who may see it.
import { endpointTable } from '../http/endpoint.js';

const realm = '/admin/realms/:realm';
/** A realm's settings may carry its branding: a logo, a favicon and a stylesheet (src/realms/branding.ts). */
const realmBodyLimit = 1024 * 1024;

export const adminEndpoints = endpointTable({
  // The admin console (admin/console.ts): a static single-page app, an OIDC client of the master realm.
  admin_console: { path: '/admin/', methods: ['GET'], errors: 'page' },
  admin_console_bare: { path: '/admin', methods: ['GET'], errors: 'page' },
  admin_console_asset: { path: '/admin/assets/:file', methods: ['GET'], errors: 'page' },
  // Another realm's administrators (realm-admin, realm-viewer) use the same app at Keycloak's path, signed in to their realm.
  admin_realm_console: { path: '/admin/:realm/console/', methods: ['GET'], errors: 'page' },
  admin_realm_console_asset: { path: '/admin/:realm/console/assets/:file', methods: ['GET'], errors: 'page' },
  admin_openapi: { path: '/admin/openapi.json', methods: ['GET'], errors: 'json' },
  admin_realms: { path: '/admin/realms', methods: ['GET', 'POST'], errors: 'json', bodyLimit: realmBodyLimit },
  admin_realm: { path: realm, methods: ['GET', 'PUT', 'DELETE'], errors: 'json', bodyLimit: realmBodyLimit },
  admin_realm_events: { path: `${realm}/events`, methods: ['GET'], errors: 'json' },
  // Another system's export (Keycloak, Auth0) into a realm, which a Keycloak export may create.
  admin_import: { path: '/admin/import', methods: ['POST'], errors: 'json' },
  admin_clients: { path: `${realm}/clients`, methods: ['GET', 'POST'], errors: 'json' },
  admin_client: { path: `${realm}/clients/:client_id`, methods: ['GET', 'PUT', 'DELETE'], errors: 'json' },
  admin_initial_access_tokens: { path: `${realm}/clients-initial-access`, methods: ['GET', 'POST'], errors: 'json' },
  admin_initial_access_token: { path: `${realm}/clients-initial-access/:id`, methods: ['DELETE'], errors: 'json' },
  admin_client_secret: { path: `${realm}/clients/:client_id/secret`, methods: ['POST'], errors: 'json' },
  admin_users: { path: `${realm}/users`, methods: ['GET', 'POST'], errors: 'json' },
  admin_user: { path: `${realm}/users/:id`, methods: ['GET', 'PUT', 'DELETE'], errors: 'json' },
  admin_user_password: { path: `${realm}/users/:id/password`, methods: ['PUT'], errors: 'json' },
  // Keycloak's name: e-mails the user what an administrator asks them to do (required actions).
  admin_user_execute_actions_email: { path: `${realm}/users/:id/execute-actions-email`, methods: ['PUT', 'POST'], errors: 'json' },
  admin_user_roles: { path: `${realm}/users/:id/roles`, methods: ['GET', 'PUT'], errors: 'json' },
  admin_user_sessions: { path: `${realm}/users/:id/sessions`, methods: ['GET'], errors: 'json' },
  admin_user_logout: { path: `${realm}/users/:id/logout`, methods: ['POST'], errors: 'json' },
  admin_sessions: { path: `${realm}/sessions`, methods: ['GET'], errors: 'json' },
  admin_session: { path: `${realm}/sessions/:id`, methods: ['DELETE'], errors: 'json' },
  admin_keys: { path: `${realm}/keys`, methods: ['GET'], errors: 'json' },
  admin_keys_rotate: { path: `${realm}/keys/rotate`, methods: ['POST'], errors: 'json' },
  admin_user_consents: { path: `${realm}/users/:id/consents`, methods: ['GET'], errors: 'json' },
  admin_user_consent: { path: `${realm}/users/:id/consents/:client_id`, methods: ['DELETE'], errors: 'json' },
  admin_user_credentials: { path: `${realm}/users/:id/credentials`, methods: ['GET'], errors: 'json' },
  admin_user_credential: { path: `${realm}/users/:id/credentials/:credential_id`, methods: ['DELETE'], errors: 'json' },
  admin_user_groups: { path: `${realm}/users/:id/groups`, methods: ['GET'], errors: 'json' },
  admin_user_group: { path: `${realm}/users/:id/groups/:group_id`, methods: ['PUT', 'DELETE'], errors: 'json' },
  admin_groups: { path: `${realm}/groups`, methods: ['GET', 'POST'], errors: 'json' },
  admin_group: { path: `${realm}/groups/:id`, methods: ['GET', 'PUT', 'DELETE'], errors: 'json' },
  admin_group_children: { path: `${realm}/groups/:id/children`, methods: ['GET', 'POST'], errors: 'json' },
  admin_group_members: { path: `${realm}/groups/:id/members`, methods: ['GET'], errors: 'json' },
  admin_roles: { path: `${realm}/roles`, methods: ['GET', 'POST'], errors: 'json' },
  admin_role: { path: `${realm}/roles/:name`, methods: ['GET', 'PUT', 'DELETE'], errors: 'json' },
});
