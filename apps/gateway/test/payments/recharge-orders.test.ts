/**
 * Orders and what admins do with them: packs with a bonus, the limits of an order, each user seeing
 * only their own orders, the admin's list, refunds through the ledger that never take a balance below
 * zero, completing an order by hand, and a provider that cannot start a payment.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator } from '@apigpt/simulator';
import { eventually } from '../eventually.js';
import { startTestGateway, type TestGateway } from '../harness.js';
import { balance, ledgerOf, order, orderStatus, payOnPage, registerWebhook, startPaySim, type OrderView, type PaySim } from './helpers.js';

describe('recharge orders, packs and refunds', () => {
  let pay: PaySim;
  let t: TestGateway;
  const root = () => ({ token: t.rootToken });

  beforeAll(async () => {
    pay = await startPaySim();
    t = await startTestGateway({ config: pay.config });
    await registerWebhook(pay, t.url);
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await pay?.sim.close();
  });

  async function paidOrder(cookie: string, body: Record<string, unknown>): Promise<OrderView> {
    const o = await order(t, cookie, body);
    await payOnPage(o.payUrl!, {}, body.provider === 'stripe' ? 'card' : undefined);
    await eventually(async () => expect((await orderStatus(t, cookie, o.id)).status).toBe('credited'));
    return orderStatus(t, cookie, o.id);
  }

  it('lists the configured providers with their rates and the enabled packs priced per provider', async () => {
    const pack = await t.api('POST', '/api/admin/topup-packs', { name: 'Starter', points: 10_000, bonus: 1_000 }, root());
    expect(pack.status).toBe(200);
    // 10,000 P at 140 P/yuan = ¥71.43 (rounded up); at 1000 P/$ = $10.00.
    expect(pack.body).toMatchObject({ name: 'Starter', points: 10_000, bonus: 1_000, enabled: true, prices: { epay: '71.43', stripe: '10.00' } });
    const hidden = await t.api('POST', '/api/admin/topup-packs', { name: 'Hidden', points: 500, enabled: false }, root());
    const { cookie } = await t.signup();
    const opts = await t.api('GET', '/api/recharge/options', undefined, { cookie });
    expect(opts.body.providers).toEqual([
      { id: 'epay', methods: ['alipay', 'wxpay'], currency: 'cny', pointsPerUnit: 140, minAmount: 1, maxAmount: 10000 },
      { id: 'stripe', methods: ['card'], currency: 'usd', pointsPerUnit: 1000, minAmount: 1, maxAmount: 10000 },
    ]);
    expect(opts.body.packs.map((p: { id: string }) => p.id)).toContain(pack.body.id);
    expect(opts.body.packs.map((p: { id: string }) => p.id)).not.toContain(hidden.body.id);
    expect(opts.body.expiryMinutes).toBe(30);
  });

  it('a pack bought through EPay costs its price and credits its points plus the bonus', async () => {
    const pack = (await t.api('POST', '/api/admin/topup-packs', { name: 'Plus', points: 1400, bonus: 100 }, root())).body;
    const { cookie } = await t.signup();
    const before = await balance(t, cookie);
    const o = await order(t, cookie, { provider: 'epay', packId: pack.id });
    // 1400 P at 140 P/yuan = ¥10.00; 1400 + 100 bonus credited.
    expect(o).toMatchObject({ amount: '10.00', credit: 1500, bonus: 100, status: 'created' });
    await payOnPage(o.payUrl!);
    await eventually(async () => expect((await orderStatus(t, cookie, o.id)).status).toBe('credited'));
    expect(await balance(t, cookie)).toBe(before + 1500);
    // A disabled pack is not for sale.
    await t.api('PATCH', `/api/admin/topup-packs/${pack.id}`, { enabled: false }, root());
    const r = await t.api('POST', '/api/recharge/orders', { provider: 'epay', packId: pack.id }, { cookie });
    expect([r.status, r.body.error.code]).toEqual([404, 'pack_not_found']);
  });

  it('refuses orders outside the limits, for a method or provider not offered, or with both or neither amount and pack', async () => {
    const { cookie } = await t.signup();
    const cases: [Record<string, unknown>, number, string][] = [
      [{ provider: 'epay', amount: '0.99' }, 400, 'amount_out_of_range'],
      [{ provider: 'epay', amount: '10000.01' }, 400, 'amount_out_of_range'],
      [{ provider: 'epay', amount: '7.305' }, 400, 'invalid_amount'],
      [{ provider: 'epay', amount: '-5' }, 400, 'invalid_amount'],
      [{ provider: 'epay', method: 'card', amount: '5' }, 400, 'invalid_payment_method'],
      [{ provider: 'paypal', amount: '5' }, 400, 'payment_provider_unavailable'],
      [{ provider: 'epay' }, 400, 'invalid_value'],
      [{ provider: 'epay', amount: '5', packId: 'pack_x' }, 400, 'invalid_value'],
    ];
    for (const [body, status, code] of cases) {
      const r = await t.api('POST', '/api/recharge/orders', body, { cookie });
      expect([r.status, r.body.error?.code], JSON.stringify(body)).toEqual([status, code]);
    }
    expect((await t.api('GET', '/api/recharge/orders', undefined, { cookie })).body.total).toBe(0);
  });

  it("users see only their own orders; the admin sees everyone's with their email, filtered by status", async () => {
    const u1 = await t.signup();
    const u2 = await t.signup();
    const o1 = await order(t, u1.cookie, { provider: 'epay', amount: '2' });
    const o2 = await paidOrder(u2.cookie, { provider: 'stripe', amount: '2' });
    const mine = await t.api('GET', '/api/recharge/orders', undefined, { cookie: u1.cookie });
    expect(mine.body.items.map((o: OrderView) => o.id)).toEqual([o1.id]);
    expect((await t.api('GET', `/api/recharge/orders/${o2.id}`, undefined, { cookie: u1.cookie })).status).toBe(404);
    expect((await t.api('GET', '/api/admin/topups', undefined, { cookie: u1.cookie })).status).toBe(403);
    const all = await t.api('GET', '/api/admin/topups?status=credited&limit=500', undefined, root());
    const row = all.body.items.find((o: OrderView) => o.id === o2.id);
    expect(row).toMatchObject({ email: u2.user.email, userId: u2.user.id, status: 'credited', amount: '2.00', currency: 'usd', credit: 2000 });
    expect(all.body.items.every((o: OrderView) => o.status === 'credited')).toBe(true);
    // A credited order no longer offers its pay link.
    expect(row.payUrl).toBeNull();
  });

  it('a refund takes the credit back with a refund ledger row, once', async () => {
    const { cookie } = await t.signup();
    const o = await paidOrder(cookie, { provider: 'epay', amount: '5' });
    const before = await balance(t, cookie);
    const r = await t.api('POST', `/api/admin/topups/${o.id}/refund`, { reason: 'asked by the customer' }, root());
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ status: 'refunded', refunded: 700 });
    expect(await balance(t, cookie)).toBe(before - 700);
    expect((await ledgerOf(t, o.id)).map((x) => [x.kind, Number(x.amount)])).toEqual([
      ['topup', 700_000_000],
      ['refund', -700_000_000],
    ]);
    const again = await t.api('POST', `/api/admin/topups/${o.id}/refund`, { reason: 'twice' }, root());
    expect([again.status, again.body.error.code]).toEqual([409, 'order_not_refundable']);
    expect(await balance(t, cookie)).toBe(before - 700);
    const audit = await t.gw.services.db.selectFrom('audit_log').selectAll().where('target_id', '=', o.id).execute();
    expect(audit.map((a) => a.action)).toEqual(['topup.refund']);
  });

  it('a refund never takes a balance below zero: refused with what is available, then made for that much', async () => {
    const { cookie, user } = await t.signup();
    const o = await paidOrder(cookie, { provider: 'stripe', amount: 1 });
    // The user spends all but 300 P of the balance.
    const bal = await balance(t, cookie);
    const spend = await t.api('POST', `/api/admin/users/${user.id}/credit`, { amount: -(bal - 300), reason: 'spent' }, root());
    expect(spend.status).toBe(200);
    const refused = await t.api('POST', `/api/admin/topups/${o.id}/refund`, { reason: 'chargeback' }, root());
    expect([refused.status, refused.body.error.code]).toEqual([409, 'insufficient_balance']);
    expect(refused.body.error.message).toContain('(300 P)');
    expect((await orderStatus(t, cookie, o.id)).status).toBe('credited');
    const partial = await t.api('POST', `/api/admin/topups/${o.id}/refund`, { points: 300, reason: 'chargeback, what was left' }, root());
    expect(partial.body).toMatchObject({ status: 'refunded', refunded: 300 });
    expect(await balance(t, cookie)).toBe(0);
    const tooMuch = await t.api('POST', `/api/admin/topups/${o.id}/refund`, { points: 1, reason: 'x' }, root());
    expect(tooMuch.status).toBe(409);
  });

  it('a paid order held for review can be completed by an admin (credited once) or refunded without a ledger row', async () => {
    const { cookie } = await t.signup();
    const before = await balance(t, cookie);
    const held = await order(t, cookie, { provider: 'epay', amount: '10' });
    await payOnPage(held.payUrl!, { money: '9.99' });
    await eventually(async () => expect((await orderStatus(t, cookie, held.id)).status).toBe('paid'));
    const done = await t.api('POST', `/api/admin/topups/${held.id}/complete`, { reason: 'the customer paid the rest by bank' }, root());
    expect(done.body).toMatchObject({ status: 'credited', credit: 1400 });
    expect(done.body.note).toContain('Credited by admin@test.local: the customer paid the rest by bank');
    // The same two events as lines of data, for the console to word in its reader's language.
    expect(done.body.notes).toEqual([
      { code: 'other_amount', params: { paid: '9.99 CNY', ordered: '10.00 CNY' }, text: 'Paid 9.99 CNY, but the order is 10.00 CNY.' },
      { code: 'credited_by', params: { by: 'admin@test.local', reason: 'the customer paid the rest by bank' }, text: 'Credited by admin@test.local: the customer paid the rest by bank' },
    ]);
    expect((await t.api('POST', `/api/admin/topups/${held.id}/complete`, { reason: 'again' }, root())).body.error.code).toBe('order_not_completable');
    expect(await balance(t, cookie)).toBe(before + 1400);

    const other = await order(t, cookie, { provider: 'epay', amount: '10' });
    await payOnPage(other.payUrl!, { money: '0.10' });
    await eventually(async () => expect((await orderStatus(t, cookie, other.id)).status).toBe('paid'));
    const r = await t.api('POST', `/api/admin/topups/${other.id}/refund`, { reason: 'returned the 0.10' }, root());
    expect(r.body).toMatchObject({ status: 'refunded', refunded: 0 });
    expect(await ledgerOf(t, other.id)).toEqual([]);
    expect(await balance(t, cookie)).toBe(before + 1400);
  });

  it('an order noted before note lines existed keeps its note as its first line, and later events add lines after it', async () => {
    const { cookie } = await t.signup();
    const o = await paidOrder(cookie, { provider: 'epay', amount: '2' });
    // As migration 0027 found such an order: an English note, no lines.
    await t.gw.services.db.updateTable('topup_orders').set({ note: 'Checked by phone.', note_lines: null }).where('id', '=', o.id).execute();
    expect((await orderStatus(t, cookie, o.id)).notes).toEqual([{ code: 'text', params: {}, text: 'Checked by phone.' }]);
    const r = await t.api('POST', `/api/admin/topups/${o.id}/refund`, { reason: '重复付款' }, root());
    expect(r.body.note).toBe('Checked by phone. Refunded by admin@test.local: 重复付款');
    expect(r.body.notes).toEqual([
      { code: 'text', params: {}, text: 'Checked by phone.' },
      { code: 'refunded_by', params: { by: 'admin@test.local', reason: '重复付款' }, text: 'Refunded by admin@test.local: 重复付款' },
    ]);
  });

  it('an order whose callback was lost is completed by hand', async () => {
    const { cookie } = await t.signup();
    const before = await balance(t, cookie);
    const o = await order(t, cookie, { provider: 'stripe', amount: 1 });
    const done = await t.api('POST', `/api/admin/topups/${o.id}/complete`, { reason: 'paid, seen in the Stripe dashboard' }, root());
    expect(done.body.status).toBe('credited');
    expect(await balance(t, cookie)).toBe(before + 1000);
  });
});

describe('a payment provider that cannot start the payment', () => {
  it('answers 502 and ends the order with the reason', async () => {
    // A Stripe that refuses every key.
    const stripe = await startSimulator({ payments: { stripe: { secretKey: 'sk_test_other' } } });
    const t = await startTestGateway({ config: { stripeSecretKey: 'sk_test_wrong', stripeWebhookSecret: 'whsec_x', stripeApiUrl: stripe.url } });
    try {
      const { cookie } = await t.signup();
      const r = await t.api('POST', '/api/recharge/orders', { provider: 'stripe', amount: 3 }, { cookie });
      expect([r.status, r.body.error.code]).toEqual([502, 'payment_provider_error']);
      const list = await t.api('GET', '/api/recharge/orders', undefined, { cookie });
      expect(list.body.items).toHaveLength(1);
      expect(list.body.items[0]).toMatchObject({ status: 'expired', payUrl: null });
      expect(list.body.items[0].note).toMatch(/^The payment could not be started: Stripe refused to start the payment \(HTTP 401: Invalid API Key provided/);
      expect(list.body.items[0].notes).toHaveLength(1);
      expect(list.body.items[0].notes[0]).toMatchObject({ code: 'start_failed', text: list.body.items[0].note });
      expect(list.body.items[0].notes[0].params.error).toMatch(/^Stripe refused to start the payment \(HTTP 401: Invalid API Key provided/);
    } finally {
      await t.close();
      await stripe.close();
    }
  });
});
