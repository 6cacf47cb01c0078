// WeChat Pay API v3, Native pay (provider-protocols.md §16.4): the merchant creates the order with
// `POST /v3/pay/transactions/native`, signed `WECHATPAY2-SHA256-RSA2048` with its API key (checked
// here with the merchant's public key, by serial); the answer `{"code_url":"weixin://…"}` is signed
// with the platform key in the `Wechatpay-*` headers. A phone would scan the code; here the payer
// opens `/wechatpay/pay/{pr}` and presses Pay. The callback is a JSON POST to notify_url whose
// `resource` is the transaction encrypted AEAD_AES_256_GCM with the APIv3 key, signed with the
// platform key over `timestamp\nnonce\nbody\n`, delivered again until answered 2xx. The merchant
// can ask what became of an order (`GET /v3/pay/transactions/out-trade-no/{no}?mchid=`, signed the
// same way, an empty body): the transaction in clear, signed like every answer. It can return money
// of a paid transaction to the payer (申请退款, `POST /v3/refund/domestic/refunds`, signed the same
// way): `out_refund_no` is the merchant's number of the refund, and asked again it answers the same
// refund, never a second one. A refund, asked through the API or made in the merchant platform (the
// dashboard: `refundInDashboard`), is notified like a payment (退款结果通知: `REFUND.SUCCESS`, the
// refund sealed with `associated_data` `refund`) to the request's `notify_url`, else to the address
// set in the merchant platform; the transaction's `trade_state` is then `REFUND` (转入退款).
import { createCipheriv, createSign, createVerify, randomBytes } from 'node:crypto';
import type { Ctx, Dialect, Outcome, Route } from '../route.js';
import { esc, facts, htmlPage } from './page.js';
import type { PaymentsState, WechatTrade } from './state.js';

/** `METHOD\nPATH\nTIMESTAMP\nNONCE\nBODY\n`, the message a merchant signs. */
export function wechatRequestMessage(method: string, pathAndQuery: string, timestamp: string, nonce: string, body: string): string {
  return `${method}\n${pathAndQuery}\n${timestamp}\n${nonce}\n${body}\n`;
}

/** `Wechatpay-*` headers signing `body` with the platform private key. */
export function wechatSignedHeaders(body: string, privateKeyPem: string, serial: string, timestamp = String(Math.floor(Date.now() / 1000)), nonce = randomBytes(16).toString('hex')): Record<string, string> {
  const signature = createSign('RSA-SHA256').update(`${timestamp}\n${nonce}\n${body}\n`, 'utf8').sign(privateKeyPem, 'base64');
  return { 'wechatpay-timestamp': timestamp, 'wechatpay-nonce': nonce, 'wechatpay-signature': signature, 'wechatpay-serial': serial, 'wechatpay-signature-type': 'WECHATPAY2-SHA256-RSA2048' };
}

/** AEAD_AES_256_GCM as WeChat Pay seals a callback's resource: base64(ciphertext ‖ 16-byte tag). */
export function wechatEncrypt(apiV3Key: string, plaintext: string, nonce: string, associatedData: string): string {
  const c = createCipheriv('aes-256-gcm', Buffer.from(apiV3Key, 'utf8'), Buffer.from(nonce, 'utf8'));
  c.setAAD(Buffer.from(associatedData, 'utf8'));
  return Buffer.concat([c.update(plaintext, 'utf8'), c.final(), c.getAuthTag()]).toString('base64');
}

/** WeChat Pay's times: RFC 3339 at +08:00. */
export function wechatTime(ms = Date.now()): string {
  return `${new Date(ms + 8 * 3600_000).toISOString().slice(0, 19)}+08:00`;
}

const dialect: Dialect = {
  name: 'wechatpay',
  authorize: () => null, // merchants authenticate by signature
  error: (status, message, code) => ({ kind: 'json', status, body: { code: code ?? 'PARAM_ERROR', message } }),
  modelNotFound: () => ({ kind: 'json', status: 404, body: { code: 'NOT_FOUND', message: 'not found' } }),
};

const state = (ctx: Ctx): PaymentsState => ctx.sim.payments;
const fail = (status: number, code: string, message: string): Outcome => ({ kind: 'json', status, body: { code, message } });

/** The platform-signed JSON answer. */
function signedJson(ctx: Ctx, status: number, body: unknown): Outcome {
  const s = state(ctx).wechatpay;
  const text = JSON.stringify(body);
  return { kind: 'bytes', status, body: text, contentType: 'application/json', headers: { ...wechatSignedHeaders(text, s.platformPrivateKey, s.platformSerial), 'request-id': randomBytes(12).toString('hex') } };
}

/**
 * Checks a merchant's request signature: `WECHATPAY2-SHA256-RSA2048` over its method, path and
 * query as sent, timestamp, nonce and body (empty for a GET). Answers the refusal, or null.
 */
function refusedSignature(ctx: Ctx): Outcome | null {
  const s = state(ctx).wechatpay;
  const raw = ctx.raw?.toString('utf8') ?? '';
  const header = String(ctx.req.headers.authorization ?? '');
  if (!header.startsWith('WECHATPAY2-SHA256-RSA2048 ')) return fail(401, 'SIGN_ERROR', 'Authorization 头缺失或认证类型错误');
  const a = Object.fromEntries([...header.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
  for (const k of ['mchid', 'nonce_str', 'signature', 'timestamp', 'serial_no']) if (!a[k]) return fail(401, 'SIGN_ERROR', `Authorization 缺少 ${k}`);
  if (a.mchid !== s.mchId) return fail(401, 'SIGN_ERROR', '商户号与签名不匹配');
  if (a.serial_no !== s.merchantSerial || !s.merchantPublicKey) return fail(401, 'SIGN_ERROR', '商户证书序列号有误');
  if (Math.abs(Date.now() / 1000 - Number(a.timestamp)) > 300) return fail(401, 'SIGN_ERROR', '请求时间戳已过期');
  let ok = false;
  try {
    ok = createVerify('RSA-SHA256').update(wechatRequestMessage(ctx.req.method ?? 'POST', ctx.req.url ?? ctx.path, a.timestamp, a.nonce_str, raw), 'utf8').verify(s.merchantPublicKey, a.signature, 'base64');
  } catch {
    ok = false;
  }
  if (!ok) return fail(401, 'SIGN_ERROR', '签名错误');
  return null;
}

function createNative(ctx: Ctx): Outcome {
  const s = state(ctx).wechatpay;
  const refused = refusedSignature(ctx);
  if (refused) return refused;
  const b = (ctx.body ?? {}) as { appid?: string; mchid?: string; description?: string; out_trade_no?: string; notify_url?: string; time_expire?: string; amount?: { total?: unknown; currency?: string } };
  if (b.mchid !== s.mchId) return fail(400, 'PARAM_ERROR', 'mchid 与请求商户不一致');
  if (b.appid !== s.appId) return fail(400, 'APPID_MCHID_NOT_MATCH', 'appid 和 mch_id 不匹配');
  if (!b.out_trade_no || !b.description || !b.notify_url) return fail(400, 'PARAM_ERROR', '缺少必填参数 out_trade_no / description / notify_url');
  const total = b.amount?.total;
  if (typeof total !== 'number' || !Number.isSafeInteger(total) || total <= 0) return fail(400, 'PARAM_ERROR', 'amount.total 必须是正整数（分）');
  if ((b.amount?.currency ?? 'CNY') !== 'CNY') return fail(400, 'PARAM_ERROR', '境内商户仅支持人民币');
  const existing = [...s.trades.values()].find((t) => t.out_trade_no === b.out_trade_no);
  if (existing) return existing.total === total ? signedJson(ctx, 200, { code_url: `weixin://wxpay/bizpayurl?pr=${existing.pr}` }) : fail(400, 'INVALID_REQUEST', '商户订单号重复');
  const trade: WechatTrade = {
    pr: randomBytes(6).toString('base64url').replace(/[-_]/g, 'x'),
    transaction_id: `42000${Date.now()}${String(s.trades.size + 1).padStart(5, '0')}`.slice(0, 28),
    out_trade_no: b.out_trade_no,
    description: b.description,
    total,
    notify_url: b.notify_url,
    status: 'pending',
    created: Date.now(),
    refunded: 0,
    refunds: [],
  };
  s.trades.set(trade.pr, trade);
  return signedJson(ctx, 200, { code_url: `weixin://wxpay/bizpayurl?pr=${trade.pr}` });
}

/**
 * 查询订单 by out_trade_no: the transaction as its callback carries it once paid (SUCCESS, with
 * transaction_id and success_time), NOTPAY before; 404 ORDER_NOT_EXIST for an order never made.
 */
function queryByOutTradeNo(ctx: Ctx): Outcome {
  const s = state(ctx).wechatpay;
  const refused = refusedSignature(ctx);
  if (refused) return refused;
  if (!ctx.query.mchid) return fail(400, 'PARAM_ERROR', '缺少必填参数 mchid');
  if (ctx.query.mchid !== s.mchId) return fail(400, 'PARAM_ERROR', 'mchid 与请求商户不一致');
  let no: string;
  try {
    no = decodeURIComponent(ctx.params.no);
  } catch {
    return fail(400, 'PARAM_ERROR', 'out_trade_no 格式错误');
  }
  const t: WechatTrade | undefined = [...s.trades.values()].find((x) => x.out_trade_no === no);
  if (!t) return signedJson(ctx, 404, { code: 'ORDER_NOT_EXIST', message: '订单不存在' });
  if (t.transaction) return signedJson(ctx, 200, t.transaction);
  return signedJson(ctx, 200, { appid: s.appId, mchid: s.mchId, out_trade_no: t.out_trade_no, trade_state: 'NOTPAY', trade_state_desc: '订单未支付', amount: { total: t.total, currency: 'CNY', payer_currency: 'CNY' } });
}

/** A positive whole number of fen, or null. */
const fen = (v: unknown): number | null => (typeof v === 'number' && Number.isSafeInteger(v) && v > 0 ? v : null);

/**
 * 申请退款 (`POST /v3/refund/domestic/refunds`): money of a paid transaction, named by its
 * `transaction_id` (which wins, as WeChat Pay's) or `out_trade_no`, back to the payer, at once
 * (`SUCCESS`). `amount.total` must be the payment's total and `amount.refund` at most what is left
 * of it (400 otherwise); an unknown or unpaid transaction is 404 RESOURCE_NOT_EXISTS. The
 * merchant's `out_refund_no` is the refund's idempotency: with the same parameters again it answers
 * the same refund and refunds nothing more; with others it is refused (400 INVALID_REQUEST).
 */
function refund(ctx: Ctx): Outcome {
  const s = state(ctx).wechatpay;
  const refused = refusedSignature(ctx);
  if (refused) return refused;
  const b = (ctx.body ?? {}) as { transaction_id?: unknown; out_trade_no?: unknown; out_refund_no?: unknown; reason?: unknown; notify_url?: unknown; amount?: { refund?: unknown; total?: unknown; currency?: unknown } | null };
  const refuse = (status: number, code: string, message: string) => signedJson(ctx, status, { code, message });
  const transactionId = typeof b.transaction_id === 'string' ? b.transaction_id : '';
  const outTradeNo = typeof b.out_trade_no === 'string' ? b.out_trade_no : '';
  if (!transactionId && !outTradeNo) return refuse(400, 'PARAM_ERROR', '缺少参数 transaction_id 或 out_trade_no / transaction_id or out_trade_no is required');
  const no = b.out_refund_no;
  if (typeof no !== 'string' || !/^[0-9A-Za-z_\-|*@]{1,64}$/.test(no)) return refuse(400, 'PARAM_ERROR', 'out_refund_no 格式错误 / out_refund_no must be 1 to 64 of 0-9 a-z A-Z _ - | * @');
  if (b.reason !== undefined && (typeof b.reason !== 'string' || [...b.reason].length > 80)) return refuse(400, 'PARAM_ERROR', 'reason 长度超过 80 / reason must be a string of at most 80 characters');
  const amount = fen(b.amount?.refund);
  const total = fen(b.amount?.total);
  if (amount === null || total === null) return refuse(400, 'PARAM_ERROR', 'amount.refund 和 amount.total 必须是正整数（分） / amount.refund and amount.total must be positive whole fen');
  if (b.amount?.currency !== 'CNY') return refuse(400, 'PARAM_ERROR', '退款币种必须是 CNY / amount.currency must be CNY');
  const t = [...s.trades.values()].find((x) => (transactionId ? x.transaction_id === transactionId : x.out_trade_no === outTradeNo));
  // A trade not paid has no transaction to refund (its transaction_id was never given out).
  if (!t?.transaction) return refuse(404, 'RESOURCE_NOT_EXISTS', '订单不存在 / no such payment');
  const earlier = [...s.trades.values()].flatMap((x) => x.refunds.map((r) => ({ trade: x, r }))).find((e) => e.r.out_refund_no === no);
  if (earlier) {
    if (earlier.trade === t && earlier.r.refund === amount && earlier.r.total === total) return signedJson(ctx, 200, earlier.r.answer);
    return refuse(400, 'INVALID_REQUEST', '商户退款单号重复，但请求参数与原退款不一致 / out_refund_no was used for another refund');
  }
  const paid = paidTotal(t);
  if (total !== paid) return refuse(400, 'PARAM_ERROR', `订单金额与原交易不一致 / amount.total ${total} is not the payment's total (${paid} fen)`);
  const left = paid - t.refunded;
  if (amount > left) return refuse(400, 'INVALID_REQUEST', `订单可退金额不足 / the refund (${amount} fen) is more than what is left of the payment (${left} fen)`);
  const notifyUrl = typeof b.notify_url === 'string' && b.notify_url ? b.notify_url : s.refundNotifyUrl;
  return signedJson(ctx, 200, makeRefund(state(ctx), t, { no, amount, notifyUrl }));
}

/** Fen the payer paid for a trade (what a refund's `amount.total` must be). */
const paidTotal = (t: WechatTrade): number => fen((t.transaction?.amount as { total?: unknown } | undefined)?.total) ?? t.total;

/**
 * Makes a refund of `amount` fen (checked by the caller against what is left) and answers it as the
 * refunds API does; notifies it to `notifyUrl` when there is one (REFUND.SUCCESS, the refund sealed
 * like a transaction, with `associated_data` `refund`), and leaves the transaction `REFUND`.
 */
function makeRefund(p: PaymentsState, t: WechatTrade, r: { no: string; amount: number; notifyUrl: string | null }): Record<string, unknown> {
  const w = p.wechatpay;
  const paid = paidTotal(t);
  const now = Date.now();
  const refundId = `50000${now}${String(randomBytes(4).readUInt32BE()).padStart(10, '0')}`;
  const answer = {
    refund_id: refundId,
    out_refund_no: r.no,
    transaction_id: t.transaction_id,
    out_trade_no: t.out_trade_no,
    channel: 'ORIGINAL',
    user_received_account: '支付用户零钱',
    success_time: wechatTime(now),
    create_time: wechatTime(now),
    status: 'SUCCESS',
    funds_account: 'AVAILABLE',
    amount: { total: paid, refund: r.amount, from: [], payer_total: paid, payer_refund: r.amount, settlement_refund: r.amount, settlement_total: paid, discount_refund: 0, currency: 'CNY', refund_fee: 0 },
    promotion_detail: [],
  };
  t.refunded += r.amount;
  t.refunds.push({ out_refund_no: r.no, refund: r.amount, total: paid, answer });
  if (t.transaction) t.transaction = { ...t.transaction, trade_state: 'REFUND', trade_state_desc: '转入退款' };
  if (r.notifyUrl) {
    // 退款结果通知: the refund as WeChat Pay's notification carries it (no appid in it: a refund is the merchant's).
    const refund = {
      mchid: w.mchId,
      out_trade_no: t.out_trade_no,
      transaction_id: t.transaction_id,
      out_refund_no: r.no,
      refund_id: refundId,
      refund_status: 'SUCCESS',
      success_time: wechatTime(now),
      user_received_account: '支付用户零钱',
      amount: { total: paid, refund: r.amount, payer_total: paid, payer_refund: r.amount },
    };
    notify(p, { url: r.notifyUrl, eventType: 'REFUND.SUCCESS', summary: '退款成功', originalType: 'refund', resource: refund, event: `${refundId}:SUCCESS`, now });
  }
  return answer;
}

/**
 * A refund made in the merchant platform (商户平台 → 交易中心 → 退款), not through the API: `amount`
 * fen of the trade with out_trade_no `outTradeNo` go back to the payer, notified to the refund
 * address set in the merchant platform (`refundNotifyUrl`) or `notifyUrl`. The refund's answer, or
 * null for a trade not paid or an amount that is not what is left or less.
 */
export function refundInDashboard(p: PaymentsState, outTradeNo: string, amount: number, notifyUrl?: string): Record<string, unknown> | null {
  const t = [...p.wechatpay.trades.values()].find((x) => x.out_trade_no === outTradeNo);
  if (!t?.transaction || fen(amount) === null || amount > paidTotal(t) - t.refunded) return null;
  return makeRefund(p, t, { no: `dashboard-${randomBytes(6).toString('hex')}`, amount, notifyUrl: notifyUrl ?? p.wechatpay.refundNotifyUrl });
}

/** Seals `resource` with the APIv3 key and queues its notification, signed again at every delivery. */
function notify(p: PaymentsState, n: { url: string; eventType: string; summary: string; originalType: string; resource: unknown; event: string; now: number }): void {
  const w = p.wechatpay;
  const nonce = randomBytes(6).toString('hex'); // 12 characters, as WeChat Pay's
  const event = {
    id: `EV-${randomBytes(10).toString('hex')}`,
    create_time: wechatTime(n.now),
    resource_type: 'encrypt-resource',
    event_type: n.eventType,
    summary: n.summary,
    resource: { original_type: n.originalType, algorithm: 'AEAD_AES_256_GCM', ciphertext: wechatEncrypt(w.apiV3Key, JSON.stringify(n.resource), nonce, n.originalType), associated_data: n.originalType, nonce },
  };
  const body = JSON.stringify(event);
  const base = { 'content-type': 'application/json', 'user-agent': 'Mozilla/4.0 (WeChat Pay notify, simulated)' };
  p.callbacks.add({
    provider: 'wechatpay',
    event: n.event,
    type: n.eventType,
    method: 'POST',
    url: n.url,
    headers: { ...base, ...wechatSignedHeaders(body, w.platformPrivateKey, w.platformSerial) },
    body,
    // Every delivery is signed when it is sent, with its own timestamp and nonce.
    resign: () => ({ headers: { ...base, ...wechatSignedHeaders(body, w.platformPrivateKey, w.platformSerial) }, body }),
  });
}

function payPage(ctx: Ctx): Outcome {
  const t = state(ctx).wechatpay.trades.get(ctx.params.pr);
  if (!t) return htmlPage('二维码已失效 No such code', '', 404);
  const amount = `¥${(t.total / 100).toFixed(2)}`;
  if (t.status === 'paid') return htmlPage('支付成功 Paid', facts([['订单号 Order', t.out_trade_no], ['金额 Amount', amount]]));
  return htmlPage(
    '微信支付 WeChat Pay (simulated)',
    facts([
      ['商品 Product', t.description],
      ['订单号 Order', t.out_trade_no],
      ['金额 Amount', amount],
    ]) + `<form method="post" action="/wechatpay/pay/${esc(t.pr)}"><button type="submit" data-testid="sim-pay">确认支付 Pay ${esc(amount)}</button></form>`,
  );
}

/** The payer pays. Form field `total` (simulator only) reports another amount, in fen, as paid. */
function pay(ctx: Ctx): Outcome {
  const s = state(ctx);
  const w = s.wechatpay;
  const t: WechatTrade | undefined = w.trades.get(ctx.params.pr);
  if (!t) return htmlPage('二维码已失效 No such code', '', 404);
  const form = (ctx.body ?? {}) as Record<string, string>;
  const total = form.total ? Number(form.total) : t.total;
  if (t.status === 'pending') {
    t.status = 'paid';
    const now = Date.now();
    const transaction = {
      appid: w.appId,
      mchid: w.mchId,
      out_trade_no: t.out_trade_no,
      transaction_id: t.transaction_id,
      trade_type: 'NATIVE',
      trade_state: 'SUCCESS',
      trade_state_desc: '支付成功',
      bank_type: 'OTHERS',
      attach: '',
      success_time: wechatTime(now),
      payer: { openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' },
      amount: { total, payer_total: total, currency: 'CNY', payer_currency: 'CNY' },
    };
    t.transaction = transaction;
    notify(s, { url: t.notify_url, eventType: 'TRANSACTION.SUCCESS', summary: '支付成功', originalType: 'transaction', resource: transaction, event: `${t.transaction_id}:SUCCESS`, now });
  }
  return htmlPage('支付成功 Paid', facts([['订单号 Order', t.out_trade_no], ['金额 Amount', `¥${(total / 100).toFixed(2)}`]]) + '<p data-testid="sim-paid">支付成功</p>');
}

export const wechatpayRoutes: Route[] = [
  { method: 'POST', pattern: /^\/v3\/pay\/transactions\/native$/, dialect, handle: createNative },
  { method: 'GET', pattern: /^\/v3\/pay\/transactions\/out-trade-no\/(?<no>[^/?]+)$/, dialect, handle: queryByOutTradeNo },
  { method: 'POST', pattern: /^\/v3\/refund\/domestic\/refunds$/, dialect, handle: refund },
  { method: 'GET', pattern: /^\/wechatpay\/pay\/(?<pr>\w+)$/, dialect, handle: payPage },
  { method: 'POST', pattern: /^\/wechatpay\/pay\/(?<pr>\w+)$/, dialect, handle: pay },
];
