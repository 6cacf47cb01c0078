/**
 * An admin's refund returns the money through Stripe's refunds API after taking the credit back. The
 * debt to the payer is written in the refund's own commit (payments/money-return.ts), so neither an
 * unreachable Stripe nor `kill -9` between that commit and Stripe's answer loses it: a later attempt
 * (the running gateway's, or the next start's) returns the money, once, whatever Stripe had done.
 *
 * Real `apigpt serve` processes, Stripe's simulator over HTTP, and between them a proxy the test
 * drives: it passes requests on, refuses connections (Stripe unreachable), holds a request without
 * passing it on, or passes it on and holds Stripe's answer back.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../eventually.js';
import { payOnPage, registerWebhook, startPaySim, type OrderView, type PaySim } from '../payments/helpers.js';
import { kill9, startProc, stopProc, type Proc } from './procs.js';

type Mode = 'pass' | 'down' | 'hold-request' | 'hold-answer';

interface StripeProxy {
  url: string;
  mode: Mode;
  /** Requests received, as "METHOD /path". */
  seen: string[];
  /** Stripe's answers held back from the gateway ('hold-answer'). */
  heldAnswers: string[];
  close(): Promise<void>;
}

async function stripeProxy(target: string): Promise<StripeProxy> {
  const held: ServerResponse[] = [];
  const p: StripeProxy = { url: '', mode: 'pass', seen: [], heldAnswers: [], close: async () => undefined };
  const server: Server = createServer((req, res) => {
    p.seen.push(`${req.method} ${req.url}`);
    if (p.mode === 'down') {
      req.socket.destroy();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      if (p.mode === 'hold-request') {
        held.push(res);
        return;
      }
      const mode = p.mode;
      const headers: Record<string, string> = {};
      for (const h of ['authorization', 'content-type', 'idempotency-key']) if (typeof req.headers[h] === 'string') headers[h] = req.headers[h] as string;
      const up = await fetch(`${target}${req.url}`, { method: req.method, headers, body: req.method === 'GET' ? undefined : Buffer.concat(chunks) });
      const answer = await up.text();
      if (mode === 'hold-answer') {
        p.heldAnswers.push(answer);
        held.push(res);
        return;
      }
      res.writeHead(up.status, { 'content-type': up.headers.get('content-type') ?? 'application/json' });
      res.end(answer);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  p.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  p.close = async () => {
    for (const r of held) r.socket?.destroy();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  };
  return p;
}

describe('an admin refund\'s money, when Stripe cannot answer or the gateway dies', () => {
  let pay: PaySim;
  let proxy: StripeProxy;
  const dirs: string[] = [];
  const procs: Proc[] = [];
  const rootToken = `root-${randomBytes(12).toString('hex')}`;

  beforeAll(async () => {
    pay = await startPaySim();
    proxy = await stripeProxy(pay.sim.url);
  });
  afterAll(async () => {
    for (const p of procs) await kill9(p);
    await proxy?.close();
    await pay?.sim.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  /** `apigpt serve` on `dataDir`, its Stripe API behind the proxy (or Stripe itself), its webhook registered. */
  async function serve(dataDir: string, stripeUrl: string, env: Record<string, string> = {}): Promise<Proc> {
    const p = await startProc(dataDir, {
      APIGPT_ROOT_TOKEN: rootToken,
      APIGPT_STRIPE_SECRET_KEY: pay.stripeKey,
      APIGPT_STRIPE_WEBHOOK_SECRET: pay.webhookSecret,
      APIGPT_STRIPE_API_URL: stripeUrl,
      APIGPT_STRIPE_CURRENCY: 'usd',
      APIGPT_STRIPE_POINTS_PER_UNIT: '1000',
      APIGPT_WORKERS: '1',
      ...env,
    });
    procs.push(p);
    await registerWebhook(pay, p.base);
    return p;
  }

  function tmp(): string {
    const d = mkdtempSync(join(tmpdir(), 'apigpt-refund-'));
    dirs.push(d);
    return d;
  }

  async function api<T>(base: string, method: string, path: string, body?: unknown, auth: { cookie?: string; token?: string } = {}): Promise<{ status: number; body: T }> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (auth.cookie) headers.cookie = auth.cookie;
    if (auth.token) headers.authorization = `Bearer ${auth.token}`;
    const res = await fetch(`${base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as T };
  }

  /** A signed-up user who paid a $5 Stripe order by card (credited 5,000 P): the order, its payment intent, the balance after. */
  async function paidOrder(base: string): Promise<{ cookie: string; order: OrderView; pi: string; balance: number }> {
    const su = await fetch(`${base}/api/auth/signup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: `refund-${randomBytes(4).toString('hex')}@test.local`, password: 'harness-password-17' }) });
    expect(su.status).toBe(200);
    const cookie = (su.headers.get('set-cookie') ?? '').split(';')[0];
    const o = await api<OrderView>(base, 'POST', '/api/recharge/orders', { provider: 'stripe', amount: 5 }, { cookie });
    expect(o.status, JSON.stringify(o.body)).toBe(200);
    await payOnPage(o.body.payUrl!, {}, 'card');
    await eventually(async () => expect((await orderOf(base, cookie, o.body.id)).status).toBe('credited'), { timeoutMs: 15_000 });
    const session = new URL(o.body.payUrl!).pathname.split('/').pop()!;
    const s = await fetch(`${pay.sim.url}/v1/checkout/sessions/${session}`, { headers: { authorization: `Bearer ${pay.stripeKey}` } });
    const pi = ((await s.json()) as { payment_intent: string }).payment_intent;
    return { cookie, order: o.body, pi, balance: await balanceOf(base, cookie) };
  }

  async function orderOf(base: string, cookie: string, id: string): Promise<OrderView> {
    const r = await api<OrderView>(base, 'GET', `/api/recharge/orders/${id}`, undefined, { cookie });
    expect(r.status).toBe(200);
    return r.body;
  }

  async function balanceOf(base: string, cookie: string): Promise<number> {
    return (await api<{ balance: number }>(base, 'GET', '/api/billing/account', undefined, { cookie })).body.balance;
  }

  /** Stripe's `charge.refunded` events for the payment: the charge's amount refunded after each. */
  const refundedTotals = (pi: string) =>
    pay.sim.payments.callbacks
      .filter((c) => c.type === 'charge.refunded')
      .map((c) => (JSON.parse(c.body) as { id: string; data: { object: { payment_intent: string; amount_refunded: number } } }))
      .filter((e, i, all) => e.data.object.payment_intent === pi && all.findIndex((x) => x.id === e.id) === i)
      .map((e) => e.data.object.amount_refunded);

  const refund = (base: string, orderId: string) => api<OrderView>(base, 'POST', `/api/admin/topups/${orderId}/refund`, { points: 2000, reason: 'asked by the customer' }, { token: rootToken });

  it('Stripe unreachable at the refund: the credit is taken back, the note says the money is owed, and the running gateway returns it once Stripe answers', async () => {
    proxy.mode = 'pass';
    const gw = await serve(tmp(), proxy.url, { APIGPT_REFUND_RETRY_SECONDS: '1' });
    const { cookie, order, pi, balance } = await paidOrder(gw.base);
    proxy.mode = 'down';
    const r = await refund(gw.base, order.id);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.note).toMatch(/ 2\.00 USD not returned yet \(Stripe could not be reached to return the money\): the gateway tries again until stripe answers\.$/);
    expect(await balanceOf(gw.base, cookie)).toBe(balance - 2000);
    // Stripe is still unreachable at the next attempts: nothing returned, the note is not repeated.
    const seen = proxy.seen.length;
    await eventually(() => expect(proxy.seen.length).toBeGreaterThan(seen), { timeoutMs: 10_000 });
    expect(refundedTotals(pi)).toEqual([]);
    expect((await orderOf(gw.base, cookie, order.id)).note).toBe(r.body.note);
    proxy.mode = 'pass';
    await eventually(async () => expect((await orderOf(gw.base, cookie, order.id)).note).toMatch(/not returned yet .* 2\.00 USD returned to the payer through stripe \(re_\w+\)\.$/), { timeoutMs: 15_000 });
    await eventually(() => expect(refundedTotals(pi)).toEqual([200]));
    expect(await balanceOf(gw.base, cookie)).toBe(balance - 2000);
    expect(await stopProc(gw)).toBe(0);
  });

  it('killed while its refund request had not reached Stripe: the next start returns the money, once', async () => {
    proxy.mode = 'pass';
    const dir = tmp();
    const a = await serve(dir, proxy.url);
    const { cookie, order, pi, balance } = await paidOrder(a.base);
    proxy.mode = 'hold-request';
    const seen = proxy.seen.length;
    void refund(a.base, order.id).catch(() => undefined);
    await eventually(() => expect(proxy.seen.slice(seen)).toEqual(['POST /v1/refunds']));
    await kill9(a);
    expect(refundedTotals(pi)).toEqual([]);
    proxy.mode = 'pass';
    const b = await serve(dir, proxy.url);
    await eventually(async () => expect((await orderOf(b.base, cookie, order.id)).note).toMatch(/: asked by the customer 2\.00 USD returned to the payer through stripe \(re_\w+\)\.$/), { timeoutMs: 15_000 });
    await eventually(() => expect(refundedTotals(pi)).toEqual([200]));
    expect(await balanceOf(b.base, cookie)).toBe(balance - 2000);
    expect(await stopProc(b)).toBe(0);
  });

  it('killed after Stripe made the refund but before its answer arrived: the next start asks again with the same key and gets that refund, not a second one', async () => {
    proxy.mode = 'pass';
    const dir = tmp();
    const a = await serve(dir, proxy.url);
    const { cookie, order, pi, balance } = await paidOrder(a.base);
    proxy.mode = 'hold-answer';
    proxy.heldAnswers.length = 0;
    void refund(a.base, order.id).catch(() => undefined);
    await eventually(() => expect(proxy.heldAnswers).toHaveLength(1));
    const made = JSON.parse(proxy.heldAnswers[0]) as { id: string; amount: number };
    expect(made.amount).toBe(200);
    await kill9(a);
    proxy.mode = 'pass';
    const b = await serve(dir, proxy.url);
    await eventually(async () => expect((await orderOf(b.base, cookie, order.id)).note).toMatch(new RegExp(`: asked by the customer 2\\.00 USD returned to the payer through stripe \\(${made.id}\\)\\.$`)), { timeoutMs: 15_000 });
    expect(refundedTotals(pi)).toEqual([200]);
    expect(await balanceOf(b.base, cookie)).toBe(balance - 2000);
    expect(await stopProc(b)).toBe(0);
  });
});
