// The admin REST API (api.ts): Keycloak's layout under /admin/realms/{realm}/…, realm resolved by the route itself.
import { endpointTable } from '../http/endpoint.js';

export const adminEndpoints = endpointTable({
  admin_realm_events: { path: '/admin/realms/:name/events', methods: ['GET'], errors: 'json' },
});
