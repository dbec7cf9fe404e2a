// Signing keys of a realm: public JWK in clear, private JWK encrypted at rest by the keystore.
import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.js';
import type { SigningAlg } from './realms.js';

export type KeyStatus = 'next' | 'current' | 'retired';

export interface StoredKey {
  kid: string;
  realm: string;
  alg: SigningAlg;
  status: KeyStatus;
  publicJwk: Record<string, unknown>;
  encryptedPrivateJwk: string;
  createdAt: number;
  retiredAt: number | null;
}

/** A key as the keystore keeps it: all but the sealed private part, read when the key first signs. */
export type PublishedKey = Omit<StoredKey, 'realm' | 'encryptedPrivateJwk'>;

export function signingKeysRepository(db: Kysely<Database>) {
  const toKey = (row: Database['signing_keys']): StoredKey => ({
    kid: row.kid, realm: row.realm, alg: row.alg as SigningAlg, status: row.status as KeyStatus,
    publicJwk: JSON.parse(row.public_jwk) as Record<string, unknown>, encryptedPrivateJwk: row.private_jwk,
    createdAt: row.created_at, retiredAt: row.retired_at,
  });
  return {
    async list(realm: string): Promise<StoredKey[]> {
      return (await db.selectFrom('signing_keys').selectAll().where('realm', '=', realm).orderBy('created_at').execute()).map(toKey);
    },
    /** The realm's keys without their private parts, in no particular order (one probe of the key index). */
    async published(realm: string): Promise<PublishedKey[]> {
      const rows = await db.selectFrom('signing_keys').select(['kid', 'alg', 'status', 'public_jwk', 'created_at', 'retired_at'])
        .where('realm', '=', realm).execute();
      return rows.map((row) => ({
        kid: row.kid, alg: row.alg as SigningAlg, status: row.status as KeyStatus, publicJwk: JSON.parse(row.public_jwk) as Record<string, unknown>,
        createdAt: row.created_at, retiredAt: row.retired_at,
      }));
    },
    /** The sealed private JWK of one key (undefined: no such key). */
    async sealedPrivateJwk(kid: string): Promise<string | undefined> {
      return (await db.selectFrom('signing_keys').select('private_jwk').where('kid', '=', kid).executeTakeFirst())?.private_jwk;
    },
    /**
     * The realms that lack a current or a next key of one of `algs`: one pass over the key index
     * (migration 0019), so that a start-up on 10,000 realms reads no realm's keys (~30 ms).
     */
    async realmsLacking(algs: readonly string[]): Promise<string[]> {
      const complete = db.selectFrom('signing_keys').select('realm').where('status', 'in', ['current', 'next']).where('alg', 'in', algs)
        .groupBy('realm').having(sql<number>`count(distinct alg || ':' || status)`, '=', algs.length * 2);
      const rows = await db.selectFrom('realms').select('name').where('name', 'not in', complete).execute();
      return rows.map((r) => r.name);
    },
    async insert(key: StoredKey): Promise<void> {
      await db.insertInto('signing_keys').values({
        kid: key.kid, realm: key.realm, alg: key.alg, status: key.status, public_jwk: JSON.stringify(key.publicJwk),
        private_jwk: key.encryptedPrivateJwk, created_at: key.createdAt, retired_at: key.retiredAt,
      }).execute();
    },
    async setStatus(kid: string, status: KeyStatus, retiredAt: number | null): Promise<void> {
      await db.updateTable('signing_keys').set({ status, retired_at: retiredAt }).where('kid', '=', kid).execute();
    },
    async remove(kid: string): Promise<void> {
      await db.deleteFrom('signing_keys').where('kid', '=', kid).execute();
    },
  };
}
export type SigningKeysRepository = ReturnType<typeof signingKeysRepository>;
