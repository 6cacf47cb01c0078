/**
 * The admin audit log page in headless Chromium against a real gateway: an admin's changes listed
 * with who made them, a change's before/after, filters, the CSV export (cells typed by people
 * neutralised, no channel key), both languages, and a plain user turned away.
 */
import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../harness.js';
import { CONSOLE_DIST, ensureConsoleBuilt } from './console-build.js';
import { launchChromium, sessionPage } from './browser.js';

const FORMULA_MODEL = '=HYPERLINK("http://evil.example","x")';
const CHANNEL_KEY = 'UPSTREAM-SECRET-audit-page-5e6f7a8b';
const poll = <T>(fn: () => Promise<T> | T) => expect.poll(fn, { timeout: 30_000 });

describe('admin audit log page (Chromium)', { timeout: 60_000 }, () => {
  let t: TestGateway;
  let browser: Browser;
  let adminCookie: string;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    ensureConsoleBuilt();
    t = await startTestGateway({ start: { consoleDir: CONSOLE_DIST } });
    browser = await launchChromium();
    const login = await fetch(`${t.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(t.admin) });
    adminCookie = (login.headers.get('set-cookie') ?? '').split(';')[0];
    // The changes the page will show: a channel with a key, renamed, and a price for a model named like a formula.
    const channel = await t.api<{ channel: { id: string } }>('POST', '/api/admin/channels', { provider: 'openai-compatible', name: 'audit-page', baseUrl: `${t.sim.url}/v1`, models: ['gpt-4o-mini'], secret: CHANNEL_KEY }, { cookie: adminCookie });
    expect(channel.status).toBe(200);
    expect((await t.api('PATCH', `/api/admin/channels/${channel.body.channel.id}`, { name: 'audit-page-renamed' }, { cookie: adminCookie })).status).toBe(200);
    expect((await t.api('PUT', `/api/admin/prices/${encodeURIComponent(FORMULA_MODEL)}`, { input: 1, output: 2 }, { token: t.rootToken })).status).toBe(200);
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  const signedIn = (cookie: string, locale = 'en-US'): Promise<Page> =>
    sessionPage(browser, t.url, cookie, { locale, viewport: { width: 1366, height: 860 }, errors: pageErrors });

  it("lists the admin's changes with who made them, shows a change's before and after, and filters by action", async () => {
    const page = await signedIn(adminCookie);
    await page.goto(`${t.url}/admin`);
    await page.getByRole('link', { name: 'Audit log', exact: true }).click();
    await page.locator('.ant-table-row').first().waitFor();
    const actions = () => page.getByTestId('audit-row-action').allInnerTexts();
    expect(await actions()).toEqual(['Price set', 'Channel changed', 'Channel created']);
    const rename = page.locator('.ant-table-row', { hasText: 'Channel changed' });
    expect(await rename.innerText()).toContain(t.admin.email);
    expect(await rename.innerText()).toContain('Console');
    expect(await page.locator('.ant-table-row', { hasText: 'Price set' }).innerText()).toContain('Root token');
    // The rename's before/after: only the fields that changed.
    await rename.locator('.ant-table-row-expand-icon').click();
    const changes = page.getByTestId('audit-changes');
    await changes.waitFor();
    const text = await changes.innerText();
    expect(text).toContain('audit-page');
    expect(text).toContain('audit-page-renamed');
    expect(text).not.toContain(CHANNEL_KEY);
    // Filter: one action.
    await page.getByTestId('audit-action').click();
    await page.locator('.ant-select-item-option', { hasText: 'Channel created' }).click();
    await poll(actions).toEqual(['Channel created']);
    expect(pageErrors).toEqual([]);
  });

  it('exports the rows as CSV: a model named like a formula comes out as text, and no channel key', async () => {
    const page = await signedIn(adminCookie);
    await page.goto(`${t.url}/admin/audit`);
    await page.locator('.ant-table-row').first().waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
    const text = readFileSync((await download.path())!, 'utf8').replace(/^\ufeff/, '');
    const [header, ...rows] = text.split('\r\n');
    expect(header).toBe('time,actor_email,actor_id,via,action,target_type,target_id,client_ip,changes,before,after');
    expect(rows).toHaveLength(3);
    const price = rows.find((r) => r.includes(',price.set,'))!;
    // RFC 4180 quoting around the neutralised text: a leading ' and doubled quotes.
    expect(price).toContain(`,price,"'=HYPERLINK(""http://evil.example"",""x"")",`);
    expect(text).not.toContain(CHANNEL_KEY);
    expect(pageErrors).toEqual([]);
  });

  it('speaks Chinese, and turns a plain user away', async () => {
    const page = await signedIn(adminCookie, 'zh-CN');
    await page.goto(`${t.url}/admin/audit`);
    await page.getByRole('heading', { name: '审计日志' }).waitFor();
    await page.locator('.ant-table-row').first().waitFor();
    expect(await page.getByTestId('audit-row-action').allInnerTexts()).toEqual(['设置价格', '修改渠道', '创建渠道']);
    const u = await t.signup();
    const userPage = await signedIn(u.cookie);
    await userPage.goto(`${t.url}/admin/audit`);
    await userPage.getByText('403').first().waitFor();
    expect(await userPage.getByRole('link', { name: 'Audit log' }).count()).toBe(0);
    expect(pageErrors).toEqual([]);
  });
});
