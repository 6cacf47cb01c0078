import { createPrivateKey, type KeyObject } from 'node:crypto';
import { GatewayError } from '../../core/errors.js';
import { CallbackRejected, type Checkout, type CheckoutOrder, type InboundCallback, type OrderQuery, type PaymentNotice, type PaymentProvider, type RefundRequest } from '../types.js';
import { authorization, decryptResource, platformKeyFrom, responseMessage, rsaVerify, wechatTime } from './sign.js';

/**
 * WeChat Pay API v3 as a direct merchant, Native pay (扫码支付, `POST /v3/pay/transactions/native`):
 * the order is created server to server with a signed request and answered with a `code_url`
 * (`weixin://wxpay/bizpayurl?pr=…`) the console shows as a QR code for the payer's phone. WeChat
 * Pay then posts the result to `notify_url`: JSON whose `resource` is encrypted with the APIv3 key,
 * signed in the `Wechatpay-*` headers with the platform certificate's (or WeChat Pay public) key.
 * It is delivered again until answered 2xx. Only `trade_state` `SUCCESS` is a payment. A lost
 * callback is made up for by asking (查询订单, `GET /v3/pay/transactions/out-trade-no/{no}?mchid=`,
 * signed like the order, answered with the same transaction in clear and signed like every answer).
 * An admin's refund returns the money through 申请退款 (`POST /v3/refund/domestic/refunds`, signed
 * like the order): the payment's `transaction_id`, our `out_refund_no` (the same for every attempt
 * of one refund, so that WeChat Pay answers a repeated request with the refund it already made), the
 * amount and the payment's total in fen; answered with the refund, signed like every answer.
 * Every refund — the admin's, and one made in the merchant platform — is notified to the refund
 * address set in the merchant platform (退款结果通知, the same callback URL as payments): the same
 * envelope, its `resource` the refund (`original_type` `refund`). `REFUND.SUCCESS` is money gone back
 * to the payer, and its credit is taken back (payments/reversal.ts), once per refund.
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
const QUERY_PATH = '/v3/pay/transactions/out-trade-no/';
const REFUND_PATH = '/v3/refund/domestic/refunds';
/** A refund's `status`es that mean WeChat Pay took it: returned, or on its way to the payer. */
const REFUND_TAKEN = new Set(['SUCCESS', 'PROCESSING']);
/** `trade_state`s of an order the payer has not paid (yet): nothing to settle. */
const UNPAID = new Set(['NOTPAY', 'USERPAYING']);

interface Transaction {
  appid?: unknown;
  mchid?: unknown;
  out_trade_no?: unknown;
  transaction_id?: unknown;
  trade_type?: unknown;
  trade_state?: unknown;
  amount?: { total?: unknown; payer_total?: unknown; currency?: unknown } | null;
}

/** A refund as its notification carries it (退款结果通知, decrypted). */
interface Refund {
  mchid?: unknown;
  out_trade_no?: unknown;
  transaction_id?: unknown;
  refund_id?: unknown;
  out_refund_no?: unknown;
  refund_status?: unknown;
  amount?: { total?: unknown; refund?: unknown; payer_refund?: unknown } | null;
}

/**
 * What a refund's notification says: `SUCCESS` is money of the payment (`transaction_id`, the
 * `paid` notice's number) back with the payer — `amount.refund` fen of it, this refund's alone — so
 * its credit is taken back; ABNORMAL (the payer's account could not take it) and CLOSED returned
 * nothing. The event id is the refund's own number and its status: a re-delivery is a duplicate.
 */
function refundNotice(r: Refund, n: { fallbackId: string; type: string; detail: unknown }): PaymentNotice {
  const refundId = typeof r.refund_id === 'string' && r.refund_id ? r.refund_id : n.fallbackId;
  const status = typeof r.refund_status === 'string' ? r.refund_status : '';
  const base = { eventId: `refund:${refundId}:${status}`, type: n.type, detail: n.detail };
  const orderId = typeof r.out_trade_no === 'string' ? r.out_trade_no : null;
  const tradeNo = typeof r.transaction_id === 'string' ? r.transaction_id : '';
  const amount = r.amount?.refund;
  if (status !== 'SUCCESS' || !tradeNo || typeof amount !== 'number' || !Number.isSafeInteger(amount) || amount <= 0) return { ...base, kind: 'ignored', orderId };
  return { ...base, kind: 'reversed', orderId, tradeNo, amount, currency: 'cny', reason: 'refund', subject: refundId };
}

/**
 * What a transaction says about its order, read the same way from a callback's decrypted
 * `resource` and from a query's answer. The event id is the payment's number and its state (the
 * callback's notify id, `fallbackId`, only when there is no number), so whichever of the two comes
 * second is a duplicate.
 */
function transactionNotice(tx: Transaction, n: { fallbackId: string; type: string; detail: unknown }): PaymentNotice {
  const orderId = typeof tx.out_trade_no === 'string' ? tx.out_trade_no : null;
  const tradeNo = typeof tx.transaction_id === 'string' ? tx.transaction_id : '';
  const state = typeof tx.trade_state === 'string' ? tx.trade_state : '';
  const base = { eventId: `${tradeNo || n.fallbackId}:${state}`, type: n.type, detail: n.detail };
  if (state !== 'SUCCESS' || !orderId) return { ...base, kind: 'ignored', orderId };
  const total = typeof tx.amount?.total === 'number' && Number.isSafeInteger(tx.amount.total) ? tx.amount.total : null;
  const currency = typeof tx.amount?.currency === 'string' ? tx.amount.currency.toLowerCase() : '';
  return { ...base, kind: 'paid', orderId, tradeNo, providerRef: null, amount: total, currency, method: 'wxpay' };
}

export function createWechatPay(o: WechatPayOptions): PaymentProvider {
  // Parsed once, at start: a key that does not parse stops the start with the reason.
  const merchantKey: KeyObject = createPrivateKey(o.privateKey.replace(/\\n/g, '\n'));
  const platformKey = platformKeyFrom(o.platformKey);
  if (Buffer.byteLength(o.apiV3Key, 'utf8') !== 32) throw new Error('The WeChat Pay APIv3 key must be 32 characters (AES-256).');
  const now = o.now ?? Date.now;
  const api = o.apiUrl.replace(/\/+$/, '');
  /** One signed request to WeChat Pay's API v3 (a JSON body for a POST); the caller reads the answer. */
  const send = (method: 'GET' | 'POST', pathAndQuery: string, body = '') =>
    fetch(`${api}${pathAndQuery}`, {
      method,
      headers: {
        authorization: authorization({ mchId: o.mchId, serialNo: o.serialNo, key: merchantKey, method, pathAndQuery, body }),
        accept: 'application/json',
        ...(method === 'POST' ? { 'content-type': 'application/json' } : {}),
        'user-agent': 'APIGPT-gateway',
      },
      body: method === 'POST' ? body : undefined,
      signal: AbortSignal.timeout(20_000),
    });

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

  /** Why a transaction is not this merchant's (another merchant id or AppID), or null. */
  function notOurs(tx: Transaction): string | null {
    if (tx.mchid !== o.mchId) return `the payment is for merchant ${String(tx.mchid)}, not ours`;
    if (tx.appid !== o.appId) return `the payment is for AppID ${String(tx.appid)}, not ours`;
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
        res = await send('POST', NATIVE_PATH, body);
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

    async query(order: OrderQuery): Promise<PaymentNotice | null> {
      const pathAndQuery = `${QUERY_PATH}${encodeURIComponent(order.id)}?mchid=${encodeURIComponent(o.mchId)}`;
      let res: Response;
      try {
        res = await send('GET', pathAndQuery);
      } catch (err) {
        throw new GatewayError('upstream', 'WeChat Pay could not be reached to look up the payment.', { code: 'payment_provider_unreachable', cause: err });
      }
      let text: string;
      try {
        text = await res.text();
      } catch (err) {
        throw new GatewayError('upstream', 'WeChat Pay could not be reached to look up the payment.', { code: 'payment_provider_unreachable', cause: err });
      }
      let json: Transaction & { code?: unknown; message?: unknown } = {};
      try {
        const parsed: unknown = JSON.parse(text);
        if (parsed && typeof parsed === 'object') json = parsed as typeof json;
      } catch {
        // reported below
      }
      // An order WeChat Pay never saw has no payment. (Like its SDKs, refusals are read without
      // checking their signature: one forged could only delay the order's credit, never make it.)
      if (res.status === 404 && json.code === 'ORDER_NOT_EXIST') return null;
      if (!res.ok || typeof json.trade_state !== 'string') {
        const said = typeof json.code === 'string' ? `: ${json.code}${typeof json.message === 'string' ? ` ${json.message}` : ''}` : '';
        throw new GatewayError('upstream', `WeChat Pay refused to look up the payment (HTTP ${res.status}${said}).`, { code: 'payment_provider_error' });
      }
      // The answer is believed only signed by the platform key, as a callback is.
      const wrong = authentic(Object.fromEntries(res.headers), text);
      if (wrong) throw new GatewayError('upstream', `WeChat Pay's answer is not authentic (${wrong}).`, { code: 'payment_provider_error' });
      const foreign = notOurs(json) ?? (json.out_trade_no !== order.id ? `it is about order ${String(json.out_trade_no)}` : null);
      if (foreign) throw new GatewayError('upstream', `WeChat Pay answered the lookup of order ${order.id} with another's payment (${foreign}).`, { code: 'payment_provider_error' });
      if (UNPAID.has(json.trade_state)) return null;
      // Without the payment's number its event id could not be the callback's.
      if (json.trade_state === 'SUCCESS' && (typeof json.transaction_id !== 'string' || !json.transaction_id)) throw new GatewayError('upstream', `WeChat Pay answered the lookup of order ${order.id} paid, without the payment's transaction_id.`, { code: 'payment_provider_error' });
      // Named as the callback of a payment is (WeChat Pay calls back for SUCCESS only).
      const type = json.trade_state === 'SUCCESS' ? 'TRANSACTION.SUCCESS' : json.trade_state;
      return transactionNotice(json, { fallbackId: order.id, type, detail: { transaction: json } });
    },

    async refund(r: RefundRequest): Promise<{ ref: string }> {
      // WeChat Pay shows `reason` to the payer (at most 80 characters).
      const body = JSON.stringify({ transaction_id: r.tradeNo, out_refund_no: r.key, reason: `APIGPT refund of ${r.orderId}`.slice(0, 80), amount: { refund: r.amount, total: r.total, currency: 'CNY' } });
      let res: Response;
      let text: string;
      try {
        res = await send('POST', REFUND_PATH, body);
        text = await res.text();
      } catch (err) {
        // Sent or not, the same out_refund_no next time is the same refund.
        throw new GatewayError('upstream', 'WeChat Pay could not be reached to return the money.', { code: 'payment_provider_unreachable', cause: err });
      }
      let json: { refund_id?: unknown; out_refund_no?: unknown; status?: unknown; code?: unknown; message?: unknown } = {};
      try {
        const parsed: unknown = JSON.parse(text);
        if (parsed && typeof parsed === 'object') json = parsed as typeof json;
      } catch {
        // reported below
      }
      const said = typeof json.code === 'string' ? `: ${json.code}${typeof json.message === 'string' ? ` ${json.message}` : ''}` : '';
      // Too frequent: nothing was done, and the same request may come again later.
      // A system error (5xx): WeChat Pay asks for the same request again, and the same out_refund_no
      // can never make a second refund, so the debt waits for the next attempt too.
      if (res.status === 429 || res.status >= 500) throw new GatewayError('upstream', `WeChat Pay refused the refund for now (HTTP ${res.status}${said || ': too many requests'}).`, { code: 'payment_provider_busy' });
      // A refusal is read without checking its signature (as its SDKs do): it returns no money.
      if (!res.ok || typeof json.refund_id !== 'string' || !json.refund_id) throw new GatewayError('upstream', `WeChat Pay refused the refund (HTTP ${res.status}${said}).`, { code: 'payment_provider_error' });
      const wrong = authentic(Object.fromEntries(res.headers), text);
      if (wrong) throw new GatewayError('upstream', `WeChat Pay's answer to the refund is not authentic (${wrong}).`, { code: 'payment_provider_error' });
      if (json.out_refund_no !== r.key) throw new GatewayError('upstream', `WeChat Pay answered the refund ${r.key} with another refund (${String(json.out_refund_no)}).`, { code: 'payment_provider_error' });
      // ABNORMAL (the payer's account cannot take it) and CLOSED: the money did not go back.
      const status = typeof json.status === 'string' ? json.status : '';
      if (!REFUND_TAKEN.has(status)) throw new GatewayError('upstream', `WeChat Pay did not return the money (refund ${json.refund_id} is ${status || 'without a status'}).`, { code: 'payment_provider_error' });
      return { ref: json.refund_id };
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
      let plain: unknown;
      try {
        plain = JSON.parse(decryptResource(o.apiV3Key, { ciphertext: r.ciphertext, nonce: r.nonce, associated_data: typeof r.associated_data === 'string' ? r.associated_data : '' }));
      } catch {
        // Signed by WeChat Pay, yet not sealed with our key: not for this merchant.
        throw new CallbackRejected('the resource does not decrypt with our APIv3 key');
      }
      if (!plain || typeof plain !== 'object') throw new CallbackRejected('the resource is not a JSON object');
      if (r.original_type === 'refund' || (typeof event.event_type === 'string' && event.event_type.startsWith('REFUND.'))) {
        // A refund names the merchant only (no AppID: the money is the merchant's).
        const refund = plain as Refund;
        if (refund.mchid !== o.mchId) throw new CallbackRejected(`the refund is for merchant ${String(refund.mchid)}, not ours`);
        return refundNotice(refund, { fallbackId: String(event.id), type: String(event.event_type ?? refund.refund_status), detail: { id: event.id, event_type: event.event_type, refund } });
      }
      const tx = plain as Transaction;
      const foreign = notOurs(tx);
      if (foreign) throw new CallbackRejected(foreign);
      // The plaintext, not the ciphertext, is what the audit keeps (no key in it, and nothing secret).
      const state = typeof tx.trade_state === 'string' ? tx.trade_state : '';
      return transactionNotice(tx, { fallbackId: String(event.id), type: String(event.event_type ?? state), detail: { id: event.id, event_type: event.event_type, transaction: tx } });
    },

    reply(outcome, message) {
      // 2xx (no body needed) stops the deliveries; anything else makes WeChat Pay deliver again.
      if (outcome === 'ok') return { status: 204, contentType: 'application/json', body: '' };
      return { status: outcome === 'rejected' ? 401 : 500, contentType: 'application/json', body: JSON.stringify({ code: 'FAIL', message: message ?? (outcome === 'rejected' ? 'not authentic' : 'try again') }) };
    },
  };
}
