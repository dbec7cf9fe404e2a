// Table shapes shared by SQLite and PostgreSQL. Times are epoch milliseconds (bigint),
// booleans are 0/1 integers and structured values are JSON text, so one query layer serves both.
import type { Generated } from 'kysely';

export interface RealmTable { name: string; display_name: string; settings: string; created_at: number }
export interface ClientTable {
  realm: string; client_id: string; secret_hash: string | null; metadata: string;
  enabled: number; created_at: number; updated_at: number;
  /** The secret itself, encrypted with the master key: client_secret_jwt clients only. */
  secret_sealed: string | null;
}
export interface UserTable {
  id: string; realm: string; username: string; email: string | null; password_hash: string | null;
  claims: string; enabled: number; created_at: number; updated_at: number;
  /** JSON list of what the user must do at the next sign-in (migration 0017). */
  required_actions: string;
}
/** One row per term a user is found by (users.ts searchTerms). */
export interface UserSearchTable { realm: string; term: string; user_id: string }
export interface RoleTable { realm: string; name: string; description: string | null }
/** A composite role brings `composite` to whoever holds `role` (store/roles.ts). */
export interface RoleCompositeTable { realm: string; role: string; composite: string }
/** A group of a realm; `parent_id` nests it (null: top level). */
export interface GroupTable { id: string; realm: string; name: string; parent_id: string | null; created_at: number }
export interface GroupRoleTable { group_id: string; role: string }
export interface GroupMemberTable { group_id: string; user_id: string }
export interface UserRoleTable { user_id: string; role: string }
/** A role a client declares (its metadata's `roles`, store/clients.ts); deleting it or the client deletes its assignments. */
export interface ClientRoleTable { realm: string; client_id: string; name: string; description: string | null }
/** A composite client role brings `composite`, a role of the same client. */
export interface ClientRoleCompositeTable { realm: string; client_id: string; role: string; composite: string }
export interface UserClientRoleTable { user_id: string; realm: string; client_id: string; role: string }
export interface GroupClientRoleTable { group_id: string; realm: string; client_id: string; role: string }
export interface SessionTable {
  id: string; realm: string; user_id: string; secret_hash: string; auth_time: number; amr: string;
  acr: string; created_at: number; last_seen_at: number; expires_at: number; ended_at: number | null;
  /** The upstream provider that signed the user in (src/identity/brokering.ts), and its session id (sid); null otherwise. */
  idp: string | null;
  idp_sid: string | null;
  /** The provider's ID token, sealed (src/runtime.ts Sealer), kept for the id_token_hint of a logout at the provider; null otherwise. */
  idp_id_token: string | null;
  /** The browser's User-Agent header at sign-in (cut to 512 characters), and the address it was last used from; null before 0021. */
  user_agent: string | null;
  ip_address: string | null;
}
export interface InteractionTable {
  id_hash: string; realm: string; client_id: string; request: string; session_id: string | null;
  created_at: number; expires_at: number;
}
export interface GrantTable {
  id: string; realm: string; client_id: string; user_id: string | null; session_id: string | null;
  scope: string; auth_time: number | null; amr: string; acr: string | null; nonce: string | null; claims: string | null;
  offline: number; created_at: number; expires_at: number; revoked_at: number | null;
  /** The upstream provider of the sign-in the grant came from; null otherwise. */
  idp: string | null;
  /** RFC 8707 resources as a JSON list; null for none. */
  resources: string | null;
  /** The grant a token exchange derived this one from (RFC 8693); null otherwise. */
  parent_id: string | null;
}
export interface CodeTable {
  hash: string; grant_id: string; realm: string; client_id: string; redirect_uri: string | null;
  code_challenge: string | null; code_challenge_method: string | null; expires_at: number;
  used_at: number | null;
  /** RFC 9449 §10: the thumbprint of the key the token request must prove (dpop_jkt). */
  dpop_jkt: string | null;
}
export interface RefreshTokenTable {
  hash: string; grant_id: string; created_at: number; expires_at: number; used_at: number | null;
  /** RFC 9449 §5: a public client's refresh token is bound to the key of the proof it was issued with. */
  dpop_jkt: string | null;
}
export interface KeyTable {
  kid: string; realm: string; alg: string; status: string; public_jwk: string;
  private_jwk: string; created_at: number; retired_at: number | null;
}
/** Client assertion ids seen (RFC 7523 §3 item 7), kept until the assertion expires. */
export interface ClientAssertionJtiTable { hash: string; expires_at: number }
/** DPoP proof ids seen (RFC 9449 §11.1), kept until the proof's iat leaves the acceptance window. */
export interface DpopProofJtiTable { hash: string; expires_at: number }
/** Revoked access tokens that stem from no grant (client_credentials), by jti, until they expire. */
export interface RevokedAccessTokenTable { jti: string; expires_at: number }
/** One counter per cached topic, bumped by every announced change (src/store/changes.ts, SQLite). */
export interface CacheChangeTable { topic: string; counter: number }
export interface ConsentTable { realm: string; user_id: string; client_id: string; scope: string; updated_at: number }
/** Sign-in failure counters (src/security/brute-force.ts); `key` is 'user:…', 'userip:…|…' or 'ip:…'. */
export interface LoginFailureTable {
  realm: string; key: string; failures: number; lockouts: number; first_failure_at: number;
  last_failure_at: number; locked_until: number | null; disabled_by_lockout: number;
}
/** Pushed authorization requests (RFC 9126); `params` is the validated request as JSON. */
export interface PushedRequestTable {
  id_hash: string; realm: string; client_id: string; params: string; created_at: number; expires_at: number;
}
export interface PasswordHistoryTable { user_id: string; password_hash: string; created_at: number }
/** RFC 8628 device authorizations: both codes stored as hashes only; `status` pending → approved | denied → used. */
export interface DeviceCodeTable {
  device_code_hash: string; user_code_hash: string; realm: string; client_id: string; scope: string;
  status: string; grant_id: string | null; poll_interval: number; last_polled_at: number | null;
  created_at: number; expires_at: number;
}
/** A realm's pairwise subject salt (OIDC Core §8.1), sealed with the master key; created once, never changed. */
export interface PairwiseSaltTable { realm: string; salt_sealed: string; created_at: number }
/** The audit event log (src/security/audit.ts); `details` is a small JSON object, never a secret. */
export interface EventTable {
  id: string; realm: string; time: number; type: string; user_id: string | null; client_id: string | null;
  ip: string | null; session_id: string | null; details: string;
}
/** Webhook deliveries waiting to be sent (src/security/webhooks.ts); claimed with a lease so one node sends each. */
export interface EventOutboxTable {
  id: string; realm: string; event_id: string; url: string; body: string; attempts: number;
  next_attempt_at: number; claimed_until: number | null; created_at: number;
}
/** Browsers a user signed in from (src/security/devices.ts): the device cookie's hash only. */
export interface KnownDeviceTable {
  user_id: string; device_hash: string; user_agent: string; first_seen_at: number; last_seen_at: number;
}
export interface TotpCredentialTable {
  user_id: string; secret_sealed: string; confirmed_at: number | null; last_counter: number | null; created_at: number;
}
export interface TotpEnrolmentTable { session_id: string; user_id: string; secret_sealed: string; expires_at: number }
export interface RecoveryCodeTable { user_id: string; code_hash: string; used_at: number | null; created_at: number }
export interface WebAuthnCredentialTable {
  id: string; user_id: string; public_key: string; counter: number; transports: string; device_type: string;
  created_at: number; last_used_at: number | null;
  /** The browser and system it was registered from, for the account console; null before 0021. */
  name: string | null;
}
export interface WebAuthnChallengeTable { key: string; challenge: string; expires_at: number }
/** Mail waiting to be sent, or sent (src/mail/outbox.ts); the message is sealed: its links are secrets. */
export interface MailOutboxTable {
  id: string; realm: string; template: string; recipient_digest: string; message_sealed: string; attempts: number;
  next_attempt_at: number; claimed_until: number | null; created_at: number; sent_at: number | null; failed_at: number | null;
}
/** The single-use links (and codes) e-mails carry: only their hashes. */
export interface EmailActionTable {
  id: string; realm: string; user_id: string; purpose: string; token_hash: string; code_digest: string | null; code_attempts: number;
  email: string; created_at: number; expires_at: number; used_at: number | null;
  /** JSON: what the link does beyond its purpose (execute_actions: the actions and where to go after); null for the others. */
  details: string | null;
}
/** Accounts at upstream identity providers linked to users (src/identity/brokering.ts). */
export interface UserIdentityTable {
  realm: string; provider: string; subject: string; user_id: string; email: string | null; created_at: number;
  /** The provider's tokens as sealed JSON, for a provider with store_tokens; null otherwise. */
  tokens: string | null;
}
export interface MigrationMarker { id: Generated<number> }

export interface Database {
  realms: RealmTable;
  clients: ClientTable;
  users: UserTable;
  user_search: UserSearchTable;
  roles: RoleTable;
  user_roles: UserRoleTable;
  role_composites: RoleCompositeTable;
  groups: GroupTable;
  group_roles: GroupRoleTable;
  group_members: GroupMemberTable;
  client_roles: ClientRoleTable;
  client_role_composites: ClientRoleCompositeTable;
  user_client_roles: UserClientRoleTable;
  group_client_roles: GroupClientRoleTable;
  sessions: SessionTable;
  interactions: InteractionTable;
  grants: GrantTable;
  authorization_codes: CodeTable;
  refresh_tokens: RefreshTokenTable;
  signing_keys: KeyTable;
  consents: ConsentTable;
  password_history: PasswordHistoryTable;
  client_assertion_jtis: ClientAssertionJtiTable;
  dpop_proof_jtis: DpopProofJtiTable;
  revoked_access_tokens: RevokedAccessTokenTable;
  cache_changes: CacheChangeTable;
  login_failures: LoginFailureTable;
  device_codes: DeviceCodeTable;
  pairwise_salts: PairwiseSaltTable;
  pushed_requests: PushedRequestTable;
  events: EventTable;
  event_outbox: EventOutboxTable;
  known_devices: KnownDeviceTable;
  totp_credentials: TotpCredentialTable;
  totp_enrolments: TotpEnrolmentTable;
  recovery_codes: RecoveryCodeTable;
  mail_outbox: MailOutboxTable;
  email_actions: EmailActionTable;
  user_identities: UserIdentityTable;
  webauthn_credentials: WebAuthnCredentialTable;
  webauthn_challenges: WebAuthnChallengeTable;
}
