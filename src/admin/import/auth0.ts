// Auth0's user export (NDJSON, one user a line, or a JSON array) as an import plan into one realm:
// profile claims, metadata as attributes, the identities as a note, and password hashes where the
// export has them (`passwordHash` from a hash export; `custom_password_hash` as Auth0's bulk import
// documents it: bcrypt, argon2, pbkdf2).
import { hashLimits, hashProblem, keycloakPbkdf2Hash, type Pbkdf2Digest } from '../../identity/password-hashes.js';
import type { JsonObject } from '../../json.js';
import { inRealmFile, parseUser, RealmFileError } from '../realm-file.js';
import { emptyPlan, type ImportPlan } from './plan.js';
import { flag, list, object, optionalObject, refuse, text, whole } from './read.js';
import { ImportReport } from './report.js';

/** The users of an Auth0 export: a JSON array, or NDJSON (one JSON object a line). */
export function auth0Users(content: string, source: string): unknown[] {
  const trimmed = content.trim();
  if (trimmed.startsWith('[')) {
    try {
      return list(JSON.parse(trimmed), source);
    } catch (error) {
      if (error instanceof RealmFileError) throw error;
      refuse(source, `not valid JSON (${(error as Error).message})`);
    }
  }
  return trimmed.split('\n').flatMap((line, i) => {
    if (line.trim() === '') return [];
    try {
      return [JSON.parse(line) as unknown];
    } catch {
      return refuse(`${source} line ${i + 1}`, 'is not a JSON object');
    }
  });
}

export function auth0Plan(users: unknown[], source: string, realm: string): ImportPlan {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(realm)) refuse('--realm', 'a realm name has letters, digits, - and _');
  const report = new ImportReport(`Auth0 users into realm ${realm} (${source})`);
  const plan = emptyPlan(report);
  const parsed = [];
  const seen = new Set<string>();
  let withHash = 0;
  for (const [i, raw] of users.entries()) {
    const at = `${source}[${i}]`;
    const entry = user(object(raw, at), at, report);
    if (!entry) continue;
    const key = String(entry.username).toLowerCase();
    if (seen.has(key)) refuse(at, `the username ${key} appears twice`);
    seen.add(key);
    parsed.push(inRealmFile(() => parseUser(entry, at)));
    if (entry.password_hash !== undefined) withHash++;
  }
  plan.users = { realm, users: parsed };
  report.imported('users', `${parsed.length}, ${withHash} with a password hash (upgraded to argon2id at each user's next sign-in)`);
  return plan;
}

function user(a0: JsonObject, at: string, report: ImportReport): JsonObject | undefined {
  const userId = text(a0.user_id, `${at}.user_id`, 500) ?? text(a0.Id, `${at}.Id`, 500);
  const email = text(a0.email, `${at}.email`, 500) ?? text(a0.Email, `${at}.Email`, 500);
  const username = text(a0.username, `${at}.username`, 200) ?? email ?? userId;
  if (!username) refuse(at, 'has no username, email or user_id');
  const item = `user ${username}`;
  const identities = list(a0.identities, `${at}.identities`, 100).map((id, j) => object(id, `${at}.identities[${j}]`));
  const social = identities.filter((id) => flag(id.isSocial, `${at}.identities.isSocial`) === true || (text(id.provider, `${at}.identities.provider`) ?? 'auth0') !== 'auth0');
  if (social.length > 0) report.leftOut(`${item} identities ${social.map((id) => String(id.provider)).join(', ')}`, 'links to upstream providers are made again at the user\'s first sign-in with them');
  const entry: JsonObject = { username: username.replace(/\s+/g, '_') };
  if (email) entry.email = email;
  const verified = flag(a0.email_verified, `${at}.email_verified`);
  if (verified !== undefined) entry.email_verified = verified;
  for (const claim of ['name', 'given_name', 'family_name', 'nickname', 'picture', 'phone_number']) {
    const value = text(a0[claim], `${at}.${claim}`, 2000);
    if (value) entry[claim] = value;
  }
  if (flag(a0.blocked, `${at}.blocked`) === true) entry.enabled = false;
  const attributes: JsonObject = {};
  const userMetadata = optionalObject(a0.user_metadata, `${at}.user_metadata`);
  const appMetadata = optionalObject(a0.app_metadata, `${at}.app_metadata`);
  if (userMetadata) attributes.user_metadata = userMetadata;
  if (appMetadata) attributes.app_metadata = appMetadata;
  if (userId) attributes.auth0_user_id = userId;
  if (JSON.stringify(attributes).length > 100_000) refuse(`${at}.user_metadata`, 'the metadata is larger than 100,000 characters');
  entry.attributes = attributes;
  const hash = passwordHash(a0, at, item, report);
  if (hash) entry.password_hash = hash;
  return entry;
}

function passwordHash(a0: JsonObject, at: string, item: string, report: ImportReport): string | undefined {
  const plain = text(a0.passwordHash, `${at}.passwordHash`, 1000) ?? text(a0.password_hash, `${at}.password_hash`, 1000);
  let stored: string | undefined = plain;
  let where = `${at}.passwordHash`;
  const custom = optionalObject(a0.custom_password_hash, `${at}.custom_password_hash`);
  if (stored === undefined && custom) {
    where = `${at}.custom_password_hash`;
    const algorithm = text(custom.algorithm, `${where}.algorithm`, 50);
    const hash = object(custom.hash, `${where}.hash`);
    const value = text(hash.value, `${where}.hash.value`, 2000) ?? refuse(`${where}.hash.value`, 'is required');
    if (algorithm === 'bcrypt' || algorithm === 'argon2') stored = value;
    else if (algorithm === 'pbkdf2') stored = pbkdf2Phc(value, `${where}.hash.value`);
    else {
      report.leftOut(`${item} password`, `hashed with ${algorithm ?? 'an unnamed algorithm'}, which Strix cannot verify: the user sets a new password`);
      return undefined;
    }
  }
  if (stored === undefined) return undefined;
  const problem = hashProblem(stored);
  if (problem !== undefined) refuse(where, problem);
  return stored;
}

/** Auth0's pbkdf2 PHC string (`$pbkdf2-sha512$i=100000,l=64$<salt>$<hash>`, base64 without padding) in Strix's form. */
function pbkdf2Phc(value: string, where: string): string {
  const match = /^\$pbkdf2-(sha1|sha256|sha512)\$i=(\d+)(?:,l=(\d+))?\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/.exec(value);
  if (!match) refuse(where, 'is not a PHC pbkdf2 string ($pbkdf2-sha256$i=…,l=…$salt$hash)');
  const iterations = whole(match[2], `${where} i`, hashLimits.pbkdf2MaxIterations, 1)!;
  return keycloakPbkdf2Hash(match[1] as Pbkdf2Digest, iterations, match[4]!, match[5]!);
}
