#!/usr/bin/env node
// The `strix` command: start the server, and operate on the database (migrate, import, export,
// users, clients, keys). Every setting is an environment variable, a config file entry or a flag.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { exportRealm, importRealm, readRealmFiles, RealmFileError } from './admin/realm-file.js';
import { foreignSystems, readForeignExport, type ForeignSystem } from './admin/import/foreign-export.js';
import { applyPlan } from './admin/import/plan.js';
import { applyRealm, planRealm, planText } from './admin/realm-plan.js';
import { checkedComposites } from './admin/roles.js';
import { parseClientMetadata } from './clients/metadata.js';
import { defaultInitialAccess, initialAccessRequest, issueInitialAccessToken } from './clients/initial-access.js';
import { createLogger, createServices } from './app.js';
import { ConfigError, loadConfig, settings, type SettingName } from './config.js';
import { hashPassword } from './identity/passwords.js';
import { assertAcceptable, changePassword, PasswordPolicyError } from './security/password-policy.js';
import { newId } from './runtime.js';
import { recordEvent, type EventDetails, type EventType } from './security/audit.js';
import { start as startServer } from './start.js';
import { unlockAccount } from './security/brute-force.js';
import type { Needs, Services } from './services.js';
import { storedSecret } from './store/clients.js';
import { ValidationError } from './validation.js';

const program = new Command('strix').description('Strix: OpenID Connect Provider and OAuth 2.0 authorization server').showHelpAfterError();

function withSettings(command: Command): Command {
  command.option('--config <file>', 'JSON config file (also STRIX_CONFIG)');
  for (const [name, env] of Object.entries(settings)) {
    command.addOption(new Option(`--${name.replace(/_/g, '-')} <value>`, `(env ${env})`).hideHelp(name === 'admin_password' || name === 'master_key'));
  }
  return command;
}

function configFrom(options: Record<string, string | undefined>) {
  const flags: Partial<Record<SettingName, string>> = {};
  for (const name of Object.keys(settings) as SettingName[]) {
    const value = options[name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())];
    if (value !== undefined) flags[name] = value;
  }
  return loadConfig({ ...process.env, ...(options.config ? { STRIX_CONFIG: options.config } : {}) }, flags);
}

/** Runs a maintenance command against the configured database, then closes it; commands get all of Services (wiring). */
async function withServices(options: Record<string, string | undefined>, run: (s: Services) => Promise<void>): Promise<void> {
  const config = configFrom(options);
  const s = await createServices(config, createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel));
  try {
    await run(s);
  } finally {
    await s.audit.flush();
    await s.store.close();
  }
}

/** Records an administrative change made with the CLI in the realm's audit log. */
async function recordAdmin(s: Needs<'audit', 'realms'>, realmName: string, type: EventType, subject: { userId?: string; clientId?: string }, details: EventDetails): Promise<void> {
  const realm = await s.store.realms.get(realmName);
  if (realm) await recordEvent(s, { realm, type, ...subject, details: { actor: 'cli', ...details } });
}

function fail(message: string): never {
  throw new RealmFileError('strix', message);
}

async function start(options: Record<string, string | undefined>): Promise<void> {
  await startServer(configFrom(options));
}

withSettings(program.command('start').description('run the server (default command)')).action(start);

withSettings(program.command('migrate').description('apply database migrations and exit'))
  .action((o) => withServices(o, async (s) => {
    await s.store.migrate();
    console.log('database is up to date');
  }));

withSettings(program.command('import <path>').description('import a realm file or a folder of them (idempotent), or with --from another system\'s export'))
  .addOption(new Option('--from <system>', 'read a Keycloak realm export or an Auth0 user export (docs/migrating-from-keycloak.md)').choices(foreignSystems))
  .option('--realm <name>', 'with --from keycloak: only this realm of the export; with --from auth0: the realm the users go into')
  .option('--dry-run', 'with --from: print the report, change nothing')
  .action((path: string, o) => (o.from ? importForeign(path, o) : withServices(o, async (s) => {
    for (const realm of readRealmFiles(path)) {
      const r = await importRealm(s, realm);
      await recordAdmin(s, r.realm, 'admin_realm_imported', {}, { created: r.created, clients: r.clients, users: r.users });
      console.log(`${r.created ? 'created' : 'updated'} realm ${r.realm}: ${r.clients} clients, ${r.users} users`);
    }
  })));

withSettings(program.command('plan <path>').description('print what applying a realm file (or a folder of them) would create, change and delete; changes nothing'))
  .option('--prune', 'show what apply --prune would delete: clients, users and roles the file does not have')
  .action((path: string, o) => withServices(o, async (s) => {
    for (const realm of readRealmFiles(path)) process.stdout.write(planText(await planRealm(s, realm, o.prune === true), false));
  }));

withSettings(program.command('apply <path>').description('make realms what their files say: create and update as import does; with --prune, delete what the files do not have'))
  .option('--prune', 'also delete the clients, users and roles absent from the file (never the built-in clients nor the master realm\'s admins)')
  .action((path: string, o) => withServices(o, async (s) => {
    for (const realm of readRealmFiles(path)) {
      const plan = await applyRealm(s, realm, o.prune === true);
      const deleted = plan.changes.filter((c) => c.action === 'delete').map((c) => `${c.kind} ${c.name}`);
      await recordAdmin(s, realm.name, 'admin_realm_imported', {}, { applied: true, created: plan.changes.filter((c) => c.action === 'create').length, deleted });
      process.stdout.write(planText(plan, true));
    }
  }));

/** Every part of the export is read and checked before anything is written; --dry-run stops there. */
async function importForeign(path: string, o: Record<string, string | undefined>): Promise<void> {
  const plans = readForeignExport(path, o.from as ForeignSystem, o.realm);
  for (const plan of plans) process.stdout.write(plan.report.toText());
  if (o.dryRun) {
    console.log('dry run: nothing was changed');
    return;
  }
  await withServices(o, async (s) => {
    for (const plan of plans) {
      const realm = await applyPlan(s, plan);
      if (realm === undefined) continue;
      await recordAdmin(s, realm, 'admin_realm_imported', {}, { from: o.from!, users: plan.realm?.users.length ?? plan.users?.users.length ?? 0 });
      console.log(`imported into realm ${realm}`);
    }
  });
}

withSettings(program.command('export').description('write realms as a realm file (client secrets are not exportable)'))
  .option('--realm <name...>', 'realms to export (default: all)')
  .option('--out <file>', 'write to a file instead of stdout')
  .action((o) => withServices(o, async (s) => {
    const names: string[] = o.realm ?? (await s.store.realms.list()).map((r) => r.name);
    const realms = [];
    for (const name of names) realms.push((await exportRealm(s, name)) ?? fail(`no realm named ${name}`));
    const text = `${JSON.stringify({ realms }, null, 2)}\n`;
    if (o.out) writeFileSync(o.out, text, { mode: 0o600 });
    else process.stdout.write(text);
  }));

const users = program.command('users').description('manage users');
withSettings(users.command('add <username>').description('create a user'))
  .requiredOption('--realm <name>', 'realm').option('--password <password>', 'password (generated and printed when omitted)')
  .option('--email <email>').option('--role <role...>', 'realm roles')
  .action((username: string, o) => withServices(o, async (s) => {
    const realm = (await s.store.realms.get(o.realm)) ?? fail(`no realm named ${o.realm}`);
    if (await s.store.users.findByUsername(o.realm, username)) fail(`user ${username} already exists in realm ${o.realm}`);
    const password: string = o.password ?? randomBytes(12).toString('base64url');
    await assertAcceptable(realm.settings.password_policy, password, { username, email: o.email });
    const now = s.clock.now();
    const id = newId();
    const passwordHash = await hashPassword(password, realm.settings.password_policy.hashing);
    await s.store.users.create({ id, realm: o.realm, username, email: o.email ?? null, passwordHash, claims: {}, enabled: true }, now);
    await s.store.roles.ensure(o.realm, o.role ?? []);
    await s.store.users.setRoles(id, o.role ?? []);
    await recordAdmin(s, o.realm, 'admin_user_created', { userId: id }, { username, roles: o.role ?? [] });
    console.log(o.password ? `created user ${username}` : `created user ${username} with password: ${password}`);
  }));
withSettings(users.command('set-password <username>').description('set a user\'s password'))
  .requiredOption('--realm <name>', 'realm').option('--password <password>', 'new password (generated and printed when omitted)')
  .action((username: string, o) => withServices(o, async (s) => {
    const realm = (await s.store.realms.get(o.realm)) ?? fail(`no realm named ${o.realm}`);
    const user = (await s.store.users.findByUsername(o.realm, username)) ?? fail(`no user ${username} in realm ${o.realm}`);
    const password: string = o.password ?? randomBytes(12).toString('base64url');
    await changePassword(s, realm, user, password);
    await recordAdmin(s, o.realm, 'admin_user_password_set', { userId: user.id }, { username: user.username });
    console.log(o.password ? `password of ${username} changed` : `new password of ${username}: ${password}`);
  }));
withSettings(users.command('disable <username>').description('disable a user: sign-in and token use stop'))
  .requiredOption('--realm <name>', 'realm')
  .action((username: string, o) => withServices(o, async (s) => {
    const user = (await s.store.users.findByUsername(o.realm, username)) ?? fail(`no user ${username} in realm ${o.realm}`);
    await s.store.users.setEnabled(user.id, false, s.clock.now());
    await recordAdmin(s, o.realm, 'admin_user_disabled', { userId: user.id }, { username: user.username });
    console.log(`disabled ${username}`);
  }));
withSettings(users.command('unlock <username>').description('clear a sign-in lockout; re-enables the account only if a permanent lockout disabled it'))
  .requiredOption('--realm <name>', 'realm')
  .action((username: string, o) => withServices(o, async (s) => {
    if (!(await s.store.realms.get(o.realm))) fail(`no realm named ${o.realm}`);
    const { reenabled } = await unlockAccount(s, o.realm, username);
    const user = await s.store.users.findByUsername(o.realm, username);
    await recordAdmin(s, o.realm, 'admin_user_unlocked', { userId: user?.id }, { username, reenabled });
    console.log(reenabled ? `unlocked and re-enabled ${username}` : `unlocked ${username}`);
  }));

const clients = program.command('clients').description('manage clients');
withSettings(clients.command('add <client_id>').description('register a client; prints its secret once'))
  .requiredOption('--realm <name>', 'realm')
  .option('--redirect-uri <uri...>', 'redirect URIs').option('--post-logout-redirect-uri <uri...>')
  .option('--grant-type <type...>', 'grant types', ['authorization_code', 'refresh_token'])
  .option('--scope <scope>', 'allowed scopes', 'openid profile email offline_access')
  .option('--public', 'a public client (no secret, PKCE required)')
  .option('--require-consent', 'show the consent page')
  .option('--name <name>', 'display name')
  .action((clientId: string, o) => withServices(o, async (s) => {
    if (!(await s.store.realms.get(o.realm))) fail(`no realm named ${o.realm}`);
    if (await s.store.clients.get(o.realm, clientId)) fail(`client ${clientId} already exists in realm ${o.realm}`);
    const { metadata } = parseClientMetadata({
      client_id: clientId, client_name: o.name, redirect_uris: o.redirectUri ?? [], post_logout_redirect_uris: o.postLogoutRedirectUri ?? [],
      grant_types: o.grantType, scope: o.scope, require_consent: o.requireConsent === true,
      token_endpoint_auth_method: o.public ? 'none' : 'client_secret_basic',
    }, 'client');
    const secret = o.public ? undefined : randomBytes(32).toString('base64url');
    await s.store.clients.upsert(o.realm, metadata, secret ? s.sealer.digest(secret) : null, s.clock.now());
    await recordAdmin(s, o.realm, 'admin_client_created', { clientId }, { public: o.public === true, grant_types: metadata.grant_types });
    console.log(secret ? `created client ${clientId}\nclient_secret: ${secret}\n(shown only once)` : `created public client ${clientId}`);
  }));
withSettings(clients.command('rotate-secret <client_id>').description('issue a new client secret; the old one stops working'))
  .requiredOption('--realm <name>', 'realm')
  .action((clientId: string, o) => withServices(o, async (s) => {
    const client = (await s.store.clients.get(o.realm, clientId)) ?? fail(`no client ${clientId} in realm ${o.realm}`);
    if (!client.confidential) fail(`${clientId} is a public client and has no secret`);
    if (client.metadata.token_endpoint_auth_method === 'private_key_jwt') fail(`${clientId} authenticates with its own keys (private_key_jwt) and has no secret`);
    const secret = randomBytes(32).toString('base64url');
    const stored = storedSecret(secret, client.metadata.token_endpoint_auth_method, s.sealer);
    await s.store.clients.setSecretHash(o.realm, clientId, stored.hash, s.clock.now(), stored.sealed);
    await recordAdmin(s, o.realm, 'admin_client_secret_rotated', { clientId }, {});
    console.log(`client_secret: ${secret}\n(shown only once)`);
  }));

for (const [verb, enabled] of [['enable', true], ['disable', false]] as const) {
  withSettings(clients.command(`${verb} <client_id>`).description(enabled ? 'allow a disabled client again' : 'refuse a client everywhere: sign-in, token, userinfo stay closed to it'))
    .requiredOption('--realm <name>', 'realm')
    .action((clientId: string, o) => withServices(o, async (s) => {
      if (!(await s.store.clients.setEnabled(o.realm, clientId, enabled, s.clock.now()))) fail(`no client ${clientId} in realm ${o.realm}`);
      await recordAdmin(s, o.realm, enabled ? 'admin_client_enabled' : 'admin_client_disabled', { clientId }, {});
      console.log(`${enabled ? 'enabled' : 'disabled'} client ${clientId}`);
    }));
}

const roles = program.command('roles').description('manage realm roles (the admin API\'s …/roles)');
withSettings(roles.command('list').description('list the realm\'s roles with their composites')).requiredOption('--realm <name>', 'realm')
  .action((o) => withServices(o, async (s) => {
    if (!(await s.store.realms.get(o.realm))) fail(`no realm named ${o.realm}`);
    for (const role of await s.store.roles.page(o.realm, 0, 1_000_000)) {
      console.log(`${role.name}${role.composites.length ? `  → ${role.composites.join(', ')}` : ''}${role.description ? `  (${role.description})` : ''}`);
    }
  }));
withSettings(roles.command('add <name>').description('create a role; --composite names roles that come with it'))
  .requiredOption('--realm <name>', 'realm').option('--description <text>').option('--composite <role...>', 'roles whoever holds this one holds too')
  .action((name: string, o) => withServices(o, async (s) => {
    if (!(await s.store.realms.get(o.realm))) fail(`no realm named ${o.realm}`);
    if (!/^[^\s,]{1,100}$/.test(name)) fail('a role name has no spaces or commas');
    if (await s.store.roles.get(o.realm, name)) fail(`role ${name} already exists in realm ${o.realm}`);
    const composites = await checkedComposites(s, o.realm, name, o.composite ?? []);
    await s.store.roles.create(o.realm, { name, description: o.description ?? null, composites });
    await recordAdmin(s, o.realm, 'admin_role_created', {}, { role: name, composites });
    console.log(`created role ${name}`);
  }));
withSettings(roles.command('remove <name>').description('delete a role: users, groups and composite roles no longer hold it'))
  .requiredOption('--realm <name>', 'realm')
  .action((name: string, o) => withServices(o, async (s) => {
    if (!(await s.store.roles.remove(o.realm, name))) fail(`no role ${name} in realm ${o.realm}`);
    await recordAdmin(s, o.realm, 'admin_role_deleted', {}, { role: name });
    console.log(`deleted role ${name}`);
  }));

const groups = program.command('groups').description('manage groups (the admin API\'s …/groups)');
/** The group at a path (`/engineering/backend`), or undefined. */
withSettings(groups.command('list').description('list the realm\'s groups by path, with their roles and client roles')).requiredOption('--realm <name>', 'realm')
  .action((o) => withServices(o, async (s) => {
    if (!(await s.store.realms.get(o.realm))) fail(`no realm named ${o.realm}`);
    for (const group of await s.store.groups.all(o.realm)) {
      const clientRoles = Object.entries(group.clientRoles).map(([clientId, roles]) => `${clientId}: ${roles.join(', ')}`).join('; ');
      console.log(`${group.path}${group.roles.length ? `  roles: ${group.roles.join(', ')}` : ''}${clientRoles ? `  client roles: ${clientRoles}` : ''}`);
    }
  }));
withSettings(groups.command('add <path>').description('create the group at a path such as /engineering/backend (its parent must exist)'))
  .requiredOption('--realm <name>', 'realm').option('--role <role...>', 'realm roles every member holds')
  .action((path: string, o) => withServices(o, async (s) => {
    if (!(await s.store.realms.get(o.realm))) fail(`no realm named ${o.realm}`);
    const names = path.split('/').filter(Boolean);
    const name = names.pop() ?? fail('give the group\'s path, e.g. /engineering');
    const parent = names.length === 0 ? undefined : (await s.store.groups.byPath(o.realm, names.join('/'))) ?? fail(`no group /${names.join('/')} in realm ${o.realm}`);
    if (await s.store.groups.nameTaken(o.realm, parent?.id ?? null, name)) fail(`group ${path} already exists in realm ${o.realm}`);
    const defined = new Set(await s.store.roles.list(o.realm));
    const unknown = (o.role ?? []).find((role: string) => !defined.has(role));
    if (unknown !== undefined) fail(`realm ${o.realm} has no role ${unknown}`);
    const id = newId();
    await s.store.groups.create({ id, realm: o.realm, name, parentId: parent?.id ?? null, roles: o.role ?? [] }, s.clock.now());
    await recordAdmin(s, o.realm, 'admin_group_created', {}, { path: `/${[...names, name].join('/')}` });
    console.log(`created group /${[...names, name].join('/')}`);
  }));
withSettings(groups.command('add-member <path> <username>').description('make a user a member of a group'))
  .requiredOption('--realm <name>', 'realm')
  .action((path: string, username: string, o) => withServices(o, async (s) => {
    const group = (await s.store.groups.byPath(o.realm, path)) ?? fail(`no group ${path} in realm ${o.realm}`);
    const user = (await s.store.users.findByUsername(o.realm, username)) ?? fail(`no user ${username} in realm ${o.realm}`);
    await s.store.groups.addMember(group.id, user.id);
    await recordAdmin(s, o.realm, 'admin_user_groups_changed', { userId: user.id }, { group: group.path });
    console.log(`${username} is a member of ${group.path}`);
  }));

withSettings(program.command('registration').command('token').description('issue an initial access token for dynamic client registration; prints it once'))
  .requiredOption('--realm <name>', 'realm')
  .option('--expiration <seconds>', `how long it lasts; 0: no end (default ${defaultInitialAccess.expiration})`)
  .option('--count <n>', `how many clients it may register; 0: any number (default ${defaultInitialAccess.count})`)
  .action((o) => withServices(o, async (s) => {
    if (!(await s.store.realms.get(o.realm))) fail(`no realm named ${o.realm}`);
    const number = (value: string | undefined) => (value === undefined ? undefined : /^\d{1,10}$/.test(value) ? Number(value) : value);
    const limits = initialAccessRequest({ expiration: number(o.expiration), count: number(o.count) });
    const issued = await issueInitialAccessToken(s, o.realm, limits);
    const expires = issued.expiration === 0 ? 'never expires' : `expires ${new Date((issued.timestamp + issued.expiration) * 1000).toISOString()}`;
    console.log(`initial access token: ${issued.token}\n(shown only once; ${expires}; ${issued.count === 0 ? 'any number of registrations' : `${issued.count} registration${issued.count === 1 ? '' : 's'}`})`);
  }));

const keys = program.command('keys').description('manage signing keys');
withSettings(keys.command('list').description('list signing keys')).requiredOption('--realm <name>', 'realm')
  .action((o) => withServices(o, async (s) => {
    await s.keystore.ensure(o.realm);
    for (const k of await s.keystore.list(o.realm)) {
      console.log(`${k.kid}  ${k.alg.padEnd(5)}  ${k.status.padEnd(7)}  created ${new Date(k.createdAt).toISOString()}${k.retiredAt ? `  retired ${new Date(k.retiredAt).toISOString()}` : ''}`);
    }
  }));
withSettings(keys.command('rotate').description('promote the next keys to current; current ones stay published while they retire'))
  .requiredOption('--realm <name>', 'realm')
  .action((o) => withServices(o, async (s) => {
    if (!(await s.store.realms.get(o.realm))) fail(`no realm named ${o.realm}`);
    await s.keystore.rotate(o.realm);
    await recordAdmin(s, o.realm, 'admin_keys_rotated', {}, {});
    console.log(`rotated the signing keys of realm ${o.realm}`);
  }));

// `strix` alone, or with only flags, means `strix start`.
const argv = process.argv.slice(2);
if (argv.length === 0 || (argv[0]!.startsWith('-') && !['-h', '--help'].includes(argv[0]!))) argv.unshift('start');

program.parseAsync(['node', 'strix', ...argv]).catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof ValidationError || error instanceof PasswordPolicyError) {
    console.error(`strix: ${error.message}`);
  } else {
    console.error('strix: failed:', error instanceof Error ? error.message : error);
  }
  process.exit(1);
});
