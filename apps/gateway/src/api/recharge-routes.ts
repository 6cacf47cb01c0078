import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import { formatMinor, priceFor, type InboundCallback } from '../payments/index.js';
import { GatewayError } from '../core/errors.js';
import type { TopupPacksTable } from '../storage/schema.js';
import type { ApiContext } from './context.js';
import { principal } from './context.js';
import { NewOrderBody, Order, OrdersQuery, orderView, packView, RechargeOptions } from './recharge-schemas.js';
import { IdParams } from './schemas.js';

const tags = ['Recharge'];

/**
 * A user's online recharge: what can be bought and through which providers, orders (made here, paid
 * at the provider), and the providers' callbacks, which are public (they authenticate by signature).
 */
export function registerRechargeRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { payments, config } = ctx.services;
  const providers = () => [...payments.providers.values()];
  /** A pack's price through each provider, from the provider's rate. */
  const pricesOf = (p: TopupPacksTable) => Object.fromEntries(providers().map((x) => [x.id, formatMinor(priceFor(Number(p.points), x.currency, x.pointsPerUnit), x.currency)]));

  app.get('/api/recharge/options', { schema: { tags, summary: 'Payment providers, their rates and the packs on offer', response: { 200: RechargeOptions } } }, async () => ({
    providers: providers().map((p) => ({ id: p.id, methods: [...p.methods], currency: p.currency, pointsPerUnit: p.pointsPerUnit, minAmount: payments.limits.minAmount, maxAmount: payments.limits.maxAmount })),
    packs: (await payments.packs.list(true)).map((p) => packView(p, pricesOf(p))),
    expiryMinutes: Math.round(payments.limits.expiryMs / 60_000),
  }));

  app.post(
    '/api/recharge/orders',
    {
      schema: {
        tags,
        summary: 'Start a recharge: an amount or a pack, through a provider',
        description: 'Stores the order, then answers it with `payUrl`, where the payer\'s browser goes to pay. The credit lands once the provider\'s signed callback confirms the payment.',
        body: NewOrderBody,
        response: { 200: Order },
      },
    },
    async (req) => {
      const user = principal(req).user;
      const b = req.body as { provider: string; method?: string; amount?: string | number; packId?: string };
      const order = await payments.createOrder({ userId: user.id, email: user.email, provider: b.provider, method: b.method, amount: b.amount, packId: b.packId, baseUrl: publicBase(req, config.publicUrl) });
      return orderView(order);
    },
  );

  app.get('/api/recharge/orders', { schema: { tags, summary: 'My recharge orders, newest first', querystring: OrdersQuery, response: { 200: Type.Object({ items: Type.Array(Order), total: Type.Integer() }) } } }, async (req) => {
    const q = req.query as { limit?: number; offset?: number };
    const page = await payments.list({ userId: principal(req).user.id, limit: q.limit ?? 20, offset: q.offset ?? 0 });
    return { total: page.total, items: page.items.map(({ email: _e, ...o }) => orderView(o)) };
  });

  app.get('/api/recharge/orders/:id', { schema: { tags, summary: 'One of my recharge orders', params: IdParams, response: { 200: Order } } }, async (req) =>
    orderView(await payments.get((req.params as { id: string }).id, principal(req).user.id)),
  );

  // The payer says they paid (back from the provider's page, the order still unpaid): the provider
  // is asked now instead of at the next scheduled ask. Once per order every few seconds, counted in
  // the shared store: with several gateways behind one address, every one of them sees the last ask.
  app.post(
    '/api/recharge/orders/:id/check',
    {
      schema: {
        tags,
        summary: 'I have paid: ask the provider about my order now',
        description: "Asks the order's payment provider about its payment, in case its callback was lost, and answers the order as it is afterwards (credited when the provider confirms the payment). 429 within 5 seconds of the last ask about the same order.",
        params: IdParams,
        response: { 200: Order },
      },
    },
    async (req) => {
      const id = (req.params as { id: string }).id;
      const o = await payments.get(id, principal(req).user.id);
      if (!(await ctx.services.kv.setIfAbsent(`topup-check:${o.id}`, '1', CHECK_EVERY_MS)))
        throw new GatewayError('rate_limit', 'The provider was just asked about this order; try again in a few seconds.', { code: 'order_check_too_soon', retryAfter: Math.ceil(CHECK_EVERY_MS / 1000) });
      return orderView(await payments.check(o.id, principal(req).user.id));
    },
  );

  // Callbacks are verified over the exact bytes received (Stripe signs the raw body), so this scope
  // takes every body as bytes instead of parsing it.
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 1024 * 1024 }, (_req, body, done) => done(null, body));
    scope.route({
      method: ['GET', 'POST'],
      url: '/api/payments/:provider/notify',
      config: { auth: 'public' },
      schema: {
        tags,
        summary: "A payment provider's callback (EPay notify, Stripe webhook)",
        description: 'Public: authenticated by the provider\'s signature (EPay MD5, Stripe-Signature HMAC within the tolerance). Answers as the provider expects (`success` for EPay, 2xx for Stripe) once handled, duplicates included.',
        params: Type.Object({ provider: Type.String({ pattern: '^[a-z0-9-]{1,40}$' }) }),
      },
      handler: async (req, reply) => {
        const raw = req.url.indexOf('?');
        const cb: InboundCallback = {
          method: req.method,
          // The query as sent (first value of each name), not as Fastify reshaped it.
          query: raw >= 0 ? Object.fromEntries(new URLSearchParams(req.url.slice(raw + 1))) : {},
          headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : v])),
          body: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0),
        };
        const r = await payments.handleCallback((req.params as { provider: string }).provider, cb);
        return reply.code(r.status).type(r.contentType).send(r.body);
      },
    });
  });
}

/**
 * The gateway's address as the world reaches it: the configured public URL, else the one this
 * request came to. Provider callbacks and the payer's way back are built on it.
 */
function publicBase(req: FastifyRequest, publicUrl: string | undefined): string {
  return publicUrl ?? `${req.protocol}://${req.host}`;
}

/** How often a payer may have the provider asked about one order. */
const CHECK_EVERY_MS = 5_000;
