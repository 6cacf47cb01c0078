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
  await retryUntil(
    page,
    async () => {
      // A list still open from a lost click would be closed by clicking the select again.
      if ((await page.locator('.ant-select-dropdown:visible').count()) === 0) await select.click();
      await page
        .locator('.ant-select-dropdown:visible')
        .getByTitle(title, { exact: true })
        .click({ timeout: 10_000 })
        .catch(() => undefined);
    },
    chosen,
    5_000,
    (tries) => `the select did not take "${title}" in ${tries} tries`,
  );
}

/**
 * Does `act` and watches `done` for `watchMs`, again and again until `done` holds; after a minute
 * the next unsuccessful round throws `failure(tries)`. `act` catches the failures it tolerates (a
 * click that found nothing to click): the next round tries again.
 */
async function retryUntil(page: Page, act: () => Promise<void>, done: () => Promise<boolean>, watchMs: number, failure: (tries: number) => string): Promise<void> {
  const giveUp = Date.now() + 60_000;
  for (let attempt = 1; ; attempt++) {
    await act();
    const deadline = Date.now() + watchMs;
    while (Date.now() < deadline) {
      if (await done().catch(() => false)) return;
      await page.waitForTimeout(100);
    }
    if (Date.now() > giveUp) throw new Error(failure(attempt));
  }
}

/**
 * For an afterEach of a test that failed: throws an error saying where each open page was and the
 * start of what it showed, and saves each one's screenshot as `FAILED-<test name>-<who>.png` under
 * `shotsDir`. A TimeoutError names only what the test waited for; the page's own text (the login
 * form, an error alert, another language) says why it never came, and CI's closing list of failed
 * tests (scripts/test-summary.mjs) prints this beside it.
 */
export async function explainFailure(failed: boolean, name: string, pages: Record<string, Page | undefined>, shotsDir?: string): Promise<void> {
  if (!failed) return;
  const slug = name.replace(/[^A-Za-z0-9]+/g, '-').slice(0, 60);
  const seen: string[] = [];
  for (const [who, p] of Object.entries(pages)) {
    if (!p || p.isClosed()) continue;
    // The page's own part (not the menu every page shares) when the console's layout is there, and
    // any dialog or toast on top of it; five seconds at most, so a hung page does not hold the hook up.
    const read = async () => {
      const main = (await p.locator('.ant-layout-content').count()) ? '.ant-layout-content, .ant-modal-wrap:visible, .ant-message' : 'body';
      return (await p.locator(main).allInnerTexts()).join(' | ').replace(/\s+/g, ' ').trim().slice(0, 400);
    };
    const text = await Promise.race([read(), new Promise<string>((resolve) => setTimeout(resolve, 5_000, '(no text in 5 s)').unref())]).catch((e: Error) => `(no text: ${e.message.split('\n')[0]})`);
    if (shotsDir) await p.screenshot({ path: `${shotsDir}/FAILED-${slug}-${who}.png`, timeout: 5_000 }).catch(() => undefined);
    seen.push(`${who} page at ${p.url()} showed: ${text}`);
  }
  if (seen.length) throw new Error(`when "${name}" failed: ${seen.join(' || ')}`);
}

/**
 * Clicks `target` until `done` holds, for up to a minute. On a loaded machine a click can land while
 * the page is still settling (a form re-validating, a route loading its code) and be lost; the
 * button is then clicked again (pickOption's remedy, for buttons). Only for clicks that are safe to
 * repeat until they have taken effect (a form's submit button, which antd disables while it sends).
 * `done` looks at what the click causes: a URL, a message.
 */
export async function clickUntil(page: Page, target: Locator, done: () => Promise<boolean>, what: string): Promise<void> {
  await retryUntil(page, () => target.click({ timeout: 10_000 }).catch(() => undefined), done, 8_000, (clicks) => `${what}: still not done after ${clicks} clicks (page at ${page.url()})`);
}
