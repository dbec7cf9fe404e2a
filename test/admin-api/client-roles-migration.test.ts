// Migration 0024: the free-form `client_roles` and `groups` user attributes of earlier versions become
// rows — client roles declared on their clients and given to the user, groups (by name or path)
// made if missing and joined — so that tokens carry the same roles and groups after the upgrade.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { openDatabase } from '../../src/store/db.js';
import { openStore } from '../../src/store/index.js';
import { migrate } from '../../src/store/migrations.js';
import { databases, freshDatabase } from '../helpers/databases.js';

for (const database of databases) {
  test(`the old client_roles and groups attributes become client roles and memberships (${database})`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'strix-0024-'));
    const fresh = await freshDatabase(database, dir);
    try {
      const before = await openDatabase(fresh.url);
      await migrate(before.db, '0023_email_action_details');
      const now = Date.now();
      await before.db.insertInto('realms').values({ name: 'demo', display_name: 'Demo', settings: '{}', created_at: now }).execute();
      await before.db.insertInto('clients').values({ realm: 'demo', client_id: 'web', secret_hash: null, secret_sealed: null, metadata: JSON.stringify({ client_id: 'web' }), enabled: 1, created_at: now, updated_at: now }).execute();
      const claims = { given_name: 'Alice', client_roles: { web: ['editor', 'editor', 'reader'], gone: ['x'] }, groups: ['staff', '/oxford/balliol', '/ starts with a space', 42] };
      await before.db.insertInto('users').values({
        id: 'u1', realm: 'demo', username: 'alice', email: null, password_hash: null, claims: JSON.stringify(claims), enabled: 1, created_at: now, updated_at: now, required_actions: '[]',
      }).execute();
      await before.db.destroy();

      const store = await openStore(fresh.url);
      try {
        const alice = (await store.users.findByUsername('demo', 'alice'))!;
        assert.deepEqual(alice.assignedClientRoles, { web: ['editor', 'reader'] }, 'roles of a client that no longer exists are dropped');
        assert.deepEqual(alice.groups, ['/oxford/balliol', '/staff'], 'a name is a top-level group; what is not a group path is dropped');
        assert.deepEqual(alice.claims, { given_name: 'Alice' }, 'the attributes are gone from the claims');
        assert.deepEqual((await store.clients.get('demo', 'web'))!.metadata.roles, [{ name: 'editor' }, { name: 'reader' }], 'the roles are declared on the client');
        assert.deepEqual((await store.groups.all('demo')).map((g) => g.path), ['/oxford', '/oxford/balliol', '/staff']);
      } finally {
        await store.close();
      }
    } finally {
      await fresh.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
