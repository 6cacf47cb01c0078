/**
 * The console's quality, in a real headless Chromium against a real gateway (SQLite, simulator
 * upstream): what the first load transfers (precompressed bundles, bytes counted by the browser's
 * network layer), phone layouts at 390 px judged by element boxes, an `<h1>`, a `<nav>` landmark
 * and a label on every form control of every page, dark mode following the system with a switch,
 * and the admin's views (system overview, users with balance and activity, "add user", request
 * log with emails and channel names, the channel form's default URL and upstream model list).
 * Screenshots go to test-artifacts/console-quality/.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../harness.js';
import { CONSOLE_DIST, ensureConsoleBuilt } from './console-build.js';

const SHOTS = fileURLToPath(new URL('../../../../test-artifacts/console-quality/', import.meta.url));
const DESKTOP = { width: 1366, height: 860 };
const PHONE = { width: 390, height: 844 };
/** The budget for the first load, in bytes on the wire. */
const FIRST_LOAD_BUDGET = 600_000;
/** Generous waits: the machine the suite runs on may be busy (the pages render after lazy chunks and requests). */
const WAIT = 45_000;
const poll = <T>(fn: () => Promise<T> | T, timeout = WAIT) => expect.poll(fn, { timeout });

/** Roles of the controls that must carry a name of their own (a placeholder is not a label). */
const FORM_ROLES = new Set(['textbox', 'searchbox', 'combobox', 'spinbutton', 'checkbox', 'switch', 'radio', 'slider', 'listbox']);

interface AxNode {
  ignored: boolean;
  role?: { value: string };
  name?: { value: string; sources?: { type: string; attribute?: string; value?: { value: string }; superseded?: boolean }[] };
  backendDOMNodeId?: number;
}

describe('console quality (Chromium)', { timeout: 300_000 }, () => {
  let t: TestGateway;
  let browser: Browser;
  let user: { cookie: string; userId: string; appId: string; key: string };
  const userEmail = `cq-${Date.now().toString(36)}@test.local`;
  const pageErrors: string[] = [];
  /** Signed-in browser states, made once through the API's session cookie. */
  let userState: Awaited<ReturnType<BrowserContext['storageState']>>;
  let adminState: Awaited<ReturnType<BrowserContext['storageState']>>;
  const measured: Record<string, unknown> = {};

  async function stateFor(email: string, password: string) {
    const ctx = await browser.newContext({ viewport: DESKTOP, locale: 'en-US' });
    const p = await ctx.newPage();
    p.setDefaultTimeout(WAIT);
    p.setDefaultNavigationTimeout(WAIT);
    await p.goto(`${t.url}/login`);
    await p.getByLabel('Email').fill(email);
    await p.getByLabel('Password').fill(password);
    await p.getByRole('button', { name: 'Log in' }).click();
    await p.waitForURL((u) => u.pathname === '/');
    const state = await ctx.storageState();
    await ctx.close();
    return state;
  }

  async function open(opts: { state?: typeof userState; viewport?: typeof DESKTOP; locale?: string; colorScheme?: 'light' | 'dark' } = {}): Promise<{ ctx: BrowserContext; page: Page }> {
    const phone = opts.viewport === PHONE;
    const ctx = await browser.newContext({ viewport: opts.viewport ?? DESKTOP, locale: opts.locale ?? 'en-US', storageState: opts.state, colorScheme: opts.colorScheme ?? 'light', ...(phone ? { isMobile: true, hasTouch: true } : {}) });
    const page = await ctx.newPage();
    page.setDefaultTimeout(WAIT);
    page.setDefaultNavigationTimeout(WAIT);
    page.on('pageerror', (e) => pageErrors.push(`${page.url()}: ${e.message}`));
    return { ctx, page };
  }

  const shot = (p: Page, name: string) => p.screenshot({ path: join(SHOTS, `${name}.png`) });
  /** The page does not scroll sideways. */
  const noSideScroll = (p: Page) => p.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth);

  beforeAll(async () => {
    ensureConsoleBuilt();
    mkdirSync(SHOTS, { recursive: true });
    t = await startTestGateway({ start: { consoleDir: CONSOLE_DIST } });
    user = await t.newUserWithKey(userEmail);
    // Usage to show: a few calls, one failing, and a second key on the user's app.
    const client = new OpenAI({ apiKey: user.key, baseURL: `${t.url}/v1`, maxRetries: 0 });
    for (let i = 0; i < 3; i++) await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `quality ${i}` }] });
    await client.chat.completions.create({ model: 'no-such-model', messages: [{ role: 'user', content: 'x' }] }).catch(() => undefined);
    expect((await t.api('POST', `/api/apps/${user.appId}/keys`, { name: 'a rather long key name for a phone screen' }, { cookie: user.cookie })).status).toBe(200);
    // Its App was made by hand, which answered the welcome step (skipped): the sign-in below leads to the dashboard.
    expect((await t.api<{ onboarding: boolean }>('GET', '/api/auth/me', undefined, { cookie: user.cookie })).body.onboarding).toBe(false);
    // The user's password is the harness's default for newUserWithKey: set a known one.
    const password = 'Quality-pw-Juniper-53-harbour';
    expect((await t.api('PATCH', `/api/admin/users/${user.userId}`, { password }, { token: t.rootToken })).status).toBe(200);
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    userState = await stateFor(userEmail, password);
    adminState = await stateFor(t.admin.email, t.admin.password);
  }, 240_000);

  afterAll(async () => {
    writeFileSync(join(SHOTS, 'measurements.json'), JSON.stringify(measured, null, 2));
    await browser?.close();
    await t?.close();
  });

  /**
   * Loads a page in a fresh context (empty cache) and counts the bytes its network layer received
   * (Chromium's `encodedDataLength`: compressed bodies plus headers) until the page is idle, with
   * the first paint as the browser timed it.
   */
  async function firstLoad(path: string, state?: typeof userState) {
    const { ctx, page } = await open({ state });
    const cdp = await ctx.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
    const bytes = new Map<string, number>();
    const encodings = new Map<string, string>();
    const urls = new Map<string, string>();
    cdp.on('Network.responseReceived', (e) => {
      urls.set(e.requestId, e.response.url);
      const enc = Object.entries(e.response.headers).find(([k]) => k.toLowerCase() === 'content-encoding')?.[1];
      if (enc) encodings.set(e.requestId, String(enc));
    });
    cdp.on('Network.loadingFinished', (e) => bytes.set(e.requestId, e.encodedDataLength));
    await page.goto(`${t.url}${path}`, { waitUntil: 'networkidle' });
    await page.locator('h1').first().waitFor();
    const paint = await page.evaluate(() => Object.fromEntries(performance.getEntriesByType('paint').map((p) => [p.name, Math.round(p.startTime)])));
    const total = [...bytes.values()].reduce((a, b) => a + b, 0);
    const scripts = [...urls.entries()].filter(([, u]) => /\/assets\/.*\.js$/.test(u));
    await ctx.close();
    return { total, paint, scripts: scripts.map(([id, u]) => ({ url: u.replace(t.url, ''), bytes: bytes.get(id) ?? 0, encoding: encodings.get(id) ?? null })) };
  }

  it('first load of the log-in page and of the dashboard stays under 600 KB on the wire, with Brotli bundles', async () => {
    const login = await firstLoad('/login');
    const dashboard = await firstLoad('/', userState);
    measured.login = login;
    measured.dashboard = dashboard;
    for (const load of [login, dashboard]) {
      expect(load.total).toBeGreaterThan(10_000);
      expect(load.total).toBeLessThan(FIRST_LOAD_BUDGET);
      expect(load.scripts.length).toBeGreaterThan(0);
      // Every bundle came precompressed.
      // Every bundle the build compressed (all but the few under 1 KB) came as Brotli.
      for (const s of load.scripts) expect(s.encoding, s.url).toBe(existsSync(join(CONSOLE_DIST, `${s.url}.br`)) ? 'br' : null);
      expect(load.scripts.filter((s) => s.encoding === 'br').length).toBeGreaterThan(load.scripts.length / 2);
      expect(load.paint['first-paint']).toBeGreaterThan(0);
    }
  });

  it('shows a loading state before the scripts run, and names each page in the tab title', async () => {
    const { ctx, page } = await open({ state: userState });
    // The served HTML itself carries it (nothing to wait for: no script has run yet in a raw fetch).
    const html = await (await fetch(`${t.url}/`)).text();
    expect(html).toContain('data-testid="boot"');
    expect(html).toMatch(/Loading… · 加载中…/);
    await page.goto(`${t.url}/usage`);
    await page.locator('h1', { hasText: 'Usage logs' }).waitFor();
    await poll(() => page.title()).toBe('Usage logs · APIGPT');
    expect(await page.getByTestId('boot').count()).toBe(0);
    await page.getByTestId('language-switch').getByText('中文').click();
    await poll(() => page.title()).toBe('调用日志 · APIGPT');
    await page.getByTestId('language-switch').getByText('EN').click();
    await ctx.close();
  });

  /**
   * Every console page: one `<h1>`, a `<nav>` landmark (on pages with the menu), and a name from a
   * label, aria-label or aria-labelledby on every form control, as Chromium's accessibility tree
   * computes it (a placeholder does not count).
   */
  async function checkPage(page: Page, path: string, withNav: boolean): Promise<string[]> {
    const problems: string[] = [];
    await page.goto(`${t.url}${path}`);
    await page.locator('h1').first().waitFor();
    // Pages fill their forms after their requests: wait until nothing is loading any more (some
    // pages poll, so the network never goes quiet for long).
    await poll(() => page.locator('.ant-spin-spinning:visible, .ant-skeleton-active:visible').count()).toBe(0);
    const h1 = await page.locator('h1:visible').count();
    if (h1 !== 1) problems.push(`${path}: ${h1} visible h1`);
    if (withNav && (await page.locator('nav').count()) < 1) problems.push(`${path}: no nav landmark`);
    if (/^APIGPT Console$/.test(await page.title())) problems.push(`${path}: no page title`);
    const cdp = await page.context().newCDPSession(page);
    const { nodes } = (await cdp.send('Accessibility.getFullAXTree')) as unknown as { nodes: AxNode[] };
    for (const n of nodes) {
      if (n.ignored || !n.role || !FORM_ROLES.has(n.role.value)) continue;
      const name = n.name?.value?.trim() ?? '';
      const from = n.name?.sources?.find((s) => !s.superseded && s.value?.value);
      const byPlaceholder = from?.attribute === 'placeholder' || from?.type === 'placeholder';
      if (!name || byPlaceholder) {
        const html = n.backendDOMNodeId ? ((await cdp.send('DOM.getOuterHTML', { backendNodeId: n.backendDOMNodeId })) as { outerHTML: string }).outerHTML.slice(0, 160) : '?';
        problems.push(`${path}: ${n.role.value} without a label ${byPlaceholder ? '(placeholder only) ' : ''}${html}`);
      }
    }
    await cdp.detach();
    return problems;
  }

  it('every page has one h1, a nav landmark and a label on each input (user and admin pages, from the menu)', async () => {
    const problems: string[] = [];
    const visitor = await open();
    for (const path of ['/login', '/signup']) problems.push(...(await checkPage(visitor.page, path, false)));
    await visitor.ctx.close();

    const { ctx, page } = await open({ state: adminState });
    await page.goto(`${t.url}/`);
    await page.locator('nav a[href="/admin/overview"]').waitFor();
    // Every route the menu links to: a page added later is checked without touching this test.
    const links = await page.locator('nav a[href^="/"]').evaluateAll((as) => [...new Set(as.map((a) => a.getAttribute('href')!))]);
    expect(links).toEqual(expect.arrayContaining(['/', '/usage', '/integration', '/docs', '/admin/overview', '/admin/users', '/admin/channels', '/admin/logs']));
    for (const path of links) problems.push(...(await checkPage(page, path, true)));
    await ctx.close();
    expect(problems).toEqual([]);
  });

  it('phones (390 px): usage and keys without sideways scrolling, revoke within reach, samples and docs inside the screen', async () => {
    const { ctx, page } = await open({ state: userState, viewport: PHONE, locale: 'zh-CN' });
    await page.goto(`${t.url}/usage`);
    const rows = page.locator('.ant-table-row');
    await poll(() => rows.count()).toBe(4);
    // The table fits: no scroll area wider than its box, no cell past the screen's edge.
    expect(await page.locator('.ant-table-container').first().evaluate((el) => el.scrollWidth <= el.clientWidth)).toBe(true);
    for (const cost of await page.getByTestId('log-cost').all()) {
      const box = (await cost.boundingBox())!;
      expect(box.x + box.width).toBeLessThanOrEqual(PHONE.width);
    }
    expect(await noSideScroll(page)).toBe(true);
    await shot(page, 'usage-phone-zh');

    await page.goto(`${t.url}/integration`);
    const revoke = page.locator('[data-testid^="revoke-"]');
    await poll(() => revoke.count()).toBe(2);
    for (const b of await revoke.all()) {
      await b.scrollIntoViewIfNeeded();
      const box = (await b.boundingBox())!;
      expect(box.x).toBeGreaterThanOrEqual(0);
      expect(box.x + box.width).toBeLessThanOrEqual(PHONE.width);
    }
    expect(await page.getByTestId('keys-table').first().evaluate((el) => el.scrollWidth <= el.clientWidth)).toBe(true);
    // Code samples wrap (or scroll) inside their own box, which stays inside the screen.
    const samples = page.locator('.code-sample:visible');
    expect(await samples.count()).toBeGreaterThan(0);
    for (const s of await samples.all()) {
      const fits = await s.evaluate((el) => {
        const r = el.getBoundingClientRect();
        return r.left >= 0 && r.right <= window.innerWidth && el.scrollWidth <= el.clientWidth;
      });
      expect(fits).toBe(true);
    }
    expect(await noSideScroll(page)).toBe(true);
    await shot(page, 'integration-phone-zh');
    // Revoking from the phone works: the confirm opens on screen and the key is revoked.
    const last = revoke.last();
    await last.click();
    const ok = page.locator('.ant-popconfirm:visible').getByRole('button', { name: /吊\s*销|Revoke/ });
    await ok.click();
    await poll(() => revoke.count()).toBe(1);

    await page.goto(`${t.url}/docs`);
    await page.locator('h1').waitFor();
    await page.locator('.md-body').first().waitFor();
    expect(await noSideScroll(page)).toBe(true);
    for (const pre of await page.locator('.md-body pre').all()) {
      const r = await pre.evaluate((el) => ({ right: el.getBoundingClientRect().right, w: window.innerWidth }));
      expect(r.right).toBeLessThanOrEqual(r.w);
    }
    await shot(page, 'docs-phone-zh');
    await ctx.close();
  });

  it('dark mode follows the system, and the switch overrides it (remembered across a reload)', async () => {
    const lightness = (p: Page) =>
      p.locator('.ant-layout').first().evaluate((el) => {
        const m = getComputedStyle(el).backgroundColor.match(/\d+(\.\d+)?/g)!.map(Number);
        return (m[0] + m[1] + m[2]) / 3;
      });
    const { ctx, page } = await open({ state: userState, colorScheme: 'dark' });
    await page.goto(`${t.url}/`);
    await page.getByTestId('balance').waitFor();
    await poll(() => page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    expect(await lightness(page)).toBeLessThan(60);
    await shot(page, 'dashboard-dark-desktop-en');
    // "Light" wins over the system's dark, and stays after a reload.
    await page.getByTestId('theme-switch').click();
    await page.getByTestId('theme-light').click();
    await poll(() => page.evaluate(() => document.documentElement.dataset.theme)).toBe('light');
    expect(await lightness(page)).toBeGreaterThan(200);
    await page.reload();
    await page.getByTestId('balance').waitFor();
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('light');
    // Back to following the system.
    await page.getByTestId('theme-switch').click();
    await page.getByTestId('theme-system').click();
    await poll(() => page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    await page.getByTestId('language-switch').getByText('中文').click();
    await page.locator('h1', { hasText: '概览' }).waitFor();
    await shot(page, 'dashboard-dark-desktop-zh');
    await ctx.close();

    const phone = await open({ state: userState, colorScheme: 'dark', viewport: PHONE, locale: 'zh-CN' });
    await phone.page.goto(`${t.url}/usage`);
    await poll(() => phone.page.locator('.ant-table-row').count()).toBe(4);
    expect(await lightness(phone.page)).toBeLessThan(60);
    expect(await noSideScroll(phone.page)).toBe(true);
    await shot(phone.page, 'usage-dark-phone-zh');
    await phone.ctx.close();
  });

  it('the admin overview counts every account, with top users by email and top models', async () => {
    const report = (await t.api('GET', '/api/admin/overview?days=30', undefined, { token: t.rootToken })).body;
    const calls = report.days.reduce((s: number, d: { requests: number }) => s + d.requests, 0);
    const errors = report.days.reduce((s: number, d: { errors: number }) => s + d.errors, 0);
    const { ctx, page } = await open({ state: adminState });
    await page.goto(`${t.url}/admin/overview`);
    await poll(() => page.getByTestId('overview-calls').locator('.ant-statistic-content').innerText()).toBe(calls.toLocaleString('en-US'));
    expect(await page.getByTestId('overview-errors').locator('.ant-statistic-content').innerText()).toBe(String(errors));
    const topUser = page.getByTestId('overview-users').locator('.ant-table-row').first();
    await poll(() => topUser.innerText()).toContain(userEmail);
    expect(await page.getByTestId('overview-models').locator('.ant-table-row', { hasText: 'gpt-4o-mini' }).count()).toBe(1);
    await shot(page, 'admin-overview-desktop-en');
    // The top account links to its calls in the request log, filtered by email, with channel names.
    await topUser.getByRole('link', { name: userEmail }).click();
    await page.waitForURL((u) => u.pathname === '/admin/logs');
    await poll(() => page.locator('.ant-table-row').count()).toBe(4);
    const users = await page.getByTestId('log-user').allInnerTexts();
    expect(new Set(users)).toEqual(new Set([userEmail]));
    const channels = await page.getByTestId('log-channel').allInnerTexts();
    expect(channels.filter((c) => c === 'sim')).toHaveLength(3);
    // No internal id where a name belongs.
    expect(await page.locator('.ant-table-tbody').innerText()).not.toContain(user.userId);
    await shot(page, 'admin-logs-desktop-en');
    await ctx.close();

    const dark = await open({ state: adminState, colorScheme: 'dark', locale: 'zh-CN' });
    await dark.page.goto(`${t.url}/admin/overview`);
    await poll(() => dark.page.getByTestId('overview-calls').locator('.ant-statistic-content').innerText()).toBe(calls.toLocaleString('en-US'));
    await dark.page.locator('canvas').first().waitFor();
    await shot(dark.page, 'admin-overview-dark-desktop-zh');
    await dark.ctx.close();
  });

  it('the users table shows balance, spend and last call; "add user" refuses a weak password in the reader\'s language', async () => {
    const { ctx, page } = await open({ state: adminState, locale: 'zh-CN' });
    await page.goto(`${t.url}/admin/users`);
    const row = page.locator('.ant-table-row', { hasText: userEmail });
    await row.waitFor();
    // The user's session as the browser holds it (the password set in beforeAll ended the harness's one).
    const cookie = userState.cookies.map((c) => `${c.name}=${c.value}`).join('; ');
    const balance = (await t.api('GET', '/api/billing/account', undefined, { cookie })).body.balance as number;
    expect(balance).toBeGreaterThan(0);
    expect(Number((await row.getByTestId('user-balance').innerText()).replace(/[^\d.]/g, ''))).toBeCloseTo(balance, 2);
    expect(await row.getByTestId('user-last-active').innerText()).not.toBe('从未');
    expect(Number((await row.getByTestId('user-spend').innerText()).replace(/[^\d.]/g, ''))).toBeGreaterThan(0);

    await page.getByTestId('add-user').click();
    const dialog = page.getByRole('dialog');
    const email = `added-${Date.now().toString(36)}@test.local`;
    await dialog.getByTestId('add-user-email').fill(email);
    await dialog.getByTestId('add-user-password').fill('password123');
    await dialog.getByRole('button', { name: /保\s*存/ }).click();
    // The server's weak_password, worded in Chinese.
    await dialog.getByText('密码太容易被猜到', { exact: false }).waitFor();
    await shot(page, 'admin-add-user-weak-desktop-zh');
    await dialog.getByTestId('add-user-password').fill('Added-pw-Cobalt-91-meadow');
    await dialog.getByRole('button', { name: /保\s*存/ }).click();
    await dialog.waitFor({ state: 'hidden' });
    const added = page.locator('.ant-table-row', { hasText: email });
    await added.waitFor();
    expect(await added.getByTestId('user-last-active').innerText()).toBe('从未');
    expect((await t.api('POST', '/api/auth/login', { email, password: 'Added-pw-Cobalt-91-meadow' })).status).toBe(200);
    await shot(page, 'admin-users-desktop-zh');
    await ctx.close();
  });

  it('the channel form fills the default base URL per kind and picks models from the upstream list', async () => {
    const { ctx, page } = await open({ state: adminState });
    await page.goto(`${t.url}/admin/channels`);
    await page.locator('.ant-table-row', { hasText: 'sim' }).first().waitFor();
    await page.getByRole('button', { name: 'Add channel' }).first().click();
    const dialog = page.getByRole('dialog');
    const baseUrl = dialog.getByTestId('channel-baseurl');
    // The kinds' list is virtual (only the options in view exist): search for the one wanted.
    const pick = async (label: string) => {
      for (let attempt = 1; ; attempt++) {
        // The last list closes with an animation: the next is opened only once it is gone, or a click
        // can land on the closing one (seen once in a loaded CI run: the kind did not change).
        await poll(() => page.locator('.ant-select-dropdown:visible').count()).toBe(0);
        await dialog.getByTestId('channel-provider').click();
        await page.keyboard.type(label.replace(/[()]/g, ''));
        const option = page.locator('.ant-select-dropdown:visible .ant-select-item-option', { hasText: label }).first();
        await option.waitFor();
        await option.click();
        // The list is filtered and re-rendered as the text is typed; on a loaded machine the click
        // can reach an option being replaced (seen again in CI, 2026-12-04: the kind stayed). The
        // pick is made again, as a person would; the third miss fails the test.
        const picked = await expect
          .poll(() => dialog.getByTestId('channel-provider').innerText(), { timeout: 10_000 })
          .toContain(label)
          .then(
            () => true,
            () => false,
          );
        if (picked) return;
        if (attempt === 3) throw new Error(`the channel kind ${label} could not be picked in 3 tries`);
        // Escape closes a list still open; with none open it would close the dialog itself (seen in
        // a loaded CI run, 2026-12-07: the pick had landed late, Escape shut the form, and every try
        // after it failed).
        if (await page.locator('.ant-select-dropdown:visible').count()) await page.keyboard.press('Escape');
      }
    };
    await pick('(deepseek)');
    await poll(() => baseUrl.inputValue()).toBe('https://api.deepseek.com');
    await pick('(anthropic)');
    await poll(() => baseUrl.inputValue()).toBe('https://api.anthropic.com');
    // A kind without one address clears another kind's default; an address the admin typed stays.
    await pick('(openai-compatible)');
    await poll(() => baseUrl.inputValue()).toBe('');
    await baseUrl.fill(`${t.sim.url}/v1`);
    await pick('(openai)');
    expect(await baseUrl.inputValue()).toBe(`${t.sim.url}/v1`);
    await dialog.getByTestId('channel-name').fill('picked');
    await dialog.getByTestId('channel-fetch-models').click();
    const list = dialog.getByTestId('channel-fetched-models');
    await list.waitFor();
    // Search the fetched list and pick the match (the list is virtual, like the kinds').
    await list.click();
    await page.keyboard.type('gpt-4o-mini');
    await page.locator('.ant-select-dropdown:visible .ant-select-item-option-active[title="gpt-4o-mini"]').waitFor();
    await page.keyboard.press('Enter');
    await poll(() => dialog.getByTestId('channel-models').inputValue()).toBe('gpt-4o-mini');
    // Close the list by clicking elsewhere in the dialog (Escape would close the dialog too).
    await dialog.locator('.ant-modal-title').click();
    await shot(page, 'admin-channel-models-desktop-en');
    // A wrong address says why, in the form.
    await baseUrl.fill('http://127.0.0.1:9/v1');
    await dialog.getByTestId('channel-fetch-models').click();
    await dialog.getByTestId('channel-fetch-error').waitFor();
    expect(await dialog.getByTestId('channel-fetch-error').innerText()).toContain('could not be reached');
    await ctx.close();
  });

  it('threw no uncaught error in any page', () => {
    expect(pageErrors).toEqual([]);
  });
});
