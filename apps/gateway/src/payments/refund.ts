import { randomUUID } from 'node:crypto';
import type { IdempotencyKey, IdempotencyStore } from '../billing/idempotency.js';
import { changeBalance, userPool, type Committed } from '../billing/ledger.js';
import { formatPoints } from '../billing/money.js';
import { Pools } from '../billing/pools.js';
import { GatewayError } from '../core/errors.js';
import type { SharedState } from '../state/shared-state.js';
import type { Db } from '../storage/database.js';
import type { TopupOrdersTable } from '../storage/schema.js';
import { reclaimRewards, type RewardCommit } from './referrals.js';
import { orderNotFound } from './settle.js';
import { noteAfter } from './notes.js';
import { balanceEntries } from './settled.js';

/**
 * An admin's refund of a recharge order (the money itself goes back to the payer in the provider's
 * dashboard; Stripe then reports it, and reversal.ts counts what this took back, so nothing is taken twice). A credited order's refund takes its credit back with a `refund` ledger row, in the
 * transaction that marks the order refunded, so it happens once. The stated policy for a balance
 * that was partly spent: the refund never takes a balance below zero, and never money that calls
 * in flight hold — it is refused with the amount available, and the admin may refund that much
 * (`points`) instead. A `paid` order (confirmed but never credited) is marked refunded with no
 * ledger row: there is nothing to take back. A refunded order that was an invited account's first
 * paid one also takes back the invitation rewards it paid (`referrals.ts` `reclaimRewards`, with its
 * policy for a balance too low), in the same transaction.
 */
export interface RefundInput {
  orderId: string;
  /** µP to take back; default the whole credit of the order. */
  amount?: number;
  by: string;
  reason: string;
}

/** Runs in the refund's transaction once it is done (the admin audit row), with the order as it is now. */
export type Within = (trx: Db, before: TopupOrdersTable, after: TopupOrdersTable) => Promise<void>;

export async function refundOrder(db: Db, state: SharedState, idempotency: IdempotencyStore, r: RefundInput, key?: IdempotencyKey, within?: Within): Promise<{ order: TopupOrdersTable; replayed: boolean }> {
  const holdId = `refund-${randomUUID()}`;
  let held: string | null = null;
  // Holds the reclaim of invitation rewards took (referrals.ts), dropped with the refund's own.
  let rewardHolds: string[] = [];
  try {
    const ran = await idempotency.run(key, async (trx) => {
      const order = await trx.selectFrom('topup_orders').selectAll().where('id', '=', r.orderId).executeTakeFirst();
      if (!order) throw orderNotFound();
      const now = Date.now();
      const noted = noteAfter(order, { code: 'refunded_by', by: r.by, reason: r.reason });
      if (order.status === 'paid') {
        const moved = await trx.updateTable('topup_orders').set({ status: 'refunded', refunded_at: now, updated_at: now, ...noted }).where('id', '=', order.id).where('status', '=', 'paid').executeTakeFirst();
        if (Number(moved.numUpdatedRows) === 0) throw new GatewayError('conflict', 'The order changed meanwhile; look at it again.', { code: 'order_not_refundable' });
        const after = { ...order, status: 'refunded' as const, refunded_at: now, ...noted };
        await within?.(trx, order, after);
        return { order: after, committed: null as Committed | null, rewards: [] as RewardCommit[] };
      }
      if (order.status !== 'credited') throw new GatewayError('conflict', `The order is ${order.status}: only a credited or paid order can be refunded.`, { code: 'order_not_refundable' });
      const credit = Number(order.credit);
      const amount = r.amount ?? credit;
      if (!Number.isSafeInteger(amount) || amount <= 0 || amount > credit)
        throw new GatewayError('invalid_request', `A refund takes back more than 0 and at most the order's ${formatPoints(credit)}.`, { param: 'points', code: 'invalid_value' });
      const pool = userPool(order.user_id);
      // Held like a call's reservation first, so the refund cannot take money calls in flight hold.
      const res = await new Pools(trx, state).reserve([pool], amount, holdId);
      if (!res.ok) {
        const available = await state.available(pool);
        throw new GatewayError(
          'conflict',
          `The balance available (${formatPoints(Math.max(0, available ?? 0))}) is smaller than the refund (${formatPoints(amount)}); a refund never takes a balance below zero. Refund at most the available amount.`,
          { code: 'insufficient_balance', param: 'points' },
        );
      }
      held = pool;
      const moved = await trx
        .updateTable('topup_orders')
        .set({ status: 'refunded', refunded: amount, refunded_at: now, updated_at: now, ...noted })
        .where('id', '=', order.id)
        .where('status', '=', 'credited')
        .executeTakeFirst();
      if (Number(moved.numUpdatedRows) === 0) throw new GatewayError('conflict', 'The order was refunded meanwhile.', { code: 'order_not_refundable' });
      const committed = await changeBalance(trx, { userId: order.user_id, amount: -amount, kind: 'refund', reason: `Refund of recharge ${order.id} by ${r.by}: ${r.reason}`, requestId: order.id });
      const reclaimed = await reclaimRewards(trx, state, order.id, holdId, now);
      rewardHolds = reclaimed.holds;
      const after = { ...order, status: 'refunded' as const, refunded: amount, refunded_at: now, ...noted };
      await within?.(trx, order, after);
      return { order: after, committed, rewards: reclaimed.commits };
    });
    const pool = held as string | null;
    if (pool) {
      const c = ran.result.committed;
      // Balances in the order they were written: the refund, then the rewards taken back.
      const entries = balanceEntries(ran.result.order.user_id, c, ran.result.rewards);
      await state.commit(entries, [holdId, ...rewardHolds]);
      held = null;
      rewardHolds = [];
    }
    return { order: ran.result.order, replayed: ran.replayed };
  } finally {
    if (held || rewardHolds.length) await state.commit([], [...(held ? [holdId] : []), ...rewardHolds]).catch(() => undefined);
  }
}
