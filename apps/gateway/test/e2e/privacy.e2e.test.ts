/**
 * The privacy pages in headless Chromium against a real gateway and the simulator: an admin sets a
 * policy for an App with the form (content logging, reversible redaction of e-mail addresses) and
 * tries redaction; the App's owner sees a call's logged content in their request log (the
 * placeholders the provider got); exports their data as a JSON download; a wrong password to delete
 * the account is refused in Chinese, the right one deletes it. Screenshots of each page in both
 * languages go to the test's temporary folder (SCREENSHOT_DIR to keep them).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../harness.js';
import { CONSOLE_DIST, ensureConsoleBuilt } from './console-build.js';
import { pickOption } from './browser.js';

const SHOTS = process.env.SCREENSHOT_DIR ?? mkdtempSync(join(tmpdir(), 'apigpt-privacy-shots-'));

describe('privacy pages (Chromium)', { timeout: 240_000 }, () => {
  let t: TestGateway;
  let browser: Browser;
  let adminCookie: string;
  let user: { cookie: string; userId: string; appId: string; key: string };
  const pageErrors: string[] = [];

  beforeAll(async () => {
    ensureConsoleBuilt();
    t = await startTestGateway({ start: { consoleDir: CONSOLE_DIST } });
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
    const login = await fetch(`${t.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(t.admin) });
    adminCookie = (login.headers.get('set-cookie') ?? '').split(';')[0];
    user = await t.newUserWithKey();
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  async function signedIn(cookie: string, locale = 'en-US'): Promise<Page> {
    const ctx = await browser.newContext({ locale, viewport: { width: 1366, height: 900 }, acceptDownloads: true });
    const [name, value] = cookie.split('=');
    await ctx.addCookies([{ name, value, url: t.url }]);
    const page = await ctx.newPage();
    page.setDefaultTimeout(45_000);
    page.on('pageerror', (e) => pageErrors.push(e.message));
    return page;
  }

  it("an admin sets an App's policy with the form, and tries redaction", async () => {
    const page = await signedIn(adminCookie);
    await page.goto(`${t.url}/admin/privacy`);
    await page.getByText('No policy: nothing is logged and nothing is redacted.').waitFor();
    await page.getByRole('button', { name: 'Set a policy' }).click();
    const dialog = page.getByRole('dialog');
    const scope = dialog.locator('.ant-select').first();
    await pickOption(page, scope, 'App', async () => (await scope.innerText()).trim() === 'App');
    await dialog.getByLabel('Group name or App ID').fill(user.appId);
    await dialog.getByRole('switch').click();
    await dialog.getByLabel('Reversible (caller gets the originals back)').check();
    await dialog.getByLabel('Email addresses').check();
    await dialog.getByRole('button', { name: 'OK' }).click();
    await page.locator('.ant-table-row', { hasText: user.appId }).waitFor();
    const row = await page.locator('.ant-table-row', { hasText: user.appId }).innerText();
    expect(row).toContain('On, 30 days');
    expect(row).toContain('Reversible');
    const policy = await t.gw.services.privacy.policies.get('app', user.appId);
    expect(policy).toMatchObject({ contentLogging: true, retentionDays: 30, redaction: 'reversible', kinds: ['email'] });
    await page.getByRole('button', { name: 'Redact' }).click();
    await page.getByText('[PHONE_1]').first().waitFor();
    expect(await page.locator('.ant-typography code').last().innerText()).toContain('[ID_NUMBER_1]');
    await page.screenshot({ path: join(SHOTS, 'privacy-admin-en.png'), fullPage: true });
    const zh = await signedIn(adminCookie, 'zh-CN');
    await zh.goto(`${t.url}/admin/privacy`);
    await zh.getByText('开启，30 天').waitFor();
    await zh.screenshot({ path: join(SHOTS, 'privacy-admin-zh.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  });

  it("the App's owner sees the call's logged content (placeholders only) in the request log", async () => {
    await t.api('PUT', `/api/admin/privacy/policies/app/${user.appId}`, { contentLogging: true, retentionDays: 30, redaction: 'reversible', kinds: ['email'] }, { token: t.rootToken });
    const res = await fetch(`${t.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${user.key}` }, body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'mail carol@example.net' }] }) });
    expect(((await res.json()) as { choices: { message: { content: string } }[] }).choices[0].message.content).toContain('carol@example.net');
    await t.flushLogs();
    await t.gw.services.privacy.contents.flush();
    const page = await signedIn(user.cookie);
    await page.goto(`${t.url}/usage`);
    await page.locator('.ant-table-row').first().waitFor();
    await page.locator('.ant-table-row-expand-icon').first().click();
    await page.getByTestId('log-content').click();
    await page.getByText('Request (as the provider got it)').waitFor();
    const shown = await page.locator('.ant-table-expanded-row').innerText();
    expect(shown).toContain('mail [EMAIL_1]');
    expect(shown).not.toContain('carol@example.net');
    await page.screenshot({ path: join(SHOTS, 'privacy-log-content-en.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  });

  it("an admin deletes another user's account from the Users page (in Chinese)", async () => {
    const other = await t.newUserWithKey();
    const email = (await t.gw.services.db.selectFrom('users').select('email').where('id', '=', other.userId).executeTakeFirstOrThrow()).email;
    const page = await signedIn(adminCookie, 'zh-CN');
    await page.goto(`${t.url}/admin/users`);
    const row = page.locator('.ant-table-row', { hasText: email });
    await row.getByTestId('user-delete').click();
    await page.locator('.ant-popconfirm').getByRole('button', { name: /确\s*定|OK/ }).click();
    await page.locator('.ant-table-row', { hasText: '@deleted.invalid' }).getByTestId('user-deleted').waitFor();
    expect(await page.locator('.ant-table-row', { hasText: '@deleted.invalid' }).innerText()).toContain('已注销');
    const gone = await t.gw.services.db.selectFrom('users').select(['email', 'deleted_at']).where('id', '=', other.userId).executeTakeFirstOrThrow();
    expect(gone.email).toMatch(/@deleted\.invalid$/);
    expect(gone.deleted_at).not.toBeNull();
    await page.screenshot({ path: join(SHOTS, 'privacy-admin-delete-zh.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  });

  it('a user exports their data, and deletes the account with the password (a wrong one refused in Chinese)', async () => {
    const page = await signedIn(user.cookie, 'zh-CN');
    await page.goto(`${t.url}/account/data`);
    await page.getByText('导出我的数据').waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-data').click()]);
    const data = JSON.parse(readFileSync((await download.path())!, 'utf8'));
    expect(data.profile.id).toBe(user.userId);
    expect(JSON.stringify(data)).not.toContain(user.key);
    await page.screenshot({ path: join(SHOTS, 'privacy-my-data-zh.png'), fullPage: true });

    await page.getByTestId('delete-password').fill('not-my-password');
    await page.getByTestId('delete-account').click();
    await page.locator('.ant-popconfirm').getByRole('button', { name: /确\s*定|OK/ }).click();
    // Errors are worded by code (i18n/errors.ts, ErrorAlert): the alert's title is the console's
    // Chinese text for `wrong_password`, the server's own sentence follows as the detail.
    await expect.poll(() => page.getByTestId('error-alert').innerText(), { timeout: 45_000 }).toMatch(/^当前密码错误。/);
    await page.screenshot({ path: join(SHOTS, 'privacy-wrong-password-zh.png'), fullPage: true });
    await page.getByTestId('delete-password').fill('harness-password-17');
    await page.getByTestId('delete-account').click();
    await page.locator('.ant-popconfirm').getByRole('button', { name: /确\s*定|OK/ }).click();
    await page.waitForURL(/\/login/);
    const row = await t.gw.services.db.selectFrom('users').select(['email', 'deleted_at']).where('id', '=', user.userId).executeTakeFirstOrThrow();
    expect(row.email).toMatch(/@deleted\.invalid$/);
    expect(row.deleted_at).not.toBeNull();
    expect(pageErrors).toEqual([]);
  });
});
