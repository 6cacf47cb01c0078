import { createPrivateKey, type KeyObject } from 'node:crypto';
import { GatewayError } from '../../core/errors.js';
import { CallbackRejected, type Checkout, type CheckoutOrder, type InboundCallback, type PaymentNotice, type PaymentProvider } from '../types.js';
import { authorization, decryptResource, platformKeyFrom, responseMessage, rsaVerify, wechatTime } from './sign.js';

/**
 * WeChat Pay API v3 as a direct merchant, Native pay (扫码支付, `POST /v3/pay/transactions/native`):
 * the order is created server to server with a signed request and answered with a `code_url`
 * (`weixin://wxpay/bizpayurl?pr=…`) the console shows as a QR code for the payer's phone. WeChat
 * Pay then posts the result to `notify_url`: JSON whose `resource` is encrypted with the APIv3 key,
 * signed in the `Wechatpay-*` headers with the platform certificate's (or WeChat Pay public) key.
 * It is delivered again until answered 2xx. Only `trade_state` `SUCCESS` is a payment.
 */
export interface WechatPayOptions {
  /** The API host (`https://api.mch.weixin.qq.com`, or a simulator's). */
  apiUrl: string;
  mchId: string;
  /** The AppID the merchant is bound to (a service account's, a mini program's…). */
  appId: string;
  /** The merchant API certificate's serial number: names the key that signs our requests. */
  serialNo: string;
  /** The merchant API private key (PEM, PKCS#8 as WeChat Pay's tool writes `apiclient_key.pem`). */
  privateKey: string;
  /** The 32-character APIv3 key set in the merchant platform: decrypts callbacks. */
  apiV3Key: string;
  /** The platform certificate or WeChat Pay public key (PEM or bare base64): verifies answers and callbacks. */
  platformKey: string;
  /** Its serial (certificate serial, or the public key's `PUB_KEY_ID_…`): a signature naming another is refused. */
  platformSerial: string;
  pointsPerUnit: number;
  /** How old a signed callback may be: older ones are replays (WeChat Pay suggests 5 minutes). */
  toleranceSec: number;
  now?: () => number;
}

const NATIVE_PATH = '/v3/pay/transactions/native';

interface Transaction {
  appid?: unknown;
  mchid?: unknown;
  out_trade_no?: unknown;
  transaction_id?: unknown;
  trade_type?: unknown;
  trade_state?: unknown;
  amount?: { total?: unknown; payer_total?: unknown; currency?: unknown } | null;
}

export function createWechatPay(o: WechatPayOptions): PaymentProvider {
  // Parsed once, at start: a key that does not parse stops the start with the reason.
  const merchantKey: KeyObject = createPrivateKey(o.privateKey.replace(/\\n/g, '\n'));
  const platformKey = platformKeyFrom(o.platformKey);
  if (Buffer.byteLength(o.apiV3Key, 'utf8') !== 32) throw new Error('The WeChat Pay APIv3 key must be 32 characters (AES-256).');
  const now = o.now ?? Date.now;
  const api = o.apiUrl.replace(/\/+$/, '');

  /** Checks a `Wechatpay-*` signed message (an answer or a callback): serial, age, signature. */
  function authentic(headers: Record<string, string | undefined>, body: string): string | null {
    const ts = headers['wechatpay-timestamp'];
    const nonce = headers['wechatpay-nonce'];
    const signature = headers['wechatpay-signature'];
    const serial = headers['wechatpay-serial'];
    if (!ts || !nonce || !signature || !serial) return 'the Wechatpay-Timestamp, -Nonce, -Signature and -Serial headers are required';
    // A serial we do not hold names a key we cannot check with: not believed (a rotated
    // certificate is configured before WeChat Pay starts using it).
    if (serial !== o.platformSerial) return `signed with ${serial}, not the platform key ${o.platformSerial}`;
    if (!/^\d{1,12}$/.test(ts) || Math.abs(now() / 1000 - Number(ts)) > o.toleranceSec) return `the signature's timestamp ${ts} is outside the ${o.toleranceSec} s tolerance (a replay, or a clock far off)`;
    if (!rsaVerify(responseMessage(ts, nonce, body), signature, platformKey)) return 'the signature does not verify with the WeChat Pay platform key';
    return null;
  }

  return {
    id: 'wechatpay',
    currency: 'cny',
    methods: ['wxpay'],
    pointsPerUnit: o.pointsPerUnit,

    async checkout(order: CheckoutOrder): Promise<Checkout> {
      const body = JSON.stringify({
        appid: o.appId,
        mchid: o.mchId,
        description: order.title.slice(0, 127),
        out_trade_no: order.id,
        time_expire: wechatTime(order.expiresAt),
        notify_url: order.notifyUrl,
        amount: { total: order.amount, currency: 'CNY' },
      });
      let res: Response;
      try {
        res = await fetch(`${api}${NATIVE_PATH}`, {
          method: 'POST',
          headers: {
            authorization: authorization({ mchId: o.mchId, serialNo: o.serialNo, key: merchantKey, method: 'POST', pathAndQuery: NATIVE_PATH, body }),
            accept: 'application/json',
            'content-type': 'application/json',
            'user-agent': 'APIGPT-gateway',
          },
          body,
          signal: AbortSignal.timeout(20_000),
        });
      } catch (err) {
        throw new GatewayError('upstream', 'WeChat Pay could not be reached to start the payment. Try again in a moment.', { code: 'payment_provider_unreachable', cause: err });
      }
      const text = await res.text();
      let json: { code_url?: unknown; code?: unknown; message?: unknown } = {};
      try {
        json = JSON.parse(text) as typeof json;
      } catch {
        // reported below
      }
      if (!res.ok || typeof json.code_url !== 'string') {
        const said = typeof json.code === 'string' ? `: ${json.code}${typeof json.message === 'string' ? ` ${json.message}` : ''}` : '';
        throw new GatewayError('upstream', `WeChat Pay refused to start the payment (HTTP ${res.status}${said}).`, { code: 'payment_provider_error' });
      }
      // The answer is signed too: a code_url from anyone else would send the payer elsewhere.
      const wrong = authentic(Object.fromEntries(res.headers), text);
      if (wrong) throw new GatewayError('upstream', `WeChat Pay's answer is not authentic (${wrong}).`, { code: 'payment_provider_error' });
      return { payUrl: json.code_url, providerRef: null };
    },

    verify(cb: InboundCallback): PaymentNotice {
      if (cb.method !== 'POST') throw new CallbackRejected('WeChat Pay callbacks are JSON POSTs');
      const raw = cb.body.toString('utf8');
      const wrong = authentic(cb.headers, raw);
      if (wrong) throw new CallbackRejected(wrong);
      let event: { id?: unknown; event_type?: unknown; resource_type?: unknown; resource?: { algorithm?: unknown; ciphertext?: unknown; nonce?: unknown; associated_data?: unknown; original_type?: unknown } };
      try {
        event = JSON.parse(raw) as typeof event;
      } catch {
        throw new CallbackRejected('the body is not JSON');
      }
      const r = event.resource;
      if (!r || r.algorithm !== 'AEAD_AES_256_GCM' || typeof r.ciphertext !== 'string' || typeof r.nonce !== 'string') throw new CallbackRejected('the resource is not an AEAD_AES_256_GCM one');
      let tx: Transaction;
      try {
        tx = JSON.parse(decryptResource(o.apiV3Key, { ciphertext: r.ciphertext, nonce: r.nonce, associated_data: typeof r.associated_data === 'string' ? r.associated_data : '' })) as Transaction;
      } catch {
        // Signed by WeChat Pay, yet not sealed with our key: not for this merchant.
        throw new CallbackRejected('the resource does not decrypt with our APIv3 key');
      }
      if (tx.mchid !== o.mchId) throw new CallbackRejected(`the payment is for merchant ${String(tx.mchid)}, not ours`);
      if (tx.appid !== o.appId) throw new CallbackRejected(`the payment is for AppID ${String(tx.appid)}, not ours`);
      const orderId = typeof tx.out_trade_no === 'string' ? tx.out_trade_no : null;
      const tradeNo = typeof tx.transaction_id === 'string' ? tx.transaction_id : '';
      const state = typeof tx.trade_state === 'string' ? tx.trade_state : '';
      // The plaintext, not the ciphertext, is what the audit keeps (no key in it, and nothing secret).
      const base = { eventId: `${tradeNo || String(event.id)}:${state}`, type: String(event.event_type ?? state), detail: { id: event.id, event_type: event.event_type, transaction: tx } };
      if (state !== 'SUCCESS' || !orderId) return { ...base, kind: 'ignored', orderId };
      const total = typeof tx.amount?.total === 'number' && Number.isSafeInteger(tx.amount.total) ? tx.amount.total : null;
      const currency = typeof tx.amount?.currency === 'string' ? tx.amount.currency.toLowerCase() : '';
      return { ...base, kind: 'paid', orderId, tradeNo, providerRef: null, amount: total, currency, method: 'wxpay' };
    },

    reply(outcome, message) {
      // 2xx (no body needed) stops the deliveries; anything else makes WeChat Pay deliver again.
      if (outcome === 'ok') return { status: 204, contentType: 'application/json', body: '' };
      return { status: outcome === 'rejected' ? 401 : 500, contentType: 'application/json', body: JSON.stringify({ code: 'FAIL', message: message ?? (outcome === 'rejected' ? 'not authentic' : 'try again') }) };
    },
  };
}
