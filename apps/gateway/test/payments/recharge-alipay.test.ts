/**
 * Alipay direct (RSA2) over real HTTP, on both databases: a gateway order → the simulated Alipay
 * gateway, which checks the app's RSA2 signature → its cashier page → the notify it signs with
 * Alipay's key → the credit, once. Then what must not credit: a notify signed with another key, a
 * changed field, a wrong amount, another app, replays. Asking Alipay about an order
 * (`alipay.trade.query`, for a lost notify) answers what its notify carries, under the same event
 * id; nothing for an unpaid or unknown order; an error for an answer Alipay's key did not sign, a
 * refused request, or an Alipay that cannot be reached. Refunds made in the merchant platform are
 * notified with refund_fee and take back their share of the credit; an admin's refund returns the
 * money through alipay.trade.refund (owed on the order while Alipay is busy). And the signing
 * itself against Alipay's rule; and Alipay's answers to a refund, as the gateway reads them.
 */
import { createSign, generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alipaySign, alipayVerify, startSimulator, type Simulator } from '@apigpt/simulator';
import { createAlipay, jsonMembers } from '../../src/payments/alipay/index.js';
import { privateKeyFrom, publicKeyFrom, rsa2Sign, rsa2Verify, signContent } from '../../src/payments/alipay/sign.js';
import { applyNotice } from '../../src/payments/settle.js';
import { eventually } from '../eventually.js';
import { DB_KINDS, startTestGateway, type TestGateway } from '../harness.js';
import { balance, ledgerOf, order, orderStatus, payOnPage, type OrderView } from './helpers.js';

const APP_ID = '2021000000000042';
const pair = () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { priv: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), pub: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
};

describe('Alipay RSA2 signing', () => {
  it('signs the sorted, non-empty parameters but sign, joined k=v& unencoded (sign_type is left out only when verifying a notify)', () => {
    const p = { method: 'alipay.trade.page.pay', app_id: '2014072300007148', sign_type: 'RSA2', charset: 'utf-8', empty: '', biz_content: '{"total_amount":"9.00"}', sign: 'x' };
    expect(signContent(p, false)).toBe('app_id=2014072300007148&biz_content={"total_amount":"9.00"}&charset=utf-8&method=alipay.trade.page.pay&sign_type=RSA2');
    expect(signContent(p, true)).toBe('app_id=2014072300007148&biz_content={"total_amount":"9.00"}&charset=utf-8&method=alipay.trade.page.pay');
  });

  it('what the gateway signs the simulated Alipay verifies, and what it signs the gateway verifies; a changed field or another key does not', () => {
    const app = pair();
    const ali = pair();
    const req = { app_id: APP_ID, method: 'alipay.trade.page.pay', charset: 'utf-8', sign_type: 'RSA2', timestamp: '2026-01-01 08:00:00', version: '1.0', biz_content: '{"out_trade_no":"TU1","total_amount":"10.00"}' };
    const signed = { ...req, sign: rsa2Sign(req, privateKeyFrom(app.priv)) };
    expect(alipayVerify(signed, app.pub)).toBe(true);
    expect(alipayVerify({ ...signed, biz_content: '{"out_trade_no":"TU1","total_amount":"0.01"}' }, app.pub)).toBe(false);
    // A bare base64 key (as Alipay's key tool prints it) is the same key.
    const bare = ali.pub.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
    const notify = { app_id: APP_ID, out_trade_no: 'TU1', trade_no: '2026', trade_status: 'TRADE_SUCCESS', total_amount: '10.00', sign_type: 'RSA2' };
    const n = { ...notify, sign: alipaySign(notify, ali.priv, true) };
    expect(rsa2Verify(n, publicKeyFrom(bare))).toBe(true);
    expect(rsa2Verify({ ...n, total_amount: '100.00' }, publicKeyFrom(ali.pub))).toBe(false);
    expect(rsa2Verify({ ...notify, sign: alipaySign(notify, pair().priv, true) }, publicKeyFrom(ali.pub))).toBe(false);
    expect(rsa2Verify({ ...notify, sign: 'not base64 !' }, publicKeyFrom(ali.pub))).toBe(false);
  });

  it('reads the exact text of each member of an answer (what Alipay signed), whatever its escapes and spacing; not a text that names a member twice', () => {
    const inner = '{ "code":"10000", "sub_msg":"a \\"}\\" , {[", "n":[1,{"x":"}"}], "u":"\\u4ea4\\/" }';
    const m = jsonMembers(`{"alipay_trade_query_response": ${inner} ,\n "sign":"c2ln" }`);
    expect(m && Object.fromEntries(m)).toEqual({ alipay_trade_query_response: inner, sign: '"c2ln"' });
    expect(JSON.parse(m!.get('alipay_trade_query_response')!)).toMatchObject({ sub_msg: 'a "}" , {[', u: '交/' });
    expect(jsonMembers('{"a":1,"a":2}')).toBeNull();
    expect(jsonMembers('{"a":1')).toBeNull();
    expect(jsonMembers('[1]')).toBeNull();
    expect(jsonMembers('{}')).toEqual(new Map());
  });
});

describe.each(DB_KINDS)('Alipay recharge on %s', (db) => {
  let sim: Simulator;
  let t: TestGateway;
  const app = pair();
  const ali = pair();

  beforeAll(async () => {
    sim = await startSimulator({ payments: { alipay: { appId: APP_ID, appPublicKey: app.pub, privateKey: ali.priv }, retries: 3, retryDelayMs: 50 } });
    t = await startTestGateway({ db, config: { alipayAppId: APP_ID, alipayPrivateKey: app.priv, alipayPublicKey: ali.pub, alipayGatewayUrl: `${sim.url}/gateway.do`, alipayPointsPerYuan: 140 } });
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await sim?.close();
  });

  const notifyOf = (orderId: string) => {
    const cb = sim.payments.callbacks.find((c) => c.provider === 'alipay' && new URLSearchParams(c.body).get('out_trade_no') === orderId);
    expect(cb, `a notify for ${orderId}`).toBeDefined();
    return cb!;
  };
  const post = (body: string) => fetch(`${t.url}/api/payments/alipay/notify`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });

  it('pays ¥10 on the Alipay cashier page and credits 1400 P once; a replayed notify is answered success and credits nothing more', async () => {
    const { cookie } = await t.signup();
    const before = await balance(t, cookie);
    const o = await order(t, cookie, { provider: 'alipay', amount: '10' });
    expect(o).toMatchObject({ status: 'created', amount: '10.00', currency: 'cny', credit: 1400, provider: 'alipay', method: 'alipay' });
    const url = new URL(o.payUrl!);
    expect(url.origin + url.pathname).toBe(`${sim.url}/gateway.do`);
    expect(url.searchParams.get('method')).toBe('alipay.trade.page.pay');
    expect(JSON.parse(url.searchParams.get('biz_content')!)).toMatchObject({ out_trade_no: o.id, total_amount: '10.00', product_code: 'FAST_INSTANT_TRADE_PAY' });
    expect(url.searchParams.get('notify_url')).toBe(`${t.url}/api/payments/alipay/notify`);

    const back = await payOnPage(o.payUrl!);
    expect(back.startsWith(`${t.url}/recharge?order=${o.id}&`)).toBe(true);
    await eventually(async () => expect((await orderStatus(t, cookie, o.id)).status).toBe('credited'));
    expect(await balance(t, cookie)).toBe(before + 1400);
    const cb = notifyOf(o.id);
    await eventually(() => expect(cb.state).toBe('delivered'));
    expect(cb.attempts.map((a) => [a.status, a.body])).toEqual([[200, 'success']]);
    for (let i = 0; i < 2; i++) expect(await sim.payments.send(cb.id)).toMatchObject({ status: 200, body: 'success', ok: true });
    expect(await balance(t, cookie)).toBe(before + 1400);
    expect((await ledgerOf(t, o.id)).map((r) => r.kind)).toEqual(['topup']);
  });

  it('the simulated Alipay refuses an order whose signature does not match (a field changed after signing)', async () => {
    const { cookie } = await t.signup();
    const o = await order(t, cookie, { provider: 'alipay', amount: '5' });
    const url = new URL(o.payUrl!);
    url.searchParams.set('biz_content', url.searchParams.get('biz_content')!.replace('"5.00"', '"0.01"'));
    const page = await fetch(url);
    expect(page.status).toBe(400);
    expect(await page.text()).toContain('isv.invalid-signature');
  });

  it('forged notifies (another key, a changed amount, no signature, another app) are refused and change nothing', async () => {
    const { cookie } = await t.signup();
    const before = await balance(t, cookie);
    const o = await order(t, cookie, { provider: 'alipay', amount: '20' });
    const fields = { notify_type: 'trade_status_sync', app_id: APP_ID, out_trade_no: o.id, trade_no: '2026010122001499999', trade_status: 'TRADE_SUCCESS', total_amount: '20.00', charset: 'utf-8', version: '1.0', sign_type: 'RSA2' };
    const other = { ...fields, app_id: '2021000000009999' };
    const forged = [
      { ...fields, sign: alipaySign(fields, pair().priv, true) },
      { ...fields, sign: alipaySign({ ...fields, total_amount: '0.01' }, ali.priv, true) },
      { ...fields },
      { ...other, sign: alipaySign(other, ali.priv, true) },
    ];
    for (const f of forged) {
      const r = await post(new URLSearchParams(f).toString());
      expect(r.status).toBe(400);
      expect(await r.text()).toBe('fail');
    }
    expect((await orderStatus(t, cookie, o.id)).status).toBe('created');
    expect(await balance(t, cookie)).toBe(before);
  });

  it('an authentic notify of a wrong amount holds the order for review and credits nothing', async () => {
    const { cookie } = await t.signup();
    const before = await balance(t, cookie);
    const o = await order(t, cookie, { provider: 'alipay', amount: '30' });
    await payOnPage(o.payUrl!, { total_amount: '0.30' });
    await eventually(async () => expect((await orderStatus(t, cookie, o.id)).status).toBe('paid'));
    expect((await orderStatus(t, cookie, o.id)).note).toBe('Paid 0.30 CNY, but the order is 30.00 CNY.');
    expect(await balance(t, cookie)).toBe(before);
    expect(await ledgerOf(t, o.id)).toEqual([]);
  });

  it('a later TRADE_FINISHED of the same payment is a new event but credits nothing more', async () => {
    const { cookie } = await t.signup();
    const o = await order(t, cookie, { provider: 'alipay', amount: '2' });
    await payOnPage(o.payUrl!);
    await eventually(async () => expect((await orderStatus(t, cookie, o.id)).status).toBe('credited'));
    const after = await balance(t, cookie);
    const first = Object.fromEntries(new URLSearchParams(notifyOf(o.id).body));
    const { sign: _s, ...rest } = first;
    const finished = { ...rest, trade_status: 'TRADE_FINISHED' };
    const r = await post(new URLSearchParams({ ...finished, sign: alipaySign(finished, ali.priv, true) }).toString());
    expect([r.status, await r.text()]).toEqual([200, 'success']);
    expect(await balance(t, cookie)).toBe(after);
    const events = await t.gw.services.db.selectFrom('payment_events').select(['event_id', 'outcome']).where('order_id', '=', o.id).orderBy('received_at').execute();
    expect(events.map((e) => e.outcome)).toEqual(['credited', 'no_change:credited']);
  });

  const alipay = () => t.gw.services.payments.providers.get('alipay')!;
  const queries = () => sim.requests.filter((r) => r.path === '/gateway.do' && r.query.method === 'alipay.trade.query');

  it('asked about an order paid while its notify is held, answers the paid notice under the notify’s event id; the notify then is a duplicate', async () => {
    const { cookie } = await t.signup();
    const before = await balance(t, cookie);
    const o = await order(t, cookie, { provider: 'alipay', amount: '12' });
    let eventId = '';
    sim.payments.hold = true;
    try {
      await payOnPage(o.payUrl!);
      const cb = notifyOf(o.id);
      expect(cb.state).toBe('held');
      const notice = await alipay().query!({ id: o.id, providerRef: null, method: 'alipay' });
      // What the query asked: the common parameters in the URL, signed RSA2 with the app's key like the order.
      const asked = queries().at(-1)!;
      expect(asked).toMatchObject({ method: 'POST', query: { app_id: APP_ID, method: 'alipay.trade.query', format: 'JSON', charset: 'utf-8', sign_type: 'RSA2', version: '1.0' }, body: { biz_content: JSON.stringify({ out_trade_no: o.id }) } });
      expect(asked.query.timestamp).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
      expect(alipayVerify({ ...asked.query, biz_content: (asked.body as { biz_content: string }).biz_content }, app.pub)).toBe(true);
      expect(notice).toMatchObject({ kind: 'paid', orderId: o.id, providerRef: null, amount: 1200, currency: 'cny', method: 'alipay', type: 'TRADE_SUCCESS' });
      // The very notice the gateway reads from the held notify's bytes: the same event id and payment.
      const fromNotify = alipay().verify({ method: 'POST', query: {}, headers: cb.headers, body: Buffer.from(cb.body) });
      expect(notice!.eventId).toBe(fromNotify.eventId);
      expect(notice).toMatchObject({ tradeNo: (fromNotify as { tradeNo: string }).tradeNo, amount: (fromNotify as { amount: number }).amount });
      eventId = notice!.eventId;
      // Settled as a lookup is (the one credit path, settle.ts): the order is credited.
      expect((await applyNotice(t.gw.services.db, t.gw.services.billing.state, 'alipay', notice!)).outcome).toBe('credited');
      expect((await orderStatus(t, cookie, o.id)).status).toBe('credited');
      // The notify, delivered late, is answered success and credits nothing more.
      await sim.payments.flush([cb.id]);
      expect(cb.attempts.map((a) => [a.status, a.body])).toEqual([[200, 'success']]);
    } finally {
      sim.payments.hold = false;
    }
    expect(await balance(t, cookie)).toBe(before + 1680);
    expect((await ledgerOf(t, o.id)).map((r) => r.kind)).toEqual(['topup']);
    // One event stored, the lookup's: the notify's was the same event, a duplicate.
    const events = await t.gw.services.db.selectFrom('payment_events').select(['event_id', 'type', 'outcome']).where('order_id', '=', o.id).execute();
    expect(events).toEqual([{ event_id: eventId, type: 'TRADE_SUCCESS', outcome: 'credited' }]);
    expect(eventId).toMatch(/^\d+:TRADE_SUCCESS$/);
  });

  it('asked about an unpaid order (its cashier opened, or never), or one Alipay never saw, answers nothing to settle', async () => {
    const { cookie } = await t.signup();
    const opened = await order(t, cookie, { provider: 'alipay', amount: '5' });
    expect((await fetch(opened.payUrl!)).status).toBe(200);
    const never = await order(t, cookie, { provider: 'alipay', amount: '6' });
    const unknown = `TU${randomBytes(8).toString('hex')}`;
    for (const id of [opened.id, never.id, unknown]) expect(await alipay().query!({ id, providerRef: null, method: 'alipay' })).toBeNull();
    expect(queries().slice(-3).map((r) => JSON.parse((r.body as { biz_content: string }).biz_content))).toEqual([{ out_trade_no: opened.id }, { out_trade_no: never.id }, { out_trade_no: unknown }]);
    for (const o of [opened, never]) expect((await orderStatus(t, cookie, o.id)).status).toBe('created');
  });

  it('an answer not signed by Alipay’s key, a request Alipay refuses, or an Alipay that cannot be reached is an error, not an answer', async () => {
    const { cookie } = await t.signup();
    const o = await order(t, cookie, { provider: 'alipay', amount: '7' });
    await payOnPage(o.payUrl!);
    await eventually(async () => expect((await orderStatus(t, cookie, o.id)).status).toBe('credited'));
    const options = { gatewayUrl: `${sim.url}/gateway.do`, appId: APP_ID, privateKey: app.priv, alipayPublicKey: ali.pub, pointsPerUnit: 140 };
    const ask = (over: Partial<typeof options>) => createAlipay({ ...options, ...over }).query!({ id: o.id, providerRef: null, method: 'alipay' });
    await expect(ask({})).resolves.toMatchObject({ kind: 'paid', orderId: o.id, amount: 700 });
    await expect(ask({ alipayPublicKey: pair().pub })).rejects.toMatchObject({ code: 'payment_provider_error', message: expect.stringContaining('not authentic') });
    // Signed by an app key Alipay does not hold: refused (isv.invalid-signature, unsigned).
    await expect(ask({ privateKey: pair().priv })).rejects.toMatchObject({ code: 'payment_provider_error', message: expect.stringContaining('isv.invalid-signature') });
    await expect(ask({ appId: '2021000000009999' })).rejects.toMatchObject({ code: 'payment_provider_error', message: expect.stringContaining('isv.invalid-app-id') });
    await expect(ask({ gatewayUrl: 'http://127.0.0.1:9/gateway.do' })).rejects.toMatchObject({ code: 'payment_provider_unreachable' });
  });

  /** The refund notifies (with refund_fee) the simulated Alipay sent for an order. */
  const refundNotifies = (orderId: string) => sim.payments.callbacks.filter((c) => c.provider === 'alipay' && new URLSearchParams(c.body).get('out_trade_no') === orderId && new URLSearchParams(c.body).has('refund_fee'));

  it('refunds made in the merchant platform are notified with refund_fee (the refunds so far) and take back that share of the credit, once per refund; the full refund closes the trade', async () => {
    const { cookie } = await t.signup();
    const before = await balance(t, cookie);
    const o = await order(t, cookie, { provider: 'alipay', amount: '10' });
    await payOnPage(o.payUrl!);
    await eventually(async () => expect((await orderStatus(t, cookie, o.id)).status).toBe('credited'));
    // ¥2.50 of the ¥10.00 back in the merchant platform: 350 of the 1400 P.
    expect(sim.payments.refundAlipayInDashboard(o.id, 250)).toMatchObject({ refund_fee: '2.50', trade_status: 'TRADE_SUCCESS' });
    await eventually(() => expect(refundNotifies(o.id).map((c) => c.state)).toEqual(['delivered']));
    expect(await balance(t, cookie)).toBe(before + 1050);
    expect(await orderStatus(t, cookie, o.id)).toMatchObject({ status: 'refunded', refunded: 350 });
    // Delivered again: answered success, nothing more taken.
    expect(await sim.payments.send(refundNotifies(o.id)[0].id)).toMatchObject({ status: 200, body: 'success', ok: true });
    expect(await balance(t, cookie)).toBe(before + 1050);
    // ¥1.50 more (refund_fee 4.00): 560 P in all, 210 more.
    expect(sim.payments.refundAlipayInDashboard(o.id, 150)).toMatchObject({ refund_fee: '4.00', trade_status: 'TRADE_SUCCESS' });
    await eventually(() => expect(refundNotifies(o.id).map((c) => c.state)).toEqual(['delivered', 'delivered']));
    expect(await balance(t, cookie)).toBe(before + 840);
    // The first refund's notify delivered again after the second: its event (trade and running total 2.50) is a duplicate.
    expect(await sim.payments.send(refundNotifies(o.id)[0].id)).toMatchObject({ ok: true });
    expect(await balance(t, cookie)).toBe(before + 840);
    // The rest: the trade is closed, the whole credit taken back, and no more.
    expect(sim.payments.refundAlipayInDashboard(o.id, 600)).toMatchObject({ refund_fee: '10.00', trade_status: 'TRADE_CLOSED' });
    await eventually(() => expect(refundNotifies(o.id).map((c) => c.state)).toEqual(['delivered', 'delivered', 'delivered']));
    expect(await balance(t, cookie)).toBe(before);
    expect((await ledgerOf(t, o.id)).map((r) => [r.kind, Number(r.amount)])).toEqual([
      ['topup', 1400_000_000],
      ['refund', -350_000_000],
      ['refund', -210_000_000],
      ['refund', -840_000_000],
    ]);
    expect(await orderStatus(t, cookie, o.id)).toMatchObject({ status: 'refunded', refunded: 1400 });
    // One note line per refund, each with the payment's refunds so far.
    const line = (money: string, taken: string) => ({
      code: 'provider_refund',
      params: { provider: 'alipay', money, inAll: 'true', taken },
      text: `alipay refund of ${money} in all: ${taken} taken back.`,
    });
    expect((await orderStatus(t, cookie, o.id)).notes).toEqual([line('2.50 CNY', '350 P'), line('4.00 CNY', '210 P'), line('10.00 CNY', '840 P')]);
    const events = await t.gw.services.db.selectFrom('payment_events').select(['event_id', 'outcome']).where('order_id', '=', o.id).where('event_id', 'like', '%:refund:%').orderBy('received_at').execute();
    const tradeNo = new URLSearchParams(notifyOf(o.id).body).get('trade_no');
    expect(events).toEqual([
      { event_id: `${tradeNo}:refund:250`, outcome: 'reversed' },
      { event_id: `${tradeNo}:refund:400`, outcome: 'reversed' },
      { event_id: `${tradeNo}:refund:1000`, outcome: 'reversed' },
    ]);
    // Nothing is left to refund; a lookup of the closed trade settles nothing.
    expect(sim.payments.refundAlipayInDashboard(o.id, 1)).toBeNull();
    expect(await alipay().query!({ id: o.id, providerRef: null, method: 'alipay' })).toMatchObject({ kind: 'ignored', type: 'TRADE_CLOSED' });
  });

  it("an admin's refund without returning the money, then the money returned in the merchant platform: the refund notify takes back nothing more than the admin did", async () => {
    const { cookie } = await t.signup();
    const before = await balance(t, cookie);
    const o = await order(t, cookie, { provider: 'alipay', amount: '10' });
    await payOnPage(o.payUrl!);
    await eventually(async () => expect((await orderStatus(t, cookie, o.id)).status).toBe('credited'));
    // The admin returns the money in the merchant platform themself (*Also return the money* unticked).
    const byAdmin = await t.api<{ refunded: number }>('POST', `/api/admin/topups/${o.id}/refund`, { reason: 'asked by the customer', returnMoney: false }, { token: t.rootToken });
    expect(byAdmin.status, JSON.stringify(byAdmin.body)).toBe(200);
    expect(byAdmin.body.refunded).toBe(1400);
    expect(sim.payments.refundAlipayInDashboard(o.id, 1000)).toMatchObject({ trade_status: 'TRADE_CLOSED' });
    await eventually(() => expect(refundNotifies(o.id).map((c) => c.state)).toEqual(['delivered']));
    const events = await t.gw.services.db.selectFrom('payment_events').select(['outcome']).where('order_id', '=', o.id).where('event_id', 'like', '%:refund:%').execute();
    expect(events).toEqual([{ outcome: 'no_change:refunded' }]);
    expect(await balance(t, cookie)).toBe(before);
    expect((await ledgerOf(t, o.id)).map((r) => Number(r.amount))).toEqual([1400_000_000, -1400_000_000]);
  });

  type AdminOrder = { status: string; note: string; refunded: number; moneyOwed: string | null; paid: string | null; notes: OrderView['notes'] };
  const paidOrder = async (cookie: string, yuan: string) => {
    const o = await order(t, cookie, { provider: 'alipay', amount: yuan });
    await payOnPage(o.payUrl!);
    await eventually(async () => expect((await orderStatus(t, cookie, o.id)).status).toBe('credited'));
    return { ...o, tradeNo: new URLSearchParams(notifyOf(o.id).body).get('trade_no')! };
  };
  const refundRequests = (tradeNo: string) =>
    sim.requests.filter((r) => r.path === '/gateway.do' && r.query.method === 'alipay.trade.refund').map((r) => JSON.parse((r.body as { biz_content: string }).biz_content) as Record<string, unknown>).filter((b) => b.trade_no === tradeNo);

  it("an admin's refund returns the money through alipay.trade.refund, once: the same out_request_no again is the same refund; Alipay's refund notify then takes nothing more", async () => {
    const { cookie } = await t.signup();
    const before = await balance(t, cookie);
    const o = await paidOrder(cookie, '10');
    // 700 P of the 1400: ¥5.00 of the ¥10.00.
    const byAdmin = await t.api<AdminOrder>('POST', `/api/admin/topups/${o.id}/refund`, { points: 700, reason: 'asked by the customer' }, { token: t.rootToken });
    expect(byAdmin.status, JSON.stringify(byAdmin.body)).toBe(200);
    expect(byAdmin.body).toMatchObject({ refunded: 700, moneyOwed: null, note: `Refunded by admin@test.local: asked by the customer 5.00 CNY returned to the payer through alipay (${o.tradeNo}).` });
    expect(refundRequests(o.tradeNo)).toEqual([{ trade_no: o.tradeNo, out_request_no: `refund-${o.id}`, refund_amount: '5.00', refund_reason: `APIGPT refund of ${o.id}` }]);
    // Asked again (an answer lost on the way): Alipay answers the same refund and refunds nothing more.
    expect(await alipay().refund!({ tradeNo: o.tradeNo, orderId: o.id, amount: 500, total: 1000, key: `refund-${o.id}` })).toEqual({ ref: o.tradeNo });
    // Alipay notifies the refund (refund_fee 5.00): the admin took that share already.
    await eventually(() => expect(refundNotifies(o.id).map((c) => [c.state, new URLSearchParams(c.body).get('refund_fee')])).toEqual([['delivered', '5.00']]));
    const events = await t.gw.services.db.selectFrom('payment_events').select(['outcome']).where('order_id', '=', o.id).where('event_id', 'like', '%:refund:%').execute();
    expect(events).toEqual([{ outcome: 'no_change:refunded' }]);
    expect(await balance(t, cookie)).toBe(before + 700);
    expect((await ledgerOf(t, o.id)).map((r) => Number(r.amount))).toEqual([1400_000_000, -700_000_000]);
    // ¥5.00 is left of the payment at Alipay: the dashboard may refund at most that.
    expect(sim.payments.refundAlipayInDashboard(o.id, 501)).toBeNull();
  });

  /** A new account's ¥30.00 order paid ¥0.30: held for review, never credited. */
  const heldForReview = async () => {
    const { cookie } = await t.signup();
    const before = await balance(t, cookie);
    const o = await order(t, cookie, { provider: 'alipay', amount: '30' });
    await payOnPage(o.payUrl!, { total_amount: '0.30' });
    await eventually(async () => expect((await orderStatus(t, cookie, o.id)).status).toBe('paid'));
    return { cookie, before, o, tradeNo: new URLSearchParams(notifyOf(o.id).body).get('trade_no')! };
  };

  it("an order held for review (¥0.30 paid of ¥30.00) refunded by an admin: the ¥0.30 goes back through alipay.trade.refund, no credit is taken, and Alipay's refund notify takes none either", async () => {
    const { cookie, before, o, tradeNo } = await heldForReview();
    expect((await orderStatus(t, cookie, o.id)).paid).toBe('0.30');
    // Alipay's notify of the refund is held until the refund's answer has been written (the next test sends it first).
    sim.payments.hold = true;
    let r: Awaited<ReturnType<typeof t.api<AdminOrder>>>;
    try {
      r = await t.api<AdminOrder>('POST', `/api/admin/topups/${o.id}/refund`, { reason: 'paid the wrong amount' }, { token: t.rootToken });
    } finally {
      sim.payments.hold = false;
    }
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({ status: 'refunded', refunded: 0, moneyOwed: null, paid: '0.30' });
    expect(r.body.notes.map((l) => l.code)).toEqual(['other_amount', 'refunded_by', 'money_returned']);
    expect(r.body.notes[2].params).toEqual({ provider: 'alipay', money: '0.30 CNY', ref: tradeNo });
    expect(refundRequests(tradeNo)).toEqual([{ trade_no: tradeNo, out_request_no: `refund-${o.id}`, refund_amount: '0.30', refund_reason: `APIGPT refund of ${o.id}` }]);
    // Alipay closes the trade and notifies the refund (refund_fee 0.30): the order was never credited, nothing is taken.
    await sim.payments.flush(refundNotifies(o.id).map((c) => c.id));
    expect(refundNotifies(o.id).map((c) => [c.state, new URLSearchParams(c.body).get('refund_fee')])).toEqual([['delivered', '0.30']]);
    expect(await ledgerOf(t, o.id)).toEqual([]);
    expect(await balance(t, cookie)).toBe(before);
    expect((await orderStatus(t, cookie, o.id)).notes.at(-1)).toMatchObject({ code: 'provider_refund', params: { provider: 'alipay', money: '0.30 CNY', inAll: 'true' } });
  });

  it("Alipay's notify of an admin's refund arriving before alipay.trade.refund's answer: the order keeps both lines, the notify's and the refund's (CI, 2026-12-04, lost the first)", async () => {
    const { cookie, before, o, tradeNo } = await heldForReview();
    sim.payments.alipayNotifyFirst(1);
    const r = await t.api<AdminOrder>('POST', `/api/admin/topups/${o.id}/refund`, { reason: 'paid the wrong amount' }, { token: t.rootToken });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    // The notify was answered before alipay.trade.refund's answer left the simulator.
    expect(refundNotifies(o.id).map((c) => [c.state, new URLSearchParams(c.body).get('refund_fee')])).toEqual([['delivered', '0.30']]);
    const lines = [
      { code: 'other_amount' },
      { code: 'refunded_by', params: { by: 'admin@test.local', reason: 'paid the wrong amount' } },
      { code: 'provider_refund', params: { provider: 'alipay', money: '0.30 CNY', inAll: 'true' } },
      { code: 'money_returned', params: { provider: 'alipay', money: '0.30 CNY', ref: tradeNo } },
    ];
    expect(r.body).toMatchObject({ status: 'refunded', refunded: 0, moneyOwed: null, paid: '0.30', notes: lines });
    expect((await orderStatus(t, cookie, o.id)).notes).toMatchObject(lines);
    expect(await ledgerOf(t, o.id)).toEqual([]);
    expect(await balance(t, cookie)).toBe(before);
  });

  it('Alipay busy (20000) at the refund: the money is owed on the order and returned by the next attempt, under the same out_request_no', async () => {
    const { cookie } = await t.signup();
    const o = await paidOrder(cookie, '4');
    sim.payments.alipayBusy(1);
    const byAdmin = await t.api<AdminOrder>('POST', `/api/admin/topups/${o.id}/refund`, { reason: 'duplicate order' }, { token: t.rootToken });
    expect(byAdmin.status, JSON.stringify(byAdmin.body)).toBe(200);
    expect(byAdmin.body).toMatchObject({ status: 'refunded', refunded: 560, moneyOwed: '4.00' });
    expect(byAdmin.body.note).toContain('4.00 CNY not returned yet (Alipay refused the refund for now (20000 Service Currently Unavailable: isp.unknow-error 系统繁忙))');
    await t.gw.services.db.updateTable('topup_orders').set({ money_due_at: 0 }).where('id', '=', o.id).execute();
    await t.gw.services.payments.returns.runOnce();
    const after = await t.api<AdminOrder>('GET', `/api/admin/topups?limit=100`, undefined, { token: t.rootToken });
    const row = (after.body as unknown as { items: (AdminOrder & { id: string })[] }).items.find((x) => x.id === o.id)!;
    expect(row.moneyOwed).toBeNull();
    expect(row.note).toMatch(/4\.00 CNY returned to the payer through alipay \(\d+\)\.$/);
    expect(refundRequests(o.tradeNo).map((b) => b.out_request_no)).toEqual([`refund-${o.id}`, `refund-${o.id}`]);
    expect(sim.payments.refundAlipayInDashboard(o.id, 1)).toBeNull();
  });

  it('when Alipay refuses to return the money (the whole payment was refunded in the merchant platform first), the credit is still taken back and the note says to return it in the dashboard', async () => {
    const { cookie } = await t.signup();
    const before = await balance(t, cookie);
    const o = await paidOrder(cookie, '10');
    // Refunded in the merchant platform, its notify not yet arrived.
    sim.payments.hold = true;
    try {
      expect(sim.payments.refundAlipayInDashboard(o.id, 1000)).toMatchObject({ trade_status: 'TRADE_CLOSED' });
    } finally {
      sim.payments.hold = false;
    }
    const byAdmin = await t.api<AdminOrder>('POST', `/api/admin/topups/${o.id}/refund`, { reason: 'duplicate order' }, { token: t.rootToken });
    expect(byAdmin.status, JSON.stringify(byAdmin.body)).toBe(200);
    expect(byAdmin.body).toMatchObject({ status: 'refunded', refunded: 1400, moneyOwed: null });
    expect(byAdmin.body.note).toMatch(/10\.00 CNY could not be returned through alipay \(Alipay refused the refund \(40004 Business Failed: ACQ\.REFUND_AMT_NOT_EQUAL_TOTAL 退款金额超限\)\): return it in the alipay dashboard\.$/);
    // The held notify then arrives: nothing more is taken.
    await sim.payments.flush();
    await eventually(() => expect(refundNotifies(o.id).map((c) => c.state)).toEqual(['delivered']));
    expect(await balance(t, cookie)).toBe(before);
    expect((await ledgerOf(t, o.id)).map((r) => Number(r.amount))).toEqual([1400_000_000, -1400_000_000]);
  });

  it('a refund notify that arrives before its payment is known (the payment notify lost) is answered fail, and counted once delivered again after the reconciler found the payment', async () => {
    const { cookie } = await t.signup();
    const before = await balance(t, cookie);
    const o = await order(t, cookie, { provider: 'alipay', amount: '10' });
    // The payment's notify and the refund's are held; the payment's is never delivered (lost).
    sim.payments.hold = true;
    try {
      await payOnPage(o.payUrl!);
      expect(sim.payments.refundAlipayInDashboard(o.id, 300)).toMatchObject({ refund_fee: '3.00' });
    } finally {
      sim.payments.hold = false;
    }
    const refund = refundNotifies(o.id)[0];
    // Delivered now: the order has no payment here yet, so it is not consumed.
    expect(await sim.payments.send(refund.id)).toMatchObject({ status: 500, body: 'fail', ok: false });
    expect(await orderStatus(t, cookie, o.id)).toMatchObject({ status: 'created', refunded: 0 });
    expect(await t.gw.services.db.selectFrom('payment_events').select('event_id').where('event_id', 'like', '%:refund:%').where('order_id', '=', o.id).execute()).toEqual([]);
    // The reconciler asks Alipay (an admin's ask here): the trade is paid, ¥10.00, credited.
    const asked = await t.api<{ status: string }>('POST', `/api/admin/topups/${o.id}/check`, undefined, { token: t.rootToken });
    expect([asked.status, asked.body.status]).toEqual([200, 'credited']);
    // Alipay delivers the refund again: ¥3.00 of ¥10.00, 420 of the 1400 P taken back.
    expect(await sim.payments.send(refund.id)).toMatchObject({ status: 200, body: 'success', ok: true });
    expect(await balance(t, cookie)).toBe(before + 980);
    expect(await orderStatus(t, cookie, o.id)).toMatchObject({ status: 'refunded', refunded: 420 });
  });

  it('a refund notify signed with another key is refused and takes nothing back', async () => {
    const { cookie } = await t.signup();
    const before = await balance(t, cookie);
    const o = await order(t, cookie, { provider: 'alipay', amount: '3' });
    await payOnPage(o.payUrl!);
    await eventually(async () => expect((await orderStatus(t, cookie, o.id)).status).toBe('credited'));
    const { sign: _s, ...paid } = Object.fromEntries(new URLSearchParams(notifyOf(o.id).body));
    const refund = { ...paid, notify_id: randomBytes(8).toString('hex'), refund_fee: '3.00', trade_status: 'TRADE_CLOSED', out_biz_no: 'RF-forged' };
    const r = await post(new URLSearchParams({ ...refund, sign: alipaySign(refund, pair().priv, true) }).toString());
    expect([r.status, await r.text()]).toEqual([400, 'fail']);
    expect(await balance(t, cookie)).toBe(before + 420);
    expect(await orderStatus(t, cookie, o.id)).toMatchObject({ status: 'credited', refunded: 0 });
  });
});

describe("Alipay's answers to alipay.trade.refund, as the gateway reads them", () => {
  const app = pair();
  const ali = pair();
  let server: Server;
  let url: string;
  /** What the stand-in Alipay answers next: the response object, signed by `signer` when given; or a dropped connection. */
  let next: { response: Record<string, string>; signer?: string } | 'drop' = 'drop';

  beforeAll(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        if (next === 'drop') return void res.destroy();
        const inner = JSON.stringify(next.response);
        const sign = next.signer ? `,"sign":${JSON.stringify(createSign('RSA-SHA256').update(inner, 'utf8').sign(next.signer, 'base64'))}` : '';
        res.writeHead(200, { 'content-type': 'application/json;charset=utf-8' }).end(`{"alipay_trade_refund_response":${inner}${sign}}`);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/gateway.do`;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  const req = { tradeNo: '2026010122001400000000000042', orderId: 'TUanswers', amount: 300, total: 1000, key: 'refund-TUanswers' };
  const outcome = async (answer: typeof next, gatewayUrl = url) => {
    next = answer;
    try {
      return { ref: (await createAlipay({ gatewayUrl, appId: APP_ID, privateKey: app.priv, alipayPublicKey: ali.pub, pointsPerUnit: 140 }).refund!(req)).ref };
    } catch (err) {
      return { code: (err as { code?: string }).code, message: (err as Error).message };
    }
  };
  const success = (o: { trade_no?: string; fund_change?: string } = {}) => ({ code: '10000', msg: 'Success', trade_no: o.trade_no ?? req.tradeNo, out_trade_no: req.orderId, fund_change: o.fund_change ?? 'Y', refund_fee: '3.00' });

  it('10000 signed by Alipay is the refund (fund_change N too: the same out_request_no asked again); unsigned, signed by another key, or about another trade it is an error', async () => {
    expect(await outcome({ response: success(), signer: ali.priv })).toEqual({ ref: req.tradeNo });
    expect(await outcome({ response: success({ fund_change: 'N' }), signer: ali.priv })).toEqual({ ref: req.tradeNo });
    expect(await outcome({ response: success() })).toMatchObject({ code: 'payment_provider_error', message: expect.stringContaining('not authentic') });
    expect(await outcome({ response: success(), signer: pair().priv })).toMatchObject({ code: 'payment_provider_error', message: expect.stringContaining('not authentic') });
    expect(await outcome({ response: success({ trade_no: '2026010122001400000000000099' }), signer: ali.priv })).toMatchObject({ code: 'payment_provider_error', message: expect.stringContaining('another trade') });
  });

  it('20000 and ACQ.SYSTEM_ERROR are "busy" and a dropped or refused connection "unreachable" (the same out_request_no later); any other refusal is an error carrying Alipay\'s words', async () => {
    expect(await outcome({ response: { code: '20000', msg: 'Service Currently Unavailable', sub_code: 'isp.unknow-error', sub_msg: '系统繁忙' }, signer: ali.priv })).toEqual({ code: 'payment_provider_busy', message: 'Alipay refused the refund for now (20000 Service Currently Unavailable: isp.unknow-error 系统繁忙).' });
    expect(await outcome({ response: { code: '40004', msg: 'Business Failed', sub_code: 'ACQ.SYSTEM_ERROR', sub_msg: '系统错误' } })).toMatchObject({ code: 'payment_provider_busy' });
    expect(await outcome('drop')).toMatchObject({ code: 'payment_provider_unreachable' });
    expect(await outcome('drop', 'http://127.0.0.1:9/gateway.do')).toMatchObject({ code: 'payment_provider_unreachable' });
    for (const [sub, words] of [
      ['ACQ.SELLER_BALANCE_NOT_ENOUGH', '卖家余额不足'],
      ['ACQ.TRADE_HAS_FINISHED', '交易已完结'],
      ['ACQ.DISCORDANT_REPEAT_REQUEST', '请求信息不一致'],
    ]) {
      expect(await outcome({ response: { code: '40004', msg: 'Business Failed', sub_code: sub, sub_msg: words }, signer: ali.priv })).toEqual({ code: 'payment_provider_error', message: `Alipay refused the refund (40004 Business Failed: ${sub} ${words}).` });
    }
  });
});
