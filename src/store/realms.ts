// Realms and their settings (lifetimes in seconds, signing algorithms, described scopes).
import { sql, type Kysely } from 'kysely';
import { localChanges, type Changes } from './changes.js';
import type { Database } from './schema.js';
import type { ClaimMapper, TokenHookSettings } from './custom-rules.js';

export type SigningAlg = 'RS256' | 'ES256' | 'EdDSA';
export const signingAlgs: SigningAlg[] = ['RS256', 'ES256', 'EdDSA'];

export interface ScopeDescription { name: string; description: string }

/** A resource server tokens may be issued for (RFC 8707): `uri` is what clients send as `resource` and what `aud` then holds. */
export interface ResourceDescription { uri: string }

/** Sign-in brute-force protection (docs/security.md); times in seconds. */
export interface BruteForceSettings {
  enabled: boolean;
  failure_factor: number;            // consecutive failures per username before a temporary lockout
  wait_increment: number;            // lockout n lasts n × wait_increment …
  max_wait: number;                  // … capped at max_wait
  failure_reset_time: number;        // the count starts again after this long without a failure
  permanent_lockout: boolean;
  max_temporary_lockouts: number;    // with permanent_lockout: lockouts allowed before the account is disabled
  ip_failure_limit: number;          // failures from one address, across usernames, within …
  ip_failure_window: number;         // … this window before the address is refused until the window ends
  realm_failure_limit: number;       // failures across the realm, from any addresses, within …
  realm_failure_window: number;      // … this window: until it ends, addresses that failed recently are refused unhashed
}

/** At most `max` requests per `window_seconds` (a fixed window that starts with the first request). */
export interface RateLimit { max: number; window_seconds: number }

/**
 * Request rate limits per realm (docs/security.md "Rate limits"): `_per_ip` counts every request from
 * an address, `_per_client` only requests that authenticated as that client.
 */
export interface RateLimitSettings {
  enabled: boolean;
  login_per_ip: RateLimit;
  authorization_per_ip: RateLimit;
  token_per_ip: RateLimit;
  token_per_client: RateLimit;
  introspection_per_ip: RateLimit;
  introspection_per_client: RateLimit;
  revocation_per_ip: RateLimit;
  revocation_per_client: RateLimit;
  registration_per_ip: RateLimit;
  device_authorization_per_ip: RateLimit;
  device_authorization_per_client: RateLimit;
  /** Code entries on the device verification page (RFC 8628 §5.1: limits user_code guessing). */
  device_verification_per_ip: RateLimit;
  par_per_ip: RateLimit;
  par_per_client: RateLimit;
  /** Failed client authentications from one address naming one client, at any back-channel endpoint. */
  failed_client_authentication_per_ip_and_client: RateLimit;
  /** Forgotten-password requests (src/ui/password-reset.ts). */
  password_reset_per_ip: RateLimit;
  /** Sign-ups on the sign-in page and verification codes tried (src/ui/registration.ts, src/ui/email-verification.ts). */
  user_registration_per_ip: RateLimit;
  /** Messages queued for one e-mail address, whatever caused them (src/mail/outbox.ts); more are not sent. */
  email_per_address: RateLimit;
  /** Sign-in codes asked for and tried on the sign-in page (src/ui/email-sign-in.ts). */
  email_sign_in_per_ip: RateLimit;
}

/** The audit event log of a realm (src/security/audit.ts, docs/security.md "Audit events"). */
export interface EventSettings {
  enabled: boolean;
  /** Events older than this many days are purged. */
  retention_days: number;
  /** Event types to record; empty: all of them. */
  types: string[];
}

/** A webhook that receives the realm's events, its secret sealed with the master key. */
export interface EventWebhook { url: string; types?: string[]; secret_sealed: string }

export const defaultEventSettings: EventSettings = { enabled: true, retention_days: 30, types: [] };
/**
 * When a second factor is required (src/identity/mfa.ts): never by policy, always, or for users
 * holding one of the roles. A client's own policy can only add to its realm's.
 */
export type MfaPolicy = 'optional' | 'required' | { required_for_roles: string[] };

/** The claims tokens carry: Strix's own, or Keycloak's on top of them (src/tokens/keycloak-claims.ts). */
export const tokenClaimsShapes = ['strix', 'keycloak'] as const;
export type TokenClaimsShape = (typeof tokenClaimsShapes)[number];

export interface RealmSettings {
  access_token_lifetime: number;
  id_token_lifetime: number;
  authorization_code_lifetime: number;
  refresh_token_idle_lifetime: number;
  refresh_token_absolute_lifetime: number;
  offline_token_idle_lifetime: number;
  offline_token_absolute_lifetime: number;
  sso_session_idle_lifetime: number;
  sso_session_max_lifetime: number;
  access_token_signing_alg: SigningAlg;
  id_token_signing_alg: SigningAlg;
  pkce_plain_allowed: boolean;
  scopes: ScopeDescription[];
  resources: ResourceDescription[];
  default_locale: string;
  brute_force: BruteForceSettings;
  rate_limits: RateLimitSettings;
  /** Addresses and CIDR blocks (IPv4, IPv6); deny wins, an empty allow list allows all (src/security/ip-rules.ts). */
  ip_allow: string[];
  ip_deny: string[];
  password_policy: PasswordPolicy;
  /** RFC 8628: how long a device code and its user code live, and the polling interval, in seconds. */
  device_code_lifetime: number;
  device_code_interval: number;
  /** RFC 9449: public clients (token_endpoint_auth_method none) must send a DPoP proof with every token request. */
  dpop_required_for_public_clients: boolean;
  /** RFC 9449 §8, §9: DPoP proofs must carry a nonce this server issued (DPoP-Nonce), at the token endpoint and userinfo. */
  dpop_nonce_required: boolean;
  /** RFC 9126 §5: every client must push its authorization requests (PAR). */
  require_pushed_authorization_requests: boolean;
  /** Custom rules (src/tokens/mappers.ts, src/tokens/token-hook.ts, docs/security.md). */
  claim_mappers: ClaimMapper[];
  token_hook: TokenHookSettings | null;
  events: EventSettings;
  event_webhooks: EventWebhook[];
  mfa: MfaPolicy;
  /** Seconds since the sign-in within which the account pages let a user register or remove a second factor (re-authentication otherwise). */
  reauthentication_max_age: number;
  /** The realm's own SMTP server and sender (docs/email.md); null: the server's STRIX_SMTP_URL and STRIX_SMTP_FROM. */
  smtp: RealmSmtp | null;
  /** Seconds a password reset link stays valid. */
  password_reset_lifetime: number;
  /** Seconds an e-mail verification link (and its code) stays valid. */
  email_verification_lifetime: number;
  /** Password sign-in is refused (and a verification sent) until the account's address is verified. */
  sign_in_requires_verified_email: boolean;
  /** Anyone may create an account on the sign-in page (needs mail: the address is verified). */
  user_registration: boolean;
  /** Accounts created on the sign-in page are named by their e-mail address (no username field). */
  email_as_username: boolean;
  /** Standard claims the sign-up form asks for and requires (given_name, family_name, …). */
  registration_fields: string[];
  /** Standard claims users may change themselves on the account console's Personal info page (src/identity/profile.ts). */
  user_editable_claims: string[];
  /** Where the terms a new account must accept are (https); null: the sign-up form asks for none. */
  terms_url: string | null;
  /** Sign-in by a one-time code sent to the account's verified address, and optionally a link (docs/email.md). */
  email_sign_in: EmailSignIn;
  /** Seconds a sign-in code (and its link) works. */
  email_sign_in_lifetime: number;
  /** Upstream OpenID Connect providers users may sign in with (src/identity/brokering.ts, docs/identity-providers.md). */
  identity_providers: IdentityProvider[];
  /** "keycloak": access and ID tokens also carry Keycloak's claims (realm_access, resource_access, typ, azp, …). */
  token_claims: TokenClaimsShape;
  /**
   * Added to every OpenID Connect authorization request (one with `openid`) for the clients whose `scope`
   * allows them, like Keycloak's default client scopes: keycloak-js asks for `openid` alone.
   */
  default_scopes: string[];
  /** The look and wording of the realm's pages and e-mails (src/realms/branding.ts, docs/branding.md). */
  branding: RealmBranding;
}

/** Data only: every value is checked where it is set, and pages read it as text, colours and image addresses. */
export interface RealmBranding {
  /** An https URL or a data: URL of an image; null: the realm's initial in a coloured square. */
  logo_url: string | null;
  favicon_url: string | null;
  /** `#rgb` or `#rrggbb`; null: Strix's own. */
  colors: { primary: string | null; background: string | null };
  /** CSS served after Strix's own stylesheet, as a resource of the realm. */
  stylesheet: string | null;
  secured_by_strix: boolean;
  /** Per locale, message key to text, over the built-in catalogues. */
  messages: Record<string, Record<string, string>>;
}

export const defaultBranding: RealmBranding = {
  logo_url: null, favicon_url: null, colors: { primary: null, background: null }, stylesheet: null, secured_by_strix: true, messages: {},
};

/** How an upstream account that is new to Strix meets an existing user with its (verified) address. */
export const identityProviderLinkModes = ['verified_email', 'manual', 'never'] as const;
export const identityProviderSyncModes = ['on_first_login', 'on_every_login'] as const;

/** Presets fill in a known provider's issuer (OpenID Connect) or endpoints (OAuth 2.0) and scopes. */
export const identityProviderPresets = ['github', 'google', 'gitlab', 'entra', 'apple'] as const;

/**
 * An upstream provider: `oidc`, from discovery at `issuer` with the code flow, PKCE, state and nonce;
 * or `oauth2` (a provider that is not OpenID Connect, like GitHub), its endpoints given and the user
 * read from its API.
 */
export interface IdentityProvider {
  alias: string;
  display_name: string;
  type: 'oidc' | 'oauth2';
  preset?: typeof identityProviderPresets[number];
  /** oidc: the issuer, whose discovery document names the endpoints. oauth2: empty. */
  issuer: string;
  /** entra: the tenant ID, or `common`, `organizations`, `consumers` for a multi-tenant app (whose ID tokens' `iss` names each user's tenant). */
  tenant?: string;
  /** entra, multi-tenant: only users of these tenants (IDs) sign in; empty or absent lets any tenant's users in. */
  allowed_tenants?: string[];
  /** apple: the client secret is a JWT Strix signs (ES256) with this key of this team, read from the server's environment when used. */
  apple?: { team_id: string; key_id: string; private_key: { env: string } };
  /** oauth2: where the browser signs in, where the code is exchanged, the user's profile, and (GitHub) the user's addresses with whether each is verified. */
  authorization_endpoint?: string;
  token_endpoint?: string;
  user_endpoint?: string;
  emails_endpoint?: string;
  client_id: string;
  /** Read from the server's environment when used: realm settings are stored and exported. */
  client_secret?: { env: string };
  /** private_key_jwt: Strix signs a client assertion (RFC 7523) with the realm's current key of `token_endpoint_auth_signing_alg`; the provider reads the realm's JWKS. */
  token_endpoint_auth_method: 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';
  token_endpoint_auth_signing_alg?: SigningAlg;
  scopes: string;
  link: typeof identityProviderLinkModes[number];
  sync: typeof identityProviderSyncModes[number];
  /** The provider's verified addresses are verified here too, and may link to an existing user without proof. */
  trust_email: boolean;
  hide_on_login_page: boolean;
  /** A sign-in whose ID token says `mfa` in its amr (RFC 8176) counts as two factors here: the realm's MFA policy is met. */
  accept_mfa: boolean;
  /** How the provider's claims become the user's attributes and roles, at the first sign-in and at each sync. */
  claim_mappers: ProviderClaimMapper[];
  /** oidc: signing out of Strix (RP-Initiated Logout) also signs out at the provider, through its end_session_endpoint. */
  upstream_logout: boolean;
  /** The provider's tokens are kept (sealed) on the user's link, for Keycloak's broker token endpoint; not kept otherwise. */
  store_tokens: boolean;
  /** Keycloak's "review profile" of a first sign-in: the new user confirms its names when the realm requires ones the provider did not give (missing), always, or never (off). */
  review_profile: 'missing' | 'always' | 'off';
}

export type ProviderClaimMapper =
  | { type: 'claim_to_attribute'; claim: string; attribute: string }
  | { type: 'claim_to_role'; claim: string; value: string; role: string }
  | { type: 'claim_to_group'; claim: string; value: string; group: string }
  | { type: 'fixed_role'; role: string };

export const emailSignInModes = ['off', 'code', 'code_and_link'] as const;
export type EmailSignIn = typeof emailSignInModes[number];

/**
 * A realm's SMTP server: a URL without a password (it is stored and exported with the realm) and the
 * password read from the server's environment when a message is sent.
 */
export interface RealmSmtp { url: string; from?: string; password?: { env: string } }

/** Rules for new passwords and how they are hashed (src/security/password-policy.ts, docs/security.md). */
export interface PasswordPolicy {
  min_length: number;
  max_length: number;
  not_username: boolean;
  not_email: boolean;
  /** Refuse the ~49,000 most common passwords (shipped with Strix, checked offline). */
  not_common: boolean;
  /** How many previous passwords a new one may not repeat (0: no history kept). */
  history: number;
  /** argon2id cost; hashes made with other parameters are upgraded at the next sign-in. */
  hashing: { memory_cost: number; time_cost: number; parallelism: number };
}

export const defaultPasswordPolicy: PasswordPolicy = {
  min_length: 8,
  max_length: 128,
  not_username: true,
  not_email: true,
  not_common: true,
  history: 3,
  hashing: { memory_cost: 19_456, time_cost: 2, parallelism: 1 },
};

export const defaultBruteForceSettings: BruteForceSettings = {
  enabled: true,
  failure_factor: 5,
  wait_increment: 60,
  max_wait: 900,
  failure_reset_time: 43_200,
  permanent_lockout: false,
  max_temporary_lockouts: 0,
  ip_failure_limit: 20,
  ip_failure_window: 900,
  realm_failure_limit: 100,
  realm_failure_window: 60,
};

const perMinute = (max: number): RateLimit => ({ max, window_seconds: 60 });

export const defaultRateLimitSettings: RateLimitSettings = {
  enabled: true,
  login_per_ip: perMinute(60),
  authorization_per_ip: perMinute(300),
  // 100 a second: Auth0's Authentication API allows an Enterprise tenant that much in all.
  token_per_ip: perMinute(6000),
  token_per_client: perMinute(6000),
  introspection_per_ip: perMinute(1200),
  introspection_per_client: perMinute(1200),
  revocation_per_ip: perMinute(600),
  revocation_per_client: perMinute(600),
  registration_per_ip: perMinute(100),
  device_authorization_per_ip: perMinute(60),
  device_authorization_per_client: perMinute(60),
  device_verification_per_ip: perMinute(10),
  par_per_ip: perMinute(600),
  par_per_client: perMinute(600),
  failed_client_authentication_per_ip_and_client: perMinute(20),
  password_reset_per_ip: perMinute(10),
  user_registration_per_ip: perMinute(10),
  email_per_address: { max: 5, window_seconds: 3600 },
  email_sign_in_per_ip: perMinute(10),
};

export const defaultRealmSettings: RealmSettings = {
  access_token_lifetime: 300,
  id_token_lifetime: 300,
  authorization_code_lifetime: 60,
  refresh_token_idle_lifetime: 1800,
  refresh_token_absolute_lifetime: 36_000,
  offline_token_idle_lifetime: 30 * 86_400,
  offline_token_absolute_lifetime: 365 * 86_400,
  sso_session_idle_lifetime: 1800,
  sso_session_max_lifetime: 36_000,
  access_token_signing_alg: 'RS256',
  id_token_signing_alg: 'RS256',
  pkce_plain_allowed: false,
  scopes: [],
  resources: [],
  default_locale: 'en',
  brute_force: defaultBruteForceSettings,
  rate_limits: defaultRateLimitSettings,
  ip_allow: [],
  ip_deny: [],
  password_policy: defaultPasswordPolicy,
  device_code_lifetime: 600,
  device_code_interval: 5,
  dpop_required_for_public_clients: false,
  dpop_nonce_required: false,
  require_pushed_authorization_requests: false,
  claim_mappers: [],
  token_hook: null,
  events: defaultEventSettings,
  event_webhooks: [],
  mfa: 'optional',
  reauthentication_max_age: 300,
  smtp: null,
  password_reset_lifetime: 900,
  email_verification_lifetime: 86_400,
  sign_in_requires_verified_email: false,
  user_registration: false,
  email_as_username: false,
  registration_fields: [],
  user_editable_claims: ['name', 'given_name', 'family_name', 'nickname', 'locale', 'zoneinfo'],
  terms_url: null,
  email_sign_in: 'off',
  email_sign_in_lifetime: 600,
  identity_providers: [],
  token_claims: 'strix',
  default_scopes: [],
  branding: defaultBranding,
};

export interface Realm { name: string; displayName: string; settings: RealmSettings }

/** Tables whose rows belong to a realm without a foreign key to it (clients, users and roles have one, with cascade). */
const realmScopedTables = [
  'sessions', 'interactions', 'grants', 'authorization_codes', 'signing_keys', 'consents', 'login_failures', 'registration_policies',
  'initial_access_tokens', 'client_registrations', 'device_codes', 'pairwise_salts', 'pushed_requests', 'mail_outbox', 'email_actions',
  'role_composites', 'user_search',
] as const;

export function realmsRepository(db: Kysely<Database>, changes: Changes = localChanges()) {
  const toRealm = (row: Database['realms']): Realm => {
    const stored = JSON.parse(row.settings) as Partial<RealmSettings>;
    // Nested settings merge too, so realms stored before a setting existed get its default.
    const bruteForce = { ...defaultBruteForceSettings, ...stored.brute_force };
    const rateLimits = { ...defaultRateLimitSettings, ...stored.rate_limits };
    const passwordPolicy = {
      ...defaultPasswordPolicy, ...stored.password_policy,
      hashing: { ...defaultPasswordPolicy.hashing, ...stored.password_policy?.hashing },
    };
    const events = { ...defaultEventSettings, ...stored.events };
    const branding = { ...defaultBranding, ...stored.branding, colors: { ...defaultBranding.colors, ...stored.branding?.colors } };
    return {
      name: row.name, displayName: row.display_name,
      settings: { ...defaultRealmSettings, ...stored, brute_force: bruteForce, rate_limits: rateLimits, password_policy: passwordPolicy, events, branding },
    };
  };
  return {
    async get(name: string): Promise<Realm | undefined> {
      const row = await db.selectFrom('realms').selectAll().where('name', '=', name).executeTakeFirst();
      return row && toRealm(row);
    },
    async list(): Promise<Realm[]> {
      return (await db.selectFrom('realms').selectAll().orderBy('name').execute()).map(toRealm);
    },
    async count(): Promise<number> {
      const row = await db.selectFrom('realms').select((eb) => eb.fn.countAll<number | string | bigint>().as('n')).executeTakeFirstOrThrow();
      return Number(row.n);
    },
    /** A page of realms by name (the primary key's order). */
    async page(first: number, max: number): Promise<Realm[]> {
      return (await db.selectFrom('realms').selectAll().orderBy('name').limit(max).offset(first).execute()).map(toRealm);
    },
    /**
     * Deletes the realm and everything in it (clients, users, roles by cascade; sessions, grants,
     * tokens, keys and the rest here), in one transaction; its audit events stay. True when it existed.
     */
    async remove(name: string): Promise<boolean> {
      const removed = await db.transaction().execute(async (tx) => {
        await tx.deleteFrom('refresh_tokens').where('grant_id', 'in', tx.selectFrom('grants').select('id').where('realm', '=', name)).execute();
        for (const table of realmScopedTables) await sql`delete from ${sql.table(table)} where realm = ${name}`.execute(tx);
        const result = await tx.deleteFrom('realms').where('name', '=', name).executeTakeFirst();
        return Number(result.numDeletedRows) > 0;
      });
      await changes.announce('realm', name);
      await changes.announce('keys', name);
      return removed;
    },
    /** Creates the realm unless it exists (safe when several nodes start at once); true when created. */
    async upsertIfMissing(realm: Realm, now: number): Promise<boolean> {
      const result = await db.insertInto('realms')
        .values({ name: realm.name, display_name: realm.displayName, settings: JSON.stringify(realm.settings), created_at: now })
        .onConflict((oc) => oc.column('name').doNothing()).executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
    },
    /** Creates the realm or replaces its display name and settings; returns true when created. */
    async upsert(realm: Realm, now: number): Promise<boolean> {
      const existing = await db.selectFrom('realms').select('name').where('name', '=', realm.name).executeTakeFirst();
      const values = { display_name: realm.displayName, settings: JSON.stringify(realm.settings) };
      if (existing) {
        await db.updateTable('realms').set(values).where('name', '=', realm.name).execute();
        await changes.announce('realm', realm.name);
        return false;
      }
      const result = await db.insertInto('realms').values({ name: realm.name, created_at: now, ...values })
        .onConflict((oc) => oc.column('name').doNothing()).executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
    },
  };
}
export type RealmsRepository = ReturnType<typeof realmsRepository>;
