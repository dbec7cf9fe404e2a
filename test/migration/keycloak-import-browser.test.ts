// After `strix import --from keycloak`, each user signs in through Chromium with the password
// Keycloak hashed (one user per algorithm and parameter set) and gets the roles and groups they had;
// their hash is argon2id afterwards.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { readForeignExport } from '../../src/admin/import/foreign-export.js';
import { applyPlan } from '../../src/admin/import/plan.js';
import { browserPerSuite, newContext, skipWithoutChromium, submitSignInForm } from '../helpers/browser.js';
import { databases } from '../helpers/databases.js';
import { exportWithUsers, passwords } from '../helpers/keycloak-export.js';
import { freePort, startServer, type TestServer } from '../helpers/server.js';
import { authorizeUrl, pkcePair, tokenRequest } from '../helpers/user-agent.js';

for (const database of databases) {
  describe(`Keycloak users sign in through Chromium after the import (${database})`, () => {
    if (skipWithoutChromium()) return;
    const browser = browserPerSuite();
    let server: TestServer;
    let app: Server;
    let redirectUri: string;
    let dir: string;
    before(async () => {
      // The app the browser returns to: it only answers.
      const port = await freePort();
      app = createServer((_, response) => response.end('app'));
      await new Promise<void>((resolve) => app.listen(port, '127.0.0.1', resolve));
      redirectUri = `http://127.0.0.1:${port}/callback`;
      server = await startServer(database, { realms: [] });
      dir = mkdtempSync(join(tmpdir(), 'strix-keycloak-browser-'));
      const file = join(dir, 'acme.json');
      writeFileSync(file, JSON.stringify(await exportWithUsers(`http://127.0.0.1:${port}`)));
      for (const plan of readForeignExport(file, 'keycloak')) await applyPlan(server.services, plan);
    });
    after(async () => {
      await server?.close();
      await new Promise((resolve) => app?.close(resolve));
      rmSync(dir, { recursive: true, force: true });
    });

    for (const [username, groups, role] of [['alice', ['/engineering/backend'], 'deployer'], ['bob', [], 'offline_access'], ['carol', ['/sales'], 'offline_access'], ['dave', [], 'offline_access'], ['erin', [], 'viewer']] as const) {
      test(`${username} signs in with the original password (${passwords[username]})`, async () => {
        const context = await newContext(browser());
        try {
          const page = await context.newPage();
          const pair = pkcePair();
          await page.goto(authorizeUrl(server.issuer('acme'), {
            client_id: 'web-app', redirect_uri: redirectUri, response_type: 'code', scope: 'openid profile email', state: 's',
            code_challenge: pair.challenge, code_challenge_method: 'S256',
          }));
          await submitSignInForm(page, username, passwords[username], (url) => url.href.startsWith(redirectUri));
          const code = new URL(page.url()).searchParams.get('code');
          assert.ok(code, page.url());
          const tokens = await tokenRequest(server.issuer('acme'), { grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: pair.verifier, client_id: 'web-app' });
          assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
          const claims = decodeJwt(tokens.body.access_token as string);
          assert.ok((claims.realm_access as { roles: string[] }).roles.includes(role));
          assert.deepEqual(claims.groups, groups);
          const user = (await server.services.store.users.findByUsername('acme', username))!;
          assert.match(user.passwordHash!, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
        } finally {
          await context.close();
        }
      });
    }
  });
}
