// Initial access tokens for dynamic client registration (RFC 7591 §3), issued by an administrator
// (the admin API's …/clients-initial-access, `strix registration token`) with Keycloak's limits: an
// expiry and a number of registrations. The token is shown once and kept as a keyed digest.
import { randomBytes } from 'node:crypto';
import { newId } from '../runtime.js';
import type { Needs } from '../services.js';
import { ValidationError } from '../validation.js';

/** What this module uses (services.ts `Needs`). */
export type InitialAccessDeps = Needs<'clock' | 'sealer', 'registrations'>;

/** Keycloak's defaults in its console: a day, one registration. 0 means no end, or any number. */
export const defaultInitialAccess = { expiration: 86_400, count: 1 };
const maxExpiration = 10 * 365 * 86_400;
const maxCount = 1_000_000;

export interface InitialAccessRequest { expiration: number; count: number }

/** `{"expiration": seconds, "count": registrations}`, each optional (Keycloak's ClientInitialAccessCreatePresentation). */
export function initialAccessRequest(raw: Record<string, unknown>): InitialAccessRequest {
  const whole = (name: 'expiration' | 'count', max: number): number => {
    const value = raw[name] ?? defaultInitialAccess[name];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) throw new ValidationError(name, `must be a whole number from 0 (${name === 'count' ? 'any number' : 'no end'}) to ${max}`);
    return value;
  };
  const unknown = Object.keys(raw).find((name) => name !== 'expiration' && name !== 'count');
  if (unknown !== undefined) throw new ValidationError(unknown, 'is not a member of this request (expiration, count)');
  return { expiration: whole('expiration', maxExpiration), count: whole('count', maxCount) };
}

export interface IssuedInitialAccess { id: string; token: string; timestamp: number; expiration: number; count: number }

export async function issueInitialAccessToken(s: InitialAccessDeps, realm: string, request: InitialAccessRequest): Promise<IssuedInitialAccess> {
  const token = randomBytes(32).toString('base64url');
  const id = newId();
  const now = s.clock.now();
  await s.store.registrations.addInitialAccessToken(realm, s.sealer.digest(token), {
    id, expiresAt: request.expiration === 0 ? null : now + request.expiration * 1000, count: request.count === 0 ? null : request.count,
  }, now);
  return { id, token, timestamp: Math.floor(now / 1000), expiration: request.expiration, count: request.count };
}
