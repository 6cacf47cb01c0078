/**
 * Two-factor sign-in in the console, in headless Chromium against a real gateway: turning it on
 * (QR code, key, first code, recovery codes), the log-in's second step with a wrong and a right
 * code (English), a recovery code (zh-CN), and an administrator the server holds to two-factor led
 * to the enrolment page. Codes are computed from the key the page shows, with the TOTP arithmetic
 * checked against RFC 6238 in security/totp.test.ts.
 */
import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../harness.js';
import { CONSOLE_DIST, ensureConsoleBuilt } from './console-build.js';
import { eventually } from '../eventually.js';
import { totpAt, totpStep } from '../../src/accounts/totp.js';
import { launchChromium } from './browser.js';

const PASSWORD = 'plum-orbit-cactus-7';
const SHOTS = process.env.APIGPT_SCREENSHOTS;
const nowStep = () => totpStep(Date.now());

async function shot(page: Page, name: string) {
  if (!SHOTS) return;
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
}

describe('console two-factor sign-in', { timeout: 180_000 }, () => {
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

  async function logIn(page: Page, email: string, labels: { email: string; password: string; button: RegExp }) {
    await page.goto(`${t.url}/login`);
    await page.getByLabel(labels.email).fill(email);
    await page.getByLabel(labels.password, { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: labels.button }).click();
  }

  it('en: turn it on from the account menu, then sign in with a wrong code (refused) and the right one', async () => {
    const { user, cookie: fresh } = await t.signup(undefined, PASSWORD);
    await t.api('POST', '/api/onboarding/skip', undefined, { cookie: fresh }); // the welcome step is not what this test is about
    const ctx = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 900 } });
    const page = await ctx.newPage();
    page.setDefaultTimeout(30_000);
    await logIn(page, user.email, { email: 'Email', password: 'Password', button: /^Log in$/ });
    await page.getByTestId('user-menu').click();
    await page.getByText('Two-factor sign-in', { exact: true }).click();
    await page.getByTestId('two-factor-on').click();
    await page.getByTestId('two-factor-password').fill(PASSWORD);
    await page.getByRole('button', { name: /^Continue$/ }).click();
    // The QR code and the key as text.
    await page.getByTestId('two-factor-qr').waitFor();
    const secret = (await page.getByTestId('two-factor-secret').innerText()).replace(/\s/g, '');
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(await page.getByTestId('two-factor-uri').innerText()).toContain(`secret=${secret}`);
    expect(await page.getByTestId('two-factor-qr').locator('canvas, svg').count()).toBe(1);
    await shot(page, 'two-factor-enrol-en');
    const first = nowStep();
    await page.getByTestId('two-factor-confirm-code').fill(totpAt(secret, first));
    await page.getByTestId('two-factor-confirm').click();
    await page.getByTestId('recovery-codes').waitFor();
    expect(await page.getByTestId('recovery-code').count()).toBe(10);
    await shot(page, 'two-factor-recovery-en');
    await page.getByTestId('recovery-saved').click();
    // The page reloads the status after the codes are put away: it shows the old one ("Off") until then.
    await expect.poll(() => page.getByTestId('two-factor-status').innerText(), { timeout: 30_000 }).toMatch(/^On since /);

    // Sign out, and in again: the password leads to the code step.
    await ctx.clearCookies();
    await logIn(page, user.email, { email: 'Email', password: 'Password', button: /^Log in$/ });
    await page.getByTestId('two-factor-step').waitFor();
    await shot(page, 'two-factor-login-en');
    await page.getByTestId('two-factor-code-input').fill(totpAt(secret, first + 9));
    await page.getByTestId('two-factor-verify').click();
    const alert = page.getByTestId('error-alert');
    await alert.waitFor();
    // The alert's title is the console's text for the error code; the server's own sentence follows as the detail.
    expect((await alert.innerText()).trim().split('\n')[0]).toBe('That code is not right, or it was already used. Enter the current code from your authenticator app.');
    expect(new URL(page.url()).pathname).toBe('/login');
    await page.getByTestId('two-factor-code-input').fill(totpAt(secret, first + 1));
    await page.getByTestId('two-factor-verify').click();
    await eventually(() => expect(new URL(page.url()).pathname).toBe('/'), { timeoutMs: 30_000 });
    await ctx.close();
  });

  it('zh-CN: a recovery code signs in (a wrong one is refused in Chinese); an admin held to two-factor is led to the enrolment page', async () => {
    const root = { token: t.rootToken };
    const { cookie, user } = await t.signup(undefined, PASSWORD);
    await t.api('POST', '/api/onboarding/skip', undefined, { cookie: cookie }); // the welcome step is not what this test is about
    const setup = await t.api<{ secret: string }>('POST', '/api/auth/two-factor/setup', { password: PASSWORD }, { cookie });
    const confirmed = await t.api<{ recoveryCodes: string[] }>('POST', '/api/auth/two-factor/confirm', { code: totpAt(setup.body.secret, nowStep()) }, { cookie });
    expect(confirmed.status).toBe(200);
    const labels = { email: '邮箱', password: '密码', button: /^登\s*录$/ };
    const ctx = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1280, height: 900 } });
    const page = await ctx.newPage();
    page.setDefaultTimeout(30_000);
    await logIn(page, user.email, labels);
    await page.getByTestId('two-factor-step').waitFor();
    await page.getByTestId('two-factor-switch').click();
    await page.getByTestId('two-factor-recovery-input').fill('aaaa-bbbb-cccc-dddd');
    await page.getByTestId('two-factor-verify').click();
    const alert = page.getByTestId('error-alert');
    await alert.waitFor();
    expect((await alert.innerText()).trim().split('\n')[0]).toBe('验证码不正确或已被使用。请输入身份验证器应用当前显示的验证码。');
    await shot(page, 'two-factor-login-recovery-zh');
    await page.getByTestId('two-factor-recovery-input').fill(confirmed.body.recoveryCodes[3]);
    await page.getByTestId('two-factor-verify').click();
    await eventually(() => expect(new URL(page.url()).pathname).toBe('/'), { timeoutMs: 30_000 });
    await ctx.clearCookies();

    // An administrator without two-factor, while the server requires it.
    const email = `admin-e2e-${Date.now().toString(36)}@test.local`;
    expect((await t.api('POST', '/api/admin/users', { email, password: PASSWORD, role: 'admin' }, root)).status).toBe(200);
    expect((await t.api('PUT', '/api/admin/settings', { requireAdminTwoFactor: true }, root)).status).toBe(200);
    try {
      await logIn(page, email, labels);
      await eventually(() => expect(new URL(page.url()).pathname).toBe('/account/two-factor'), { timeoutMs: 30_000 });
      expect((await page.getByTestId('two-factor-required').innerText()).trim()).toBe('本服务器要求管理员使用两步验证。请先开启，开启之前您的账号无法使用控制台的其他功能。');
      // Any other page leads back here.
      await page.goto(`${t.url}/admin/users`);
      await eventually(() => expect(new URL(page.url()).pathname).toBe('/account/two-factor'), { timeoutMs: 30_000 });
      await page.getByTestId('two-factor-required').waitFor();
      await shot(page, 'two-factor-required-zh');
    } finally {
      await t.api('PUT', '/api/admin/settings', { requireAdminTwoFactor: false }, root);
    }
    await ctx.close();
  });
});
