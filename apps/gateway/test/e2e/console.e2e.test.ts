/**
 * The console in a real headless Chromium against a real gateway (SQLite, simulator upstream):
 * sign-up to first call, usage with cost, the chat playground streaming, images, an admin's channel
 * and code, a redemption, and the language switch. Screenshots go to test-artifacts/console/.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../harness.js';
import { CONSOLE_DIST, ensureConsoleBuilt } from './console-build.js';

const SHOTS = fileURLToPath(new URL('../../../../test-artifacts/console/', import.meta.url));
const DESKTOP = { width: 1366, height: 860 };
const PHONE = { width: 390, height: 844 };
const PASSWORD = 'console-pass-1';
/** expect.poll's default second is too short for a page that renders after a network round trip. */
const poll = <T>(fn: () => Promise<T> | T, timeout = 15_000) => expect.poll(fn, { timeout });

describe('web console (Chromium)', { timeout: 60_000 }, () => {
  let t: TestGateway;
  let browser: Browser;
  let user: BrowserContext;
  let page: Page;
  const email = `e2e-${Date.now().toString(36)}@test.local`;
  let apiKey = '';
  let code = '';
  /** Uncaught exceptions in the app: any one fails the suite at the end. */
  const pageErrors: string[] = [];

  beforeAll(async () => {
    ensureConsoleBuilt();
    mkdirSync(SHOTS, { recursive: true });
    t = await startTestGateway({ start: { consoleDir: CONSOLE_DIST } });
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    user = await browser.newContext({ viewport: DESKTOP, locale: 'en-US' });
    await user.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: t.url });
    page = await user.newPage();
    page.on('pageerror', (e) => pageErrors.push(`${e.message} ${e.stack?.split('\n').slice(1, 12).join(' | ') ?? ''}`));
    page.setDefaultTimeout(15_000);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  const shot = (p: Page, name: string) => p.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: false });

  it('signs up without approval and shows the trial credit at once', async () => {
    await page.goto(`${t.url}/`);
    await page.waitForURL('**/login');
    await shot(page, 'login-desktop');
    await page.getByRole('link', { name: 'Sign up', exact: true }).click();
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByLabel('Confirm password').fill('mismatch-000');
    await page.getByRole('button', { name: 'Sign up' }).click();
    await poll(() => page.getByText('The two passwords differ.').isVisible()).toBe(true);
    await page.getByLabel('Confirm password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign up' }).click();
    await page.waitForURL((u) => u.pathname === '/');
    const balance = page.getByTestId('balance');
    await poll(() => balance.innerText()).toContain('5,000.00 P');
    await poll(() => page.getByText('of trial credit has been added').isVisible()).toBe(true);
    await shot(page, 'dashboard-new-desktop');
  });

  it('creates an app and reveals its key once, with a working copy button', async () => {
    await page.getByRole('link', { name: 'API Integration', exact: true }).click();
    await page.getByText('No apps yet').waitFor();
    await page.getByRole('button', { name: 'Create app' }).first().click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.getByText('Give the app a name.').waitFor();
    await dialog.getByLabel('App name').fill('E2E bot');
    await dialog.getByRole('button', { name: 'Save' }).click();
    const keyInput = page.getByTestId('new-key');
    await keyInput.waitFor();
    apiKey = await keyInput.inputValue();
    expect(apiKey).toMatch(/^sk-[A-Za-z0-9]{48}$/);
    // The snippets carry the real key and this server's URL.
    expect(await page.getByTestId('sample-curl').last().innerText()).toContain(apiKey);
    await shot(page, 'key-reveal-desktop');
    await page.getByTestId('copy-key').click();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(apiKey);
    await page.getByRole('button', { name: 'I have saved it' }).click();
    await page.getByTestId('new-key').waitFor({ state: 'detached' });
    await page.getByText('E2E bot').waitFor();
    // The list shows only the prefix, never the key.
    expect(await page.content()).not.toContain(apiKey);
    await shot(page, 'integration-desktop');
  });

  it('a call with the copied key shows up in the usage log with its cost', async () => {
    const client = new OpenAI({ apiKey, baseURL: `${t.url}/v1` });
    const reply = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello from e2e' }] });
    expect(reply.choices[0].message.content).toBeTruthy();
    const cookie = (await user.cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
    const logs = await t.api<{ items: { model_requested: string; cost: number }[] }>('GET', '/api/logs', undefined, { cookie });
    expect(logs.body.items).toHaveLength(1);
    const cost = logs.body.items[0].cost;
    expect(cost).toBeGreaterThan(0);

    await page.getByRole('link', { name: 'Usage logs', exact: true }).click();
    const row = page.locator('.ant-table-row', { hasText: 'gpt-4o-mini' });
    await row.first().waitFor();
    expect(await page.locator('.ant-table-row').count()).toBe(1);
    const costText = await row.getByTestId('log-cost').innerText();
    expect(Number(costText.replace(/[^\d.]/g, ''))).toBeCloseTo(cost, 4);
    await shot(page, 'usage-desktop');
  });

  it('chats in the playground with a streamed answer, tokens and cost', async () => {
    await page.getByRole('link', { name: 'AIGC Chat', exact: true }).click();
    await poll(() => page.getByTestId('chat-model').innerText()).toContain('gpt-4o-mini');
    await page.getByTestId('chat-input').fill('Write one sentence about streams.');
    await page.getByTestId('chat-send').click();
    const answer = page.getByTestId('turn-assistant').last();
    await poll(async () => (await answer.innerText()).length, 20_000).toBeGreaterThan(10);
    await answer.getByTestId('turn-usage').waitFor();
    await answer.getByTestId('turn-cost').waitFor();
    // Multi-turn: a second question is sent with the history.
    await page.getByTestId('chat-input').fill('And another one.');
    await page.getByTestId('chat-send').click();
    await poll(() => page.getByTestId('turn-assistant').count()).toBe(2);
    await page.getByTestId('turn-assistant').nth(1).getByTestId('turn-usage').waitFor({ timeout: 20_000 });
    await shot(page, 'chat-desktop');
    // Conversations survive a reload (localStorage).
    await page.reload();
    await poll(() => page.getByTestId('turn-user').count()).toBe(2);
    // Billed to the Playground app, not the user's key.
    const cookie = (await user.cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
    const apps = await t.api<{ items: { id: string; name: string }[] }>('GET', '/api/apps', undefined, { cookie });
    const playground = apps.body.items.find((a) => a.name === 'Playground');
    expect(playground).toBeTruthy();
    const logs = await t.api<{ total: number }>('GET', `/api/logs?appId=${playground!.id}`, undefined, { cookie });
    expect(logs.body.total).toBe(2);
  });

  it('generates an image, or says clearly that images are not enabled', async () => {
    await page.getByRole('link', { name: 'Image playground', exact: true }).click();
    await page.getByTestId('image-prompt').fill('a red square');
    await page.getByTestId('image-generate').click();
    const grid = page.getByTestId('image-grid').locator('img');
    const notEnabled = page.getByText('Image generation is not enabled on this server yet.');
    const failed = page.locator('.ant-alert-error');
    await poll(async () => (await grid.count()) > 0 || (await notEnabled.isVisible()) || (await failed.isVisible()), 30_000).toBe(true);
    // Which one depends on whether the images route is deployed; an error alert is never acceptable.
    expect(await failed.isVisible()).toBe(false);
    await shot(page, 'image-desktop');
  });

  it('an admin creates a channel and tests it, and generates a code the user redeems', async () => {
    const adminCtx = await browser.newContext({ viewport: DESKTOP, locale: 'en-US' });
    const admin = await adminCtx.newPage();
    admin.setDefaultTimeout(15_000);
    await admin.goto(`${t.url}/login`);
    await admin.getByLabel('Email').fill(t.admin.email);
    await admin.getByLabel('Password').fill(t.admin.password);
    await admin.getByRole('button', { name: 'Log in' }).click();
    await admin.getByRole('link', { name: 'Channels', exact: true }).click();
    await admin.getByRole('button', { name: 'Add channel' }).first().click();
    const dialog = admin.getByRole('dialog');
    await dialog.getByTestId('channel-name').fill('sim-e2e');
    await dialog.getByTestId('channel-baseurl').fill('not a url');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.getByText('Enter a full URL').waitFor();
    await dialog.getByTestId('channel-baseurl').fill(`${t.sim.url}/v1`);
    await dialog.getByTestId('channel-models').fill('gpt-4o-mini\ne2e-model');
    await dialog.getByRole('button', { name: 'Save' }).click();
    const row = admin.locator('.ant-table-row', { hasText: 'sim-e2e' });
    await row.waitFor();
    await row.getByTestId('test-sim-e2e').click();
    const result = row.getByTestId('channel-test-result');
    await result.waitFor({ timeout: 20_000 });
    expect(await result.innerText()).toMatch(/^OK · \d+ ms$/);
    const channels = await t.api<{ items: { name: string; models: string[] }[] }>('GET', '/api/admin/channels', undefined, { token: t.rootToken });
    expect(channels.body.items.find((c) => c.name === 'sim-e2e')?.models).toEqual(['gpt-4o-mini', 'e2e-model']);
    await shot(admin, 'admin-channels-desktop');

    await admin.getByRole('link', { name: 'Redemption codes', exact: true }).click();
    await admin.getByRole('button', { name: 'Generate codes' }).first().click();
    const gen = admin.getByRole('dialog');
    await gen.getByTestId('codes-count').fill('2');
    await gen.getByTestId('codes-value').fill('250');
    await gen.getByRole('button', { name: 'Generate codes' }).click();
    const batch = admin.getByTestId('code-batch');
    await batch.waitFor();
    const codes = (await batch.inputValue()).split('\n');
    expect(codes).toHaveLength(2);
    code = codes[0];
    await admin.keyboard.press('Escape');

    // The user redeems it; the balance and ledger follow.
    await page.getByRole('link', { name: 'Top-up', exact: true }).click();
    await page.getByTestId('redeem-code').fill('WRONG-CODE-123');
    await page.getByRole('button', { name: 'Redeem' }).click();
    await page.locator('.ant-alert-error').waitFor();
    await page.getByTestId('redeem-code').fill(code);
    await page.getByRole('button', { name: 'Redeem' }).click();
    await page.getByText('250.00 P added').waitFor();
    await page.locator('.ant-table-row', { hasText: 'Code' }).first().waitFor();
    await shot(page, 'topup-desktop');

    // The admin sees who used it.
    await admin.reload();
    const used = admin.locator('.ant-table-row', { hasText: code });
    await used.waitFor();
    expect(await used.innerText()).toContain(email);
    await shot(admin, 'admin-codes-desktop');
    await adminCtx.close();
  });

  it('switches to Chinese and back, remembering the choice, and antd follows', async () => {
    await page.getByRole('link', { name: 'Dashboard', exact: true }).click();
    await page.getByTestId('language-switch').getByText('中文').click();
    await page.getByRole('link', { name: '概览', exact: true }).waitFor();
    await page.reload();
    await page.getByRole('link', { name: 'API 接入', exact: true }).waitFor();
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('zh-CN');
    await shot(page, 'dashboard-zh-desktop');
    // antd's own texts switch too: the table pagination and empty texts come from its locale.
    await page.getByRole('link', { name: '调用日志', exact: true }).click();
    await page.getByText('条/页').first().waitFor();
    await page.getByTestId('language-switch').getByText('EN').click();
    await page.getByRole('link', { name: 'Usage logs', exact: true }).waitFor();
    await page.getByText('/ page').first().waitFor();
  });

  it('lays out for a phone: menu in a drawer', async () => {
    const phone = await browser.newContext({ viewport: PHONE, locale: 'zh-CN', storageState: await user.storageState(), isMobile: true, hasTouch: true });
    const p = await phone.newPage();
    await p.goto(`${t.url}/`);
    await p.getByTestId('balance').waitFor();
    expect(await p.locator('.ant-layout-sider').count()).toBe(0);
    await shot(p, 'dashboard-phone');
    await p.getByRole('button', { name: /Menu|菜单/ }).click();
    await p.locator('.ant-drawer-open').waitFor();
    await shot(p, 'menu-phone');
    await p.locator('.ant-drawer').getByRole('link', { name: /AIGC/ }).click();
    await p.getByTestId('chat-input').waitFor();
    await poll(() => p.getByTestId('turn-user').count()).toBe(2);
    await shot(p, 'chat-phone');
    await p.goto(`${t.url}/integration`);
    await p.getByText('E2E bot').waitFor();
    await shot(p, 'integration-phone');
    // Horizontal overflow is the usual phone layout bug: the page must not scroll sideways.
    expect(await p.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1)).toBe(true);
    await phone.close();
  });

  it('threw no uncaught error in any page', () => {
    expect(pageErrors).toEqual([]);
  });

  it('logs out, and admin pages stay closed to a normal user', async () => {
    await page.goto(`${t.url}/admin/users`);
    await page.getByText('This page is for administrators.').waitFor();
    await page.getByTestId('user-menu').click();
    await page.getByRole('menuitem', { name: 'Log out' }).click();
    await page.waitForURL('**/login');
    await page.goto(`${t.url}/usage`);
    await page.waitForURL('**/login');
  });
});
