/**
 * The console's log-in page when the account is locked after failed log-ins: the refusal in the
 * reader's language with the wait the server gave, in headless Chromium against a real gateway.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../harness.js';
import { CONSOLE_DIST, ensureConsoleBuilt } from './console-build.js';
import { launchChromium } from './browser.js';

const PASSWORD = 'right-password-1';

describe('console log-in when locked', { timeout: 60_000 }, () => {
  let t: TestGateway;
  let browser: Browser;

  beforeAll(async () => {
    ensureConsoleBuilt();
    t = await startTestGateway({ start: { consoleDir: CONSOLE_DIST }, config: { loginLockMs: 600_000 } });
    browser = await launchChromium();
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it.each([
    // antd spaces out a two-character Chinese button label ("登 录").
    ['en-US', 'Email', 'Password', /^Log in$/, /^Too many failed log-ins\. For your security, try again in \d+ seconds\.$/],
    ['zh-CN', '邮箱', '密码', /^登\s*录$/, /^登录失败次数过多。为保护账号安全，请 \d+ 秒后再试。$/],
  ])('%s: the right password on a locked account shows the wait in the reader language', async (locale, emailLabel, passwordLabel, button, expected) => {
    const { user } = await t.signup(undefined, PASSWORD);
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`${t.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: user.email, password: 'wrong-password' }) });
      expect(res.status).toBe(401);
    }
    const ctx = await browser.newContext({ locale });
    const page = await ctx.newPage();
    page.setDefaultTimeout(30_000);
    await page.goto(`${t.url}/login`);
    await page.getByLabel(emailLabel).fill(user.email);
    await page.getByLabel(passwordLabel, { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: button }).click();
    const alert = page.getByTestId('throttled');
    await alert.waitFor();
    expect((await alert.innerText()).trim()).toMatch(expected);
    expect(new URL(page.url()).pathname).toBe('/login');
    await ctx.close();
  });
});
