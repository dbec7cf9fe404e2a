// The account console in Chromium, JavaScript off (its pages need none): a user signs in through an
// application, opens every page from the navigation, changes a name, and each page is photographed
// at a desktop's width and a phone's (390 px) under test-results/account/, to be looked at; axe-core
// checks each page for serious and critical accessibility findings.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { axeViolations, browserPerSuite, newContext, skipWithoutChromium, submitSignInForm } from '../helpers/browser.js';
import { password, testRealmWith } from '../helpers/realm.js';
import { startRelyingParty, type RelyingParty } from '../helpers/relying-party.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { authorizeUrl, pkcePair } from '../helpers/user-agent.js';

const screenshots = 'test-results/account';
const pages = [
  { name: 'Overview', file: 'overview' },
  { name: 'Personal info', file: 'personal-info' },
  { name: 'Password', file: 'password' },
  { name: 'Signing in', file: 'signing-in' },
  { name: 'Devices and sessions', file: 'sessions' },
  { name: 'Applications', file: 'applications' },
];

describe('account console in a browser', () => {
  if (skipWithoutChromium()) return;
  let server: TestServer;
  let rp: RelyingParty;
  const browser = browserPerSuite();
  before(async () => {
    mkdirSync(screenshots, { recursive: true });
    rp = await startRelyingParty();
    const grace = { username: 'grace', password, given_name: 'Grace', family_name: 'Hopper', name: 'Grace Hopper', email: 'grace@example.com' };
    server = await startServer('sqlite', testRealmWith({ users: [grace] }, rp.base));
    // Another browser signed in too, to an application that asks for consent: Devices and sessions
    // then has a session to sign out, and Applications an application to revoke.
    await (await signedInPage(browser(), 1280, 'web')).context().close();
  });
  after(async () => {
    await server?.close();
    await rp?.close();
  });

  /** A page of a fresh context (JavaScript off, `width` wide) signed in as grace through `client` (allowed, if it asks). */
  async function signedInPage(b: Browser, width: number, client: 'trusted' | 'web' = 'trusted', javaScriptEnabled = false): Promise<Page> {
    const context = await newContext(b, { javaScriptEnabled, viewport: { width, height: 900 } });
    const page = await context.newPage();
    await page.goto(authorizeUrl(server.issuer(), {
      client_id: client, redirect_uri: rp.redirectUri, response_type: 'code', scope: 'openid profile', state: 's',
      code_challenge: pkcePair().challenge, code_challenge_method: 'S256',
    }));
    const atApplication = (url: URL) => url.href.startsWith(rp.redirectUri);
    await submitSignInForm(page, 'grace', password, client === 'trusted' ? atApplication : undefined);
    if (client === 'web') await Promise.all([page.waitForURL(atApplication), page.getByRole('button', { name: 'Allow' }).click()]);
    await page.goto(`${server.issuer()}/account/`);
    return page;
  }

  for (const [label, width] of [['desktop', 1280], ['phone', 390]] as const) {
    test(`every page is reached from the navigation and fits a ${label}'s width`, async () => {
      const page = await signedInPage(browser(), width);
      try {
        for (const { name, file } of pages) {
          await page.getByRole('navigation', { name: 'Account' }).getByRole('link', { name, exact: true }).click();
          assert.equal(await page.locator('nav a[aria-current="page"]').textContent(), name);
          const overflow = await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth');
          assert.equal(overflow, 0, `${name} does not scroll sideways`);
          await page.screenshot({ path: `${screenshots}/${file}-${label}.png`, fullPage: true });
        }
      } finally {
        await page.context().close();
      }
    });
  }

  // axe-core is a script run in the page: this one browser has JavaScript on, which the pages do not use.
  test('no page has a serious or critical accessibility finding (axe-core)', async () => {
    const page = await signedInPage(browser(), 1280, 'trusted', true);
    try {
      for (const { name } of pages) {
        await page.getByRole('navigation', { name: 'Account' }).getByRole('link', { name, exact: true }).click();
        await page.waitForLoadState();
        const violations = await axeViolations(page);
        assert.deepEqual(violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`), [], `${name}: axe-core finds nothing serious or critical`);
      }
    } finally {
      await page.context().close();
    }
  });

  test('a user changes their name with the form, and the page shows it saved', async () => {
    const page = await signedInPage(browser(), 1280);
    try {
      await page.getByRole('link', { name: /Personal info/ }).first().click();
      await page.getByLabel('Given name').fill('Amazing Grace');
      await page.getByLabel('Language').selectOption('de');
      await page.getByRole('button', { name: 'Save' }).click();
      assert.ok(await page.getByRole('status').filter({ hasText: 'Your personal information is saved' }).isVisible());
      assert.equal(await page.getByLabel('Given name').inputValue(), 'Amazing Grace');
      assert.equal(await page.getByLabel('Language').inputValue(), 'de');
      await page.screenshot({ path: `${screenshots}/personal-info-saved-desktop.png`, fullPage: true });
    } finally {
      await page.context().close();
    }
  });

  test('in French the console speaks French, and its longer words still fit a phone', async () => {
    // Signed in in English, then the same cookies in a browser that prefers French.
    const english = await signedInPage(browser(), 390);
    const cookies = await english.context().cookies();
    await english.context().close();
    const context = await newContext(browser(), { javaScriptEnabled: false, viewport: { width: 390, height: 900 }, locale: 'fr-FR' });
    await context.addCookies(cookies);
    const page = await context.newPage();
    try {
      await page.goto(`${server.issuer()}/account/`);
      const nav = page.getByRole('navigation', { name: 'Compte' });
      await nav.getByRole('link', { name: 'Appareils et sessions', exact: true }).click();
      assert.ok(await page.getByRole('heading', { name: 'Appareils et sessions' }).isVisible());
      assert.ok(await page.getByText('Cet appareil').isVisible());
      assert.equal(await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth'), 0);
      await page.screenshot({ path: `${screenshots}/sessions-phone-fr.png`, fullPage: true });
    } finally {
      await page.context().close();
    }
  });
});
