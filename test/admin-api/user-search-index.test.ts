// User search stays index-backed (docs/admin-api.md "Users"): a prefix of a term is a range of the
// user_search primary key on both databases, and the list is read in the (realm, username) order.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { sqlitePath } from '../../src/store/database-url.js';
import { databases } from '../helpers/databases.js';
import { testRealm } from '../helpers/realm.js';
import { startServer, type TestServer } from '../helpers/server.js';

const prefixRange = 'select user_id from user_search where realm = $1 and term >= $2 and term < $3';
const byUsername = 'select id from users where realm = $1 order by username limit 100 offset 0';

for (const database of databases) {
  describe(`user search plan (${database})`, () => {
    let server: TestServer;
    before(async () => { server = await startServer(database, testRealm()); });
    after(async () => { await server?.close(); });

    /**
     * The plan of a query as text. On PostgreSQL, sequential scans, bitmap scans and sorts are
     * discouraged: on tiny test tables the planner would pick them anyway, and what is asked here is
     * whether an index can serve the query at all (it does once a realm has many users).
     */
    async function plan(query: string, params: string[]): Promise<string> {
      if (database === 'sqlite') {
        const db = new SQLite(sqlitePath(server.databaseUrl), { readonly: true });
        try {
          return (db.prepare(`explain query plan ${query.replace(/\$\d/g, '?')}`).all(...params) as { detail: string }[]).map((r) => r.detail).join('\n');
        } finally {
          db.close();
        }
      }
      const client = new pg.Client({ connectionString: server.databaseUrl });
      await client.connect();
      try {
        await client.query('set enable_seqscan = off; set enable_bitmapscan = off; set enable_sort = off');
        return (await client.query(`explain ${query}`, params)).rows.map((r: Record<string, string>) => r['QUERY PLAN']).join('\n');
      } finally {
        await client.end();
      }
    }

    test('a search prefix is a range of the user_search primary key', async () => {
      const text = await plan(prefixRange, ['demo', 'ali', 'ali\u{10FFFF}']);
      if (database === 'sqlite') assert.match(text, /SEARCH user_search USING (COVERING )?INDEX sqlite_autoindex_user_search_1 \(realm=\? AND term>\? AND term<\?\)/, text);
      else assert.match(text, /Index Only Scan using user_search_pk|Index Scan using user_search_pk/, text);
    });

    test('a prefix with few matches and one with more than a thousand both give their users by username, paged', async () => {
      const { users } = server.services.store;
      const now = server.clock.now();
      // 1,000 users "bulk…" (one plan) and three "zed…" (the other, see usersRepository's walkByUsername).
      for (let i = 0; i < 1003; i++) {
        const username = i < 3 ? `zed${2 - i}` : `bulk${String(i).padStart(4, '0')}`;
        await users.create({ id: `search-${i}`, realm: 'demo', username, email: null, passwordHash: null, claims: {}, enabled: true }, now);
      }
      const names = async (search: string, first: number, max: number) => (await users.search('demo', { search, first, max })).map((u) => u.username);
      assert.deepEqual(await names('zed', 0, 20), ['zed0', 'zed1', 'zed2']);
      assert.deepEqual(await names('ZED', 1, 1), ['zed1']);
      assert.deepEqual(await names('bulk', 0, 3), ['bulk0003', 'bulk0004', 'bulk0005']);
      assert.deepEqual(await names('bulk', 997, 5), ['bulk1000', 'bulk1001', 'bulk1002']);
    });

    test('the list is read in the order of the (realm, username) index, without a sort', async () => {
      const text = await plan(byUsername, ['demo']);
      assert.doesNotMatch(text, /TEMP B-TREE|Sort/, text);
      assert.match(text, database === 'sqlite' ? /users_realm_username|sqlite_autoindex_users/ : /users_realm_username/, text);
    });
  });
}
