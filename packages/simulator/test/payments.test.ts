/**
 * The simulated payment providers against a merchant of our own (a node:http server on loopback that
 * records every callback): EPay's signed orders, cashier page, notify and retries; Stripe's API
 * (auth, sessions, idempotency, webhook endpoints), its hosted page and signed events; the test
 * controls (hold, flush in any order, send again); WeChat Pay's order query (查询订单) by our order
 * number, signed both ways; Alipay's `alipay.trade.query`, RSA2 both ways. Signatures are checked here with node:crypto
 * directly, not with the simulator's own helpers.
 */
import { createDecipheriv, createHash, createHmac, createSign, createVerify, generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '@apigpt/simulator';
import { eventually } from '../../../test-util/eventually.js';

const KEY = 'merchant-key-1';
const SK = 'sk_test_payments';
const WHSEC = 'whsec_payments_test';

/** EPay's MD5 rule, written out again: sorted non-empty fields but sign/sign_type, `k=v&…`, then the key. */
const md5Sign = (p: Record<string, string>) =>
  createHash('md5')
    .update(Object.keys(p).filter((k) => k !== 'sign' && k !== 'sign_type' && p[k] !== '').sort().map((k) => `${k}=${p[k]}`).join('&') + KEY)
    .digest('hex');

interface Received {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

let sim: Simulator;
let merchant: Server;
let merchantUrl: string;
const received: Received[] = [];
/** What the merchant answers the next callbacks (one entry per callback, then `ok`). */
let answers: { status: number; body: string }[] = [];

beforeAll(async () => {
  sim = await startSimulator({ payments: { epay: { pid: '2001', key: KEY }, stripe: { secretKey: SK, webhookSecret: WHSEC }, retries: 2, retryDelayMs: 20 } });
  merchant = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const a = answers.shift() ?? { status: 200, body: req.url!.startsWith('/epay') ? 'success' : '{"received":true}' };
      res.writeHead(a.status, { 'content-type': 'text/plain' }).end(a.body);
    });
  });
  await new Promise<void>((r) => merchant.listen(0, '127.0.0.1', r));
  merchantUrl = `http://127.0.0.1:${(merchant.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await sim.close();
  await new Promise((r) => merchant.close(r));
});
beforeEach(() => {
  received.length = 0;
  answers = [];
  sim.payments.hold = false;
});

describe('EPay', () => {
  const order = (over: Record<string, string> = {}) => {
    const p = { pid: '2001', type: 'alipay', out_trade_no: `T${Math.random().toString(36).slice(2)}`, notify_url: `${merchantUrl}/epay/notify`, return_url: `${merchantUrl}/back`, name: 'credit', money: '7.30', ...over };
    return { ...p, sign: md5Sign(p), sign_type: 'MD5' };
  };

  it('refuses an order with a wrong signature, an unknown merchant or a bad amount', async () => {
    for (const [p, text] of [
      [{ ...order(), sign: '0'.repeat(32) }, 'signature check failed'],
      [{ ...order({ pid: '9999' }) }, 'unknown merchant'],
      [order({ money: '-1' }), 'invalid money'],
    ] as const) {
      const res = await fetch(`${sim.url}/submit.php?${new URLSearchParams(p)}`);
      expect(res.status).toBe(400);
      expect(await res.text()).toContain(text);
    }
  });

  it('shows the cashier page; paying sends the MD5-signed notify and returns the browser with the same fields', async () => {
    const p = order();
    // POST form works as GET does.
    const page = await fetch(`${sim.url}/submit.php`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(p) });
    const html = await page.text();
    expect(html).toContain('¥7.30');
    const action = /action="(\/epay\/pay\/\w+)"/.exec(html)![1];
    const paid = await fetch(sim.url + action, { method: 'POST', redirect: 'manual' });
    expect(paid.status).toBe(302);
    const back = new URL(paid.headers.get('location')!);
    expect(back.origin + back.pathname).toBe(`${merchantUrl}/back`);
    await eventually(() => expect(received.length).toBe(1));
    const n = Object.fromEntries(new URL(received[0].url, merchantUrl).searchParams);
    expect(received[0].method).toBe('GET');
    expect(n).toMatchObject({ pid: '2001', out_trade_no: p.out_trade_no, type: 'alipay', money: '7.30', trade_status: 'TRADE_SUCCESS', sign_type: 'MD5' });
    expect(n.sign).toBe(md5Sign(n));
    expect(Object.fromEntries(back.searchParams)).toEqual(n);
    // The order query answers it paid.
    const q = await (await fetch(`${sim.url}/api.php?act=order&pid=2001&key=${KEY}&out_trade_no=${p.out_trade_no}`)).json();
    expect(q).toMatchObject({ code: 1, trade_no: n.trade_no, status: 1, money: '7.30' });
    expect((await (await fetch(`${sim.url}/api.php?act=order&pid=2001&key=wrong&out_trade_no=${p.out_trade_no}`)).json()).code).toBe(-1);
  });

  it('retries a notify until the merchant answers success, and gives up after the retries', async () => {
    answers = [{ status: 200, body: 'fail' }, { status: 500, body: 'oops' }];
    const html = await (await fetch(`${sim.url}/submit.php?${new URLSearchParams(order())}`)).text();
    await fetch(sim.url + /action="(\/epay\/pay\/\w+)"/.exec(html)![1], { method: 'POST', redirect: 'manual' });
    const cb = sim.payments.callbacks.at(-1)!;
    await eventually(() => expect(cb.state).toBe('delivered'));
    expect(cb.attempts.map((a) => [a.status, a.body, a.ok])).toEqual([[200, 'fail', false], [500, 'oops', false], [200, 'success', true]]);

    answers = [{ status: 200, body: 'fail' }, { status: 200, body: 'fail' }, { status: 200, body: 'fail' }];
    const html2 = await (await fetch(`${sim.url}/submit.php?${new URLSearchParams(order())}`)).text();
    await fetch(sim.url + /action="(\/epay\/pay\/\w+)"/.exec(html2)![1], { method: 'POST', redirect: 'manual' });
    const cb2 = sim.payments.callbacks.at(-1)!;
    await eventually(() => expect(cb2.state).toBe('failed'));
    expect(cb2.attempts).toHaveLength(3);
  });

  it('mapi.php answers a pay URL, and a QR code for WeChat Pay', async () => {
    const r = await (await fetch(`${sim.url}/mapi.php`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ ...order({ type: 'wxpay' }) }) })).json();
    expect(r.code).toBe(1);
    expect(r.qrcode).toMatch(/^weixin:\/\/wxpay\/bizpayurl\?pr=/);
    expect((await fetch(r.payurl)).status).toBe(200);
  });
});

describe('Stripe Checkout', () => {
  const api = (path: string, form?: Record<string, string>, key = SK, headers: Record<string, string> = {}) =>
    fetch(`${sim.url}${path}`, { method: form ? 'POST' : 'GET', headers: { authorization: `Bearer ${key}`, ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}), ...headers }, body: form ? new URLSearchParams(form) : undefined });
  const session = (over: Record<string, string> = {}) => ({
    mode: 'payment',
    'line_items[0][price_data][currency]': 'usd',
    'line_items[0][price_data][unit_amount]': '1000',
    'line_items[0][price_data][product_data][name]': 'API credit $10',
    'line_items[0][quantity]': '1',
    success_url: `${merchantUrl}/ok?session_id={CHECKOUT_SESSION_ID}`,
    cancel_url: `${merchantUrl}/cancel`,
    client_reference_id: 'order_1',
    'metadata[order_id]': 'order_1',
    ...over,
  });

  beforeAll(async () => {
    const ep = await api('/v1/webhook_endpoints', { url: `${merchantUrl}/stripe`, 'enabled_events[0]': 'checkout.session.completed', 'enabled_events[1]': 'checkout.session.async_payment_succeeded', 'enabled_events[2]': 'checkout.session.expired', 'enabled_events[3]': 'charge.refunded' });
    expect((await ep.json()).secret).toBe(WHSEC);
  });

  it('wants the secret key', async () => {
    const r = await api('/v1/checkout/sessions', session(), 'sk_test_wrong');
    expect(r.status).toBe(401);
    expect((await r.json()).error.type).toBe('invalid_request_error');
  });

  it('creates a session; the same Idempotency-Key answers the same session, with other parameters it is refused', async () => {
    const a = await (await api('/v1/checkout/sessions', session(), SK, { 'idempotency-key': 'k1' })).json();
    expect(a).toMatchObject({ object: 'checkout.session', status: 'open', payment_status: 'unpaid', amount_total: 1000, currency: 'usd', client_reference_id: 'order_1', metadata: { order_id: 'order_1' } });
    expect(a.url).toBe(`${sim.url}/c/pay/${a.id}`);
    const again = await api('/v1/checkout/sessions', session(), SK, { 'idempotency-key': 'k1' });
    expect((await again.json()).id).toBe(a.id);
    const other = await api('/v1/checkout/sessions', session({ 'line_items[0][price_data][unit_amount]': '999' }), SK, { 'idempotency-key': 'k1' });
    expect([other.status, (await other.json()).error.type]).toEqual([400, 'idempotency_error']);
    const soon = await api('/v1/checkout/sessions', session({ expires_at: String(Math.floor(Date.now() / 1000) + 600) }));
    expect(soon.status).toBe(400);
  });

  it('paying by card sends checkout.session.completed, signed t=…,v1=HMAC-SHA256(secret, "t.body"), and redirects to success_url', async () => {
    const s = await (await api('/v1/checkout/sessions', session())).json();
    const paid = await fetch(`${sim.url}/c/pay/${s.id}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'method=card', redirect: 'manual' });
    expect([paid.status, paid.headers.get('location')]).toEqual([303, `${merchantUrl}/ok?session_id=${s.id}`]);
    await eventually(() => expect(received.length).toBe(1));
    const r = received[0];
    const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(r.headers['stripe-signature']))!;
    expect(createHmac('sha256', WHSEC).update(`${t}.${r.body}`).digest('hex')).toBe(v1);
    expect(Math.abs(Number(t) - Date.now() / 1000)).toBeLessThan(60);
    const event = JSON.parse(r.body);
    expect(event).toMatchObject({ object: 'event', type: 'checkout.session.completed', data: { object: { id: s.id, status: 'complete', payment_status: 'paid', amount_total: 1000 } } });
    expect(event.id).toMatch(/^evt_/);
    expect(event.data.object.payment_intent).toMatch(/^pi_/);
    // The page no longer takes payment.
    expect(await (await fetch(`${sim.url}/c/pay/${s.id}`)).text()).toContain('Already paid');
  });

  it('held events are delivered in the order asked, re-signed at delivery; a delayed payment settles later', async () => {
    sim.payments.hold = true;
    const s = await (await api('/v1/checkout/sessions', session())).json();
    await fetch(`${sim.url}/c/pay/${s.id}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'method=delayed', redirect: 'manual' });
    const settle = await fetch(`${sim.url}/_sim/stripe/sessions/${s.id}/settle`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"outcome":"succeeded"}' });
    expect(settle.status).toBe(200);
    const held = sim.payments.callbacks.filter((c) => c.state === 'held');
    expect(held.map((c) => c.type)).toEqual(['checkout.session.completed', 'checkout.session.async_payment_succeeded']);
    await sim.payments.flush([held[1].id, held[0].id]);
    expect(received.map((r) => JSON.parse(r.body).type)).toEqual(['checkout.session.async_payment_succeeded', 'checkout.session.completed']);
    expect(JSON.parse(received[1].body).data.object.payment_status).toBe('unpaid');
    // Sent once more: the same event, a fresh signature.
    const again = await sim.payments.send(held[0].id);
    expect(again.ok).toBe(true);
    expect(received[2].body).toBe(received[1].body);
    const [, t] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(received[2].headers['stripe-signature']))!;
    expect(createHmac('sha256', WHSEC).update(`${t}.${received[2].body}`).digest('hex')).toBe(String(received[2].headers['stripe-signature']).split('v1=')[1]);
  });

  it('a refund sent again with its Idempotency-Key answers the first refund and returns no more money; without one it is a second refund', async () => {
    const s = await (await api('/v1/checkout/sessions', session())).json();
    await fetch(`${sim.url}/c/pay/${s.id}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'method=card', redirect: 'manual' });
    const pi = (await (await api(`/v1/checkout/sessions/${s.id}`)).json()).payment_intent as string;
    const first = await api('/v1/refunds', { payment_intent: pi, amount: '300' }, SK, { 'idempotency-key': 'refund-order_1' });
    const a = await first.json();
    expect([first.status, a.object, a.amount, first.headers.get('idempotent-replayed')]).toEqual([200, 'refund', 300, null]);
    const again = await api('/v1/refunds', { payment_intent: pi, amount: '300' }, SK, { 'idempotency-key': 'refund-order_1' });
    expect([again.status, (await again.json()).id, again.headers.get('idempotent-replayed')]).toEqual([200, a.id, 'true']);
    const other = await api('/v1/refunds', { payment_intent: pi, amount: '200' }, SK, { 'idempotency-key': 'refund-order_1' });
    expect([other.status, (await other.json()).error.type]).toEqual([400, 'idempotency_error']);
    // One charge.refunded event so far (300 of 1000); a refund without a key is a new one.
    await eventually(() => expect(received.filter((x) => JSON.parse(x.body).type === 'charge.refunded').map((x) => JSON.parse(x.body).data.object.amount_refunded)).toEqual([300]));
    expect((await api('/v1/refunds', { payment_intent: pi, amount: '300' })).status).toBe(200);
    await eventually(() => expect(received.filter((x) => JSON.parse(x.body).type === 'charge.refunded').map((x) => JSON.parse(x.body).data.object.amount_refunded)).toEqual([300, 600]));
  });

  it('expiring an open session sends checkout.session.expired; a paid one cannot expire', async () => {
    const s = await (await api('/v1/checkout/sessions', session())).json();
    const r = await api(`/v1/checkout/sessions/${s.id}/expire`, {});
    expect((await r.json()).status).toBe('expired');
    await eventually(() => expect(received.map((x) => JSON.parse(x.body).type)).toEqual(['checkout.session.expired']));
    const again = await api(`/v1/checkout/sessions/${s.id}/expire`, {});
    expect(again.status).toBe(400);
  });
});

describe('WeChat Pay query by out_trade_no', () => {
  const MCH = '1230000109';
  const APP = 'wxd678efh567hg6787';
  const MCH_SERIAL = '1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C';
  const PLATFORM_SERIAL = 'PUB_KEY_ID_0112345678202501010000000000';
  const pair = () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    return { priv: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), pub: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
  };
  const merchant = pair();
  const platform = pair();
  const apiV3Key = randomBytes(16).toString('hex');
  let wx: Simulator;

  beforeAll(async () => {
    wx = await startSimulator({ payments: { wechatpay: { mchId: MCH, appId: APP, merchantPublicKey: merchant.pub, merchantSerial: MCH_SERIAL, platformPrivateKey: platform.priv, platformSerial: PLATFORM_SERIAL, apiV3Key }, retries: 1, retryDelayMs: 20 } });
  });
  afterAll(() => wx.close());

  /** A request signed as WeChat Pay's documents say: `METHOD\nPATH?QUERY\nTIMESTAMP\nNONCE\nBODY\n`, SHA256withRSA. */
  const call = (method: 'GET' | 'POST', pathAndQuery: string, body = '', o: { key?: string; signed?: string; signedMethod?: string } = {}) => {
    const ts = String(Math.floor(Date.now() / 1000));
    const nonce = randomBytes(16).toString('hex').toUpperCase();
    const signature = createSign('RSA-SHA256').update(`${o.signedMethod ?? method}\n${o.signed ?? pathAndQuery}\n${ts}\n${nonce}\n${body}\n`).sign(o.key ?? merchant.priv, 'base64');
    const authorization = `WECHATPAY2-SHA256-RSA2048 mchid="${MCH}",nonce_str="${nonce}",signature="${signature}",timestamp="${ts}",serial_no="${MCH_SERIAL}"`;
    return fetch(wx.url + pathAndQuery, { method, headers: { authorization, accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}) }, body: body || undefined });
  };
  /** The answer's body, after checking the platform's signature over `TIMESTAMP\nNONCE\nBODY\n`. */
  const signedBody = async (res: Response) => {
    const text = await res.text();
    const h = (k: string) => res.headers.get(k) ?? '';
    expect(h('wechatpay-serial')).toBe(PLATFORM_SERIAL);
    expect(createVerify('RSA-SHA256').update(`${h('wechatpay-timestamp')}\n${h('wechatpay-nonce')}\n${text}\n`).verify(platform.pub, h('wechatpay-signature'), 'base64')).toBe(true);
    return JSON.parse(text) as Record<string, unknown>;
  };
  const query = (no: string, o: { mchid?: string; key?: string; signed?: string } = {}) => call('GET', `/v3/pay/transactions/out-trade-no/${encodeURIComponent(no)}?mchid=${o.mchid ?? MCH}`, '', o);
  const native = async (no: string, total: number) => {
    const body = JSON.stringify({ appid: APP, mchid: MCH, description: 'API credit', out_trade_no: no, notify_url: `${merchantUrl}/wechatpay/notify`, amount: { total, currency: 'CNY' } });
    const res = await call('POST', '/v3/pay/transactions/native', body);
    expect(res.status).toBe(200);
    return new URL(String((await signedBody(res)).code_url).replace('weixin://', 'http://')).searchParams.get('pr')!;
  };

  it('answers NOTPAY before the payer pays, then the paid transaction — the very one the callback carries', async () => {
    const no = `TU${randomBytes(6).toString('hex')}`;
    const pr = await native(no, 1000);
    const before = await query(no);
    expect(before.status).toBe(200);
    const unpaid = await signedBody(before);
    expect(unpaid).toMatchObject({ appid: APP, mchid: MCH, out_trade_no: no, trade_state: 'NOTPAY', amount: { total: 1000 } });
    expect(unpaid.transaction_id).toBeUndefined();

    const paid = await fetch(`${wx.url}/wechatpay/pay/${pr}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' });
    expect(paid.status).toBe(200);
    await eventually(() => expect(received.filter((r) => r.url === '/wechatpay/notify')).toHaveLength(1));
    const after = await query(no);
    expect(after.status).toBe(200);
    const tx = await signedBody(after);
    expect(tx).toMatchObject({ appid: APP, mchid: MCH, out_trade_no: no, trade_type: 'NATIVE', trade_state: 'SUCCESS', amount: { total: 1000, payer_total: 1000, currency: 'CNY', payer_currency: 'CNY' } });
    expect(tx.transaction_id).toMatch(/^42\d+$/);
    expect(tx.success_time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$/);
    // The callback's resource, opened with the APIv3 key (AES-256-GCM, ciphertext ‖ 16-byte tag), is the same transaction.
    const r = (JSON.parse(received.find((x) => x.url === '/wechatpay/notify')!.body) as { resource: { ciphertext: string; nonce: string; associated_data: string } }).resource;
    const data = Buffer.from(r.ciphertext, 'base64');
    const d = createDecipheriv('aes-256-gcm', Buffer.from(apiV3Key), Buffer.from(r.nonce));
    d.setAuthTag(data.subarray(data.length - 16));
    d.setAAD(Buffer.from(r.associated_data));
    expect(JSON.parse(Buffer.concat([d.update(data.subarray(0, data.length - 16)), d.final()]).toString('utf8'))).toEqual(tx);
    // Paying again changes nothing the query says.
    expect((await fetch(`${wx.url}/wechatpay/pay/${pr}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'total=1' })).status).toBe(200);
    expect(await signedBody(await query(no))).toEqual(tx);
  });

  it('answers 404 ORDER_NOT_EXIST, signed, for an order it never saw', async () => {
    const res = await query('TUnever-made');
    expect(res.status).toBe(404);
    expect(await signedBody(res)).toEqual({ code: 'ORDER_NOT_EXIST', message: '订单不存在' });
  });

  it('refuses a query signed with another key, over another path, or for another merchant', async () => {
    const no = `TU${randomBytes(6).toString('hex')}`;
    await native(no, 100);
    const path = `/v3/pay/transactions/out-trade-no/${no}?mchid=${MCH}`;
    for (const res of [await query(no, { key: pair().priv }), await query(no, { signed: `/v3/pay/transactions/out-trade-no/${no}` }), await call('GET', path, '', { signedMethod: 'POST' }), await fetch(wx.url + path)]) {
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ code: 'SIGN_ERROR' });
    }
    // Signed right, but the mchid asked about is not the signing merchant's.
    const other = await query(no, { mchid: '1900000001' });
    expect(other.status).toBe(400);
    expect(await other.json()).toMatchObject({ code: 'PARAM_ERROR' });
    // And the same request, signed right, is answered.
    expect((await query(no)).status).toBe(200);
  });

  /** An order paid on the pay page: our number and WeChat Pay's transaction_id (as its query answers it). */
  const paidOrder = async (total: number) => {
    const no = `TU${randomBytes(6).toString('hex')}`;
    const pr = await native(no, total);
    expect((await fetch(`${wx.url}/wechatpay/pay/${pr}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' })).status).toBe(200);
    return { no, transactionId: String((await signedBody(await query(no))).transaction_id) };
  };
  /** 申请退款, signed as every merchant request is. */
  const refund = (b: Record<string, unknown>, o: { key?: string; signed?: string } = {}) => call('POST', '/v3/refund/domestic/refunds', JSON.stringify(b), o);
  const refundOf = (transactionId: string, outRefundNo: string, refundFen: number, total: number) => ({ transaction_id: transactionId, out_refund_no: outRefundNo, reason: 'API credit returned', amount: { refund: refundFen, total, currency: 'CNY' } });

  it('refunds part of a paid transaction: SUCCESS, signed, with the refund and the payment in fen', async () => {
    const { no, transactionId } = await paidOrder(1000);
    const res = await refund(refundOf(transactionId, `refund-${no}`, 300, 1000));
    expect(res.status).toBe(200);
    const r = await signedBody(res);
    expect(r).toMatchObject({ out_refund_no: `refund-${no}`, transaction_id: transactionId, out_trade_no: no, channel: 'ORIGINAL', status: 'SUCCESS', amount: { total: 1000, refund: 300, payer_total: 1000, payer_refund: 300, currency: 'CNY' } });
    expect(r.refund_id).toMatch(/^50\d+$/);
    expect(r.create_time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$/);
    // The rest, named by our order number this time: the whole payment is then refunded.
    const rest = await refund({ out_trade_no: no, out_refund_no: `refund-${no}-2`, amount: { refund: 700, total: 1000, currency: 'CNY' } });
    expect(rest.status).toBe(200);
    expect(await signedBody(rest)).toMatchObject({ transaction_id: transactionId, status: 'SUCCESS', amount: { refund: 700 } });
    expect(((await signedBody(await refund(refundOf(transactionId, `refund-${no}-3`, 1, 1000)))) as { message: string }).message).toContain('(0 fen)');
  });

  /** The notifications `url` received, verified (platform signature over `TIMESTAMP\nNONCE\nBODY\n`) and opened with the APIv3 key. */
  const opened = (url: string) =>
    received
      .filter((r) => r.url === url)
      .map((r) => {
        const h = (k: string) => String(r.headers[k] ?? '');
        expect(createVerify('RSA-SHA256').update(`${h('wechatpay-timestamp')}\n${h('wechatpay-nonce')}\n${r.body}\n`).verify(platform.pub, h('wechatpay-signature'), 'base64')).toBe(true);
        const e = JSON.parse(r.body) as { event_type: string; resource: { original_type: string; ciphertext: string; nonce: string; associated_data: string } };
        const data = Buffer.from(e.resource.ciphertext, 'base64');
        const d = createDecipheriv('aes-256-gcm', Buffer.from(apiV3Key), Buffer.from(e.resource.nonce));
        d.setAuthTag(data.subarray(data.length - 16));
        d.setAAD(Buffer.from(e.resource.associated_data));
        return { event_type: e.event_type, original_type: e.resource.original_type, associated_data: e.resource.associated_data, refund: JSON.parse(Buffer.concat([d.update(data.subarray(0, data.length - 16)), d.final()]).toString('utf8')) as Record<string, unknown> };
      });

  it('notifies a refund (REFUND.SUCCESS, the refund sealed with associated_data "refund") to its notify_url, and one made in the merchant platform to the address given; the transaction is REFUND afterwards', async () => {
    const { no, transactionId } = await paidOrder(1000);
    const res = await refund({ ...refundOf(transactionId, `refund-${no}`, 300, 1000), notify_url: `${merchantUrl}/wechatpay/refunds` });
    const answer = await signedBody(res);
    await eventually(() => expect(opened('/wechatpay/refunds').filter((n) => n.refund.out_trade_no === no)).toHaveLength(1));
    expect(opened('/wechatpay/refunds').find((n) => n.refund.out_trade_no === no)).toEqual({
      event_type: 'REFUND.SUCCESS',
      original_type: 'refund',
      associated_data: 'refund',
      refund: { mchid: MCH, out_trade_no: no, transaction_id: transactionId, out_refund_no: `refund-${no}`, refund_id: answer.refund_id, refund_status: 'SUCCESS', success_time: answer.success_time, user_received_account: '支付用户零钱', amount: { total: 1000, refund: 300, payer_total: 1000, payer_refund: 300 } },
    });
    expect(await signedBody(await query(no))).toMatchObject({ trade_state: 'REFUND', transaction_id: transactionId });
    // The rest, in the merchant platform: notified to the address set there.
    const dash = await fetch(`${wx.url}/_sim/payments/wechatpay/trades/${no}/refund`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ amount: 700, notify_url: `${merchantUrl}/wechatpay/dashboard-refunds` }) });
    expect(dash.status).toBe(200);
    await eventually(() => expect(opened('/wechatpay/dashboard-refunds').filter((n) => n.refund.out_trade_no === no).map((n) => n.refund.amount)).toEqual([{ total: 1000, refund: 700, payer_total: 1000, payer_refund: 700 }]));
    // Nothing is left: the platform refuses more (409 from the control), the API too.
    expect((await fetch(`${wx.url}/_sim/payments/wechatpay/trades/${no}/refund`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ amount: 1 }) })).status).toBe(409);
    expect((await refund(refundOf(transactionId, `refund-${no}-more`, 1, 1000))).status).toBe(400);
  });

  it('the same out_refund_no again answers the same refund and refunds nothing more; with other parameters it is refused', async () => {
    const { no, transactionId } = await paidOrder(500);
    const first = await signedBody(await refund(refundOf(transactionId, `refund-${no}`, 500, 500)));
    expect(first).toMatchObject({ status: 'SUCCESS', amount: { refund: 500 } });
    // Asked again (an answer lost on the way): the very refund, though nothing is left to refund.
    const again = await refund(refundOf(transactionId, `refund-${no}`, 500, 500));
    expect(again.status).toBe(200);
    expect(await signedBody(again)).toEqual(first);
    // The same number for another amount: refused, and nothing refunded.
    const other = await refund(refundOf(transactionId, `refund-${no}`, 100, 500));
    expect(other.status).toBe(400);
    expect(await signedBody(other)).toMatchObject({ code: 'INVALID_REQUEST' });
    const more = await refund(refundOf(transactionId, `refund-${no}-b`, 1, 500));
    expect(more.status).toBe(400);
    expect(await signedBody(more)).toMatchObject({ code: 'INVALID_REQUEST', message: expect.stringContaining('订单可退金额不足') });
  });

  it('refuses a refund larger than what is left, or with a total that is not the payment’s (400), and leaves the payment as it was', async () => {
    const { no, transactionId } = await paidOrder(800);
    const tooMuch = await refund(refundOf(transactionId, `refund-${no}-a`, 801, 800));
    expect(tooMuch.status).toBe(400);
    expect(await signedBody(tooMuch)).toMatchObject({ code: 'INVALID_REQUEST', message: expect.stringContaining('(800 fen)') });
    const wrongTotal = await refund(refundOf(transactionId, `refund-${no}-b`, 100, 1000));
    expect(wrongTotal.status).toBe(400);
    expect(await signedBody(wrongTotal)).toMatchObject({ code: 'PARAM_ERROR' });
    const noAmount = await refund({ transaction_id: transactionId, out_refund_no: `refund-${no}-c`, amount: { refund: 0, total: 800, currency: 'CNY' } });
    expect(noAmount.status).toBe(400);
    expect(await signedBody(noAmount)).toMatchObject({ code: 'PARAM_ERROR' });
    // None of them refunded anything: the whole payment is still there to refund.
    expect(await signedBody(await refund(refundOf(transactionId, `refund-${no}-d`, 800, 800)))).toMatchObject({ status: 'SUCCESS', amount: { refund: 800 } });
  });

  it('answers 404 RESOURCE_NOT_EXISTS for a transaction it never made, and for an order not paid', async () => {
    const unknown = await refund(refundOf('4200000000202601010000000000', 'refund-TUnobody', 100, 100));
    expect(unknown.status).toBe(404);
    expect(await signedBody(unknown)).toMatchObject({ code: 'RESOURCE_NOT_EXISTS' });
    const no = `TU${randomBytes(6).toString('hex')}`;
    await native(no, 100);
    const unpaid = await refund({ out_trade_no: no, out_refund_no: `refund-${no}`, amount: { refund: 100, total: 100, currency: 'CNY' } });
    expect(unpaid.status).toBe(404);
    expect(await signedBody(unpaid)).toMatchObject({ code: 'RESOURCE_NOT_EXISTS' });
  });

  it('refuses a refund signed with another key or over another path (401 SIGN_ERROR), and refunds nothing', async () => {
    const { no, transactionId } = await paidOrder(200);
    const b = refundOf(transactionId, `refund-${no}`, 200, 200);
    const unsigned = await fetch(`${wx.url}/v3/refund/domestic/refunds`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(b) });
    for (const res of [await refund(b, { key: pair().priv }), await refund(b, { signed: '/v3/pay/transactions/native' }), unsigned]) {
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ code: 'SIGN_ERROR' });
    }
    // Signed right, the same refund is made: none of the refused ones took any of the payment.
    expect(await signedBody(await refund(b))).toMatchObject({ status: 'SUCCESS', amount: { refund: 200 } });
  });
});

describe('Alipay alipay.trade.query', () => {
  const APP = '2021000000000077';
  const pair = () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    return { priv: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), pub: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
  };
  const app = pair();
  const alipay = pair();
  let ali: Simulator;

  beforeAll(async () => {
    ali = await startSimulator({ payments: { alipay: { appId: APP, appPublicKey: app.pub, privateKey: alipay.priv }, retries: 1, retryDelayMs: 20 } });
    // The notifies stay with the simulator: what they say is read from there.
    ali.payments.hold = true;
  });
  afterAll(() => ali.close());

  /** Alipay's RSA2 rule, written out again: sorted non-empty parameters but sign, `k=v&…` unencoded, SHA256withRSA. */
  const signed = (p: Record<string, string>, key = app.priv): Record<string, string> => ({
    ...p,
    sign: createSign('RSA-SHA256')
      .update(Object.keys(p).filter((k) => k !== 'sign' && p[k] !== '').sort().map((k) => `${k}=${p[k]}`).join('&'))
      .sign(key, 'base64'),
  });
  const common = (method: string, biz: Record<string, string>) => ({ app_id: APP, method, format: 'JSON', charset: 'utf-8', sign_type: 'RSA2', timestamp: '2026-01-01 08:00:00', version: '1.0', biz_content: JSON.stringify(biz) });
  /** A page-pay order opened on the gateway: the trade number its cashier's pay button names. */
  const open = async (no: string, amount: string) => {
    const page = await fetch(`${ali.url}/gateway.do?${new URLSearchParams(signed({ ...common('alipay.trade.page.pay', { out_trade_no: no, total_amount: amount, subject: 'API credit', product_code: 'FAST_INSTANT_TRADE_PAY' }), notify_url: `${merchantUrl}/alipay/notify`, return_url: `${merchantUrl}/back` }))}`);
    expect(page.status).toBe(200);
    return /action="\/alipay\/pay\/(\w+)"/.exec(await page.text())![1];
  };
  /** Posts a query as a merchant's server does (form body), answers its text. */
  const query = async (p: Record<string, string>) => {
    const res = await fetch(`${ali.url}/gateway.do`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded;charset=utf-8' }, body: new URLSearchParams(p) });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    return res.text();
  };
  /** The response object, after checking Alipay's signature over its exact text in the answer. */
  const signedResponse = (text: string, method = 'alipay_trade_query') => {
    const m = new RegExp(`^\\{"${method}_response":(\\{.*\\}),"sign":"([A-Za-z0-9+/=]+)"\\}$`).exec(text);
    expect(m, text).not.toBeNull();
    expect(createVerify('RSA-SHA256').update(m![1], 'utf8').verify(alipay.pub, m![2], 'base64')).toBe(true);
    expect(createVerify('RSA-SHA256').update(m![1], 'utf8').verify(pair().pub, m![2], 'base64')).toBe(false);
    return JSON.parse(m![1]) as Record<string, string>;
  };

  it('answers WAIT_BUYER_PAY before the payer pays, then TRADE_SUCCESS with what the notify carried, by out_trade_no or trade_no', async () => {
    const no = `TU${randomBytes(6).toString('hex')}`;
    const tradeNo = await open(no, '10.00');
    expect(signedResponse(await query(signed(common('alipay.trade.query', { out_trade_no: no }))))).toMatchObject({ code: '10000', msg: 'Success', out_trade_no: no, trade_no: tradeNo, trade_status: 'WAIT_BUYER_PAY', total_amount: '10.00' });

    const paid = await fetch(`${ali.url}/alipay/pay/${tradeNo}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '', redirect: 'manual' });
    expect(paid.status).toBe(302);
    const notify = Object.fromEntries(new URLSearchParams(ali.payments.callbacks.find((c) => c.provider === 'alipay' && c.body.includes(no))!.body));
    const r = signedResponse(await query(signed(common('alipay.trade.query', { out_trade_no: no }))));
    expect(r).toMatchObject({ code: '10000', msg: 'Success', out_trade_no: no, trade_no: notify.trade_no, trade_status: notify.trade_status, total_amount: notify.total_amount, send_pay_date: notify.gmt_payment });
    expect(r.trade_status).toBe('TRADE_SUCCESS');
    expect(r.total_amount).toBe('10.00');
    // The same trade asked by Alipay's number, with the common parameters in the URL as the SDKs send them.
    const { biz_content, ...rest } = signed(common('alipay.trade.query', { trade_no: tradeNo }));
    const res = await fetch(`${ali.url}/gateway.do?${new URLSearchParams(rest)}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded;charset=utf-8' }, body: new URLSearchParams({ biz_content }) });
    expect(signedResponse(await res.text())).toEqual(r);
  });

  it('a payment of another amount than the order (the simulator’s total_amount field) is answered as the notify carried it', async () => {
    const no = `TU${randomBytes(6).toString('hex')}`;
    const tradeNo = await open(no, '30.00');
    await fetch(`${ali.url}/alipay/pay/${tradeNo}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'total_amount=0.30', redirect: 'manual' });
    expect(signedResponse(await query(signed(common('alipay.trade.query', { out_trade_no: no }))))).toMatchObject({ trade_status: 'TRADE_SUCCESS', total_amount: '0.30', buyer_pay_amount: '0.30' });
  });

  it('a refund made in the merchant platform is notified as the trade with refund_fee (the refunds so far), signed like every notify; the last one closes the trade', async () => {
    const no = `TU${randomBytes(6).toString('hex')}`;
    const tradeNo = await open(no, '10.00');
    await fetch(`${ali.url}/alipay/pay/${tradeNo}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '', redirect: 'manual' });
    const paidNotify = Object.fromEntries(new URLSearchParams(ali.payments.callbacks.find((c) => c.provider === 'alipay' && c.body.includes(no))!.body));
    expect(paidNotify.refund_fee).toBeUndefined();
    const part = await fetch(`${ali.url}/_sim/payments/alipay/trades/${no}/refund`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ amount: 300 }) });
    expect(part.status).toBe(200);
    expect(ali.payments.refundAlipayInDashboard(no, 700)).toMatchObject({ refund_fee: '10.00', trade_status: 'TRADE_CLOSED' });
    const refunds = ali.payments.callbacks.filter((c) => c.provider === 'alipay' && c.body.includes(no) && c.body.includes('refund_fee')).map((c) => Object.fromEntries(new URLSearchParams(c.body)));
    expect(refunds.map((n) => [n.trade_status, n.refund_fee, n.total_amount, n.trade_no, n.out_trade_no])).toEqual([
      ['TRADE_SUCCESS', '3.00', '10.00', tradeNo, no],
      ['TRADE_CLOSED', '10.00', '10.00', tradeNo, no],
    ]);
    for (const n of refunds) {
      // Verified as a merchant verifies a notify: every parameter but sign and sign_type, sorted, RSA2.
      const { sign, sign_type: _t, ...rest } = n;
      const content = Object.keys(rest).sort().map((k) => `${k}=${rest[k]}`).join('&');
      expect(createVerify('RSA-SHA256').update(content, 'utf8').verify(alipay.pub, sign, 'base64')).toBe(true);
      expect(n.notify_id).not.toBe(paidNotify.notify_id);
      expect(n.gmt_refund).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}$/);
      expect(n.out_biz_no).toMatch(/^RF\d+/);
    }
    expect(signedResponse(await query(signed(common('alipay.trade.query', { out_trade_no: no }))))).toMatchObject({ trade_status: 'TRADE_CLOSED', total_amount: '10.00' });
    expect(ali.payments.refundAlipayInDashboard(no, 1)).toBeNull();
  });

  it('alipay.trade.refund returns money of a paid trade once per out_request_no (fund_change Y, then N for the same request), refuses more than is left, another amount under the same number, or an unpaid trade, and answers 20000 while busy', async () => {
    const no = `TU${randomBytes(6).toString('hex')}`;
    const tradeNo = await open(no, '10.00');
    const refund = async (biz: Record<string, string>) => signedResponse(await query(signed(common('alipay.trade.refund', biz))), 'alipay_trade_refund');
    expect(await refund({ out_trade_no: no, refund_amount: '1.00', out_request_no: 'r1' })).toMatchObject({ code: '40004', sub_code: 'ACQ.TRADE_STATUS_ERROR' });
    await fetch(`${ali.url}/alipay/pay/${tradeNo}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '', redirect: 'manual' });
    expect(await refund({ trade_no: tradeNo, refund_amount: '3.00', out_request_no: 'r1' })).toMatchObject({ code: '10000', trade_no: tradeNo, out_trade_no: no, fund_change: 'Y', refund_fee: '3.00' });
    expect(await refund({ trade_no: tradeNo, refund_amount: '3.00', out_request_no: 'r1' })).toMatchObject({ code: '10000', fund_change: 'N', refund_fee: '3.00' });
    expect(await refund({ trade_no: tradeNo, refund_amount: '2.00', out_request_no: 'r1' })).toMatchObject({ code: '40004', sub_code: 'ACQ.DISCORDANT_REPEAT_REQUEST' });
    expect(await refund({ trade_no: tradeNo, refund_amount: '7.01', out_request_no: 'r2' })).toMatchObject({ code: '40004', sub_code: 'ACQ.REFUND_AMT_NOT_EQUAL_TOTAL' });
    ali.payments.alipayBusy(1);
    expect(await refund({ trade_no: tradeNo, refund_amount: '7.00', out_request_no: 'r2' })).toMatchObject({ code: '20000', sub_code: 'isp.unknow-error' });
    expect(await refund({ trade_no: tradeNo, refund_amount: '7.00', out_request_no: 'r2' })).toMatchObject({ code: '10000', fund_change: 'Y', refund_fee: '10.00' });
    // Each refund was notified to the trade's notify_url; the trade is closed.
    const notified = ali.payments.callbacks.filter((c) => c.provider === 'alipay' && c.body.includes(no) && c.body.includes('refund_fee')).map((c) => Object.fromEntries(new URLSearchParams(c.body)));
    expect(notified.map((n) => [n.refund_fee, n.out_biz_no, n.trade_status])).toEqual([
      ['3.00', 'r1', 'TRADE_SUCCESS'],
      ['10.00', 'r2', 'TRADE_CLOSED'],
    ]);
    expect(signedResponse(await query(signed(common('alipay.trade.query', { out_trade_no: no }))))).toMatchObject({ trade_status: 'TRADE_CLOSED' });
  });

  it('answers 40004 ACQ.TRADE_NOT_EXIST, signed, for a trade it never opened', async () => {
    const r = signedResponse(await query(signed(common('alipay.trade.query', { out_trade_no: 'TUnever-opened' }))));
    expect(r).toEqual({ code: '40004', msg: 'Business Failed', sub_code: 'ACQ.TRADE_NOT_EXIST', sub_msg: '交易不存在' });
  });

  it('refuses, unsigned, a query signed with another key, changed after signing, or not signed', async () => {
    const no = `TU${randomBytes(6).toString('hex')}`;
    await open(no, '1.00');
    const good = signed(common('alipay.trade.query', { out_trade_no: no }));
    const { sign: _s, ...unsigned } = good;
    for (const p of [signed(common('alipay.trade.query', { out_trade_no: no }), pair().priv), { ...good, biz_content: JSON.stringify({ out_trade_no: 'TUother' }) }, { ...good, sign: 'bm90IGEgc2lnbmF0dXJl' }]) {
      const text = await query(p);
      expect(text).not.toContain('"sign"');
      expect(JSON.parse(text)).toEqual({ alipay_trade_query_response: { code: '40002', msg: 'Invalid Arguments', sub_code: 'isv.invalid-signature', sub_msg: '验签出错' } });
    }
    expect(JSON.parse(await query(unsigned))).toMatchObject({ alipay_trade_query_response: { code: '40001', sub_code: 'isv.missing-signature' } });
    expect(JSON.parse(await query(signed({ ...common('alipay.trade.query', { out_trade_no: no }), app_id: '2021000000009999' })))).toMatchObject({ alipay_trade_query_response: { code: '40002', sub_code: 'isv.invalid-app-id' } });
    // And the same request, signed right, is answered.
    expect(signedResponse(await query(good))).toMatchObject({ code: '10000', trade_status: 'WAIT_BUYER_PAY' });
  });
});
