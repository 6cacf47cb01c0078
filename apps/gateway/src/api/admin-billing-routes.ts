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
    const old = (await billing.prices.list()).find((p) => p.model === model);
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
    return priceView(await billing.prices.set(price));
  });

  app.delete('/api/admin/prices/:model', { config: admin, schema: { tags, summary: "Remove a model's price (its calls are then refused)", params: ModelParams, response: { 200: Ok } } }, async (req) => {
    await billing.prices.remove((req.params as { model: string }).model);
    return { ok: true };
  });

  app.get('/api/admin/groups', { config: admin, schema: { tags, summary: 'User groups and price multipliers', response: { 200: Type.Object({ items: Type.Array(Group) }) } } }, async () => ({
    items: await billing.groups.list(),
  }));

  app.put('/api/admin/groups/:name', { config: admin, schema: { tags, summary: "Set a group's price multiplier", params: NameParams, body: GroupBody, response: { 200: Group } } }, async (req) =>
    billing.groups.set((req.params as { name: string }).name, (req.body as { multiplier: number }).multiplier),
  );

  app.post(
    '/api/admin/codes',
    { config: admin, schema: { tags, summary: 'Generate redemption codes', description: `A batch of codes, each worth \`value\` P.${IDEMPOTENT_NOTE}`, headers: IdempotencyHeaders, body: CodesBody, response: { 200: Type.Object({ items: Type.Array(NewCode) }) } } },
    async (req, reply) => {
      const b = req.body as { count: number; value: number; expiresAt?: number; name?: string };
      const { rows, replayed } = await billing.createCodes({ count: b.count, value: fromPoints(b.value), expiresAt: b.expiresAt ?? null, name: b.name ?? null }, idempotencyKeyOf(req, b));
      markReplay(reply, replayed);
      return { items: rows.map((r) => ({ id: r.id, code: r.code, name: r.name, value: toPoints(r.value), expires_at: r.expires_at })) };
    },
  );

  app.get('/api/admin/codes', { config: admin, schema: { tags, summary: 'Redemption codes', querystring: CodesQuery, response: { 200: Type.Object({ items: Type.Array(CodeItem), total: Type.Integer() }) } } }, async (req) => {
    const page = await listCodes(db, req.query as { limit?: number; offset?: number; status?: CodeStatus });
    return { total: page.total, items: page.items.map((c) => ({ ...c, value: toPoints(Number(c.value)), redeemed_by_email: c.redeemed_by_email ?? null })) };
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
      const c = await billing.adjust(id, amount, amount > 0 ? 'topup' : 'adjust', `${b.reason} (by ${by})`, idempotencyKeyOf(req, { id, ...b }));
      markReplay(reply, c.replayed);
      return { balance: toPoints(c.balance) };
    },
  );

  app.put('/api/admin/users/:id/limits', { config: admin, schema: { tags, summary: "Set a user's requests and tokens per minute (null = no limit)", params: IdParams, body: UserLimitsBody, response: { 200: Ok } } }, async (req) => {
    const id = (req.params as { id: string }).id;
    if (!(await getUser(db, id))) throw new GatewayError('not_found', 'User not found.', { code: 'user_not_found' });
    const b = req.body as { rpm?: number | null; tpm?: number | null };
    await ensureAccount(db, id);
    await db.updateTable('accounts').set({ ...(b.rpm !== undefined ? { rpm: b.rpm } : {}), ...(b.tpm !== undefined ? { tpm: b.tpm } : {}) }).where('user_id', '=', id).execute();
    return { ok: true };
  });

  app.get('/api/admin/settings', { config: admin, schema: { tags, summary: 'Run-time settings', response: { 200: AdminSettings } } }, async () => settingsView(await billing.settings.fresh()));

  app.put('/api/admin/settings', { config: admin, schema: { tags, summary: 'Change run-time settings', body: AdminSettingsPatch, response: { 200: AdminSettings } } }, async (req) => {
    const b = req.body as { trialCredit?: number; signupEnabled?: boolean; lowBalanceDefault?: number };
    return settingsView(
      await billing.settings.update({
        ...(b.trialCredit !== undefined ? { trialCredit: fromPoints(b.trialCredit) } : {}),
        ...(b.signupEnabled !== undefined ? { signupEnabled: b.signupEnabled } : {}),
        ...(b.lowBalanceDefault !== undefined ? { lowBalanceDefault: fromPoints(b.lowBalanceDefault) } : {}),
      }),
    );
  });

  app.get('/api/admin/billing/check', { config: admin, schema: { tags, summary: 'Audit: balance == sum(ledger), every charge has its log row and the reverse', response: { 200: BillingCheckResult } } }, async () => {
    await ctx.services.logWriter.flush();
    return checkBilling(db, { journalDir: join(ctx.services.config.dataDir, 'journal'), state: ctx.services.billing.state });
  });
}

function settingsView(s: { trialCredit: number; signupEnabled: boolean; lowBalanceDefault: number }) {
  return { trialCredit: toPoints(s.trialCredit), signupEnabled: s.signupEnabled, lowBalanceDefault: toPoints(s.lowBalanceDefault) };
}
