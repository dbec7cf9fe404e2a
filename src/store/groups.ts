// Groups of a realm: they nest, carry realm roles and client roles, and have users as members. A member holds the
// roles of the group and of every ancestor (users.ts reads them with the user).
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';
import { byClient } from './users.js';

export interface Group {
  id: string;
  realm: string;
  name: string;
  parentId: string | null;
  /** `/engineering/backend`: the names from the top. */
  path: string;
  roles: string[];
  /** Client roles every member holds, `{"<client_id>": ["editor"]}`. */
  clientRoles: Record<string, string[]>;
}

/** A group as written: its realm roles and, when given, its client roles (absent: left as they are). */
export interface GroupRoles { roles: string[]; clientRoles?: Record<string, string[]> }

export function groupsRepository(db: Kysely<Database>) {
  const pathOf = async (row: Database['groups']): Promise<string> => {
    const names = [row.name];
    // Depth is small, and a parent always exists (cascade): one query per level.
    for (let parent = row.parent_id; parent !== null;) {
      const up = await db.selectFrom('groups').select(['name', 'parent_id']).where('id', '=', parent).executeTakeFirst();
      if (!up) break;
      names.unshift(up.name);
      parent = up.parent_id;
    }
    return `/${names.join('/')}`;
  };
  const toGroup = async (row: Database['groups']): Promise<Group> => ({
    id: row.id, realm: row.realm, name: row.name, parentId: row.parent_id, path: await pathOf(row),
    roles: (await db.selectFrom('group_roles').select('role').where('group_id', '=', row.id).orderBy('role').execute()).map((r) => r.role),
    clientRoles: byClient((await db.selectFrom('group_client_roles').select(['client_id', 'role']).where('group_id', '=', row.id).orderBy('client_id').orderBy('role').execute())
      .map((r): [string, string] => [r.client_id, r.role])),
  });
  const writeRoles = async (tx: Kysely<Database>, group: { id: string; realm: string }, roles: GroupRoles) => {
    await tx.deleteFrom('group_roles').where('group_id', '=', group.id).execute();
    if (roles.roles.length > 0) await tx.insertInto('group_roles').values(roles.roles.map((role) => ({ group_id: group.id, role }))).execute();
    if (roles.clientRoles === undefined) return;
    await tx.deleteFrom('group_client_roles').where('group_id', '=', group.id).execute();
    const rows = Object.entries(roles.clientRoles).flatMap(([clientId, names]) => names.map((role) => ({ group_id: group.id, realm: group.realm, client_id: clientId, role })));
    if (rows.length > 0) await tx.insertInto('group_client_roles').values(rows).execute();
  };
  return {
    async get(realm: string, id: string): Promise<Group | undefined> {
      const row = await db.selectFrom('groups').selectAll().where('realm', '=', realm).where('id', '=', id).executeTakeFirst();
      return row && toGroup(row);
    },
    /** The groups directly under `parentId` (null: the top level), by name. */
    async children(realm: string, parentId: string | null, first: number, max: number): Promise<Group[]> {
      let query = db.selectFrom('groups').selectAll().where('realm', '=', realm);
      query = parentId === null ? query.where('parent_id', 'is', null) : query.where('parent_id', '=', parentId);
      const rows = await query.orderBy('name').orderBy('id').limit(max).offset(first).execute();
      return Promise.all(rows.map(toGroup));
    },
    /** Whether a sibling (same parent) other than `except` already has this name. */
    async nameTaken(realm: string, parentId: string | null, name: string, except?: string): Promise<boolean> {
      let query = db.selectFrom('groups').select('id').where('realm', '=', realm).where('name', '=', name);
      query = parentId === null ? query.where('parent_id', 'is', null) : query.where('parent_id', '=', parentId);
      if (except !== undefined) query = query.where('id', '!=', except);
      return (await query.executeTakeFirst()) !== undefined;
    },
    async create(group: { id: string; realm: string; name: string; parentId: string | null } & GroupRoles, now: number): Promise<void> {
      await db.transaction().execute(async (tx) => {
        await tx.insertInto('groups').values({ id: group.id, realm: group.realm, name: group.name, parent_id: group.parentId, created_at: now }).execute();
        await writeRoles(tx, group, group);
      });
    },
    async update(group: { id: string; realm: string; name: string } & GroupRoles): Promise<void> {
      await db.transaction().execute(async (tx) => {
        await tx.updateTable('groups').set({ name: group.name }).where('id', '=', group.id).execute();
        await writeRoles(tx, group, group);
      });
    },
    /** The group at a path (`/engineering/backend`; the leading slash may be left out), if there is one. */
    async byPath(realm: string, path: string): Promise<Group | undefined> {
      let parent: string | null = null;
      let row: Database['groups'] | undefined;
      for (const name of path.split('/').filter(Boolean)) {
        let query = db.selectFrom('groups').selectAll().where('realm', '=', realm).where('name', '=', name);
        query = parent === null ? query.where('parent_id', 'is', null) : query.where('parent_id', '=', parent);
        row = await query.executeTakeFirst();
        if (!row) return undefined;
        parent = row.id;
      }
      return row && toGroup(row);
    },
    /** Every group of the realm, parents before their children. */
    async all(realm: string): Promise<Group[]> {
      const out: Group[] = [];
      const walk = async (parentId: string | null): Promise<void> => {
        let query = db.selectFrom('groups').selectAll().where('realm', '=', realm);
        query = parentId === null ? query.where('parent_id', 'is', null) : query.where('parent_id', '=', parentId);
        for (const row of await query.orderBy('name').execute()) {
          out.push(await toGroup(row));
          await walk(row.id);
        }
      };
      await walk(null);
      return out;
    },
    /** Replaces the user's memberships with these groups. */
    async setMemberships(userId: string, groupIds: string[]): Promise<void> {
      await db.transaction().execute(async (tx) => {
        await tx.deleteFrom('group_members').where('user_id', '=', userId).execute();
        const ids = [...new Set(groupIds)];
        if (ids.length > 0) await tx.insertInto('group_members').values(ids.map((group_id) => ({ group_id, user_id: userId }))).execute();
      });
    },
    /** Deletes the group with its subgroups and memberships (cascade). */
    async remove(id: string): Promise<void> {
      await db.deleteFrom('groups').where('id', '=', id).execute();
    },
    /** Member user ids, by username. */
    async members(groupId: string, first: number, max: number): Promise<string[]> {
      const rows = await db.selectFrom('group_members').innerJoin('users', 'users.id', 'group_members.user_id')
        .select('users.id').where('group_members.group_id', '=', groupId).orderBy('users.username').limit(max).offset(first).execute();
      return rows.map((r) => r.id);
    },
    async addMember(groupId: string, userId: string): Promise<void> {
      await db.insertInto('group_members').values({ group_id: groupId, user_id: userId })
        .onConflict((oc) => oc.columns(['group_id', 'user_id']).doNothing()).execute();
    },
    async removeMember(groupId: string, userId: string): Promise<boolean> {
      const result = await db.deleteFrom('group_members').where('group_id', '=', groupId).where('user_id', '=', userId).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },
    /** The groups the user is a direct member of, by name. */
    async groupsOf(userId: string): Promise<Group[]> {
      const rows = await db.selectFrom('groups').selectAll().where('id', 'in', db.selectFrom('group_members').select('group_id').where('user_id', '=', userId))
        .orderBy('name').execute();
      return Promise.all(rows.map(toGroup));
    },
  };
}
export type GroupsRepository = ReturnType<typeof groupsRepository>;
