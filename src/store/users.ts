// Users of a realm (OpenID Connect standard claims as attributes), their passwords and role assignments.
import { sql, type Kysely } from 'kysely';
import type { Dialect } from './db.js';
import type { ReadCache } from './read-cache.js';
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

export function usersRepository(db: Kysely<Database>, dialect: Dialect, reads: ReadCache) {
  // A user is read with its roles in one query (users are read on every token, userinfo and
  // introspection request): the roles come as a JSON array, which pg parses and SQLite returns as text.
  const roles = dialect === 'sqlite'
    ? sql<string>`(select json_group_array(role) from (select role from user_roles where user_id = users.id order by role))`.as('roles')
    : sql<string[]>`(select coalesce(json_agg(role order by role), '[]'::json) from user_roles where user_id = users.id)`.as('roles');
  const withRoles = () => db.selectFrom('users').selectAll().select(roles);
  const toUser = (row: (Database['users'] & { roles: string | string[] }) | undefined): User | undefined => row && {
    id: row.id,
    realm: row.realm,
    username: row.username,
    email: row.email,
    passwordHash: row.password_hash,
    claims: JSON.parse(row.claims) as UserClaims,
    enabled: row.enabled === 1,
    updatedAt: row.updated_at,
    roles: typeof row.roles === 'string' ? JSON.parse(row.roles) as string[] : row.roles,
  };
  return {
    /** Frozen: it may be shared with other requests. */
    async findById(id: string): Promise<User | undefined> {
      return reads.read(`user ${id}`, async () => toUser(await withRoles().where('id', '=', id).executeTakeFirst()));
    },
    /** Usernames are case-insensitive: stored and looked up lower-cased. */
    async findByUsername(realm: string, username: string): Promise<User | undefined> {
      return toUser(await withRoles()
        .where('realm', '=', realm).where('username', '=', username.toLowerCase()).executeTakeFirst());
    },
    /** The first user (by username) whose e-mail address is this one, compared case-insensitively. */
    async findByEmail(realm: string, email: string): Promise<User | undefined> {
      return toUser(await withRoles().where('realm', '=', realm).where(sql<string>`lower(email)`, '=', email.toLowerCase())
        .orderBy('username').limit(1).executeTakeFirst());
    },
    async list(realm: string): Promise<User[]> {
      const rows = await withRoles().where('realm', '=', realm).orderBy('username').execute();
      return rows.map((row) => toUser(row)!);
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
