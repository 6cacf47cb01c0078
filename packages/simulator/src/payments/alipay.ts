// Alipay open platform, direct merchant (provider-protocols.md §16.3): `alipay.trade.page.pay` sent
// by the merchant's browser to the gateway (`/gateway.do`, GET or form POST), RSA2-signed with the
// app's private key; the simulator checks it with the app's public key and shows a cashier page.
// Paying there sends the async notify (form POST to notify_url, RSA2-signed with Alipay's private
// key, retried until the body is `success`) and sends the browser back to return_url.
// The merchant's server can ask what became of a trade (`alipay.trade.query`, signed the same way,
// to the same gateway): JSON whose `alipay_trade_query_response` is signed with Alipay's key over
// its exact text. A refund made in the merchant platform (`refundInDashboard`) sends the async
// notify again, with `refund_fee` (the payment's refunds so far, yuan), `gmt_refund` and
// `out_biz_no`; its `trade_status` stays TRADE_SUCCESS while money is left, TRADE_CLOSED once all of
// it is refunded (the query then says TRADE_CLOSED too). The merchant's server can refund too
// (`alipay.trade.refund`, signed the same way): `out_request_no` names the refund, and asked again it
// answers that refund (`fund_change` N) and refunds nothing more; it is notified the same way.
// `sim.payments.alipayBusy(n)` makes the next n refunds answer 20000 (service unavailable);
// `sim.payments.alipayNotifyFirst(n)` holds the next n refunds' answers until their notify has been
// answered by the merchant (Alipay notifies at once: a merchant may hear of its refund that way
// before the API's answer reaches it).
// Signing: every parameter but `sign` (and, for notifies, `sign_type`) that is not empty, sorted by
// key, joined `k=v&…` unencoded, SHA256withRSA, base64.
import { createSign, createVerify, randomBytes } from 'node:crypto';
import type { Ctx, Dialect, Outcome, Route } from '../route.js';
import { esc, facts, htmlPage, redirect } from './page.js';
import type { PaymentCallback } from './callbacks.js';
import type { AlipayTrade, PaymentsState } from './state.js';

export function alipaySignContent(params: Record<string, string | undefined>, omitSignType: boolean): string {
  return Object.keys(params)
    .filter((k) => k !== 'sign' && !(omitSignType && k === 'sign_type') && params[k] !== undefined && params[k] !== '')
    .sort()
    .map((k) => `${k}=${params[k]}`)
    .join('&');
}

/** RSA2 (SHA256withRSA) over the sign content; base64. */
export function alipaySign(params: Record<string, string | undefined>, privateKeyPem: string, omitSignType = false): string {
  return createSign('RSA-SHA256').update(alipaySignContent(params, omitSignType), 'utf8').sign(privateKeyPem, 'base64');
}

export function alipayVerify(params: Record<string, string>, publicKeyPem: string, omitSignType = false): boolean {
  if (!params.sign) return false;
  try {
    return createVerify('RSA-SHA256').update(alipaySignContent(params, omitSignType), 'utf8').verify(publicKeyPem, params.sign, 'base64');
  } catch {
    return false;
  }
}

const dialect: Dialect = {
  name: 'alipay',
  authorize: () => null, // merchants authenticate by signature
  error: (status, message) => ({ kind: 'json', status, body: { code: '40004', msg: 'Business Failed', sub_msg: message } }),
  modelNotFound: () => ({ kind: 'json', status: 404, body: { code: '40004', msg: 'not found' } }),
};

const state = (ctx: Ctx): PaymentsState => ctx.sim.payments;
const fields = (ctx: Ctx): Record<string, string> => ({ ...ctx.query, ...(ctx.body && typeof ctx.body === 'object' ? (ctx.body as Record<string, string>) : {}) });


/** Alipay's time format, GMT+8: `yyyy-MM-dd HH:mm:ss`. */
export function alipayTime(ms = Date.now()): string {
  return new Date(ms + 8 * 3600_000).toISOString().replace('T', ' ').slice(0, 19);
}

/** A refusal as Alipay words it: `code`/`msg` for the class, `sub_code`/`sub_msg` for the reason. */
type Refusal = { code: string; msg: string; sub_code: string; sub_msg: string };

/** Alipay's sub_codes for a missing common parameter (`isv.missing-…`). */
const MISSING: Record<string, string> = { sign: 'signature', sign_type: 'signature-type' };

/**
 * The checks every request to the gateway gets, whatever its method: the common parameters, our
 * app, RSA2, and the signature with the app's public key. The refusal, or null.
 */
function refusedRequest(ctx: Ctx, p: Record<string, string>): Refusal | null {
  const s = state(ctx).alipay;
  for (const k of ['app_id', 'method', 'charset', 'sign_type', 'sign', 'timestamp', 'version', 'biz_content']) {
    if (!p[k]) return { code: '40001', msg: 'Missing Required Arguments', sub_code: `isv.missing-${MISSING[k] ?? k.replace(/_/g, '-')}`, sub_msg: `缺少参数 ${k}` };
  }
  if (p.app_id !== s.appId) return { code: '40002', msg: 'Invalid Arguments', sub_code: 'isv.invalid-app-id', sub_msg: '无效的AppID参数' };
  if (p.sign_type !== 'RSA2') return { code: '40002', msg: 'Invalid Arguments', sub_code: 'isv.invalid-signature-type', sub_msg: '无效的签名类型' };
  if (!s.appPublicKey || !alipayVerify(p, s.appPublicKey)) return { code: '40002', msg: 'Invalid Arguments', sub_code: 'isv.invalid-signature', sub_msg: '验签出错' };
  return null;
}

function openTrade(ctx: Ctx, p: Record<string, string>): AlipayTrade | string {
  const s = state(ctx).alipay;
  const refused = refusedRequest(ctx, p);
  if (refused) return `${refused.sub_code}: ${refused.sub_msg}`;
  if (p.method !== 'alipay.trade.page.pay' && p.method !== 'alipay.trade.wap.pay') return `isv.invalid-method: ${p.method}`;
  let biz: Record<string, string>;
  try {
    biz = JSON.parse(p.biz_content) as Record<string, string>;
  } catch {
    return 'isv.invalid-parameter: biz_content';
  }
  if (!biz.out_trade_no || !biz.subject) return 'isv.missing-biz-parameter';
  if (!/^\d+(\.\d{1,2})?$/.test(String(biz.total_amount)) || Number(biz.total_amount) <= 0) return 'isv.invalid-parameter: total_amount';
  const existing = [...s.trades.values()].find((t) => t.out_trade_no === biz.out_trade_no);
  if (existing) return existing.total_amount === String(biz.total_amount) ? existing : 'ACQ.CONTEXT_INCONSISTENT: 交易信息被篡改';
  const now = new Date();
  const trade: AlipayTrade = {
    trade_no: `${alipayTime(now.getTime()).replace(/\D/g, '').slice(0, 8)}22001${String(s.trades.size + 1).padStart(11, '0')}`,
    out_trade_no: biz.out_trade_no,
    subject: biz.subject,
    total_amount: String(biz.total_amount),
    notify_url: p.notify_url ?? '',
    return_url: p.return_url ?? '',
    status: 'pending',
    created: now.getTime(),
    refunded: 0,
    refundRequests: new Map(),
  };
  s.trades.set(trade.trade_no, trade);
  return trade;
}

function cashier(t: AlipayTrade): Outcome {
  if (t.status === 'paid') return htmlPage('交易已支付 Paid', facts([['订单号 Order', t.out_trade_no], ['金额 Amount', `¥${t.total_amount}`]]));
  return htmlPage(
    '支付宝收银台 Alipay cashier (simulated)',
    facts([
      ['商品 Product', t.subject],
      ['订单号 Order', t.out_trade_no],
      ['金额 Amount', `¥${t.total_amount}`],
    ]) + `<form method="post" action="/alipay/pay/${esc(t.trade_no)}"><button type="submit" data-testid="sim-pay">确认付款 Pay ¥${esc(t.total_amount)}</button></form>`,
  );
}

function gateway(ctx: Ctx): Outcome | Promise<Outcome> {
  const p = fields(ctx);
  // The merchant's server asks about a trade or refunds one; every other method is the payer's browser.
  if (p.method === 'alipay.trade.query') return query(ctx, p);
  if (p.method === 'alipay.trade.refund') return refundApi(ctx, p);
  const t = openTrade(ctx, p);
  if (typeof t === 'string') return htmlPage('支付错误 Payment refused', `<p data-testid="sim-error">${esc(t)}</p>`, 400);
  return cashier(t);
}

/** The payer pays. Form field `total_amount` (simulator only) reports another amount as paid. */
function pay(ctx: Ctx): Outcome {
  const s = state(ctx);
  const t: AlipayTrade | undefined = s.alipay.trades.get(ctx.params.trade);
  if (!t) return htmlPage('交易不存在 No such trade', '', 404);
  const body = (ctx.body ?? {}) as Record<string, string>;
  const amount = typeof body.total_amount === 'string' && body.total_amount ? body.total_amount : t.total_amount;
  if (t.status === 'pending') {
    t.status = 'paid';
    const now = Date.now();
    const p: Record<string, string> = {
      notify_type: 'trade_status_sync',
      notify_id: randomBytes(16).toString('hex'),
      notify_time: alipayTime(now),
      app_id: s.alipay.appId,
      out_trade_no: t.out_trade_no,
      trade_no: t.trade_no,
      trade_status: 'TRADE_SUCCESS',
      total_amount: amount,
      receipt_amount: amount,
      buyer_pay_amount: amount,
      seller_id: s.alipay.sellerId,
      subject: t.subject,
      gmt_create: alipayTime(t.created),
      gmt_payment: alipayTime(now),
      charset: 'utf-8',
      version: '1.0',
      sign_type: 'RSA2',
    };
    t.notified = notify(s, t, p, `${t.trade_no}:TRADE_SUCCESS`).signed;
  }
  // The synchronous return: the browser comes back with the trade's numbers (display only).
  const back: Record<string, string> = { out_trade_no: t.out_trade_no, trade_no: t.trade_no, total_amount: t.total_amount, app_id: s.alipay.appId, method: 'alipay.trade.page.pay.return', timestamp: alipayTime(), charset: 'utf-8', version: '1.0', sign_type: 'RSA2' };
  back.sign = alipaySign(back, s.alipay.privateKey, true);
  return redirect(`${t.return_url}${t.return_url.includes('?') ? '&' : '?'}${new URLSearchParams(back)}`);
}

/** Signs a notify (every parameter but `sign` and `sign_type`) and queues it to the trade's notify_url; the signed parameters and the queued callback. */
function notify(s: PaymentsState, t: AlipayTrade, p: Record<string, string>, event: string): { signed: Record<string, string>; callback: PaymentCallback } {
  const signed = { ...p, sign: alipaySign(p, s.alipay.privateKey, true) };
  const callback = s.callbacks.add({
    provider: 'alipay',
    event,
    type: p.trade_status,
    method: 'POST',
    url: t.notify_url,
    headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8', 'user-agent': 'Mozilla/4.0 (Alipay notify, simulated)' },
    body: new URLSearchParams(signed).toString(),
  });
  return { signed, callback };
}

/** Fen of an amount in yuan as Alipay writes it (`10`, `10.5`, `10.00`). */
const fenOf = (yuan: string): number => {
  const [whole, frac = ''] = yuan.split('.');
  return Number(whole) * 100 + Number((frac + '00').slice(0, 2));
};
const yuanOf = (fen: number): string => `${Math.floor(fen / 100)}.${String(fen % 100).padStart(2, '0')}`;

/**
 * A refund made in the merchant platform (商家平台 → 交易 → 退款): `amount` fen of the paid trade
 * `outTradeNo` back to the payer, notified to the trade's notify_url as Alipay notifies a refund —
 * the trade's notify again with a new notify_id, `refund_fee` the payment's refunds so far (yuan),
 * `gmt_refund`, `out_biz_no` the refund's number, and `trade_status` TRADE_CLOSED once nothing is
 * left. The refund's `out_biz_no`, or null for a trade not paid or an amount more than what is left.
 */
export function refundInDashboard(s: PaymentsState, outTradeNo: string, amount: number): { out_biz_no: string; refund_fee: string; trade_status: string } | null {
  const t = [...s.alipay.trades.values()].find((x) => x.out_trade_no === outTradeNo);
  if (!t?.notified || !Number.isSafeInteger(amount) || amount <= 0) return null;
  if (amount > fenOf(t.notified.total_amount) - t.refunded) return null;
  const outBizNo = `RF${Date.now()}${randomBytes(3).toString('hex')}`;
  const { refund_fee, trade_status } = makeRefund(s, t as AlipayTrade & { notified: Record<string, string> }, amount, outBizNo);
  return { out_biz_no: outBizNo, refund_fee, trade_status };
}

/** Refunds `amount` fen (the caller checked what is left) and notifies it; the payment's refunds so far (yuan), the trade's status after, and the notify. */
function makeRefund(s: PaymentsState, t: AlipayTrade & { notified: Record<string, string> }, amount: number, outBizNo: string): { refund_fee: string; trade_status: string; notified: PaymentCallback } {
  const paid = fenOf(t.notified.total_amount);
  t.refunded += amount;
  const now = Date.now();
  const { sign: _sign, ...paidNotice } = t.notified;
  const refundFee = yuanOf(t.refunded);
  const tradeStatus = t.refunded === paid ? 'TRADE_CLOSED' : 'TRADE_SUCCESS';
  const p: Record<string, string> = {
    ...paidNotice,
    notify_id: randomBytes(16).toString('hex'),
    notify_time: alipayTime(now),
    trade_status: tradeStatus,
    refund_fee: refundFee,
    gmt_refund: `${alipayTime(now)}.${String(now % 1000).padStart(3, '0')}`,
    out_biz_no: outBizNo,
    ...(tradeStatus === 'TRADE_CLOSED' ? { gmt_close: alipayTime(now) } : {}),
  };
  const { callback } = notify(s, t, p, `${t.trade_no}:refund:${refundFee}`);
  return { refund_fee: refundFee, trade_status: tradeStatus, notified: callback };
}

/**
 * `alipay.trade.refund`: `refund_amount` yuan of the paid trade named by `trade_no` (which wins) or
 * `out_trade_no` back to the payer, at once. `out_request_no` (the trade's number when absent, a
 * whole refund) names the refund: the same one with the same amount answers it again with
 * `fund_change` N; with another amount it is ACQ.DISCORDANT_REPEAT_REQUEST. More than what is left is
 * ACQ.REFUND_AMT_NOT_EQUAL_TOTAL; a trade not paid ACQ.TRADE_NOT_EXIST / ACQ.TRADE_STATUS_ERROR.
 */
function refundApi(ctx: Ctx, p: Record<string, string>): Outcome | Promise<Outcome> {
  const s = state(ctx);
  const refused = refusedRequest(ctx, p);
  if (refused) return apiAnswer(ctx, p.method, refused, false);
  if (s.alipay.busy > 0) {
    s.alipay.busy--;
    return apiAnswer(ctx, p.method, { code: '20000', msg: 'Service Currently Unavailable', sub_code: 'isp.unknow-error', sub_msg: '系统繁忙' }, true);
  }
  const fail = (sub_code: string, sub_msg: string) => apiAnswer(ctx, p.method, { code: '40004', msg: 'Business Failed', sub_code, sub_msg }, true);
  let biz: Record<string, unknown>;
  try {
    biz = JSON.parse(p.biz_content) as Record<string, unknown>;
  } catch {
    return apiAnswer(ctx, p.method, { code: '40002', msg: 'Invalid Arguments', sub_code: 'isv.invalid-parameter', sub_msg: 'biz_content 不是 JSON' }, true);
  }
  const tradeNo = typeof biz.trade_no === 'string' ? biz.trade_no : '';
  const outTradeNo = typeof biz.out_trade_no === 'string' ? biz.out_trade_no : '';
  const amountText = typeof biz.refund_amount === 'number' ? String(biz.refund_amount) : typeof biz.refund_amount === 'string' ? biz.refund_amount : '';
  if ((!tradeNo && !outTradeNo) || !/^\d+(\.\d{1,2})?$/.test(amountText) || fenOf(amountText) <= 0) return fail('ACQ.INVALID_PARAMETER', '参数无效');
  const t = tradeNo ? s.alipay.trades.get(tradeNo) : [...s.alipay.trades.values()].find((x) => x.out_trade_no === outTradeNo);
  if (!t) return fail('ACQ.TRADE_NOT_EXIST', '交易不存在');
  if (!t.notified) return fail('ACQ.TRADE_STATUS_ERROR', '交易状态不合法');
  const fen = fenOf(amountText);
  const requestNo = typeof biz.out_request_no === 'string' && biz.out_request_no ? biz.out_request_no : t.out_trade_no;
  const earlier = t.refundRequests.get(requestNo);
  if (earlier) return earlier.fen === fen ? apiAnswer(ctx, p.method, { ...earlier.answer, fund_change: 'N' }, true) : fail('ACQ.DISCORDANT_REPEAT_REQUEST', '请求信息不一致');
  if (fen > fenOf(t.notified.total_amount) - t.refunded) return fail('ACQ.REFUND_AMT_NOT_EQUAL_TOTAL', '退款金额超限');
  const done = makeRefund(s, t as AlipayTrade & { notified: Record<string, string> }, fen, requestNo);
  const answer = { code: '10000', msg: 'Success', trade_no: t.trade_no, out_trade_no: t.out_trade_no, buyer_logon_id: 'sim***@alipay.test', fund_change: 'Y', refund_fee: done.refund_fee, gmt_refund_pay: alipayTime(), buyer_user_id: '2088102177846881' };
  t.refundRequests.set(requestNo, { fen, answer });
  if (s.alipay.notifyFirst > 0) {
    s.alipay.notifyFirst--;
    return s.callbacks.settled(done.notified).then(() => apiAnswer(ctx, p.method, answer, true));
  }
  return apiAnswer(ctx, p.method, answer, true);
}

/**
 * The answer of a server call: `{"<method>_response":{…},"sign":"…"}`. The signature (Alipay's
 * private key, RSA2) covers the exact text of the response object, which is why the text is built
 * here rather than left to a JSON encoder later. Refusals of the request itself (its common
 * parameters, its signature) are left unsigned: a merchant must cope with an unsigned refusal, as
 * Alipay's SDKs do, and must never take one for an answer about the trade.
 */
function apiAnswer(ctx: Ctx, method: string, response: Record<string, string>, signed: boolean): Outcome {
  const inner = JSON.stringify(response);
  const sign = signed ? `,"sign":${JSON.stringify(createSign('RSA-SHA256').update(inner, 'utf8').sign(state(ctx).alipay.privateKey, 'base64'))}` : '';
  // Alipay answers HTTP 200 whatever the outcome: `code` says it (10000 is success).
  return { kind: 'bytes', status: 200, body: `{"${method.replace(/\./g, '_')}_response":${inner}${sign}}`, contentType: 'application/json;charset=utf-8' };
}

/**
 * `alipay.trade.query`: the trade named by `trade_no` (which wins, as Alipay's) or `out_trade_no`.
 * WAIT_BUYER_PAY until paid, then TRADE_SUCCESS with what the notify carried; 40004
 * ACQ.TRADE_NOT_EXIST for a trade never opened.
 */
function query(ctx: Ctx, p: Record<string, string>): Outcome {
  const s = state(ctx).alipay;
  const refused = refusedRequest(ctx, p);
  if (refused) return apiAnswer(ctx, p.method, refused, false);
  let biz: Record<string, unknown>;
  try {
    biz = JSON.parse(p.biz_content) as Record<string, unknown>;
  } catch {
    return apiAnswer(ctx, p.method, { code: '40002', msg: 'Invalid Arguments', sub_code: 'isv.invalid-parameter', sub_msg: 'biz_content 不是 JSON' }, true);
  }
  const tradeNo = typeof biz.trade_no === 'string' ? biz.trade_no : '';
  const outTradeNo = typeof biz.out_trade_no === 'string' ? biz.out_trade_no : '';
  if (!tradeNo && !outTradeNo) return apiAnswer(ctx, p.method, { code: '40004', msg: 'Business Failed', sub_code: 'ACQ.INVALID_PARAMETER', sub_msg: '参数无效' }, true);
  const t: AlipayTrade | undefined = tradeNo ? s.trades.get(tradeNo) : [...s.trades.values()].find((x) => x.out_trade_no === outTradeNo);
  if (!t) return apiAnswer(ctx, p.method, { code: '40004', msg: 'Business Failed', sub_code: 'ACQ.TRADE_NOT_EXIST', sub_msg: '交易不存在' }, true);
  const found = { code: '10000', msg: 'Success', trade_no: t.trade_no, out_trade_no: t.out_trade_no };
  if (!t.notified) return apiAnswer(ctx, p.method, { ...found, trade_status: 'WAIT_BUYER_PAY', total_amount: t.total_amount, buyer_pay_amount: '0.00' }, true);
  const n = t.notified;
  const closed = t.refunded > 0 && t.refunded === fenOf(n.total_amount);
  return apiAnswer(ctx, p.method, { ...found, buyer_logon_id: 'sim***@alipay.test', trade_status: closed ? 'TRADE_CLOSED' : n.trade_status, total_amount: n.total_amount, buyer_pay_amount: n.buyer_pay_amount, receipt_amount: n.receipt_amount, send_pay_date: n.gmt_payment, buyer_user_id: '2088102177846881' }, true);
}

export const alipayRoutes: Route[] = [
  { method: 'GET', pattern: /^\/gateway\.do$/, dialect, handle: gateway },
  { method: 'POST', pattern: /^\/gateway\.do$/, dialect, handle: gateway },
  { method: 'POST', pattern: /^\/alipay\/pay\/(?<trade>\w+)$/, dialect, handle: pay },
];
