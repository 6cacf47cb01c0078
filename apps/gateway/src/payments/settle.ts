import { randomUUID } from 'node:crypto';
import { changeBalance } from '../billing/ledger.js';
import { GatewayError } from '../core/errors.js';
import type { SharedState } from '../state/shared-state.js';
import type { Db } from '../storage/database.js';
import type { TopupOrdersTable, TopupStatus } from '../storage/schema.js';
import { formatMinor } from './money.js';
import { noteAfter, noteMoney, type NoteColumns, type NoteLine } from './notes.js';
import { rewardFirstPayment, rewardHoldIds } from './referrals.js';
import { settleReinstatement, settleReversal } from './reversal.js';
import { balanceEntries, type Outcome, type Settled } from './settled.js';
import type { PaymentNotice } from './types.js';

export type { Outcome, Settled } from './settled.js';

/**
 * The one credit path of online recharge. A paid order is credited exactly once, however often, in
 * whatever order and at however many gateway processes its callbacks arrive:
 *
 * - the callback's event is inserted first (primary key provider + event id): a re-delivered or
 *   replayed event finds its row and changes nothing; on PostgreSQL a twin arriving at another
 *   process at the same moment waits on the row and then finds it;
 * - the order moves to `credited` by a conditional update (`where status in ('created', 'expired')`)
 *   and only when that changed a row is the ledger written, in the same transaction; a second event
 *   for the same payment (Stripe's `completed` and `async_payment_succeeded`) changes no row.
 *
 * Shared state learns the new balance after the commit, as with every other credit.
 */

/** Statuses a payment can credit: an order shown expired may still be paid late (the money is real). */
const CREDITABLE: TopupStatus[] = ['created', 'expired'];

/** Largest audit copy of a callback kept. */
const MAX_DETAIL = 16_384;

/** Tells shared state the balances a settlement committed, in the order they were written, and drops its holds. */
async function syncSettled(state: SharedState, r: Settled): Promise<void> {
  const entries = balanceEntries(r.order?.user_id ?? null, r.committed, r.rewards ?? []);
  if (r.holds?.length) await state.commit(entries, r.holds);
  else for (const e of entries) await state.syncBalance(e.pool, e.balance, e.version);
}

export async function applyNotice(db: Db, state: SharedState, provider: string, n: PaymentNotice, now = Date.now()): Promise<Settled> {
  // A reversal holds money in shared state inside the transaction: released with the commit, or
  // here when the transaction failed (a hold already dropped moves nothing).
  const holdId = `reversal-${randomUUID()}`;
  try {
    return await apply(db, state, provider, n, now, holdId);
  } catch (err) {
    await state.commit([], [holdId, ...rewardHoldIds(holdId)]).catch(() => undefined);
    throw err;
  }
}

async function apply(db: Db, state: SharedState, provider: string, n: PaymentNotice, now: number, holdId: string): Promise<Settled> {
  const r = await db.transaction().execute(async (trx) => {
    const detail = JSON.stringify(n.detail).slice(0, MAX_DETAIL);
    const claimed = await trx
      .insertInto('payment_events')
      .values({ provider, event_id: n.eventId, order_id: n.orderId, type: n.type, outcome: 'received', received_at: now, detail })
      .onConflict((oc) => oc.columns(['provider', 'event_id']).doNothing())
      .returning('event_id')
      .executeTakeFirst();
    if (!claimed) return { outcome: 'duplicate' as Outcome, order: null, committed: null };
    const settled =
      n.kind === 'reversed' ? await settleReversal(trx, state, provider, n, holdId, now) : n.kind === 'reinstated' ? await settleReinstatement(trx, provider, n, now) : await settleInside(trx, provider, n, now);
    await trx.updateTable('payment_events').set({ outcome: settled.outcome }).where('provider', '=', provider).where('event_id', '=', n.eventId).execute();
    return settled;
  });
  await syncSettled(state, r);
  return r;
}

async function settleInside(trx: Db, provider: string, n: Exclude<PaymentNotice, { kind: 'reversed' | 'reinstated' }>, now: number): Promise<Settled> {
  if (n.orderId === null) return { outcome: 'ignored', order: null, committed: null };
  const order = await trx.selectFrom('topup_orders').selectAll().where('id', '=', n.orderId).executeTakeFirst();
  if (!order || order.provider !== provider) return { outcome: 'unknown_order', order: null, committed: null };
  switch (n.kind) {
    case 'ignored':
      return { outcome: 'ignored', order, committed: null };
    case 'pending':
      return { outcome: 'pending', order, committed: null };
    case 'ended': {
      // Only an unpaid order ends; an event about a checkout that was paid after all changes nothing.
      const r = await trx.updateTable('topup_orders').set({ status: 'expired', ...noteAfter(order, n.reason), updated_at: now }).where('id', '=', order.id).where('status', '=', 'created').executeTakeFirst();
      return { outcome: Number(r.numUpdatedRows) ? 'expired' : (`no_change:${order.status}` as Outcome), order, committed: null };
    }
    case 'paid': {
      const wrong = mismatch(order, n);
      if (wrong) {
        // Authentic, but not what was ordered: kept for an admin to review, never credited by itself.
        const r = await trx
          .updateTable('topup_orders')
          // What was paid, when it is money in the order's currency: what a refund of it returns.
          .set({ status: 'paid', ...noteAfter(order, wrong), paid_amount: n.currency === order.currency ? n.amount : null, paid_at: now, provider_trade_no: n.tradeNo, updated_at: now })
          .where('id', '=', order.id)
          .where('status', 'in', CREDITABLE)
          .executeTakeFirst();
        return { outcome: Number(r.numUpdatedRows) ? 'mismatch' : (`no_change:${order.status}` as Outcome), order, committed: null };
      }
      return credit(trx, order, { status: CREDITABLE, tradeNo: n.tradeNo, paidAmount: n.amount, reason: `Recharge ${formatMinor(Number(order.amount), order.currency)} ${order.currency.toUpperCase()} (${provider} ${order.method})`, now });
    }
  }
}

/**
 * Moves the order to `credited` if its status is one of `status`, and only then writes the ledger
 * row and the balance: the conditional update is what makes the credit happen once.
 */
export async function credit(
  trx: Db,
  order: TopupOrdersTable,
  o: { status: TopupStatus[]; tradeNo: string | null; paidAmount?: number | null; reason: string; noted?: NoteColumns; now: number },
): Promise<Settled> {
  const r = await trx
    .updateTable('topup_orders')
    .set({
      status: 'credited',
      paid_at: order.paid_at ?? o.now,
      credited_at: o.now,
      updated_at: o.now,
      ...(o.tradeNo !== null ? { provider_trade_no: o.tradeNo } : {}),
      ...o.noted,
      ...(o.paidAmount != null ? { paid_amount: o.paidAmount } : {}),
    })
    .where('id', '=', order.id)
    .where('status', 'in', o.status)
    .executeTakeFirst();
  if (Number(r.numUpdatedRows) === 0) {
    const now = await trx.selectFrom('topup_orders').select('status').where('id', '=', order.id).executeTakeFirstOrThrow();
    return { outcome: `no_change:${now.status}` as Outcome, order, committed: null };
  }
  // The order id rides in request_id: the ledger row of an order is found by it.
  const committed = await changeBalance(trx, { userId: order.user_id, amount: Number(order.credit), kind: 'topup', reason: o.reason, requestId: order.id });
  // The account's first paid order may owe invitation rewards: in this transaction, so exactly once.
  const rewards = await rewardFirstPayment(trx, order.user_id, order.id, o.now);
  return { outcome: 'credited', order: { ...order, status: 'credited' }, committed, rewards };
}

/** Why a confirmed payment does not match its order, or null when it does (integers, no floats). */
function mismatch(order: TopupOrdersTable, n: Extract<PaymentNotice, { kind: 'paid' }>): NoteLine | null {
  const cur = order.currency.toUpperCase();
  const ordered = noteMoney(Number(order.amount), order.currency);
  if (n.providerRef && order.provider_ref && n.providerRef !== order.provider_ref) return { code: 'other_checkout', paidFor: n.providerRef, ordered: order.provider_ref };
  if (n.currency !== order.currency) return { code: 'other_currency', paid: n.currency.toUpperCase(), ordered: cur };
  if (n.amount === null) return { code: 'invalid_amount', currency: cur, ordered };
  if (n.amount !== Number(order.amount)) return { code: 'other_amount', paid: noteMoney(n.amount, order.currency), ordered };
  if (n.method && n.method !== order.method) return { code: 'other_method', paid: n.method, ordered: order.method };
  return null;
}

/** An admin credits an order the provider's callback did not (lost, or held for review). */
export async function completeOrder(
  db: Db,
  state: SharedState,
  orderId: string,
  by: string,
  reason: string,
  within?: (trx: Db, before: TopupOrdersTable, after: TopupOrdersTable) => Promise<void>,
  now = Date.now(),
): Promise<Settled> {
  const r = await db.transaction().execute(async (trx) => {
    const order = await trx.selectFrom('topup_orders').selectAll().where('id', '=', orderId).executeTakeFirst();
    if (!order) throw orderNotFound();
    const noted = noteAfter(order, { code: 'credited_by', by, reason });
    const s = await credit(trx, order, { status: ['created', 'expired', 'paid'], tradeNo: null, reason: `Recharge ${order.id} completed by ${by}: ${reason}`, noted, now });
    if (!s.committed) throw new GatewayError('conflict', `The order is ${order.status}: only an order that is not credited yet can be completed.`, { code: 'order_not_completable' });
    await within?.(trx, order, { ...order, status: 'credited', ...noted, credited_at: now, paid_at: order.paid_at ?? now, updated_at: now });
    return s;
  });
  await syncSettled(state, r);
  return r;
}

export const orderNotFound = () => new GatewayError('not_found', 'There is no such recharge order.', { code: 'order_not_found' });
