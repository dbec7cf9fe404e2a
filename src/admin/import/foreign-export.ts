// `strix import --from keycloak|auth0 FILE`: reads another system's export (a file, or the folder
// `kc.sh export --dir` writes) into checked import plans
// (nothing is written until every part of the file has been read and checked).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { JsonObject } from '../../json.js';
import { auth0Plan, auth0Users } from './auth0.js';
import { keycloakRealms } from './keycloak.js';
import type { ImportPlan } from './plan.js';
import { list, object, refuse } from './read.js';

export const foreignSystems = ['keycloak', 'auth0'] as const;
export type ForeignSystem = (typeof foreignSystems)[number];

/** Larger exports are split first (Keycloak: `kc.sh export --users different_files`). */
const maxExportBytes = 512 * 1024 * 1024;

export function readForeignExport(path: string, from: ForeignSystem, realm?: string): ImportPlan[] {
  if (from === 'auth0') {
    if (realm === undefined) refuse('--realm', 'is required with --from auth0: the realm the users go into');
    return [auth0Plan(auth0Users(readText(path), path), path, realm)];
  }
  if (statSync(path).isDirectory()) return keycloakRealms(keycloakFolder(path), path, realm);
  return keycloakRealms(readJson(path), path, realm);
}

function readText(path: string): string {
  if (statSync(path).size > maxExportBytes) refuse(path, `is larger than ${maxExportBytes / 1024 / 1024} MiB`);
  return readFileSync(path, 'utf8');
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readText(path));
  } catch (error) {
    if (error instanceof SyntaxError) refuse(path, `not valid JSON (${error.message})`);
    throw error;
  }
}

/**
 * `kc.sh export --dir`: `<realm>-realm.json` for each realm, its users in `<realm>-users-<n>.json`
 * (`{"realm": "acme", "users": [...]}`), which join the realm's own list.
 */
function keycloakFolder(dir: string): JsonObject[] {
  const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  let total = 0;
  return files.filter((f) => f.endsWith('-realm.json')).map((file) => {
    const realm = object(readJson(join(dir, file)), file);
    const name = String(realm.realm);
    const users = [...list(realm.users, `${file}.users`)];
    for (const part of files.filter((f) => f.startsWith(`${name}-users-`))) {
      total += statSync(join(dir, part)).size;
      if (total > maxExportBytes) refuse(dir, `holds more than ${maxExportBytes / 1024 / 1024} MiB of users`);
      users.push(...list(object(readJson(join(dir, part)), part).users, `${part}.users`));
    }
    return { ...realm, users };
  });
}
