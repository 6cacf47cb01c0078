// EPay / 易支付 (彩虹易支付-style, as new-api speaks it; provider-protocols.md §16.1): the page-jump
// payment `submit.php` (GET or POST form) shows a cashier page; paying there sends the signed async
// notify (GET to notify_url, until it answers `success`) and sends the browser back to return_url
// with the same signed fields. Also `mapi.php` (server-to-server, JSON with a pay URL or QR) and
// `api.php?act=order` (order query). Signatures: MD5 over the sorted, non-empty fields but sign and
// sign_type, joined `k=v&…` unencoded, with the merchant key appended.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Ctx, Dialect, Outcome, Route } from '../route.js';
import { esc, facts, htmlPage, redirect } from './page.js';
import type { EpayTrade, PaymentsState } from './state.js';

export function epaySign(params: Record<string, string | undefined>, key: string): string {
  const s = Object.keys(params)
    .filter((k) => k !== 'sign' && k !== 'sign_type' && params[k] !== undefined && params[k] !== '')
    .sort()
    .map((k) => `${k}=${params[k]}`)
    .join('&');
  return createHash('md5').update(s + key, 'utf8').digest('hex');
}

function signOk(p: Record<string, string>, key: string): boolean {
  if (!/^[0-9a-fA-F]{32}$/.test(p.sign ?? '')) return false;
  return timingSafeEqual(Buffer.from(epaySign(p, key), 'hex'), Buffer.from(p.sign.toLowerCase(), 'hex'));
}

const epayDialect: Dialect = {
  name: 'epay',
  authorize: () => null, // merchants authenticate by signature, checked per route
  error: (status, message) => ({ kind: 'json', status, body: { code: -1, msg: message } }),
  modelNotFound: () => ({ kind: 'json', status: 404, body: { code: -1, msg: 'not found' } }),
};

const TYPES = new Set(['alipay', 'wxpay', 'qqpay', 'usdt']);
const TYPE_NAMES: Record<string, string> = { alipay: '支付宝 Alipay', wxpay: '微信支付 WeChat Pay', qqpay: 'QQ钱包', usdt: 'USDT' };

const state = (ctx: Ctx): PaymentsState => ctx.sim.payments;
const fields = (ctx: Ctx): Record<string, string> => ({ ...ctx.query, ...(ctx.body && typeof ctx.body === 'object' ? (ctx.body as Record<string, string>) : {}) });

/** Checks a merchant's signed order and files its trade; an error message when it is refused. */
function openTrade(ctx: Ctx, p: Record<string, string>): EpayTrade | string {
  const s = state(ctx).epay;
  for (const k of ['pid', 'out_trade_no', 'notify_url', 'return_url', 'name', 'money', 'sign']) if (!p[k]) return `缺少参数 ${k} (missing ${k})`;
  if (p.pid !== s.pid) return '商户不存在 (unknown merchant)';
  if (!signOk(p, s.key)) return '签名校验失败 (signature check failed)';
  if (!/^\d+(\.\d{1,2})?$/.test(p.money) || Number(p.money) <= 0) return '金额不合法 (invalid money)';
  if (p.type && !TYPES.has(p.type)) return '支付方式不存在 (unknown type)';
  const existing = [...s.trades.values()].find((t) => t.pid === p.pid && t.out_trade_no === p.out_trade_no);
  if (existing) return existing.money === p.money && existing.notify_url === p.notify_url ? existing : '订单号重复 (out_trade_no already used)';
  const now = new Date();
  const stamp = now.toISOString().replace(/\D/g, '').slice(0, 14);
  const trade: EpayTrade = {
    trade_no: `${stamp}${String(s.trades.size + 1).padStart(5, '0')}`,
    pid: p.pid,
    out_trade_no: p.out_trade_no,
    type: p.type || 'alipay',
    name: p.name,
    money: p.money,
    notify_url: p.notify_url,
    return_url: p.return_url,
    param: p.param ?? '',
    status: 'pending',
    created: now.getTime(),
    paid_at: null,
  };
  s.trades.set(trade.trade_no, trade);
  return trade;
}

function cashier(trade: EpayTrade): Outcome {
  if (trade.status === 'paid') return htmlPage('订单已支付 Paid', facts([['订单号 Order', trade.out_trade_no], ['金额 Amount', `¥${trade.money}`]]));
  return htmlPage(
    '收银台 EPay cashier (simulated)',
    facts([
      ['商品 Product', trade.name],
      ['订单号 Order', trade.out_trade_no],
      ['支付方式 Method', TYPE_NAMES[trade.type] ?? trade.type],
      ['金额 Amount', `¥${trade.money}`],
    ]) +
      `<form method="post" action="/epay/pay/${esc(trade.trade_no)}"><button type="submit" data-testid="sim-pay">确认支付 Pay ¥${esc(trade.money)}</button></form>`,
  );
}

/** The notify (and return) fields of a paid trade, signed. `money` may differ from the order's (a test of a wrong amount). */
function notifyFields(s: PaymentsState['epay'], t: EpayTrade, money: string): Record<string, string> {
  const p: Record<string, string> = { pid: t.pid, trade_no: t.trade_no, out_trade_no: t.out_trade_no, type: t.type, name: t.name, money, trade_status: 'TRADE_SUCCESS' };
  if (t.param) p.param = t.param;
  return { ...p, sign: epaySign(p, s.key), sign_type: 'MD5' };
}

function withQuery(url: string, p: Record<string, string>): string {
  return `${url}${url.includes('?') ? '&' : '?'}${new URLSearchParams(p).toString()}`;
}

function submit(ctx: Ctx): Outcome {
  const t = openTrade(ctx, fields(ctx));
  if (typeof t === 'string') return htmlPage('支付失败 Payment refused', `<p data-testid="sim-error">${esc(t)}</p>`, 400);
  return cashier(t);
}

/** The payer pays on the cashier page. Form field `money` (simulator only) reports another amount as paid. */
function pay(ctx: Ctx): Outcome {
  const s = state(ctx);
  const t = s.epay.trades.get(ctx.params.trade);
  if (!t) return htmlPage('订单不存在 No such order', '', 404);
  const body = (ctx.body ?? {}) as Record<string, string>;
  const money = typeof body.money === 'string' && body.money ? body.money : t.money;
  const p = notifyFields(s.epay, t, money);
  if (t.status === 'pending') {
    t.status = 'paid';
    t.paid_at = Date.now();
    s.callbacks.add({ provider: 'epay', event: `${t.trade_no}:TRADE_SUCCESS`, type: 'TRADE_SUCCESS', method: 'GET', url: withQuery(t.notify_url, p), headers: { 'user-agent': 'EPay-Notify/1.0 (simulated)' }, body: '' });
  }
  // The browser goes back to the merchant with the same signed fields (display only for the merchant).
  return redirect(withQuery(t.return_url, p));
}

/** Server-to-server order: JSON with where to pay (a QR code link for WeChat Pay). */
function mapi(ctx: Ctx): Outcome {
  const p = fields(ctx);
  const t = openTrade(ctx, p);
  if (typeof t === 'string') return { kind: 'json', body: { code: -1, msg: t } };
  const payurl = `${ctx.sim.baseUrl(ctx.req)}/epay/cashier/${t.trade_no}`;
  return { kind: 'json', body: { code: 1, msg: 'success', trade_no: t.trade_no, ...(t.type === 'wxpay' ? { qrcode: `weixin://wxpay/bizpayurl?pr=${t.trade_no}`, payurl } : { payurl }) } };
}

/** `api.php?act=order&pid=&key=&out_trade_no=`: the merchant asks for an order's state. */
function query(ctx: Ctx): Outcome {
  const s = state(ctx).epay;
  const p = fields(ctx);
  if (p.act !== 'order') return { kind: 'json', body: { code: -1, msg: 'unknown act' } };
  if (p.pid !== s.pid || p.key !== s.key) return { kind: 'json', body: { code: -1, msg: '商户ID或密钥错误 (wrong merchant id or key)' } };
  const t = [...s.trades.values()].find((x) => x.out_trade_no === p.out_trade_no || x.trade_no === p.trade_no);
  if (!t) return { kind: 'json', body: { code: -1, msg: '订单号不存在 (no such order)' } };
  return {
    kind: 'json',
    body: { code: 1, msg: 'succ', trade_no: t.trade_no, out_trade_no: t.out_trade_no, type: t.type, pid: t.pid, name: t.name, money: t.money, status: t.status === 'paid' ? 1 : 0, param: t.param, addtime: new Date(t.created).toISOString(), endtime: t.paid_at ? new Date(t.paid_at).toISOString() : null },
  };
}

export const epayRoutes: Route[] = [
  { method: 'GET', pattern: /^\/submit\.php$/, dialect: epayDialect, handle: submit },
  { method: 'POST', pattern: /^\/submit\.php$/, dialect: epayDialect, handle: submit },
  { method: 'POST', pattern: /^\/mapi\.php$/, dialect: epayDialect, handle: mapi },
  { method: 'GET', pattern: /^\/api\.php$/, dialect: epayDialect, handle: query },
  {
    method: 'GET',
    pattern: /^\/epay\/cashier\/(?<trade>\w+)$/,
    dialect: epayDialect,
    handle: (ctx) => {
      const t = state(ctx).epay.trades.get(ctx.params.trade);
      return t ? cashier(t) : htmlPage('订单不存在 No such order', '', 404);
    },
  },
  { method: 'POST', pattern: /^\/epay\/pay\/(?<trade>\w+)$/, dialect: epayDialect, handle: pay },
];
