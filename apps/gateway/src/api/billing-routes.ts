import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { accountOf, listLedger } from '../billing/ledger.js';
import { fromPoints, toPoints } from '../billing/money.js';
import { usageReport } from '../billing/usage.js';
import type { ApiContext } from './context.js';
import { principal } from './context.js';
import { IDEMPOTENT_NOTE, IdempotencyHeaders, idempotencyKeyOf, markReplay } from './idempotency.js';
import { Account, LedgerEntry, LowBalanceBody, PageQuery, RedeemBody, RedeemResult, UsageQuery, UsageReport } from './billing-schemas.js';
import { Ok } from './schemas.js';


const tags = ['Billing'];

/** The signed-in user's credit: balance, ledger, codes, usage, low-balance reminder. */
export function registerBillingRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { db, billing } = ctx.services;

  app.get('/api/billing/account', { config: { keys: true }, schema: { tags, summary: 'My balance, group and notices', response: { 200: Account } } }, async (req) => {
    // Charges reach the balance in the request log's batches: the pending one is written first, so a
    // balance read right after a call includes that call (as /api/logs shows it).
    await ctx.services.logWriter.flushWithin();
    const user = principal(req).user;
    const acc = await accountOf(db, user.id);
    const notices = await db.selectFrom('notices').select(['id', 'kind', 'message', 'created_at']).where('user_id', '=', user.id).orderBy('created_at', 'desc').limit(20).execute();
    return {
      balance: toPoints(Number(acc.balance)),
      group: user.group_name,
      multiplier: (await billing.groups.multiplier(user.group_name)) / 1_000_000,
      lowBalanceThreshold: acc.low_balance_threshold === null ? null : toPoints(Number(acc.low_balance_threshold)),
      notices,
    };
  });

  app.get('/api/billing/ledger', { schema: { tags, summary: 'My ledger, newest first', querystring: PageQuery, response: { 200: Type.Object({ items: Type.Array(LedgerEntry), total: Type.Integer() }) } } }, async (req) => {
    const q = req.query as { limit?: number; offset?: number };
    const page = await listLedger(db, principal(req).user.id, q.limit, q.offset);
    return { total: page.total, items: page.items.map((r) => ({ ...r, amount: toPoints(Number(r.amount)), balance_after: toPoints(Number(r.balance_after)) })) };
  });

  app.post(
    '/api/billing/redeem',
    { config: { keys: true }, schema: { tags, summary: 'Redeem a code (each works once)', description: `Answers the code's value and the balance after it.${IDEMPOTENT_NOTE}`, headers: IdempotencyHeaders, body: RedeemBody, response: { 200: RedeemResult } } },
    async (req, reply) => {
      const body = req.body as { code: string };
      const r = await billing.redeem(principal(req).user.id, body.code, idempotencyKeyOf(req, body));
      markReplay(reply, r.replayed);
      return { amount: toPoints(r.amount), balance: toPoints(r.balance) };
    },
  );

  app.get('/api/billing/usage', { config: { keys: true }, schema: { tags, summary: 'My usage per day and per model', querystring: UsageQuery, response: { 200: UsageReport } } }, async (req) =>
    usageReport(db, principal(req).user.id, (req.query as { days?: number }).days ?? 30),
  );

  app.put('/api/billing/low-balance', { schema: { tags, summary: 'Set (or clear with null) my low-balance reminder', body: LowBalanceBody, response: { 200: Ok } } }, async (req) => {
    const userId = principal(req).user.id;
    const t = (req.body as { threshold: number | null }).threshold;
    const threshold = t === null ? null : fromPoints(t);
    await db.transaction().execute(async (trx) => {
      await trx.insertInto('accounts').values({ user_id: userId, balance: 0, version: 0, low_balance_threshold: null, low_balance_notified: 0, rpm: null, tpm: null }).onConflict((oc) => oc.column('user_id').doNothing()).execute();
      // A new threshold re-arms the reminder: the next crossing of it is noticed.
      await trx.updateTable('accounts').set({ low_balance_threshold: threshold, low_balance_notified: 0 }).where('user_id', '=', userId).execute();
    });
    return { ok: true };
  });
}
