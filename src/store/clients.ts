// Registered clients, described with RFC 7591 client metadata; secrets only as hashes.
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';
import type { SigningAlg } from './realms.js';

export type TokenEndpointAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'none';
export const tokenEndpointAuthMethods: TokenEndpointAuthMethod[] = ['client_secret_basic', 'client_secret_post', 'none'];

export interface ClientMetadata {
  client_id: string;
  client_name?: string;
  redirect_uris: string[];
  post_logout_redirect_uris: string[];
  grant_types: string[];
  response_types: string[];
  token_endpoint_auth_method: TokenEndpointAuthMethod;
  scope: string;
  require_consent: boolean;
  allowed_origins?: string[];
  id_token_signed_response_alg?: SigningAlg;
  access_token_signed_response_alg?: SigningAlg;
  access_token_lifetime?: number;
  id_token_lifetime?: number;
  refresh_token_idle_lifetime?: number;
  refresh_token_absolute_lifetime?: number;
  pkce_plain_allowed?: boolean;
}

export interface Client {
  realm: string;
  clientId: string;
  metadata: ClientMetadata;
  secretHash: string | null;
  enabled: boolean;
  /** A confidential client authenticates at the token endpoint (RFC 6749 §2.1). */
  confidential: boolean;
}

export function clientsRepository(db: Kysely<Database>) {
  const toClient = (row: Database['clients']): Client => {
    const metadata = JSON.parse(row.metadata) as ClientMetadata;
    return {
      realm: row.realm,
      clientId: row.client_id,
      metadata,
      secretHash: row.secret_hash,
      enabled: row.enabled === 1,
      confidential: metadata.token_endpoint_auth_method !== 'none',
    };
  };
  return {
    async get(realm: string, clientId: string): Promise<Client | undefined> {
      const row = await db.selectFrom('clients').selectAll()
        .where('realm', '=', realm).where('client_id', '=', clientId).executeTakeFirst();
      return row && toClient(row);
    },
    async list(realm: string): Promise<Client[]> {
      return (await db.selectFrom('clients').selectAll().where('realm', '=', realm).orderBy('client_id').execute()).map(toClient);
    },
    /** Creates or replaces a client; a null secretHash keeps the stored one. Returns true when created. */
    async upsert(realm: string, metadata: ClientMetadata, secretHash: string | null, now: number): Promise<boolean> {
      const existing = await this.get(realm, metadata.client_id);
      if (existing) {
        await db.updateTable('clients')
          .set({ metadata: JSON.stringify(metadata), updated_at: now, ...(secretHash ? { secret_hash: secretHash } : {}) })
          .where('realm', '=', realm).where('client_id', '=', metadata.client_id).execute();
        return false;
      }
      await db.insertInto('clients').values({
        realm, client_id: metadata.client_id, secret_hash: secretHash, metadata: JSON.stringify(metadata),
        enabled: 1, created_at: now, updated_at: now,
      }).execute();
      return true;
    },
    async setSecretHash(realm: string, clientId: string, secretHash: string, now: number): Promise<boolean> {
      const result = await db.updateTable('clients').set({ secret_hash: secretHash, updated_at: now })
        .where('realm', '=', realm).where('client_id', '=', clientId).executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },
    async setEnabled(realm: string, clientId: string, enabled: boolean, now: number): Promise<boolean> {
      const result = await db.updateTable('clients').set({ enabled: enabled ? 1 : 0, updated_at: now })
        .where('realm', '=', realm).where('client_id', '=', clientId).executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },
  };
}
export type ClientsRepository = ReturnType<typeof clientsRepository>;
