/**
 * The Buy credit page in headless Chromium, end to end against a real gateway and the simulated
 * providers: an amount through EPay in English and a pack with a bonus through Stripe in Chinese —
 * the order, the provider's own page, paying there, the way back, and the credit shown once the
 * signed callback has landed.
 */
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../harness.js';
import { balance, order, orderStatus, paidByCard, payOnPage, registerWebhook, startPaySim, type PaySim } from '../payments/helpers.js';
import { eventually } from '../eventually.js';
import { CONSOLE_DIST, ensureConsoleBuilt } from './console-build.js';

describe('the Buy credit page', { timeout: 90_000 }, () => {
  let pay: PaySim;
  let t: TestGateway;
  let browser: Browser;

  beforeAll(async () => {
    ensureConsoleBuilt();
    pay = await startPaySim();
    // Refunds whose money Stripe could not take yet are asked about again every second.
    t = await startTestGateway({ start: { consoleDir: CONSOLE_DIST }, config: { ...pay.config, refundRetrySeconds: 1 } });
    await registerWebhook(pay, t.url);
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await pay?.sim.close();
  });

  async function signedIn(cookie: string, locale: string): Promise<Page> {
    const ctx = await browser.newContext({ locale });
    const [name, value] = cookie.split('=');
    await ctx.addCookies([{ name, value, url: t.url }]);
    const page = await ctx.newPage();
    page.setDefaultTimeout(15_000);
    return page;
  }

  it('en: ¥10 through Alipay (EPay) — the cashier page, back to the console, 1,400 P credited', async () => {
    const { cookie } = await t.signup();
    const before = await balance(t, cookie);
    const page = await signedIn(cookie, 'en-US');
    await page.goto(`${t.url}/recharge`);
    await page.getByRole('heading', { name: 'Buy credit' }).waitFor();
    await page.getByText('Alipay / WeChat Pay').waitFor();
    await page.getByLabel('Amount (CNY)').fill('10');
    // 10 CNY × 140 P per CNY, before anything is paid.
    await expect.poll(() => page.getByTestId('recharge-credit').innerText()).toContain('You get 1,400.00 P');
    await page.getByRole('button', { name: 'Pay 10.00 CNY' }).click();
    // The aggregator's cashier page.
    await page.waitForURL((u) => u.href.startsWith(`${pay.sim.url}/submit.php`));
    await page.getByText('¥10.00').first().waitFor();
    await page.getByTestId('sim-pay').click();
    await page.waitForURL((u) => u.href.startsWith(`${t.url}/recharge?order=`));
    const result = page.getByTestId('recharge-result');
    await expect.poll(() => result.innerText(), { timeout: 15_000 }).toBe('1,400.00 P were added to your balance. Thank you!');
    const orderId = new URL(page.url()).searchParams.get('order')!;
    await expect.poll(() => page.getByTestId(`order-status-${orderId}`).innerText()).toBe('Credited');
    expect(await balance(t, cookie)).toBe(before + 1400);
    await page.context().close();
  });

  it('zh-CN: a pack with a bonus through Stripe — the hosted page, back, 2,000 + 200 P credited', async () => {
    const pack = await t.api('POST', '/api/admin/topup-packs', { name: '入门包', points: 2000, bonus: 200 }, { token: t.rootToken });
    expect(pack.status).toBe(200);
    const { cookie } = await t.signup();
    const before = await balance(t, cookie);
    const page = await signedIn(cookie, 'zh-CN');
    await page.goto(`${t.url}/recharge`);
    await page.getByRole('heading', { name: '在线充值' }).waitFor();
    await page.getByText('银行卡（Stripe）').click();
    await page.getByText('入门包').click();
    await expect.poll(() => page.getByTestId('recharge-credit').innerText()).toContain('到账 2,200.00 P');
    // 2000 P at 1000 P per dollar.
    await page.getByRole('button', { name: '支付 2.00 USD' }).click();
    await page.waitForURL((u) => u.href.startsWith(`${pay.sim.url}/c/pay/`));
    await page.getByTestId('sim-pay').click();
    await page.waitForURL((u) => u.href.startsWith(`${t.url}/recharge?order=`));
    await expect.poll(() => page.getByTestId('recharge-result').innerText(), { timeout: 15_000 }).toBe('2,200.00 P 已充入您的余额，感谢支持！');
    const orderId = new URL(page.url()).searchParams.get('order')!;
    await expect.poll(() => page.getByTestId(`order-status-${orderId}`).innerText()).toBe('已到账');
    expect(await balance(t, cookie)).toBe(before + 2200);
    await page.context().close();
  });

  it('zh-CN: back from paying, the notify lost — 我已支付，立即查询 asks the aggregator and the credit lands', async () => {
    const { cookie } = await t.signup();
    const before = await balance(t, cookie);
    const o = await order(t, cookie, { provider: 'epay', method: 'alipay', amount: '5' });
    // Paid at the aggregator; its notify is held there (lost, as far as the gateway knows).
    pay.sim.payments.hold = true;
    let heldIds: string[] = [];
    try {
      const back = await payOnPage(o.payUrl!);
      heldIds = pay.sim.payments.callbacks.filter((c) => c.state === 'held' && c.url.includes(o.id)).map((c) => c.id);
      expect(heldIds).toHaveLength(1);
      const page = await signedIn(cookie, 'zh-CN');
      await page.goto(back);
      const result = page.getByTestId('recharge-result');
      await expect.poll(() => result.innerText()).toContain('正在等待支付确认');
      await page.screenshot({ path: 'test-artifacts/console/recharge-check-now-zh.png' });
      await page.getByTestId('recharge-check').click();
      await expect.poll(() => result.innerText(), { timeout: 15_000 }).toBe('700.00 P 已充入您的余额，感谢支持！');
      await expect.poll(() => page.getByTestId(`order-status-${o.id}`).innerText()).toBe('已到账');
      await page.context().close();
    } finally {
      pay.sim.payments.hold = false;
    }
    expect(await balance(t, cookie)).toBe(before + 700);
    // The notify arrives at last: a duplicate, nothing more.
    await pay.sim.payments.flush(heldIds);
    expect(await balance(t, cookie)).toBe(before + 700);
  });

  it('zh-CN: an admin refunds a Stripe order in the console — the money goes back through Stripe, the credit is taken back once', async () => {
    const { cookie } = await t.signup();
    const before = await balance(t, cookie);
    const { order: o, paymentIntent: pi } = await paidByCard(t, pay, cookie, 3);
    const login = await fetch(`${t.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: t.admin.email, password: t.admin.password }) });
    const page = await signedIn((login.headers.get('set-cookie') ?? '').split(';')[0], 'zh-CN');
    await page.goto(`${t.url}/admin/topups`);
    await page.getByTestId(`refund-${o.id}`).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText('并通过 Stripe 将相应款项退还给付款人').waitFor();
    expect(await dialog.getByRole('checkbox', { name: '同时通过 Stripe 将款项退还给付款人' }).isChecked()).toBe(true);
    // The form is reset once the dialog's opening animation ends (FormModal's afterOpenChange): typed after it.
    await expect.poll(() => dialog.evaluate((el) => el.className)).not.toMatch(/zoom/);
    await dialog.getByTestId('refund-reason').fill('用户申请退款');
    expect(await dialog.getByTestId('refund-reason').inputValue()).toBe('用户申请退款');
    await page.screenshot({ path: 'test-artifacts/console/admin-refund-stripe-zh.png' });
    await dialog.getByRole('button', { name: '退 款' }).or(dialog.getByRole('button', { name: '退款' })).click();
    await dialog.waitFor({ state: 'hidden' });
    await expect.poll(async () => (await orderStatus(t, cookie, o.id)).note ?? '').toMatch(/3\.00 USD returned to the payer through stripe \(re_\w+\)\.$/);
    // Stripe gave the $3.00 back and reported it; the 3000 P were taken back once.
    const reported = () => pay.sim.payments.callbacks.filter((c) => c.type === 'charge.refunded' && JSON.parse(c.body).data.object.payment_intent === pi);
    await eventually(() => expect(reported()[0]?.state).toBe('delivered'));
    expect(JSON.parse(reported()[0].body).data.object.amount_refunded).toBe(300);
    expect(await balance(t, cookie)).toBe(before);
    await page.context().close();
  });

  it('zh-CN: Stripe busy at an admin\'s refund — the order shows 退还中 until the gateway\'s next attempt returns the money, once', async () => {
    const { cookie } = await t.signup();
    const before = await balance(t, cookie);
    const { order: o, paymentIntent: pi } = await paidByCard(t, pay, cookie, 4);
    // Stripe's rate limiter refuses every request until told otherwise (HTTP 429: nothing carried out).
    pay.sim.payments.rateLimitStripe(1_000_000);
    let page: Page | null = null;
    try {
      const r = await t.api<{ note: string; moneyOwed: string | null }>('POST', `/api/admin/topups/${o.id}/refund`, { points: 2000, reason: '用户申请退款' }, { token: t.rootToken });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body.moneyOwed).toBe('2.00');
      expect(r.body.note).toMatch(/ 2\.00 USD not returned yet \(Stripe refused the refund \(HTTP 429: too many requests\)\): the gateway tries again until stripe answers\.$/);
      expect(await balance(t, cookie)).toBe(before + 2000);
      const login = await fetch(`${t.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: t.admin.email, password: t.admin.password }) });
      page = await signedIn((login.headers.get('set-cookie') ?? '').split(';')[0], 'zh-CN');
      await page.goto(`${t.url}/admin/topups`);
      const row = page.locator(`tr[data-row-key="${o.id}"]`);
      await expect.poll(() => row.getByTestId('money-owed').innerText()).toBe('退还中 2.00 USD');
      await page.locator('.ant-spin-spinning').waitFor({ state: 'detached' });
      await page.screenshot({ path: 'test-artifacts/console/admin-refund-returning-zh.png' });
    } finally {
      pay.sim.payments.rateLimitStripe(0);
    }
    // Stripe answers again: the next attempt returns the $2.00, and the tag goes.
    await expect.poll(async () => (await orderStatus(t, cookie, o.id)).note ?? '', { timeout: 15_000 }).toMatch(/not returned yet .* 2\.00 USD returned to the payer through stripe \(re_\w+\)\.$/);
    await page!.reload();
    await page!.locator(`tr[data-row-key="${o.id}"]`).waitFor();
    expect(await page!.locator(`tr[data-row-key="${o.id}"]`).getByTestId('money-owed').count()).toBe(0);
    const reported = () => pay.sim.payments.callbacks.filter((c) => c.type === 'charge.refunded' && JSON.parse(c.body).data.object.payment_intent === pi);
    await eventually(() => expect(reported().map((c) => JSON.parse(c.body).data.object.amount_refunded)).toEqual([200]));
    expect(await balance(t, cookie)).toBe(before + 2000);
    await page!.context().close();
  });
});
