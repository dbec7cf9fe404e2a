// Claims released per scope (OIDC Core §5.4) from a user's attributes (§5.1 standard claims).
import { seconds } from '../runtime.js';
import type { User } from '../store/users.js';

/** One member of the `claims` request parameter (OIDC Core §5.5.1). */
export interface ClaimRequest { essential?: boolean; value?: unknown; values?: unknown[] }
/** The `claims` request parameter: individual claims wanted in userinfo and / or the ID token. */
export interface ClaimsRequest { userinfo?: Record<string, ClaimRequest | null>; id_token?: Record<string, ClaimRequest | null> }

export const scopeClaims: Record<string, string[]> = {
  profile: ['name', 'family_name', 'given_name', 'middle_name', 'nickname', 'preferred_username', 'profile',
    'picture', 'website', 'gender', 'birthdate', 'zoneinfo', 'locale', 'updated_at'],
  email: ['email', 'email_verified'],
  address: ['address'],
  phone: ['phone_number', 'phone_number_verified'],
  roles: ['roles'],
};

/** Attributes a user record may carry (besides username and email, which have their own columns). */
export const userAttributeClaims = [
  ...scopeClaims.profile!.filter((c) => c !== 'preferred_username' && c !== 'updated_at'),
  'email_verified', 'address', 'phone_number', 'phone_number_verified',
];

export const claimsSupported = ['sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'nonce', 'acr', 'amr', 'azp', 'sid',
  ...Object.values(scopeClaims).flat()];

function userClaimValue(user: User, claim: string): unknown {
  switch (claim) {
    case 'preferred_username': return user.username;
    case 'email': return user.email ?? undefined;
    case 'updated_at': return seconds(user.updatedAt);
    case 'roles': return user.roles;
    default: return user.claims[claim];
  }
}

/** `sub` plus every claim the granted scopes release that the user has a value for. */
export function claimsForScopes(user: User, scopes: Iterable<string>): Record<string, unknown> {
  const out: Record<string, unknown> = { sub: user.id };
  for (const scope of scopes) {
    for (const claim of scopeClaims[scope] ?? []) {
      const value = userClaimValue(user, claim);
      if (value !== undefined && value !== null) out[claim] = value;
    }
  }
  return out;
}

const userClaimNames = new Set(Object.values(scopeClaims).flat());

/** The named claims (from a `claims` request, OIDC Core §5.5) that the user has values for. */
export function claimsNamed(user: User, names: Iterable<string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of names) {
    if (!userClaimNames.has(name)) continue;
    const value = userClaimValue(user, name);
    if (value !== undefined && value !== null) out[name] = value;
  }
  return out;
}

/** Names requested for one target ("userinfo" or "id_token") in a grant's stored `claims` request. */
export function requestedClaimNames(claims: Record<string, unknown> | null, target: 'userinfo' | 'id_token'): string[] {
  const members = claims?.[target];
  return typeof members === 'object' && members !== null ? Object.keys(members) : [];
}
