// Resource indicators (RFC 8707): which resource servers a token is for. A client names them with
// `resource`; each must be one the realm describes and the client may ask for, and the access
// token's `aud` then lists them (RFC 9068 §3). Without one, tokens keep the client as audience.
import { OAuthError } from '../http/errors.js';
import { paramValues, type Params } from '../http/params.js';
import type { Client } from '../store/clients.js';
import type { Realm } from '../store/realms.js';

/** RFC 8707 §2: an absolute URI, without a fragment; spaces never belong in one (RFC 3986). */
export function isResourceUri(value: string): boolean {
  return URL.canParse(value) && !value.includes('#') && /^[\x21-\x7E]+$/.test(value);
}

/** The realm resources `client` may ask for: its `allowed_resources`, or all of them when it lists none. */
export function clientResources(realm: Realm, client: Client): string[] {
  const known = realm.settings.resources.map((r) => r.uri);
  const allowed = client.metadata.allowed_resources;
  return allowed === undefined ? known : known.filter((uri) => allowed.includes(uri));
}

/** The `resource` values of a request, each checked; throws invalid_target (RFC 8707 §2). */
export function requestedResources(realm: Realm, client: Client, params: Params): string[] {
  const requested = [...new Set(paramValues(params, 'resource'))];
  const allowed = clientResources(realm, client);
  for (const uri of requested) {
    if (!isResourceUri(uri)) throw new OAuthError('invalid_target', 'resource must be an absolute URI without a fragment');
    if (!allowed.includes(uri)) throw new OAuthError('invalid_target', `resource ${uri} is unknown or not allowed for this client`);
  }
  return requested;
}

/**
 * At the token endpoint, for a grant made with `granted` resources: what the client asks for must
 * be among them (RFC 8707 §2.2, RFC 9700 §4.14.2: no widening on refresh); without a request,
 * all of them.
 */
export function narrowedResources(realm: Realm, client: Client, params: Params, granted: string[]): string[] {
  const requested = requestedResources(realm, client, params);
  const extra = requested.filter((uri) => !granted.includes(uri));
  if (extra.length > 0) throw new OAuthError('invalid_target', `resource was not granted: ${extra.join(' ')}`);
  return requested.length > 0 ? requested : granted;
}
