// `strix import --from keycloak` (docs/migrating-from-keycloak.md "Importing a realm export"): a
// realm export written here in Keycloak's format, with each user's password hashed by one of
// Keycloak's algorithms. After the import every user signs in with their original password, their
// tokens carry the roles and groups they had, and their hash is argon2id from then on.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { Secret, TOTP } from 'otpauth';
import { readForeignExport } from '../../src/admin/import/foreign-export.js';
import { keycloakRealm } from '../../src/admin/import/keycloak.js';
import { applyPlan } from '../../src/admin/import/plan.js';
import { RealmFileError } from '../../src/admin/realm-file.js';
import { databases } from '../helpers/databases.js';
import { exportWithUsers, passwords, totpSecret } from '../helpers/keycloak-export.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { authorizeUrl, callbackParams, isLoginPage, pkcePair, tokenRequest, UserAgent } from '../helpers/user-agent.js';
import { strixCommand } from '../helpers/command.js';

const redirectUri = 'http://127.0.0.1:3999/callback';
/** Signs in at the imported web-app client (public, PKCE) and returns the access token's claims. */
async function signIn(server: TestServer, username: string, password: string, secondFactor?: () => string) {
  const agent = new UserAgent(server.url);
  const pair = pkcePair();
  let page = await agent.open(authorizeUrl(server.issuer('acme'), {
    client_id: 'web-app', redirect_uri: redirectUri, response_type: 'code', scope: 'openid profile email', state: 's',
    code_challenge: pair.challenge, code_challenge_method: 'S256',
  }));
  assert.ok(isLoginPage(page), `a sign-in page for ${username}`);
  page = await agent.signIn(page, username, password);
  if (secondFactor) {
    assert.match(page.html, /name="code"/, 'the second factor is asked');
    page = await agent.submit(page, { code: secondFactor() });
  }
  const code = callbackParams(page).get('code');
  assert.ok(code, `${username} signed in: ${page.location ?? page.html.slice(0, 300)}`);
  const tokens = await tokenRequest(server.issuer('acme'), { grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: pair.verifier, client_id: 'web-app' });
  assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
  return decodeJwt(tokens.body.access_token as string);
}

describe('reading a Keycloak realm export', () => {
  test('each part maps to the realm file\'s shapes, and the report says what was left out and why', async () => {
    const plan = keycloakRealm(await exportWithUsers() as never, 'acme.json');
    const realm = plan.realm!;
    assert.equal(realm.settings.access_token_lifetime, 600);
    assert.equal(realm.settings.brute_force.failure_factor, 3);
    assert.equal(realm.settings.password_policy.min_length, 10);
    assert.equal(realm.settings.password_policy.history, 5);
    assert.equal(realm.settings.password_policy.not_username, true);
    assert.equal(realm.settings.password_policy.not_email, false);
    assert.equal(realm.settings.token_claims, 'keycloak');
    assert.deepEqual(realm.settings.smtp, { url: 'smtp://mailer@smtp.acme.test:587', from: '"Acme" <noreply@acme.test>', password: { env: 'STRIX_SMTP_PASSWORD_ACME' } });
    assert.deepEqual(realm.settings.scopes, [{ name: 'orders:read', description: 'Read your orders' }]);
    assert.deepEqual(realm.clients.map((c) => c.metadata.client_id), ['web-app', 'backend']);
    const web = realm.clients[0]!.metadata;
    assert.equal(web.token_endpoint_auth_method, 'none');
    assert.deepEqual(web.redirect_uris, [redirectUri]);
    assert.deepEqual(web.post_logout_redirect_uris, [redirectUri, 'http://127.0.0.1:3999/bye']);
    assert.deepEqual(web.allowed_origins, ['https://admin.acme.test']);
    assert.deepEqual(web.grant_types, ['authorization_code', 'refresh_token']);
    const backend = realm.clients[1]!;
    assert.deepEqual(backend.metadata.grant_types, ['client_credentials']);
    assert.equal(backend.secret, 'backend-secret-from-keycloak');
    assert.equal(backend.metadata.backchannel_logout_uri, 'https://backend.acme.test/logout');
    assert.equal(backend.metadata.access_token_lifetime, 120);
    assert.deepEqual(plan.composites.get('admin'), ['viewer']);
    assert.deepEqual(realm.groups.map((g) => [g.name, g.roles, g.subgroups.map((c) => c.name)]), [['engineering', ['viewer'], ['backend']], ['sales', [], []]]);
    assert.deepEqual(web.roles, [
      { name: 'auditor', composites: ['reader'] }, { name: 'editor', description: 'Edits documents', composites: ['reader'] }, { name: 'reader' },
    ], 'client roles with their descriptions and their own client\'s composites');
    assert.deepEqual(realm.groups[0]!.clientRoles, { 'web-app': ['auditor'] }, 'Keycloak\'s own clients\' roles are dropped');
    assert.deepEqual(realm.users.find((u) => u.username === 'alice')!.clientRoles, { 'web-app': ['editor'] });
    assert.deepEqual(plan.requiredActions.get('grace'), ['update_password', 'verify_email']);
    assert.equal(plan.totp.get('frank'), Secret.fromUTF8(totpSecret).base32);
    assert.deepEqual(realm.users.map((u) => u.username), ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi']);
    assert.equal(realm.users.find((u) => u.username === 'grace')!.password_hash, undefined);
    assert.match(realm.users.find((u) => u.username === 'heidi')!.password_hash as string, /^\$2y\$10\$/, 'the bcrypt plugin\'s hash as it wrote it');

    const text = plan.report.toText();
    for (const expected of [
      /left out\s+client account-console: Keycloak's own client/,
      /left out\s+client urn:saml:sp: a SAML client/,
      /left out\s+client orders-api: bearer-only/,
      /left out\s+client web-app redirect URI https:\/\/app\.acme\.test\/\*: a wildcard/,
      /left out\s+authentication flows \(1\)/,
      /imported\s+identity provider github: set STRIX_IDP_GITHUB_SECRET/,
      /imported\s+identity provider corp/,
      /left out\s+identity provider adfs: Keycloak's saml provider type is not built/,
      /left out\s+user federation \(1\)/,
      /left out\s+user ldap-user: comes from user federation/,
      /left out\s+user grace password: hashed with sha1, which Strix cannot verify/,
      /left out\s+user grace required actions webauthn-register/,
      /left out\s+required actions delete_account: Strix has no such required action/,
      /left out\s+service-account users \(1\)/,
      /left out\s+password policy upperCase\(1\)/,
      /left out\s+group \/sales attributes/,
      /approximate SMTP server: .*STRIX_SMTP_PASSWORD_ACME/,
      /imported\s+users: 8 \(password hashes: 3 pbkdf2-sha256, 1 pbkdf2-sha512, 1 pbkdf2, 1 argon2, 1 bcrypt; upgraded to argon2id/,
      /imported\s+client web-app: public/,
      /imported\s+client web-app roles: 3, 2 of them composite/,
      /left out\s+client web-app role has space: Strix role names have no spaces/,
      /left out\s+client web-app role auditor composites viewer: a client role brings only roles of its own client/,
      /left out\s+client orders-api roles: the client is not imported/,
      /imported\s+group \/engineering: roles viewer; client roles web-app: auditor/,
    ]) assert.match(text, expected);
  });

  test('a folder from kc.sh export --dir reads the realm with the users of its users files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'strix-keycloak-dir-'));
    try {
      const { users, ...realm } = await exportWithUsers();
      writeFileSync(join(dir, 'acme-realm.json'), JSON.stringify({ ...realm, users: users.slice(0, 2) }));
      writeFileSync(join(dir, 'acme-users-0.json'), JSON.stringify({ realm: 'acme', users: users.slice(2, 5) }));
      writeFileSync(join(dir, 'acme-users-1.json'), JSON.stringify({ realm: 'acme', users: users.slice(5) }));
      const [plan] = readForeignExport(dir, 'keycloak');
      assert.deepEqual(plan!.realm!.users.map((u) => u.username), ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const hostile: [string, (kc: any) => void, RegExp][] = [
    ['a pbkdf2 hash with 10^9 iterations', (kc) => { kc.users[0].credentials[0].credentialData = JSON.stringify({ algorithm: 'pbkdf2-sha256', hashIterations: 1_000_000_000 }); },
      /users\[0\]\.credentials\[0\]\.credentialData\.hashIterations: is 1000000000; it must be from 1 to 2000000/],
    ['an argon2 hash asking for 4 GiB', (kc) => {
      const data = JSON.parse(kc.users[4].credentials[0].credentialData);
      data.additionalParameters.memory = ['4194304'];
      kc.users[4].credentials[0].credentialData = JSON.stringify(data);
    }, /users\[4\]\.credentials\[0\]\.credentialData\.additionalParameters\.memory: is 4194304/],
    ['a pbkdf2 key longer than 1024 bits', (kc) => {
      const secret = JSON.parse(kc.users[1].credentials[0].secretData);
      secret.value = Buffer.alloc(200).toString('base64');
      kc.users[1].credentials[0].secretData = JSON.stringify(secret);
    }, /users\[1\]\.credentials\[0\]\.secretData: the pbkdf2 hash must be 1 to 128 bytes/],
    ['a bcrypt hash of cost 31', (kc) => {
      const secret = JSON.parse(kc.users[7].credentials[0].secretData);
      secret.value = secret.value.replace(/^\$2y\$10\$/, '$2y$31$');
      kc.users[7].credentials[0].secretData = JSON.stringify(secret);
    }, /users\[7\]\.credentials\[0\]\.secretData: bcrypt cost 31 is outside 4–16: each step doubles the work/],
    ['a bcrypt credential whose value is not a bcrypt hash', (kc) => {
      kc.users[7].credentials[0].secretData = JSON.stringify({ value: '$argon2id$v=19$m=7168,t=5,p=1$c2FsdHNhbHQ$aGFzaGhhc2g', salt: '' });
    }, /users\[7\]\.credentials\[0\]\.secretData\.value: is not a bcrypt hash/],
    ['users that are not a list', (kc) => { kc.users = 'everyone'; }, /acme\.json\.users: must be a list/],
    ['a realm role without a name', (kc) => { kc.roles.realm[1].name = 42; }, /roles\.realm\[1\]\.name: must be a string/],
    ['a token lifetime of a thousand years', (kc) => { kc.accessTokenLifespan = 31_536_000_000; }, /accessTokenLifespan: is 31536000000; it must be from 0 to 315360000/],
    ['a first name of a megabyte', (kc) => { kc.users[2].firstName = 'x'.repeat(1_000_000); }, /users\[2\]\.firstName: is 1000000 characters long/],
    ['credential data that is not JSON', (kc) => { kc.users[3].credentials[0].credentialData = '{nope'; }, /users\[3\]\.credentials\[0\]\.credentialData: must hold a JSON object/],
    ['groups nested 40 deep', (kc) => {
      let group: any = { name: 'g0', subGroups: [] };
      kc.groups = [group];
      for (let i = 1; i < 40; i++) { const sub = { name: `g${i}`, subGroups: [] }; group.subGroups = [sub]; group = sub; }
    }, /groups nest deeper than 32 levels/],
    ['composite roles in a cycle', (kc) => { kc.roles.realm[1].composites = { realm: ['admin'] }; }, /composite roles form a cycle/],
    ['a username twice', (kc) => { kc.users[1].username = 'alice'; }, /the username alice appears twice/],
  ];
  for (const [what, spoil, message] of hostile) {
    test(`an export with ${what} is refused, naming the place`, async () => {
      const kc = await exportWithUsers();
      spoil(kc);
      assert.throws(() => keycloakRealm(kc as never, 'acme.json'), (error: Error) => error instanceof RealmFileError && message.test(error.message));
    });
  }
});

for (const database of databases) {
  describe(`strix import --from keycloak (${database})`, () => {
    let server: TestServer;
    let dir: string;
    before(async () => {
      server = await startServer(database, { realms: [] });
      dir = mkdtempSync(join(tmpdir(), 'strix-keycloak-import-'));
      const file = join(dir, 'acme.json');
      writeFileSync(file, JSON.stringify(await exportWithUsers()));
      for (const plan of readForeignExport(file, 'keycloak')) await applyPlan(server.services, plan);
    });
    after(async () => {
      await server?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    for (const username of ['alice', 'bob', 'carol', 'dave', 'erin', 'heidi']) {
      test(`${username} signs in with the password Keycloak hashed, and the hash is argon2id afterwards`, async () => {
        const before = (await server.services.store.users.findByUsername('acme', username))!.passwordHash!;
        assert.ok(!before.startsWith('$argon2id$v=19$m=19456'), before);
        await signIn(server, username, passwords[username]!);
        const after = (await server.services.store.users.findByUsername('acme', username))!.passwordHash!;
        assert.match(after, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
        // And the new hash still takes the same password.
        await signIn(server, username, passwords[username]!);
      });
    }

    test('a wrong password is refused for an imported hash, which stays as it was', async () => {
      const agent = new UserAgent(server.url);
      const page = await agent.open(authorizeUrl(server.issuer('acme'), {
        client_id: 'web-app', redirect_uri: redirectUri, response_type: 'code', scope: 'openid', state: 's', ...(() => { const p = pkcePair(); return { code_challenge: p.challenge, code_challenge_method: 'S256' }; })(),
      }));
      const before = (await server.services.store.users.findByUsername('acme', 'frank'))!.passwordHash;
      const answer = await agent.signIn(page, 'frank', 'not frank\'s password');
      assert.match(answer.html, /name="password"/, 'the sign-in page again');
      assert.equal(answer.location, undefined);
      assert.equal((await server.services.store.users.findByUsername('acme', 'frank'))!.passwordHash, before);
    });

    test('the access token carries the realm roles (composites and groups\' included), client roles and group paths', async () => {
      const claims = await signIn(server, 'alice', passwords.alice!);
      const roles = (claims.realm_access as { roles: string[] }).roles;
      for (const role of ['admin', 'viewer', 'deployer', 'default-roles-acme', 'offline_access']) assert.ok(roles.includes(role), `${role} in ${roles.join(', ')}`);
      // editor of her own (bringing reader), auditor from /engineering, the parent of her group.
      assert.deepEqual((claims.resource_access as Record<string, { roles: string[] }>)['web-app']!.roles, ['auditor', 'editor', 'reader']);
      assert.deepEqual(claims.client_roles, { 'web-app': ['auditor', 'editor', 'reader'] });
      assert.deepEqual(claims.groups, ['/engineering/backend']);
      assert.equal(claims.preferred_username, 'alice');
      const carol = await signIn(server, 'carol', passwords.carol!);
      assert.deepEqual(carol.groups, ['/sales']);
      assert.equal(carol.resource_access, undefined, 'no client roles in /sales');
      assert.ok(!(carol.realm_access as { roles: string[] }).roles.includes('admin'));
    });

    test('a user with Keycloak\'s TOTP keeps their authenticator app', async () => {
      const app = new TOTP({ secret: Secret.fromUTF8(totpSecret), digits: 6, period: 30, algorithm: 'SHA1' });
      const claims = await signIn(server, 'frank', passwords.frank!, () => app.generate({ timestamp: server.clock.now() }));
      assert.equal(claims.preferred_username, 'frank');
    });

    test('groups, memberships, required actions and the confidential client\'s secret came along', async () => {
      const { store } = server.services;
      const grace = (await store.users.findByUsername('acme', 'grace'))!;
      assert.deepEqual(grace.requiredActions, ['update_password', 'verify_email']);
      assert.equal(grace.passwordHash, null);
      assert.equal(await store.users.findByUsername('acme', 'ldap-user'), undefined);
      const top = await store.groups.children('acme', null, 0, 100);
      assert.deepEqual(top.map((g) => g.path), ['/engineering', '/sales']);
      const service = await tokenRequest(server.issuer('acme'), { grant_type: 'client_credentials' }, { id: 'backend', secret: 'backend-secret-from-keycloak' });
      assert.equal(service.status, 200, JSON.stringify(service.body));
    });

    test('Keycloak\'s OpenID Connect and GitHub identity providers become the realm\'s, their secrets named as environment variables', async () => {
      const providers = (await server.services.store.realms.get('acme'))!.settings.identity_providers;
      assert.deepEqual(providers.map((p) => p.alias), ['github', 'corp', 'microsoft', 'partner']);
      const [, , microsoft, partner] = providers;
      assert.deepEqual([microsoft!.preset, microsoft!.tenant, microsoft!.issuer], ['entra', 'organizations', 'https://login.microsoftonline.com/organizations/v2.0']);
      assert.equal(partner!.token_endpoint_auth_method, 'private_key_jwt');
      assert.equal(partner!.client_secret, undefined, 'signed with the realm\'s key: no secret to set');
      const corp = providers[1]!;
      assert.equal(corp.issuer, 'https://idp.example.com');
      assert.equal(corp.token_endpoint_auth_method, 'client_secret_post');
      assert.equal(corp.sync, 'on_every_login');
      assert.deepEqual(corp.client_secret, { env: 'STRIX_IDP_CORP_SECRET' });
      assert.equal(providers[0]!.preset, 'github');
    });

    test('importing the same export again changes nothing it already holds, and keeps the passwords upgraded since', async () => {
      const file = join(dir, 'acme.json');
      for (const plan of readForeignExport(file, 'keycloak')) await applyPlan(server.services, plan);
      const top = await server.services.store.groups.children('acme', null, 0, 100);
      assert.deepEqual(top.map((g) => g.path), ['/engineering', '/sales']);
      assert.ok(await server.services.store.mfa.totp((await server.services.store.users.findByUsername('acme', 'frank'))!.id));
      // alice signed in before: her upgraded hash stays, and so does her password.
      assert.match((await server.services.store.users.findByUsername('acme', 'alice'))!.passwordHash!, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
      await signIn(server, 'alice', passwords.alice!);
    });
  });
}

describe('the strix import command', () => {
  let dir: string;
  before(() => { dir = mkdtempSync(join(tmpdir(), 'strix-import-cli-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));
  const env = () => ({ PATH: process.env.PATH, STRIX_DATABASE_URL: `sqlite:${join(dir, 'strix.db')}`, STRIX_MASTER_KEY: 'import-test-master-key-0123456789abcdef', STRIX_ADMIN_PASSWORD: 'admin-password-for-tests' });
  const run = (...args: string[]) => promisify(execFile)(process.execPath, [strixCommand, ...args], { env: env(), cwd: dir });

  test('--dry-run prints the report and writes nothing; without it the realm is imported', async () => {
    const file = join(dir, 'acme.json');
    writeFileSync(file, JSON.stringify(await exportWithUsers()));
    const dry = await run('import', '--from', 'keycloak', file, '--dry-run');
    assert.match(dry.stdout, /Keycloak realm acme/);
    assert.match(dry.stdout, /left out\s+client urn:saml:sp/);
    assert.match(dry.stdout, /dry run: nothing was changed/);
    await run('migrate');
    const realms = await run('export');
    assert.doesNotMatch(realms.stdout, /"name": "acme"/);
    const real = await run('import', '--from', 'keycloak', file);
    assert.match(real.stdout, /imported into realm acme/);
    assert.match((await run('groups', 'list', '--realm', 'acme')).stdout, /\/engineering\/backend {2}roles: deployer/);
  });

  test('a hostile export is refused with the place named, and nothing is written', async () => {
    const kc = await exportWithUsers();
    kc.realm = 'hostile';
    (kc.users[0] as any).credentials[0].credentialData = JSON.stringify({ algorithm: 'pbkdf2-sha512', hashIterations: 1_000_000_000 });
    const file = join(dir, 'hostile.json');
    writeFileSync(file, JSON.stringify(kc));
    await assert.rejects(run('import', '--from', 'keycloak', file), (error: { stderr: string; code: number }) => {
      assert.equal(error.code, 1);
      assert.match(error.stderr, /strix: .*users\[0\]\.credentials\[0\]\.credentialData\.hashIterations: is 1000000000/);
      return true;
    });
    await run('migrate');
    assert.doesNotMatch((await run('export')).stdout, /"name": "hostile"/);
  });
});
