// Password hashing with argon2id (defaults: OWASP's 19 MiB, t=2, p=1, set per realm in its
// password policy), off the event loop. Hashes made with other parameters, or imported in another
// format (password-hashes.ts), are upgraded at sign-in.
import { availableParallelism } from 'node:os';
import { hash } from '@node-rs/argon2';
import { verifyHash } from './password-hashes.js';
import { countPasswordCheck } from '../ops/metrics.js';

export interface HashingParameters { memory_cost: number; time_cost: number; parallelism: number }

export const defaultHashing: HashingParameters = { memory_cost: 19_456, time_cost: 2, parallelism: 1 };

/**
 * Each argon2id computation holds its memory (19 MiB by default) while it runs on libuv's thread
 * pool, which JWT signing shares. More at once than there are cores would not finish
 * sooner: it would multiply the memory and leave no thread for signing. So at most one per core
 * runs; the others wait their turn, first come first served. Sign-in checks may wait only in a
 * bounded line: beyond it a flood of guesses is refused at once (HashingBusy) instead of queueing
 * without end and making every sign-in wait behind it.
 */
const maxRunning = Math.max(1, availableParallelism());
export const maxWaitingVerifications = 16 * maxRunning;
let running = 0;
const waiting: (() => void)[] = [];

/** The line of sign-in checks is full: answer 503 with Retry-After (docs/security.md "Brute-force protection"). */
export class HashingBusy extends Error {
  readonly retryAfter = 1;
  constructor() {
    super('too many password checks are waiting');
    this.name = 'HashingBusy';
  }
}

async function inTurn<T>(work: () => Promise<T>, bounded = false): Promise<T> {
  if (running < maxRunning) running++;
  else if (bounded && waiting.length >= maxWaitingVerifications) {
    countPasswordCheck('busy');
    throw new HashingBusy();
  }
  else await new Promise<void>((resolve) => waiting.push(resolve));
  try {
    return await work();
  } finally {
    // The slot passes to the next in line, or is freed.
    const next = waiting.shift();
    if (next) next();
    else running--;
  }
}

// How long one verification takes here (a moving average), for answers that must take as long
// without doing the work. The first guess is argon2id's usual time with the default cost.
let verificationMs = 50;
async function timedVerification(passwordHash: string, password: string): Promise<boolean> {
  countPasswordCheck('run');
  const started = performance.now();
  const valid = await verifyHash(passwordHash, password).catch(() => false);
  verificationMs = verificationMs * 0.9 + (performance.now() - started) * 0.1;
  return valid;
}

/**
 * Waits as long as a password check takes, without checking anything: a locked-out attempt is
 * answered no faster than a wrong password, and costs no hash (nor a place in the line).
 */
export function verificationTime(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, verificationMs));
}

export function hashPassword(password: string, hashing: HashingParameters = defaultHashing): Promise<string> {
  // The algorithm defaults to argon2id (the Algorithm enum is type-only in @node-rs/argon2).
  return inTurn(() => hash(password, { memoryCost: hashing.memory_cost, timeCost: hashing.time_cost, parallelism: hashing.parallelism }));
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
 * Throws HashingBusy when the line of waiting checks is full.
 */
export async function verifyPassword(passwordHash: string | null, password: string): Promise<boolean> {
  if (passwordHash === null) {
    dummy ??= hashPassword('strix-timing-equaliser');
    const equaliser = await dummy;
    await inTurn(() => timedVerification(equaliser, password), true);
    return false;
  }
  return inTurn(() => timedVerification(passwordHash, password), true);
}
