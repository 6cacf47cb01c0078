/**
 * The content-safety page in headless Chromium against a real gateway: an admin makes a word-list
 * rule, tests a text against it, and sees the hits a blocked call left, counted per rule — in English and in Chinese, including the server's
 * refusal of an invalid pattern.
 */
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../harness.js';
import { CONSOLE_DIST, ensureConsoleBuilt } from './console-build.js';

/** Polls until the expectation holds: pages on a busy machine take their time (no fixed waits). */
const poll = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 60_000, interval: 100 });

describe('content safety in the console', { timeout: 300_000 }, () => {
  let t: TestGateway;
  let browser: Browser;
  let adminCookie: string;

  beforeAll(async () => {
    ensureConsoleBuilt();
    t = await startTestGateway({ start: { consoleDir: CONSOLE_DIST } });
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
    const res = await fetch(`${t.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(t.admin) });
    adminCookie = (res.headers.get('set-cookie') ?? '').split(';')[0];
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  async function admin(locale: string): Promise<Page> {
    const ctx = await browser.newContext({ locale, viewport: { width: 1280, height: 900 } });
    const [name, value] = adminCookie.split('=');
    await ctx.addCookies([{ name, value, url: t.url }]);
    const page = await ctx.newPage();
    page.setDefaultTimeout(60_000);
    return page;
  }

  it('rules, test and hits (English)', async () => {
    const page = await admin('en-US');
    await page.goto(`${t.url}/admin/safety`);
    await page.getByTestId('safety-new-rule').click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Name').fill('gambling');
    await dialog.getByLabel('Words').fill('赌博\ncasino');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await poll(() => page.getByRole('row', { name: /gambling/ }).innerText()).toContain('2 words');

    // The tester: a traditional, full-width variant is caught.
    await page.getByRole('tab', { name: 'Test a text' }).click();
    await page.getByTestId('safety-test-text').fill('去賭博 and ＣＡＳＩＮＯ');
    await page.getByTestId('safety-test-run').click();
    await poll(() => page.getByTestId('safety-test-result').innerText()).toContain('Block');
    expect(await page.getByTestId('safety-test-result').innerText()).toContain('gambling');

    // A blocked call, then its hit on the Hits tab.
    const { key } = await t.newUserWithKey();
    const blocked = await fetch(`${t.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'casino night' }] }) });
    expect(blocked.status).toBe(400);
    await poll(async () => (await t.gw.services.db.selectFrom('safety_decisions').select('id').execute()).length).toBe(1);
    await page.reload();
    await page.getByRole('tab', { name: 'Hits' }).click();
    await poll(() => page.getByTestId('safety-counts').innerText()).toMatch(/gambling\s+Block\s+Input\s+1/);
    await page.screenshot({ path: '/tmp/h15s-safety-hits-en.png', fullPage: true });
  });

  it('in Chinese, with the server refusal of an invalid pattern in Chinese', async () => {
    const page = await admin('zh-CN');
    await page.goto(`${t.url}/admin/safety`);
    await poll(() => page.getByRole('row', { name: /gambling/ }).innerText()).toContain('2 个词');
    await page.getByTestId('safety-new-rule').click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('名称').fill('坏的表达式');
    await dialog.getByLabel('类型').click();
    await page.getByTitle('正则表达式').click();
    await dialog.getByLabel('表达式').fill('(unclosed');
    await dialog.getByRole('button', { name: '保 存' }).or(dialog.getByRole('button', { name: '保存' })).click();
    await poll(() => dialog.getByTestId('error-alert').innerText()).toContain('规则无效');
    await page.screenshot({ path: '/tmp/h15s-safety-error-zh.png', fullPage: true });
    await dialog.getByRole('button', { name: /取\s*消|Cancel/ }).click();
    await page.getByRole('tab', { name: '命中' }).click();
    await poll(() => page.getByTestId('safety-counts').innerText()).toMatch(/gambling\s+拦截\s+输入\s+1/);
    await page.screenshot({ path: '/tmp/h15s-safety-hits-zh.png', fullPage: true });
  });
});
