// The password hash formats users.password_hash may hold (docs/migrating-from-keycloak.md, "Password
// hashes"): Strix's own argon2id, and the hashes of systems users were imported from, verified at
// the next sign-in and then replaced by argon2id (security/password-policy.ts upgradeHash).
//
//   $argon2id$v=19$m=…,t=…,p=…$<salt>$<hash>       PHC string (also $argon2i$, $argon2d$: Keycloak 25+)
//   $keycloak-pbkdf2-sha256$i=27500$<salt>$<hash>   Keycloak's pbkdf2 (-sha1, -sha256, -sha512); salt and
//                                                   hash in base64 as Keycloak's secretData has them; the
//                                                   key length is the hash's
//   $2a$10$…, $2b$…, $2y$…                          bcrypt (Auth0, Keycloak's community bcrypt provider), cost 4 to 16
//
// Each format's parameters are bounded so that a hostile import cannot make a sign-in cost minutes.
import { pbkdf2, timingSafeEqual } from 'node:crypto';
import { verify as argon2Verify } from '@node-rs/argon2';
import bcrypt from 'bcryptjs';

/** The most a stored hash may ask of one sign-in. */
export const hashLimits = {
  /** Keycloak's defaults go to 210,000 (SHA-512) and OWASP's advice to 1,300,000 (SHA-1); one sign-in at this limit costs seconds. */
  pbkdf2MaxIterations: 2_000_000,
  /** 1024 bits. */
  maxKeyBytes: 128,
  maxSaltBytes: 1024,
  /** 1 GiB, in KiB. */
  argon2MaxMemory: 1_048_576,
  argon2MaxIterations: 64,
  /** memory × iterations, in KiB: 4 GiB of passes. */
  argon2MaxWork: 4_194_304,
  argon2MaxParallelism: 64,
  /** Each step doubles the work: 10 (Auth0's, the Keycloak plugin's default) takes ~0.1 s with bcryptjs, 16 about 5 s. */
  bcryptMaxCost: 16,
} as const;

export type Pbkdf2Digest = 'sha1' | 'sha256' | 'sha512';
export const pbkdf2Digests: readonly Pbkdf2Digest[] = ['sha1', 'sha256', 'sha512'];

export type ParsedHash =
  | { format: 'argon2'; variant: 'argon2id' | 'argon2i' | 'argon2d'; memory: number; iterations: number; parallelism: number }
  | { format: 'pbkdf2'; digest: Pbkdf2Digest; iterations: number; salt: Buffer; hash: Buffer }
  | { format: 'bcrypt'; cost: number };

/** A stored hash that Strix cannot or will not verify; `problem` says why in words for an import report. */
export class UnacceptableHash extends Error {
  constructor(readonly problem: string) {
    super(problem);
    this.name = 'UnacceptableHash';
  }
}

const base64 = /^[A-Za-z0-9+/]*={0,2}$/;
const base64NoPad = /^[A-Za-z0-9+/]+$/;

function decoded(value: string, what: string, max: number): Buffer {
  if (!base64.test(value)) throw new UnacceptableHash(`the ${what} is not base64`);
  const bytes = Buffer.from(value, 'base64');
  if (bytes.length === 0 || bytes.length > max) throw new UnacceptableHash(`the ${what} must be 1 to ${max} bytes`);
  return bytes;
}

/** `why` says what a value above the limit would cost. */
function bounded(value: string | undefined, what: string, max: number, min = 1, why = ''): number {
  if (value === undefined || !/^\d{1,12}$/.test(value)) throw new UnacceptableHash(`${what} is missing or not a number`);
  const n = Number(value);
  if (n < min || n > max) throw new UnacceptableHash(`${what} ${n} is outside ${min}–${max}${n > max && why ? `: ${why}` : ''}`);
  return n;
}

/** Reads a stored hash and checks its parameters against hashLimits; throws UnacceptableHash. */
export function parseHash(stored: string): ParsedHash {
  const argon2 = /^\$(argon2id|argon2i|argon2d)\$(?:v=(16|19)\$)?m=(\d+),t=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/.exec(stored);
  if (argon2) {
    const memory = bounded(argon2[3], 'argon2 memory (KiB)', hashLimits.argon2MaxMemory, 8);
    const iterations = bounded(argon2[4], 'argon2 iterations', hashLimits.argon2MaxIterations);
    const parallelism = bounded(argon2[5], 'argon2 parallelism', hashLimits.argon2MaxParallelism);
    if (memory * iterations > hashLimits.argon2MaxWork) throw new UnacceptableHash(`argon2 memory × iterations ${memory * iterations} exceeds ${hashLimits.argon2MaxWork}`);
    if (!base64NoPad.test(argon2[6]!) || Buffer.from(argon2[6]!, 'base64').length > hashLimits.maxSaltBytes) throw new UnacceptableHash('the argon2 salt is too long');
    const length = Buffer.from(argon2[7]!, 'base64').length;
    if (length < 4 || length > hashLimits.maxKeyBytes) throw new UnacceptableHash(`the argon2 hash must be 4 to ${hashLimits.maxKeyBytes} bytes`);
    return { format: 'argon2', variant: argon2[1] as 'argon2id', memory, iterations, parallelism };
  }
  const pbkdf2Match = /^\$keycloak-pbkdf2-(sha1|sha256|sha512)\$i=(\d+)\$([^$]+)\$([^$]+)$/.exec(stored);
  if (pbkdf2Match) {
    return {
      format: 'pbkdf2',
      digest: pbkdf2Match[1] as Pbkdf2Digest,
      iterations: bounded(pbkdf2Match[2], 'pbkdf2 iterations', hashLimits.pbkdf2MaxIterations),
      salt: decoded(pbkdf2Match[3]!, 'pbkdf2 salt', hashLimits.maxSaltBytes),
      hash: decoded(pbkdf2Match[4]!, 'pbkdf2 hash', hashLimits.maxKeyBytes),
    };
  }
  const bcrypt = /^\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}$/.exec(stored);
  if (bcrypt) {
    const why = `each step doubles the work of every sign-in with it, and ${hashLimits.bcryptMaxCost} already takes seconds`;
    return { format: 'bcrypt', cost: bounded(bcrypt[1], 'bcrypt cost', hashLimits.bcryptMaxCost, 4, why) };
  }
  throw new UnacceptableHash('not a password hash Strix knows (argon2, Keycloak pbkdf2, bcrypt)');
}

/** The problem with a hash an import or realm file gives, or undefined when Strix can verify it. */
export function hashProblem(stored: string): string | undefined {
  try {
    parseHash(stored);
    return undefined;
  } catch (error) {
    if (error instanceof UnacceptableHash) return error.problem;
    throw error;
  }
}

/** Keycloak's pbkdf2 credential in Strix's form: `$keycloak-pbkdf2-<digest>$i=<iterations>$<salt b64>$<hash b64>`. */
export function keycloakPbkdf2Hash(digest: Pbkdf2Digest, iterations: number, saltBase64: string, hashBase64: string): string {
  return `$keycloak-pbkdf2-${digest}$i=${iterations}$${saltBase64}$${hashBase64}`;
}

/** Keycloak's argon2 credential as a PHC string (what @node-rs/argon2 verifies). */
export function argon2PhcHash(p: { type: 'id' | 'i' | 'd'; version: '1.3' | '1.0'; memory: number; iterations: number; parallelism: number; salt: Buffer; hash: Buffer }): string {
  const b64 = (bytes: Buffer) => bytes.toString('base64').replace(/=+$/, '');
  return `$argon2${p.type}$v=${p.version === '1.3' ? 19 : 16}$m=${p.memory},t=${p.iterations},p=${p.parallelism}$${b64(p.salt)}$${b64(p.hash)}`;
}

function derive(password: string, parsed: Extract<ParsedHash, { format: 'pbkdf2' }>): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    pbkdf2(Buffer.from(password, 'utf8'), parsed.salt, parsed.iterations, parsed.hash.length, parsed.digest, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

/**
 * Whether the password matches the stored hash, in constant time for a given hash. An imported hash
 * outside the limits (written into the database by hand) never matches.
 */
export async function verifyHash(stored: string, password: string): Promise<boolean> {
  // Strix's own hashes, with the realm's policy parameters (bounded at import only: a realm may choose more).
  if (stored.startsWith('$argon2')) return argon2Verify(stored, password).catch(() => false);
  let parsed: ParsedHash;
  try {
    parsed = parseHash(stored);
  } catch (error) {
    if (error instanceof UnacceptableHash) return false;
    throw error;
  }
  if (parsed.format === 'pbkdf2') {
    const key = await derive(password, parsed);
    return timingSafeEqual(key, parsed.hash);
  }
  // bcrypt (Auth0's exports, Keycloak's bcrypt provider): bcryptjs compares in constant time and yields to the event loop between rounds.
  return bcrypt.compare(password, stored).catch(() => false);
}
