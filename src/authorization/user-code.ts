// User codes for the device flow (RFC 8628 §6.1): 8 characters from 20 consonants (no vowels, so
// no words; no look-alikes such as 0/O or 1/I), about 34.6 bits, shown as BCDF-GHJK and compared
// case-insensitively with dashes and spaces ignored. Stored as a keyed digest only.
import { randomInt } from 'node:crypto';
import type { Sealer } from '../tokens/master-key.js';

const alphabet = 'BCDFGHJKLMNPQRSTVWXZ';
const length = 8;

/** A new user code, formatted for display. */
export function newUserCode(): string {
  let code = '';
  for (let i = 0; i < length; i++) code += alphabet[randomInt(alphabet.length)];
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}

/** What the user typed, in the canonical form (uppercase, no separators); undefined when it cannot be a user code. */
export function normalizeUserCode(input: string): string | undefined {
  const code = input.toUpperCase().replace(/[\s-]/g, '');
  return code.length === length && [...code].every((c) => alphabet.includes(c)) ? code : undefined;
}

/**
 * A keyed digest: a user code is short, so a plain hash in a stolen database would be reversed in
 * seconds; without the master key it cannot be.
 */
export function userCodeHash(sealer: Pick<Sealer, 'digest'>, normalized: string): string {
  return sealer.digest(`device-user-code:${normalized}`);
}
