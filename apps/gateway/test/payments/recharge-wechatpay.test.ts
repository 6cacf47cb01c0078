/**
 * WeChat Pay API v3 direct (Native pay) over real HTTP, on both databases: a gateway order → the
 * simulated WeChat Pay, which checks the merchant's WECHATPAY2-SHA256-RSA2048 signature and answers a
 * platform-signed code_url → the payer pays → the callback, encrypted AES-256-GCM with the APIv3 key
 * and signed with the platform key → the credit, once. Then what must not credit: another signing
 * key, a body changed after signing, another serial, a stale timestamp (a replay), a resource sealed
 * with another APIv3 key, another merchant, a wrong amount, and re-deliveries. Asking WeChat Pay
 * about an order (查询订单, for a lost callback) answers what its callback carries, under the same
 * event id; nothing for an unpaid or unknown order; and an error for an answer not signed by the
 * platform or a WeChat Pay that cannot be reached. An admin's refund returns the money through
 * WeChat Pay's refunds API (申请退款) under one out_refund_no per order, or, refused, leaves it to
 * the dashboard; each of WeChat Pay's answers to a refund is read as the money-return expects. The signing,
 * verification and decryption themselves are checked against the rules in WeChat Pay's documents.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, wechatEncrypt, wechatSignedHeaders, type Simulator } from '@apigpt/simulator';
import { applyNotice } from '../../src/payments/settle.js';
import { createWechatPay } from '../../src/payments/wechatpay/index.js';
import { authorization, decryptResource, parseAuthorization, requestMessage, responseMessage, rsaSign, rsaVerify } from '../../src/payments/wechatpay/sign.js';
import { eventually } from '../eventually.js';
import { DB_KINDS, startTestGateway, type TestGateway } from '../harness.js';
import { balance, ledgerOf, order, orderStatus, type OrderView } from './helpers.js';

const MCH_ID = '1230000109';
const APP_ID = 'wxd678efh567hg6787';
const MCH_SERIAL = '1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C';
const PLATFORM_SERIAL = 'PUB_KEY_ID_0112345678202501010000000000';
const pair = () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { priv: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), pub: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
};
const v3key = () => randomBytes(16).toString('hex');

describe('WeChat Pay API v3 signing, verification and decryption', () => {
  it('the request message is method, path and query, timestamp, nonce and body, each line ended by \\n (the documentation’s GET /v3/certificates example)', () => {
    expect(requestMessage('GET', '/v3/certificates', '1554208460', '593BEC0C930BF1AFEB40B4A08C8FB242', '')).toBe('GET\n/v3/certificates\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n\n');
    expect(responseMessage('1554209980', 'c5ac7061fccab6bf3e254dcf98995b8c', '{"data":[]}')).toBe('1554209980\nc5ac7061fccab6bf3e254dcf98995b8c\n{"data":[]}\n');
  });

  it('the Authorization header carries mchid, nonce_str, signature, timestamp and serial_no; its signature verifies with the merchant public key', () => {
    const m = pair();
    const body = '{"appid":"wxd678efh567hg6787"}';
    const header = authorization({ mchId: '1900009191', serialNo: MCH_SERIAL, key: m.priv, method: 'POST', pathAndQuery: '/v3/pay/transactions/native', body, timestamp: '1554208460', nonce: '593BEC0C930BF1AFEB40B4A08C8FB242' });
    expect(header).toMatch(/^WECHATPAY2-SHA256-RSA2048 mchid="1900009191",nonce_str="593BEC0C930BF1AFEB40B4A08C8FB242",signature="[A-Za-z0-9+/=]{344}",timestamp="1554208460",serial_no="1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C"$/);
    const a = parseAuthorization(header)!;
    expect(rsaVerify(requestMessage('POST', '/v3/pay/transactions/native', a.timestamp, a.nonce_str, body), a.signature, m.pub)).toBe(true);
    expect(rsaVerify(requestMessage('POST', '/v3/pay/transactions/native', a.timestamp, a.nonce_str, body.replace('wxd', 'wxe')), a.signature, m.pub)).toBe(false);
    expect(rsaVerify('x', 'not base64 !', m.pub)).toBe(false);
    expect(parseAuthorization('Bearer abc')).toBeNull();
  });

  it('a resource sealed as WeChat Pay seals it (ciphertext ‖ 16-byte tag, nonce as IV, associated_data as AAD) opens with the APIv3 key, and only with it', () => {
    const key = v3key();
    const plain = JSON.stringify({ mchid: MCH_ID, out_trade_no: 'TU1', trade_state: 'SUCCESS', amount: { total: 730, currency: 'CNY' } });
    const sealed = wechatEncrypt(key, plain, 'fdasflkja484', 'transaction');
    expect(decryptResource(key, { ciphertext: sealed, nonce: 'fdasflkja484', associated_data: 'transaction' })).toBe(plain);
    expect(() => decryptResource(v3key(), { ciphertext: sealed, nonce: 'fdasflkja484', associated_data: 'transaction' })).toThrow();
    expect(() => decryptResource(key, { ciphertext: sealed, nonce: 'fdasflkja484', associated_data: 'certificate' })).toThrow();
    const bytes = Buffer.from(sealed, 'base64');
    bytes[bytes.length - 1] ^= 1;
    expect(() => decryptResource(key, { ciphertext: bytes.toString('base64'), nonce: 'fdasflkja484', associated_data: 'transaction' })).toThrow();
  });

  it('what the simulated WeChat Pay signs the gateway verifies; another key does not', () => {
    const p = pair();
    const h = wechatSignedHeaders('{"a":1}', p.priv, PLATFORM_SERIAL);
    expect(rsaVerify(responseMessage(h['wechatpay-timestamp'], h['wechatpay-nonce'], '{"a":1}'), h['wechatpay-signature'], p.pub)).toBe(true);
    expect(rsaVerify(responseMessage(h['wechatpay-timestamp'], h['wechatpay-nonce'], '{"a":1}'), rsaSign('x', pair().priv), p.pub)).toBe(false);
  });
});

describe.each(DB_KINDS)('WeChat Pay recharge on %s', (db) => {
  let sim: Simulator;
  let t: TestGateway;
  const merchant = pair();
  const platform = pair();
  const apiV3Key = v3key();

  beforeAll(async () => {
    sim = await startSimulator({ payments: { wechatpay: { mchId: MCH_ID, appId: APP_ID, merchantPublicKey: merchant.pub, merchantSerial: MCH_SERIAL, platformPrivateKey: platform.priv, platformSerial: PLATFORM_SERIAL, apiV3Key }, retries: 3, retryDelayMs: 50 } });
    t = await startTestGateway({
      db,
      config: { wechatpayMchId: MCH_ID, wechatpayAppId: APP_ID, wechatpaySerialNo: MCH_SERIAL, wechatpayPrivateKey: merchant.priv, wechatpayApiV3Key: apiV3Key, wechatpayPlatformKey: platform.pub, wechatpayPlatformSerial: PLATFORM_SERIAL, wechatpayApiUrl: sim.url, wechatpayPointsPerYuan: 140 },
    });
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await sim?.close();
  });

  const prOf = (payUrl: string) => new URL(payUrl.replace('weixin://', 'http://')).searchParams.get('pr')!;
  /** The payer scans the code and pays (`total`: the simulator reports that many fen as paid). */
  const pay = async (payUrl: string, total?: number) => {
    const page = await fetch(`${sim.url}/wechatpay/pay/${prOf(payUrl)}`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('data-testid="sim-pay"');
    const res = await fetch(`${sim.url}/wechatpay/pay/${prOf(payUrl)}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(total ? { total: String(total) } : {}) });
    expect(res.status).toBe(200);
  };
  const callbackOf = (orderId: string) => {
    const cb = sim.payments.callbacks.find((c) => c.provider === 'wechatpay' && decryptResource(apiV3Key, (JSON.parse(c.body) as { resource: { ciphertext: string; nonce: string; associated_data: string } }).resource).includes(`"out_trade_no":"${orderId}"`));
    expect(cb, `a callback for ${orderId}`).toBeDefined();
    return cb!;
  };
  const post = (body: string, headers: Record<string, string>) => fetch(`${t.url}/api/payments/wechatpay/notify`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  /** A callback as WeChat Pay would send it for `tx`, sealed and signed with the given keys. */
  const callback = (tx: Record<string, unknown>, o: { key?: string; signer?: string; serial?: string; timestamp?: string } = {}) => {
    const nonce = randomBytes(6).toString('hex');
    const body = JSON.stringify({ id: `EV-${randomBytes(6).toString('hex')}`, create_time: '2026-01-01T12:00:00+08:00', resource_type: 'encrypt-resource', event_type: 'TRANSACTION.SUCCESS', summary: '支付成功', resource: { original_type: 'transaction', algorithm: 'AEAD_AES_256_GCM', ciphertext: wechatEncrypt(o.key ?? apiV3Key, JSON.stringify(tx), nonce, 'transaction'), associated_data: 'transaction', nonce } });
    return { body, headers: wechatSignedHeaders(body, o.signer ?? platform.priv, o.serial ?? PLATFORM_SERIAL, o.timestamp) };
  };

  it('pays ¥10 by scanning the code and credits 1400 P once; re-delivered callbacks are answered 2xx and credit nothing more', async () => {
    const { cookie } = await t.signup();
    const before = await balance(t, cookie);
    const o = await order(t, cookie, { provider: 'wechatpay', amount: '10' });
    expect(o).toMatchObject({ status: 'created', amount: '10.00', currency: 'cny', credit: 1400, provider: 'wechatpay', method: 'wxpay' });
    expect(o.payUrl).toMatch(/^weixin:\/\/wxpay\/bizpayurl\?pr=\w+$/);
    // What the merchant sent: the signed native order, in fen, with our notify URL.
    const sent = sim.requests.filter((r) => r.path === '/v3/pay/transactions/native').at(-1)!;
    expect(sent.headers.authorization).toMatch(/^WECHATPAY2-SHA256-RSA2048 mchid="1230000109",nonce_str="\w+",signature="[A-Za-z0-9+/=]+",timestamp="\d+",serial_no="1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C"$/);
    expect(sent.body).toMatchObject({ appid: APP_ID, mchid: MCH_ID, out_trade_no: o.id, notify_url: `${t.url}/api/payments/wechatpay/notify`, amount: { total: 1000, currency: 'CNY' } });

    await pay(o.payUrl!);
    await eventually(async () => expect((await orderStatus(t, cookie, o.id)).status).toBe('credited'));
    expect(await balance(t, cookie)).toBe(before + 1400);
    const cb = callbackOf(o.id);
    await eventually(() => expect(cb.state).toBe('delivered'));
    expect(cb.attempts.map((a) => a.status)).toEqual([204]);
    for (let i = 0; i < 2; i++) expect(await sim.payments.send(cb.id)).toMatchObject({ status: 204, ok: true });
    expect(await balance(t, cookie)).toBe(before + 1400);
    expect((await ledgerOf(t, o.id)).map((r) => r.kind)).toEqual(['topup']);
  });

  it('the simulated WeChat Pay refuses an order signed with another key', async () => {
    const body = JSON.stringify({ appid: APP_ID, mchid: MCH_ID, description: 'x', out_trade_no: 'TUforged', notify_url: 'https://x/n', amount: { total: 1, currency: 'CNY' } });
    const res = await fetch(`${sim.url}/v3/pay/transactions/native`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: authorization({ mchId: MCH_ID, serialNo: MCH_SERIAL, key: pair().priv, method: 'POST', pathAndQuery: '/v3/pay/transactions/native', body }) }, body });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ code: 'SIGN_ERROR' });
  });

  it('a code_url answer not signed by the platform key is not believed (the payer is not sent anywhere)', async () => {
    const wrong = createWechatPay({ apiUrl: sim.url, mchId: MCH_ID, appId: APP_ID, serialNo: MCH_SERIAL, privateKey: merchant.priv, apiV3Key, platformKey: pair().pub, platformSerial: PLATFORM_SERIAL, pointsPerUnit: 140, toleranceSec: 300 });
    await expect(wrong.checkout({ id: `TUx${db}`, userId: 'u', email: '', method: 'wxpay', amount: 100, currency: 'cny', title: 'x', notifyUrl: 'https://x/n', returnUrl: 'https://x/r', expiresAt: Date.now() + 600_000 })).rejects.toMatchObject({ code: 'payment_provider_error' });
  });

  it('forged, stale and foreign callbacks are refused (401) and change nothing', async () => {
    const { cookie } = await t.signup();
    const before = await balance(t, cookie);
    const o = await order(t, cookie, { provider: 'wechatpay', amount: '20' });
    const tx = { appid: APP_ID, mchid: MCH_ID, out_trade_no: o.id, transaction_id: '4200000000202601019999999999', trade_type: 'NATIVE', trade_state: 'SUCCESS', amount: { total: 2000, payer_total: 2000, currency: 'CNY', payer_currency: 'CNY' } };
    const good = callback(tx);
    const forged = [
      callback(tx, { signer: pair().priv }),
      { body: good.body.replace('TRANSACTION.SUCCESS', 'TRANSACTION.SUCCESS '), headers: good.headers },
      callback(tx, { serial: 'PUB_KEY_ID_SOMEONE_ELSE' }),
      callback(tx, { timestamp: String(Math.floor(Date.now() / 1000) - 3600) }),
      callback(tx, { key: v3key() }),
      callback({ ...tx, mchid: '1900000001' }),
      { body: good.body, headers: {} },
    ];
    for (const f of forged) {
      const r = await post(f.body, f.headers);
      expect(r.status).toBe(401);
      expect(await r.json()).toMatchObject({ code: 'FAIL' });
    }
    expect((await orderStatus(t, cookie, o.id)).status).toBe('created');
    expect(await balance(t, cookie)).toBe(before);
    // The genuine one credits; the same payment again (another notify id) is answered 2xx, credits nothing.
    expect((await post(good.body, good.headers)).status).toBe(204);
    const again = callback(tx);
    expect((await post(again.body, again.headers)).status).toBe(204);
    expect(await balance(t, cookie)).toBe(before + 2800);
    expect((await ledgerOf(t, o.id)).map((r) => r.kind)).toEqual(['topup']);
  });

  it('an authentic callback of a wrong amount holds the order for review and credits nothing', async () => {
    const { cookie } = await t.signup();
    const before = await balance(t, cookie);
    const o = await order(t, cookie, { provider: 'wechatpay', amount: '30' });
    await pay(o.payUrl!, 30);
    await eventually(async () => expect((await orderStatus(t, cookie, o.id)).status).toBe('paid'));
    expect((await orderStatus(t, cookie, o.id)).note).toBe('Paid 0.30 CNY, but the order is 30.00 CNY.');
    expect(await balance(t, cookie)).toBe(before);
    expect(await ledgerOf(t, o.id)).toEqual([]);
  });

  const wechatpay = () => t.gw.services.payments.providers.get('wechatpay')!;

  it('asked about an order paid while its callback is held, answers the paid notice under the callback’s event id; the callback then is a duplicate', async () => {
    const { cookie } = await t.signup();
    const before = await balance(t, cookie);
    const o = await order(t, cookie, { provider: 'wechatpay', amount: '12' });
    let eventId = '';
    sim.payments.hold = true;
    try {
      await pay(o.payUrl!);
      const cb = callbackOf(o.id);
      expect(cb.state).toBe('held');
      const notice = await wechatpay().query!({ id: o.id, providerRef: null, method: 'wxpay' });
      // What the query asked: the signed GET of WeChat Pay's documents, an empty body signed.
      const asked = sim.requests.filter((r) => r.path === `/v3/pay/transactions/out-trade-no/${o.id}`).at(-1)!;
      expect(asked).toMatchObject({ method: 'GET', query: { mchid: MCH_ID } });
      expect(asked.headers.authorization).toMatch(/^WECHATPAY2-SHA256-RSA2048 mchid="1230000109",nonce_str="\w+",signature="[A-Za-z0-9+/=]+",timestamp="\d+",serial_no="1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C"$/);
      expect(notice).toMatchObject({ kind: 'paid', orderId: o.id, providerRef: null, amount: 1200, currency: 'cny', method: 'wxpay', type: 'TRANSACTION.SUCCESS' });
      // The very notice the gateway reads from the held callback's bytes: the same event id and payment.
      const fromCallback = wechatpay().verify({ method: 'POST', query: {}, headers: cb.headers, body: Buffer.from(cb.body) });
      expect(notice!.eventId).toBe(fromCallback.eventId);
      eventId = notice!.eventId;
      expect(notice).toMatchObject({ tradeNo: (fromCallback as { tradeNo: string }).tradeNo, amount: (fromCallback as { amount: number }).amount });
      // Settled as a lookup is (the one credit path, settle.ts): the order is credited.
      expect((await applyNotice(t.gw.services.db, t.gw.services.billing.state, 'wechatpay', notice!)).outcome).toBe('credited');
      expect((await orderStatus(t, cookie, o.id)).status).toBe('credited');
      // The callback, delivered late, is answered 2xx and credits nothing more.
      await sim.payments.flush([cb.id]);
      expect(cb.attempts.map((a) => a.status)).toEqual([204]);
    } finally {
      sim.payments.hold = false;
    }
    expect(await balance(t, cookie)).toBe(before + 1680);
    expect((await ledgerOf(t, o.id)).map((r) => r.kind)).toEqual(['topup']);
    // One event stored, the lookup's: the callback's was the same event, a duplicate.
    const events = await t.gw.services.db.selectFrom('payment_events').select(['event_id', 'type', 'outcome']).where('order_id', '=', o.id).execute();
    expect(events).toEqual([{ event_id: eventId, type: 'TRANSACTION.SUCCESS', outcome: 'credited' }]);
    expect(eventId).toMatch(/^42\d+:SUCCESS$/);
  });

  it('asked about an unpaid order, or one WeChat Pay never saw, answers nothing to settle', async () => {
    const { cookie } = await t.signup();
    const o = await order(t, cookie, { provider: 'wechatpay', amount: '5' });
    expect(await wechatpay().query!({ id: o.id, providerRef: null, method: 'wxpay' })).toBeNull();
    const unknown = `TU${randomBytes(8).toString('hex')}`;
    expect(await wechatpay().query!({ id: unknown, providerRef: null, method: 'wxpay' })).toBeNull();
    const asked = sim.requests.filter((r) => r.path === `/v3/pay/transactions/out-trade-no/${unknown}`);
    expect(asked).toHaveLength(1);
    expect((await orderStatus(t, cookie, o.id)).status).toBe('created');
  });

  it('an order lookup answered without the platform key’s signature, or with WeChat Pay unreachable, is an error, not an answer', async () => {
    const { cookie } = await t.signup();
    const o = await order(t, cookie, { provider: 'wechatpay', amount: '6' });
    const options = { apiUrl: sim.url, mchId: MCH_ID, appId: APP_ID, serialNo: MCH_SERIAL, privateKey: merchant.priv, apiV3Key, platformKey: platform.pub, platformSerial: PLATFORM_SERIAL, pointsPerUnit: 140, toleranceSec: 300 };
    await expect(createWechatPay({ ...options, platformKey: pair().pub }).query!({ id: o.id, providerRef: null, method: 'wxpay' })).rejects.toMatchObject({ code: 'payment_provider_error' });
    // Signed by a merchant key WeChat Pay does not hold: refused (401 SIGN_ERROR).
    await expect(createWechatPay({ ...options, privateKey: pair().priv }).query!({ id: o.id, providerRef: null, method: 'wxpay' })).rejects.toMatchObject({ code: 'payment_provider_error', message: expect.stringContaining('SIGN_ERROR') });
    await expect(createWechatPay({ ...options, apiUrl: 'http://127.0.0.1:9' }).query!({ id: o.id, providerRef: null, method: 'wxpay' })).rejects.toMatchObject({ code: 'payment_provider_unreachable' });
  });

  /** An order of `yuan` paid on the simulator's page and credited. */
  const paidOrder = async (cookie: string, yuan: string) => {
    const o = await order(t, cookie, { provider: 'wechatpay', amount: yuan });
    await pay(o.payUrl!);
    await eventually(async () => expect((await orderStatus(t, cookie, o.id)).status).toBe('credited'));
    return o;
  };
  /** WeChat Pay's number of an order's payment, as its callback gave it. */
  const tradeNoOf = async (orderId: string) => (await t.gw.services.db.selectFrom('topup_orders').select('provider_trade_no').where('id', '=', orderId).executeTakeFirstOrThrow()).provider_trade_no!;
  /** 申请退款 asked of the simulated WeChat Pay by the merchant, not through the gateway (as another of its tools would). */
  const refundThere = (b: Record<string, unknown>) => {
    const body = JSON.stringify(b);
    return fetch(`${sim.url}/v3/refund/domestic/refunds`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', authorization: authorization({ mchId: MCH_ID, serialNo: MCH_SERIAL, key: merchant.priv, method: 'POST', pathAndQuery: '/v3/refund/domestic/refunds', body }) },
      body,
    });
  };
  type AdminOrder = { status: string; note: string; refunded: number; moneyOwed: string | null; paid: string | null; notes: OrderView['notes'] };

  it("an admin's refund returns the money through WeChat Pay's refunds API, once: the same out_refund_no asked again is the same refund", async () => {
    const { cookie } = await t.signup();
    const before = await balance(t, cookie);
    const o = await paidOrder(cookie, '10');
    const tradeNo = await tradeNoOf(o.id);
    expect(tradeNo).toMatch(/^42\d+$/);
    // 700 P of the 1400: ¥5.00 of the ¥10.00.
    const byAdmin = await t.api<AdminOrder>('POST', `/api/admin/topups/${o.id}/refund`, { points: 700, reason: 'asked by the customer' }, { token: t.rootToken });
    expect(byAdmin.status, JSON.stringify(byAdmin.body)).toBe(200);
    expect(byAdmin.body).toMatchObject({ refunded: 700, moneyOwed: null });
    const ref = /^Refunded by .*: asked by the customer 5\.00 CNY returned to the payer through wechatpay \((50\d+)\)\.$/.exec(byAdmin.body.note)?.[1];
    expect(ref, byAdmin.body.note).toBeDefined();
    // What was asked: the signed refund of WeChat Pay's documents, in fen, under the order's one out_refund_no.
    const asked = sim.requests.filter((r) => r.path === '/v3/refund/domestic/refunds' && (r.body as { out_refund_no?: unknown } | null)?.out_refund_no === `refund-${o.id}`);
    expect(asked).toHaveLength(1);
    expect(asked[0].method).toBe('POST');
    expect(asked[0].body).toEqual({ transaction_id: tradeNo, out_refund_no: `refund-${o.id}`, reason: `APIGPT refund of ${o.id}`, amount: { refund: 500, total: 1000, currency: 'CNY' } });
    expect(asked[0].headers.authorization).toMatch(/^WECHATPAY2-SHA256-RSA2048 mchid="1230000109",nonce_str="\w+",signature="[A-Za-z0-9+/=]+",timestamp="\d+",serial_no="1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C"$/);
    // Asked again (an answer lost on the way, a later attempt): WeChat Pay answers the same refund.
    expect(await wechatpay().refund!({ tradeNo, orderId: o.id, amount: 500, total: 1000, key: `refund-${o.id}` })).toEqual({ ref });
    // The simulated WeChat Pay's trade: ¥5.00 refunded, ¥5.00 left (a refund of more is refused).
    const more = await refundThere({ transaction_id: tradeNo, out_refund_no: `more-${o.id}`, amount: { refund: 501, total: 1000, currency: 'CNY' } });
    expect(more.status).toBe(400);
    expect(await more.json()).toMatchObject({ code: 'INVALID_REQUEST', message: expect.stringContaining('what is left of the payment (500 fen)') });
    // The credit was taken back once.
    expect(await balance(t, cookie)).toBe(before + 700);
    expect((await ledgerOf(t, o.id)).map((r) => Number(r.amount))).toEqual([1400_000_000, -700_000_000]);
    expect(await orderStatus(t, cookie, o.id)).toMatchObject({ refunded: 700 });
  });

  it('when WeChat Pay refuses to return the money (the whole payment was refunded there already), the credit is still taken back and the note says to return it in the dashboard', async () => {
    const { cookie } = await t.signup();
    const before = await balance(t, cookie);
    const o = await paidOrder(cookie, '10');
    const tradeNo = await tradeNoOf(o.id);
    const there = await refundThere({ transaction_id: tradeNo, out_refund_no: `dash-${o.id}`, amount: { refund: 1000, total: 1000, currency: 'CNY' } });
    expect(there.status).toBe(200);
    const byAdmin = await t.api<AdminOrder>('POST', `/api/admin/topups/${o.id}/refund`, { reason: 'duplicate order' }, { token: t.rootToken });
    expect(byAdmin.status, JSON.stringify(byAdmin.body)).toBe(200);
    expect(byAdmin.body).toMatchObject({ status: 'refunded', refunded: 1400, moneyOwed: null });
    expect(byAdmin.body.note).toMatch(/^Refunded by .*: duplicate order 10\.00 CNY could not be returned through wechatpay \(WeChat Pay refused the refund \(HTTP 400: INVALID_REQUEST 订单可退金额不足.*\)\): return it in the wechatpay dashboard\.$/);
    expect(await balance(t, cookie)).toBe(before);
    expect((await ledgerOf(t, o.id)).map((r) => Number(r.amount))).toEqual([1400_000_000, -1400_000_000]);
  });

  const notifyUrl = () => `${t.url}/api/payments/wechatpay/notify`;
  /** The refund notifications (REFUND.*) the simulated WeChat Pay made for an order, decrypted. */
  const refundCallbacks = (orderId: string) =>
    sim.payments.callbacks
      .filter((c) => c.provider === 'wechatpay' && c.type.startsWith('REFUND.'))
      .map((c) => ({ c, refund: JSON.parse(decryptResource(apiV3Key, (JSON.parse(c.body) as { resource: { ciphertext: string; nonce: string; associated_data: string } }).resource)) as { out_trade_no: string; refund_id: string; amount: { refund: number } } }))
      .filter((x) => x.refund.out_trade_no === orderId);

  it('a refund made in the merchant platform is notified (REFUND.SUCCESS) and takes back its share of the credit, once per refund; the order query then says REFUND', async () => {
    const { cookie } = await t.signup();
    const before = await balance(t, cookie);
    const o = await paidOrder(cookie, '10');
    const tradeNo = await tradeNoOf(o.id);
    // ¥3.00 of the ¥10.00 back to the payer in the dashboard, notified to the refund address set there.
    const first = sim.payments.refundWechatInDashboard(o.id, 300, notifyUrl());
    expect(first).toMatchObject({ status: 'SUCCESS', transaction_id: tradeNo, amount: { refund: 300, total: 1000 } });
    await eventually(() => expect(refundCallbacks(o.id).map((x) => x.c.state)).toEqual(['delivered']));
    // 3/10 of the 1400 P: 420 P taken back, with a refund ledger row.
    expect(await balance(t, cookie)).toBe(before + 980);
    expect((await ledgerOf(t, o.id)).map((r) => [r.kind, Number(r.amount)])).toEqual([
      ['topup', 1400_000_000],
      ['refund', -420_000_000],
    ]);
    expect(await orderStatus(t, cookie, o.id)).toMatchObject({ status: 'refunded', refunded: 420 });
    const refundId = String(first!.refund_id);
    const events = await t.gw.services.db.selectFrom('payment_events').select(['event_id', 'type', 'outcome']).where('order_id', '=', o.id).where('type', '=', 'REFUND.SUCCESS').execute();
    expect(events).toEqual([{ event_id: `refund:${refundId}:SUCCESS`, type: 'REFUND.SUCCESS', outcome: 'reversed' }]);
    // Delivered again (WeChat Pay does when it missed the answer): answered 2xx, nothing more taken.
    const again = await sim.payments.send(refundCallbacks(o.id)[0].c.id);
    expect(again).toMatchObject({ status: 204, ok: true });
    expect(await balance(t, cookie)).toBe(before + 980);
    // The rest, ¥7.00, in a second refund: the whole credit is taken back, and no more.
    expect(sim.payments.refundWechatInDashboard(o.id, 700, notifyUrl())).toMatchObject({ status: 'SUCCESS' });
    await eventually(() => expect(refundCallbacks(o.id).map((x) => x.c.state)).toEqual(['delivered', 'delivered']));
    expect(await balance(t, cookie)).toBe(before);
    expect((await ledgerOf(t, o.id)).map((r) => Number(r.amount))).toEqual([1400_000_000, -420_000_000, -980_000_000]);
    expect(await orderStatus(t, cookie, o.id)).toMatchObject({ status: 'refunded', refunded: 1400 });
    // Nothing is left to refund, and the transaction is REFUND (转入退款): a lookup settles nothing.
    expect(sim.payments.refundWechatInDashboard(o.id, 1, notifyUrl())).toBeNull();
    expect(await wechatpay().query!({ id: o.id, providerRef: null, method: 'wxpay' })).toMatchObject({ kind: 'ignored', type: 'REFUND' });
  });

  it("an order paid short (¥0.30 of ¥30.00), credited by an admin, then half refunded: WeChat Pay is asked for ¥0.30 of a ¥0.30 payment, and the note says the ¥14.70 beyond it goes back another way", async () => {
    const { cookie } = await t.signup();
    const before = await balance(t, cookie);
    const o = await order(t, cookie, { provider: 'wechatpay', amount: '30' });
    await pay(o.payUrl!, 30);
    await eventually(async () => expect((await orderStatus(t, cookie, o.id)).status).toBe('paid'));
    const tradeNo = await tradeNoOf(o.id);
    const done = await t.api<AdminOrder>('POST', `/api/admin/topups/${o.id}/complete`, { reason: 'the rest came by bank transfer' }, { token: t.rootToken });
    expect(done.body).toMatchObject({ status: 'credited', paid: '0.30' });
    expect(await balance(t, cookie)).toBe(before + 4200);
    // 2,100 of the 4,200 P: half the order, ¥15.00, of which only the ¥0.30 paid through WeChat Pay can go back through it.
    const r = await t.api<AdminOrder>('POST', `/api/admin/topups/${o.id}/refund`, { points: 2100, reason: 'half back' }, { token: t.rootToken });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({ status: 'refunded', refunded: 2100, moneyOwed: null });
    expect(r.body.notes.map((l) => l.code)).toEqual(['other_amount', 'credited_by', 'refunded_by', 'money_beyond_payment', 'money_returned']);
    expect(r.body.notes[3]).toEqual({
      code: 'money_beyond_payment',
      params: { provider: 'wechatpay', money: '14.70 CNY', paid: '0.30 CNY' },
      text: '14.70 CNY of this refund is more than was paid through wechatpay (only 0.30 CNY goes back through it): return it another way.',
    });
    expect(r.body.notes[4].params).toMatchObject({ provider: 'wechatpay', money: '0.30 CNY' });
    const asked = sim.requests.filter((q) => q.path === '/v3/refund/domestic/refunds' && (q.body as { out_refund_no?: unknown } | null)?.out_refund_no === `refund-${o.id}`);
    expect(asked.map((q) => q.body)).toEqual([{ transaction_id: tradeNo, out_refund_no: `refund-${o.id}`, reason: `APIGPT refund of ${o.id}`, amount: { refund: 30, total: 30, currency: 'CNY' } }]);
    expect(await balance(t, cookie)).toBe(before + 2100);
  });

  it("an admin's refund through the API is notified too (to the merchant platform's refund address) and takes back nothing more than the admin's refund did", async () => {
    const { cookie } = await t.signup();
    const before = await balance(t, cookie);
    const o = await paidOrder(cookie, '10');
    sim.payments.setWechatRefundNotifyUrl(notifyUrl());
    try {
      const byAdmin = await t.api<AdminOrder>('POST', `/api/admin/topups/${o.id}/refund`, { points: 700, reason: 'asked by the customer' }, { token: t.rootToken });
      expect(byAdmin.status, JSON.stringify(byAdmin.body)).toBe(200);
      await eventually(() => expect(refundCallbacks(o.id).map((x) => [x.c.state, x.refund.amount.refund])).toEqual([['delivered', 500]]));
    } finally {
      sim.payments.setWechatRefundNotifyUrl(null);
    }
    const events = await t.gw.services.db.selectFrom('payment_events').select(['type', 'outcome']).where('order_id', '=', o.id).where('type', '=', 'REFUND.SUCCESS').execute();
    expect(events).toEqual([{ type: 'REFUND.SUCCESS', outcome: 'no_change:refunded' }]);
    expect(await balance(t, cookie)).toBe(before + 700);
    expect((await ledgerOf(t, o.id)).map((r) => Number(r.amount))).toEqual([1400_000_000, -700_000_000]);
    expect(await orderStatus(t, cookie, o.id)).toMatchObject({ status: 'refunded', refunded: 700 });
  });

  it('a refund notification for another merchant, or sealed with another APIv3 key, is refused; ABNORMAL and CLOSED refunds take nothing back', async () => {
    const { cookie } = await t.signup();
    const before = await balance(t, cookie);
    const o = await paidOrder(cookie, '10');
    const tradeNo = await tradeNoOf(o.id);
    const refund = (status: string, mchid = MCH_ID) => ({ mchid, out_trade_no: o.id, transaction_id: tradeNo, out_refund_no: `r-${status}`, refund_id: `5000${randomBytes(6).toString('hex')}`, refund_status: status, user_received_account: '支付用户零钱', amount: { total: 1000, refund: 1000, payer_total: 1000, payer_refund: 1000 } });
    const sealed = (r: Record<string, unknown>, key = apiV3Key) => {
      const nonce = randomBytes(6).toString('hex');
      const body = JSON.stringify({ id: `EV-${randomBytes(6).toString('hex')}`, create_time: '2026-01-01T12:00:00+08:00', resource_type: 'encrypt-resource', event_type: `REFUND.${String(r.refund_status)}`, summary: '退款', resource: { original_type: 'refund', algorithm: 'AEAD_AES_256_GCM', ciphertext: wechatEncrypt(key, JSON.stringify(r), nonce, 'refund'), associated_data: 'refund', nonce } });
      return post(body, wechatSignedHeaders(body, platform.priv, PLATFORM_SERIAL));
    };
    expect((await sealed(refund('SUCCESS', '1900000001'))).status).toBe(401);
    expect((await sealed(refund('SUCCESS'), v3key())).status).toBe(401);
    for (const status of ['ABNORMAL', 'CLOSED']) expect((await sealed(refund(status))).status).toBe(204);
    expect(await balance(t, cookie)).toBe(before + 1400);
    expect((await ledgerOf(t, o.id)).map((r) => r.kind)).toEqual(['topup']);
    expect(await orderStatus(t, cookie, o.id)).toMatchObject({ status: 'credited', refunded: 0 });
  });
});


describe("WeChat Pay's answers to a refund, as the gateway reads them", () => {
  const merchant = pair();
  const platform = pair();
  let server: Server;
  let url: string;
  /** What the stand-in WeChat Pay answers next: a status and body, signed by `signer` when given; or a dropped connection. */
  let next: { status: number; body: unknown; signer?: string } | 'drop' = 'drop';

  beforeAll(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        if (next === 'drop') return void res.destroy();
        const text = JSON.stringify(next.body);
        res.writeHead(next.status, { 'content-type': 'application/json', ...(next.signer ? wechatSignedHeaders(text, next.signer, PLATFORM_SERIAL) : {}) }).end(text);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  const provider = (apiUrl = url) => createWechatPay({ apiUrl, mchId: MCH_ID, appId: APP_ID, serialNo: MCH_SERIAL, privateKey: merchant.priv, apiV3Key: v3key(), platformKey: platform.pub, platformSerial: PLATFORM_SERIAL, pointsPerUnit: 140, toleranceSec: 300 });
  const req = { tradeNo: '4200000000202601011234567890', orderId: 'TUanswers', amount: 300, total: 1000, key: 'refund-TUanswers' };
  const refundAnswer = (status: string, o: { out_refund_no?: string } = {}) => ({
    refund_id: '50000000382019052709732678859',
    out_refund_no: o.out_refund_no ?? req.key,
    transaction_id: req.tradeNo,
    out_trade_no: req.orderId,
    channel: 'ORIGINAL',
    user_received_account: '支付用户零钱',
    create_time: '2026-01-01T12:00:00+08:00',
    status,
    amount: { total: 1000, refund: 300, payer_total: 1000, payer_refund: 300, currency: 'CNY' },
  });
  const outcome = async (answer: typeof next, apiUrl?: string) => {
    next = answer;
    try {
      return { ref: (await provider(apiUrl).refund!(req)).ref };
    } catch (err) {
      return { code: (err as { code?: string }).code, message: (err as Error).message };
    }
  };

  it('SUCCESS and PROCESSING, signed by the platform, are the refund; ABNORMAL, CLOSED, another refund or an answer not signed by the platform are errors', async () => {
    expect(await outcome({ status: 200, body: refundAnswer('SUCCESS'), signer: platform.priv })).toEqual({ ref: '50000000382019052709732678859' });
    expect(await outcome({ status: 200, body: refundAnswer('PROCESSING'), signer: platform.priv })).toEqual({ ref: '50000000382019052709732678859' });
    for (const status of ['ABNORMAL', 'CLOSED']) expect(await outcome({ status: 200, body: refundAnswer(status), signer: platform.priv })).toMatchObject({ code: 'payment_provider_error', message: expect.stringContaining(status) });
    expect(await outcome({ status: 200, body: refundAnswer('SUCCESS', { out_refund_no: 'refund-TUsomeone' }), signer: platform.priv })).toMatchObject({ code: 'payment_provider_error' });
    expect(await outcome({ status: 200, body: refundAnswer('SUCCESS'), signer: pair().priv })).toMatchObject({ code: 'payment_provider_error', message: expect.stringContaining('not authentic') });
    expect(await outcome({ status: 200, body: refundAnswer('SUCCESS') })).toMatchObject({ code: 'payment_provider_error', message: expect.stringContaining('not authentic') });
  });

  it('429 and a system error (5xx) are "busy" and a dropped or refused connection "unreachable" (the same out_refund_no later); any other refusal is an error carrying WeChat Pay\'s message', async () => {
    expect(await outcome({ status: 429, body: { code: 'FREQUENCY_LIMITED', message: '频率限制' }, signer: platform.priv })).toMatchObject({ code: 'payment_provider_busy', message: expect.stringContaining('FREQUENCY_LIMITED') });
    expect(await outcome({ status: 500, body: { code: 'SYSTEM_ERROR', message: '系统错误' }, signer: platform.priv })).toEqual({ code: 'payment_provider_busy', message: 'WeChat Pay refused the refund for now (HTTP 500: SYSTEM_ERROR 系统错误).' });
    expect(await outcome('drop')).toMatchObject({ code: 'payment_provider_unreachable' });
    expect(await outcome('drop', 'http://127.0.0.1:9')).toMatchObject({ code: 'payment_provider_unreachable' });
    const refusals: [number, string, string][] = [
      [400, 'INVALID_REQUEST', '订单可退金额不足'],
      [400, 'PARAM_ERROR', '参数错误'],
      [403, 'NOT_ENOUGH', '基本账户余额不足，请充值后重新发起'],
      [404, 'RESOURCE_NOT_EXISTS', '订单不存在'],
    ];
    for (const [status, code, message] of refusals) {
      expect(await outcome({ status, body: { code, message }, signer: platform.priv })).toEqual({ code: 'payment_provider_error', message: `WeChat Pay refused the refund (HTTP ${status}: ${code} ${message}).` });
    }
  });
});
