// The admin console end to end (issue 13): Chromium signs in to /admin/ as the first-start admin,
// creates a realm, a client and a user with a temporary password; the user signs in to the new
// client (made to change the password) and shows up in the console's Sessions; ending the session
// there makes the user's refresh token fail. axe-core checks the pages, and every page is
// screenshotted at desktop and phone width under test-results/admin-console/.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { hashPassword } from '../../src/identity/passwords.js';
import * as client from 'openid-client';
import type { Browser, Page } from 'playwright-core';
import { axeViolations, launchBrowser, newContext, skipWithoutChromium, submitSignInForm } from '../helpers/browser.js';
import { startRelyingParty, type RelyingParty } from '../helpers/relying-party.js';
import { startServer, type TestServer } from '../helpers/server.js';

const adminPassword = 'admin-password-for-tests';
const temporaryPassword = 'a temporary passphrase';
const newPassword = 'correct horse battery staple';
const screenshots = 'test-results/admin-console';

describe('the admin console', () => {
  if (skipWithoutChromium()) return;

  let server: TestServer;
  let rp: RelyingParty;
  let browser: Browser;
  let admin: Page;

  before(async () => {
    rp = await startRelyingParty();
    server = await startServer('sqlite', { realms: [] });
    browser = await launchBrowser();
    admin = await (await newContext(browser, { viewport: { width: 1280, height: 800 } })).newPage();
    mkdirSync(screenshots, { recursive: true });
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    await rp?.close();
  });

  const nav = (label: string) => admin.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: label, exact: true });
  /** Follows a navigation item and waits for its page to have loaded what it shows. */
  async function open(label: string): Promise<void> {
    await nav(label).click();
    await admin.getByRole('heading', { level: 1, name: label }).waitFor();
    await admin.waitForFunction(() => !document.body.textContent?.includes('Loading…'));
  }

  test('the console is one static page, a script and a stylesheet from Strix itself, under the same CSP (no inline script)', async () => {
    const index = await fetch(`${server.url}/admin/`);
    assert.equal(index.status, 200);
    assert.match(index.headers.get('content-security-policy') ?? '', /script-src 'self'(;|$)/);
    assert.equal(index.headers.get('cache-control'), 'no-cache');
    const html = await index.text();
    assert.doesNotMatch(html, /<script>|<script(?![^>]*\ssrc=)[^>]*>|\sstyle=|\son\w+=/, 'no inline script, style or handler');
    const assets = [...html.matchAll(/(?:src|href)="(assets\/[^"]+)"/g)].map((m) => m[1]!);
    assert.deepEqual(assets.map((a) => a.split('.').pop()).sort(), ['css', 'js']);
    for (const asset of assets) {
      const answer = await fetch(`${server.url}/admin/${asset}`);
      assert.equal(answer.status, 200, asset);
      assert.equal(answer.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    }
    assert.equal((await fetch(`${server.url}/admin/assets/console-nothing.js`)).status, 404);
    const bare = await fetch(`${server.url}/admin`, { redirect: 'manual' });
    assert.equal(bare.status, 302);
    assert.equal(new URL(bare.headers.get('location')!, `${server.url}/admin`).pathname, '/admin/');
  });

  test('/admin/ sends the browser to the master realm\'s sign-in page, and back to the console signed in', async () => {
    await admin.goto(`${server.url}/admin/`);
    await admin.waitForURL((url) => url.pathname.endsWith('/protocol/openid-connect/auth'));
    assert.match(new URL(admin.url()).pathname, /^\/realms\/master\/protocol\/openid-connect\/auth/);
    const authorization = new URL(admin.url()).searchParams;
    assert.equal(authorization.get('client_id'), 'strix-admin-console');
    assert.equal(authorization.get('code_challenge_method'), 'S256');
    await submitSignInForm(admin, 'admin', adminPassword, (url) => url.pathname === '/admin/');
    await admin.getByRole('heading', { level: 1, name: 'Users' }).waitFor();
    for (const label of ['Realms', 'Clients', 'Users', 'Roles', 'Groups', 'Sessions', 'Events', 'Keys', 'Settings']) {
      assert.equal(await nav(label).count(), 1, `navigation item ${label}`);
    }
    assert.equal(new URL(admin.url()).search, '', 'the code and state are gone from the address bar');
  });

  let secret = '';

  test('an administrator creates a realm, a web app client (its secret shown once) and a user with a temporary password', async () => {
    await open('Realms');
    await admin.getByRole('button', { name: 'Create realm' }).click();
    const realmDialog = admin.getByRole('dialog', { name: 'Create realm' });
    await realmDialog.getByLabel('Realm name').fill('shop');
    await realmDialog.getByLabel('Display name').fill('Shop');
    await realmDialog.getByRole('button', { name: 'Create realm' }).click();
    await admin.getByRole('heading', { level: 1, name: 'Settings' }).waitFor();
    await open('Realms');
    await admin.getByRole('button', { name: 'Create realm' }).click();
    await realmDialog.getByLabel('Realm name').fill('shop');
    await realmDialog.getByRole('button', { name: 'Create realm' }).click();
    // The API's refusal (409, naming the realm) is shown in the dialog, not behind it.
    await realmDialog.getByRole('alert').filter({ hasText: /shop/ }).waitFor();
    await realmDialog.getByRole('button', { name: 'Cancel' }).click();
    assert.equal(await admin.getByLabel('Realm', { exact: true }).inputValue(), 'shop');

    await open('Clients');
    await admin.getByRole('button', { name: 'Create client' }).click();
    const clientDialog = admin.getByRole('dialog', { name: 'Create client' });
    await clientDialog.getByLabel('Web application').check();
    await clientDialog.getByLabel('Client ID').fill('shop-web');
    await clientDialog.getByLabel('Name').fill('Shop web app');
    await clientDialog.getByLabel('Redirect URIs').fill(rp.redirectUri);
    await admin.screenshot({ path: `${screenshots}/create-client-desktop.png` });
    await clientDialog.getByRole('button', { name: 'Create client' }).click();
    const created = admin.getByRole('dialog', { name: 'Client shop-web created' });
    secret = (await created.locator('[data-secret]').textContent()) ?? '';
    assert.ok(secret.length >= 32, 'the generated secret is shown');
    await admin.screenshot({ path: `${screenshots}/client-secret-desktop.png` });
    await created.getByRole('button', { name: 'Close' }).first().click();
    await admin.getByRole('link', { name: 'shop-web' }).waitFor();

    await open('Users');
    await admin.getByRole('button', { name: 'Create user' }).click();
    const userDialog = admin.getByRole('dialog', { name: 'Create user' });
    await userDialog.getByLabel('Username').fill('alice');
    await userDialog.getByLabel('E-mail').fill('alice@example.com');
    await userDialog.getByLabel('Given name').fill('Alice');
    await userDialog.getByLabel('Family name').fill('Liddell');
    await userDialog.getByLabel('Initial password').fill(temporaryPassword);
    assert.ok(await userDialog.getByLabel(/^Temporary/).isChecked());
    await userDialog.getByRole('button', { name: 'Create user' }).click();
    await admin.getByRole('heading', { level: 1, name: 'alice' }).waitFor();
    await admin.getByText('update password', { exact: true }).waitFor();
  });

  test('the single-page app, machine client and device templates make clients the API accepts, with a secret only for the machine client', async () => {
    const cases = [
      { template: 'Single-page app', id: 'shop-spa', redirect: 'http://127.0.0.1:5173/callback', type: 'Public', secret: false },
      { template: 'Machine client', id: 'shop-reports', type: 'Machine', secret: true },
      { template: 'Device', id: 'shop-tv', type: 'Device', secret: false },
    ];
    await open('Clients');
    for (const c of cases) {
      await admin.getByRole('button', { name: 'Create client' }).click();
      const dialog = admin.getByRole('dialog', { name: 'Create client' });
      await dialog.getByLabel(c.template).check();
      await dialog.getByLabel('Client ID').fill(c.id);
      if (c.redirect) await dialog.getByLabel('Redirect URIs').fill(c.redirect);
      await dialog.getByRole('button', { name: 'Create client' }).click();
      const created = admin.getByRole('dialog', { name: `Client ${c.id} created` });
      await created.waitFor();
      assert.equal(await created.locator('[data-secret]').count(), c.secret ? 1 : 0, c.id);
      await created.getByRole('button', { name: 'Close' }).first().click();
      assert.match((await admin.getByRole('row').filter({ hasText: c.id }).textContent()) ?? '', new RegExp(c.type), c.id);
    }
    const spa = await server.services.store.clients.get('shop', 'shop-spa');
    assert.deepEqual(spa?.metadata.allowed_origins, ['http://127.0.0.1:5173'], 'the SPA may call the token endpoint from its origin');
  });

  test('users are found as the administrator types', async () => {
    await open('Users');
    await admin.getByLabel('Search users').fill('lid');
    await admin.getByRole('link', { name: 'alice' }).waitFor();
    await admin.getByLabel('Search users').fill('nobody-by-that-name');
    await admin.getByText('No user matches').waitFor();
  });

  test('the user signs in to the new client (changing the temporary password), appears in Sessions, and ending the session there stops the refresh token', async () => {
    const config = await client.discovery(new URL(`${server.url}/realms/shop`), 'shop-web', secret, client.ClientSecretBasic(secret), { execute: [client.allowInsecureRequests] });
    const verifier = client.randomPKCECodeVerifier();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: rp.redirectUri, scope: 'openid profile email', state: 'state-1',
      code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    });
    const userContext = await newContext(browser);
    const user = await userContext.newPage();
    await user.goto(url.href);
    await submitSignInForm(user, 'alice', temporaryPassword);
    await user.getByLabel('New password', { exact: true }).fill(newPassword);
    await user.getByLabel('Repeat the new password').fill(newPassword);
    await Promise.all([user.waitForURL((u) => u.origin === rp.base), user.getByRole('button', { name: 'Change password' }).click()]);
    const tokens = await client.authorizationCodeGrant(config, new URL(user.url()), { pkceCodeVerifier: verifier, expectedState: 'state-1' });
    await userContext.close();
    assert.ok(tokens.refresh_token, 'a refresh token was issued');

    await open('Sessions');
    const row = admin.getByRole('row').filter({ hasText: 'alice' });
    await row.waitFor();
    assert.match((await row.textContent()) ?? '', /shop-web/);
    await admin.screenshot({ path: `${screenshots}/sessions-live-desktop.png`, fullPage: true });
    assert.deepEqual(await axeViolations(admin), [], 'axe-core on a session list');
    await row.getByRole('button', { name: 'End session of alice' }).click();
    const confirmation = admin.getByRole('alertdialog', { name: 'End alice\'s session?' });
    await confirmation.getByRole('button', { name: 'End session' }).click();
    await admin.getByText('No one is signed in.').waitFor();

    await assert.rejects(client.refreshTokenGrant(config, tokens.refresh_token!), (error: client.ResponseBodyError) => {
      assert.equal(error.error, 'invalid_grant');
      return true;
    });
  });

  test('roles with composites, a user\'s roles, a group tree, key rotation, the events filter and realm settings are managed from their pages', async () => {
    await open('Roles');
    for (const [name, composite] of [['viewer', undefined], ['editor', 'viewer']] as const) {
      await admin.getByRole('button', { name: 'Create role' }).click();
      const dialog = admin.getByRole('dialog', { name: 'Create role' });
      await dialog.getByLabel('Role name').fill(name);
      await dialog.getByLabel('Description').fill(`Can ${name === 'viewer' ? 'read' : 'change'} documents`);
      if (composite) await dialog.getByLabel(composite).check();
      await dialog.getByRole('button', { name: 'Create role' }).click();
      await admin.getByRole('row').filter({ hasText: name }).first().waitFor();
    }
    await admin.reload();
    assert.match((await admin.getByRole('row').filter({ hasText: 'editor' }).textContent()) ?? '', /viewer/, 'editor brings viewer');

    await open('Users');
    await admin.getByRole('link', { name: 'alice' }).click();
    await admin.getByRole('navigation', { name: 'User' }).getByRole('link', { name: 'Roles' }).click();
    await admin.getByLabel(/^editor/).check();
    await admin.getByRole('button', { name: 'Save roles' }).click();
    await admin.getByText('Saved the roles of alice.').waitFor();
    await admin.reload();
    assert.ok(await admin.getByLabel(/^editor/).isChecked(), 'the role was stored');

    await open('Groups');
    await admin.getByRole('button', { name: 'Create group' }).click();
    await admin.getByRole('dialog', { name: 'Create group' }).getByLabel('Group name').fill('staff');
    await admin.getByRole('dialog', { name: 'Create group' }).getByRole('button', { name: 'Create group' }).click();
    await admin.getByRole('button', { name: 'Add subgroup to /staff' }).click();
    const subgroup = admin.getByRole('dialog', { name: 'Add a subgroup to /staff' });
    await subgroup.getByLabel('Group name').fill('support');
    await subgroup.getByRole('button', { name: 'Create group' }).click();
    await admin.getByRole('button', { name: 'Subgroups of staff' }).click();
    await admin.getByRole('button', { name: 'Subgroups of support' }).waitFor();
    await admin.screenshot({ path: `${screenshots}/groups-tree-desktop.png`, fullPage: true });

    await open('Keys');
    assert.equal(await admin.getByText('retired', { exact: true }).count(), 0);
    await admin.getByRole('button', { name: 'Rotate keys' }).click();
    await admin.getByRole('alertdialog', { name: 'Rotate the signing keys of realm shop?' }).getByRole('button', { name: 'Rotate keys' }).click();
    await admin.getByText('retired', { exact: true }).first().waitFor();

    await open('Events');
    await admin.locator('tbody tr').filter({ hasText: 'admin_user_created' }).waitFor();
    await admin.getByLabel('Type').fill('admin_keys_rotated');
    await admin.locator('tbody tr').filter({ hasText: 'admin_user_created' }).waitFor({ state: 'detached' });
    assert.deepEqual(await admin.locator('tbody tr td:nth-child(2)').allTextContents(), ['admin_keys_rotated']);

    await open('Settings');
    await admin.getByLabel('Access token lifetime (seconds)').fill('120');
    await admin.getByLabel('Webhook URL').fill(`${rp.base}/hook`);
    await admin.getByLabel('Event types').fill('login_success');
    await admin.getByRole('button', { name: 'Add webhook' }).click();
    await admin.getByRole('button', { name: 'Save settings' }).first().click();
    await admin.getByText('Saved the settings of realm shop.').waitFor();
    await admin.reload();
    assert.equal(await admin.getByLabel('Access token lifetime (seconds)').inputValue(), '120');
    await admin.getByText(`${rp.base}/hook`).waitFor();
  });

  test('branding is edited with a live preview of the sign-in card, and saved to the realm\'s pages', async () => {
    await open('Settings');
    const preview = admin.getByRole('figure', { name: 'Preview of the sign-in page' });
    const button = preview.getByText('Sign in', { exact: true });
    await admin.getByLabel('Primary colour').fill('#c2410c');
    assert.equal(await button.evaluate((e) => getComputedStyle(e).backgroundColor), 'rgb(194, 65, 12)', 'the preview follows the colour as it is typed');
    await admin.getByLabel('Background colour').fill('#fef3c7');
    assert.equal(await preview.evaluate((e) => getComputedStyle(e).backgroundColor), 'rgb(254, 243, 199)');
    await preview.getByText('Secured by Strix').waitFor();
    await admin.getByLabel('Show “Secured by Strix” under the pages').uncheck();
    await preview.getByText('Secured by Strix').waitFor({ state: 'detached' });
    await admin.screenshot({ path: `${screenshots}/branding-desktop.png`, fullPage: true });
    await admin.getByRole('button', { name: 'Save settings' }).first().click();
    await admin.getByText('Saved the settings of realm shop.').waitFor();
    const realm = (await server.services.store.realms.get('shop'))!;
    assert.deepEqual(realm.settings.branding.colors, { primary: '#c2410c', background: '#fef3c7' });
    assert.equal(realm.settings.branding.secured_by_strix, false);
    const page = async (realm: string) => (await fetch(`${server.issuer(realm)}/protocol/openid-connect/auth?client_id=nobody`)).text();
    assert.match(await page('master'), /Secured by Strix/, 'a realm\'s page has the footer by default');
    assert.doesNotMatch(await page('shop'), /Secured by Strix/, 'the realm\'s pages drop the footer');
  });

  test('every page passes axe-core without serious or critical violations, and is screenshotted at desktop and phone width', async () => {
    const pages = ['Realms', 'Clients', 'Users', 'Roles', 'Groups', 'Sessions', 'Events', 'Keys', 'Settings'];
    const problems: string[] = [];
    for (const label of pages) {
      await open(label);
      problems.push(...(await axeViolations(admin)).map((v) => `${label}: ${v.id} (${v.impact}) ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`));
      await admin.screenshot({ path: `${screenshots}/${label.toLowerCase()}-desktop.png`, fullPage: true });
    }
    await admin.getByRole('link', { name: 'Users' }).first().click();
    await admin.getByRole('link', { name: 'alice' }).click();
    await admin.getByRole('heading', { level: 1, name: 'alice' }).waitFor();
    problems.push(...(await axeViolations(admin)).map((v) => `User: ${v.id} (${v.impact}) ${v.help}`));
    await admin.screenshot({ path: `${screenshots}/user-desktop.png`, fullPage: true });
    await open('Clients');
    await admin.getByRole('link', { name: 'shop-web' }).click();
    await admin.getByRole('heading', { level: 1, name: 'Shop web app' }).waitFor();
    problems.push(...(await axeViolations(admin)).map((v) => `Client: ${v.id} (${v.impact}) ${v.help}`));
    await admin.screenshot({ path: `${screenshots}/client-desktop.png`, fullPage: true });

    await admin.setViewportSize({ width: 390, height: 844 });
    await admin.getByRole('button', { name: 'Menu' }).click();
    await admin.screenshot({ path: `${screenshots}/menu-phone.png` });
    for (const label of pages) {
      if (!(await nav(label).isVisible())) await admin.getByRole('button', { name: 'Menu' }).click();
      await open(label);
      await admin.screenshot({ path: `${screenshots}/${label.toLowerCase()}-phone.png`, fullPage: true });
    }
    await admin.setViewportSize({ width: 1280, height: 800 });
    assert.deepEqual(problems, []);
  });

  test('rotating a client\'s secret shows the new one once, and the old one stops working', async () => {
    const tokenEndpoint = `${server.url}/realms/shop/protocol/openid-connect/token`;
    const attempt = (clientSecret: string) => fetch(tokenEndpoint, {
      method: 'POST', headers: { authorization: `Basic ${Buffer.from(`shop-web:${clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: 'no-such-code', redirect_uri: rp.redirectUri }),
    }).then(async (r) => (await r.json() as { error: string }).error);
    assert.equal(await attempt(secret), 'invalid_grant', 'the first secret authenticates the client');

    await open('Clients');
    await admin.getByRole('link', { name: 'shop-web' }).click();
    await admin.getByRole('button', { name: 'Rotate secret' }).click();
    await admin.getByRole('alertdialog', { name: 'Rotate the secret of client shop-web?' }).getByRole('button', { name: 'Rotate secret' }).click();
    const rotated = (await admin.locator('[data-secret]').textContent()) ?? '';
    assert.ok(rotated.length >= 32 && rotated !== secret);
    assert.equal(await attempt(secret), 'invalid_client');
    assert.equal(await attempt(rotated), 'invalid_grant');

    await admin.getByLabel('Post-logout redirect URIs').fill(rp.postLogoutRedirectUri);
    await admin.getByLabel('Ask users for consent').check();
    await admin.getByRole('button', { name: 'Save', exact: true }).click();
    await admin.getByText('Saved client shop-web.').waitFor();
    await admin.reload();
    assert.equal(await admin.getByLabel('Post-logout redirect URIs').inputValue(), rp.postLogoutRedirectUri);
    assert.ok(await admin.getByLabel('Ask users for consent').isChecked());
  });

  test('a user is disabled and enabled again from their page, the disabling confirmed by name', async () => {
    await open('Users');
    await admin.getByRole('link', { name: 'alice' }).click();
    await admin.getByRole('button', { name: 'Disable' }).click();
    await admin.getByRole('alertdialog', { name: 'Disable user alice?' }).getByRole('button', { name: 'Disable user' }).click();
    await admin.getByText('Disabled alice.').waitFor();
    await admin.reload();
    await admin.getByText('Disabled', { exact: true }).waitFor();
    await admin.getByRole('button', { name: 'Enable' }).click();
    await admin.getByText('Enabled alice.').waitFor();
    assert.equal((await server.services.store.users.findByUsername('shop', 'alice'))?.enabled, true);
  });

  test('"Send an e-mail with actions" is off, saying why, while the realm cannot send mail; then it sends, and says so', async () => {
    await open('Users');
    await admin.getByRole('link', { name: 'alice' }).click();
    const send = admin.getByRole('button', { name: 'Send an e-mail with actions' });
    await admin.getByText('The realm cannot send mail').waitFor();
    assert.ok(await send.isDisabled());
    assert.ok(await admin.getByLabel('Verify e-mail').isDisabled());

    const shop = (await server.services.store.realms.get('shop'))!;
    // An SMTP server nobody answers at: the message waits in the outbox, which is all the button needs.
    await server.services.store.realms.upsert({ ...shop, settings: { ...shop.settings, smtp: { url: 'smtp://127.0.0.1:9', from: 'shop@example.test' } } }, server.clock.now());
    await admin.reload();
    await admin.getByLabel('Verify e-mail').check();
    await admin.getByLabel('Update profile').check();
    assert.equal(await admin.getByText('The realm cannot send mail').count(), 0);
    await send.click();
    await admin.getByText('Sent alice an e-mail with actions.').waitFor();
    const alice = (await server.services.store.users.findByUsername('shop', 'alice'))!;
    assert.deepEqual(alice.requiredActions, ['verify_email', 'update_profile']);
    assert.ok(await server.services.store.mailOutbox.pendingCount() >= 1, 'the message is queued');
    await server.services.store.realms.upsert(shop, server.clock.now());
  });

  test('an access token that has expired is renewed with the refresh token, without asking for the password again', async () => {
    server.clock.advance(600);
    const refreshed = admin.waitForRequest((request) => request.url().endsWith('/realms/master/protocol/openid-connect/token') && /grant_type=refresh_token/.test(request.postData() ?? ''));
    await open('Clients');
    await refreshed;
    await admin.getByRole('link', { name: 'shop-web' }).waitFor();
    assert.equal(new URL(admin.url()).pathname, '/admin/');
  });

  test('an authorization response the tab did not ask for is dropped, not redeemed', async () => {
    const redeemed: string[] = [];
    admin.on('request', (request) => { if (/grant_type=authorization_code/.test(request.postData() ?? '')) redeemed.push(request.url()); });
    await admin.goto(`${server.url}/admin/?code=forged-code&state=forged-state#/shop/keys`);
    await admin.getByRole('heading', { level: 1, name: 'Keys' }).waitFor();
    assert.equal(new URL(admin.url()).search, '');
    assert.deepEqual(redeemed, []);
  });

  test('a realm\'s own realm-admin signs in at /admin/{realm}/console/ to that realm and sees no other', async () => {
    const { store } = server.services;
    await store.roles.ensure('shop', ['realm-admin']);
    const id = randomUUID();
    await store.users.create({ id, realm: 'shop', username: 'shop-admin', email: null, passwordHash: await hashPassword(newPassword), claims: {}, enabled: true }, server.clock.now());
    await store.users.setRoles(id, ['realm-admin']);
    const page = await (await newContext(browser, { viewport: { width: 1280, height: 800 } })).newPage();
    try {
      await page.goto(`${server.url}/admin/shop/console/`);
      await page.waitForURL((url) => url.pathname.endsWith('/protocol/openid-connect/auth'));
      assert.match(new URL(page.url()).pathname, /^\/realms\/shop\//);
      await submitSignInForm(page, 'shop-admin', newPassword, (url) => url.pathname === '/admin/shop/console/');
      await page.getByRole('heading', { level: 1, name: 'Users' }).waitFor();
      await page.getByText('shop realm').waitFor();
      const picker = page.getByLabel('Realm');
      assert.deepEqual(await picker.locator('option').allTextContents(), ['Shop (shop)']);
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Clients', exact: true }).click();
      await page.getByRole('link', { name: 'shop-web' }).waitFor();
    } finally {
      await page.context().close();
    }
  });

  test('signing out ends the master session: /admin/ asks for the password again', async () => {
    await admin.getByRole('button', { name: 'Sign out' }).click();
    const signOut = admin.getByRole('button', { name: 'Sign out' });
    // The logout endpoint may ask to confirm; either way the browser lands on the sign-in page.
    await admin.waitForURL((u) => u.pathname.includes('/protocol/openid-connect/'));
    if (await signOut.isVisible()) await signOut.click();
    await admin.getByLabel('Password').waitFor();
    assert.match(new URL(admin.url()).pathname, /\/realms\/master\/protocol\/openid-connect\/auth/);
  });
});
