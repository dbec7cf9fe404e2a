// Realms and their settings (lifetimes in seconds, signing algorithms, described scopes).
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

export type SigningAlg = 'RS256' | 'ES256' | 'EdDSA';
export const signingAlgs: SigningAlg[] = ['RS256', 'ES256', 'EdDSA'];

export interface ScopeDescription { name: string; description: string }

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
  default_locale: string;
}

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
  default_locale: 'en',
};

export interface Realm { name: string; displayName: string; settings: RealmSettings }

export function realmsRepository(db: Kysely<Database>) {
  const toRealm = (row: Database['realms']): Realm => ({
    name: row.name,
    displayName: row.display_name,
    settings: { ...defaultRealmSettings, ...JSON.parse(row.settings) },
  });
  return {
    async get(name: string): Promise<Realm | undefined> {
      const row = await db.selectFrom('realms').selectAll().where('name', '=', name).executeTakeFirst();
      return row && toRealm(row);
    },
    async list(): Promise<Realm[]> {
      return (await db.selectFrom('realms').selectAll().orderBy('name').execute()).map(toRealm);
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
        return false;
      }
      const result = await db.insertInto('realms').values({ name: realm.name, created_at: now, ...values })
        .onConflict((oc) => oc.column('name').doNothing()).executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
    },
  };
}
export type RealmsRepository = ReturnType<typeof realmsRepository>;
