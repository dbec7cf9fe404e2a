// Custom rules applied to the tokens about to be issued: the claim mappers in force for the client,
// then the realm's token hook. Precedence, lowest first: scope claims, mapper claims, hook claims;
// protected claims (mappers.ts) are never written by either.
import type { OAuthErrorCode } from '../http/errors.js';
import type { Client } from '../store/clients.js';
import type { Realm } from '../store/realms.js';
import type { User } from '../store/users.js';
import { effectiveMappers, mappedClaims, mergeClaims } from './mappers.js';
import { callTokenHook, type TokenHookDeps } from './token-hook.js';

/** What this module uses (services.ts `Needs`). */
export type CustomClaimsDeps = TokenHookDeps;

export interface CustomClaimsRequest {
  realm: Realm;
  client: Client;
  user: User | undefined;
  scope: string[];
  grantType: string;
  /** The ID token's claims from scopes and the claims request, when an ID token will be issued. */
  idToken: Record<string, unknown> | undefined;
}

export interface CustomClaims {
  accessToken: Record<string, unknown>;
  /** Audiences the access token gets besides the client_id. */
  audiences: string[];
  idToken: Record<string, unknown>;
}

/** `refusal` is the error a hook denial becomes at the calling endpoint. */
export async function customClaims(s: CustomClaimsDeps, r: CustomClaimsRequest, refusal: OAuthErrorCode): Promise<CustomClaims> {
  const mappers = effectiveMappers(r.realm, r.client);
  const access = mappedClaims(mappers, 'access_token', { user: r.user, scope: r.scope });
  const idToken = r.idToken && mergeClaims(r.idToken, mappedClaims(mappers, 'id_token', { user: r.user, scope: r.scope }).claims);
  const hook = await callTokenHook(s, {
    realm: r.realm, client: r.client, grantType: r.grantType, user: r.user, scope: r.scope,
    claims: { access_token: access.claims, ...(idToken ? { id_token: idToken } : {}) },
  }, refusal);
  return {
    accessToken: mergeClaims(access.claims, hook.access_token),
    audiences: access.audiences,
    idToken: mergeClaims(idToken ?? {}, hook.id_token),
  };
}

/** Userinfo gets mapper claims only: the hook is consulted when tokens are issued, not when they are used. */
export function userinfoClaims(realm: Realm, client: Client | undefined, user: User, scope: string[], base: Record<string, unknown>): Record<string, unknown> {
  if (!client) return base;
  return mergeClaims(base, mappedClaims(effectiveMappers(realm, client), 'userinfo', { user, scope }).claims);
}
