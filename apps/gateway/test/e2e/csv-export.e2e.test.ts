/**
 * CSV exports open in spreadsheets, and some of their cells are typed by users (the model a call
 * named, an app's name, a code's name): a cell a spreadsheet would run as a formula must come out as
 * text. The console's real exports in headless Chromium, against a real gateway.
 */
import { readFileSync } from 'node:fs';
import type { Browser, Download, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../harness.js';
import { CONSOLE_DIST, ensureConsoleBuilt } from './console-build.js';
import { launchChromium, sessionPage } from './browser.js';

const FORMULA_MODEL = "=cmd|' /C calc'!A0";
const FORMULA_APP = '@SUM(1+1)*cmd';
const FORMULA_CODE = '+HYPERLINK("http://evil.example","x")';

describe('CSV exports neutralise formulas', { timeout: 60_000 }, () => {
  let t: TestGateway;
  let browser: Browser;

  beforeAll(async () => {
    ensureConsoleBuilt();
    t = await startTestGateway({ start: { consoleDir: CONSOLE_DIST } });
    browser = await launchChromium();
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  const signedIn = (cookie: string): Promise<Page> => sessionPage(browser, t.url, cookie);

  async function csvOf(download: Download): Promise<string[][]> {
    const text = readFileSync((await download.path())!, 'utf8').replace(/^\ufeff/, '');
    // No cell here holds a comma, quote or newline, so a plain split reads it.
    return text.split('\r\n').map((l) => l.split(','));
  }

  async function adminCookie(): Promise<string> {
    const res = await fetch(`${t.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(t.admin) });
    return (res.headers.get('set-cookie') ?? '').split(';')[0];
  }

  it(`a model named ${FORMULA_MODEL} and an app named ${FORMULA_APP} come out of the user's and the admin's log export as text`, async () => {
    const { cookie, appId, key } = await t.newUserWithKey();
    expect((await t.api('PATCH', `/api/apps/${appId}`, { name: FORMULA_APP }, { cookie })).status).toBe(200);
    const call = await fetch(`${t.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: FORMULA_MODEL, messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(call.status).toBe(404);
    await t.flushLogs();

    const page = await signedIn(cookie);
    await page.goto(`${t.url}/usage`);
    await page.locator('.ant-table-row').first().waitFor();
    const [mine] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
    const [header, row] = await csvOf(mine);
    expect(row[header.indexOf('model')]).toBe(`'${FORMULA_MODEL}`);
    expect(row[header.indexOf('app')]).toBe(`'${FORMULA_APP}`);

    const admin = await signedIn(await adminCookie());
    await admin.goto(`${t.url}/admin/logs`);
    await admin.locator('.ant-table-row').first().waitFor();
    const [all] = await Promise.all([admin.waitForEvent('download'), admin.getByRole('button', { name: 'Export CSV' }).click()]);
    const [h2, ...rows] = await csvOf(all);
    expect(rows.map((r) => r[h2.indexOf('model')])).toContain(`'${FORMULA_MODEL}`);
    expect(rows.map((r) => r[h2.indexOf('model')]).filter((m) => /^[=+\-@]/.test(m))).toEqual([]);
  });

  it("a code named with a formula comes out of the admin's code export as text", async () => {
    const made = await t.api('POST', '/api/admin/codes', { count: 1, value: 10, name: FORMULA_CODE }, { token: t.rootToken });
    expect(made.status).toBe(200);
    const admin = await signedIn(await adminCookie());
    await admin.goto(`${t.url}/admin/codes`);
    await admin.locator('.ant-table-row').first().waitFor();
    const [download] = await Promise.all([admin.waitForEvent('download'), admin.getByRole('button', { name: 'Export this page' }).click()]);
    const text = readFileSync((await download.path())!, 'utf8').replace(/^\ufeff/, '');
    const [header, row] = text.split('\r\n');
    // Codes are stored hashed: the list (and its export) has their hints, never the codes.
    expect(header).toBe('hint,name,value_p,expires_at,redeemed_by,redeemed_at');
    expect(row.startsWith(`${made.body.items[0].hint},`)).toBe(true);
    expect(text).not.toContain(made.body.items[0].code);
    // The name holds quotes and a comma: RFC 4180 quoting around the neutralised text.
    expect(row).toContain(`,"'+HYPERLINK(""http://evil.example"",""x"")",10,`);
  });
});
