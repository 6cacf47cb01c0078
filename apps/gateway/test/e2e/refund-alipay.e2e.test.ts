/**
 * An admin's refund of an Alipay order in the console, in headless Chromium against a real gateway
 * and the simulated Alipay: the dialog offers returning the money through 支付宝, the money goes back
 * through alipay.trade.refund, Alipay's refund notify then takes back nothing more, and the credit
 * is taken back once; the order's note and the payer's ledger read in Chinese.
 */
import { generateKeyPairSync } from 'node:crypto';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '@apigpt/simulator';
import { startTestGateway, type TestGateway } from '../harness.js';
import { balance, order, orderStatus, payOnPage } from '../payments/helpers.js';
import { eventually } from '../eventually.js';
import { sessionPage } from './browser.js';
import { CONSOLE_DIST, ensureConsoleBuilt } from './console-build.js';

const APP_ID = '2021000000000077';
const pair = () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { priv: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), pub: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
};

describe('an admin refunds an Alipay order in the console', { timeout: 90_000 }, () => {
  let sim: Simulator;
  let t: TestGateway;
  let browser: Browser;

  beforeAll(async () => {
    ensureConsoleBuilt();
    const app = pair();
    const ali = pair();
    sim = await startSimulator({ payments: { alipay: { appId: APP_ID, appPublicKey: app.pub, privateKey: ali.priv }, retries: 3, retryDelayMs: 50 } });
    t = await startTestGateway({ start: { consoleDir: CONSOLE_DIST }, config: { alipayAppId: APP_ID, alipayPrivateKey: app.priv, alipayPublicKey: ali.pub, alipayGatewayUrl: `${sim.url}/gateway.do`, alipayPointsPerYuan: 140 } });
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await sim?.close();
  });

  it('zh-CN: 同时通过 支付宝 将款项退还给付款人 — the money goes back through alipay.trade.refund, the credit is taken back once', async () => {
    const { cookie } = await t.signup();
    const before = await balance(t, cookie);
    const o = await order(t, cookie, { provider: 'alipay', amount: '6' });
    await payOnPage(o.payUrl!);
    await eventually(async () => expect((await orderStatus(t, cookie, o.id)).status).toBe('credited'));
    const login = await fetch(`${t.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: t.admin.email, password: t.admin.password }) });
    const ctx = await browser.newContext({ locale: 'zh-CN' });
    const [name, value] = (login.headers.get('set-cookie') ?? '').split(';')[0].split('=');
    await ctx.addCookies([{ name, value, url: t.url }]);
    const page = await ctx.newPage();
    page.setDefaultTimeout(15_000);
    await page.goto(`${t.url}/admin/topups`);
    await page.getByTestId(`refund-${o.id}`).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText('并通过 支付宝 将相应款项退还给付款人').waitFor();
    expect(await dialog.getByRole('checkbox', { name: '同时通过 支付宝 将款项退还给付款人' }).isChecked()).toBe(true);
    // The form is reset once the dialog's opening animation ends (FormModal's afterOpenChange): typed after it.
    await expect.poll(() => dialog.evaluate((el) => el.className)).not.toMatch(/zoom/);
    await dialog.getByTestId('refund-reason').fill('用户申请退款');
    expect(await dialog.getByTestId('refund-reason').inputValue()).toBe('用户申请退款');
    await page.screenshot({ path: 'test-artifacts/console/admin-refund-alipay-zh.png' });
    await dialog.getByRole('button', { name: '退 款' }).or(dialog.getByRole('button', { name: '退款' })).click();
    await dialog.waitFor({ state: 'hidden' });
    await expect.poll(async () => (await orderStatus(t, cookie, o.id)).note ?? '').toMatch(/6\.00 CNY returned to the payer through alipay \(\d+\)\.$/);
    // Alipay refunded ¥6.00 and notified it (refund_fee 6.00, the trade closed); the 840 P were taken back once.
    const notified = () => sim.payments.callbacks.filter((c) => c.provider === 'alipay' && new URLSearchParams(c.body).get('out_trade_no') === o.id && new URLSearchParams(c.body).has('refund_fee'));
    await eventually(() => expect(notified().map((c) => c.state)).toEqual(['delivered']));
    expect(new URLSearchParams(notified()[0].body).get('trade_status')).toBe('TRADE_CLOSED');
    expect(await balance(t, cookie)).toBe(before);
    // The order's note, in the reader's language: the admin's refund, then what Alipay did with the money.
    const lines = (await orderStatus(t, cookie, o.id)).notes;
    expect(lines.map((l) => l.code)).toEqual(['refunded_by', 'money_returned']);
    const ref = lines[1].params.ref;
    await page.getByText(`6.00 CNY 已通过 支付宝 原路退还给付款人（${ref}）。`).first().waitFor();
    await page.reload();
    // The note shows two lines; 展开 shows the rest.
    await page.getByTestId(`note-${o.id}`).getByText('展开').click();
    expect(await page.getByTestId(`note-${o.id}`).textContent()).toBe(`由 ${t.admin.email} 退款：用户申请退款。6.00 CNY 已通过 支付宝 原路退还给付款人（${ref}）。`);
    await ctx.close();
  });

  it('zh-CN: an order held for review (¥0.30 paid of ¥30.00) — the dialog says no credit is taken and the ¥0.30 goes back through 支付宝', async () => {
    const { cookie } = await t.signup();
    const before = await balance(t, cookie);
    const o = await order(t, cookie, { provider: 'alipay', amount: '30' });
    await payOnPage(o.payUrl!, { total_amount: '0.30' });
    await eventually(async () => expect((await orderStatus(t, cookie, o.id)).status).toBe('paid'));
    const login = await fetch(`${t.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: t.admin.email, password: t.admin.password }) });
    const page = await sessionPage(browser, t.url, (login.headers.get('set-cookie') ?? '').split(';')[0], { locale: 'zh-CN' });
    await page.goto(`${t.url}/admin/topups`);
    await page.getByTestId(`refund-${o.id}`).click();
    const dialog = page.getByRole('dialog');
    await expect.poll(() => dialog.getByTestId('refund-help').innerText()).toBe('该订单处于审核中，从未入账：不收回任何额度。付款（0.30 CNY）将通过 支付宝 原路退还给付款人。');
    expect(await dialog.getByRole('checkbox', { name: '同时通过 支付宝 将款项退还给付款人' }).isChecked()).toBe(true);
    await expect.poll(() => dialog.evaluate((el) => el.className)).not.toMatch(/zoom/);
    await dialog.getByTestId('refund-reason').fill('付款金额有误');
    await page.screenshot({ path: 'test-artifacts/console/admin-refund-held-zh.png' });
    await dialog.getByRole('button', { name: '退 款' }).or(dialog.getByRole('button', { name: '退款' })).click();
    await dialog.waitFor({ state: 'hidden' });
    await eventually(async () => expect((await orderStatus(t, cookie, o.id)).notes.map((l) => l.code)).toEqual(['other_amount', 'refunded_by', 'money_returned', 'provider_refund']));
    expect(await balance(t, cookie)).toBe(before);
    await page.reload();
    await page.getByTestId(`note-${o.id}`).getByText('展开').click();
    const ref = (await orderStatus(t, cookie, o.id)).notes[2].params.ref;
    expect(await page.getByTestId(`note-${o.id}`).textContent()).toBe(
      `实付 0.30 CNY，但订单金额为 30.00 CNY。由 ${t.admin.email} 退款：付款金额有误。0.30 CNY 已通过 支付宝 原路退还给付款人（${ref}）。支付宝 退款 累计 0.30 CNY。`,
    );
    await page.context().close();
  });

  it('zh-CN: refunds made in the Alipay merchant platform read in Chinese on the orders page and in the payer’s ledger', async () => {
    const { cookie } = await t.signup();
    const o = await order(t, cookie, { provider: 'alipay', amount: '10' });
    await payOnPage(o.payUrl!);
    await eventually(async () => expect((await orderStatus(t, cookie, o.id)).status).toBe('credited'));
    // ¥2.50, then ¥1.50 more, back in the merchant platform: 350 P, then 210 P of the 1400 P.
    sim.payments.refundAlipayInDashboard(o.id, 250);
    await eventually(async () => expect((await orderStatus(t, cookie, o.id)).refunded).toBe(350));
    sim.payments.refundAlipayInDashboard(o.id, 150);
    await eventually(async () => expect((await orderStatus(t, cookie, o.id)).refunded).toBe(560));

    const login = await fetch(`${t.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: t.admin.email, password: t.admin.password }) });
    const page = await sessionPage(browser, t.url, (login.headers.get('set-cookie') ?? '').split(';')[0], { locale: 'zh-CN' });
    await page.goto(`${t.url}/admin/topups`);
    // Two lines: shown whole.
    await expect.poll(() => page.getByTestId(`note-${o.id}`).textContent()).toBe('支付宝 退款 累计 2.50 CNY：已收回 350 P。支付宝 退款 累计 4.00 CNY：已收回 210 P。');
    await page.screenshot({ path: 'test-artifacts/console/admin-order-notes-zh.png' });
    await page.context().close();

    const mine = await sessionPage(browser, t.url, cookie, { locale: 'zh-CN' });
    await mine.goto(`${t.url}/topup`);
    await mine.getByText(`充值订单 ${o.id} 已通过支付宝退款：累计 4.00 CNY 已退还付款人`).waitFor();
    await mine.getByText(`充值订单 ${o.id} 已通过支付宝退款：累计 2.50 CNY 已退还付款人`).waitFor();
    await mine.getByText('在线充值 10.00 CNY（支付宝）').waitFor();
    await mine.screenshot({ path: 'test-artifacts/console/ledger-provider-refund-zh.png' });
    await mine.context().close();
  });
});
