/**
 * A Chinese newcomer's first visit in headless Chromium against a real gateway (issue 18): the
 * server's errors on the way in — a wrong password, an address already taken, a code that does not
 * exist — are shown in Chinese (the console's text for each error code), never the server's English
 * sentence; the sign-up leads to the welcome step, whose submit makes the first App and shows its key
 * once, limited to the ticked service's models; the step is not offered again.
 */
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MODELS, startTestGateway, type TestGateway } from '../harness.js';
import { explainFailure, sessionPage } from './browser.js';
import { CONSOLE_DIST, ensureConsoleBuilt } from './console-build.js';

/** Polls until the expectation holds: pages on a busy machine take their time (no fixed waits). */
const poll = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 60_000, interval: 100 });
const PASSWORD = 'harness-password-17';

describe('a Chinese newcomer: translated server errors and the welcome step', { timeout: 300_000 }, () => {
  let t: TestGateway;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    ensureConsoleBuilt();
    t = await startTestGateway({ start: { consoleDir: CONSOLE_DIST } });
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
    const ctx = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1280, height: 900 } });
    page = await ctx.newPage();
    page.setDefaultTimeout(30_000);
  }, 240_000);
  // A failed test says where the page was and what it showed (each test goes on from the last one's page).
  afterEach(({ task }) => explainFailure(task.result?.state === 'fail', task.name, { newcomer: page }));
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  /**
   * The error alert's title: the console's Chinese for the code (the server's English sentence may
   * follow as the detail underneath, since it names values).
   */
  const alertTitle = async () => (await page.getByTestId('error-alert').first().innerText()).split('\n')[0];

  it('wrong password and a taken address are refused in Chinese; the sign-up then leads to the welcome step', async () => {
    const taken = await t.signup(`taken-${Date.now().toString(36)}@test.local`, PASSWORD);
    await page.goto(`${t.url}/login`);
    await page.getByLabel('邮箱').fill(taken.user.email);
    await page.getByLabel('密码', { exact: true }).fill('not-the-password-1');
    await page.getByRole('button', { name: /^登\s*录$/ }).click();
    await poll(alertTitle).toBe('邮箱或密码错误。');

    await page.goto(`${t.url}/signup`);
    await page.getByLabel('邮箱').fill(taken.user.email);
    await page.getByLabel('密码', { exact: true }).fill(PASSWORD);
    await page.getByLabel('确认密码').fill(PASSWORD);
    await page.getByRole('button', { name: /^注\s*册$/ }).click();
    await poll(alertTitle).toBe('该邮箱已注册账户。');

    await page.getByLabel('邮箱').fill(`newcomer-${Date.now().toString(36)}@test.local`);
    await page.getByRole('button', { name: /^注\s*册$/ }).click();
    await page.waitForURL((u) => u.pathname === '/welcome');
    await page.getByRole('heading', { name: '欢迎！简单介绍一下你自己' }).waitFor();
  });

  it('the welcome step makes the first App and shows its key once, for the ticked service’s models', async () => {
    await page.getByLabel('组织').fill('Acme 机器人');
    await page.getByLabel('你在做什么？').fill('客服机器人');
    // The harness's one channel is OpenAI-compatible: OpenAI has its models, Claude none here.
    await page.getByRole('checkbox', { name: /^OpenAI/ }).check();
    await page.getByRole('checkbox', { name: /^Claude/ }).check();
    await page.getByRole('button', { name: '创建我的第一个应用' }).click();
    const keyBox = page.getByTestId('welcome-key');
    await keyBox.waitFor();
    const key = await keyBox.inputValue();
    expect(key).toMatch(/^sk-[A-Za-z0-9]{48}$/);
    expect(await page.getByTestId('welcome-models').innerText()).toBe(`此密钥可使用：${[...DEFAULT_MODELS].sort().join(', ')}。`);
    expect(await page.getByTestId('welcome-unavailable').innerText()).toContain('Claude（Anthropic）');
    await page.screenshot({ path: '/tmp/apigpt-welcome-zh.png', fullPage: true });
    // The key shown works.
    const models = await fetch(`${t.url}/v1/models`, { headers: { authorization: `Bearer ${key}` } });
    expect(models.status).toBe(200);

    await page.getByRole('button', { name: '进入控制台首页' }).click();
    await page.waitForURL((u) => u.pathname === '/');
    // Shown once: the step's address now leads to the dashboard.
    await page.goto(`${t.url}/welcome`);
    await page.waitForURL((u) => u.pathname === '/');
  });

  it('an unknown redemption code is refused in Chinese', async () => {
    await page.goto(`${t.url}/topup`);
    await page.getByTestId('redeem-code').fill('NOSUCHCODE12345678');
    // antd spaces out a two-character Chinese button label ("兑 换").
    await page.getByRole('button', { name: /^兑\s*换$/ }).click();
    await poll(alertTitle).toBe('兑换码不存在。');
  });

  it('an account that closed the tab on the welcome step meets it again at its next sign-in; once skipped, no more', async () => {
    const later = await t.signup(`later-${Date.now().toString(36)}@test.local`, PASSWORD);
    const ctx = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1280, height: 900 } });
    const p = await ctx.newPage();
    p.setDefaultTimeout(30_000);
    const logIn = async () => {
      await p.goto(`${t.url}/login`);
      await p.getByLabel('邮箱').fill(later.user.email);
      await p.getByLabel('密码', { exact: true }).fill(PASSWORD);
      await p.getByRole('button', { name: /^登\s*录$/ }).click();
    };
    await logIn();
    await p.waitForURL((u) => u.pathname === '/welcome');
    await p.getByRole('heading', { name: '欢迎！简单介绍一下你自己' }).waitFor();
    await p.getByTestId('welcome-skip').click();
    await p.waitForURL((u) => u.pathname === '/');
    await ctx.clearCookies();
    await logIn();
    await p.waitForURL((u) => u.pathname === '/');
    await p.getByTestId('balance').waitFor();
    await ctx.close();
  });

  it('a failed call on the overview reads in Chinese first, then the message the caller received', async () => {
    const u = await t.newUserWithKey();
    const r = await fetch(`${t.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${u.key}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'no-such-model', messages: [{ role: 'user', content: 'hi' }] }) });
    const sent = ((await r.json()) as { error: { code: string; message: string } }).error;
    expect([r.status, sent.code]).toEqual([404, 'model_not_found']);
    const p = await sessionPage(browser, t.url, u.cookie, { locale: 'zh-CN' });
    await p.goto(`${t.url}/`);
    await p.getByText(`该模型不存在，或您的账户无权使用。 — ${sent.message}`).waitFor();
    await p.context().close();
  });

  it('the low-balance reminder on the overview reads in Chinese, its values kept', async () => {
    const u = await t.signup();
    expect((await t.api('PUT', '/api/billing/low-balance', { threshold: 4990 }, { cookie: u.cookie })).status).toBe(200);
    expect((await t.api('POST', `/api/admin/users/${u.user.id}/credit`, { amount: -12, reason: 'spend' }, { token: t.rootToken })).status).toBe(200);
    const p = await sessionPage(browser, t.url, u.cookie, { locale: 'zh-CN' });
    await p.goto(`${t.url}/`);
    await poll(() => p.getByTestId('notice').innerText()).toBe('你的余额（4,988 P）已低于提醒阈值 4,990 P。');
    await p.context().close();
  });
});
