/**
 * Debian's Chromium for the end-to-end tests (nothing downloads a browser: README, "Tests"), and a
 * page signed in as a user by the session cookie the management API gave them, so each test file
 * does not carry its own copy of either.
 */
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
}

export interface SessionPageOptions {
  /** The browser's language (the console follows it): 'en-US' unless told. */
  locale?: string;
  viewport?: { width: number; height: number };
  /** Collects uncaught page errors and Content-Security-Policy violations, when given. */
  errors?: string[];
}

/** A fresh browser context holding `cookie` (`name=value`, as the API's Set-Cookie carried it) for `url`. */
export async function sessionPage(browser: Browser, url: string, cookie: string | null, opts: SessionPageOptions = {}): Promise<Page> {
  const ctx = await browser.newContext({ locale: opts.locale ?? 'en-US', ...(opts.viewport ? { viewport: opts.viewport } : {}) });
  if (cookie) {
    const [name, value] = cookie.split('=');
    await ctx.addCookies([{ name, value, url }]);
  }
  const page = await ctx.newPage();
  // A ceiling, not a wait: the first page of a run compiles the console bundle while other test
  // files load the same two cores.
  page.setDefaultTimeout(30_000);
  const errors = opts.errors;
  if (errors) {
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) errors.push(`CSP: ${m.text()}`);
    });
  }
  return page;
}

/**
 * Chooses `title` in an antd Select and waits until `chosen` says the form took it. The dropdown
 * opens and closes with an animation: on a loaded machine a click can land while the option is
 * still moving (or the list is closing), and is lost. Then it opens the list again, for up to a
 * minute (three tries were not always enough in CI). `chosen` must look at the form (the field's
 * text, a field that appears), not at the list.
 */
export async function pickOption(page: Page, select: Locator, title: string, chosen: () => Promise<boolean>): Promise<void> {
  const giveUp = Date.now() + 60_000;
  for (let attempt = 1; ; attempt++) {
    // A list still open from a lost click would be closed by clicking the select again.
    if ((await page.locator('.ant-select-dropdown:visible').count()) === 0) await select.click();
    await page
      .locator('.ant-select-dropdown:visible')
      .getByTitle(title, { exact: true })
      .click({ timeout: 10_000 })
      .catch(() => undefined);
    const deadline = Date.now() + 5_000;
    while (Date.now() < deadline) {
      if (await chosen().catch(() => false)) return;
      await page.waitForTimeout(100);
    }
    if (Date.now() > giveUp) throw new Error(`the select did not take "${title}" in ${attempt} tries`);
  }
}
