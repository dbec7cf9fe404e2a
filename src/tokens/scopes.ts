// Scope parsing and the rule that a client is only ever granted scopes its `scope` lists (RFC 6749 §3.3).
import { OAuthError } from '../http/errors.js';
import type { Client } from '../store/clients.js';
import type { Realm } from '../store/realms.js';

export const builtInScopes = ['openid', 'profile', 'email', 'address', 'phone', 'offline_access', 'roles'] as const;
/** Scopes that only mean something when a user is involved. */
export const userScopes = new Set<string>(builtInScopes);

const scopeToken = /^[\x21\x23-\x5B\x5D-\x7E]+$/;   // RFC 6749 §3.3 scope-token

export function parseScope(scope: string | undefined): string[] {
  if (scope === undefined) return [];
  const values = scope.split(' ').filter(Boolean);
  for (const value of values) {
    if (!scopeToken.test(value)) throw new OAuthError('invalid_scope', 'scope contains characters RFC 6749 does not allow');
  }
  return [...new Set(values)];
}

export function clientScopes(client: Client): Set<string> {
  return new Set(client.metadata.scope.split(' ').filter(Boolean));
}

/** An OpenID Connect request's scopes plus the realm's `default_scopes` that the client may have (Keycloak's default client scopes). */
export function withDefaultScopes(realm: Realm, client: Client, requested: string[]): string[] {
  if (!requested.includes('openid') || realm.settings.default_scopes.length === 0) return requested;
  const allowed = clientScopes(client);
  return [...new Set([...requested, ...realm.settings.default_scopes.filter((scope) => allowed.has(scope))])];
}

/** The requested scopes, all of which the client must be allowed; throws invalid_scope otherwise. */
export function grantableScope(client: Client, requested: string[]): string[] {
  const allowed = clientScopes(client);
  const refused = requested.filter((s) => !allowed.has(s));
  if (refused.length > 0) throw new OAuthError('invalid_scope', `scope not allowed for this client: ${refused.join(' ')}`);
  return requested;
}
