import { GatewayError } from '../../core/errors.js';
import { CallbackRejected, type Checkout, type CheckoutOrder, type InboundCallback, type PaymentNotice, type PaymentProvider } from '../types.js';
import { stripeForm } from './form.js';
import { verifyStripeSignature } from './signature.js';

/**
 * Stripe Checkout: the gateway creates a Checkout Session for the order (server to server, the
 * secret key as bearer, the order id as idempotency key) and sends the payer to its `url`. Stripe
 * then posts events to the webhook endpoint the operator registered, signed with that endpoint's
 * `whsec_…` secret. `checkout.session.completed` with `payment_status: paid` (or, for delayed
 * methods, `checkout.session.async_payment_succeeded`) pays the order.
 */
export interface StripeOptions {
  secretKey: string;
  webhookSecret: string;
  /** `https://api.stripe.com` (the simulator's URL in tests). */
  apiBase: string;
  currency: string;
  pointsPerUnit: number;
  toleranceSec: number;
  now?: () => number;
}

/** Stripe's shortest Checkout Session lifetime. */
const MIN_SESSION_SEC = 30 * 60;

interface Session {
  id?: unknown;
  url?: unknown;
  payment_status?: unknown;
  status?: unknown;
  amount_total?: unknown;
  currency?: unknown;
  client_reference_id?: unknown;
  metadata?: { order_id?: unknown } | null;
  payment_intent?: unknown;
}

export function createStripe(o: StripeOptions): PaymentProvider {
  const now = o.now ?? Date.now;
  const api = o.apiBase.replace(/\/+$/, '');
  /**
   * One call of Stripe's API: the secret key as bearer; a POST has a form body and an idempotency
   * key. Answers the object (with its `id`); a network failure or a refusal is a GatewayError in
   * these words, with Stripe's own message when it gave one.
   */
  async function post(path: string, body: string, idempotencyKey: string, words: { unreachable: string; refused: string }, complete: (json: Record<string, unknown>) => boolean = () => true): Promise<Record<string, unknown> & { id: string }> {
    return call(path, { method: 'POST', body, idempotencyKey }, words, complete);
  }

  async function call(path: string, req: { method: 'GET' | 'POST'; body?: string; idempotencyKey?: string }, words: { unreachable: string; refused: string }, complete: (json: Record<string, unknown>) => boolean = () => true): Promise<Record<string, unknown> & { id: string }> {
    let res: Response;
    try {
      res = await fetch(`${api}${path}`, {
        method: req.method,
        headers: {
          authorization: `Bearer ${o.secretKey}`,
          ...(req.body !== undefined ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
          ...(req.idempotencyKey ? { 'idempotency-key': req.idempotencyKey } : {}),
        },
        body: req.body,
        signal: AbortSignal.timeout(20_000),
      });
    } catch (err) {
      throw new GatewayError('upstream', words.unreachable, { code: 'payment_provider_unreachable', cause: err });
    }
    let json: Record<string, unknown> & { id?: unknown; error?: { message?: unknown } } = {};
    try {
      json = JSON.parse(await res.text()) as typeof json;
    } catch {
      // reported below
    }
    if (res.status === 429) {
      // Too many requests: refused before anything was carried out, so the same request may come again.
      throw new GatewayError('upstream', `${words.refused} (HTTP 429: too many requests).`, { code: 'payment_provider_busy' });
    }
    if (!res.ok || typeof json.id !== 'string' || !complete(json)) {
      const said = typeof json.error?.message === 'string' ? `: ${json.error.message}` : '';
      throw new GatewayError('upstream', `${words.refused} (HTTP ${res.status}${said}).`, { code: 'payment_provider_error' });
    }
    return json as Record<string, unknown> & { id: string };
  }

  return {
    id: 'stripe',
    currency: o.currency.toLowerCase(),
    methods: ['card'],
    pointsPerUnit: o.pointsPerUnit,

    async checkout(order: CheckoutOrder): Promise<Checkout> {
      // Stripe refuses a session that expires sooner than 30 minutes; our order may then expire a
      // little earlier than the session, and a payment made in between is still credited.
      const expiresAt = Math.max(Math.ceil(order.expiresAt / 1000), Math.ceil(now() / 1000) + MIN_SESSION_SEC + 60);
      const body = stripeForm({
        mode: 'payment',
        line_items: [{ price_data: { currency: order.currency, unit_amount: order.amount, product_data: { name: order.title } }, quantity: 1 }],
        success_url: withSessionId(order.returnUrl),
        cancel_url: order.returnUrl,
        client_reference_id: order.id,
        metadata: { order_id: order.id, user_id: order.userId },
        customer_email: order.email || undefined,
        expires_at: expiresAt,
      });
      const json = await post('/v1/checkout/sessions', body, `checkout-${order.id}`, { unreachable: 'Stripe could not be reached to start the payment. Try again in a moment.', refused: 'Stripe refused to start the payment' }, (j) => typeof j.url === 'string');
      return { payUrl: json.url as string, providerRef: json.id };
    },

    async refund(r) {
      // Stripe's refunds API (provider-protocols §16.2): the payment intent, the amount in minor units.
      const body = stripeForm({ payment_intent: r.tradeNo, amount: r.amount, metadata: { order_id: r.orderId } });
      const json = await post('/v1/refunds', body, r.key, { unreachable: 'Stripe could not be reached to return the money.', refused: 'Stripe refused the refund' });
      return { ref: json.id };
    },

    verify(cb: InboundCallback): PaymentNotice {
      const failure = verifyStripeSignature(cb.headers['stripe-signature'], cb.body, o.webhookSecret, o.toleranceSec, Math.floor(now() / 1000));
      if (failure) throw new CallbackRejected(failure);
      // Parsed only now, from the bytes that were verified.
      let event: { id?: unknown; type?: unknown; data?: { object?: Session; previous_attributes?: { amount_refunded?: unknown } } };
      try {
        event = JSON.parse(cb.body.toString('utf8')) as typeof event;
      } catch {
        throw new CallbackRejected('the body is not JSON');
      }
      if (typeof event.id !== 'string' || typeof event.type !== 'string') throw new CallbackRejected('the body is not a Stripe event');
      const type = event.type;
      const eventId = event.id;
      const base = { eventId, type, detail: event };
      const s = event.data?.object;
      if (type === 'charge.refunded' || type === 'charge.dispute.created' || type === 'charge.dispute.closed') return reversal(base, event.data);
      if (!type.startsWith('checkout.session.') || !s || typeof s !== 'object') return { ...base, kind: 'ignored', orderId: null };
      return sessionNotice(base, type, s);
    },

    async query(order) {
      // A checkout session is retrieved by its id (provider-protocols §16.2): what its events said.
      if (!order.providerRef) return null;
      const s = (await call(`/v1/checkout/sessions/${encodeURIComponent(order.providerRef)}`, { method: 'GET' }, { unreachable: 'Stripe could not be reached to look up the payment.', refused: 'Stripe refused to look up the payment' })) as Session;
      if (str(s.metadata?.order_id) !== order.id && str(s.client_reference_id) !== order.id) throw new GatewayError('upstream', `Stripe's session ${order.providerRef} is not for order ${order.id}.`, { code: 'payment_provider_error' });
      // The session's state, as the event that announced it would say it; an open (or delayed,
      // not yet paid) checkout has nothing to settle yet.
      const base = (state: string, type: string) => ({ eventId: `session:${order.providerRef}:${state}`, type, detail: s });
      if (s.status === 'complete' && s.payment_status === 'paid') return sessionNotice(base('paid', 'checkout.session.completed'), 'checkout.session.completed', s);
      if (s.status === 'expired') return sessionNotice(base('expired', 'checkout.session.expired'), 'checkout.session.expired', s);
      return null;
    },

    reply(outcome, message) {
      // Any 2xx stops Stripe's retries; anything else is retried with backoff for days.
      if (outcome === 'ok') return { status: 200, contentType: 'application/json', body: JSON.stringify({ received: true }) };
      return {
        status: outcome === 'rejected' ? 400 : 500,
        contentType: 'application/json',
        body: JSON.stringify({ error: { message: message ?? (outcome === 'rejected' ? 'Webhook signature verification failed.' : 'The event could not be processed; deliver it again.') } }),
      };
    },
  };
}

/** What a checkout session in an event of this type says about its order (a webhook's, or a retrieved session's). */
function sessionNotice(base: { eventId: string; type: string; detail: unknown }, type: string, s: Session): PaymentNotice {
  const orderId = str(s.metadata?.order_id) ?? str(s.client_reference_id);
  if (!orderId) return { ...base, kind: 'ignored', orderId: null };
  const providerRef = str(s.id);
  const paid = (): PaymentNotice => ({
    ...base,
    kind: 'paid',
    orderId,
    tradeNo: str(s.payment_intent) ?? providerRef ?? base.eventId,
    providerRef,
    amount: typeof s.amount_total === 'number' && Number.isSafeInteger(s.amount_total) ? s.amount_total : null,
    currency: (str(s.currency) ?? '').toLowerCase(),
    method: null,
  });
  switch (type) {
    case 'checkout.session.completed':
      // Delayed methods (bank debits) complete the checkout before the money arrives.
      if (s.payment_status === 'paid') return paid();
      return { ...base, kind: 'pending', orderId, providerRef };
    case 'checkout.session.async_payment_succeeded':
      return paid();
    case 'checkout.session.async_payment_failed':
      return { ...base, kind: 'ended', orderId, providerRef, reason: { code: 'delayed_payment_failed' } };
    case 'checkout.session.expired':
      return { ...base, kind: 'ended', orderId, providerRef, reason: { code: 'checkout_expired' } };
    default:
      return { ...base, kind: 'ignored', orderId };
  }
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const count = (v: unknown): number | null => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : null);

/**
 * Money going back to the payer (provider-protocols §16.2 "refunds/disputes"), or coming back from a
 * dispute the merchant won (`charge.dispute.closed`, status `won`): `charge.refunded`
 * carries the Charge, whose `amount_refunded` is a running total, with its value before this refund
 * in `previous_attributes`, so this event's refund is the difference; `charge.dispute.created`
 * carries the Dispute and the amount it takes. Both name the payment intent, which is the order's
 * payment number (the `tradeNo` of its `paid` notice).
 */
function reversal(base: { eventId: string; type: string; detail: unknown }, data: { object?: unknown; previous_attributes?: { amount_refunded?: unknown } } | undefined): PaymentNotice {
  const o = (data?.object ?? {}) as { id?: unknown; payment_intent?: unknown; amount?: unknown; amount_refunded?: unknown; currency?: unknown; status?: unknown };
  const tradeNo = str(o.payment_intent);
  const refund = base.type === 'charge.refunded';
  const total = count(refund ? o.amount_refunded : o.amount);
  const before = refund ? (count(data?.previous_attributes?.amount_refunded) ?? 0) : 0;
  if (!tradeNo || total === null || total <= before) return { ...base, kind: 'ignored', orderId: null };
  const currency = (str(o.currency) ?? '').toLowerCase();
  if (refund) return { ...base, kind: 'reversed', orderId: null, tradeNo, amount: total - before, currency, reason: 'refund' };
  // A dispute: an inquiry (`warning_…`) withdraws no money, so it takes no credit; a dispute the
  // bank decides for the merchant (`charge.dispute.closed`, `won`) gives the money back.
  const status = str(o.status) ?? '';
  const subject = str(o.id);
  if (status.startsWith('warning_')) return { ...base, kind: 'ignored', orderId: null };
  if (base.type === 'charge.dispute.closed') {
    if (status !== 'won' || !subject) return { ...base, kind: 'ignored', orderId: null };
    return { ...base, kind: 'reinstated', orderId: null, tradeNo, amount: total, currency, subject };
  }
  return { ...base, kind: 'reversed', orderId: null, tradeNo, amount: total, currency, reason: 'dispute', subject };
}

/** Stripe fills `{CHECKOUT_SESSION_ID}` in the success URL. */
function withSessionId(url: string): string {
  return `${url}${url.includes('?') ? '&' : '?'}session_id={CHECKOUT_SESSION_ID}`;
}
