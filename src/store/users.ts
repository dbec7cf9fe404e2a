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
  /** The roles the user holds: those assigned and, at any depth, those their composite roles bring. */
  roles: string[];
  /** The roles given to the user directly (what the admin API and realm files read and write). */
  assignedRoles: string[];
  /** What the user must do at the next sign-in before it goes on (e.g. `update_password`). */
  requiredActions: string[];
  /** The paths of the groups the user is a direct member of (`/engineering/backend`), sorted. */
  groups: string[];
  /** The client roles the user holds, `{"<client_id>": ["editor"]}`: given directly or to a group or its ancestors, composites expanded. */
  clientRoles: Record<string, string[]>;
  /** The client roles given to the user directly. */
  assignedClientRoles: Record<string, string[]>;
}

/** What the admin API's user search filters by; every filter given must hold. */
export interface UserQuery {
  /** A prefix of the username, the e-mail address or any word of the name (case-insensitive). */
  search?: string;
  username?: string;
  email?: string;
  enabled?: boolean;
  first: number;
  max: number;
}

/** Claims whose words a search finds. */
const nameClaims = ['name', 'given_name', 'family_name', 'middle_name', 'nickname', 'preferred_username'];

/**
 * The terms a user is found by (table user_search): the username, the e-mail address and each word
 * of the name claims, lower-cased. A search for a prefix is then a range of one index.
 */
export function searchTerms(username: string, email: string | null, claims: UserClaims): string[] {
  const words = nameClaims.flatMap((claim) => (typeof claims[claim] === 'string' ? (claims[claim] as string).toLowerCase().split(/\s+/) : []));
  const terms = [username.toLowerCase(), ...(email ? [email.toLowerCase()] : []), ...words].filter((t) => t.length > 0).map((t) => t.slice(0, 200));
  return [...new Set(terms)];
}

/** The last code point: every string that starts with a prefix sorts below `prefix + this` (by code points, as both databases compare terms). */
const highest = '\u{10FFFF}';
/** Matches of a search prefix below which they are read first and sorted (see usersRepository's walkByUsername). */
const fewMatches = 1_000;

/** What the database builds for a user: group paths, and client roles as [client_id, role] pairs sorted by both. */
interface Memberships { groups: string[]; client_roles: [string, string][]; assigned_client_roles: [string, string][] }

/** [client_id, role] pairs as `{"<client_id>": [roles]}` (a Map first: a client may be called `__proto__`). */
export function byClient(pairs: [string, string][]): Record<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [clientId, role] of pairs) out.set(clientId, [...(out.get(clientId) ?? []), role]);
  return Object.fromEntries(out);
}

function membershipsOf(m: Memberships): Pick<User, 'groups' | 'clientRoles' | 'assignedClientRoles'> {
  return { groups: m.groups, clientRoles: byClient(m.client_roles), assignedClientRoles: byClient(m.assigned_client_roles) };
}

export interface NewUser {
  id: string; realm: string; username: string; email: string | null; passwordHash: string | null;
  claims: UserClaims; enabled: boolean;
}

export function usersRepository(db: Kysely<Database>, dialect: Dialect, reads: ReadCache) {
  // A user is read with its roles in one query (users are read on every token, userinfo and
  // introspection request): the roles come as a JSON array, which pg parses and SQLite returns as text.
  // `roles` are those held: given directly, or to a group the user is in or to any of its ancestors,
  // with composites expanded at any depth (on PostgreSQL the same query in the function
  // strix_held_roles, migration 0017, whose plan is kept); `assigned_roles` are those given directly.
  const held = sql`with recursive in_group(id) as (
      select group_id from group_members where user_id = users.id
      union select g.parent_id from groups g join in_group on g.id = in_group.id where g.parent_id is not null),
    held(role) as (
      select role from user_roles where user_id = users.id
      union select role from group_roles where group_id in (select id from in_group)
      union select c.composite from role_composites c join held on c.role = held.role where c.realm = users.realm)`;
  const roles = dialect === 'sqlite'
    ? sql<string>`(select json_group_array(role) from (${held} select role from held order by role))`.as('roles')
    : sql<string[]>`strix_held_roles(users.id, users.realm)`.as('roles');
  const assigned = dialect === 'sqlite'
    ? sql<string>`(select json_group_array(role) from (select role from user_roles where user_id = users.id order by role))`.as('assigned_roles')
    : sql<string[]>`(select coalesce(json_agg(role order by role), '[]'::json) from user_roles where user_id = users.id)`.as('assigned_roles');
  // Group paths and client roles (migration 0024's strix_user_memberships on PostgreSQL): JSON built
  // in the database, one object per user; SQLite loses the JSON subtype across subqueries, hence json().
  const memberships = dialect === 'sqlite'
    ? sql<string>`json_object(
        'groups', json((with recursive up(id, path) as (
            select g.parent_id, '/' || g.name from groups g join group_members m on m.group_id = g.id where m.user_id = users.id
            union all select p.parent_id, '/' || p.name || up.path from groups p join up on p.id = up.id)
          select json_group_array(path) from (select path from up where id is null order by path))),
        'client_roles', json((with recursive in_group(id) as (
            select group_id from group_members where user_id = users.id
            union select g.parent_id from groups g join in_group on g.id = in_group.id where g.parent_id is not null),
          held(client_id, role) as (
            select client_id, role from user_client_roles where user_id = users.id
            union select client_id, role from group_client_roles where group_id in (select id from in_group)
            union select c.client_id, c.composite from client_role_composites c join held on c.client_id = held.client_id and c.role = held.role where c.realm = users.realm)
          select json_group_array(json_array(client_id, role)) from (select client_id, role from held order by client_id, role))),
        'assigned_client_roles', json((select json_group_array(json_array(client_id, role))
          from (select client_id, role from user_client_roles where user_id = users.id order by client_id, role))))`.as('memberships')
    : sql<Memberships>`strix_user_memberships(users.id, users.realm)`.as('memberships');
  const withRoles = () => db.selectFrom('users').selectAll().select([roles, assigned, memberships]);
  const list = (value: string | string[]) => (typeof value === 'string' ? JSON.parse(value) as string[] : value);
  const toUser = (row: (Database['users'] & { roles: string | string[]; assigned_roles: string | string[]; memberships: string | Memberships }) | undefined): User | undefined => row && {
    id: row.id,
    realm: row.realm,
    username: row.username,
    email: row.email,
    passwordHash: row.password_hash,
    claims: JSON.parse(row.claims) as UserClaims,
    enabled: row.enabled === 1,
    updatedAt: row.updated_at,
    roles: list(row.roles),
    assignedRoles: list(row.assigned_roles),
    requiredActions: JSON.parse(row.required_actions) as string[],
    ...membershipsOf(typeof row.memberships === 'string' ? JSON.parse(row.memberships) as Memberships : row.memberships),
  };
  /** Replaces a user's search terms (inside the write that changed them). */
  const indexTerms = async (tx: Kysely<Database>, user: { id: string; realm: string; username: string; email: string | null; claims: UserClaims }) => {
    await tx.deleteFrom('user_search').where('user_id', '=', user.id).execute();
    const terms = searchTerms(user.username, user.email, user.claims);
    if (terms.length > 0) await tx.insertInto('user_search').values(terms.map((term) => ({ realm: user.realm, term, user_id: user.id }))).execute();
  };
  const matching = (realm: string, search: string) => {
    const prefix = search.toLowerCase();
    return db.selectFrom('user_search').select('user_id').where('realm', '=', realm).where('term', '>=', prefix).where('term', '<', prefix + highest);
  };
  /**
   * Whether a search reads the realm's users in username order (the (realm, username) index) and
   * keeps those that match, or reads the matches and sorts them. SQLite always takes the first plan,
   * which walks every user of the realm when a prefix matches few of them (225 ms for one match among
   * 100,000 users): below `fewMatches` matches it is told not to use the realm's index (`+realm`),
   * so the cost follows the matches. PostgreSQL's planner weighs this itself from its statistics.
   */
  const walkByUsername = async (realm: string, search: string | undefined): Promise<boolean> => {
    if (search === undefined || dialect !== 'sqlite') return true;
    const { n } = await db.selectFrom(matching(realm, search).limit(fewMatches).as('m')).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return Number(n) >= fewMatches;
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
      await db.transaction().execute(async (tx) => {
        await tx.insertInto('users').values({
          id: user.id, realm: user.realm, username: user.username.toLowerCase(), email: user.email,
          password_hash: user.passwordHash, claims: JSON.stringify(user.claims), enabled: user.enabled ? 1 : 0,
          created_at: now, updated_at: now, required_actions: '[]',
        }).execute();
        await indexTerms(tx, user);
      });
    },
    async updateProfile(id: string, email: string | null, claims: UserClaims, now: number): Promise<void> {
      await db.transaction().execute(async (tx) => {
        const row = await tx.updateTable('users').set({ email, claims: JSON.stringify(claims), updated_at: now }).where('id', '=', id)
          .returning(['realm', 'username']).executeTakeFirst();
        if (row) await indexTerms(tx, { id, realm: row.realm, username: row.username, email, claims });
      });
    },
    /** A page of the realm's users matching the query, by username (the unique index's order). */
    async search(realm: string, q: UserQuery): Promise<User[]> {
      let query = withRoles().where(await walkByUsername(realm, q.search) ? 'realm' : sql<string>`+realm`, '=', realm);
      if (q.search !== undefined) query = query.where('id', 'in', matching(realm, q.search));
      if (q.username !== undefined) query = query.where('username', '=', q.username.toLowerCase());
      if (q.email !== undefined) {
        query = query.where('id', 'in', db.selectFrom('user_search').select('user_id').where('realm', '=', realm).where('term', '=', q.email.toLowerCase()))
          .where(sql<string>`lower(email)`, '=', q.email.toLowerCase());
      }
      if (q.enabled !== undefined) query = query.where('enabled', '=', q.enabled ? 1 : 0);
      const rows = await query.orderBy('username').limit(q.max).offset(q.first).execute();
      return rows.map((row) => toUser(row)!);
    },
    /** Deletes the user and, by cascade, their sessions, roles, consents, credentials and search terms; true when they existed. */
    async remove(id: string): Promise<boolean> {
      const result = await db.deleteFrom('users').where('id', '=', id).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },
    async setRequiredActions(id: string, actions: string[], now: number): Promise<void> {
      await db.updateTable('users').set({ required_actions: JSON.stringify(actions), updated_at: now }).where('id', '=', id).execute();
    },
    async setPasswordHash(id: string, passwordHash: string, now: number): Promise<void> {
      await db.updateTable('users').set({ password_hash: passwordHash, updated_at: now }).where('id', '=', id).execute();
    },
    async setEnabled(id: string, enabled: boolean, now: number): Promise<void> {
      await db.updateTable('users').set({ enabled: enabled ? 1 : 0, updated_at: now }).where('id', '=', id).execute();
    },
    /** Replaces the client roles given to the user directly (each must be declared by its client). */
    async setClientRoles(userId: string, realm: string, clientRoles: Record<string, string[]>): Promise<void> {
      await db.transaction().execute(async (tx) => {
        await tx.deleteFrom('user_client_roles').where('user_id', '=', userId).execute();
        const rows = Object.entries(clientRoles).flatMap(([clientId, names]) => names.map((role) => ({ user_id: userId, realm, client_id: clientId, role })));
        if (rows.length > 0) await tx.insertInto('user_client_roles').values(rows).execute();
      });
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
