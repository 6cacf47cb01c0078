import { epaySigned, epayVerify } from './sign.js';
import { GatewayError } from '../../core/errors.js';
import { formatMinor, toMinor } from '../money.js';
import { CallbackRejected, type Checkout, type CheckoutOrder, type InboundCallback, type PaymentNotice, type PaymentProvider } from '../types.js';

/**
 * EPay / 易支付 aggregators (彩虹易支付 and the forks new-api speaks): one merchant id (`pid`) and MD5
 * key reach Alipay and WeChat Pay. The payer's browser is sent to `submit.php` with the signed
 * order; the aggregator calls `notify_url` (GET on most deployments, a POST form on some) with the
 * signed result and expects the literal body `success`, else it retries.
 */
export interface EpayOptions {
  /** The aggregator's base URL (`https://pay.example.com`); `submit.php` is under it. */
  url: string;
  pid: string;
  key: string;
  methods: readonly string[];
  pointsPerUnit: number;
}

export const EPAY_SUCCESS = 'TRADE_SUCCESS';

export function createEpay(o: EpayOptions): PaymentProvider {
  const base = o.url.replace(/\/+$/, '');
  return {
    id: 'epay',
    currency: 'cny',
    methods: o.methods,
    pointsPerUnit: o.pointsPerUnit,

    async checkout(order: CheckoutOrder): Promise<Checkout> {
      const params = epaySigned(
        {
          pid: o.pid,
          type: order.method,
          out_trade_no: order.id,
          notify_url: order.notifyUrl,
          return_url: order.returnUrl,
          // Aggregators cut the product name at about 127 bytes.
          name: order.title.slice(0, 60),
          money: formatMinor(order.amount, 'cny'),
        },
        o.key,
      );
      // A GET of submit.php with the signed fields is the page-jump payment (the browser may POST the same form).
      return { payUrl: `${base}/submit.php?${new URLSearchParams(params).toString()}`, providerRef: null };
    },

    verify(cb: InboundCallback): PaymentNotice {
      const p = notifyParams(cb);
      for (const k of ['pid', 'trade_no', 'out_trade_no', 'money', 'trade_status', 'sign'])
        if (!p[k]) throw new CallbackRejected(`the notify lacks ${k}`);
      if (!epayVerify(p, o.key)) throw new CallbackRejected('the MD5 signature does not match');
      // Signed with our key but for another merchant id: not ours to believe.
      if (p.pid !== o.pid) throw new CallbackRejected(`the notify is for merchant ${p.pid}, not ours`);
      return tradeNotice({ trade_no: p.trade_no, out_trade_no: p.out_trade_no, money: p.money, type: p.type, trade_status: p.trade_status }, p);
    },

    async query(order) {
      // `api.php?act=order` (provider-protocols §16.1, "active confirmation"): the merchant key goes
      // in the query string, as the aggregators define it (their API is served over HTTPS).
      const url = `${base}/api.php?${new URLSearchParams({ act: 'order', pid: o.pid, key: o.key, out_trade_no: order.id }).toString()}`;
      let res: Response;
      try {
        res = await fetch(url, { signal: AbortSignal.timeout(20_000) });
      } catch (err) {
        throw new GatewayError('upstream', 'EPay could not be reached to look up the payment.', { code: 'payment_provider_unreachable', cause: err });
      }
      let a: { code?: unknown; msg?: unknown; trade_no?: unknown; out_trade_no?: unknown; money?: unknown; type?: unknown; status?: unknown; pid?: unknown };
      try {
        a = JSON.parse(await res.text()) as typeof a;
      } catch {
        throw new GatewayError('upstream', `EPay answered the order lookup with something that is not JSON (HTTP ${res.status}).`, { code: 'payment_provider_error' });
      }
      // Forks answer code 1 (most) or 200 for success; an order it does not know is not paid.
      if (String(a.code) !== '1' && String(a.code) !== '200') {
        // \u4e0d\u5b58\u5728 is 不存在 ("does not exist"), escaped: scripts/bundle.mjs keeps the bundle ASCII.
        if (/\u4e0d\u5b58\u5728|not exist|no such/i.test(String(a.msg ?? ''))) return null;
        throw new GatewayError('upstream', `EPay refused the order lookup${typeof a.msg === 'string' ? `: ${a.msg}` : ''}.`, { code: 'payment_provider_error' });
      }
      if (String(a.out_trade_no) !== order.id || (a.pid !== undefined && String(a.pid) !== o.pid))
        throw new GatewayError('upstream', `EPay answered the lookup of order ${order.id} about another order.`, { code: 'payment_provider_error' });
      // status 1: paid. The answer carries no signature, but it came over our own request with our key.
      if (String(a.status) !== '1') return null;
      const t = { trade_no: String(a.trade_no ?? ''), out_trade_no: order.id, money: String(a.money ?? ''), type: String(a.type ?? ''), trade_status: EPAY_SUCCESS };
      if (!t.trade_no || !t.money) throw new GatewayError('upstream', 'EPay answered the order lookup without a trade number or amount.', { code: 'payment_provider_error' });
      return tradeNotice(t, a);
    },

    reply(outcome) {
      // Anything but the literal `success` makes the aggregator deliver the notify again.
      if (outcome === 'ok') return { status: 200, contentType: 'text/plain; charset=utf-8', body: 'success' };
      return { status: outcome === 'rejected' ? 400 : 500, contentType: 'text/plain; charset=utf-8', body: 'fail' };
    },
  };
}

/**
 * What a trade says about its order, from a notify or a lookup: the same event id either way (the
 * trade and its status), so a notify arriving after a lookup credited the order is a duplicate.
 */
function tradeNotice(p: { trade_no: string; out_trade_no: string; money: string; type: string; trade_status: string }, detail: unknown): PaymentNotice {
  const base = { eventId: `${p.trade_no}:${p.trade_status}`, type: p.trade_status, detail };
  if (p.trade_status !== EPAY_SUCCESS) return { ...base, kind: 'ignored', orderId: p.out_trade_no };
  return { ...base, kind: 'paid', orderId: p.out_trade_no, tradeNo: p.trade_no, providerRef: null, amount: toMinor(p.money, 'cny'), currency: 'cny', method: p.type || null };
}

/** GET notifies carry the fields in the query, POST ones in a form body (new-api reads both). */
function notifyParams(cb: InboundCallback): Record<string, string> {
  if (cb.method === 'POST' && cb.body.length > 0) return Object.fromEntries(new URLSearchParams(cb.body.toString('utf8')));
  return { ...cb.query };
}
