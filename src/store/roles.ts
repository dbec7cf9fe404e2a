// Realm roles: names that users hold and that tokens carry in the `roles` claim. A composite role
// brings others with it (`"composites": ["viewer"]`): whoever holds it holds those too (users.ts).
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

export interface Role { name: string; description: string | null; composites: string[] }

export function rolesRepository(db: Kysely<Database>) {
  const compositesOf = async (realm: string, names: string[]): Promise<Map<string, string[]>> => {
    const map = new Map<string, string[]>(names.map((name) => [name, []]));
    if (names.length === 0) return map;
    const rows = await db.selectFrom('role_composites').select(['role', 'composite']).where('realm', '=', realm).where('role', 'in', names)
      .orderBy('role').orderBy('composite').execute();
    for (const row of rows) map.get(row.role)?.push(row.composite);
    return map;
  };
  const setComposites = async (tx: Kysely<Database>, realm: string, role: Role) => {
    await tx.deleteFrom('role_composites').where('realm', '=', realm).where('role', '=', role.name).execute();
    if (role.composites.length > 0) {
      await tx.insertInto('role_composites').values(role.composites.map((composite) => ({ realm, role: role.name, composite }))).execute();
    }
  };
  return {
    async ensure(realm: string, names: string[]): Promise<void> {
      for (const name of names) {
        await db.insertInto('roles').values({ realm, name, description: null })
          .onConflict((oc) => oc.columns(['realm', 'name']).doNothing()).execute();
      }
    },
    async list(realm: string): Promise<string[]> {
      return (await db.selectFrom('roles').select('name').where('realm', '=', realm).orderBy('name').execute()).map((r) => r.name);
    },
    /** A page of the realm's roles by name (the primary key's order), with their composites. */
    async page(realm: string, first: number, max: number): Promise<Role[]> {
      const rows = await db.selectFrom('roles').select(['name', 'description']).where('realm', '=', realm).orderBy('name').limit(max).offset(first).execute();
      const composites = await compositesOf(realm, rows.map((r) => r.name));
      return rows.map((r) => ({ name: r.name, description: r.description, composites: composites.get(r.name) ?? [] }));
    },
    async get(realm: string, name: string): Promise<Role | undefined> {
      const row = await db.selectFrom('roles').select(['name', 'description']).where('realm', '=', realm).where('name', '=', name).executeTakeFirst();
      return row && { name: row.name, description: row.description, composites: (await compositesOf(realm, [name])).get(name) ?? [] };
    },
    /** Every composite edge of the realm: role → the roles it brings (to refuse a cycle before storing one). */
    async compositeGraph(realm: string): Promise<Map<string, string[]>> {
      const rows = await db.selectFrom('role_composites').select(['role', 'composite']).where('realm', '=', realm).execute();
      const graph = new Map<string, string[]>();
      for (const row of rows) graph.set(row.role, [...(graph.get(row.role) ?? []), row.composite]);
      return graph;
    },
    async create(realm: string, role: Role): Promise<void> {
      await db.transaction().execute(async (tx) => {
        await tx.insertInto('roles').values({ realm, name: role.name, description: role.description }).execute();
        await setComposites(tx, realm, role);
      });
    },
    async update(realm: string, role: Role): Promise<void> {
      await db.transaction().execute(async (tx) => {
        await tx.updateTable('roles').set({ description: role.description }).where('realm', '=', realm).where('name', '=', role.name).execute();
        await setComposites(tx, realm, role);
      });
    },
    /** Deletes the role: users and groups no longer hold it, and roles that brought it no longer do. True when it existed. */
    async remove(realm: string, name: string): Promise<boolean> {
      return db.transaction().execute(async (tx) => {
        await tx.deleteFrom('user_roles').where('role', '=', name).where('user_id', 'in', tx.selectFrom('users').select('id').where('realm', '=', realm)).execute();
        await tx.deleteFrom('role_composites').where('realm', '=', realm).where((eb) => eb.or([eb('role', '=', name), eb('composite', '=', name)])).execute();
        await tx.deleteFrom('group_roles').where('role', '=', name).where('group_id', 'in', tx.selectFrom('groups').select('id').where('realm', '=', realm)).execute();
        const result = await tx.deleteFrom('roles').where('realm', '=', realm).where('name', '=', name).executeTakeFirst();
        return Number(result.numDeletedRows) > 0;
      });
    },
  };
}
export type RolesRepository = ReturnType<typeof rolesRepository>;
