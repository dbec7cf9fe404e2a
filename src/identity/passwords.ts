// Password hashing with argon2id (defaults: OWASP's 19 MiB, t=2, p=1, set per realm in its
// password policy), off the event loop. Hashes made with other parameters are upgraded at sign-in.
import { hash, verify } from '@node-rs/argon2';

export interface HashingParameters { memory_cost: number; time_cost: number; parallelism: number }

export const defaultHashing: HashingParameters = { memory_cost: 19_456, time_cost: 2, parallelism: 1 };

export function hashPassword(password: string, hashing: HashingParameters = defaultHashing): Promise<string> {
  // The algorithm defaults to argon2id (the Algorithm enum is type-only in @node-rs/argon2).
  return hash(password, { memoryCost: hashing.memory_cost, timeCost: hashing.time_cost, parallelism: hashing.parallelism });
}

/** Whether a stored hash is not argon2id with exactly these parameters (PHC string `$argon2id$v=19$m=…,t=…,p=…$`). */
export function needsRehash(passwordHash: string, hashing: HashingParameters): boolean {
  const match = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$/.exec(passwordHash);
  return !match || Number(match[1]) !== hashing.memory_cost || Number(match[2]) !== hashing.time_cost || Number(match[3]) !== hashing.parallelism;
}

let dummy: Promise<string> | undefined;

/**
 * Checks a password against a stored hash. With no hash (unknown user, no password set) it still
 * spends the time of one verification, so that timing does not reveal which usernames exist.
 */
export async function verifyPassword(passwordHash: string | null, password: string): Promise<boolean> {
  if (passwordHash === null) {
    dummy ??= hashPassword('strix-timing-equaliser');
    await verify(await dummy, password).catch(() => false);
    return false;
  }
  return verify(passwordHash, password).catch(() => false);
}
