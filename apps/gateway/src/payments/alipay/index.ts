import { createVerify, type KeyObject } from 'node:crypto';
import { GatewayError } from '../../core/errors.js';
import { formatMinor, toMinor } from '../money.js';
import { CallbackRejected, type Checkout, type CheckoutOrder, type InboundCallback, type OrderQuery, type PaymentNotice, type PaymentProvider, type RefundRequest } from '../types.js';
import { alipayTime, privateKeyFrom, publicKeyFrom, rsa2Sign, rsa2Verify } from './sign.js';

/**
 * Alipay open platform as a direct merchant (电脑网站支付, `alipay.trade.page.pay`): the payer's
 * browser is sent to Alipay's gateway with the order signed RSA2 by the app's private key; Alipay
 * posts the async notify (a form, RSA2-signed by Alipay) to `notify_url` and delivers it again until
 * the body is the literal `success`. Only `TRADE_SUCCESS` and `TRADE_FINISHED` are payments. A lost
 * notify is made up for by asking (`alipay.trade.query`, signed like the order, to the same gateway),
 * answered with the trade's fields signed by Alipay over the exact text of the response object.
 * A refund (made in the merchant platform, or by any other tool of the merchant's) is notified to the
 * same notify_url: the trade's notify again, with `refund_fee` — the payment's refunds so far, in
 * yuan — while its status stays TRADE_SUCCESS, or becomes TRADE_CLOSED once all is refunded. Its
 * credit is taken back in proportion (payments/reversal.ts), once per refund.
 */
export interface AlipayOptions {
  /** The gateway (`https://openapi.alipay.com/gateway.do`; the sandbox's, or a simulator's). */
  gatewayUrl: string;
  appId: string;
  /** The app's private key (PEM or bare base64 PKCS#8): signs orders. */
  privateKey: string;
  /** Alipay's public key (PEM or bare base64): verifies notifies. */
  alipayPublicKey: string;
  pointsPerUnit: number;
}

const PAID = new Set(['TRADE_SUCCESS', 'TRADE_FINISHED']);
const QUERY = 'alipay.trade.query';
const REFUND = 'alipay.trade.refund';
/** The member of the query's answer that holds the trade (and that Alipay's signature covers). */
const QUERY_RESPONSE = 'alipay_trade_query_response';

/** The fields of a trade that say what became of its payment, as a notify and a query's answer both name them. */
interface TradeFields {
  out_trade_no: string;
  trade_no: string;
  trade_status: string;
  total_amount: string;
}

/**
 * What a trade says about its order, read the same way from a notify and from a query's answer. The
 * event id is Alipay's number of the trade and its status, so whichever of the two comes second is
 * a duplicate. `detail` is what was received, for the audit.
 */
function tradeNotice(t: TradeFields, detail: unknown): PaymentNotice {
  const base = { eventId: `${t.trade_no}:${t.trade_status}`, type: t.trade_status, detail };
  if (!PAID.has(t.trade_status)) return { ...base, kind: 'ignored', orderId: t.out_trade_no };
  return { ...base, kind: 'paid', orderId: t.out_trade_no, tradeNo: t.trade_no, providerRef: null, amount: toMinor(t.total_amount, 'cny'), currency: 'cny', method: 'alipay' };
}

/**
 * A refund's notify: `refund_fee` is all the payment's money refunded so far (a running total), so
 * the event id is the trade's number and that total — a re-delivery is a duplicate, and each refund,
 * raising the total, is an event of its own.
 */
function refundNotice(p: Record<string, string>): PaymentNotice {
  const total = toMinor(p.refund_fee, 'cny');
  // In fen: `3`, `3.0` and `3.00` are one total.
  const base = { eventId: `${p.trade_no}:refund:${total ?? p.refund_fee}`, type: p.trade_status, detail: p };
  if (total === null || total <= 0) return { ...base, kind: 'ignored', orderId: p.out_trade_no };
  return { ...base, kind: 'reversed', orderId: p.out_trade_no, tradeNo: p.trade_no, amount: total, runningTotal: true, currency: 'cny', reason: 'refund' };
}

/**
 * The top-level members of a JSON object, each as the exact text of its value: Alipay signs the
 * text of its response object as it sent it, which re-serializing could change (escapes, spacing,
 * number forms). Null when the text is not a JSON object, or names a member twice (which of the two
 * would be the signed one is then a guess).
 */
export function jsonMembers(text: string): Map<string, string> | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return null;
  // Valid JSON from here on: only strings and nesting need to be followed to find a value's end.
  const members = new Map<string, string>();
  const skipSpace = (i: number) => {
    while (/\s/.test(text[i] ?? '')) i++;
    return i;
  };
  /** The index just past the string that starts at `i`. */
  const stringEnd = (i: number) => {
    for (i++; text[i] !== '"'; i++) if (text[i] === '\\') i++;
    return i + 1;
  };
  let i = skipSpace(0) + 1; // past `{`
  for (;;) {
    i = skipSpace(i);
    if (text[i] === '}') return members;
    const keyEnd = stringEnd(i);
    const key = JSON.parse(text.slice(i, keyEnd)) as string;
    i = skipSpace(skipSpace(keyEnd) + 1); // past `:`
    const start = i;
    for (let depth = 0; ; ) {
      const c = text[i];
      if (c === '"') {
        i = stringEnd(i);
        continue;
      }
      if (depth === 0 && (c === ',' || c === '}')) break;
      if (c === '{' || c === '[') depth++;
      else if (c === '}' || c === ']') depth--;
      i++;
    }
    if (members.has(key)) return null;
    members.set(key, text.slice(start, i).trimEnd());
    if (text[i] === ',') i++;
  }
}

/** Verifies Alipay's RSA2 signature of an answer's text; false for a missing or malformed one. */
function answerVerifies(text: string, sign: unknown, key: KeyObject): boolean {
  if (typeof sign !== 'string' || !/^[A-Za-z0-9+/=]+$/.test(sign)) return false;
  return createVerify('RSA-SHA256').update(text, 'utf8').verify(key, sign, 'base64');
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** How Alipay words a refusal: `code msg: sub_code sub_msg`. */
const said = (r: Record<string, unknown>): string => `${str(r.code) || 'no code'} ${str(r.msg)}${r.sub_code ? `: ${str(r.sub_code)} ${str(r.sub_msg)}` : ''}`.trim();

/** One answer of Alipay's gateway: its HTTP status, the method's response object, and whether Alipay's signature covers it. */
interface ApiAnswer {
  status: number;
  httpOk: boolean;
  /** `<method>_response` (or `error_response` when Alipay could not read the request), or null. */
  response: Record<string, unknown> | null;
  /** The response object is `<method>_response` and Alipay's RSA2 signature over its exact text verifies. */
  authentic: boolean;
}

export function createAlipay(o: AlipayOptions): PaymentProvider {
  // Parsed once, at start: a key that does not parse stops the start with the reason.
  const appKey = privateKeyFrom(o.privateKey);
  const alipayKey = publicKeyFrom(o.alipayPublicKey);

  /**
   * One server call of Alipay's gateway, signed like an order (RSA2 with the app's key) and sent as
   * Alipay's SDKs send it: the common parameters in the URL, biz_content in the form body. Throws
   * `payment_provider_unreachable` when Alipay cannot be reached (`purpose` says for what).
   */
  async function call(method: string, biz: Record<string, unknown>, purpose: string): Promise<ApiAnswer> {
    const params: Record<string, string> = {
      app_id: o.appId,
      method,
      format: 'JSON',
      charset: 'utf-8',
      sign_type: 'RSA2',
      timestamp: alipayTime(Date.now()),
      version: '1.0',
      biz_content: JSON.stringify(biz),
    };
    params.sign = rsa2Sign(params, appKey);
    const { biz_content, ...common } = params;
    const url = new URL(o.gatewayUrl);
    for (const [k, v] of Object.entries(common)) url.searchParams.set(k, v);
    let res: Response;
    let text: string;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded;charset=utf-8', accept: 'application/json' },
        body: new URLSearchParams({ biz_content }).toString(),
        signal: AbortSignal.timeout(20_000),
      });
      text = await res.text();
    } catch (err) {
      throw new GatewayError('upstream', `Alipay could not be reached to ${purpose}.`, { code: 'payment_provider_unreachable', cause: err });
    }
    const name = `${method.replace(/\./g, '_')}_response`;
    const members = res.ok ? jsonMembers(text) : null;
    // Alipay names the answer after the method, or `error_response` when it could not read one.
    const raw = members?.get(name) ?? members?.get('error_response');
    const parsed: unknown = raw === undefined ? null : JSON.parse(raw);
    const response = parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : null;
    const authentic = response !== null && members!.has(name) && answerVerifies(raw!, members!.has('sign') ? JSON.parse(members!.get('sign')!) : undefined, alipayKey);
    return { status: res.status, httpOk: res.ok, response, authentic };
  }

  return {
    id: 'alipay',
    currency: 'cny',
    methods: ['alipay'],
    pointsPerUnit: o.pointsPerUnit,

    async checkout(order: CheckoutOrder): Promise<Checkout> {
      const minutes = Math.max(1, Math.round((order.expiresAt - Date.now()) / 60_000));
      const params: Record<string, string> = {
        app_id: o.appId,
        method: 'alipay.trade.page.pay',
        format: 'JSON',
        charset: 'utf-8',
        sign_type: 'RSA2',
        timestamp: alipayTime(Date.now()),
        version: '1.0',
        notify_url: order.notifyUrl,
        return_url: order.returnUrl,
        biz_content: JSON.stringify({
          out_trade_no: order.id,
          total_amount: formatMinor(order.amount, 'cny'),
          subject: order.title.slice(0, 120),
          product_code: 'FAST_INSTANT_TRADE_PAY',
          timeout_express: `${minutes}m`,
        }),
      };
      params.sign = rsa2Sign(params, appKey);
      // The page-pay request is a browser GET of the gateway with the signed parameters.
      return { payUrl: `${o.gatewayUrl}?${new URLSearchParams(params).toString()}`, providerRef: null };
    },

    verify(cb: InboundCallback): PaymentNotice {
      if (cb.method !== 'POST') throw new CallbackRejected('Alipay notifies are form POSTs');
      const p = Object.fromEntries(new URLSearchParams(cb.body.toString('utf8')));
      for (const k of ['app_id', 'out_trade_no', 'trade_no', 'trade_status', 'total_amount', 'sign']) if (!p[k]) throw new CallbackRejected(`the notify lacks ${k}`);
      if (!rsa2Verify(p, alipayKey)) throw new CallbackRejected('the RSA2 signature does not verify with the Alipay public key');
      // Signed by Alipay, but for another app: not a payment to us.
      if (p.app_id !== o.appId) throw new CallbackRejected(`the notify is for app ${p.app_id}, not ours`);
      if (p.refund_fee) return refundNotice(p);
      return tradeNotice({ out_trade_no: p.out_trade_no, trade_no: p.trade_no, trade_status: p.trade_status, total_amount: p.total_amount }, p);
    },

    async query(order: OrderQuery): Promise<PaymentNotice | null> {
      const refused = (why: string) => new GatewayError('upstream', `Alipay refused to look up the payment (${why}).`, { code: 'payment_provider_error' });
      const a = await call(QUERY, { out_trade_no: order.id }, 'look up the payment');
      if (!a.response) throw refused(`HTTP ${a.status}${a.httpOk ? ', not an answer to alipay.trade.query' : ''}`);
      const r = a.response;
      const code = str(r.code);
      const notExist = code === '40004' && r.sub_code === 'ACQ.TRADE_NOT_EXIST';
      // Any other failure: nothing in it is acted on, so it is reported whether signed or not (a
      // refusal of the request itself, such as a signature Alipay does not accept, may come unsigned).
      if (code !== '10000' && !notExist) throw refused(said(r));
      // What is acted on is believed only signed by Alipay, as a notify is: over the exact text.
      if (!a.authentic) throw new GatewayError('upstream', "Alipay's answer to the payment lookup is not authentic (the RSA2 signature does not verify with the Alipay public key).", { code: 'payment_provider_error' });
      // An order Alipay never saw (or whose payer has not yet reached its cashier) has no payment.
      if (notExist) return null;
      const t: TradeFields = { out_trade_no: str(r.out_trade_no), trade_no: str(r.trade_no), trade_status: str(r.trade_status), total_amount: str(r.total_amount) };
      if (t.out_trade_no !== order.id) throw new GatewayError('upstream', `Alipay answered the lookup of order ${order.id} with another's trade (${t.out_trade_no || 'no out_trade_no'}).`, { code: 'payment_provider_error' });
      if (t.trade_status === 'WAIT_BUYER_PAY') return null;
      // Without the trade's number and status its event id could not be the notify's.
      const lacking = (['trade_no', 'trade_status', 'total_amount'] as const).find((k) => !t[k]);
      if (lacking) throw new GatewayError('upstream', `Alipay answered the lookup of order ${order.id} without the trade's ${lacking}.`, { code: 'payment_provider_error' });
      return tradeNotice(t, { [QUERY_RESPONSE]: r });
    },

    async refund(req: RefundRequest): Promise<{ ref: string }> {
      // out_request_no names the refund: the same one again is that refund (fund_change N), never a second.
      const a = await call(REFUND, { trade_no: req.tradeNo, out_request_no: req.key, refund_amount: formatMinor(req.amount, 'cny'), refund_reason: `APIGPT refund of ${req.orderId}` }, 'return the money');
      if (!a.response) throw new GatewayError('upstream', `Alipay refused the refund (HTTP ${a.status}${a.httpOk ? ', not an answer to alipay.trade.refund' : ''}).`, { code: a.status >= 500 ? 'payment_provider_busy' : 'payment_provider_error' });
      const r = a.response;
      const code = str(r.code);
      // 20000 (the service is unavailable) and ACQ.SYSTEM_ERROR: Alipay asks for the same request
      // again, and the same out_request_no can never refund twice, so the debt waits for the next attempt.
      if (code === '20000' || r.sub_code === 'ACQ.SYSTEM_ERROR') throw new GatewayError('upstream', `Alipay refused the refund for now (${said(r)}).`, { code: 'payment_provider_busy' });
      // A refusal returns no money: reported whether signed or not, as its SDKs read it.
      if (code !== '10000') throw new GatewayError('upstream', `Alipay refused the refund (${said(r)}).`, { code: 'payment_provider_error' });
      if (!a.authentic) throw new GatewayError('upstream', "Alipay's answer to the refund is not authentic (the RSA2 signature does not verify with the Alipay public key).", { code: 'payment_provider_error' });
      if (str(r.trade_no) !== req.tradeNo) throw new GatewayError('upstream', `Alipay answered the refund of trade ${req.tradeNo} with another trade (${str(r.trade_no) || 'no trade_no'}).`, { code: 'payment_provider_error' });
      return { ref: req.tradeNo };
    },

    reply(outcome) {
      // Anything but `success` makes Alipay deliver the notify again (about 8 times over 25 hours).
      if (outcome === 'ok') return { status: 200, contentType: 'text/plain; charset=utf-8', body: 'success' };
      return { status: outcome === 'rejected' ? 400 : 500, contentType: 'text/plain; charset=utf-8', body: 'fail' };
    },
  };
}
