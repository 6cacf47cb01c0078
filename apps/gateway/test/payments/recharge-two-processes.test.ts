/**
 * Two gateway processes on one PostgreSQL and one Redis (the aggregator and Stripe deliver to
 * whichever process the load balancer picks, and retry): the same callback arriving at both at the
 * same moment, several times, credits the order once, and both processes' shared state holds the
 * one new balance.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userPool } from '../../src/billing/ledger.js';
import { fromPoints } from '../../src/billing/money.js';
import { REDIS_URL, startTestGateway, type TestGateway } from '../harness.js';
import { balance, ledgerOf, order, orderStatus, payOnPage, registerWebhook, startPaySim, type PaySim } from './helpers.js';

describe('a callback that arrives twice at two gateway processes (PostgreSQL + Redis)', () => {
  let pay: PaySim;
  let a: TestGateway;
  let b: TestGateway;

  beforeAll(async () => {
    pay = await startPaySim();
    const config = { ...pay.config, redisUrl: REDIS_URL, redisPrefix: `apigpt-test:${randomBytes(6).toString('hex')}:` };
    a = await startTestGateway({ db: 'postgres', config });
    b = await startTestGateway({ shareWith: a, config });
    // Stripe delivers to the endpoint registered for process A; the test sends the same event to B too.
    await registerWebhook(pay, a.url);
  }, 60_000);
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await pay?.sim.close();
  });

  /**
   * Pays with callbacks held, then delivers the one callback to both processes at once, three times
   * each: every delivery is answered as handled, and exactly one credited.
   */
  async function payAndRace(body: Record<string, unknown>, method?: string) {
    const { cookie, user } = await a.signup();
    const before = await balance(a, cookie);
    const o = await order(a, cookie, body);
    pay.sim.payments.hold = true;
    const seen = pay.sim.payments.callbacks.length;
    let cbId: string;
    try {
      await payOnPage(o.payUrl!, {}, method);
      const held = pay.sim.payments.callbacks.slice(seen).filter((c) => c.state === 'held');
      expect(held.length).toBe(1);
      cbId = held[0].id;
    } finally {
      pay.sim.payments.hold = false;
    }
    const target = (t: TestGateway) => {
      const cb = pay.sim.payments.callbacks.find((c) => c.id === cbId)!;
      const u = new URL(cb.url);
      return `${t.url}${u.pathname}${u.search}`;
    };
    const answers = await Promise.all([a, b, a, b, a, b].map((t) => pay.sim.payments.send(cbId, target(t))));
    expect(answers.every((r) => r.ok)).toBe(true);
    return { cookie, userId: user.id, before, o };
  }

  async function expectCreditedOnce(x: { cookie: string; userId: string; before: number; o: { id: string } }, points: number) {
    expect((await orderStatus(a, x.cookie, x.o.id)).status).toBe('credited');
    expect((await ledgerOf(a, x.o.id)).map((r) => Number(r.amount))).toEqual([fromPoints(points)]);
    expect(await balance(b, x.cookie)).toBe(x.before + points);
    // Both processes read the one balance from Redis.
    const expected = fromPoints(x.before + points);
    expect(await a.gw.services.billing.state.available(userPool(x.userId))).toBe(expected);
    expect(await b.gw.services.billing.state.available(userPool(x.userId))).toBe(expected);
  }

  it('EPay: the notify sent to both processes six times credits ¥8 × 140 = 1120 P once', async () => {
    const x = await payAndRace({ provider: 'epay', method: 'alipay', amount: '8' });
    await expectCreditedOnce(x, 1120);
  });

  it('Stripe: the webhook sent to both processes six times credits $2 × 1000 = 2000 P once', async () => {
    const x = await payAndRace({ provider: 'stripe', amount: 2 }, 'card');
    await expectCreditedOnce(x, 2000);
  });

  it('"I have paid — check now" asked at one process is too soon at the other for a few seconds: the limit is the cluster\'s, not one process\'s', async () => {
    const { cookie } = await a.signup();
    const o = await order(a, cookie, { provider: 'epay', method: 'alipay', amount: '3' });
    const first = await a.api<{ status: string }>('POST', `/api/recharge/orders/${o.id}/check`, undefined, { cookie });
    expect([first.status, first.body.status]).toEqual([200, 'created']);
    const other = await b.api<{ error: { code: string } }>('POST', `/api/recharge/orders/${o.id}/check`, undefined, { cookie });
    expect([other.status, other.body.error.code]).toEqual([429, 'order_check_too_soon']);
  });
});
