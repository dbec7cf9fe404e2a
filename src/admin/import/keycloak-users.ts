// Keycloak's users (realm export) in the realm file's user shape: profile, attributes, realm and
// client roles, group memberships (paths), required actions, and their credentials — password hashes kept as Keycloak
// wrote them (verified and upgraded at sign-in) and TOTP secrets.
import { Secret } from 'otpauth';
import { argon2PhcHash, hashLimits, hashProblem, keycloakPbkdf2Hash, type Pbkdf2Digest } from '../../identity/password-hashes.js';
import { requiredActionNames, type RequiredAction } from '../../identity/required-actions.js';
import type { JsonObject } from '../../json.js';
import type { ClientRoleFilter } from './keycloak-clients.js';
import type { ImportPlan } from './plan.js';
import { embeddedJson, flag, list, object, optionalObject, refuse, text, texts, whole } from './read.js';
import type { ImportReport } from './report.js';

export function keycloakUsers(kc: JsonObject, where: string, roles: Set<string>, clientRoles: ClientRoleFilter, groupPaths: Set<string>, report: ImportReport, plan: ImportPlan): JsonObject[] {
  const out: JsonObject[] = [];
  const algorithms = new Map<string, number>();
  let serviceAccounts = 0;
  let withTotp = 0;
  list(kc.users, `${where}.users`).forEach((raw, i) => {
    const at = `${where}.users[${i}]`;
    const user = object(raw, at);
    const username = text(user.username, `${at}.username`, 200) ?? refuse(`${at}.username`, 'is required');
    const item = `user ${username}`;
    if (text(user.serviceAccountClientId, `${at}.serviceAccountClientId`) !== undefined) {
      serviceAccounts++;
      return;
    }
    if (text(user.federationLink, `${at}.federationLink`) !== undefined) {
      report.leftOut(item, 'comes from user federation (LDAP, Kerberos): its password stays in the directory, which Strix does not read');
      return;
    }
    const first = text(user.firstName, `${at}.firstName`, 500);
    const last = text(user.lastName, `${at}.lastName`, 500);
    const entry: JsonObject = { username };
    const email = text(user.email, `${at}.email`, 500);
    if (email) entry.email = email;
    const verified = flag(user.emailVerified, `${at}.emailVerified`);
    if (verified !== undefined) entry.email_verified = verified;
    if (first) entry.given_name = first;
    if (last) entry.family_name = last;
    if (first || last) entry.name = [first, last].filter(Boolean).join(' ');
    const enabled = flag(user.enabled, `${at}.enabled`);
    if (enabled === false) entry.enabled = false;
    const attributes = optionalObject(user.attributes, `${at}.attributes`);
    if (attributes && Object.keys(attributes).length > 0) {
      entry.attributes = Object.fromEntries(Object.entries(attributes).map(([key, values]) => {
        const all = texts(values, `${at}.attributes.${key}`);
        return [key, all.length === 1 ? all[0] : all];
      }));
    }
    const userRoles = texts(user.realmRoles, `${at}.realmRoles`);
    const unknownRoles = userRoles.filter((r) => !roles.has(r));
    if (unknownRoles.length > 0) report.leftOut(`${item} roles ${unknownRoles.join(', ')}`, 'not realm roles of the export that Strix can hold');
    entry.roles = userRoles.filter((r) => roles.has(r));
    const held = clientRoles.held(user.clientRoles, `${at}.clientRoles`, item);
    if (held) entry.client_roles = held;
    const paths = texts(user.groups, `${at}.groups`).map((p) => (p.startsWith('/') ? p : `/${p}`));
    const unknownGroups = paths.filter((p) => !groupPaths.has(p));
    if (unknownGroups.length > 0) report.leftOut(`${item} groups ${unknownGroups.join(', ')}`, 'no such group in the export');
    const memberOf = paths.filter((p) => groupPaths.has(p));
    if (memberOf.length > 0) entry.groups = memberOf;
    const actions = texts(user.requiredActions, `${at}.requiredActions`);
    const mapped = actions.map(requiredAction).filter((a) => a !== undefined);
    if (mapped.length > 0) plan.requiredActions.set(username.toLowerCase(), [...new Set(mapped)]);
    const otherActions = actions.filter((a) => requiredAction(a) === undefined);
    if (otherActions.length > 0) report.leftOut(`${item} required actions ${otherActions.join(', ')}`, `Strix's required actions are ${requiredActionNames.join(', ')}`);
    list(user.credentials, `${at}.credentials`, 100).forEach((c, j) => {
      const cat = `${at}.credentials[${j}]`;
      const credential = object(c, cat);
      const type = text(credential.type, `${cat}.type`);
      if (type === 'password') {
        if (entry.password_hash !== undefined) return;
        const hash = passwordHash(credential, cat, item, report);
        if (hash) {
          entry.password_hash = hash.stored;
          algorithms.set(hash.algorithm, (algorithms.get(hash.algorithm) ?? 0) + 1);
        }
      } else if (type === 'otp') {
        const secret = totpSecret(credential, cat, item, report);
        if (secret && !plan.totp.has(username.toLowerCase())) {
          plan.totp.set(username.toLowerCase(), secret);
          withTotp++;
        }
      } else {
        report.leftOut(`${item} credential ${type ?? '(no type)'}`, type === 'webauthn' || type === 'webauthn-passwordless' ? 'passkeys are bound to Keycloak\'s origin: the user registers them again' : 'Strix has no such credential');
      }
    });
    out.push(entry);
  });
  const hashes = [...algorithms].map(([a, n]) => `${n} ${a}`).join(', ');
  report.imported('users', `${out.length}${hashes ? ` (password hashes: ${hashes}; upgraded to argon2id at each user's next sign-in)` : ''}${withTotp ? `, ${withTotp} with TOTP` : ''}`);
  if (serviceAccounts > 0) report.leftOut(`service-account users (${serviceAccounts})`, 'a Strix client with client_credentials needs no user');
  const ids = out.map((u) => String(u.username).toLowerCase());
  const twice = ids.find((id, i) => ids.indexOf(id) !== i);
  if (twice !== undefined) refuse(`${where}.users`, `the username ${twice} appears twice`);
  return out;
}

/** A Keycloak password credential as a stored hash; unknown algorithms are reported, absurd parameters refused. */
function passwordHash(credential: JsonObject, where: string, item: string, report: ImportReport): { stored: string; algorithm: string } | undefined {
  const secret = embeddedJson(credential.secretData, `${where}.secretData`);
  const data = embeddedJson(credential.credentialData, `${where}.credentialData`);
  const algorithm = text(data.algorithm, `${where}.credentialData.algorithm`, 100) ?? 'pbkdf2-sha256';
  const value = text(secret.value, `${where}.secretData.value`) ?? refuse(`${where}.secretData.value`, 'is required');
  // bcrypt keeps its salt inside the hash: the bcrypt plugin writes an empty one.
  const saltText = text(secret.salt, `${where}.secretData.salt`) ?? (algorithm === 'bcrypt' ? '' : refuse(`${where}.secretData.salt`, 'is required'));
  const digest: Pbkdf2Digest | undefined = ({ pbkdf2: 'sha1', 'pbkdf2-sha256': 'sha256', 'pbkdf2-sha512': 'sha512' } as Record<string, Pbkdf2Digest>)[algorithm];
  let stored: string;
  if (digest) {
    const iterations = whole(data.hashIterations, `${where}.credentialData.hashIterations`, hashLimits.pbkdf2MaxIterations, 1) ?? refuse(`${where}.credentialData.hashIterations`, 'is required');
    stored = keycloakPbkdf2Hash(digest, iterations, saltText, value);
  } else if (algorithm === 'argon2') {
    const extra = optionalObject(data.additionalParameters, `${where}.credentialData.additionalParameters`) ?? {};
    const param = (key: string) => {
      const values = list(extra[key], `${where}.credentialData.additionalParameters.${key}`, 1);
      return values.length === 0 ? undefined : text(values[0], `${where}.credentialData.additionalParameters.${key}[0]`, 20);
    };
    const type = param('type') ?? 'id';
    const version = param('version') ?? '1.3';
    if (!['id', 'i', 'd'].includes(type)) refuse(`${where}.credentialData.additionalParameters.type`, 'must be id, i or d');
    if (!['1.3', '1.0'].includes(version)) refuse(`${where}.credentialData.additionalParameters.version`, 'must be 1.3 or 1.0');
    const memory = whole(param('memory') ?? '7168', `${where}.credentialData.additionalParameters.memory`, hashLimits.argon2MaxMemory, 8)!;
    const iterations = whole(data.hashIterations ?? 5, `${where}.credentialData.hashIterations`, hashLimits.argon2MaxIterations, 1)!;
    const parallelism = whole(param('parallelism') ?? '1', `${where}.credentialData.additionalParameters.parallelism`, hashLimits.argon2MaxParallelism, 1)!;
    const hashLength = whole(param('hashLength') ?? '32', `${where}.credentialData.additionalParameters.hashLength`, hashLimits.maxKeyBytes, 4)!;
    const hash = Buffer.from(value, 'base64');
    if (hash.length !== hashLength) refuse(`${where}.secretData.value`, `holds ${hash.length} bytes where hashLength says ${hashLength}`);
    stored = argon2PhcHash({ type: type as 'id', version: version as '1.3', memory, iterations, parallelism, salt: Buffer.from(saltText, 'base64'), hash });
  } else if (algorithm === 'bcrypt') {
    // The community bcrypt provider (keycloak-bcrypt): the hash string as bcrypt wrote it, `$2a$`/`$2b$`/`$2y$`
    // with its cost. Its hashIterations may be -1 (the policy's "default"): the cost is the string's.
    if (!/^\$2[aby]\$/.test(value)) refuse(`${where}.secretData.value`, 'is not a bcrypt hash ($2a$, $2b$ or $2y$)');
    stored = value;
  } else {
    report.leftOut(`${item} password`, `hashed with ${algorithm}, which Strix cannot verify: the user sets a new password ("Forgot password?")`);
    return undefined;
  }
  const problem = hashProblem(stored);
  if (problem !== undefined) refuse(`${where}.secretData`, problem);
  return { stored, algorithm: algorithm === 'argon2' ? 'argon2' : algorithm };
}

/** A Keycloak OTP credential as Strix's TOTP secret (base32), when Strix can check its codes (TOTP, SHA-1, 6 digits, 30 s). */
function totpSecret(credential: JsonObject, where: string, item: string, report: ImportReport): string | undefined {
  const secret = embeddedJson(credential.secretData, `${where}.secretData`);
  const data = embeddedJson(credential.credentialData, `${where}.credentialData`);
  const subType = text(data.subType, `${where}.credentialData.subType`) ?? 'totp';
  const digits = whole(data.digits ?? 6, `${where}.credentialData.digits`, 10, 1);
  const period = whole(data.period ?? 30, `${where}.credentialData.period`, 3600, 1);
  const algorithm = text(data.algorithm, `${where}.credentialData.algorithm`) ?? 'HmacSHA1';
  if (subType !== 'totp' || digits !== 6 || period !== 30 || algorithm !== 'HmacSHA1') {
    report.leftOut(`${item} OTP`, `${subType}, ${algorithm}, ${digits} digits, ${period} s: Strix checks TOTP with SHA-1, 6 digits and 30 s; the user sets up the app again`);
    return undefined;
  }
  const value = text(secret.value, `${where}.secretData.value`, 1000) ?? refuse(`${where}.secretData.value`, 'is required');
  if (text(data.secretEncoding, `${where}.credentialData.secretEncoding`) === 'BASE32') {
    if (!/^[A-Z2-7]+=*$/i.test(value)) refuse(`${where}.secretData.value`, 'is not base32');
    return value.toUpperCase().replace(/=+$/, '');
  }
  // Keycloak's own secrets are text whose UTF-8 bytes are the key.
  return Secret.fromUTF8(value).base32;
}

/** Keycloak's required action (its alias, UPDATE_PASSWORD) as Strix's (update_password), when Strix has it. */
export function requiredAction(alias: string): RequiredAction | undefined {
  const name = alias.toLowerCase();
  return (requiredActionNames as readonly string[]).includes(name) ? name as RequiredAction : undefined;
}
