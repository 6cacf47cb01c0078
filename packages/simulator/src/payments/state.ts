// Per-instance state of the simulated payment providers.
import { randomBytes } from 'node:crypto';
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

export interface PaymentsState {
  epay: { pid: string; key: string; trades: Map<string, EpayTrade> };
  stripe: {
    secretKey: string;
    /** When set, every webhook endpoint gets this secret (as `stripe listen` uses one per session). */
    webhookSecret: string | undefined;
    sessions: Map<string, StripeSession>;
    endpoints: Map<string, WebhookEndpoint>;
    /** Idempotency-Key → the request body it was first sent with and the session made. */
    idempotency: Map<string, { body: string; session: StripeSession }>;
  };
  callbacks: CallbackQueue;
}

export const DEFAULT_EPAY_PID = '1001';
export const DEFAULT_EPAY_KEY = 'simulator-epay-key';
export const DEFAULT_STRIPE_SECRET_KEY = 'sk_test_simulator';

export function createPaymentsState(o: PaymentOptions = {}): PaymentsState {
  return {
    epay: { pid: o.epay?.pid ?? DEFAULT_EPAY_PID, key: o.epay?.key ?? DEFAULT_EPAY_KEY, trades: new Map() },
    stripe: { secretKey: o.stripe?.secretKey ?? DEFAULT_STRIPE_SECRET_KEY, webhookSecret: o.stripe?.webhookSecret, sessions: new Map(), endpoints: new Map(), idempotency: new Map() },
    callbacks: new CallbackQueue(o.retries ?? 3, o.retryDelayMs ?? 200),
  };
}

/** Stripe-style ids: prefix and 24 random base62-ish characters. */
export function stripeId(prefix: string): string {
  return `${prefix}_${randomBytes(18).toString('base64url').replace(/[-_]/g, 'x')}`;
}
