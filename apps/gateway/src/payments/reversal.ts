import { sql } from 'kysely';
import { changeBalance, userPool } from '../billing/ledger.js';
import { formatPoints } from '../billing/money.js';
import { Pools } from '../billing/pools.js';
import type { SharedState } from '../state/shared-state.js';
import type { Db } from '../storage/database.js';
import { reclaimRewards } from './referrals.js';
import type { Outcome, Settled } from './settled.js';
import type { PaymentNotice } from './types.js';
import { noteAfter, noteMoney, notePoints, type NoteLine } from './notes.js';

export type ReversedNotice = Extract<PaymentNotice, { kind: 'reversed' }>;

/** A refund of an order of ours whose payment has not reached us yet (see settleReversal). */
export class PaymentNotKnownYet extends Error {
  constructor(readonly orderId: string) {
    super(`a refund of order ${orderId}, whose payment is not known here yet: to be delivered again`);
    this.name = 'PaymentNotKnownYet';
  }
}
export type ReinstatedNotice = Extract<PaymentNotice, { kind: 'reinstated' }>;

/**
 * Money of a credited order that went back to the payer outside the gateway (a refund made in the
 * provider's dashboard, a dispute the payer opened): the credit it bought is taken back in
 * proportion, with a `refund` ledger row, in the transaction that records the event, so once per
 * event. A partial refund takes back its share; later ones take theirs, never more than the order
 * credited in all. What an admin's refund took back first (refund.ts; the README's steps refund
 * the money in the dashboard after it) counts: the credit follows the money given back, once.
 *
 * The money is already gone, so unlike an admin's refund (refund.ts) this is never refused. The
 * stated policy for a balance that was spent: as everywhere, a balance never goes below zero and
 * money calls in flight hold is never taken; what is available is taken (possibly nothing), the
 * order's `refunded` says how much was, and its note and the ledger row say what could not be,
 * for an admin to settle with the account. The invitation rewards the order paid are taken back as
 * with an admin's refund (`reclaimRewards`, same policy).
 *
 * `holdId` names this event's holds; the caller drops them with the commit (`Settled.holds`).
 */
export async function settleReversal(trx: Db, state: SharedState, provider: string, n: ReversedNotice, holdId: string, now: number): Promise<Settled> {
  // The money given back so far, this event's included (never past the payment), added by one
  // update: on PostgreSQL it also locks the order, so two events of one payment settle one after
  // the other and neither loses the other's sum.
  // A provider's running total (Alipay's refund_fee) replaces the sum, unless an event delivered
  // late says less than one already counted.
  const reversed = n.runningTotal
    ? sql<number>`case when ${n.amount} > amount then amount when ${n.amount} > reversed then ${n.amount} else reversed end`
    : sql<number>`case when reversed + ${n.amount} > amount then amount else reversed + ${n.amount} end`;
  const order = await trx
    .updateTable('topup_orders')
    .set({ reversed, updated_at: now })
    .where('provider', '=', provider)
    .where('provider_trade_no', '=', n.tradeNo)
    .where('currency', '=', n.currency)
    .returningAll()
    .executeTakeFirst();
  if (!order) {
    const other = await trx.selectFrom('topup_orders').select('id').where('provider', '=', provider).where('provider_trade_no', '=', n.tradeNo).executeTakeFirst();
    if (!other && n.orderId) {
      // Our order, its payment not known yet: the refund cannot be counted against a credit that is
      // not there, nor forgotten. Thrown, it rolls back (no event row) and the provider is asked to
      // deliver it again; by then the reconciler has found the payment (payments/reconcile.ts).
      const unpaid = await trx.selectFrom('topup_orders').select('status').where('id', '=', n.orderId).where('provider', '=', provider).executeTakeFirst();
      if (unpaid && (unpaid.status === 'created' || unpaid.status === 'expired')) throw new PaymentNotKnownYet(n.orderId);
    }
    return { outcome: other ? 'mismatch' : 'unknown_order', order: null, committed: null };
  }
  await trx.updateTable('payment_events').set({ order_id: order.id, subject: n.subject ?? null }).where('provider', '=', provider).where('event_id', '=', n.eventId).execute();
  const what = n.reason === 'refund' ? `${provider} refund` : `${provider} dispute (chargeback)`;
  const money = `${noteMoney(n.amount, order.currency)}${n.runningTotal ? ' in all' : ''}`;
  const line = { code: n.reason === 'refund' ? 'provider_refund' : 'provider_dispute', provider, money: noteMoney(n.amount, order.currency), ...(n.runningTotal ? { inAll: true } : {}) } satisfies NoteLine;
  if (order.status === 'paid' || (order.status === 'refunded' && order.credited_at === null)) {
    // Never credited (held for review, perhaps refunded by an admin since): nothing to take back.
    const noted = noteAfter(order, line);
    await trx.updateTable('topup_orders').set({ status: 'refunded', refunded_at: now, ...noted }).where('id', '=', order.id).execute();
    return { outcome: 'reversed', order: { ...order, status: 'refunded', refunded_at: now, ...noted }, committed: null };
  }
  if (order.status !== 'credited' && order.status !== 'refunded') return { outcome: `no_change:${order.status}` as Outcome, order, committed: null };
  const credit = Number(order.credit);
  const already = Number(order.refunded);
  // That share of the credit (the bonus included, rounded down), less what was taken back already
  // (an admin's refund, earlier events): the credit follows the money, never taken twice for it.
  const due = Math.floor((credit * Number(order.reversed)) / Number(order.amount)) - already;
  if (due <= 0) return { outcome: `no_change:${order.status}` as Outcome, order, committed: null };
  const pool = userPool(order.user_id);
  const taken = await new Pools(trx, state).reserveUpTo(pool, due, holdId);
  const short = due - taken;
  const shortText = short > 0 ? `; ${formatPoints(short)} could not be taken back (the balance was spent)` : '';
  const noted = noteAfter(order, { ...line, taken: notePoints(taken), ...(short > 0 ? { short: notePoints(short) } : {}) });
  const committed = taken > 0 ? await changeBalance(trx, { userId: order.user_id, amount: -taken, kind: 'refund', reason: `${what} of recharge ${order.id}: ${money} returned to the payer${shortText}`, requestId: order.id }) : null;
  const after = { ...order, status: 'refunded' as const, refunded: already + taken, refunded_at: now, ...noted };
  await trx.updateTable('topup_orders').set({ status: 'refunded', refunded: after.refunded, refunded_at: now, ...noted }).where('id', '=', order.id).execute();
  // What this event took, for a later decision that gives the money back (settleReinstatement).
  await trx.updateTable('payment_events').set({ credit_moved: taken }).where('provider', '=', provider).where('event_id', '=', n.eventId).execute();
  const reclaimed = await reclaimRewards(trx, state, order.id, holdId, now);
  return { outcome: 'reversed', order: after, committed, rewards: reclaimed.commits, holds: [...(taken > 0 ? [holdId] : []), ...reclaimed.holds] };
}

/**
 * Money a reversal took came back to the merchant (a dispute decided for it): the credit that
 * reversal took back (its event's `credit_moved`, the shortfall excluded: what could not be taken
 * is not given) is given back with a `topup` ledger row, once per event, and the order's `reversed`
 * and `refunded` move back; an order with nothing taken back any more is `credited` again.
 * Invitation rewards the reversal took back stay taken back (the policy: a dispute ends the
 * reward, whatever the bank decides later).
 */
export async function settleReinstatement(trx: Db, provider: string, n: ReinstatedNotice, now: number): Promise<Settled> {
  const reversal = await trx
    .selectFrom('payment_events')
    .select(['event_id', 'credit_moved'])
    .where('provider', '=', provider)
    .where('subject', '=', n.subject)
    .where('outcome', '=', 'reversed')
    .executeTakeFirst();
  const order = await trx
    .updateTable('topup_orders')
    .set({ reversed: sql<number>`case when reversed < ${n.amount} then 0 else reversed - ${n.amount} end`, updated_at: now })
    .where('provider', '=', provider)
    .where('provider_trade_no', '=', n.tradeNo)
    .where('currency', '=', n.currency)
    .returningAll()
    .executeTakeFirst();
  if (!order) return { outcome: 'unknown_order', order: null, committed: null };
  await trx.updateTable('payment_events').set({ order_id: order.id, subject: n.subject }).where('provider', '=', provider).where('event_id', '=', n.eventId).execute();
  const money = noteMoney(n.amount, order.currency);
  const back = Math.min(Number(reversal?.credit_moved ?? 0), Number(order.refunded));
  const status = Number(order.refunded) - back === 0 && order.status === 'refunded' ? ('credited' as const) : order.status;
  const noted = noteAfter(order, { code: 'dispute_won', provider, money, back: notePoints(back) });
  const after = { ...order, status, refunded: Number(order.refunded) - back, ...noted };
  await trx.updateTable('topup_orders').set({ status, refunded: after.refunded, ...noted }).where('id', '=', order.id).execute();
  const committed = back > 0 ? await changeBalance(trx, { userId: order.user_id, amount: back, kind: 'topup', reason: `${provider} dispute of recharge ${order.id} decided for the merchant: ${money} back`, requestId: order.id }) : null;
  await trx.updateTable('payment_events').set({ credit_moved: back }).where('provider', '=', provider).where('event_id', '=', n.eventId).execute();
  return { outcome: 'reinstated', order: after, committed };
}
