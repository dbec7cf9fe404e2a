// The README's tutorial as a user follows it: the sample app (examples/sample-client.mjs, built on
// openid-client) signs a user in through Strix in a real browser, shows her claims, and signs out.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { pagePerTest, skipWithoutChromium, submitSignInForm } from '../helpers/browser.js';
import { testRealm } from '../helpers/realm.js';
import { freePort, startServer, type TestServer } from '../helpers/server.js';

const sampleClient = fileURLToPath(new URL('../../../examples/sample-client.mjs', import.meta.url));

describe('the sample client from the tutorial', () => {
  if (skipWithoutChromium()) return;
  let server: TestServer;
  let app: ChildProcess;
  let appUrl: string;
  let page: Page;

  before(async () => {
    appUrl = `http://127.0.0.1:${await freePort()}`;
    server = await startServer('sqlite', testRealm(appUrl));
    app = spawn(process.execPath, [sampleClient], {
      env: { ...process.env, ISSUER: server.issuer(), CLIENT_ID: 'web', CLIENT_SECRET: 'web-secret', APP_URL: appUrl },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const [line] = await once(app.stdout!, 'data');
    assert.match(String(line), /Sample app on/);
  });
  after(async () => {
    app?.kill('SIGTERM');
    await server?.close();
  });
  pagePerTest((p) => { page = p; });

  test('a user signs in to the sample app through Strix, sees her claims, and signs out', async () => {
    await page.goto(appUrl);
    await page.getByRole('link', { name: 'Sign in with Strix' }).click();
    await submitSignInForm(page, 'alice');
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL(`${appUrl}/`);
    assert.equal(await page.getByRole('heading').textContent(), 'Hello, Alice Liddell');
    assert.match(await page.locator('pre').textContent() ?? '', /"email": "alice@example.com"/);

    await page.getByRole('link', { name: 'Sign out' }).click();
    await page.waitForURL(`${appUrl}/`);
    assert.match(await page.textContent('body') ?? '', /You are not signed in/);
  });
});
