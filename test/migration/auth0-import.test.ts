// `strix import --from auth0 FILE --realm NAME` (docs/migrating-from-keycloak.md "Moving from Auth0"):
// Auth0's user export, NDJSON or a JSON array, into an existing realm; users whose hashes Strix can
// verify sign in with their password and are upgraded to argon2id.
import assert from 'node:assert/strict';
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { hash as argon2Hash } from '@node-rs/argon2';
import { auth0Plan, auth0Users } from '../../src/admin/import/auth0.js';
import { readForeignExport } from '../../src/admin/import/foreign-export.js';
import { applyPlan } from '../../src/admin/import/plan.js';
import { RealmFileError } from '../../src/admin/realm-file.js';
import bcrypt from 'bcryptjs';
import { databases } from '../helpers/databases.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { authorizeUrl, callbackParams, pkcePair, UserAgent } from '../helpers/user-agent.js';

const redirectUri = 'http://127.0.0.1:3999/callback';
/** Auth0's usual hash: bcrypt, cost 10 (made here with bcryptjs, as Auth0's exports hold it). */
const bcryptHash = bcrypt.hashSync('ben in auth0', 10).replace(/^\$2a\$/, '$2b$');

/** Auth0's documented pbkdf2 form: a PHC string, salt and hash in base64 without padding. */
function auth0Pbkdf2(password: string): string {
  const salt = randomBytes(16);
  const key = pbkdf2Sync(password, salt, 100_000, 64, 'sha512');
  const b64 = (b: Buffer) => b.toString('base64').replace(/=+$/, '');
  return `$pbkdf2-sha512$i=100000,l=64$${b64(salt)}$${b64(key)}`;
}

async function exportLines(): Promise<object[]> {
  return [
    {
      user_id: 'auth0|5f1', email: 'ann@shop.test', email_verified: true, name: 'Ann Example', given_name: 'Ann', family_name: 'Example',
      user_metadata: { theme: 'dark' }, app_metadata: { plan: 'pro' }, created_at: '2023-01-01T00:00:00.000Z',
      identities: [{ provider: 'auth0', user_id: '5f1', connection: 'Username-Password-Authentication', isSocial: false }],
      custom_password_hash: { algorithm: 'pbkdf2', hash: { value: auth0Pbkdf2('ann in auth0'), encoding: 'utf8' } },
    },
    {
      user_id: 'auth0|5f2', username: 'ben', email: 'ben@shop.test', email_verified: false,
      identities: [{ provider: 'auth0', user_id: '5f2', connection: 'Username-Password-Authentication', isSocial: false }],
      passwordHash: bcryptHash,
    },
    {
      user_id: 'auth0|5f3', email: 'cat@shop.test', email_verified: true,
      custom_password_hash: { algorithm: 'argon2', hash: { value: await argon2Hash('cat in auth0', { memoryCost: 4096, timeCost: 3, parallelism: 1 }) } },
    },
    {
      user_id: 'google-oauth2|123', email: 'dan@shop.test', email_verified: true, name: 'Dan',
      identities: [{ provider: 'google-oauth2', user_id: '123', connection: 'google-oauth2', isSocial: true }],
    },
  ];
}

const ndjson = (lines: object[]) => `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`;

describe('reading an Auth0 user export', () => {
  test('NDJSON and a JSON array read the same, with metadata as attributes and the report', async () => {
    const lines = await exportLines();
    assert.deepEqual(auth0Users(ndjson(lines), 'users.ndjson'), auth0Users(JSON.stringify(lines), 'users.json'));
    const plan = auth0Plan(lines, 'users.ndjson', 'shop');
    const users = plan.users!.users;
    assert.deepEqual(users.map((u) => u.username), ['ann@shop.test', 'ben', 'cat@shop.test', 'dan@shop.test']);
    assert.deepEqual(users[0]!.claims.attributes, { user_metadata: { theme: 'dark' }, app_metadata: { plan: 'pro' }, auth0_user_id: 'auth0|5f1' });
    assert.equal(users[0]!.claims.given_name, 'Ann');
    assert.equal(users[1]!.password_hash, bcryptHash);
    assert.match(users[0]!.password_hash!, /^\$keycloak-pbkdf2-sha512\$i=100000\$/);
    const text = plan.report.toText();
    assert.match(text, /imported\s+users: 4, 3 with a password hash/);
    assert.match(text, /left out\s+user dan@shop\.test identities google-oauth2/);
  });

  for (const [what, spoil, message] of [
    ['a pbkdf2 hash with 10^9 iterations', (l: any[]) => { l[0].custom_password_hash.hash.value = l[0].custom_password_hash.hash.value.replace('i=100000', 'i=1000000000'); }, /\[0\]\.custom_password_hash\.hash\.value i: is 1000000000/],
    ['a bcrypt cost of 31', (l: any[]) => { l[1].passwordHash = bcryptHash.replace('$10$', '$31$'); }, /\[1\]\.passwordHash: bcrypt cost 31 is outside 4–16/],
    ['metadata that is not an object', (l: any[]) => { l[0].user_metadata = 'dark'; }, /\[0\]\.user_metadata: must be an object/],
    ['the same user twice', (l: any[]) => { l[2].email = 'ann@shop.test'; }, /the username ann@shop\.test appears twice/],
  ] as const) {
    test(`an export with ${what} is refused, naming the place`, async () => {
      const lines = await exportLines();
      spoil(lines);
      assert.throws(() => auth0Plan(lines, 'users.ndjson', 'shop'), (error: Error) => error instanceof RealmFileError && message.test(error.message));
    });
  }

  test('a line that is not JSON is refused with its number', () => {
    assert.throws(() => auth0Users('{"email":"a@b.test"}\n{nope\n', 'users.ndjson'), /users\.ndjson line 2: is not a JSON object/);
  });
});

for (const database of databases) {
  describe(`strix import --from auth0 (${database})`, () => {
    let server: TestServer;
    let dir: string;
    before(async () => {
      server = await startServer(database, { realms: [{
        name: 'shop', access_token_lifetime: 900,
        clients: [{ client_id: 'shop-web', token_endpoint_auth_method: 'none', redirect_uris: [redirectUri], grant_types: ['authorization_code'], scope: 'openid profile email' }],
      }] });
      dir = mkdtempSync(join(tmpdir(), 'strix-auth0-import-'));
      const file = join(dir, 'users.ndjson');
      writeFileSync(file, ndjson(await exportLines()));
      for (const plan of readForeignExport(file, 'auth0', 'shop')) await applyPlan(server.services, plan);
    });
    after(async () => {
      await server?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    async function signIn(username: string, password: string): Promise<boolean> {
      const agent = new UserAgent(server.url);
      const pair = pkcePair();
      const page = await agent.open(authorizeUrl(server.issuer('shop'), {
        client_id: 'shop-web', redirect_uri: redirectUri, response_type: 'code', scope: 'openid', state: 's', code_challenge: pair.challenge, code_challenge_method: 'S256',
      }));
      const answer = await agent.signIn(page, username, password);
      return answer.location !== undefined && callbackParams(answer).get('code') !== null;
    }

    test('the realm keeps its own settings and clients', async () => {
      const realm = (await server.services.store.realms.get('shop'))!;
      assert.equal(realm.settings.access_token_lifetime, 900);
      assert.ok(await server.services.store.clients.get('shop', 'shop-web'));
    });

    for (const [username, password] of [['ann@shop.test', 'ann in auth0'], ['cat@shop.test', 'cat in auth0'], ['ben', 'ben in auth0']]) {
      test(`${username} signs in with the password Auth0 hashed, and is upgraded to argon2id`, async () => {
        assert.equal(await signIn(username!, 'wrong password'), false);
        assert.equal(await signIn(username!, password!), true);
        const user = (await server.services.store.users.findByUsername('shop', username!))!;
        assert.match(user.passwordHash!, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
        assert.equal(await signIn(username!, password!), true);
      });
    }

    test('metadata comes along as attributes', async () => {
      const ben = (await server.services.store.users.findByUsername('shop', 'ben'))!;
      assert.equal(ben.email, 'ben@shop.test');
      const ann = (await server.services.store.users.findByUsername('shop', 'ann@shop.test'))!;
      assert.deepEqual((ann.claims.attributes as Record<string, unknown>).app_metadata, { plan: 'pro' });
    });
  });
}
