// Schema migrations, applied at start (and by `strix migrate`). Append new ones; never edit old ones.
import { randomUUID } from 'node:crypto';
import { Kysely, Migrator, PostgresAdapter, sql, type Migration, type MigrationProvider } from 'kysely';
import { searchTerms } from './users.js';

const initial: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.createTable('realms')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('display_name', 'text', (c) => c.notNull())
      .addColumn('settings', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createTable('clients')
      .addColumn('realm', 'text', (c) => c.notNull().references('realms.name').onDelete('cascade'))
      .addColumn('client_id', 'text', (c) => c.notNull())
      .addColumn('secret_hash', 'text')
      .addColumn('metadata', 'text', (c) => c.notNull())
      .addColumn('enabled', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('clients_pk', ['realm', 'client_id'])
      .execute();
    await db.schema.createTable('users')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('realm', 'text', (c) => c.notNull().references('realms.name').onDelete('cascade'))
      .addColumn('username', 'text', (c) => c.notNull())
      .addColumn('email', 'text')
      .addColumn('password_hash', 'text')
      .addColumn('claims', 'text', (c) => c.notNull())
      .addColumn('enabled', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addUniqueConstraint('users_realm_username', ['realm', 'username'])
      .execute();
    await db.schema.createIndex('users_realm_email').on('users').columns(['realm', 'email']).execute();
    await db.schema.createTable('roles')
      .addColumn('realm', 'text', (c) => c.notNull().references('realms.name').onDelete('cascade'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('description', 'text')
      .addPrimaryKeyConstraint('roles_pk', ['realm', 'name'])
      .execute();
    await db.schema.createTable('user_roles')
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('role', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('user_roles_pk', ['user_id', 'role'])
      .execute();
    await db.schema.createTable('sessions')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('realm', 'text', (c) => c.notNull())
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('secret_hash', 'text', (c) => c.notNull().unique())
      .addColumn('auth_time', 'bigint', (c) => c.notNull())
      .addColumn('amr', 'text', (c) => c.notNull())
      .addColumn('acr', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('ended_at', 'bigint')
      .execute();
    await db.schema.createTable('interactions')
      .addColumn('id_hash', 'text', (c) => c.primaryKey())
      .addColumn('realm', 'text', (c) => c.notNull())
      .addColumn('client_id', 'text', (c) => c.notNull())
      .addColumn('request', 'text', (c) => c.notNull())
      .addColumn('session_id', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createTable('grants')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('realm', 'text', (c) => c.notNull())
      .addColumn('client_id', 'text', (c) => c.notNull())
      .addColumn('user_id', 'text')
      .addColumn('session_id', 'text')
      .addColumn('scope', 'text', (c) => c.notNull())
      .addColumn('auth_time', 'bigint')
      .addColumn('amr', 'text', (c) => c.notNull())
      .addColumn('acr', 'text')
      .addColumn('nonce', 'text')
      .addColumn('offline', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('revoked_at', 'bigint')
      .execute();
    await db.schema.createIndex('grants_session').on('grants').column('session_id').execute();
    await db.schema.createTable('authorization_codes')
      .addColumn('hash', 'text', (c) => c.primaryKey())
      .addColumn('grant_id', 'text', (c) => c.notNull())
      .addColumn('realm', 'text', (c) => c.notNull())
      .addColumn('client_id', 'text', (c) => c.notNull())
      .addColumn('redirect_uri', 'text')
      .addColumn('code_challenge', 'text')
      .addColumn('code_challenge_method', 'text')
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('used_at', 'bigint')
      .execute();
    await db.schema.createTable('refresh_tokens')
      .addColumn('hash', 'text', (c) => c.primaryKey())
      .addColumn('grant_id', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('used_at', 'bigint')
      .execute();
    await db.schema.createIndex('refresh_tokens_grant').on('refresh_tokens').column('grant_id').execute();
    await db.schema.createTable('signing_keys')
      .addColumn('kid', 'text', (c) => c.primaryKey())
      .addColumn('realm', 'text', (c) => c.notNull())
      .addColumn('alg', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('public_jwk', 'text', (c) => c.notNull())
      .addColumn('private_jwk', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('retired_at', 'bigint')
      .execute();
    await db.schema.createIndex('signing_keys_realm').on('signing_keys').column('realm').execute();
    await db.schema.createTable('consents')
      .addColumn('realm', 'text', (c) => c.notNull())
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('client_id', 'text', (c) => c.notNull())
      .addColumn('scope', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('consents_pk', ['user_id', 'client_id'])
      .execute();
  },
};

// client_secret_jwt needs the client secret itself, sealed; used assertion ids are shared by every node (RFC 7523 §3).
const clientAssertions: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable('clients').addColumn('secret_sealed', 'text').execute();
    await db.schema.createTable('client_assertion_jtis')
      .addColumn('hash', 'text', (c) => c.primaryKey())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('client_assertion_jtis_expires_at').on('client_assertion_jtis').column('expires_at').execute();
  },
};

// Brute-force counters live in the database so every node sees the same counts (src/security/brute-force.ts).
const loginFailures: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.createTable('login_failures')
      .addColumn('realm', 'text', (c) => c.notNull())
      .addColumn('key', 'text', (c) => c.notNull())
      .addColumn('failures', 'integer', (c) => c.notNull())
      .addColumn('lockouts', 'integer', (c) => c.notNull())
      .addColumn('first_failure_at', 'bigint', (c) => c.notNull())
      .addColumn('last_failure_at', 'bigint', (c) => c.notNull())
      .addColumn('locked_until', 'bigint')
      .addColumn('disabled_by_lockout', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('login_failures_pk', ['realm', 'key'])
      .execute();
  },
};

const grantClaims: Migration = {
  async up(db: Kysely<any>) {
    // The `claims` request parameter (OIDC Core §5.5) a grant was made with, as JSON.
    await db.schema.alterTable('grants').addColumn('claims', 'text').execute();
  },
};

// Dynamic client registration (RFC 7591, RFC 7592): who may register in a realm, the initial access
// tokens that authorize it, and each registered client's registration access token (all as hashes).
const clientRegistration: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.createTable('registration_policies')
      .addColumn('realm', 'text', (c) => c.primaryKey().references('realms.name').onDelete('cascade'))
      .addColumn('open', 'integer', (c) => c.notNull())
      .execute();
    await db.schema.createTable('initial_access_tokens')
      .addColumn('token_hash', 'text', (c) => c.primaryKey())
      .addColumn('realm', 'text', (c) => c.notNull().references('realms.name').onDelete('cascade'))
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('initial_access_tokens_realm').on('initial_access_tokens').column('realm').execute();
    await db.schema.createTable('client_registrations')
      .addColumn('realm', 'text', (c) => c.notNull())
      .addColumn('client_id', 'text', (c) => c.notNull())
      .addColumn('token_hash', 'text', (c) => c.notNull().unique())
      .addColumn('issued_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('client_registrations_pk', ['realm', 'client_id'])
      .addForeignKeyConstraint('client_registrations_client', ['realm', 'client_id'], 'clients', ['realm', 'client_id'], (c) => c.onDelete('cascade'))
      .execute();
  },
};

const passwordHistory: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.createTable('password_history')
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('password_hash', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('password_history_user').on('password_history').columns(['user_id', 'created_at']).execute();
  },
};

// RFC 8628 device authorization grant: pending device codes, looked up by either code's hash.
const deviceCodes: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.createTable('device_codes')
      .addColumn('device_code_hash', 'text', (c) => c.primaryKey())
      .addColumn('user_code_hash', 'text', (c) => c.notNull().unique())
      .addColumn('realm', 'text', (c) => c.notNull().references('realms.name').onDelete('cascade'))
      .addColumn('client_id', 'text', (c) => c.notNull())
      .addColumn('scope', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('grant_id', 'text')
      .addColumn('poll_interval', 'integer', (c) => c.notNull())
      .addColumn('last_polled_at', 'bigint')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('device_codes_expires_at').on('device_codes').column('expires_at').execute();
  },
};

// Pairwise subject identifiers (OIDC Core §8.1): one secret salt per realm, outside the realm's
// settings so that it is never exported and a realm file import never replaces it.
const pairwiseSalts: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.createTable('pairwise_salts')
      .addColumn('realm', 'text', (c) => c.primaryKey().references('realms.name').onDelete('cascade'))
      .addColumn('salt_sealed', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
  },
};

// The resource servers (RFC 8707) a grant authorizes, so the token endpoint can narrow but never widen
// them; and the grant a token exchange (RFC 8693) derived one from, whose revocation ends it too.
const grantResources: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable('grants').addColumn('resources', 'text').execute();
    await db.schema.alterTable('grants').addColumn('parent_id', 'text').execute();
  },
};

// DPoP (RFC 9449): proof ids seen (§11.1), shared by every node, and the key a code (§10, dpop_jkt)
// or a public client's refresh token (§5) is bound to.
const dpopProofs: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.createTable('dpop_proof_jtis')
      .addColumn('hash', 'text', (c) => c.primaryKey())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('dpop_proof_jtis_expires_at').on('dpop_proof_jtis').column('expires_at').execute();
    await db.schema.alterTable('authorization_codes').addColumn('dpop_jkt', 'text').execute();
    await db.schema.alterTable('refresh_tokens').addColumn('dpop_jkt', 'text').execute();
  },
};

// Pushed authorization requests (RFC 9126): validated request parameters, by the hash of the
// request_uri's random part, until used once or expired.
const pushedRequests: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.createTable('pushed_requests')
      .addColumn('id_hash', 'text', (c) => c.primaryKey())
      .addColumn('realm', 'text', (c) => c.notNull().references('realms.name').onDelete('cascade'))
      .addColumn('client_id', 'text', (c) => c.notNull())
      .addColumn('params', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('pushed_requests_expires_at').on('pushed_requests').column('expires_at').execute();
  },
};

// The audit event log, its webhook outbox, and the devices users signed in from (src/security/audit.ts).
const auditEvents: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.createTable('events')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('realm', 'text', (c) => c.notNull())
      .addColumn('time', 'bigint', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('user_id', 'text')
      .addColumn('client_id', 'text')
      .addColumn('ip', 'text')
      .addColumn('session_id', 'text')
      .addColumn('details', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('events_realm_time').on('events').columns(['realm', 'time']).execute();
    await db.schema.createIndex('events_realm_type').on('events').columns(['realm', 'type', 'time']).execute();
    await db.schema.createIndex('events_realm_user').on('events').columns(['realm', 'user_id', 'time']).execute();
    await db.schema.createTable('event_outbox')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('realm', 'text', (c) => c.notNull())
      .addColumn('event_id', 'text', (c) => c.notNull())
      .addColumn('url', 'text', (c) => c.notNull())
      .addColumn('body', 'text', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull())
      .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
      .addColumn('claimed_until', 'bigint')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('event_outbox_due').on('event_outbox').column('next_attempt_at').execute();
    await db.schema.createTable('known_devices')
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('device_hash', 'text', (c) => c.notNull())
      .addColumn('user_agent', 'text', (c) => c.notNull())
      .addColumn('first_seen_at', 'bigint', (c) => c.notNull())
      .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('known_devices_pk', ['user_id', 'device_hash'])
      .execute();
  },
};

// Multi-factor authentication: TOTP secrets (sealed), recovery codes (keyed hashes), WebAuthn
// credentials, and WebAuthn challenges waiting for their answer (any node may receive it).
const mfa: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.createTable('totp_credentials')
      .addColumn('user_id', 'text', (c) => c.primaryKey().references('users.id').onDelete('cascade'))
      .addColumn('secret_sealed', 'text', (c) => c.notNull())
      .addColumn('confirmed_at', 'bigint')
      .addColumn('last_counter', 'bigint')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createTable('recovery_codes')
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('code_hash', 'text', (c) => c.notNull())
      .addColumn('used_at', 'bigint')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('recovery_codes_pk', ['user_id', 'code_hash'])
      .execute();
    await db.schema.createTable('webauthn_credentials')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('public_key', 'text', (c) => c.notNull())
      .addColumn('counter', 'bigint', (c) => c.notNull())
      .addColumn('transports', 'text', (c) => c.notNull())
      .addColumn('device_type', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('last_used_at', 'bigint')
      .execute();
    await db.schema.createIndex('webauthn_credentials_user').on('webauthn_credentials').column('user_id').execute();
    await db.schema.createTable('webauthn_challenges')
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('challenge', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('webauthn_challenges_expiry').on('webauthn_challenges').column('expires_at').execute();
  },
};

// RFC 7009 for access tokens without a grant (client_credentials): the ids of those revoked, until
// they expire. Only revocation writes here; issuing such a token writes nothing.
const revokedAccessTokens: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.createTable('revoked_access_tokens')
      .addColumn('jti', 'text', (c) => c.primaryKey())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('revoked_access_tokens_expires_at').on('revoked_access_tokens').column('expires_at').execute();
  },
};

// Cache invalidation across the processes of one SQLite database (src/store/changes.ts): a counter
// per cached topic, bumped with every change, read when the database changed since the last look.
const cacheChanges: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.createTable('cache_changes')
      .addColumn('topic', 'text', (c) => c.primaryKey())
      .addColumn('counter', 'bigint', (c) => c.notNull().defaultTo(0))
      .execute();
    await db.insertInto('cache_changes').values(['client', 'realm', 'keys'].map((topic) => ({ topic, counter: 0 }))).execute();
  },
};

// TOTP enrolment: a pending secret belongs to the session whose set-up page showed it and lives a
// few minutes; the unconfirmed secrets kept per user until now are dropped.
const totpEnrolments: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.createTable('totp_enrolments')
      .addColumn('session_id', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('secret_sealed', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('totp_enrolments_user').on('totp_enrolments').column('user_id').execute();
    await db.schema.createIndex('totp_enrolments_expiry').on('totp_enrolments').column('expires_at').execute();
    await db.deleteFrom('totp_credentials').where('confirmed_at', 'is', null).execute();
  },
};

// Mail (src/mail/): the outbox every node sends from, kept after sending for the per-address limit
// and support questions; and the single-use links (and codes) that e-mails carry, stored as hashes.
const email: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.createTable('mail_outbox')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('realm', 'text', (c) => c.notNull())
      .addColumn('template', 'text', (c) => c.notNull())
      .addColumn('recipient_digest', 'text', (c) => c.notNull())
      .addColumn('message_sealed', 'text', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
      .addColumn('claimed_until', 'bigint')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('sent_at', 'bigint')
      .addColumn('failed_at', 'bigint')
      .execute();
    await db.schema.createIndex('mail_outbox_due').on('mail_outbox').columns(['sent_at', 'failed_at', 'next_attempt_at']).execute();
    await db.schema.createIndex('mail_outbox_recipient').on('mail_outbox').columns(['realm', 'recipient_digest', 'created_at']).execute();
    await db.schema.createTable('email_actions')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('realm', 'text', (c) => c.notNull())
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('purpose', 'text', (c) => c.notNull())
      .addColumn('token_hash', 'text', (c) => c.notNull().unique())
      .addColumn('code_digest', 'text')
      .addColumn('code_attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('email', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('used_at', 'bigint')
      .execute();
    await db.schema.createIndex('email_actions_user').on('email_actions').columns(['user_id', 'purpose']).execute();
  },
};

// The admin API (src/admin/): user search by prefix of username, e-mail address or any word of the
// name, read from an index (one row per term; PostgreSQL compares terms byte by byte, as SQLite
// does, so that a prefix is a range of the index), composite roles, and the actions a user must take at
// the next sign-in.
const adminApi: Migration = {
  async up(db: Kysely<any>) {
    const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
    await db.schema.createTable('user_search')
      .addColumn('realm', 'text', (c) => c.notNull())
      .addColumn('term', 'text', (c) => (postgres ? c.notNull().modifyEnd(sql`collate "C"`) : c.notNull()))
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addPrimaryKeyConstraint('user_search_pk', ['realm', 'term', 'user_id'])
      .execute();
    await db.schema.createIndex('user_search_user').on('user_search').column('user_id').execute();
    await db.schema.createTable('role_composites')
      .addColumn('realm', 'text', (c) => c.notNull())
      .addColumn('role', 'text', (c) => c.notNull())
      .addColumn('composite', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('role_composites_pk', ['realm', 'role', 'composite'])
      .execute();
    // Groups nest (parent_id); members hold the roles of their groups and of every ancestor (users.ts).
    await db.schema.createTable('groups')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('realm', 'text', (c) => c.notNull().references('realms.name').onDelete('cascade'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('parent_id', 'text', (c) => c.references('groups.id').onDelete('cascade'))
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('groups_realm_parent_name').on('groups').columns(['realm', 'parent_id', 'name']).execute();
    await db.schema.createTable('group_roles')
      .addColumn('group_id', 'text', (c) => c.notNull().references('groups.id').onDelete('cascade'))
      .addColumn('role', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('group_roles_pk', ['group_id', 'role'])
      .execute();
    await db.schema.createTable('group_members')
      .addColumn('group_id', 'text', (c) => c.notNull().references('groups.id').onDelete('cascade'))
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addPrimaryKeyConstraint('group_members_pk', ['group_id', 'user_id'])
      .execute();
    await db.schema.createIndex('group_members_user').on('group_members').column('user_id').execute();
    // PostgreSQL plans a recursive query anew each time (Kysely does not prepare statements), which
    // would cost every user read about half a millisecond: in a PL/pgSQL function the plan is kept.
    if (postgres) {
      await sql`create function strix_held_roles(p_user text, p_realm text) returns json language plpgsql stable as $$
        begin
          return (with recursive in_group(id) as (
              select group_id from group_members where user_id = p_user
              union select g.parent_id from groups g join in_group on g.id = in_group.id where g.parent_id is not null),
            held(role) as (
              select role from user_roles where user_id = p_user
              union select role from group_roles where group_id in (select id from in_group)
              union select c.composite from role_composites c join held on c.role = held.role where c.realm = p_realm)
            select coalesce(json_agg(role order by role), '[]'::json) from held);
        end $$`.execute(db);
    }
    // The admin API lists a realm's sessions, and a user's, newest first.
    await db.schema.createIndex('sessions_realm_created').on('sessions').columns(['realm', 'created_at']).execute();
    await db.schema.createIndex('sessions_user_created').on('sessions').columns(['user_id', 'created_at']).execute();
    await db.schema.alterTable('users').addColumn('required_actions', 'text', (c) => c.notNull().defaultTo('[]')).execute();
    const users = await db.selectFrom('users').select(['id', 'realm', 'username', 'email', 'claims']).execute();
    for (const user of users as { id: string; realm: string; username: string; email: string | null; claims: string }[]) {
      const terms = searchTerms(user.username, user.email, JSON.parse(user.claims) as Record<string, unknown>);
      await db.insertInto('user_search').values(terms.map((term) => ({ realm: user.realm, term, user_id: user.id }))).execute();
    }
  },
};

/** Upstream identity providers: which account at which provider is which user. */
const identityProviders: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.createTable('user_identities')
      .addColumn('realm', 'text', (c) => c.notNull())
      .addColumn('provider', 'text', (c) => c.notNull())
      .addColumn('subject', 'text', (c) => c.notNull())
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('email', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('user_identities_pk', ['realm', 'provider', 'subject'])
      .execute();
    await db.schema.createIndex('user_identities_user').on('user_identities').columns(['user_id']).execute();
    // The provider a session was signed in with, and the grants made from it: the tokens' idp claim.
    await db.schema.alterTable('sessions').addColumn('idp', 'text').execute();
    await db.schema.alterTable('sessions').addColumn('idp_sid', 'text').execute();
    await db.schema.createIndex('sessions_idp').on('sessions').columns(['realm', 'idp', 'idp_sid']).execute();
    await db.schema.alterTable('grants').addColumn('idp', 'text').execute();
  },
};

/** What an upstream provider gave, sealed with the master key: the ID token a session's logout hands back to it, and the tokens a provider with store_tokens keeps. */
const upstreamTokens: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable('sessions').addColumn('idp_id_token', 'text').execute();
    await db.schema.alterTable('user_identities').addColumn('tokens', 'text').execute();
  },
};

/**
 * Indexes that keep work flat as data grows (issue 17, docs/performance.md "Scale of data"): the
 * purge finds expired rows by time instead of scanning its tables once a minute (20 ms per table at a
 * million refresh tokens, under the write lock on SQLite), and start-up finds the realms lacking keys
 * from an index alone. `if not exists`: on a large PostgreSQL database an operator may build them
 * beforehand with `create index concurrently` (docs/operations.md), and this migration then only checks.
 */
const scaleIndexes: Migration = {
  async up(db: Kysely<any>) {
    const indexes: [name: string, table: string, columns: string[]][] = [
      ['refresh_tokens_used_at', 'refresh_tokens', ['used_at']],
      ['refresh_tokens_expires_at', 'refresh_tokens', ['expires_at']],
      ['sessions_ended_at', 'sessions', ['ended_at']],
      ['sessions_expires_at', 'sessions', ['expires_at']],
      ['grants_revoked_at', 'grants', ['revoked_at']],
      ['grants_expires_at', 'grants', ['expires_at']],
      ['authorization_codes_expires_at', 'authorization_codes', ['expires_at']],
      ['interactions_expires_at', 'interactions', ['expires_at']],
      ['signing_keys_realm_status_alg', 'signing_keys', ['realm', 'status', 'alg']],
    ];
    for (const [name, table, columns] of indexes) await db.schema.createIndex(name).ifNotExists().on(table).columns(columns).execute();
    // The new key index starts with the realm: the old one is redundant.
    await db.schema.dropIndex('signing_keys_realm').ifExists().execute();
  },
};

/**
 * The account console: which browser a session is and from where it was last used (Devices and
 * sessions), and a name for each passkey (Signing in).
 */
const sessionDevices: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable('sessions').addColumn('user_agent', 'text').execute();
    await db.schema.alterTable('sessions').addColumn('ip_address', 'text').execute();
    await db.schema.alterTable('webauthn_credentials').addColumn('name', 'text').execute();
  },
};

/**
 * Initial access tokens issued with Keycloak's limits: an id to list and remove them by, an expiry and
 * a number of registrations (tokens from before, and a realm file's, keep having none).
 */
const initialAccessLimits: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable('initial_access_tokens').addColumn('id', 'text').execute();
    await db.schema.alterTable('initial_access_tokens').addColumn('expires_at', 'bigint').execute();
    await db.schema.alterTable('initial_access_tokens').addColumn('count', 'integer').execute();
    await db.schema.alterTable('initial_access_tokens').addColumn('remaining', 'integer').execute();
    await db.schema.createIndex('initial_access_tokens_expires').on('initial_access_tokens').column('expires_at').execute();
  },
};

/** What an execute-actions-email link runs (its actions, and where it goes after), as JSON (src/identity/execute-actions.ts). */
const emailActionDetails: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable('email_actions').addColumn('details', 'text').execute();
  },
};

/**
 * Client roles (a client's `roles`) and who holds them: users directly and groups for their members,
 * as tables, so that deleting a role or its client takes its assignments with it (foreign keys). The
 * free-form `client_roles` and `groups` user attributes that stood for them become rows: a client
 * role a user held is declared on its client, and a group a user named (a name or a path) is
 * created if missing and joined. PostgreSQL reads a user's groups and client roles through one
 * function, as strix_held_roles (0017), so that its plan is kept.
 */
const clientRoles: Migration = {
  async up(db: Kysely<any>) {
    const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
    await db.schema.createTable('client_roles')
      .addColumn('realm', 'text', (c) => c.notNull())
      .addColumn('client_id', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('description', 'text')
      .addPrimaryKeyConstraint('client_roles_pk', ['realm', 'client_id', 'name'])
      .addForeignKeyConstraint('client_roles_client', ['realm', 'client_id'], 'clients', ['realm', 'client_id'], (fk) => fk.onDelete('cascade'))
      .execute();
    await db.schema.createTable('client_role_composites')
      .addColumn('realm', 'text', (c) => c.notNull())
      .addColumn('client_id', 'text', (c) => c.notNull())
      .addColumn('role', 'text', (c) => c.notNull())
      .addColumn('composite', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('client_role_composites_pk', ['realm', 'client_id', 'role', 'composite'])
      .addForeignKeyConstraint('client_role_composites_role', ['realm', 'client_id', 'role'], 'client_roles', ['realm', 'client_id', 'name'], (fk) => fk.onDelete('cascade'))
      .addForeignKeyConstraint('client_role_composites_composite', ['realm', 'client_id', 'composite'], 'client_roles', ['realm', 'client_id', 'name'], (fk) => fk.onDelete('cascade'))
      .execute();
    await db.schema.createIndex('client_role_composites_composite').on('client_role_composites').columns(['realm', 'client_id', 'composite']).execute();
    for (const [table, owner, references] of [['user_client_roles', 'user_id', 'users.id'], ['group_client_roles', 'group_id', 'groups.id']] as const) {
      await db.schema.createTable(table)
        .addColumn(owner, 'text', (c) => c.notNull().references(references).onDelete('cascade'))
        .addColumn('realm', 'text', (c) => c.notNull())
        .addColumn('client_id', 'text', (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint(`${table}_pk`, [owner, 'client_id', 'role'])
        .addForeignKeyConstraint(`${table}_role`, ['realm', 'client_id', 'role'], 'client_roles', ['realm', 'client_id', 'name'], (fk) => fk.onDelete('cascade'))
        .execute();
      await db.schema.createIndex(`${table}_role`).on(table).columns(['realm', 'client_id', 'role']).execute();
    }
    if (postgres) {
      await sql`create function strix_user_memberships(p_user text, p_realm text) returns json language plpgsql stable as $$
        begin
          return json_build_object(
            'groups', (with recursive up(id, path) as (
                select g.parent_id, '/' || g.name from groups g join group_members m on m.group_id = g.id where m.user_id = p_user
                union all select p.parent_id, '/' || p.name || up.path from groups p join up on p.id = up.id)
              select coalesce(json_agg(path order by path), '[]'::json) from up where id is null),
            'client_roles', (with recursive in_group(id) as (
                select group_id from group_members where user_id = p_user
                union select g.parent_id from groups g join in_group on g.id = in_group.id where g.parent_id is not null),
              held(client_id, role) as (
                select client_id, role from user_client_roles where user_id = p_user
                union select client_id, role from group_client_roles where group_id in (select id from in_group)
                union select c.client_id, c.composite from client_role_composites c join held on c.client_id = held.client_id and c.role = held.role where c.realm = p_realm)
              select coalesce(json_agg(json_build_array(client_id, role) order by client_id, role), '[]'::json) from held),
            'assigned_client_roles', (select coalesce(json_agg(json_build_array(client_id, role) order by client_id, role), '[]'::json) from user_client_roles where user_id = p_user));
        end $$`.execute(db);
    }
    const users = await db.selectFrom('users').select(['id', 'realm', 'claims']).execute() as { id: string; realm: string; claims: string }[];
    for (const user of users) {
      const claims = JSON.parse(user.claims) as Record<string, unknown>;
      if (claims.client_roles === undefined && claims.groups === undefined) continue;
      await migrateClientRoles(db, user, claims.client_roles);
      await migrateGroups(db, user, claims.groups);
      const { client_roles: _c, groups: _g, ...rest } = claims;
      await db.updateTable('users').set({ claims: JSON.stringify(rest) }).where('id', '=', user.id).execute();
    }
  },
};

/** A user's `client_roles` attribute as assignments; roles of clients that no longer exist are dropped. */
async function migrateClientRoles(db: Kysely<any>, user: { id: string; realm: string }, held: unknown): Promise<void> {
  if (typeof held !== 'object' || held === null || Array.isArray(held)) return;
  for (const [clientId, names] of Object.entries(held)) {
    if (!Array.isArray(names) || !(await db.selectFrom('clients').select('client_id').where('realm', '=', user.realm).where('client_id', '=', clientId).executeTakeFirst())) continue;
    for (const name of new Set(names.filter((n): n is string => typeof n === 'string' && /^[^\s,]{1,100}$/.test(n)))) {
      const role = { realm: user.realm, client_id: clientId };
      await db.insertInto('client_roles').values({ ...role, name, description: null }).onConflict((oc) => oc.columns(['realm', 'client_id', 'name']).doNothing()).execute();
      await db.insertInto('user_client_roles').values({ ...role, user_id: user.id, role: name }).onConflict((oc) => oc.columns(['user_id', 'client_id', 'role']).doNothing()).execute();
    }
  }
}

/** A user's `groups` attribute (names or paths) as memberships of groups at those paths, made if missing. */
async function migrateGroups(db: Kysely<any>, user: { id: string; realm: string }, groups: unknown): Promise<void> {
  if (!Array.isArray(groups)) return;
  for (const path of groups) {
    if (typeof path !== 'string') continue;
    const names = path.split('/').filter((name) => name.length > 0);
    if (names.length === 0 || names.some((name) => !/^[^/\s][^/]{0,99}$/.test(name))) continue;
    let parent: string | null = null;
    for (const name of names) {
      let query = db.selectFrom('groups').select('id').where('realm', '=', user.realm).where('name', '=', name);
      query = parent === null ? query.where('parent_id', 'is', null) : query.where('parent_id', '=', parent);
      const found = (await query.executeTakeFirst()) as { id: string } | undefined;
      const id: string = found?.id ?? randomUUID();
      if (!found) await db.insertInto('groups').values({ id, realm: user.realm, name, parent_id: parent, created_at: Date.now() }).execute();
      parent = id;
    }
    await db.insertInto('group_members').values({ group_id: parent, user_id: user.id }).onConflict((oc) => oc.columns(['group_id', 'user_id']).doNothing()).execute();
  }
}

const migrations: Record<string, Migration> = {
  '0001_initial': initial,
  '0002_client_assertions': clientAssertions,
  '0003_login_failures': loginFailures,
  '0004_grant_claims': grantClaims,
  '0005_client_registration': clientRegistration,
  '0006_password_history': passwordHistory,
  '0007_device_codes': deviceCodes,
  '0008_pairwise_salts': pairwiseSalts,
  '0008_pushed_requests': pushedRequests,
  '0009_dpop_proofs': dpopProofs,
  '0010_grant_resources': grantResources,
  '0011_mfa': mfa,
  '0012_audit_events': auditEvents,
  '0013_revoked_access_tokens': revokedAccessTokens,
  '0014_cache_changes': cacheChanges,
  '0015_totp_enrolments': totpEnrolments,
  '0016_email': email,
  '0017_admin_api': adminApi,
  '0018_identity_providers': identityProviders,
  '0019_upstream_tokens': upstreamTokens,
  '0020_scale_indexes': scaleIndexes,
  '0021_session_devices': sessionDevices,
  '0022_initial_access_limits': initialAccessLimits,
  '0023_email_action_details': emailActionDetails,
  '0024_client_roles': clientRoles,
};

const provider: MigrationProvider = { getMigrations: async () => migrations };

/**
 * Applies the migrations not yet applied, all of them or (`upTo`, for tests of a migration's data) up
 * to that one. On PostgreSQL each migration commits on its own: the locks it takes (`create index`
 * blocks writes to its table, even when the index exists; `alter table` blocks reads too) end with
 * it, instead of lasting until every pending migration is done (docs/operations.md "Upgrades").
 */
export async function migrate(db: Kysely<any>, upTo?: string): Promise<void> {
  const migrator = new Migrator({ db, provider, migrationTableName: 'strix_migrations', migrationLockTableName: 'strix_migrations_lock' });
  for (;;) {
    const { error, results } = await (upTo === undefined ? migrator.migrateUp() : migrator.migrateTo(upTo));
    if (error) {
      const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
      throw new Error(`database migration ${failed} failed: ${(error as Error).message ?? error}`);
    }
    if (upTo !== undefined || !results?.length) return;
  }
}
