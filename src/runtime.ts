// Injectable time and randomness (CONVENTIONS: no Date.now() scattered through handlers).
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';

export interface Clock { now(): number }            // milliseconds since the epoch
export const systemClock: Clock = { now: () => Date.now() };

/** A 256-bit random value, base64url: authorization codes, refresh tokens, session and interaction secrets. */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

export function newId(): string {
  return randomUUID();
}

/** Secrets are stored only as this hash; lookups go by hash. */
export function sha256(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}

/** Constant-time equality of two strings (length leak only). */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  if (x.length !== y.length) {
    timingSafeEqual(x, x);
    return false;
  }
  return timingSafeEqual(x, y);
}

export const seconds = (ms: number): number => Math.floor(ms / 1000);
