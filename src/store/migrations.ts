// Schema migrations, applied at start (and by `strix migrate`). Append new ones; never edit old ones.
import { Kysely, Migrator, type Migration, type MigrationProvider } from 'kysely';

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

const migrations: Record<string, Migration> = {
  '0001_initial': initial,
  '0002_client_assertions': clientAssertions,
  '0003_login_failures': loginFailures,
  '0004_grant_claims': grantClaims,
  '0005_client_registration': clientRegistration,
  '0006_password_history': passwordHistory,
  '0011_mfa': mfa,
};

const provider: MigrationProvider = { getMigrations: async () => migrations };

export async function migrate(db: Kysely<any>): Promise<void> {
  const { error, results } = await new Migrator({ db, provider, migrationTableName: 'strix_migrations', migrationLockTableName: 'strix_migrations_lock' }).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`database migration ${failed} failed: ${(error as Error).message ?? error}`);
  }
}
