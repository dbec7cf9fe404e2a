// The stored shapes of a realm's and a client's custom rules: claim mappers and the token hook.
// Their behaviour lives in src/tokens/mappers.ts and src/tokens/token-hook.ts.

export const mapperTargets = ['id_token', 'access_token', 'userinfo'] as const;
export type MapperTarget = typeof mapperTargets[number];

interface MapperBase {
  /** Where the claim goes; all three when absent. */
  tokens?: MapperTarget[];
  /** Applied only when this scope was granted. */
  scope?: string;
}
export interface UserAttributeMapper extends MapperBase { type: 'user_attribute'; attribute: string; claim: string }
export interface FixedMapper extends MapperBase { type: 'fixed'; claim: string; value: unknown }
export interface RolesMapper extends MapperBase { type: 'roles'; claim: string }
/** The user's groups: full paths (`/engineering/backend`, Keycloak's default `full.path`) unless `full_path` is false (names). */
export interface GroupsMapper extends MapperBase { type: 'groups'; claim: string; full_path?: boolean }
/** Appends to the access token's `aud` (which always keeps the client_id). */
export interface AudienceMapper { type: 'audience'; audience: string; scope?: string }
export type ClaimMapper = UserAttributeMapper | FixedMapper | RolesMapper | GroupsMapper | AudienceMapper;

export const tokenHookFailurePolicies = ['deny', 'continue'] as const;

/** As stored in the realm's settings: the secret sealed with the master key. */
export interface TokenHookSettings {
  url: string;
  secret_sealed: string;
  timeout_ms: number;
  /** deny (the default) fails closed: no tokens unless the hook answered. */
  on_failure: typeof tokenHookFailurePolicies[number];
}
