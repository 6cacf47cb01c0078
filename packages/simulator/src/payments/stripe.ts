// Stripe Checkout (provider-protocols.md §16.2): Checkout Sessions (create, retrieve, expire; form
// bodies with bracketed keys, `Authorization: Bearer sk_…`, Idempotency-Key), webhook endpoints
// (each with its `whsec_…` secret), the hosted payment page, and signed webhook events:
// `Stripe-Signature: t=<unix>,v1=HMAC-SHA256(secret, "<t>.<raw body>")`.
import { createHmac } from 'node:crypto';
import { header } from '../http.js';
import type { Ctx, Dialect, Outcome, Route } from '../route.js';
import { esc, facts, htmlPage, redirect } from './page.js';
import { stripeId, type PaymentsState, type StripeCharge, type StripeSession, type WebhookEndpoint } from './state.js';

const API_VERSION = '2024-06-20';

function stripeError(status: number, message: string, code?: string, param?: string, type = 'invalid_request_error'): Outcome {
  return { kind: 'json', status, body: { error: { type, message, ...(code ? { code } : {}), ...(param ? { param } : {}) } } };
}

const stripeDialect: Dialect = {
  name: 'stripe',
  authorize: () => null,
  // The API routes need the account's secret key whatever the simulator's own apiKey.
  gate(ctx) {
    if (!ctx.path.startsWith('/v1/')) return null;
    const auth = header(ctx.req, 'authorization') ?? '';
    const key = auth.toLowerCase().startsWith('bearer ') ? auth.slice(7).trim() : '';
    if (key === ctx.sim.payments.stripe.secretKey) {
      // Stripe's rate limiter answers 429 before the request is carried out (`rateLimitStripe`).
      if (ctx.sim.payments.stripe.rateLimited > 0) {
        ctx.sim.payments.stripe.rateLimited--;
        return stripeError(429, 'Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.', 'rate_limit', undefined, 'invalid_request_error');
      }
      return null;
    }
    return stripeError(401, key ? `Invalid API Key provided: ${key.slice(0, 8)}${'*'.repeat(Math.max(0, key.length - 12))}${key.slice(-4)}` : 'You did not provide an API key.', undefined, undefined, 'invalid_request_error');
  },
  error: (status, message, code) => stripeError(status, message, code),
  modelNotFound: () => stripeError(404, 'Unrecognized request URL.'),
};

const state = (ctx: Ctx): PaymentsState => ctx.sim.payments;

/** `a[0][b]=x` form fields → `{ a: [{ b: 'x' }] }`. */
export function unflatten(flat: Record<string, string>): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(flat)) {
    const parts = key.replace(/\]/g, '').split('[');
    let node: Record<string, unknown> = root;
    parts.forEach((p, i) => {
      if (i === parts.length - 1) node[p] = value;
      else node = (node[p] ??= {}) as Record<string, unknown>;
    });
  }
  return toArrays(root) as Record<string, unknown>;
}

function toArrays(v: unknown): unknown {
  if (!v || typeof v !== 'object') return v;
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o);
  if (keys.length && keys.every((k) => /^\d+$/.test(k))) return keys.sort((a, b) => Number(a) - Number(b)).map((k) => toArrays(o[k]));
  for (const k of keys) o[k] = toArrays(o[k]);
  return o;
}

const now = () => Math.floor(Date.now() / 1000);

/**
 * Stripe's idempotent requests: a POST with an `Idempotency-Key` already used answers the first
 * answer again (with `Idempotent-Replayed: true`), without doing anything twice; the same key with
 * other parameters is an error. Successful answers are kept (a refused request did nothing to keep).
 */
function idempotent(ctx: Ctx, run: (ctx: Ctx) => Outcome): Outcome {
  const s = state(ctx).stripe;
  const key = header(ctx.req, 'idempotency-key');
  if (!key) return run(ctx);
  const request = `${ctx.req.url ?? ''}?${new URLSearchParams((ctx.body ?? {}) as Record<string, string>).toString()}`;
  const prior = s.idempotency.get(key);
  if (prior) {
    if (prior.request !== request)
      return stripeError(400, `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`, undefined, undefined, 'idempotency_error');
    return { kind: 'json', body: prior.body, headers: { 'idempotent-replayed': 'true' } };
  }
  const out = run(ctx);
  if (out.kind === 'json' && (out.status ?? 200) < 300) s.idempotency.set(key, { request, body: out.body });
  return out;
}

function createSession(ctx: Ctx): Outcome {
  const s = state(ctx).stripe;
  const flat = (ctx.body ?? {}) as Record<string, string>;
  const b = unflatten(flat) as {
    mode?: string;
    line_items?: { price_data?: { currency?: string; unit_amount?: string; product_data?: { name?: string } }; quantity?: string }[];
    success_url?: string;
    cancel_url?: string;
    client_reference_id?: string;
    metadata?: Record<string, string>;
    customer_email?: string;
    expires_at?: string;
  };
  if (b.mode !== 'payment') return stripeError(400, 'The simulator supports `mode=payment` only.', 'parameter_invalid_string', 'mode');
  if (!b.success_url) return stripeError(400, 'Missing required param: success_url.', 'parameter_missing', 'success_url');
  if (!Array.isArray(b.line_items) || b.line_items.length === 0) return stripeError(400, 'Missing required param: line_items.', 'parameter_missing', 'line_items');
  let currency = '';
  const items: StripeSession['line_items'] = [];
  for (const [i, li] of b.line_items.entries()) {
    const pd = li.price_data;
    if (!pd?.currency || !/^[a-z]{3}$/.test(pd.currency)) return stripeError(400, 'Invalid currency.', 'parameter_invalid_string', `line_items[${i}][price_data][currency]`);
    if (currency && pd.currency !== currency) return stripeError(400, 'All line items must share one currency.', 'parameter_invalid_string', `line_items[${i}][price_data][currency]`);
    currency = pd.currency;
    const unit = Number(pd.unit_amount);
    if (!/^\d+$/.test(pd.unit_amount ?? '') || !Number.isSafeInteger(unit)) return stripeError(400, 'Invalid integer: unit_amount.', 'parameter_invalid_integer', `line_items[${i}][price_data][unit_amount]`);
    const qty = Number(li.quantity ?? '1');
    if (!Number.isInteger(qty) || qty < 1) return stripeError(400, 'Invalid integer: quantity.', 'parameter_invalid_integer', `line_items[${i}][quantity]`);
    items.push({ name: pd.product_data?.name ?? 'Item', unit_amount: unit, quantity: qty });
  }
  const created = now();
  let expiresAt = created + 24 * 3600;
  if (b.expires_at !== undefined) {
    expiresAt = Number(b.expires_at);
    if (!Number.isInteger(expiresAt) || expiresAt < created + 30 * 60)
      return stripeError(400, 'The `expires_at` timestamp must be at least 30 minutes from Checkout Session creation.', 'parameter_invalid_integer', 'expires_at');
    if (expiresAt > created + 24 * 3600) return stripeError(400, 'The `expires_at` timestamp must be less than 24 hours from Checkout Session creation.', 'parameter_invalid_integer', 'expires_at');
  }
  const id = stripeId('cs_test');
  const amount = items.reduce((n, x) => n + x.unit_amount * x.quantity, 0);
  const session: StripeSession = {
    id,
    object: 'checkout.session',
    mode: 'payment',
    status: 'open',
    payment_status: 'unpaid',
    amount_total: amount,
    amount_subtotal: amount,
    currency,
    client_reference_id: b.client_reference_id ?? null,
    customer_email: b.customer_email ?? null,
    metadata: b.metadata ?? {},
    payment_intent: null,
    success_url: b.success_url,
    cancel_url: b.cancel_url ?? null,
    url: `${ctx.sim.baseUrl(ctx.req)}/c/pay/${id}`,
    expires_at: expiresAt,
    created,
    livemode: false,
    line_items: items,
  };
  s.sessions.set(id, session);
  return { kind: 'json', body: publicSession(session) };
}

/** A session as the API shows it (without the simulator's own fields). */
function publicSession(x: StripeSession): Omit<StripeSession, 'line_items'> {
  const { line_items: _l, ...rest } = x;
  return { ...rest, url: x.status === 'open' ? x.url : null };
}

/** Sends `type` about a session to every endpoint that listens for it, signed with each endpoint's secret. */
export function emitSessionEvent(s: PaymentsState, type: string, session: StripeSession): string {
  return emitEvent(s, type, publicSession(session));
}

/** Sends an event about `object` (with `previous_attributes` when given) to every endpoint that listens for `type`. */
function emitEvent(s: PaymentsState, type: string, object: unknown, previous?: Record<string, unknown>): string {
  const event = { id: stripeId('evt'), object: 'event', api_version: API_VERSION, created: now(), livemode: false, pending_webhooks: s.stripe.endpoints.size, type, data: { object, ...(previous ? { previous_attributes: previous } : {}) } };
  const body = JSON.stringify(event);
  for (const ep of s.stripe.endpoints.values()) {
    if (!ep.enabled_events.includes('*') && !ep.enabled_events.includes(type)) continue;
    const sign = () => {
      const t = now();
      const sig = createHmac('sha256', ep.secret).update(`${t}.${body}`).digest('hex');
      return { headers: { 'content-type': 'application/json; charset=utf-8', 'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)', 'stripe-signature': `t=${t},v1=${sig}` }, body };
    };
    // Re-signed at each delivery, as Stripe does for its retries.
    s.callbacks.add({ provider: 'stripe', event: event.id, type, method: 'POST', url: ep.url, ...sign(), resign: sign });
  }
  return event.id;
}

function expireSession(ctx: Ctx): Outcome {
  const s = state(ctx);
  const x = s.stripe.sessions.get(ctx.params.id);
  if (!x) return stripeError(404, `No such checkout.session: '${ctx.params.id}'`, 'resource_missing', 'session');
  if (x.status !== 'open') return stripeError(400, `Only Checkout Sessions with a status in ["open"] can be expired. This Checkout Session has a status of "${x.status}".`, 'checkout_session_not_open');
  x.status = 'expired';
  emitSessionEvent(s, 'checkout.session.expired', x);
  return { kind: 'json', body: publicSession(x) };
}

function createEndpoint(ctx: Ctx): Outcome {
  const s = state(ctx).stripe;
  const b = unflatten((ctx.body ?? {}) as Record<string, string>) as { url?: string; enabled_events?: string[] };
  if (!b.url || !/^https?:\/\//.test(b.url)) return stripeError(400, 'Invalid URL: url.', 'url_invalid', 'url');
  if (!Array.isArray(b.enabled_events) || b.enabled_events.length === 0) return stripeError(400, 'Missing required param: enabled_events.', 'parameter_missing', 'enabled_events');
  const ep: WebhookEndpoint = { id: stripeId('we'), object: 'webhook_endpoint', url: b.url, enabled_events: b.enabled_events, secret: s.webhookSecret ?? stripeId('whsec'), status: 'enabled', created: now() };
  s.endpoints.set(ep.id, ep);
  return { kind: 'json', body: ep };
}

/** The hosted payment page. */
function payPage(ctx: Ctx): Outcome {
  const x = state(ctx).stripe.sessions.get(ctx.params.id);
  if (!x) return htmlPage('Checkout not found', '', 404);
  if (x.status !== 'open' || x.expires_at <= now()) return htmlPage('This checkout is no longer available', `<p data-testid="sim-closed">${esc(x.status === 'complete' ? 'Already paid.' : 'Expired.')}</p>`);
  const money = `${(x.amount_total / 100).toFixed(2)} ${x.currency.toUpperCase()}`;
  return htmlPage(
    'Stripe Checkout (simulated)',
    facts([...x.line_items.map((li): [string, string] => [li.name, `× ${li.quantity}`]), ['Total', money], ['Email', x.customer_email ?? '—']]) +
      `<form method="post" action="/c/pay/${esc(x.id)}"><input type="hidden" name="method" value="card"><button type="submit" data-testid="sim-pay">Pay ${esc(money)}</button></form>` +
      `<form method="post" action="/c/pay/${esc(x.id)}"><input type="hidden" name="method" value="delayed"><button type="submit" data-testid="sim-pay-delayed">Pay by bank debit (settles later)</button></form>` +
      (x.cancel_url ? `<p><a href="${esc(x.cancel_url)}">Cancel</a></p>` : ''),
  );
}

/**
 * The payer pays. `card` pays at once (`completed` with `payment_status: paid`); `delayed` completes
 * the checkout unpaid, and the money comes with `settleSession` (`async_payment_succeeded` / `_failed`).
 */
function pay(ctx: Ctx): Outcome {
  const s = state(ctx);
  const x = s.stripe.sessions.get(ctx.params.id);
  if (!x) return htmlPage('Checkout not found', '', 404);
  if (x.status !== 'open' || x.expires_at <= now()) return htmlPage('This checkout is no longer available', '', 400);
  const method = ((ctx.body ?? {}) as Record<string, string>).method ?? 'card';
  x.status = 'complete';
  x.payment_intent = stripeId('pi');
  x.payment_status = method === 'delayed' ? 'unpaid' : 'paid';
  if (x.payment_status === 'paid') chargeOf(s, x);
  emitSessionEvent(s, 'checkout.session.completed', x);
  return redirect(x.success_url.replace('{CHECKOUT_SESSION_ID}', x.id), 303);
}

/** A delayed payment's outcome arrives; answers the event id, or null when the session is not waiting for one. */
export function settleSession(s: PaymentsState, id: string, outcome: 'succeeded' | 'failed'): string | null {
  const x = s.stripe.sessions.get(id);
  if (!x || x.status !== 'complete' || x.payment_status !== 'unpaid') return null;
  if (outcome === 'succeeded') {
    x.payment_status = 'paid';
    chargeOf(s, x);
  }
  return emitSessionEvent(s, `checkout.session.async_payment_${outcome}`, x);
}

/** The charge of a paid session, made when the money arrives. */
function chargeOf(s: PaymentsState, x: StripeSession): StripeCharge {
  const pi = x.payment_intent!;
  let c = s.stripe.charges.get(pi);
  if (!c) {
    c = { id: stripeId('ch'), object: 'charge', amount: x.amount_total, amount_refunded: 0, currency: x.currency, payment_intent: pi, refunded: false, disputed: false, metadata: x.metadata, created: now(), livemode: false };
    s.stripe.charges.set(pi, c);
  }
  return c;
}

/**
 * `POST /v1/refunds` (payment_intent, amount: all that is left when absent): the money goes back to
 * the payer, and `charge.refunded` tells the merchant, with the charge's new `amount_refunded`
 * (cumulative) and its previous value in `previous_attributes`, as Stripe sends it.
 */
function createRefund(ctx: Ctx): Outcome {
  const s = state(ctx);
  const b = (ctx.body ?? {}) as Record<string, string>;
  const c = b.payment_intent ? s.stripe.charges.get(b.payment_intent) : undefined;
  if (!c) return stripeError(404, `No such payment_intent: '${b.payment_intent ?? ''}'`, 'resource_missing', 'payment_intent');
  const left = c.amount - c.amount_refunded;
  const amount = b.amount === undefined ? left : Number(b.amount);
  if (!Number.isSafeInteger(amount) || amount <= 0) return stripeError(400, 'Invalid positive integer', 'parameter_invalid_integer', 'amount');
  if (amount > left) return stripeError(400, `Refund amount (${amount}) is greater than unrefunded amount on charge (${left})`, 'amount_too_large', 'amount');
  const previous = { amount_refunded: c.amount_refunded, refunded: c.refunded };
  c.amount_refunded += amount;
  c.refunded = c.amount_refunded === c.amount;
  const refund = { id: stripeId('re'), object: 'refund', amount, charge: c.id, currency: c.currency, payment_intent: c.payment_intent, status: 'succeeded', created: now() };
  emitEvent(s, 'charge.refunded', { ...c }, previous);
  return { kind: 'json', body: refund };
}

/**
 * The card holder disputes a payment with their bank (a chargeback): `charge.dispute.created`, for
 * what of the charge is not refunded yet; the money is withdrawn from the merchant. An inquiry
 * (`inquiry`) is a question from the bank that withdraws nothing yet (status `warning_needs_response`).
 * Answers the event id, or null when there is no such paid charge or it is disputed already.
 */
export function disputeCharge(s: PaymentsState, paymentIntent: string, o: { inquiry?: boolean } = {}): string | null {
  const c = s.stripe.charges.get(paymentIntent);
  if (!c || c.disputed || c.amount_refunded === c.amount) return null;
  c.disputed = true;
  c.dispute = { id: stripeId('dp'), amount: c.amount - c.amount_refunded, status: o.inquiry ? 'warning_needs_response' : 'needs_response' };
  return emitEvent(s, 'charge.dispute.created', disputeObject(c));
}

/**
 * The bank decides: `charge.dispute.closed` with status `won` (the money is given back to the
 * merchant: Stripe reinstates the funds) or `lost`; an inquiry closes as `warning_closed`. Answers
 * the event id, or null when the charge has no open dispute.
 */
export function closeDispute(s: PaymentsState, paymentIntent: string, outcome: 'won' | 'lost'): string | null {
  const c = s.stripe.charges.get(paymentIntent);
  if (!c?.dispute || ['won', 'lost', 'warning_closed'].includes(c.dispute.status)) return null;
  c.dispute.status = c.dispute.status.startsWith('warning_') ? 'warning_closed' : outcome;
  return emitEvent(s, 'charge.dispute.closed', disputeObject(c));
}

/** A charge's dispute as Stripe's Dispute object shows it. */
function disputeObject(c: StripeCharge) {
  const d = c.dispute!;
  return { id: d.id, object: 'dispute', amount: d.amount, charge: c.id, currency: c.currency, payment_intent: c.payment_intent, reason: 'fraudulent', status: d.status, is_charge_refundable: false, created: now(), livemode: false };
}

export const stripeRoutes: Route[] = [
  { method: 'POST', pattern: /^\/v1\/checkout\/sessions$/, dialect: stripeDialect, handle: (ctx) => idempotent(ctx, createSession) },
  {
    method: 'GET',
    pattern: /^\/v1\/checkout\/sessions\/(?<id>cs_\w+)$/,
    dialect: stripeDialect,
    handle: (ctx) => {
      const x = state(ctx).stripe.sessions.get(ctx.params.id);
      return x ? { kind: 'json', body: publicSession(x) } : stripeError(404, `No such checkout.session: '${ctx.params.id}'`, 'resource_missing', 'session');
    },
  },
  { method: 'POST', pattern: /^\/v1\/checkout\/sessions\/(?<id>cs_\w+)\/expire$/, dialect: stripeDialect, handle: expireSession },
  { method: 'POST', pattern: /^\/v1\/webhook_endpoints$/, dialect: stripeDialect, handle: createEndpoint },
  { method: 'POST', pattern: /^\/v1\/refunds$/, dialect: stripeDialect, handle: (ctx) => idempotent(ctx, createRefund) },
  {
    method: 'GET',
    pattern: /^\/v1\/webhook_endpoints$/,
    dialect: stripeDialect,
    handle: (ctx) => ({ kind: 'json', body: { object: 'list', has_more: false, url: '/v1/webhook_endpoints', data: [...state(ctx).stripe.endpoints.values()].map(({ secret: _s, ...ep }) => ep) } }),
  },
  {
    method: 'DELETE',
    pattern: /^\/v1\/webhook_endpoints\/(?<id>we_\w+)$/,
    dialect: stripeDialect,
    handle: (ctx) => {
      const had = state(ctx).stripe.endpoints.delete(ctx.params.id);
      return had ? { kind: 'json', body: { id: ctx.params.id, object: 'webhook_endpoint', deleted: true } } : stripeError(404, `No such webhook endpoint: '${ctx.params.id}'`, 'resource_missing', 'id');
    },
  },
  { method: 'GET', pattern: /^\/c\/pay\/(?<id>cs_\w+)$/, dialect: stripeDialect, handle: payPage },
  { method: 'POST', pattern: /^\/c\/pay\/(?<id>cs_\w+)$/, dialect: stripeDialect, handle: pay },
];
