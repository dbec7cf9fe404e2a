// A client's web origins (Keycloak's `webOrigins` with its `+` rule): the origins of its redirect
// URIs plus its `allowed_origins`. CORS, the session iframe's frame-ancestors and Keycloak's
// `allowed-origins` claim all read them here.
import type { Client } from '../store/clients.js';

export function clientOrigins(client: Client): Set<string> {
  const origins = new Set(client.metadata.allowed_origins ?? []);
  for (const uri of client.metadata.redirect_uris) {
    try {
      const { origin } = new URL(uri);
      if (origin !== 'null') origins.add(origin);
    } catch { /* validated at registration */ }
  }
  return origins;
}

/**
 * An origin that can stand as a CSP source expression as it is: scheme, host name or address, port.
 * A URL's origin may hold characters (`;`, `,`) that would end or split a directive.
 */
export function isPlainOrigin(origin: string): boolean {
  return /^https?:\/\/([A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*|\[[0-9A-Fa-f:.]+\])(:\d{1,5})?$/.test(origin);
}
