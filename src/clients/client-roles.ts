// Client roles: the roles a client declares in its metadata (`"roles": [{"name": "editor"}]`) and the
// assignments `client_roles: {"<client_id>": ["editor"]}` that users and groups carry. One check for
// the realm file, the admin API and the CLI; dynamic registration never sets them (oauth/register.ts).
import { isObject } from '../json.js';
import type { Needs } from '../services.js';
import { byCodePoint, type ClientRole } from '../store/clients.js';
import { optionalString, stringList, ValidationError } from '../validation.js';

export const clientRoleName = /^[^\s,]{1,100}$/;
const maxRoles = 1000;

/** A client's `roles`: unique names, composites among the client's own roles, no cycle; sorted by name. Empty is absent. */
export function parseClientRoleDefinitions(value: unknown, where: string): ClientRole[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length > maxRoles) throw new ValidationError(where, `must be a list of at most ${maxRoles} roles ({"name", "description", "composites"})`);
  const roles = value.map((raw, i): ClientRole => {
    const at = `${where}[${i}]`;
    if (!isObject(raw)) throw new ValidationError(at, 'must be an object {"name", "description", "composites"}');
    const unknown = Object.keys(raw).find((key) => !['name', 'description', 'composites'].includes(key));
    if (unknown !== undefined) throw new ValidationError(`${at}.${unknown}`, 'is not a field of a client role (name, description, composites)');
    const name = optionalString(raw.name, `${at}.name`);
    if (name === undefined || !clientRoleName.test(name)) throw new ValidationError(`${at}.name`, 'is required: at most 100 characters, no spaces or commas');
    const description = optionalString(raw.description, `${at}.description`);
    if (description !== undefined && description.length > 500) throw new ValidationError(`${at}.description`, 'must be at most 500 characters');
    const composites = [...new Set(stringList(raw.composites, `${at}.composites`))].sort(byCodePoint);
    return { name, ...(description === undefined ? {} : { description }), ...(composites.length > 0 ? { composites } : {}) };
  });
  const names = roles.map((r) => r.name);
  roles.forEach((role, i) => {
    if (names.indexOf(role.name) !== i) throw new ValidationError(`${where}[${i}].name`, `${role.name} is declared twice`);
    (role.composites ?? []).forEach((composite, j) => {
      const at = `${where}[${i}].composites[${j}]`;
      if (!names.includes(composite)) throw new ValidationError(at, `the client declares no role ${composite}`);
      if (reaches(roles, composite, role.name)) throw new ValidationError(at, `${composite} brings ${role.name} back (composite roles may not form a cycle)`);
    });
  });
  // In the order the store answers them, so that a file and what it made compare equal.
  return roles.length > 0 ? roles.sort((a, b) => byCodePoint(a.name, b.name)) : undefined;
}

/** Whether holding `from` brings `target`, through composites at any depth. */
function reaches(roles: ClientRole[], from: string, target: string, seen = new Set<string>()): boolean {
  if (from === target) return true;
  if (seen.has(from)) return false;
  seen.add(from);
  return (roles.find((r) => r.name === from)?.composites ?? []).some((next) => reaches(roles, next, target, seen));
}

/** `client_roles` as written: `{"<client_id>": ["editor"]}`, in the order given (errors name `client_roles.<client_id>[i]`); empty lists left out. */
export function parseClientRoleAssignments(value: unknown, where: string): Record<string, string[]> {
  if (value === undefined) return {};
  if (!isObject(value)) throw new ValidationError(where, 'must be an object of client ids and their role lists ({"<client_id>": ["editor"]})');
  return Object.fromEntries(Object.entries(value).map(([clientId, names]): [string, string[]] => [clientId, stringList(names, `${where}.${clientId}`)]).filter(([, roles]) => roles.length > 0));
}

/** Assignments as stored and compared: each client's roles once, sorted. */
export function normalisedClientRoles(assignments: Record<string, string[]>): Record<string, string[]> {
  return Object.fromEntries(Object.entries(assignments).sort(([a], [b]) => byCodePoint(a, b)).map(([clientId, roles]) => [clientId, [...new Set(roles)].sort(byCodePoint)]));
}

/**
 * Refuses an assignment of a role that its client does not declare, or of a client the realm does
 * not have; `declared` answers a client's role names (undefined: no such client).
 */
export function assertDeclaredClientRoles(assignments: Record<string, string[]>, declared: (clientId: string) => string[] | undefined, where: string): void {
  for (const [clientId, roles] of Object.entries(assignments)) {
    const names = declared(clientId);
    if (names === undefined) throw new ValidationError(`${where}.${clientId}`, `the realm has no client ${clientId}`);
    const index = roles.findIndex((role) => !names.includes(role));
    if (index >= 0) throw new ValidationError(`${where}.${clientId}[${index}]`, `client ${clientId} declares no role ${roles[index]}`);
  }
}

/** The role names each client declares, for assertDeclaredClientRoles. */
export function declaredRoles(clients: { metadata: { client_id: string; roles?: ClientRole[] } }[]): (clientId: string) => string[] | undefined {
  const byId = new Map(clients.map((c) => [c.metadata.client_id, (c.metadata.roles ?? []).map((r) => r.name)]));
  return (clientId) => byId.get(clientId);
}

/** `client_roles` sent to the admin API: parsed, and checked against the roles the realm's clients declare now. */
export async function checkedClientRoleAssignments(s: Needs<never, 'clients'>, realm: string, value: unknown, where: string): Promise<Record<string, string[]>> {
  const assignments = parseClientRoleAssignments(value, where);
  if (Object.keys(assignments).length > 0) assertDeclaredClientRoles(assignments, declaredRoles(await s.store.clients.list(realm)), where);
  return normalisedClientRoles(assignments);
}
