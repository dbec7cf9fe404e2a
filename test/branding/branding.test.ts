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
import { browserPerSuite, newContext, skipWithoutChromium, submitSignInForm } from '../helpers/browser.js';
import { eventually } from '../helpers/eventually.js';
import { codeAt, withTotp } from '../helpers/mfa.js';
import { testRealm } from '../helpers/realm.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { linkIn, startSmtp, type TestSmtp } from '../helpers/smtp.js';
import { startRelyingParty, type RelyingParty } from '../helpers/relying-party.js';
import { authorizeUrl, pkcePair } from '../helpers/user-agent.js';

const screenshots = join(process.cwd(), 'test-results', 'branding');

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

/** A right-to-left heading for every kind of page, from each of the page and e-mail catalogues. */
const headings = {
  mfaHeading: 'تأكيد هويتك باستخدام رمز التحقق',
  consentHeading: '{client} מבקש גישה לחשבון שלך',
  accountMfaTitle: 'أمان تسجيل الدخول إلى حسابك',
  deviceTitle: 'ربط جهاز جديد بحسابك',
  logoutHeading: 'لتسجيل الخروج من {realm}؟',
  loggedOutHeading: 'لقد قمت بتسجيل الخروج بنجاح',
  forgotTitle: 'إعادة تعيين كلمة المرور الخاصة بك',
  forgotSentTitle: 'تحقق من بريدك الإلكتروني',
  resetTitle: 'اختر كلمة مرور جديدة',
  registerHeading: 'צור את החשבון שלך ב-{realm}',
};
const mailAction = 'إعادة تعيين كلمة المرور الآن';
const allPagesTheme = { ...extremeTheme, messages: { en: { ...extremeTheme.messages.en, ...headings, resetAction: mailAction } } };

/** Everything the browser lays out inside the card stays inside it; the page never scrolls sideways. */
async function assertNothingOverflows(page: Page, what: string): Promise<void> {
  const found = await page.evaluate(() => {
    const card = document.querySelector('main.card')!.getBoundingClientRect();
    const outside = Array.from(document.querySelectorAll('main.card *')).filter((element) => {
      const box = element.getBoundingClientRect();
      if (box.width === 0 && box.height === 0) return false;
      return box.left < card.left - 0.5 || box.right > card.right + 0.5;
    }).map((element) => element.outerHTML.slice(0, 120));
    // Text wider than the box it is in (a long word in a flex item) overflows without moving the box.
    const clipped = Array.from(document.querySelectorAll('main.card, main.card *')).filter((element) => element.scrollWidth > element.clientWidth + 1 && !['INPUT', 'SELECT', 'TEXTAREA'].includes(element.tagName))
      .map((element) => element.outerHTML.slice(0, 120));
    const header = Array.from(document.querySelectorAll('header *, footer')).filter((element) => {
      const box = element.getBoundingClientRect();
      return box.left < -0.5 || box.right > window.innerWidth + 0.5;
    }).map((element) => element.outerHTML.slice(0, 120));
    return { outside, clipped, header, scrollWidth: document.documentElement.scrollWidth, width: window.innerWidth };
  });
  assert.deepEqual(found.outside, [], `${what}: elements outside the card`);
  assert.deepEqual(found.clipped, [], `${what}: text wider than its box`);
  assert.deepEqual(found.header, [], `${what}: header or footer wider than the screen`);
  assert.ok(found.scrollWidth <= found.width, `${what}: the page scrolls sideways (${found.scrollWidth} > ${found.width})`);
}

async function shoot(page: Page, name: string): Promise<void> {
  mkdirSync(screenshots, { recursive: true });
  await page.screenshot({ path: join(screenshots, `${name}.png`), fullPage: true });
}

describe('realm branding', () => {
  let rp: RelyingParty;
  let smtp: TestSmtp;
  let server: TestServer;
  let admin: AdminCall;
  before(async () => {
    rp = await startRelyingParty();
    smtp = await startSmtp();
    server = await startServer('sqlite', { realms: [{ ...testRealm(rp.base).realms[0]!, user_registration: true }, masterWithServiceAccounts()] }, { env: smtp.env });
    admin = adminApi(server, await serviceToken(server, 'ops-bot'));
  });
  after(async () => {
    await server?.close();
    await smtp?.close();
    await rp?.close();
  });

  async function setBranding(branding: unknown, more: Record<string, unknown> = {}) {
    const { body } = await admin('GET', '/realms/demo');
    return admin('PUT', '/realms/demo', { ...body, name: undefined, registration: undefined, ...more, branding });
  }

  /** The page's branded parts, read in the browser. */
  async function assertBranded(page: Page, what: string, heading?: string): Promise<void> {
    const look = await page.evaluate(() => {
      const logo = document.querySelector<HTMLImageElement>('header img.realm-logo');
      return {
        logo: logo ? logo.complete && logo.naturalWidth > 0 && logo.getBoundingClientRect().height <= 64 : false,
        theme: document.querySelector('link[rel=stylesheet][href*="/realms/demo/resources/theme.css?v="]') !== null,
        footer: document.querySelector('footer')?.textContent,
        heading: document.querySelector('h1')?.textContent,
      };
    });
    assert.ok(look.logo, `${what}: the logo is shown, at most 64px high`);
    assert.ok(look.theme, `${what}: the realm's theme is loaded`);
    assert.equal(look.footer, rtlFooter, `${what}: the footer's wording`);
    if (heading !== undefined) assert.equal(look.heading, heading, `${what}: the heading's wording`);
  }

  async function checkPage(page: Page, name: string, heading?: string): Promise<void> {
    await shoot(page, name);
    await assertBranded(page, name, heading);
    await assertNothingOverflows(page, name);
  }

  function signInUrl(clientId = 'trusted'): string {
    return authorizeUrl(server.issuer(), {
      client_id: clientId, redirect_uri: rp.redirectUri, response_type: 'code', scope: 'openid', state: 's',
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

  test('the theme and a data: logo are resources of the realm: the pages\' CSP keeps style-src \'self\' and the SVG cannot run anything', async () => {
    assert.equal((await setBranding(extremeTheme)).status, 200);
    const page = await fetch(signInUrl(), { headers: { accept: 'text/html' } });
    const policy = page.headers.get('content-security-policy') ?? '';
    assert.match(policy, /style-src 'self'(;|$)/);
    assert.doesNotMatch(policy, /unsafe-inline/);
    const html = await page.text();
    assert.doesNotMatch(html, /style=|<style/, 'no inline style');
    assert.doesNotMatch(html, /data:image/, 'the logo is not repeated in every page');
    const themeHref = /<link rel="stylesheet" href="([^"]+theme\.css\?v=[^"]+)"/.exec(html)?.[1]?.replace(/&amp;/g, '&');
    const theme = await fetch(themeHref!);
    assert.equal(theme.status, 200);
    assert.match(theme.headers.get('content-type') ?? '', /^text\/css/);
    assert.match(theme.headers.get('cache-control') ?? '', /immutable/);
    const css = await theme.text();
    assert.match(css, /--brand: #0b7285;/);
    assert.ok(css.trimEnd().endsWith(extremeTheme.stylesheet.trimEnd()), 'the realm\'s stylesheet comes last');
    const stale = await fetch(themeHref!.replace(/v=[^&]+/, 'v=old'));
    assert.equal(stale.headers.get('cache-control'), 'no-cache', 'an address with another version is not cached for good');

    const logoHref = /<img class="realm-logo" src="([^"]+)"/.exec(html)?.[1]?.replace(/&amp;/g, '&');
    const logo = await fetch(logoHref!);
    assert.equal(logo.status, 200);
    assert.equal(logo.headers.get('content-type'), 'image/svg+xml');
    assert.equal(logo.headers.get('x-content-type-options'), 'nosniff');
    assert.match(logo.headers.get('content-security-policy') ?? '', /default-src 'none'.*sandbox/);
    assert.equal((await fetch(`${server.issuer()}/resources/branding/background`)).status, 404);
  });

  test('an https logo is loaded from its origin, which the realm\'s pages then allow as an image source', async () => {
    assert.equal((await setBranding({ logo_url: 'https://cdn.example.com/brand/logo.png' })).status, 200);
    const page = await fetch(signInUrl(), { headers: { accept: 'text/html' } });
    assert.match(page.headers.get('content-security-policy') ?? '', /img-src 'self' data: https:\/\/cdn\.example\.com(;|$)/);
    assert.match(await page.text(), /<img class="realm-logo" src="https:\/\/cdn\.example\.com\/brand\/logo\.png"/);
  });

  test('an override applies in its own locale only, chosen by ui_locales or Accept-Language, and its text is escaped', async () => {
    const messages = { fr: { loginHeading: 'Bienvenue chez <b>{realm}</b>' }, de: { signIn: 'Los geht\'s' } };
    assert.equal((await setBranding({ messages }, { display_name: 'Demo' })).status, 200);
    const html = async (url: string, language: string) => (await fetch(url, { headers: { accept: 'text/html', 'accept-language': language } })).text();
    const french = await html(signInUrl(), 'fr-FR,fr;q=0.9');
    assert.match(french, /<h1>Bienvenue chez &lt;b>Demo&lt;\/b><\/h1>/);
    assert.match(french, /Se connecter/, 'other French texts are Strix\'s');
    assert.match(await html(signInUrl(), 'en'), /<h1>Sign in to Demo<\/h1>/);
    assert.match(await html(`${signInUrl()}&ui_locales=de`, 'fr'), /Los geht&#39;s|Los geht's/);
  });

  test('a theme stored by an earlier version, with an override of a message that no longer exists, still renders and round-trips through the API', async () => {
    const realm = (await server.services.store.realms.get('demo'))!;
    const branding = { ...realm.settings.branding, messages: { en: { signIn: 'Log in', aMessageOfAnOlderVersion: 'Gone' } } };
    await server.services.store.realms.upsert({ ...realm, settings: { ...realm.settings, branding } }, server.clock.now());
    const page = await fetch(signInUrl(), { headers: { accept: 'text/html' } });
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(html, />Log in</);
    assert.doesNotMatch(html, /Gone/);
    const read = await admin('GET', '/realms/demo');
    assert.deepEqual(read.body.branding.messages, { en: { signIn: 'Log in' } });
    const { name: _name, registration: _registration, ...settings } = read.body;
    assert.equal((await admin('PUT', '/realms/demo', settings)).status, 200);
  });

  describe('in the browser', () => {
    if (skipWithoutChromium()) return;
    const browser = browserPerSuite();

    test('the sign-in page shows the theme: colours, logo, favicon, wording and footer, with nothing overflowing at 390px and 1280px', async () => {
      assert.equal((await setBranding(extremeTheme, { display_name: longName })).status, 200);
      for (const [width, colorScheme] of [[390, 'light'], [1280, 'light'], [1280, 'dark']] as const) {
        const context = await newContext(browser(), { viewport: { width, height: 844 }, colorScheme });
        try {
          const page = await context.newPage();
          await page.goto(signInUrl());
          await shoot(page, `sign-in-theme-${width}-${colorScheme}`);
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

    test('every kind of page, and the e-mail, takes the extreme theme at a phone\'s width without overflowing its card', async () => {
      assert.equal((await setBranding(allPagesTheme, { display_name: longName })).status, 200);
      const secret = await withTotp(server, 'alice');
      const context = await newContext(browser(), { viewport: { width: 390, height: 844 } });
      const realm = longName;
      try {
        const page = await context.newPage();
        await page.goto(signInUrl('web'));
        await checkPage(page, 'sign-in', rtlHeading.replace('{realm}', realm));

        await page.goto(authorizeUrl(server.issuer(), { client_id: 'no-such-client', redirect_uri: rp.redirectUri, response_type: 'code', scope: 'openid' }));
        await checkPage(page, 'error');

        await page.goto(signInUrl('web'));
        await submitSignInForm(page, 'alice');
        await checkPage(page, 'mfa', headings.mfaHeading);
        await page.getByLabel('Verification code').fill(codeAt(server, secret));
        await page.getByRole('button', { name: 'Verify' }).click();
        await checkPage(page, 'consent', headings.consentHeading.replace('{client}', 'Demo web app'));
        await Promise.all([page.waitForURL((url) => url.href.startsWith(`${rp.redirectUri}?`) && url.searchParams.has('code')), page.getByRole('button', { name: 'Allow' }).click()]);

        await page.goto(`${server.issuer()}/account/mfa`);
        await checkPage(page, 'account-mfa', headings.accountMfaTitle);
        await page.goto(`${server.issuer()}/account/applications`);
        await checkPage(page, 'account-applications');
        await page.goto(`${server.issuer()}/device`);
        await checkPage(page, 'device', headings.deviceTitle);

        await page.goto(`${server.issuer()}/protocol/openid-connect/logout`);
        await checkPage(page, 'logout', headings.logoutHeading.replace('{realm}', realm));
        await page.getByRole('button', { name: 'Sign out' }).click();
        await checkPage(page, 'signed-out', headings.loggedOutHeading);

        await page.goto(`${server.issuer()}/login-actions/registration`);
        await checkPage(page, 'registration', headings.registerHeading.replace('{realm}', realm));
        await page.goto(`${server.issuer()}/login-actions/forgot-password`);
        await checkPage(page, 'forgot-password', headings.forgotTitle);
        await page.getByLabel('Username or email').fill('alice');
        await page.getByRole('button', { name: 'Send reset link' }).click();
        await checkPage(page, 'forgot-password-sent', headings.forgotSentTitle);

        const mail = await eventually(() => smtp.received.find((m) => m.to.includes('alice@example.com')), 'the reset message');
        assert.ok(mail.html.includes('background:#0b7285'), 'the e-mail\'s button has the primary colour');
        assert.ok(mail.html.includes(mailAction) && mail.text.includes(mailAction), 'the e-mail takes the realm\'s wording');
        const logo = /<img src="([^"]+)"/.exec(mail.html)?.[1]?.replace(/&amp;/g, '&');
        assert.ok(logo?.startsWith(`${server.issuer()}/resources/branding/logo?v=`), `the e-mail shows the logo from the realm's address (${logo})`);
        const image = await fetch(logo!);
        assert.equal(image.status, 200);
        assert.equal(image.headers.get('content-type'), 'image/svg+xml');
        // Shown as a mail reader would: the HTML alone, with its inline styles and no CSP, at Strix's host.
        const mailView = `${server.url}/mail-view`;
        await page.route(mailView, (route) => route.fulfill({ contentType: 'text/html; charset=utf-8', body: mail.html }));
        await page.goto(mailView);
        await page.waitForFunction(() => Array.from(document.images).every((img) => img.complete && img.naturalWidth > 0));
        await shoot(page, 'mail-reset-password');
        assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'the e-mail does not scroll sideways');

        await page.goto(linkIn(mail, `${server.issuer()}/login-actions/reset-password?token=`));
        await checkPage(page, 'reset-password', headings.resetTitle);
      } finally {
        await context.close();
      }
    });

    test('without a logo, a very long display name wraps beside the realm\'s initial in the header at a phone\'s width', async () => {
      assert.equal((await setBranding({ ...extremeTheme, logo_url: null }, { display_name: longName })).status, 200);
      const context = await newContext(browser(), { viewport: { width: 390, height: 844 } });
      try {
        const page = await context.newPage();
        await page.goto(signInUrl());
        await shoot(page, 'sign-in-no-logo-390');
        await assertNothingOverflows(page, 'sign-in without a logo');
        assert.equal(await page.locator('header .realm-title').textContent(), longName);
        assert.equal(await page.locator('header img').count(), 0);
      } finally {
        await context.close();
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
        await shoot(page, 'sign-in-unbranded');
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
