// Registered clients, described with RFC 7591 client metadata; secrets as keyed hashes (and, for
// client_secret_jwt only, sealed).
import type { JWK } from 'jose';
import type { Kysely } from 'kysely';
import { localChanges, type Changes } from './changes.js';
import { RecentCache } from './recent-cache.js';
import type { Database } from './schema.js';
import type { EmailSignIn, MfaPolicy, SigningAlg } from './realms.js';
import type { ClaimMapper } from './custom-rules.js';

/** Client authentication methods (RFC 6749 §2.3.1, OIDC Core §9); discovery advertises exactly these. */
export const tokenEndpointAuthMethods = ['client_secret_basic', 'client_secret_post', 'client_secret_jwt', 'private_key_jwt', 'none'] as const;
export type TokenEndpointAuthMethod = typeof tokenEndpointAuthMethods[number];

/** JWS algorithms for client assertions, by method: HMAC with the secret, or a signature with a client key. */
export const clientAssertionAlgs = {
  client_secret_jwt: ['HS256', 'HS384', 'HS512'],
  private_key_jwt: ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'],
} as const;
export type ClientAssertionAlg = typeof clientAssertionAlgs[keyof typeof clientAssertionAlgs][number];

/**
 * Signatures with the client's keys, HMACs with its secret, and `none`. OIDC Registration §2: a
 * client that registered no request_object_signing_alg may use any of these, so an unsigned object
 * is taken from it too; it carries no more authority than the query parameters it replaces.
 */
export const requestObjectSigningAlgs: readonly string[] = [...clientAssertionAlgs.private_key_jwt, ...clientAssertionAlgs.client_secret_jwt, 'none'];

/** A JWK Set of public keys (RFC 7517 §5), as registered in the `jwks` client metadata. */
export interface PublicJwks { keys: JWK[] }

export interface ClientMetadata {
  client_id: string;
  client_name?: string;
  /** OIDC Dynamic Registration §2: "web" (the default) or "native". */
  application_type?: 'web' | 'native';
  /** Informational (RFC 7591 §2): shown to people, never used to make decisions. */
  contacts?: string[];
  client_uri?: string;
  logo_uri?: string;
  policy_uri?: string;
  tos_uri?: string;
  redirect_uris: string[];
  post_logout_redirect_uris: string[];
  grant_types: string[];
  response_types: string[];
  token_endpoint_auth_method: TokenEndpointAuthMethod;
  /** private_key_jwt keys: inline, or fetched from jwks_uri (RFC 7591 §2), never both. */
  jwks?: PublicJwks;
  jwks_uri?: string;
  /** When set, the only alg accepted in this client's assertions (RFC 7591 §2). */
  token_endpoint_auth_signing_alg?: ClientAssertionAlg;
  /** OIDC Registration §2: when set, the only alg accepted in this client's request objects ("none" opts in to unsigned ones). */
  request_object_signing_alg?: ClientAssertionAlg | 'none';
  /** OIDC Registration §2: when set, every request_uri must be one of these (or below one). */
  request_uris?: string[];
  scope: string;
  require_consent: boolean;
  allowed_origins?: string[];
  id_token_signed_response_alg?: SigningAlg;
  access_token_signed_response_alg?: SigningAlg;
  /** OIDC Registration §2: when set, userinfo answers with a JWT signed with this alg (OIDC Core §5.3.2). */
  userinfo_signed_response_alg?: SigningAlg;
  access_token_lifetime?: number;
  id_token_lifetime?: number;
  refresh_token_idle_lifetime?: number;
  refresh_token_absolute_lifetime?: number;
  pkce_plain_allowed?: boolean;
  /** OIDC Back-Channel Logout 1.0 §2.2: where logout tokens are POSTed when a session ends. */
  backchannel_logout_uri?: string;
  backchannel_logout_session_required?: boolean;
  /** OIDC Front-Channel Logout 1.0 §2: loaded in an iframe of the sign-out page. */
  frontchannel_logout_uri?: string;
  frontchannel_logout_session_required?: boolean;
  /** RFC 9449 §5.2: every token request of this client must carry a DPoP proof. */
  dpop_bound_access_tokens?: boolean;
  /** Addresses / CIDR blocks this client may be used from; deny wins (src/security/ip-rules.ts). */
  ip_allow?: string[];
  ip_deny?: string[];
  /** RFC 8707: the realm resources this client may ask tokens for; absent means all of them. */
  allowed_resources?: string[];
  /** RFC 8693: clients whose tokens this client may exchange besides its own and those naming it in `aud`. */
  token_exchange_subject_clients?: string[];
  /** OIDC Core §8: "public" (the default) or "pairwise" (a sub per sector, src/tokens/subject.ts). */
  subject_type?: 'public' | 'pairwise';
  /** OIDC Registration §5: a JSON list of the client's redirect URIs; its host is the pairwise sector. */
  sector_identifier_uri?: string;
  /** RFC 9126 §6: this client's authorization requests must be pushed (PAR). */
  require_pushed_authorization_requests?: boolean;
  /** OIDC Core §4: where a third party starts a sign-in at this client (https only). */
  initiate_login_uri?: string;
  /** Custom claims for this client's tokens; they replace realm mappers writing the same claim (src/tokens/mappers.ts). */
  claim_mappers?: ClaimMapper[];
  /** Second-factor policy for this client, on top of the realm's (src/identity/mfa.ts). */
  mfa?: MfaPolicy;
  /** Sign-in by e-mail code (and link) for this client, in place of the realm's `email_sign_in`. */
  email_sign_in?: EmailSignIn;
  /** Master realm only: what this client's client_credentials tokens may do at the admin API (src/admin/api-access.ts). */
  service_account_roles?: string[];
  /** Roles of this client that users and groups hold (`client_roles`); kept in tables, not in the metadata's JSON. */
  roles?: ClientRole[];
}

/** A role a client declares; composites are other roles of the same client that whoever holds it holds too. */
export interface ClientRole { name: string; description?: string; composites?: string[] }

export interface Client {
  realm: string;
  clientId: string;
  metadata: ClientMetadata;
  secretHash: string | null;
  /** The secret encrypted with the master key; only client_secret_jwt clients have one. */
  secretSealed: string | null;
  enabled: boolean;
  /** A confidential client authenticates at the token endpoint (RFC 6749 §2.1). */
  confidential: boolean;
}

/** How a client is named in cache announcements (changes.ts 'client'): caches of client data key their entries so. */
export const clientCacheKey = (realm: string, clientId: string): string => `${realm}\u0000${clientId}`;

/** Code-point order, the same in every database (a collation may sort otherwise). */
export const byCodePoint = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export function clientsRepository(db: Kysely<Database>, changes: Changes = localChanges(), cachedClients = 10_000) {
  const toClient = (row: Database['clients']): Client => {
    const metadata = JSON.parse(row.metadata) as ClientMetadata;
    return {
      realm: row.realm,
      clientId: row.client_id,
      metadata,
      secretHash: row.secret_hash,
      secretSealed: row.secret_sealed,
      enabled: row.enabled === 1,
      confidential: metadata.token_endpoint_auth_method !== 'none',
    };
  };
  // Every token request looks its client up: keep it for a second (see RecentCache).
  const recent = new RecentCache<Client>(1_000, cachedClients);
  // Whether a realm has an enabled client with a grant type (discovery asks on every request):
  // any client change may alter the answer, and changes are rare, so each drops every answer.
  const grantTypeUse = new RecentCache<boolean>(1_000, cachedClients);
  changes.on('client', (key) => {
    if (key === undefined) recent.clear();
    else recent.delete(key);
    grantTypeUse.clear();
  });
  /** Runs a write, then drops the cached client here and on every node, so that no read can re-cache the old row. */
  const writing = async <T>(realm: string, clientId: string, write: () => Promise<T>): Promise<T> => {
    try {
      return await write();
    } finally {
      await changes.announce('client', clientCacheKey(realm, clientId));
    }
  };
  type RoleRow = { client_id: string; name: string; description: string | null };
  type CompositeRow = { client_id: string; role: string; composite: string };
  /** The clients of these rows with the roles and composites given (those of other clients are ignored). */
  const withRoleRows = (rows: Database['clients'][], roles: RoleRow[], composites: CompositeRow[]): Client[] => {
    const clients = rows.map(toClient);
    for (const client of clients) {
      const own = roles.filter((r) => r.client_id === client.clientId);
      if (own.length === 0) continue;
      // Sorted here, by code point: a database's collation may order names otherwise than a realm file's parser does.
      client.metadata.roles = own.map((r) => {
        const brings = composites.filter((c) => c.client_id === client.clientId && c.role === r.name).map((c) => c.composite).sort(byCodePoint);
        return { name: r.name, ...(r.description === null ? {} : { description: r.description }), ...(brings.length > 0 ? { composites: brings } : {}) };
      }).sort((a, b) => byCodePoint(a.name, b.name));
    }
    return clients;
  };
  /** The clients of these rows with their roles (two queries whatever the number of rows). */
  const withRoles = async (realm: string, rows: Database['clients'][]): Promise<Client[]> => {
    if (rows.length === 0) return [];
    const ids = rows.map((row) => row.client_id);
    const roles = await db.selectFrom('client_roles').select(['client_id', 'name', 'description']).where('realm', '=', realm).where('client_id', 'in', ids).execute();
    const composites = await db.selectFrom('client_role_composites').select(['client_id', 'role', 'composite']).where('realm', '=', realm).where('client_id', 'in', ids).execute();
    return withRoleRows(rows, roles, composites);
  };
  /** One client with its roles, in one query: a row per role and composite it brings (one row without roles). */
  const read = async (realm: string, clientId: string): Promise<Client | undefined> => {
    const rows = await db.selectFrom('clients')
      .leftJoin('client_roles as r', (join) => join.onRef('r.realm', '=', 'clients.realm').onRef('r.client_id', '=', 'clients.client_id'))
      .leftJoin('client_role_composites as x', (join) => join.onRef('x.realm', '=', 'r.realm').onRef('x.client_id', '=', 'r.client_id').onRef('x.role', '=', 'r.name'))
      .selectAll('clients').select(['r.name as role_name', 'r.description as role_description', 'x.composite as role_composite'])
      .where('clients.realm', '=', realm).where('clients.client_id', '=', clientId).execute();
    const [first] = rows;
    if (!first) return undefined;
    const roles = new Map<string, RoleRow>();
    const composites: CompositeRow[] = [];
    for (const row of rows) {
      if (row.role_name === null) continue;
      roles.set(row.role_name, { client_id: clientId, name: row.role_name, description: row.role_description });
      if (row.role_composite !== null) composites.push({ client_id: clientId, role: row.role_name, composite: row.role_composite });
    }
    return withRoleRows([first], [...roles.values()], composites)[0];
  };
  /**
   * Replaces the client's roles: a role no longer declared is deleted with its assignments (foreign
   * keys), the others are kept with their holders.
   */
  const writeRoles = async (tx: Kysely<Database>, realm: string, clientId: string, roles: ClientRole[]) => {
    const names = roles.map((r) => r.name);
    let gone = tx.deleteFrom('client_roles').where('realm', '=', realm).where('client_id', '=', clientId);
    if (names.length > 0) gone = gone.where('name', 'not in', names);
    await gone.execute();
    await tx.deleteFrom('client_role_composites').where('realm', '=', realm).where('client_id', '=', clientId).execute();
    for (const role of roles) {
      await tx.insertInto('client_roles').values({ realm, client_id: clientId, name: role.name, description: role.description ?? null })
        .onConflict((oc) => oc.columns(['realm', 'client_id', 'name']).doUpdateSet({ description: role.description ?? null })).execute();
    }
    const edges = roles.flatMap((role) => (role.composites ?? []).map((composite) => ({ realm, client_id: clientId, role: role.name, composite })));
    if (edges.length > 0) await tx.insertInto('client_role_composites').values(edges).execute();
  };
  return {
    async get(realm: string, clientId: string): Promise<Client | undefined> {
      await changes.poll();
      return recent.through(clientCacheKey(realm, clientId), () => read(realm, clientId));
    },
    /** True when at least one enabled client of the realm lists `grantType` in its grant_types. */
    async anyEnabledWithGrantType(realm: string, grantType: string): Promise<boolean> {
      await changes.poll();
      // LIKE narrows the rows to those that mention the name at all (`_` may match more, never
      // less); the metadata itself decides.
      const used = await grantTypeUse.through(clientCacheKey(realm, grantType), async () => {
        const rows = await db.selectFrom('clients').select('metadata')
          .where('realm', '=', realm).where('enabled', '=', 1).where('metadata', 'like', `%${JSON.stringify(grantType)}%`)
          .execute();
        return rows.some((row) => (JSON.parse(row.metadata) as ClientMetadata).grant_types.includes(grantType));
      });
      return used === true;
    },
    async list(realm: string): Promise<Client[]> {
      return withRoles(realm, await db.selectFrom('clients').selectAll().where('realm', '=', realm).orderBy('client_id').execute());
    },
    /** A page of the realm's clients by client_id (the primary key's order). */
    async page(realm: string, first: number, max: number): Promise<Client[]> {
      return withRoles(realm, await db.selectFrom('clients').selectAll().where('realm', '=', realm).orderBy('client_id').limit(max).offset(first).execute());
    },
    /**
     * Creates or replaces a client; a null secretHash keeps the stored secret, a new one replaces
     * both its forms (see storedSecret). Returns true when created.
     */
    async upsert(realm: string, metadata: ClientMetadata, secretHash: string | null, now: number, secretSealed: string | null = null): Promise<boolean> {
      // A sealed secret is kept only while the client uses client_secret_jwt (see storedSecret).
      const secretJwt = metadata.token_endpoint_auth_method === 'client_secret_jwt';
      const sealed = secretJwt ? secretSealed : null;
      const { roles = [], ...stored } = metadata;
      return writing(realm, metadata.client_id, () => db.transaction().execute(async (tx) => {
        const existing = await tx.selectFrom('clients').select('client_id').where('realm', '=', realm).where('client_id', '=', metadata.client_id).executeTakeFirst();
        if (existing) {
          const secret = secretHash ? { secret_hash: secretHash, secret_sealed: sealed } : secretJwt ? {} : { secret_sealed: null };
          await tx.updateTable('clients')
            .set({ metadata: JSON.stringify(stored), updated_at: now, ...secret })
            .where('realm', '=', realm).where('client_id', '=', metadata.client_id).execute();
        } else {
          await tx.insertInto('clients').values({
            realm, client_id: metadata.client_id, secret_hash: secretHash, secret_sealed: secretHash ? sealed : null,
            metadata: JSON.stringify(stored), enabled: 1, created_at: now, updated_at: now,
          }).execute();
        }
        await writeRoles(tx, realm, metadata.client_id, roles);
        return !existing;
      }));
    },
    /**
     * Replaces the secret. Pass the sealed form for a client_secret_jwt client (storedSecret gives
     * both); without it such a client cannot authenticate until it gets one, and the old secret
     * never keeps working after a rotation.
     */
    async setSecretHash(realm: string, clientId: string, secretHash: string, now: number, secretSealed: string | null = null): Promise<boolean> {
      const result = await writing(realm, clientId, () => db.updateTable('clients').set({ secret_hash: secretHash, secret_sealed: secretSealed, updated_at: now })
        .where('realm', '=', realm).where('client_id', '=', clientId).executeTakeFirst());
      return Number(result.numUpdatedRows) > 0;
    },
    /** Deletes the client (and, by cascade, its dynamic registration); true when it existed. */
    async remove(realm: string, clientId: string): Promise<boolean> {
      const result = await writing(realm, clientId, () => db.deleteFrom('clients').where('realm', '=', realm).where('client_id', '=', clientId).executeTakeFirst());
      return Number(result.numDeletedRows) > 0;
    },
    async setEnabled(realm: string, clientId: string, enabled: boolean, now: number): Promise<boolean> {
      const result = await writing(realm, clientId, () => db.updateTable('clients').set({ enabled: enabled ? 1 : 0, updated_at: now })
        .where('realm', '=', realm).where('client_id', '=', clientId).executeTakeFirst());
      return Number(result.numUpdatedRows) > 0;
    },
  };
}
export type ClientsRepository = ReturnType<typeof clientsRepository>;

/**
 * The forms a client secret is stored in: always a keyed digest, which is all that
 * client_secret_basic and client_secret_post need to check it. client_secret_jwt alone needs the
 * secret itself (to verify an HMAC), so only its clients also get it sealed; for every other
 * client a stolen database plus master key still does not reveal the secret.
 */
export function storedSecret(
  secret: string, method: TokenEndpointAuthMethod, sealer: { digest(s: string): string; seal(s: string): string },
): { hash: string; sealed: string | null } {
  return { hash: sealer.digest(secret), sealed: method === 'client_secret_jwt' ? sealer.seal(secret) : null };
}
