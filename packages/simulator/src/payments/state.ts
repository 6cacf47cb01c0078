// Per-instance state of the simulated payment providers.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { CallbackQueue } from './callbacks.js';
import type { PaymentOptions } from '../types.js';

export interface EpayTrade {
  trade_no: string;
  pid: string;
  out_trade_no: string;
  type: string;
  name: string;
  money: string;
  notify_url: string;
  return_url: string;
  param: string;
  status: 'pending' | 'paid';
  created: number;
  paid_at: number | null;
}

export interface AlipayTrade {
  trade_no: string;
  out_trade_no: string;
  subject: string;
  total_amount: string;
  notify_url: string;
  return_url: string;
  status: 'pending' | 'paid';
  created: number;
  /** The notify the payment sent, once paid: a query answers the same payment (the amount paid, the time). */
  notified?: Record<string, string>;
  /** Fen of the payment refunded so far (in the merchant platform, or through alipay.trade.refund). */
  refunded: number;
  /** The refunds asked through alipay.trade.refund, by `out_request_no`: asked again, the same refund. */
  refundRequests: Map<string, { fen: number; answer: Record<string, string> }>;
}

export interface WechatTrade {
  /** The code_url's `pr`: the QR code's id. */
  pr: string;
  transaction_id: string;
  out_trade_no: string;
  description: string;
  /** Fen. */
  total: number;
  notify_url: string;
  status: 'pending' | 'paid';
  created: number;
  /** The transaction as its callback carried it, once paid (the order query answers it). */
  transaction?: Record<string, unknown>;
  /** Fen of the payment refunded so far (申请退款): what is left to refund is the paid total less this. */
  refunded: number;
  /**
   * The refunds of the payment, by the merchant's `out_refund_no`, with the parameters they were
   * asked with and the answer given: the same out_refund_no again answers the same refund.
   */
  refunds: { out_refund_no: string; refund: number; total: number; answer: Record<string, unknown> }[];
}

/** A Checkout Session as Stripe answers it (the fields the simulator models). */
export interface StripeSession {
  id: string;
  object: 'checkout.session';
  mode: string;
  status: 'open' | 'complete' | 'expired';
  payment_status: 'unpaid' | 'paid';
  amount_total: number;
  amount_subtotal: number;
  currency: string;
  client_reference_id: string | null;
  customer_email: string | null;
  metadata: Record<string, string>;
  payment_intent: string | null;
  success_url: string;
  cancel_url: string | null;
  url: string | null;
  expires_at: number;
  created: number;
  livemode: false;
  /** Not Stripe's: the product names, for the payment page. */
  line_items: { name: string; unit_amount: number; quantity: number }[];
}

export interface WebhookEndpoint {
  id: string;
  object: 'webhook_endpoint';
  url: string;
  enabled_events: string[];
  secret: string;
  status: 'enabled';
  created: number;
}

/** The charge behind a paid Checkout Session (Stripe's Charge object, the fields the simulator keeps). */
export interface StripeCharge {
  id: string;
  object: 'charge';
  amount: number;
  amount_refunded: number;
  currency: string;
  payment_intent: string;
  refunded: boolean;
  disputed: boolean;
  /** The dispute opened on the charge, while it is known (the simulator models one per charge). */
  dispute?: { id: string; amount: number; status: string };
  metadata: Record<string, string>;
  created: number;
  livemode: false;
}

export interface PaymentsState {
  epay: { pid: string; key: string; trades: Map<string, EpayTrade> };
  stripe: {
    secretKey: string;
    /** When set, every webhook endpoint gets this secret (as `stripe listen` uses one per session). */
    webhookSecret: string | undefined;
    sessions: Map<string, StripeSession>;
    endpoints: Map<string, WebhookEndpoint>;
    /** Idempotency-Key → the request it was first sent with (path and form body) and its answer. */
    idempotency: Map<string, { request: string; body: unknown }>;
    /** Payment intent → its charge, once the session is paid. */
    charges: Map<string, StripeCharge>;
    /** The next this many API requests are refused with 429 (`SimPayments.rateLimitStripe`). */
    rateLimited: number;
  };
  /** The Alipay app: its id, the app's public key (checks the merchant's requests), Alipay's private key (signs notifies). */
  alipay: { appId: string; appPublicKey: string | null; privateKey: string; sellerId: string; trades: Map<string, AlipayTrade>; /** The next this many alipay.trade.refund requests answer 20000 (service unavailable). */ busy: number;
    /** The next this many alipay.trade.refund answers wait until the refund's notify has its answer (`SimPayments.alipayNotifyFirst`). */
    notifyFirst: number;
  };
  /**
   * The WeChat Pay merchant: ids, the merchant's public key and its certificate serial (check the
   * merchant's signed requests), the platform's private key and serial (sign answers and callbacks),
   * the APIv3 key (seals callbacks), and the refund notification address set in the merchant platform
   * (refunds asked without a `notify_url`, and those made in the dashboard, are notified there; none
   * when it is not set).
   */
  wechatpay: {
    mchId: string;
    appId: string;
    merchantPublicKey: string | null;
    merchantSerial: string;
    platformPrivateKey: string;
    platformSerial: string;
    apiV3Key: string;
    refundNotifyUrl: string | null;
    trades: Map<string, WechatTrade>;
  };
  callbacks: CallbackQueue;
}

export const DEFAULT_EPAY_PID = '1001';
export const DEFAULT_EPAY_KEY = 'simulator-epay-key';
export const DEFAULT_ALIPAY_APP_ID = '2021000000000001';
export const DEFAULT_STRIPE_SECRET_KEY = 'sk_test_simulator';
export const DEFAULT_WECHATPAY_MCH_ID = '1230000109';
export const DEFAULT_WECHATPAY_APP_ID = 'wxd678efh567hg6787';

export function createPaymentsState(o: PaymentOptions = {}): PaymentsState {
  return {
    epay: { pid: o.epay?.pid ?? DEFAULT_EPAY_PID, key: o.epay?.key ?? DEFAULT_EPAY_KEY, trades: new Map() },
    stripe: { secretKey: o.stripe?.secretKey ?? DEFAULT_STRIPE_SECRET_KEY, webhookSecret: o.stripe?.webhookSecret, sessions: new Map(), endpoints: new Map(), idempotency: new Map(), charges: new Map(), rateLimited: 0 },
    alipay: {
      appId: o.alipay?.appId ?? DEFAULT_ALIPAY_APP_ID,
      appPublicKey: o.alipay?.appPublicKey ?? null,
      // Without a key of its own the simulator makes one (tests then cannot verify its notifies).
      privateKey: o.alipay?.privateKey ?? generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      sellerId: '2088102177846880',
      trades: new Map(),
      busy: 0,
      notifyFirst: 0,
    },
    wechatpay: {
      mchId: o.wechatpay?.mchId ?? DEFAULT_WECHATPAY_MCH_ID,
      appId: o.wechatpay?.appId ?? DEFAULT_WECHATPAY_APP_ID,
      merchantPublicKey: o.wechatpay?.merchantPublicKey ?? null,
      merchantSerial: o.wechatpay?.merchantSerial ?? '',
      platformPrivateKey: o.wechatpay?.platformPrivateKey ?? generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      platformSerial: o.wechatpay?.platformSerial ?? 'PUB_KEY_ID_0000000000000000000000000001',
      apiV3Key: o.wechatpay?.apiV3Key ?? randomBytes(16).toString('hex'),
      refundNotifyUrl: o.wechatpay?.refundNotifyUrl ?? null,
      trades: new Map(),
    },
    callbacks: new CallbackQueue(o.retries ?? 3, o.retryDelayMs ?? 200),
  };
}

/** Stripe-style ids: prefix and 24 random base62-ish characters. */
export function stripeId(prefix: string): string {
  return `${prefix}_${randomBytes(18).toString('base64url').replace(/[-_]/g, 'x')}`;
}
