/**
 * The whole EPay loop over real HTTP: a user's order at the gateway → the payer on the simulated
 * aggregator's cashier page → its MD5-signed notify to the gateway → the credit, once. Then what must
 * not credit: forged and foreign notifies, a wrong amount, replays, and a late payment.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { epaySign } from '@apigpt/simulator';
import { eventually } from '../eventually.js';
import { DB_KINDS, startTestGateway, type TestGateway } from '../harness.js';
import { balance, EPAY_PID, ledgerOf, order, orderStatus, payOnPage, startPaySim, type PaySim } from './helpers.js';

describe.each(DB_KINDS)('EPay recharge on %s', (db) => {
  let pay: PaySim;
  let t: TestGateway;

  beforeAll(async () => {
    pay = await startPaySim();
    t = await startTestGateway({ db, config: pay.config });
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await pay?.sim.close();
  });

  /** The notify the simulator sent for an order (its signed query). */
  const notifyOf = (orderId: string) => {
    const cb = pay.sim.payments.callbacks.find((c) => c.provider === 'epay' && new URL(c.url).searchParams.get('out_trade_no') === orderId);
    expect(cb, `a notify for ${orderId}`).toBeDefined();
    return cb!;
  };

  it('pays ¥10 by Alipay on the cashier page and credits 10 × 140 = 1400 P once', async () => {
    const { cookie } = await t.signup();
    const before = await balance(t, cookie);
    const o = await order(t, cookie, { provider: 'epay', method: 'alipay', amount: '10' });
    expect(o).toMatchObject({ status: 'created', amount: '10.00', currency: 'cny', credit: 1400, bonus: 0, provider: 'epay', method: 'alipay' });
    const payUrl = new URL(o.payUrl!);
    expect(payUrl.origin + payUrl.pathname).toBe(`${pay.sim.url}/submit.php`);
    // The signed order names our callback and the way back to the console.
    expect(payUrl.searchParams.get('notify_url')).toBe(`${t.url}/api/payments/epay/notify`);
    expect(payUrl.searchParams.get('return_url')).toBe(`${t.url}/recharge?order=${o.id}`);
    expect(payUrl.searchParams.get('out_trade_no')).toBe(o.id);

    const back = await payOnPage(o.payUrl!);
    // The browser comes back to the console with the signed result: display only.
    expect(back.startsWith(`${t.url}/recharge?order=${o.id}&`)).toBe(true);

    await eventually(async () => expect((await orderStatus(t, cookie, o.id)).status).toBe('credited'));
    expect(await balance(t, cookie)).toBe(before + 1400);
    const rows = await ledgerOf(t, o.id);
    expect(rows.map((r) => [r.kind, Number(r.amount)])).toEqual([['topup', 1400_000_000]]);
    const cb = notifyOf(o.id);
    expect(cb.method).toBe('GET');
    await eventually(() => expect(cb.state).toBe('delivered'));
    expect(cb.attempts.map((a) => [a.status, a.body])).toEqual([[200, 'success']]);
  });

  it('a replayed notify is answered success and credits nothing more', async () => {
    const { cookie } = await t.signup();
    const o = await order(t, cookie, { provider: 'epay', method: 'wxpay', amount: '3.50' });
    await payOnPage(o.payUrl!);
    await eventually(async () => expect((await orderStatus(t, cookie, o.id)).status).toBe('credited'));
    const after = await balance(t, cookie);
    const cb = notifyOf(o.id);
    for (let i = 0; i < 3; i++) expect(await pay.sim.payments.send(cb.id)).toEqual({ status: 200, body: 'success', ok: true });
    expect(await balance(t, cookie)).toBe(after);
    expect((await ledgerOf(t, o.id)).length).toBe(1);
    // ¥3.50 × 140 P = 490 P.
    expect((await orderStatus(t, cookie, o.id)).credit).toBe(490);
  });

  it('forged notifies (another key, a changed amount or order, no signature, another merchant) are refused and change nothing', async () => {
    const { cookie } = await t.signup();
    const before = await balance(t, cookie);
    const o = await order(t, cookie, { provider: 'epay', method: 'alipay', amount: '20' });
    const fields = { pid: EPAY_PID, trade_no: '2099010100000099999', out_trade_no: o.id, type: 'alipay', name: 'x', money: '20.00', trade_status: 'TRADE_SUCCESS' };
    const notify = (p: Record<string, string>) => fetch(`${t.url}/api/payments/epay/notify?${new URLSearchParams(p)}`);
    const forged = [
      { ...fields, sign: epaySign(fields, 'guessed-key'), sign_type: 'MD5' },
      { ...fields, sign: epaySign({ ...fields, money: '0.01' }, pay.epayKey), sign_type: 'MD5' },
      { ...fields, sign: epaySign({ ...fields, out_trade_no: 'TUother' }, pay.epayKey), sign_type: 'MD5' },
      { ...fields },
      { ...fields, pid: '2002', sign: epaySign({ ...fields, pid: '2002' }, pay.epayKey), sign_type: 'MD5' },
    ];
    for (const p of forged) {
      const res = await notify(p);
      expect(res.status).toBe(400);
      expect(await res.text()).toBe('fail');
    }
    // Also as POST forms.
    const posted = await fetch(`${t.url}/api/payments/epay/notify`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(forged[0]) });
    expect(await posted.text()).toBe('fail');
    expect((await orderStatus(t, cookie, o.id)).status).toBe('created');
    expect(await balance(t, cookie)).toBe(before);
    expect(await t.gw.services.db.selectFrom('payment_events').select('event_id').where('order_id', '=', o.id).execute()).toEqual([]);
    // The genuine payment still credits afterwards.
    await payOnPage(o.payUrl!);
    await eventually(async () => expect((await orderStatus(t, cookie, o.id)).status).toBe('credited'));
    expect(await balance(t, cookie)).toBe(before + 2800);
  });

  it('an authentic notify of a wrong amount is acknowledged, not credited, and held as paid for review', async () => {
    const { cookie } = await t.signup();
    const before = await balance(t, cookie);
    const o = await order(t, cookie, { provider: 'epay', method: 'alipay', amount: '10' });
    // The payer pays ¥1.00 for the ¥10.00 order; the aggregator signs what was paid.
    await payOnPage(o.payUrl!, { money: '1.00' });
    const cb = notifyOf(o.id);
    await eventually(() => expect(cb.state).toBe('delivered'));
    const s = await orderStatus(t, cookie, o.id);
    expect(s.status).toBe('paid');
    expect(s.note).toBe('Paid 1.00 CNY, but the order is 10.00 CNY.');
    expect(await balance(t, cookie)).toBe(before);
    expect(await ledgerOf(t, o.id)).toEqual([]);
    // Replaying it changes nothing either.
    expect((await pay.sim.payments.send(cb.id)).body).toBe('success');
    expect((await orderStatus(t, cookie, o.id)).status).toBe('paid');
  });

  it('a payment that arrives after the order showed as expired is still credited (the money is real)', async () => {
    const { cookie } = await t.signup();
    const before = await balance(t, cookie);
    const o = await order(t, cookie, { provider: 'epay', method: 'alipay', amount: '1' });
    // The order's time runs out (as if 30 minutes had passed).
    await t.gw.services.db.updateTable('topup_orders').set({ expires_at: Date.now() - 1 }).where('id', '=', o.id).execute();
    expect(await orderStatus(t, cookie, o.id)).toMatchObject({ status: 'expired', note: 'Not paid in time.', notes: [{ code: 'not_paid_in_time', params: {}, text: 'Not paid in time.' }] });
    await payOnPage(o.payUrl!);
    await eventually(async () => expect((await orderStatus(t, cookie, o.id)).status).toBe('credited'));
    expect(await balance(t, cookie)).toBe(before + 140);
  });

  it('a notify for an unknown order or with a status other than success is acknowledged and credits nothing', async () => {
    const { cookie } = await t.signup();
    const before = await balance(t, cookie);
    const o = await order(t, cookie, { provider: 'epay', method: 'alipay', amount: '5' });
    const base = { pid: EPAY_PID, trade_no: '2099010100000088888', type: 'alipay', name: 'x', money: '5.00' };
    for (const p of [{ ...base, out_trade_no: o.id, trade_status: 'WAIT_BUYER_PAY' }, { ...base, out_trade_no: 'TUnosuchorder', trade_status: 'TRADE_SUCCESS' }]) {
      const res = await fetch(`${t.url}/api/payments/epay/notify?${new URLSearchParams({ ...p, sign: epaySign(p, pay.epayKey), sign_type: 'MD5' })}`);
      expect(await res.text()).toBe('success');
    }
    expect((await orderStatus(t, cookie, o.id)).status).toBe('created');
    expect(await balance(t, cookie)).toBe(before);
  });
});
