// A real browser for end-to-end tests: Debian's Chromium driven by playwright-core. The one place
// that launches it and sets up its contexts.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { after, afterEach, before, beforeEach, test } from 'node:test';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
import { password } from './realm.js';

export const chromiumPath = process.env.STRIX_TEST_CHROMIUM ?? '/usr/bin/chromium';

export function chromiumAvailable(): boolean {
  return existsSync(chromiumPath);
}

/**
 * Browser suites run where Chromium is installed, and always under CI=true (where a missing one
 * fails). Elsewhere this registers a skipped test saying why and returns true: `if (skipWithoutChromium()) return;`.
 */
export function skipWithoutChromium(): boolean {
  if (chromiumAvailable() || process.env.CI === 'true') return false;
  test.skip(`Chromium is not installed at ${chromiumPath} (set STRIX_TEST_CHROMIUM): browser tests are skipped`);
  return true;
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/** A fresh context as every browser test uses it: English, 15 s timeouts; `options` may add to it (JavaScript off). */
export async function newContext(browser: Browser, options: BrowserContextOptions = {}): Promise<BrowserContext> {
  const context = await browser.newContext({ locale: 'en-US', ...options });
  context.setDefaultTimeout(15_000);
  return context;
}

/** The hooks of a suite that shares one Chromium between its tests: launched before them, closed after; returns its getter. */
export function browserPerSuite(): () => Browser {
  let browser: Browser | undefined;
  before(async () => { browser = await launchBrowser(); });
  after(async () => { await browser?.close(); });
  return () => browser!;
}

/**
 * The hooks of a browser suite: Chromium for the suite and, for each test, a fresh context
 * (newContext) whose new page is handed to `use`; `prepare` may set the context up first (routes).
 */
export function pagePerTest(use: (page: Page, context: BrowserContext) => unknown, prepare?: (context: BrowserContext) => Promise<unknown>): void {
  const browser = browserPerSuite();
  let context: BrowserContext | undefined;
  beforeEach(async () => {
    context = await newContext(browser());
    await prepare?.(context);
    await use(await context.newPage(), context);
  });
  afterEach(async () => { await context?.close(); });
}

/**
 * Fills Strix's sign-in form on `page` (the test realm's password unless `secret` is given) and presses
 * Sign in; with `until`, also waits, from before the press, for the browser to reach a URL it matches.
 */
export async function submitSignInForm(page: Page, username: string, secret = password, until?: RegExp | ((url: URL) => boolean)): Promise<void> {
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(secret);
  await Promise.all([until && page.waitForURL(until), page.getByRole('button', { name: 'Sign in' }).click()]);
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }

/** axe-core run in the page (its source evaluated, so the page's CSP is untouched); serious and critical findings only. */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  // A string is evaluated by the DevTools protocol itself, which the page's CSP (no eval) does not govern.
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (context: Document, options: object) => Promise<{ violations: AxeViolation[] }> } }).axe;
    return (await axe.run(document, { resultTypes: ['violations'] })).violations;
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}
