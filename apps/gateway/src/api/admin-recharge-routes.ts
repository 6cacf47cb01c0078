import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { fromPoints } from '../billing/money.js';
import { formatMinor, priceFor } from '../payments/index.js';
import type { TopupOrdersTable, TopupPacksTable, TopupStatus } from '../storage/schema.js';
import { audit, noAuditNeeded } from './audit.js';
import type { ApiContext } from './context.js';
import { principal } from './context.js';
import { IDEMPOTENT_NOTE, IdempotencyHeaders, idempotencyKeyOf, markReplay } from './idempotency.js';
import { AdminOrdersQuery, CompleteBody, Order, orderView, Pack, PackBody, PackPatch, packView, RefundBody } from './recharge-schemas.js';
import { IdParams, Ok } from './schemas.js';

const admin = { auth: 'admin' as const };
const tags = ['Admin: recharge'];

/** Every user's recharge orders, refunds, manual completion, and the packs on offer. */
export function registerAdminRechargeRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { payments } = ctx.services;
  const pricesOf = (p: TopupPacksTable) =>
    Object.fromEntries([...payments.providers.values()].map((x) => [x.id, formatMinor(priceFor(Number(p.points), x.currency, x.pointsPerUnit), x.currency)]));
  const auditOrder = (o: TopupOrdersTable) => ({ status: o.status, credit: orderView(o).credit, refunded: orderView(o).refunded, note: o.note });

  app.get('/api/admin/topups', { config: admin, schema: { tags, summary: 'Recharge orders of every user, newest first', querystring: AdminOrdersQuery, response: { 200: Type.Object({ items: Type.Array(Order), total: Type.Integer() }) } } }, async (req) => {
    const q = req.query as { limit?: number; offset?: number; status?: TopupStatus; provider?: string; userId?: string };
    const page = await payments.list({ limit: q.limit ?? 20, offset: q.offset ?? 0, status: q.status, provider: q.provider, userId: q.userId });
    return { total: page.total, items: page.items.map(orderView) };
  });

  app.post(
    '/api/admin/topups/:id/refund',
    {
      config: admin,
      schema: {
        tags,
        summary: "Refund an order: take its credit back, and return the money through the provider where it can (Stripe; elsewhere in the provider's dashboard)",
        description: `A credited order's credit (or \`points\` of it) is taken back with a refund ledger row; never below a zero balance: when less is available the refund is refused with 409 \`insufficient_balance\` and may be made for the available amount. A \`paid\` order (held for review, never credited) is only marked refunded.${IDEMPOTENT_NOTE}`,
        params: IdParams,
        headers: IdempotencyHeaders,
        body: RefundBody,
        response: { 200: Order },
      },
    },
    async (req, reply) => {
      const id = (req.params as { id: string }).id;
      const b = req.body as { points?: number; reason: string; returnMoney?: boolean };
      const r = await payments.refund(
        id,
        principal(req).user.email,
        b.reason,
        b.points === undefined ? undefined : fromPoints(b.points),
        idempotencyKeyOf(req, { id, ...b }),
        (trx, before, after) => audit(req, trx, { action: 'topup.refund', targetType: 'topup', targetId: id, before: auditOrder(before), after: { ...auditOrder(after), reason: b.reason } }),
        b.returnMoney !== false,
      );
      markReplay(reply, r.replayed);
      if (r.replayed) noAuditNeeded(req);
      return orderView(await payments.get(r.order.id));
    },
  );

  app.post(
    '/api/admin/topups/:id/check',
    {
      config: admin,
      schema: {
        tags,
        summary: "Ask the order's payment provider about its payment now",
        description: "For an unpaid (`created` or `expired`) order whose callback may have been lost: the provider's answer is settled like its callback, so a payment it confirms is credited once. The gateway also asks by itself (`APIGPT_TOPUP_CHECK_SECONDS`). Answers the order as it is afterwards; 502 `payment_provider_unreachable` when the provider cannot be reached.",
        params: IdParams,
        response: { 200: Order },
      },
    },
    async (req) => orderView(await payments.check((req.params as { id: string }).id)),
  );

  app.post(
    '/api/admin/topups/:id/complete',
    {
      config: admin,
      schema: {
        tags,
        summary: 'Credit an order whose payment you confirmed at the provider',
        description: 'For a lost callback or a `paid` order held for review: the order is credited once, through the same path as a callback (409 `order_not_completable` when it already is).',
        params: IdParams,
        body: CompleteBody,
        response: { 200: Order },
      },
    },
    async (req) => {
      const id = (req.params as { id: string }).id;
      const { reason } = req.body as { reason: string };
      const o = await payments.complete(id, principal(req).user.email, reason, (trx, before, after) =>
        audit(req, trx, { action: 'topup.complete', targetType: 'topup', targetId: id, before: auditOrder(before), after: { ...auditOrder(after), reason } }),
      );
      return orderView(o);
    },
  );

  app.get('/api/admin/topup-packs', { config: admin, schema: { tags, summary: 'Recharge packs (enabled or not)', response: { 200: Type.Object({ items: Type.Array(Pack) }) } } }, async () => ({
    items: (await payments.packs.list()).map((p) => packView(p, pricesOf(p))),
  }));

  const packAudit = (p: TopupPacksTable | undefined) => p && packView(p, {});

  app.post('/api/admin/topup-packs', { config: admin, schema: { tags, summary: 'Offer a pack: P for the price each provider\'s rate gives, plus a bonus', body: PackBody, response: { 200: Pack } } }, async (req) => {
    const b = req.body as { name: string; points: number; bonus?: number; enabled?: boolean; sort?: number };
    const p = await payments.packs.create({ name: b.name, points: fromPoints(b.points), bonus: fromPoints(b.bonus ?? 0), enabled: b.enabled ?? true, sort: b.sort ?? 0 }, (trx, _before, after) =>
      audit(req, trx, { action: 'topup_pack.create', targetType: 'topup_pack', targetId: after!.id, after: packAudit(after) }),
    );
    return packView(p, pricesOf(p));
  });

  app.patch('/api/admin/topup-packs/:id', { config: admin, schema: { tags, summary: 'Change a pack', params: IdParams, body: PackPatch, response: { 200: Pack } } }, async (req) => {
    const id = (req.params as { id: string }).id;
    const b = req.body as { name?: string; points?: number; bonus?: number; enabled?: boolean; sort?: number };
    const p = await payments.packs.update(
      id,
      { name: b.name, points: b.points === undefined ? undefined : fromPoints(b.points), bonus: b.bonus === undefined ? undefined : fromPoints(b.bonus), enabled: b.enabled, sort: b.sort },
      (trx, before, after) => audit(req, trx, { action: 'topup_pack.update', targetType: 'topup_pack', targetId: id, before: packAudit(before), after: packAudit(after) }),
    );
    return packView(p, pricesOf(p));
  });

  app.delete('/api/admin/topup-packs/:id', { config: admin, schema: { tags, summary: 'Remove a pack (its orders keep their figures)', params: IdParams, response: { 200: Ok } } }, async (req) => {
    const id = (req.params as { id: string }).id;
    await payments.packs.remove(id, (trx, before) => audit(req, trx, { action: 'topup_pack.delete', targetType: 'topup_pack', targetId: id, before: packAudit(before) }));
    return { ok: true };
  });
}
