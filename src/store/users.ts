// Users of a realm (OpenID Connect standard claims as attributes), their passwords and role assignments.
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

/** Standard claims other than sub / email / email_verified kept as the user's attributes. */
export type UserClaims = Record<string, unknown>;

export interface User {
  id: string;
  realm: string;
  username: string;
  email: string | null;
  passwordHash: string | null;
  claims: UserClaims;
  enabled: boolean;
  updatedAt: number;
  roles: string[];
}

export interface NewUser {
  id: string; realm: string; username: string; email: string | null; passwordHash: string | null;
  claims: UserClaims; enabled: boolean;
}

export function usersRepository(db: Kysely<Database>) {
  const rolesOf = async (userId: string): Promise<string[]> =>
    (await db.selectFrom('user_roles').select('role').where('user_id', '=', userId).orderBy('role').execute()).map((r) => r.role);
  const toUser = async (row: Database['users'] | undefined): Promise<User | undefined> => row && {
    id: row.id,
    realm: row.realm,
    username: row.username,
    email: row.email,
    passwordHash: row.password_hash,
    claims: JSON.parse(row.claims) as UserClaims,
    enabled: row.enabled === 1,
    updatedAt: row.updated_at,
    roles: await rolesOf(row.id),
  };
  return {
    async findById(id: string): Promise<User | undefined> {
      return toUser(await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst());
    },
    /** Usernames are case-insensitive: stored and looked up lower-cased. */
    async findByUsername(realm: string, username: string): Promise<User | undefined> {
      return toUser(await db.selectFrom('users').selectAll()
        .where('realm', '=', realm).where('username', '=', username.toLowerCase()).executeTakeFirst());
    },
    async list(realm: string): Promise<User[]> {
      const rows = await db.selectFrom('users').selectAll().where('realm', '=', realm).orderBy('username').execute();
      return Promise.all(rows.map(async (row) => (await toUser(row))!));
    },
    async create(user: NewUser, now: number): Promise<void> {
      await db.insertInto('users').values({
        id: user.id, realm: user.realm, username: user.username.toLowerCase(), email: user.email,
        password_hash: user.passwordHash, claims: JSON.stringify(user.claims), enabled: user.enabled ? 1 : 0,
        created_at: now, updated_at: now,
      }).execute();
    },
    async updateProfile(id: string, email: string | null, claims: UserClaims, now: number): Promise<void> {
      await db.updateTable('users').set({ email, claims: JSON.stringify(claims), updated_at: now }).where('id', '=', id).execute();
    },
    async setPasswordHash(id: string, passwordHash: string, now: number): Promise<void> {
      await db.updateTable('users').set({ password_hash: passwordHash, updated_at: now }).where('id', '=', id).execute();
    },
    async setEnabled(id: string, enabled: boolean, now: number): Promise<void> {
      await db.updateTable('users').set({ enabled: enabled ? 1 : 0, updated_at: now }).where('id', '=', id).execute();
    },
    async setRoles(userId: string, roles: string[]): Promise<void> {
      await db.transaction().execute(async (tx) => {
        await tx.deleteFrom('user_roles').where('user_id', '=', userId).execute();
        if (roles.length > 0) await tx.insertInto('user_roles').values(roles.map((role) => ({ user_id: userId, role }))).execute();
      });
    },
  };
}
export type UsersRepository = ReturnType<typeof usersRepository>;
