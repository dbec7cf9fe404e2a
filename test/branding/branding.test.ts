// Realm branding (docs/branding.md) as an administrator sets it and a person sees it: the admin API
// takes the `branding` setting and refuses bad values naming them; Chromium renders the realm's pages
// with an extreme theme (a very long name, right-to-left overrides, a 4000×4000 logo) and checks that
// the colours, logo, footer and wording are applied and that nothing leaves the card or scrolls sideways.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { adminApi, assertProblem, masterWithServiceAccounts, serviceToken, type AdminCall } from '../helpers/admin-api.js';
import { browserPerSuite, newContext, skipWithoutChromium } from '../helpers/browser.js';
import { testRealm } from '../helpers/realm.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { authorizeUrl, pkcePair } from '../helpers/user-agent.js';

const screenshots = join(process.cwd(), 'test-results', 'branding');
const redirectUri = 'http://127.0.0.1:3999/callback';

const longName = 'The Extraordinarily Long-Named Municipal Department of Verification, Authentication and Identity Assurance '
  + 'Services for Residents, Visitors and Everyone Else — Pneumonoultramicroscopicsilicovolcanoconiosis'.repeat(2);
const hugeLogo = 'data:image/svg+xml;base64,' + Buffer.from(
  '<svg xmlns="http://www.w3.org/2000/svg" width="4000" height="4000" viewBox="0 0 4000 4000">'
  + '<rect width="4000" height="4000" fill="#0b7285"/><circle cx="2000" cy="2000" r="1500" fill="#ffd43b"/></svg>',
).toString('base64');
const rtlHeading = 'تسجيل الدخول إلى حسابك في {realm} — ברוכים הבאים למערכת הזיהוי';
const rtlFooter = 'محمي بواسطة فريق الأمن في المؤسسة';
const extremeTheme = {
  logo_url: hugeLogo,
  favicon_url: hugeLogo,
  colors: { primary: '#0b7285', background: '#1d1f2b' },
  stylesheet: 'main.card { border-color: #ffd43b; }\n',
  secured_by_strix: true,
  messages: { en: { loginHeading: rtlHeading, securedBy: rtlFooter, loginContinueTo: 'להמשיך אל {client} ' + 'ארוך'.repeat(40) } },
};

/** Everything the browser lays out inside the card stays inside it; the page never scrolls sideways. */
async function assertNothingOverflows(page: Page, what: string): Promise<void> {
  const found = await page.evaluate(() => {
    const card = document.querySelector('main.card')!.getBoundingClientRect();
    const outside = Array.from(document.querySelectorAll('main.card *')).filter((element) => {
      const box = element.getBoundingClientRect();
      if (box.width === 0 && box.height === 0) return false;
      return box.left < card.left - 0.5 || box.right > card.right + 0.5;
    }).map((element) => element.outerHTML.slice(0, 120));
    const header = Array.from(document.querySelectorAll('header *, footer')).filter((element) => {
      const box = element.getBoundingClientRect();
      return box.left < -0.5 || box.right > window.innerWidth + 0.5;
    }).map((element) => element.outerHTML.slice(0, 120));
    return { outside, header, scrollWidth: document.documentElement.scrollWidth, width: window.innerWidth };
  });
  assert.deepEqual(found.outside, [], `${what}: elements outside the card`);
  assert.deepEqual(found.header, [], `${what}: header or footer wider than the screen`);
  assert.ok(found.scrollWidth <= found.width, `${what}: the page scrolls sideways (${found.scrollWidth} > ${found.width})`);
}

async function shoot(page: Page, name: string): Promise<void> {
  mkdirSync(screenshots, { recursive: true });
  await page.screenshot({ path: join(screenshots, `${name}.png`), fullPage: true });
}

describe('realm branding', () => {
  let server: TestServer;
  let admin: AdminCall;
  before(async () => {
    server = await startServer('sqlite', { realms: [testRealm().realms[0]!, masterWithServiceAccounts()] });
    admin = adminApi(server, await serviceToken(server, 'ops-bot'));
  });
  after(async () => { await server?.close(); });

  async function setBranding(branding: unknown, more: Record<string, unknown> = {}) {
    const { body } = await admin('GET', '/realms/demo');
    return admin('PUT', '/realms/demo', { ...body, name: undefined, registration: undefined, ...more, branding });
  }

  function signInUrl(clientId = 'trusted'): string {
    return authorizeUrl(server.issuer(), {
      client_id: clientId, redirect_uri: redirectUri, response_type: 'code', scope: 'openid', state: 's',
      code_challenge: pkcePair().challenge, code_challenge_method: 'S256',
    });
  }

  test('a bad branding value is refused by the admin API with a problem naming the setting, and nothing changes', async () => {
    const before = (await admin('GET', '/realms/demo')).body.branding;
    const cases: [unknown, string][] = [
      [{ colors: { primary: 'red; } body { display: none' } }, 'branding.colors.primary'],
      [{ colors: { accent: '#ffffff' } }, 'branding.colors.accent'],
      [{ logo_url: 'http://cdn.example/logo.png' }, 'branding.logo_url'],
      [{ logo_url: 'data:text/html;base64,PHNjcmlwdD4=' }, 'branding.logo_url'],
      [{ logo_url: `data:image/png;base64,${Buffer.alloc(300 * 1024).toString('base64')}` }, 'branding.logo_url'],
      [{ stylesheet: 'a{}'.repeat(30_000) }, 'branding.stylesheet'],
      [{ messages: { en: { noSuchMessage: 'x' } } }, 'branding.messages.en.noSuchMessage'],
      [{ messages: { xx: { signIn: 'x' } } }, 'branding.messages.xx'],
      [{ secured_by_strix: 'no' }, 'branding.secured_by_strix'],
      [{ theme: 'dark' }, 'branding.theme'],
    ];
    for (const [branding, field] of cases) {
      const answer = await setBranding(branding);
      assertProblem(answer, 400, field);
      assert.match(answer.body.detail, new RegExp(`^${field.replace(/\./g, '\\.')}: `));
    }
    assert.deepEqual((await admin('GET', '/realms/demo')).body.branding, before);
  });

  test('the branding set through the admin API is read back as set', async () => {
    const answer = await setBranding(extremeTheme);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.deepEqual(answer.body.branding, extremeTheme);
    assert.deepEqual((await admin('GET', '/realms/demo')).body.branding, extremeTheme);
  });

  describe('in the browser', () => {
    if (skipWithoutChromium()) return;
    const browser = browserPerSuite();

    test('the sign-in page shows the theme: colours, logo, favicon, wording and footer, with nothing overflowing at 390px and 1280px', async () => {
      assert.equal((await setBranding(extremeTheme, { display_name: longName })).status, 200);
      for (const width of [390, 1280]) {
        const context = await newContext(browser(), { viewport: { width, height: 844 } });
        try {
          const page = await context.newPage();
          await page.goto(signInUrl());
          await shoot(page, `sign-in-${width}`);
          await assertNothingOverflows(page, `sign-in at ${width}px`);
          const look = await page.evaluate(() => {
            const button = document.querySelector('button[type=submit]')!;
            const logo = document.querySelector<HTMLImageElement>('header img.realm-logo')!;
            return {
              button: getComputedStyle(button).backgroundColor,
              body: getComputedStyle(document.body).backgroundColor,
              card: getComputedStyle(document.querySelector('main.card')!).borderTopColor,
              logo: { loaded: logo.complete && logo.naturalWidth > 0, height: logo.getBoundingClientRect().height, alt: logo.alt },
              favicon: document.querySelector<HTMLLinkElement>('link[rel=icon]')?.href,
            };
          });
          assert.equal(look.button, 'rgb(11, 114, 133)', 'the primary colour');
          if (width > 480) assert.equal(look.body, 'rgb(29, 31, 43)', 'the background colour');
          assert.equal(look.card, 'rgb(255, 212, 59)', 'the realm stylesheet comes after Strix\'s');
          assert.ok(look.logo.loaded, 'the logo is loaded');
          assert.ok(look.logo.height <= 64, `the logo is at most 64px high (${look.logo.height})`);
          assert.equal(look.logo.alt, longName);
          assert.match(look.favicon ?? '', /\/realms\/demo\/resources\/branding\/favicon\?v=/);
          assert.ok(await page.getByRole('heading', { name: rtlHeading.replace('{realm}', longName) }).isVisible());
          assert.equal(await page.locator('footer').textContent(), rtlFooter);
          assert.ok(await page.getByRole('button', { name: 'Sign in' }).isVisible(), 'untouched messages keep their text');
        } finally {
          await context.close();
        }
      }
    });

    test('"Secured by Strix" goes when secured_by_strix is false, and Strix\'s look returns when the branding is removed', async () => {
      assert.equal((await setBranding({ ...extremeTheme, secured_by_strix: false }, { display_name: 'Demo' })).status, 200);
      const context = await newContext(browser());
      try {
        const page = await context.newPage();
        await page.goto(signInUrl());
        assert.equal(await page.locator('footer').count(), 0);
        assert.equal((await setBranding(undefined, { display_name: 'Demo' })).status, 200);
        await page.goto(signInUrl());
        assert.equal(await page.locator('footer').textContent(), 'Secured by Strix');
        assert.equal(await page.locator('link[href*="theme.css"]').count(), 0);
        assert.equal(await page.locator('header .realm-name').textContent(), 'DDemo');
        assert.ok(await page.getByRole('heading', { name: 'Sign in to Demo' }).isVisible());
      } finally {
        await context.close();
      }
    });
  });
});
