/**
 * What the recharge tests share: a payment-provider simulator (EPay merchant and Stripe account of
 * its own, separate from the AI upstream simulator), the gateway settings that point at it, and the
 * payer's side — opening the pay page a gateway order names and paying there, as a browser would.
 */
import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import { startSimulator, type Simulator } from '@apigpt/simulator';
import type { Config } from '../../src/config/config.js';
import type { TestGateway } from '../harness.js';
import { eventually } from '../eventually.js';

export const EPAY_PID = '1001';
export const STRIPE_EVENTS = ['checkout.session.completed', 'checkout.session.async_payment_succeeded', 'checkout.session.async_payment_failed', 'checkout.session.expired', 'charge.refunded', 'charge.dispute.created', 'charge.dispute.closed'];

export interface PaySim {
  sim: Simulator;
  epayKey: string;
  stripeKey: string;
  webhookSecret: string;
  config: Partial<Config>;
}

/** A payment simulator with fresh credentials, and the gateway configuration that uses them. */
export async function startPaySim(): Promise<PaySim> {
  const epayKey = `epay-${randomBytes(8).toString('hex')}`;
  const stripeKey = `sk_test_${randomBytes(8).toString('hex')}`;
  const webhookSecret = `whsec_${randomBytes(16).toString('hex')}`;
  const sim = await startSimulator({ payments: { epay: { pid: EPAY_PID, key: epayKey }, stripe: { secretKey: stripeKey, webhookSecret }, retries: 3, retryDelayMs: 50 } });
  return {
    sim,
    epayKey,
    stripeKey,
    webhookSecret,
    config: {
      epayUrl: sim.url,
      epayPid: EPAY_PID,
      epayKey,
      epayMethods: ['alipay', 'wxpay'],
      epayPointsPerYuan: 140,
      stripeSecretKey: stripeKey,
      stripeWebhookSecret: webhookSecret,
      stripeApiUrl: sim.url,
      stripeCurrency: 'usd',
      stripePointsPerUnit: 1000,
    },
  };
}

/** Registers a gateway's notify URL as a Stripe webhook endpoint, through Stripe's own API. */
export async function registerWebhook(pay: PaySim, gatewayUrl: string): Promise<void> {
  const form = new URLSearchParams({ url: `${gatewayUrl}/api/payments/stripe/notify` });
  STRIPE_EVENTS.forEach((e, i) => form.set(`enabled_events[${i}]`, e));
  const res = await fetch(`${pay.sim.url}/v1/webhook_endpoints`, { method: 'POST', headers: { authorization: `Bearer ${pay.stripeKey}`, 'content-type': 'application/x-www-form-urlencoded' }, body: form });
  expect(res.status).toBe(200);
  expect(((await res.json()) as { secret: string }).secret).toBe(pay.webhookSecret);
}

/**
 * The payer opens the pay page and presses the button whose form has `field=value` (or the first),
 * adding `extra` fields: answers the provider's redirect back to the gateway.
 */
export async function payOnPage(payUrl: string, extra: Record<string, string> = {}, method?: string): Promise<string> {
  const page = await fetch(payUrl);
  expect(page.status).toBe(200);
  const html = await page.text();
  const forms = [...html.matchAll(/<form method="post" action="([^"]+)">(.*?)<\/form>/g)];
  const form = forms.find((f) => !method || f[2].includes(`value="${method}"`));
  expect(form, `a pay form on ${payUrl}`).toBeDefined();
  const fields = Object.fromEntries([...form![2].matchAll(/<input type="hidden" name="(\w+)" value="([^"]*)">/g)].map((m) => [m[1], m[2]]));
  const res = await fetch(new URL(form![1], payUrl), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ ...fields, ...extra }), redirect: 'manual' });
  expect([302, 303]).toContain(res.status);
  return res.headers.get('location')!;
}

export interface OrderView {
  id: string;
  status: string;
  amount: string;
  currency: string;
  credit: number;
  bonus: number;
  payUrl: string | null;
  note: string | null;
  notes: { code: string; params: Record<string, string>; text: string }[];
  refunded: number;
  paid: string | null;
  provider: string;
  method: string;
}

export async function order(t: TestGateway, cookie: string, body: Record<string, unknown>): Promise<OrderView> {
  const r = await t.api<OrderView>('POST', '/api/recharge/orders', body, { cookie });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body;
}

export async function orderStatus(t: TestGateway, cookie: string, id: string): Promise<OrderView> {
  const r = await t.api<OrderView>('GET', `/api/recharge/orders/${id}`, undefined, { cookie });
  expect(r.status).toBe(200);
  return r.body;
}

export async function balance(t: TestGateway, cookie: string): Promise<number> {
  const r = await t.api<{ balance: number }>('GET', '/api/billing/account', undefined, { cookie });
  expect(r.status).toBe(200);
  return r.body.balance;
}

/** The ledger rows a recharge order wrote (they carry the order id). */
export async function ledgerOf(t: TestGateway, orderId: string) {
  return t.gw.services.db.selectFrom('ledger').selectAll().where('request_id', '=', orderId).orderBy('created_at').execute();
}

/**
 * A Stripe order of `dollars` paid by card on the simulator's hosted page and credited (its webhook
 * landed): the order, and the payment intent Stripe made for it (what its refunds and disputes name).
 */
export async function paidByCard(t: TestGateway, pay: PaySim, cookie: string, dollars: number): Promise<{ order: OrderView; paymentIntent: string }> {
  const o = await order(t, cookie, { provider: 'stripe', amount: dollars });
  await payOnPage(o.payUrl!, {}, 'card');
  await eventually(async () => expect((await orderStatus(t, cookie, o.id)).status).toBe('credited'));
  const session = new URL(o.payUrl!).pathname.split('/').pop()!;
  const res = await fetch(`${pay.sim.url}/v1/checkout/sessions/${session}`, { headers: { authorization: `Bearer ${pay.stripeKey}` } });
  return { order: o, paymentIntent: ((await res.json()) as { payment_intent: string }).payment_intent };
}
