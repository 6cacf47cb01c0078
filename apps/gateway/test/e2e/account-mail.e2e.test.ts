/**
 * Account mail in the console, in headless Chromium against a real gateway and a real SMTP server:
 * a sign-up sees the confirmation banner and no trial credit until it opens the mailed link; a
 * forgotten password is reset through the mailed link (a weak one refused in the reader's language)
 * and the browser lands logged in. English and Chinese. Screenshots go to test-artifacts/console/.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../harness.js';
import { startSmtpSink, type ReceivedMail, type SmtpSink } from '../smtp-sink.js';
import { eventually } from '../eventually.js';
import { CONSOLE_DIST, ensureConsoleBuilt } from './console-build.js';
import { launchChromium } from './browser.js';

const SHOTS = fileURLToPath(new URL('../../../../test-artifacts/console/', import.meta.url));
const PASSWORD = 'plum-orbit-cactus-7';
const NEW_PASSWORD = 'copper-lantern-42';
const TRIAL_P = 2500;
const poll = <T>(fn: () => Promise<T> | T) => expect.poll(fn, { timeout: 30_000 });

describe('account mail in the console (Chromium)', { timeout: 90_000 }, () => {
  let t: TestGateway;
  let smtp: SmtpSink;
  let browser: Browser;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    ensureConsoleBuilt();
    mkdirSync(SHOTS, { recursive: true });
    smtp = await startSmtpSink();
    t = await startTestGateway({ start: { consoleDir: CONSOLE_DIST }, config: { smtpUrl: smtp.url, trialCredit: TRIAL_P } });
    browser = await launchChromium();
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await smtp?.close();
  });

  async function newPage(locale: string): Promise<Page> {
    const ctx = await browser.newContext({ locale, viewport: { width: 1280, height: 820 } });
    const page = await ctx.newPage();
    page.setDefaultTimeout(30_000);
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) pageErrors.push(`CSP: ${m.text()}`);
    });
    return page;
  }

  async function mailTo(address: string, n: number): Promise<ReceivedMail> {
    let mail: ReceivedMail | undefined;
    await eventually(() => {
      mail = smtp.to(address)[n - 1];
      expect(mail).toBeDefined();
    });
    return mail!;
  }
  const linkIn = (mail: ReceivedMail) => mail.text.match(/https?:\/\/\S+/)![0];
  const shot = (p: Page, name: string) => p.screenshot({ path: join(SHOTS, `${name}.png`) });

  it('en: sign-up waits for the mailed link, which adds the trial credit', async () => {
    const page = await newPage('en-US');
    const email = 'mail-e2e@test.local';
    await page.goto(`${t.url}/signup`);
    await page.getByText('Your trial credit is added once you confirm your email address.').waitFor();
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByLabel('Confirm password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign up' }).click();
    // A new account meets the welcome step first (first-visit-zh.e2e.test.ts covers it): skipped here.
    await page.waitForURL((u) => u.pathname === '/welcome');
    await page.getByTestId('welcome-skip').click();
    await page.waitForURL((u) => u.pathname === '/');
    const banner = page.getByTestId('verify-banner');
    await poll(() => banner.innerText()).toContain(`we sent a link to ${email}`);
    await poll(() => page.getByTestId('balance').innerText()).toContain('0.00 P');
    await poll(() => page.getByText(`Follow the link we sent to ${email}`).isVisible()).toBe(true);
    await shot(page, 'verify-banner-desktop');

    // "Send the link again": a second mail, whose link works as well as the first.
    await banner.getByRole('button', { name: 'Send the link again' }).click();
    await page.getByText(`A new link is on its way to ${email}.`).waitFor();
    const mail = await mailTo(email, 2);
    expect(mail.subject).toBe('Confirm your email address / 确认你的邮箱 · APIGPT');
    await page.goto(linkIn(mail));
    await poll(() => page.getByTestId('email-verified').innerText()).toContain('Your email address is confirmed and your trial credit has been added.');
    await shot(page, 'verify-email-done');
    await page.getByRole('button', { name: 'Go to the console' }).click();
    await poll(() => page.getByTestId('balance').innerText()).toContain('2,500.00 P');
    expect(await page.getByTestId('verify-banner').count()).toBe(0);
    // The first link was not replaced by the second, but the address is confirmed now: it only confirms again.
    await page.goto(linkIn(await mailTo(email, 1)));
    await poll(() => page.getByTestId('email-verified').innerText()).toBe('Your email address is confirmed.');
    await page.context().close();
  });

  it.each([
    {
      locale: 'en-US',
      email: 'reset-en@test.local',
      forgot: 'Forgot your password?',
      emailLabel: 'Email',
      send: 'Mail me a link',
      sent: /^If an account uses reset-en@test\.local, a link to reset its password is on its way\./,
      subject: 'Reset your password / 重置密码 · APIGPT',
      newLabel: 'New password',
      confirmLabel: 'Confirm password',
      submit: 'Set the new password',
      weak: /^This password is too easy to guess/,
      used: /^This reset link no longer works/,
    },
    {
      locale: 'zh-CN',
      email: 'reset-zh@test.local',
      forgot: '忘记密码？',
      emailLabel: '邮箱',
      send: '发送重置链接',
      sent: /^如果 reset-zh@test\.local 注册过账号，重置密码的链接已经发出/,
      subject: '重置密码 / Reset your password · APIGPT',
      newLabel: '新密码',
      confirmLabel: '确认密码',
      submit: '设置新密码',
      weak: /^密码太容易被猜到/,
      used: /^此重置链接已失效/,
    },
  ])('$locale: a forgotten password is reset through the mailed link; the browser lands logged in', async (c) => {
    const account = await t.signup(c.email, PASSWORD);
    await t.api('POST', '/api/onboarding/skip', undefined, { cookie: account.cookie }); // the welcome step is not what this test is about
    const page = await newPage(c.locale);
    await page.goto(`${t.url}/login`);
    await page.getByRole('link', { name: c.forgot }).waitFor();
    await shot(page, `login-forgot-link-${c.locale}`);
    await page.getByRole('link', { name: c.forgot }).click();
    // The log-in form stays on screen while the page's code loads: wait for the page itself.
    await page.getByRole('button', { name: c.send }).waitFor();
    await page.getByLabel(c.emailLabel).fill(c.email);
    await page.getByRole('button', { name: c.send }).click();
    await poll(() => page.getByTestId('reset-sent').innerText()).toMatch(c.sent);
    await shot(page, `forgot-password-${c.locale}`);

    // The account's other mail is its confirmation (sign-up with mail on).
    let mail: ReceivedMail | undefined;
    await eventually(() => {
      mail = smtp.to(c.email).find((m) => m.subject === c.subject);
      expect(mail).toBeDefined();
    });
    const link = linkIn(mail!);
    expect(new URL(link).origin).toBe(t.url);
    await page.goto(link);
    await page.getByLabel(c.newLabel).fill('password-123');
    await page.getByLabel(c.confirmLabel).fill('password-123');
    await page.getByRole('button', { name: c.submit }).click();
    await poll(() => page.getByTestId('error-alert').innerText()).toMatch(c.weak);
    await shot(page, `reset-password-weak-${c.locale}`);
    await page.getByLabel(c.newLabel).fill(NEW_PASSWORD);
    await page.getByLabel(c.confirmLabel).fill(NEW_PASSWORD);
    await page.getByRole('button', { name: c.submit }).click();
    await page.waitForURL((u) => u.pathname === '/');
    await page.getByTestId('balance').waitFor();

    // The session the account had before is over; the old password no longer logs in, the new one does.
    expect((await t.api('GET', '/api/auth/me', undefined, { cookie: account.cookie })).status).toBe(401);
    expect((await t.api('POST', '/api/auth/login', { email: c.email, password: PASSWORD })).status).toBe(401);
    expect((await t.api('POST', '/api/auth/login', { email: c.email, password: NEW_PASSWORD })).status).toBe(200);

    // The same link a second time is refused, in the reader's language.
    await page.goto(link);
    await page.getByLabel(c.newLabel).fill('tortoise-velvet-9');
    await page.getByLabel(c.confirmLabel).fill('tortoise-velvet-9');
    await page.getByRole('button', { name: c.submit }).click();
    await poll(() => page.getByTestId('error-alert').innerText()).toMatch(c.used);
    await page.context().close();
  });

  it('en: a password change with "revoke my API keys" ends the keys; a weak new password is refused under its field', async () => {
    const page = await newPage('en-US');
    const email = 'change-e2e@test.local';
    const { cookie: fresh } = await t.signup(email, PASSWORD);
    await t.api('POST', '/api/onboarding/skip', undefined, { cookie: fresh }); // the welcome step is not what this test is about
    await page.goto(`${t.url}/login`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL((u) => u.pathname === '/');
    const cookie = (await page.context().cookies()).map((k) => `${k.name}=${k.value}`).join('; ');
    const app = await t.api<{ key: { key: string } }>('POST', '/api/apps', { name: 'bot' }, { cookie });
    const models = () => fetch(`${t.url}/v1/models`, { headers: { authorization: `Bearer ${app.body.key.key}` } }).then((r) => r.status);
    expect(await models()).toBe(200);

    await page.getByTestId('user-menu').click();
    await page.getByRole('menuitem', { name: 'Change password' }).click();
    await page.getByTestId('password-current').fill(PASSWORD);
    await page.getByTestId('password-new').fill('qwertyuiop');
    await page.getByTestId('password-confirm').fill('qwertyuiop');
    await page.getByTestId('password-revoke-keys').check();
    await page.getByTestId('password-save').click();
    await poll(() => page.getByText(/^This password is too easy to guess/).isVisible()).toBe(true);
    await shot(page, 'change-password-weak');
    await page.getByTestId('password-new').fill(NEW_PASSWORD);
    await page.getByTestId('password-confirm').fill(NEW_PASSWORD);
    await page.getByTestId('password-save').click();
    await page.getByText('API keys revoked: 1.').waitFor();
    expect(await models()).toBe(401);
    await page.context().close();
  });

  it('threw no uncaught error and broke no content security policy rule', () => {
    expect(pageErrors).toEqual([]);
  });
});
