/**
 * The one interface every payment provider implements (`<provider>/index.ts`, listed in
 * `registry.ts`). A provider knows its wire protocol only: how to send a payer to pay for an order,
 * how to authenticate a callback and read what it says, and how to answer it. Orders, the money
 * checks and the credit are the same for all of them (`settle.ts`).
 */

import type { NoteLine } from './notes.js';

export interface CheckoutOrder {
  /** Our order id: EPay's `out_trade_no`, Stripe's `client_reference_id` and `metadata.order_id`. */
  id: string;
  userId: string;
  email: string;
  /** The payment method the payer chose among the provider's (`alipay`, `wxpay`, `card`). */
  method: string;
  /** Minor units of `currency`. */
  amount: number;
  currency: string;
  /** What the payer sees as the product, e.g. `APIGPT credit 1,400 P`. */
  title: string;
  /** Where the provider sends its server-to-server callback. */
  notifyUrl: string;
  /** Where the payer's browser comes back (display only: never proof of payment). */
  returnUrl: string;
  /** Epoch ms after which the order is no longer offered for payment. */
  expiresAt: number;
}

export interface Checkout {
  /** Where the payer's browser goes to pay. */
  payUrl: string;
  /** The provider's id of the checkout (Stripe's session id), when it makes one up front. */
  providerRef: string | null;
}

/** A callback as it arrived: the exact bytes and parameters a signature is computed over. */
export interface InboundCallback {
  method: string;
  query: Record<string, string>;
  headers: Record<string, string | undefined>;
  body: Buffer;
}

interface NoticeBase {
  /** Unique per provider event (Stripe `evt_…`; EPay trade number and status): stored once. */
  eventId: string;
  /** The provider's event type (`checkout.session.completed`, `TRADE_SUCCESS`). */
  type: string;
  /** What was received, for the audit (signatures are not secrets; no key is ever in it). */
  detail: unknown;
}

/** What an authentic callback says about one of our orders. */
export type PaymentNotice =
  | (NoticeBase & {
      kind: 'paid';
      orderId: string;
      /** The provider's number of the payment (EPay `trade_no`, Stripe's payment intent). */
      tradeNo: string;
      /** The provider's reference of the checkout, checked against the order's when both exist. */
      providerRef: string | null;
      /** What the provider says was paid, in minor units, and in which currency. */
      amount: number | null;
      currency: string;
      /** The method the provider says was used, checked when it names one. */
      method: string | null;
    })
  /** The payer finished the checkout, but the money comes later (Stripe's delayed methods). */
  | (NoticeBase & { kind: 'pending'; orderId: string; providerRef: string | null })
  /** The checkout ended without payment (expired, or a delayed payment failed). */
  | (NoticeBase & { kind: 'ended'; orderId: string; providerRef: string | null; reason: Extract<NoteLine, { code: 'delayed_payment_failed' | 'checkout_expired' }> })
  /**
   * Money of a payment went back to the payer outside the gateway: a refund made in the provider's
   * dashboard, or a dispute (chargeback) the payer opened with their bank. The order is found by
   * the payment's number (`tradeNo`, as its `paid` notice gave it); its credit is taken back in
   * proportion (payments/reversal.ts).
   */
  | (NoticeBase & {
      kind: 'reversed';
      /**
       * Our order, when the event names it (Alipay's and WeChat Pay's refunds carry out_trade_no):
       * a refund of an order whose payment is not known here yet (its callback lost, the reconciler
       * not yet asked) is then delivered again later instead of being lost.
       */
      orderId: string | null;
      tradeNo: string;
      /** Minor units of `currency` this event gives back (not a running total, unless `runningTotal`). */
      amount: number;
      /**
       * `amount` is all the payment's money given back so far, this event's included (Alipay's
       * `refund_fee`), not this event's share: the order's `reversed` becomes it, never less.
       */
      runningTotal?: boolean;
      currency: string;
      reason: 'refund' | 'dispute';
      /** The provider's object the event is about when a later event may undo it (Stripe's dispute `dp_…`). */
      subject?: string | null;
    })
  /**
   * Money a reversal took came back to the merchant: the bank decided a dispute for it (Stripe's
   * `charge.dispute.closed`, `won`). The credit the reversal of `subject` took back is given back
   * (payments/reversal.ts `settleReinstatement`).
   */
  | (NoticeBase & {
      kind: 'reinstated';
      orderId: null;
      tradeNo: string;
      amount: number;
      currency: string;
      subject: string;
    })
  /** Authentic but not about an order's payment (another event type, a status that is no payment). */
  | (NoticeBase & { kind: 'ignored'; orderId: string | null });

/** A callback that is not authentic or not for this merchant: nothing in it is believed. */
export class CallbackRejected extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'CallbackRejected';
  }
}

/** The answer a provider expects. */
export interface CallbackReply {
  status: number;
  contentType: string;
  body: string;
}

export interface PaymentProvider {
  /** `epay`, `stripe`: the path segment of its callback URL too. */
  readonly id: string;
  /** Lower-case ISO currency the provider charges in. */
  readonly currency: string;
  /** Payment methods offered through it. */
  readonly methods: readonly string[];
  /** P credited per whole currency unit paid. */
  readonly pointsPerUnit: number;
  /** Starts the payment of an order already stored as `created`. */
  checkout(order: CheckoutOrder): Promise<Checkout>;
  /** Authenticates a callback (throws CallbackRejected) and reads it. */
  verify(callback: InboundCallback): PaymentNotice;
  /**
   * The answer: `ok` (handled, or a duplicate: the provider must stop retrying), `rejected` (not
   * authentic), `retry` (our failure: the provider should deliver it again).
   */
  reply(outcome: 'ok' | 'rejected' | 'retry', message?: string): CallbackReply;
  /**
   * Returns money of a payment to the payer through the provider's API (an admin's refund), when
   * the provider has one here; throws a GatewayError when the provider refuses or cannot be reached.
   * `key` makes a retried request one refund. The provider then reports it like any refund
   * (reversal.ts), which takes back nothing more than the admin's refund already did.
   */
  refund?(r: RefundRequest): Promise<{ ref: string }>;
  /**
   * Asks the provider what became of an order's payment, because a callback can be lost
   * (reconcile.ts): the notice its callback would have carried — with the same `eventId`, so that
   * the callback arriving later is a duplicate — or null when the provider has no payment for the
   * order yet (not paid, not even started). Throws a GatewayError with code
   * `payment_provider_unreachable` when the provider cannot be reached, `payment_provider_error`
   * when it refuses or answers something that cannot be authenticated.
   */
  query?(order: OrderQuery): Promise<PaymentNotice | null>;
}

/** An admin's refund as a provider's refunds API is asked for it (money-return.ts). */
export interface RefundRequest {
  /** The provider's number of the payment (Stripe's payment intent, Alipay's trade_no, WeChat Pay's transaction_id). */
  tradeNo: string;
  /** Our order id (the provider's out_trade_no where it has one). */
  orderId: string;
  /** Minor units to return now. */
  amount: number;
  /** Minor units the payment was (WeChat Pay's refunds API wants it with each refund). */
  total: number;
  /** Makes a retried request the same refund: Stripe's Idempotency-Key, Alipay's out_request_no, WeChat Pay's out_refund_no. */
  key: string;
}

/** What a provider is asked about an order by: our id, and its reference of the checkout when it made one (Stripe's session). */
export interface OrderQuery {
  id: string;
  providerRef: string | null;
  method: string;
}
