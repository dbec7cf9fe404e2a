// `strix import --from keycloak|auth0 FILE`: reads another system's export into checked import plans
// (nothing is written until every part of the file has been read and checked).
import { readFileSync, statSync } from 'node:fs';
import { auth0Plan, auth0Users } from './auth0.js';
import { keycloakRealms } from './keycloak.js';
import type { ImportPlan } from './plan.js';
import { refuse } from './read.js';

export const foreignSystems = ['keycloak', 'auth0'] as const;
export type ForeignSystem = (typeof foreignSystems)[number];

/** Larger exports are split first (Keycloak: `kc.sh export --users different_files`). */
const maxExportBytes = 512 * 1024 * 1024;

export function readForeignExport(path: string, from: ForeignSystem, realm?: string): ImportPlan[] {
  if (statSync(path).size > maxExportBytes) refuse(path, `is larger than ${maxExportBytes / 1024 / 1024} MiB`);
  const content = readFileSync(path, 'utf8');
  if (from === 'auth0') {
    if (realm === undefined) refuse('--realm', 'is required with --from auth0: the realm the users go into');
    return [auth0Plan(auth0Users(content, path), path, realm)];
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(content);
  } catch (error) {
    refuse(path, `not valid JSON (${(error as Error).message})`);
  }
  return keycloakRealms(parsed, path, realm);
}
