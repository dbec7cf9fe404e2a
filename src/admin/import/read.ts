// Reading another system's export field by field: every value is checked for its type and size
// before anything is written, and a problem names its place (`users[3].credentials[0].secretData`).
import { isObject, type JsonObject } from '../../json.js';
import { RealmFileError } from '../realm-file.js';

/** No single text of an export is longer (attributes, secrets, descriptions). */
export const maxTextLength = 10_000;
/** No list of an export is longer (users, clients, roles, a user's attributes). */
export const maxListLength = 1_000_000;

export function refuse(where: string, problem: string): never {
  throw new RealmFileError(where, problem);
}

export function object(value: unknown, where: string): JsonObject {
  if (!isObject(value)) refuse(where, 'must be an object');
  return value;
}

export function optionalObject(value: unknown, where: string): JsonObject | undefined {
  return value === undefined || value === null ? undefined : object(value, where);
}

export function list(value: unknown, where: string, max = maxListLength): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) refuse(where, 'must be a list');
  if (value.length > max) refuse(where, `has ${value.length} entries; at most ${max} are accepted`);
  return value;
}

export function text(value: unknown, where: string, max = maxTextLength): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') refuse(where, 'must be a string');
  if (value.length > max) refuse(where, `is ${value.length} characters long; at most ${max} are accepted`);
  return value;
}

export function texts(value: unknown, where: string): string[] {
  return list(value, where).map((v, i) => text(v, `${where}[${i}]`) ?? refuse(`${where}[${i}]`, 'must be a string'));
}

export function flag(value: unknown, where: string): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') refuse(where, 'must be true or false');
  return value;
}

/** A whole number from `min` to `max`; Keycloak writes some as strings ("27500"). */
export function whole(value: unknown, where: string, max: number, min = 0): number | undefined {
  if (value === undefined || value === null) return undefined;
  const n = typeof value === 'string' && /^-?\d{1,16}$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n)) refuse(where, 'must be a whole number');
  if (n < min || n > max) refuse(where, `is ${n}; it must be from ${min} to ${max}`);
  return n;
}

/** A JSON document held in a string (Keycloak's credentials keep secretData and credentialData so). */
export function embeddedJson(value: unknown, where: string): JsonObject {
  const raw = text(value, where) ?? refuse(where, 'is required');
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    refuse(where, 'must hold a JSON object');
  }
  return object(parsed, where);
}
