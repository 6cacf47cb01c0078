/**
 * A payment whose callback never came (payments/reconcile.ts): the gateway asks the provider about
 * unpaid orders — by itself on a schedule, when the payer says they paid, when an admin asks — and
 * settles the answer like the callback, once. EPay's `api.php?act=order` and Stripe's session
 * retrieval, over real HTTP against the payment simulator; the callbacks are held at the simulator
 * (recorded, not sent) to stand for the lost ones, and sent afterwards to show they credit nothing more.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../eventually.js';
import { startTestGateway, type TestGateway } from '../harness.js';
import { Reconciler } from '../../src/payments/reconcile.js';
import { balance, ledgerOf, order, orderStatus, payOnPage, registerWebhook, startPaySim, type PaySim } from './helpers.js';

describe('asking the provider about unpaid orders', () => {
  let pay: PaySim;
  /** Asks about unpaid orders every second. */
  let t: TestGateway;
  /** Asks only when told to (its schedule is an hour): the payer's and the admin's asks. */
  let quiet: TestGateway;

  beforeAll(async () => {
    pay = await startPaySim();
    t = await startTestGateway({ config: { ...pay.config, topupCheckSeconds: 1 } });
    quiet = await startTestGateway({ config: { ...pay.config, topupCheckSeconds: 3600 } });
    await registerWebhook(pay, t.url);
  }, 60_000);
  afterAll(async () => {
    pay.sim.payments.hold = false;
    await t?.close();
    await quiet?.close();
    await pay?.sim.close();
  });

  const events = (g: TestGateway, orderId: string) =>
    g.gw.services.db.selectFrom('payment_events').select(['event_id', 'type', 'outcome']).where('order_id', '=', orderId).orderBy('received_at').execute();

  /** Pays on the provider's page with the callbacks held (lost, for now): answers them. */
  async function payWithCallbacksLost(payUrl: string, method?: string) {
    pay.sim.payments.hold = true;
    const before = pay.sim.payments.callbacks.length;
    await payOnPage(payUrl, {}, method);
    const held = pay.sim.payments.callbacks.slice(before).filter((c) => c.state === 'held');
    expect(held.length).toBeGreaterThan(0);
    pay.sim.payments.hold = false;
    return held;
  }

  it('EPay: an order paid whose notify never came is credited by the scheduled ask; the notify sent afterwards is a duplicate', async () => {
    const { cookie } = await t.signup();
    const before = await balance(t, cookie);
    const o = await order(t, cookie, { provider: 'epay', method: 'alipay', amount: '5' });
    const held = await payWithCallbacksLost(o.payUrl!);
    await eventually(async () => expect((await orderStatus(t, cookie, o.id)).status).toBe('credited'), { timeoutMs: 10_000 });
    expect(await balance(t, cookie)).toBe(before + 700);
    const tradeNo = new URL(held[0].url).searchParams.get('trade_no');
    expect(await events(t, o.id)).toEqual([{ event_id: `${tradeNo}:TRADE_SUCCESS`, type: 'TRADE_SUCCESS', outcome: 'credited' }]);
    // The lost notify arrives at last: answered `success`, nothing more credited.
    const [sent] = await pay.sim.payments.flush(held.map((c) => c.id));
    expect(sent.attempts.map((a) => [a.status, a.body])).toEqual([[200, 'success']]);
    expect(await balance(t, cookie)).toBe(before + 700);
    expect((await ledgerOf(t, o.id)).map((r) => [r.kind, Number(r.amount)])).toEqual([['topup', 700_000_000]]);
  });

  it('Stripe: an order paid whose webhook never came is credited by retrieving its session; the webhook sent afterwards changes nothing', async () => {
    const { cookie } = await t.signup();
    const before = await balance(t, cookie);
    const o = await order(t, cookie, { provider: 'stripe', amount: 3 });
    const held = await payWithCallbacksLost(o.payUrl!, 'card');
    await eventually(async () => expect((await orderStatus(t, cookie, o.id)).status).toBe('credited'), { timeoutMs: 10_000 });
    expect(await balance(t, cookie)).toBe(before + 3000);
    const session = new URL(o.payUrl!).pathname.split('/').pop();
    expect(await events(t, o.id)).toEqual([{ event_id: `session:${session}:paid`, type: 'checkout.session.completed', outcome: 'credited' }]);
    await pay.sim.payments.flush(held.map((c) => c.id));
    await eventually(async () => expect((await events(t, o.id)).map((e) => e.outcome)).toEqual(['credited', 'no_change:credited']));
    expect(await balance(t, cookie)).toBe(before + 3000);
    expect((await ledgerOf(t, o.id)).map((r) => Number(r.amount))).toEqual([3000_000_000]);
  });

  it("the payer's \"I have paid\" asks at once, and again only after a few seconds; another user's order is not theirs to ask about", async () => {
    const { cookie } = await quiet.signup();
    const before = await balance(quiet, cookie);
    const o = await order(quiet, cookie, { provider: 'epay', method: 'wxpay', amount: '2' });
    // Not paid yet: the provider knows no payment; the order stays as it is.
    const unpaid = await quiet.api<{ status: string }>('POST', `/api/recharge/orders/${o.id}/check`, undefined, { cookie });
    expect([unpaid.status, unpaid.body.status]).toEqual([200, 'created']);
    await payWithCallbacksLost(o.payUrl!);
    const soon = await quiet.api<{ error: { code: string } }>('POST', `/api/recharge/orders/${o.id}/check`, undefined, { cookie });
    expect([soon.status, soon.body.error.code]).toEqual([429, 'order_check_too_soon']);
    const other = await quiet.signup();
    const foreign = await quiet.api<{ error: { code: string } }>('POST', `/api/recharge/orders/${o.id}/check`, undefined, { cookie: other.cookie });
    expect([foreign.status, foreign.body.error.code]).toEqual([404, 'order_not_found']);
    await eventually(
      async () => {
        const r = await quiet.api<{ status: string }>('POST', `/api/recharge/orders/${o.id}/check`, undefined, { cookie });
        expect([r.status, r.body.status]).toEqual([200, 'credited']);
      },
      { timeoutMs: 15_000, intervalMs: 1000 },
    );
    expect(await balance(quiet, cookie)).toBe(before + 280);
  });

  it("an admin's ask credits a Stripe order whose webhook was lost; an unpaid order stays unpaid", async () => {
    const { cookie } = await quiet.signup();
    const paid = await order(quiet, cookie, { provider: 'stripe', amount: 2 });
    await payWithCallbacksLost(paid.payUrl!, 'card');
    const open = await order(quiet, cookie, { provider: 'stripe', amount: 2 });
    const a = await quiet.api<{ status: string }>('POST', `/api/admin/topups/${open.id}/check`, undefined, { token: quiet.rootToken });
    expect([a.status, a.body.status]).toEqual([200, 'created']);
    const b = await quiet.api<{ status: string; credit: number }>('POST', `/api/admin/topups/${paid.id}/check`, undefined, { token: quiet.rootToken });
    expect([b.status, b.body.status, b.body.credit]).toEqual([200, 'credited', 2000]);
    const c = await quiet.api<{ error: { code: string } }>('POST', '/api/admin/topups/top_nope/check', undefined, { token: quiet.rootToken });
    expect(c.status).toBe(404);
  });

  it('an unpaid order is asked about after 1, 2, 4 … units, then no more a day after it expired', async () => {
    const { cookie } = await quiet.signup();
    const o = await order(quiet, cookie, { provider: 'epay', method: 'alipay', amount: '1' });
    const db = quiet.gw.services.db;
    const row = async () => db.selectFrom('topup_orders').select(['checks', 'next_check_at', 'created_at', 'expires_at']).where('id', '=', o.id).executeTakeFirstOrThrow();
    const made = Number((await row()).created_at);
    const unit = 1000;
    expect(Number((await row()).next_check_at)).toBe(made + 3600_000);
    // A reconciler on this gateway's database and providers with a clock of the test's, a unit of 1 s.
    let now = made;
    const settled: string[] = [];
    const r = new Reconciler(db, quiet.gw.services.payments.providers, async (_p, n) => {
      settled.push(n.eventId);
      return { outcome: 'ignored', order: null, committed: null };
    }, quiet.gw.services.log, { checkMs: unit, now: () => now });
    await db.updateTable('topup_orders').set({ next_check_at: made + unit }).where('id', '=', o.id).execute();
    const turn = async (at: number) => {
      now = made + at;
      await r.runOnce();
      const x = await row();
      return [Number(x.checks), x.next_check_at === null ? null : Number(x.next_check_at) - made];
    };
    expect(await turn(500)).toEqual([0, 1000]);
    expect(await turn(1000)).toEqual([1, 3000]);
    expect(await turn(2999)).toEqual([1, 3000]);
    expect(await turn(3000)).toEqual([2, 7000]);
    expect(await turn(7000)).toEqual([3, 15000]);
    // Far on, the pause stops growing at 60 units; past a day after expiry it stops.
    await db.updateTable('topup_orders').set({ checks: 10, next_check_at: made + 100_000 }).where('id', '=', o.id).execute();
    expect(await turn(100_000)).toEqual([11, 160_000]);
    const expiry = Number((await row()).expires_at) - made;
    await db.updateTable('topup_orders').set({ next_check_at: made + expiry + 86_400_001 }).where('id', '=', o.id).execute();
    expect(await turn(expiry + 86_400_001)).toEqual([12, null]);
    // Unpaid throughout: the provider had nothing to settle.
    expect(settled).toEqual([]);
  });
});
