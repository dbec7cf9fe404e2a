// A real browser for end-to-end tests: Debian's Chromium driven by playwright-core.
import { existsSync } from 'node:fs';
import { after, afterEach, before, beforeEach } from 'node:test';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const chromiumPath = process.env.STRIX_TEST_CHROMIUM ?? '/usr/bin/chromium';

export function chromiumAvailable(): boolean {
  return existsSync(chromiumPath);
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/**
 * The hooks of a browser suite: Chromium for the suite and, for each test, a fresh English context
 * (15 s timeouts) whose new page is handed to `use`; `prepare` may set the context up first (routes).
 */
export function pagePerTest(use: (page: Page, context: BrowserContext) => void, prepare?: (context: BrowserContext) => Promise<unknown>): void {
  let browser: Browser | undefined;
  let context: BrowserContext | undefined;
  before(async () => { browser = await launchBrowser(); });
  after(async () => { await browser?.close(); });
  beforeEach(async () => {
    context = await browser!.newContext({ locale: 'en-US' });
    context.setDefaultTimeout(15_000);
    await prepare?.(context);
    use(await context.newPage(), context);
  });
  afterEach(async () => { await context?.close(); });
}
