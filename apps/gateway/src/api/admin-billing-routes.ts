import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { getUser } from '../accounts/users.js';
import { checkBilling } from '../billing/check.js';
import { listCodes, type CodeStatus } from '../billing/codes.js';
import { ensureAccount } from '../billing/ledger.js';
import { fromPoints, toPoints } from '../billing/money.js';
import { priceView, type Price } from '../billing/pricing.js';
import { GatewayError } from '../core/errors.js';
import type { ApiContext } from './context.js';
import { IDEMPOTENT_NOTE, IdempotencyHeaders, idempotencyKeyOf, markReplay } from './idempotency.js';
import { principal } from './context.js';
import { audit, noAuditNeeded } from './audit.js';
import {
  AdminSettings,
  AdminSettingsPatch,
  BillingCheckResult,
  CodeItem,
  CodesBody,
  CodesQuery,
  CreditBody,
  Group,
  GroupBody,
  ModelParams,
  NameParams,
  NewCode,
  PriceBody,
  PriceItem,
  UserLimitsBody,
} from './billing-schemas.js';
import { IdParams, Ok } from './schemas.js';


const admin = { auth: 'admin' as const };
const tags = ['Admin: billing'];

/** Prices, groups, codes, credit adjustments, run-time settings and the audit, for admins. */
export function registerAdminBillingRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { db, billing } = ctx.services;

  app.get('/api/admin/prices', { config: admin, schema: { tags, summary: 'The price table (P per 1K tokens, per image, per 1K characters, per second, per 1K searches)', response: { 200: Type.Object({ items: Type.Array(PriceItem) }) } } }, async () => ({
    items: (await billing.prices.list()).map(priceView),
  }));

  app.put('/api/admin/prices/:model', { config: admin, schema: { tags, summary: "Set a model's price", params: ModelParams, body: PriceBody, response: { 200: PriceItem } } }, async (req) => {
    const model = (req.params as { model: string }).model;
    const b = req.body as { input: number; output: number; cachedInput?: number; perImage?: number | null; perKChars?: number | null; perSecond?: number | null; perKSearches?: number | null; maxOutput?: number };
    return db.transaction().execute(async (trx) => {
      const old = await billing.prices.get(model, trx);
      // A unit price left out keeps its current value; null removes it.
      const unit = (v: number | null | undefined, was: number | null | undefined) => (v === undefined ? (was ?? null) : v === null ? null : fromPoints(v));
      const price: Price = {
        model,
        input: fromPoints(b.input),
        output: fromPoints(b.output),
        // Unless given, cached input costs what input costs: never cheaper by accident.
        cachedInput: fromPoints(b.cachedInput ?? b.input),
        perImage: unit(b.perImage, old?.perImage),
        perKChars: unit(b.perKChars, old?.perKChars),
        perSecond: unit(b.perSecond, old?.perSecond),
        perKSearches: unit(b.perKSearches, old?.perKSearches),
        maxOutput: b.maxOutput ?? old?.maxOutput ?? 4096,
      };
      const after = priceView(await billing.prices.set(price, trx));
      await audit(req, trx, { action: 'price.set', targetType: 'price', targetId: model, before: old && priceView(old), after });
      return after;
    });
  });

  app.delete('/api/admin/prices/:model', { config: admin, schema: { tags, summary: "Remove a model's price (its calls are then refused)", params: ModelParams, response: { 200: Ok } } }, async (req) => {
    const model = (req.params as { model: string }).model;
    await db.transaction().execute(async (trx) => {
      const old = await billing.prices.get(model, trx);
      await billing.prices.remove(model, trx);
      await audit(req, trx, { action: 'price.delete', targetType: 'price', targetId: model, before: old && priceView(old) });
    });
    return { ok: true };
  });

  app.get('/api/admin/groups', { config: admin, schema: { tags, summary: 'User groups and price multipliers', response: { 200: Type.Object({ items: Type.Array(Group) }) } } }, async () => ({
    items: await billing.groups.list(),
  }));

  app.put('/api/admin/groups/:name', { config: admin, schema: { tags, summary: "Set a group's price multiplier", params: NameParams, body: GroupBody, response: { 200: Group } } }, async (req) => {
    const name = (req.params as { name: string }).name;
    return db.transaction().execute(async (trx) => {
      const before = await billing.groups.get(name, trx);
      const after = await billing.groups.set(name, (req.body as { multiplier: number }).multiplier, trx);
      await audit(req, trx, { action: 'group.set', targetType: 'group', targetId: name, before, after });
      return after;
    });
  });

  app.post(
    '/api/admin/codes',
    { config: admin, schema: { tags, summary: 'Generate redemption codes', description: `A batch of codes, each worth \`value\` P.${IDEMPOTENT_NOTE}`, headers: IdempotencyHeaders, body: CodesBody, response: { 200: Type.Object({ items: Type.Array(NewCode) }) } } },
    async (req, reply) => {
      const b = req.body as { count: number; value: number; expiresAt?: number; name?: string };
      // The audit row names the batch and its codes' hints: the codes themselves are in this answer only.
      const { codes, replayed } = await billing.createCodes({ count: b.count, value: fromPoints(b.value), expiresAt: b.expiresAt ?? null, name: b.name ?? null }, idempotencyKeyOf(req, b), ctx.services.box, (trx, items) =>
        audit(req, trx, { action: 'codes.create', targetType: 'codes', targetId: items[0]?.id ?? null, after: { count: items.length, value: b.value, name: items[0]?.name ?? null, expiresAt: b.expiresAt ?? null, codes: items.map((i) => ({ id: i.id, hint: i.hint })) } }),
      );
      markReplay(reply, replayed);
      if (replayed) noAuditNeeded(req);
      return { items: codes.map((r) => ({ id: r.id, code: r.code, hint: r.hint, name: r.name, value: toPoints(r.value), expires_at: r.expires_at })) };
    },
  );

  app.get('/api/admin/codes', { config: admin, schema: { tags, summary: 'Redemption codes', querystring: CodesQuery, response: { 200: Type.Object({ items: Type.Array(CodeItem), total: Type.Integer() }) } } }, async (req) => {
    const page = await listCodes(db, req.query as { limit?: number; offset?: number; status?: CodeStatus });
    return { total: page.total, items: page.items.map((c) => ({ ...c, hint: c.hint ?? '', value: toPoints(Number(c.value)), redeemed_by_email: c.redeemed_by_email ?? null })) };
  });

  app.post(
    '/api/admin/users/:id/credit',
    { config: admin, schema: { tags, summary: 'Grant (or, negative, deduct) credit with a reason', description: `Answers the balance after the change.${IDEMPOTENT_NOTE}`, params: IdParams, headers: IdempotencyHeaders, body: CreditBody, response: { 200: Type.Object({ balance: Type.Number() }) } } },
    async (req, reply) => {
      const id = (req.params as { id: string }).id;
      if (!(await getUser(db, id))) throw new GatewayError('not_found', 'User not found.', { code: 'user_not_found' });
      const b = req.body as { amount: number; reason: string };
      const amount = fromPoints(b.amount);
      const by = principal(req).user.email;
      const c = await billing.adjust(id, amount, amount > 0 ? 'topup' : 'adjust', `${b.reason} (by ${by})`, idempotencyKeyOf(req, { id, ...b }), (trx, done) =>
        audit(req, trx, { action: 'credit.adjust', targetType: 'user', targetId: id, before: { balance: toPoints(done.balance - amount) }, after: { balance: toPoints(done.balance), amount: b.amount, reason: b.reason } }),
      );
      markReplay(reply, c.replayed);
      if (c.replayed) noAuditNeeded(req);
      return { balance: toPoints(c.balance) };
    },
  );

  app.put('/api/admin/users/:id/limits', { config: admin, schema: { tags, summary: "Set a user's requests and tokens per minute (null = no limit)", params: IdParams, body: UserLimitsBody, response: { 200: Ok } } }, async (req) => {
    const id = (req.params as { id: string }).id;
    if (!(await getUser(db, id))) throw new GatewayError('not_found', 'User not found.', { code: 'user_not_found' });
    const b = req.body as { rpm?: number | null; tpm?: number | null };
    await db.transaction().execute(async (trx) => {
      await ensureAccount(trx, id);
      const limits = () => trx.selectFrom('accounts').select(['rpm', 'tpm']).where('user_id', '=', id).executeTakeFirstOrThrow();
      const before = await limits();
      await trx.updateTable('accounts').set({ ...(b.rpm !== undefined ? { rpm: b.rpm } : {}), ...(b.tpm !== undefined ? { tpm: b.tpm } : {}) }).where('user_id', '=', id).execute();
      await audit(req, trx, { action: 'user.limits', targetType: 'user', targetId: id, before, after: await limits() });
    });
    return { ok: true };
  });

  app.get('/api/admin/settings', { config: admin, schema: { tags, summary: 'Run-time settings', response: { 200: AdminSettings } } }, async () => settingsView(await billing.settings.fresh()));

  app.put('/api/admin/settings', { config: admin, schema: { tags, summary: 'Change run-time settings', body: AdminSettingsPatch, response: { 200: AdminSettings } } }, async (req) => {
    const b = req.body as { trialCredit?: number; signupEnabled?: boolean; lowBalanceDefault?: number; affinityTtlSec?: number; requireAdminTwoFactor?: boolean };
    return settingsView(
      await billing.settings.update(
        {
          ...(b.trialCredit !== undefined ? { trialCredit: fromPoints(b.trialCredit) } : {}),
          ...(b.signupEnabled !== undefined ? { signupEnabled: b.signupEnabled } : {}),
          ...(b.lowBalanceDefault !== undefined ? { lowBalanceDefault: fromPoints(b.lowBalanceDefault) } : {}),
          ...(b.affinityTtlSec !== undefined ? { affinityTtlSec: b.affinityTtlSec } : {}),
          ...(b.requireAdminTwoFactor !== undefined ? { requireAdminTwoFactor: b.requireAdminTwoFactor } : {}),
        },
        (trx, before, after) => audit(req, trx, { action: 'settings.update', targetType: 'settings', before: settingsView(before), after: settingsView(after) }),
      ),
    );
  });

  app.get('/api/admin/billing/check', { config: admin, schema: { tags, summary: 'Audit: balance == sum(ledger), every charge has its log row and the reverse', response: { 200: BillingCheckResult } } }, async () => {
    await ctx.services.logWriter.flushWithin();
    return checkBilling(db, { journalDir: join(ctx.services.config.dataDir, 'journal'), state: ctx.services.billing.state });
  });
}

function settingsView(s: { trialCredit: number; signupEnabled: boolean; lowBalanceDefault: number; affinityTtlSec: number; requireAdminTwoFactor: boolean }) {
  return { trialCredit: toPoints(s.trialCredit), signupEnabled: s.signupEnabled, lowBalanceDefault: toPoints(s.lowBalanceDefault), affinityTtlSec: s.affinityTtlSec, requireAdminTwoFactor: s.requireAdminTwoFactor };
}
