import { formatMinor, toMinor } from '../money.js';
import { CallbackRejected, type Checkout, type CheckoutOrder, type InboundCallback, type PaymentNotice, type PaymentProvider } from '../types.js';
import { alipayTime, privateKeyFrom, publicKeyFrom, rsa2Sign, rsa2Verify } from './sign.js';

/**
 * Alipay open platform as a direct merchant (电脑网站支付, `alipay.trade.page.pay`): the payer's
 * browser is sent to Alipay's gateway with the order signed RSA2 by the app's private key; Alipay
 * posts the async notify (a form, RSA2-signed by Alipay) to `notify_url` and delivers it again until
 * the body is the literal `success`. Only `TRADE_SUCCESS` and `TRADE_FINISHED` are payments.
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

export function createAlipay(o: AlipayOptions): PaymentProvider {
  // Parsed once, at start: a key that does not parse stops the start with the reason.
  const appKey = privateKeyFrom(o.privateKey);
  const alipayKey = publicKeyFrom(o.alipayPublicKey);
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
      const base = { eventId: `${p.trade_no}:${p.trade_status}`, type: p.trade_status, detail: p };
      if (!PAID.has(p.trade_status)) return { ...base, kind: 'ignored', orderId: p.out_trade_no };
      return { ...base, kind: 'paid', orderId: p.out_trade_no, tradeNo: p.trade_no, providerRef: null, amount: toMinor(p.total_amount, 'cny'), currency: 'cny', method: 'alipay' };
    },

    reply(outcome) {
      // Anything but `success` makes Alipay deliver the notify again (about 8 times over 25 hours).
      if (outcome === 'ok') return { status: 200, contentType: 'text/plain; charset=utf-8', body: 'success' };
      return { status: outcome === 'rejected' ? 400 : 500, contentType: 'text/plain; charset=utf-8', body: 'fail' };
    },
  };
}
