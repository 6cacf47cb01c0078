/**
 * The whole Stripe Checkout loop over real HTTP: the order at the gateway → a Checkout Session made
 * on the simulated Stripe API → the payer on the hosted page → the `checkout.session.completed`
 * webhook, signed for the endpoint the operator registered → the credit, once. Then forged and stale
 * signatures, a wrong amount, replays (same event id, fresh signature), and events out of order.
 */
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../eventually.js';
import { DB_KINDS, startTestGateway, type TestGateway } from '../harness.js';
import { balance, ledgerOf, order, orderStatus, paidByCard, payOnPage, registerWebhook, startPaySim, type PaySim } from './helpers.js';

describe.each(DB_KINDS)('Stripe recharge on %s', (db) => {
  let pay: PaySim;
  let t: TestGateway;

  beforeAll(async () => {
    pay = await startPaySim();
    t = await startTestGateway({ db, config: pay.config });
    await registerWebhook(pay, t.url);
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await pay?.sim.close();
  });

  const sessionOf = (o: { payUrl: string | null }) => new URL(o.payUrl!).pathname.split('/').pop()!;
  const eventsFor = (sessionId: string) => pay.sim.payments.callbacks.filter((c) => c.provider === 'stripe' && (JSON.parse(c.body) as { data: { object: { id: string } } }).data.object.id === sessionId);

  /** Posts `event` to the gateway's webhook, signed with `secret` at time `t` (seconds). */
  async function deliver(event: unknown, o: { secret?: string; t?: number; signature?: string } = {}) {
    const body = JSON.stringify(event);
    const ts = o.t ?? Math.floor(Date.now() / 1000);
    const v1 = o.signature ?? createHmac('sha256', o.secret ?? pay.webhookSecret).update(`${ts}.${body}`).digest('hex');
    const res = await fetch(`${t.url}/api/payments/stripe/notify`, { method: 'POST', headers: { 'content-type': 'application/json; charset=utf-8', 'stripe-signature': `t=${ts},v1=${v1}` }, body });
    return { status: res.status, body: await res.text() };
  }

  /** A `checkout.session.*` event about a real session of the simulator, with changes. */
  async function eventAbout(sessionId: string, type: string, change: Record<string, unknown> = {}) {
    const res = await fetch(`${pay.sim.url}/v1/checkout/sessions/${sessionId}`, { headers: { authorization: `Bearer ${pay.stripeKey}` } });
    const session = (await res.json()) as Record<string, unknown>;
    return { id: `evt_test_${Math.random().toString(36).slice(2)}`, object: 'event', type, created: Math.floor(Date.now() / 1000), livemode: false, data: { object: { ...session, ...change } } };
  }

  it('pays $5 by card on the hosted page and credits 5 × 1000 = 5000 P once', async () => {
    const { cookie, user } = await t.signup();
    const before = await balance(t, cookie);
    const o = await order(t, cookie, { provider: 'stripe', amount: 5 });
    expect(o).toMatchObject({ status: 'created', amount: '5.00', currency: 'usd', credit: 5000, provider: 'stripe', method: 'card' });
    expect(o.payUrl!.startsWith(`${pay.sim.url}/c/pay/cs_test_`)).toBe(true);
    // The session the gateway made, as Stripe's API shows it.
    const s = (await (await fetch(`${pay.sim.url}/v1/checkout/sessions/${sessionOf(o)}`, { headers: { authorization: `Bearer ${pay.stripeKey}` } })).json()) as Record<string, unknown>;
    expect(s).toMatchObject({ amount_total: 500, currency: 'usd', client_reference_id: o.id, metadata: { order_id: o.id, user_id: user.id }, customer_email: user.email, status: 'open' });
    expect(s.success_url).toBe(`${t.url}/recharge?order=${o.id}&session_id={CHECKOUT_SESSION_ID}`);

    const back = await payOnPage(o.payUrl!, {}, 'card');
    expect(back).toBe(`${t.url}/recharge?order=${o.id}&session_id=${sessionOf(o)}`);
    await eventually(async () => expect((await orderStatus(t, cookie, o.id)).status).toBe('credited'));
    expect(await balance(t, cookie)).toBe(before + 5000);
    expect((await ledgerOf(t, o.id)).map((r) => [r.kind, Number(r.amount)])).toEqual([['topup', 5000_000_000]]);
    const [cb] = eventsFor(sessionOf(o));
    expect(cb.type).toBe('checkout.session.completed');
    await eventually(() => expect(cb.state).toBe('delivered'));
    expect(cb.attempts.map((a) => a.status)).toEqual([200]);
  });

  it('a replayed event (the same id, freshly signed) is acknowledged and credits nothing more', async () => {
    const { cookie } = await t.signup();
    const o = await order(t, cookie, { provider: 'stripe', amount: '2.50' });
    await payOnPage(o.payUrl!, {}, 'card');
    await eventually(async () => expect((await orderStatus(t, cookie, o.id)).status).toBe('credited'));
    const after = await balance(t, cookie);
    const [cb] = eventsFor(sessionOf(o));
    const replays = await Promise.all([1, 2, 3].map(() => pay.sim.payments.send(cb.id)));
    expect(replays.map((r) => r.status)).toEqual([200, 200, 200]);
    // And the very same bytes again, as first delivered.
    expect((await deliver(JSON.parse(cb.body))).status).toBe(200);
    expect(await balance(t, cookie)).toBe(after);
    expect((await ledgerOf(t, o.id)).length).toBe(1);
    const events = await t.gw.services.db.selectFrom('payment_events').select(['event_id', 'outcome']).where('order_id', '=', o.id).execute();
    expect(events).toEqual([{ event_id: cb.event, outcome: 'credited' }]);
  });

  it('forged signatures (another secret, a changed body, no header) and a stale timestamp are refused with 400', async () => {
    const { cookie } = await t.signup();
    const before = await balance(t, cookie);
    const o = await order(t, cookie, { provider: 'stripe', amount: 4 });
    const paid = await eventAbout(sessionOf(o), 'checkout.session.completed', { status: 'complete', payment_status: 'paid', payment_intent: 'pi_forged' });
    expect(await deliver(paid, { secret: 'whsec_guessed' })).toMatchObject({ status: 400 });
    expect(await deliver(paid, { signature: '0'.repeat(64) })).toMatchObject({ status: 400 });
    const res = await fetch(`${t.url}/api/payments/stripe/notify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(paid) });
    expect(res.status).toBe(400);
    // Signed with the right secret, but 301 s ago: a captured delivery replayed later.
    const stale = await deliver(paid, { t: Math.floor(Date.now() / 1000) - 301 });
    expect(stale.status).toBe(400);
    expect(JSON.parse(stale.body).error.message).toBe('Timestamp outside the tolerance zone.');
    // A body changed after signing.
    const body = JSON.stringify(paid);
    const ts = Math.floor(Date.now() / 1000);
    const sig = createHmac('sha256', pay.webhookSecret).update(`${ts}.${body}`).digest('hex');
    const changed = await fetch(`${t.url}/api/payments/stripe/notify`, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': `t=${ts},v1=${sig}` }, body: body.replace('"amount_total":400', '"amount_total":40000') });
    expect(changed.status).toBe(400);
    expect((await orderStatus(t, cookie, o.id)).status).toBe('created');
    expect(await balance(t, cookie)).toBe(before);
  });

  it('an authentic event with a wrong amount or currency holds the order as paid for review and credits nothing', async () => {
    const { cookie } = await t.signup();
    const before = await balance(t, cookie);
    const o = await order(t, cookie, { provider: 'stripe', amount: 10 });
    const cheap = await eventAbout(sessionOf(o), 'checkout.session.completed', { status: 'complete', payment_status: 'paid', amount_total: 100, payment_intent: 'pi_cheap' });
    expect((await deliver(cheap)).status).toBe(200);
    const s = await orderStatus(t, cookie, o.id);
    expect(s.status).toBe('paid');
    expect(s.note).toBe('Paid 1.00 USD, but the order is 10.00 USD.');
    const o2 = await order(t, cookie, { provider: 'stripe', amount: 10 });
    const yen = await eventAbout(sessionOf(o2), 'checkout.session.completed', { status: 'complete', payment_status: 'paid', currency: 'jpy', payment_intent: 'pi_yen' });
    expect((await deliver(yen)).status).toBe(200);
    expect((await orderStatus(t, cookie, o2.id)).note).toBe('Paid in JPY, but the order is in USD.');
    expect(await balance(t, cookie)).toBe(before);
  });

  it('a delayed payment whose events arrive out of order (succeeded before completed) is credited once', async () => {
    const { cookie } = await t.signup();
    const before = await balance(t, cookie);
    const o = await order(t, cookie, { provider: 'stripe', amount: 3 });
    pay.sim.payments.hold = true;
    try {
      await payOnPage(o.payUrl!, {}, 'delayed');
      expect(pay.sim.payments.settleStripe(sessionOf(o), 'succeeded')).not.toBeNull();
      const [completed, succeeded] = eventsFor(sessionOf(o));
      expect([completed.type, succeeded.type, completed.state, succeeded.state]).toEqual(['checkout.session.completed', 'checkout.session.async_payment_succeeded', 'held', 'held']);
      await pay.sim.payments.flush([succeeded.id, completed.id]);
      expect([succeeded.state, completed.state]).toEqual(['delivered', 'delivered']);
    } finally {
      pay.sim.payments.hold = false;
    }
    expect((await orderStatus(t, cookie, o.id)).status).toBe('credited');
    expect(await balance(t, cookie)).toBe(before + 3000);
    const outcomes = await t.gw.services.db.selectFrom('payment_events').select(['type', 'outcome']).where('order_id', '=', o.id).orderBy('received_at').orderBy('type').execute();
    expect(outcomes.map((e) => `${e.type}: ${e.outcome}`).sort()).toEqual(['checkout.session.async_payment_succeeded: credited', 'checkout.session.completed: pending']);
    // An `expired` event arriving after the payment (out of order) does not undo it.
    expect((await deliver(await eventAbout(sessionOf(o), 'checkout.session.expired', { status: 'expired' }))).status).toBe(200);
    expect((await orderStatus(t, cookie, o.id)).status).toBe('credited');
    expect(await balance(t, cookie)).toBe(before + 3000);
  });

  /** The payment intent of a paid order's session, as Stripe's API shows it. */
  /** A refund as the dashboard makes it: Stripe's refunds API (`amount` in cents; none: all that is left). */
  const refund = (pi: string, amount?: number) =>
    fetch(`${pay.sim.url}/v1/refunds`, { method: 'POST', headers: { authorization: `Bearer ${pay.stripeKey}`, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ payment_intent: pi, ...(amount ? { amount: String(amount) } : {}) }) });
  const chargeEvents = (pi: string, type: string) => pay.sim.payments.callbacks.filter((c) => c.type === type && (JSON.parse(c.body) as { data: { object: { payment_intent?: string } } }).data.object.payment_intent === pi);

  it('a refund made in Stripe (charge.refunded) takes back its share of the credit: part, then the rest; a re-delivered event takes nothing more', async () => {
    const { cookie } = await t.signup();
    const before = await balance(t, cookie);
    const { order: o, paymentIntent: pi } = await paidByCard(t, pay, cookie, 5);

    // $2.00 of $5.00 back to the payer: 2000 of the 5000 P.
    expect((await refund(pi, 200)).status).toBe(200);
    await eventually(() => expect(chargeEvents(pi, 'charge.refunded')[0]?.state).toBe('delivered'));
    expect(await balance(t, cookie)).toBe(before + 3000);
    expect(await orderStatus(t, cookie, o.id)).toMatchObject({ status: 'refunded', refunded: 2000 });
    const [first] = chargeEvents(pi, 'charge.refunded');
    expect((await pay.sim.payments.send(first.id)).status).toBe(200);
    expect(await balance(t, cookie)).toBe(before + 3000);

    // The rest: the order's whole credit is back, and Stripe refuses a refund past the payment.
    expect((await refund(pi)).status).toBe(200);
    await eventually(() => expect(chargeEvents(pi, 'charge.refunded')[1]?.state).toBe('delivered'));
    expect(await balance(t, cookie)).toBe(before);
    expect((await orderStatus(t, cookie, o.id)).refunded).toBe(5000);
    expect((await refund(pi, 1)).status).toBe(400);
    expect((await ledgerOf(t, o.id)).map((r) => [r.kind, Number(r.amount)])).toEqual([
      ['topup', 5000_000_000],
      ['refund', -2000_000_000],
      ['refund', -3000_000_000],
    ]);
  });

  const disputeAt = (pi: string, body: Record<string, unknown> = {}) =>
    fetch(`${pay.sim.url}/_sim/stripe/payment_intents/${pi}/dispute`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const decide = (pi: string, outcome: 'won' | 'lost') =>
    fetch(`${pay.sim.url}/_sim/stripe/payment_intents/${pi}/dispute/close`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ outcome }) });

  it('a dispute the bank decides for the merchant (charge.dispute.closed, won) gives the credit back, once; the order is credited again', async () => {
    const { cookie } = await t.signup();
    const before = await balance(t, cookie);
    const { order: o, paymentIntent: pi } = await paidByCard(t, pay, cookie, 3);
    expect((await disputeAt(pi)).status).toBe(200);
    await eventually(() => expect(chargeEvents(pi, 'charge.dispute.created')[0]?.state).toBe('delivered'));
    expect(await balance(t, cookie)).toBe(before);
    expect(await orderStatus(t, cookie, o.id)).toMatchObject({ status: 'refunded', refunded: 3000 });
    expect((await decide(pi, 'won')).status).toBe(200);
    await eventually(() => expect(chargeEvents(pi, 'charge.dispute.closed')[0]?.state).toBe('delivered'));
    expect(await balance(t, cookie)).toBe(before + 3000);
    const after = await orderStatus(t, cookie, o.id);
    expect(after).toMatchObject({ status: 'credited', refunded: 0 });
    expect(after.note).toBe('stripe dispute (chargeback) of 3.00 USD: 3,000 P taken back. stripe dispute decided for the merchant: 3.00 USD back; 3,000 P given back.');
    // Stripe delivers the decision again: nothing more.
    const [closed] = chargeEvents(pi, 'charge.dispute.closed');
    expect((await pay.sim.payments.send(closed.id)).ok).toBe(true);
    expect(await balance(t, cookie)).toBe(before + 3000);
    expect((await ledgerOf(t, o.id)).map((r) => [r.kind, Number(r.amount)])).toEqual([
      ['topup', 3000_000_000],
      ['refund', -3000_000_000],
      ['topup', 3000_000_000],
    ]);
  });

  it('a dispute the merchant loses leaves the credit taken back; a bank\'s inquiry takes none', async () => {
    const { cookie } = await t.signup();
    const before = await balance(t, cookie);
    const lost = await paidByCard(t, pay, cookie, 1);
    expect((await disputeAt(lost.paymentIntent)).status).toBe(200);
    await eventually(() => expect(chargeEvents(lost.paymentIntent, 'charge.dispute.created')[0]?.state).toBe('delivered'));
    expect((await decide(lost.paymentIntent, 'lost')).status).toBe(200);
    await eventually(() => expect(chargeEvents(lost.paymentIntent, 'charge.dispute.closed')[0]?.state).toBe('delivered'));
    expect(await orderStatus(t, cookie, lost.order.id)).toMatchObject({ status: 'refunded', refunded: 1000 });
    expect(await balance(t, cookie)).toBe(before);
    // An inquiry (warning_needs_response) withdraws no money: no credit moves, and its closing neither.
    const asked = await paidByCard(t, pay, cookie, 2);
    expect((await disputeAt(asked.paymentIntent, { inquiry: true })).status).toBe(200);
    await eventually(() => expect(chargeEvents(asked.paymentIntent, 'charge.dispute.created')[0]?.state).toBe('delivered'));
    expect((await decide(asked.paymentIntent, 'won')).status).toBe(200);
    await eventually(() => expect(chargeEvents(asked.paymentIntent, 'charge.dispute.closed')[0]?.state).toBe('delivered'));
    expect(await orderStatus(t, cookie, asked.order.id)).toMatchObject({ status: 'credited', refunded: 0 });
    expect(await balance(t, cookie)).toBe(before + 2000);
    const outcomes = await t.gw.services.db.selectFrom('payment_events').select(['type', 'outcome']).where('order_id', '=', asked.order.id).where('type', 'like', 'charge.dispute%').execute();
    expect(outcomes).toEqual([]);
  });

  it('a dispute (charge.dispute.created) takes back what the balance still holds, never below zero, and notes the shortfall', async () => {
    const { cookie, user } = await t.signup();
    const { order: o, paymentIntent: pi } = await paidByCard(t, pay, cookie, 2);
    // The user has spent all but 500 P.
    const start = await balance(t, cookie);
    expect((await t.api('POST', `/api/admin/users/${user.id}/credit`, { amount: 500 - start, reason: 'spent (test)' }, { token: t.rootToken })).status).toBe(200);
    expect(await balance(t, cookie)).toBe(500);

    expect((await disputeAt(pi)).status).toBe(200);
    await eventually(() => expect(chargeEvents(pi, 'charge.dispute.created')[0]?.state).toBe('delivered'));
    expect(await balance(t, cookie)).toBe(0);
    const after = await orderStatus(t, cookie, o.id);
    expect(after).toMatchObject({ status: 'refunded', refunded: 500 });
    expect(after.note).toBe('stripe dispute (chargeback) of 2.00 USD: 500 P taken back; 1,500 P could not be taken back (the balance was spent).');
    expect((await ledgerOf(t, o.id)).map((r) => [r.kind, Number(r.amount)])).toEqual([
      ['topup', 2000_000_000],
      ['refund', -500_000_000],
    ]);
    // The merchant wins it: what was taken (500 P) comes back, not the 1,500 P that never was.
    expect((await decide(pi, 'won')).status).toBe(200);
    await eventually(() => expect(chargeEvents(pi, 'charge.dispute.closed')[0]?.state).toBe('delivered'));
    expect(await balance(t, cookie)).toBe(500);
    expect(await orderStatus(t, cookie, o.id)).toMatchObject({ status: 'credited', refunded: 0 });
  });

  it('an admin\'s refund returns the money through Stripe; Stripe\'s report of it takes nothing more', async () => {
    const { cookie } = await t.signup();
    const before = await balance(t, cookie);
    const { order: o, paymentIntent: pi } = await paidByCard(t, pay, cookie, 5);
    const byAdmin = await t.api<{ note: string; refunded: number }>('POST', `/api/admin/topups/${o.id}/refund`, { points: 2000, reason: 'asked by the customer' }, { token: t.rootToken });
    expect(byAdmin.status, JSON.stringify(byAdmin.body)).toBe(200);
    expect(byAdmin.body.refunded).toBe(2000);
    expect(byAdmin.body.note).toMatch(/^Refunded by .*: asked by the customer 2\.00 USD returned to the payer through stripe \(re_\w+\)\.$/);
    // Stripe refunded $2.00 of the charge and reports it; the credit was taken back once.
    await eventually(() => expect(chargeEvents(pi, 'charge.refunded')[0]?.state).toBe('delivered'));
    expect(JSON.parse(chargeEvents(pi, 'charge.refunded')[0].body).data.object.amount_refunded).toBe(200);
    expect(await balance(t, cookie)).toBe(before + 3000);
    expect((await ledgerOf(t, o.id)).map((r) => Number(r.amount))).toEqual([5000_000_000, -2000_000_000]);
  });

  it('returnMoney: false takes the credit only; the money refunded later in the dashboard takes nothing more, and a further refund there takes its share', async () => {
    const { cookie } = await t.signup();
    const before = await balance(t, cookie);
    const { order: o, paymentIntent: pi } = await paidByCard(t, pay, cookie, 5);
    const byAdmin = await t.api('POST', `/api/admin/topups/${o.id}/refund`, { points: 2000, reason: 'credit only', returnMoney: false }, { token: t.rootToken });
    expect(byAdmin.status, JSON.stringify(byAdmin.body)).toBe(200);
    expect(chargeEvents(pi, 'charge.refunded')).toEqual([]);
    expect(await balance(t, cookie)).toBe(before + 3000);
    // The admin gives the $2.00 back in Stripe's dashboard: already taken, nothing more moves.
    expect((await refund(pi, 200)).status).toBe(200);
    await eventually(() => expect(chargeEvents(pi, 'charge.refunded')[0]?.state).toBe('delivered'));
    expect(await balance(t, cookie)).toBe(before + 3000);
    // A further $1.00 refunded in Stripe takes its 1000 P.
    expect((await refund(pi, 100)).status).toBe(200);
    await eventually(() => expect(chargeEvents(pi, 'charge.refunded')[1]?.state).toBe('delivered'));
    expect(await balance(t, cookie)).toBe(before + 2000);
    expect((await orderStatus(t, cookie, o.id)).refunded).toBe(3000);
  });

  it('when Stripe refuses to return the money, the credit is still taken back and the note says to return it in the dashboard', async () => {
    const { cookie } = await t.signup();
    const before = await balance(t, cookie);
    const { order: o, paymentIntent: pi } = await paidByCard(t, pay, cookie, 5);
    // The whole payment was refunded in the dashboard, and its event has not arrived yet.
    pay.sim.payments.hold = true;
    try {
      expect((await refund(pi)).status).toBe(200);
      const byAdmin = await t.api<{ note: string }>('POST', `/api/admin/topups/${o.id}/refund`, { reason: 'duplicate order' }, { token: t.rootToken });
      expect(byAdmin.status, JSON.stringify(byAdmin.body)).toBe(200);
      expect(byAdmin.body.note).toMatch(/ 5\.00 USD could not be returned through stripe \(Stripe refused the refund \(HTTP 400: Refund amount \(500\) is greater than unrefunded amount on charge \(0\)\)\): return it in the stripe dashboard\.$/);
      expect(await balance(t, cookie)).toBe(before);
    } finally {
      pay.sim.payments.hold = false;
    }
    await pay.sim.payments.flush(chargeEvents(pi, 'charge.refunded').map((c) => c.id));
    expect(chargeEvents(pi, 'charge.refunded')[0].state).toBe('delivered');
    expect(await balance(t, cookie)).toBe(before);
    expect((await ledgerOf(t, o.id)).map((r) => Number(r.amount))).toEqual([5000_000_000, -5000_000_000]);
  });

  it('two refund events of one payment delivered at the same moment each take their share, none lost', async () => {
    const { cookie } = await t.signup();
    const before = await balance(t, cookie);
    const { order: o, paymentIntent: pi } = await paidByCard(t, pay, cookie, 5);
    const refunded = (to: number, from: number) => ({
      id: `evt_test_${Math.random().toString(36).slice(2)}`,
      object: 'event',
      type: 'charge.refunded',
      created: Math.floor(Date.now() / 1000),
      livemode: false,
      data: { object: { id: 'ch_twice', object: 'charge', amount: 500, amount_refunded: to, currency: 'usd', payment_intent: pi }, previous_attributes: { amount_refunded: from } },
    });
    // $1.00, then $2.00 more: 3000 P of the 5000.
    const answers = await Promise.all([deliver(refunded(100, 0)), deliver(refunded(300, 100))]);
    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    expect(await balance(t, cookie)).toBe(before + 2000);
    expect((await orderStatus(t, cookie, o.id)).refunded).toBe(3000);
    expect((await ledgerOf(t, o.id)).map((r) => Number(r.amount)).sort((a, b) => a - b)).toEqual([-2000_000_000, -1000_000_000, 5000_000_000]);
  });

  it('a refund event for a payment no order knows is acknowledged and moves nothing', async () => {
    const { cookie } = await t.signup();
    const before = await balance(t, cookie);
    const event = { id: `evt_test_${Math.random().toString(36).slice(2)}`, object: 'event', type: 'charge.refunded', created: Math.floor(Date.now() / 1000), livemode: false, data: { object: { id: 'ch_nobody', object: 'charge', amount: 500, amount_refunded: 500, currency: 'usd', payment_intent: 'pi_nobody' }, previous_attributes: { amount_refunded: 0 } } };
    expect((await deliver(event)).status).toBe(200);
    expect(await balance(t, cookie)).toBe(before);
  });

  it('a checkout that expires unpaid ends the order; a failed delayed payment too', async () => {
    const { cookie } = await t.signup();
    const o = await order(t, cookie, { provider: 'stripe', amount: 1 });
    const res = await fetch(`${pay.sim.url}/v1/checkout/sessions/${sessionOf(o)}/expire`, { method: 'POST', headers: { authorization: `Bearer ${pay.stripeKey}` } });
    expect(res.status).toBe(200);
    await eventually(async () => expect((await orderStatus(t, cookie, o.id)).status).toBe('expired'));
    expect((await orderStatus(t, cookie, o.id)).note).toBe('the checkout expired unpaid');

    const o2 = await order(t, cookie, { provider: 'stripe', amount: 1 });
    const before = await balance(t, cookie);
    await payOnPage(o2.payUrl!, {}, 'delayed');
    await eventually(() => expect(eventsFor(sessionOf(o2))[0]?.state).toBe('delivered'));
    expect((await orderStatus(t, cookie, o2.id)).status).toBe('created');
    pay.sim.payments.settleStripe(sessionOf(o2), 'failed');
    await eventually(async () => expect((await orderStatus(t, cookie, o2.id)).status).toBe('expired'));
    expect(await balance(t, cookie)).toBe(before);
  });
});
