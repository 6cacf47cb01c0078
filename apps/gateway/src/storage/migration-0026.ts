import type { Kysely, Migration } from 'kysely';

/**
 * Unpaid orders made before migration 0024 had no `next_check_at`, so the reconciler
 * (payments/reconcile.ts) never asked their provider about them: a payment whose callback was lost
 * around an upgrade stayed uncredited until the payer or an admin asked. Those still within the
 * reconciler's horizon (a day after they expired) are asked about at its next sweep; the pause then
 * grows as for any order. Every provider this migration knows can be asked (`query`).
 */
export const ORDER_CHECKS_BACKFILL: Migration = {
  async up(db: Kysely<any>) {
    const now = Date.now();
    await db
      .updateTable('topup_orders')
      .set({ next_check_at: now })
      .where('next_check_at', 'is', null)
      .where('checks', '=', 0)
      .where('status', 'in', ['created', 'expired'])
      .where('provider', 'in', ['epay', 'stripe', 'alipay', 'wechatpay'])
      .where('expires_at', '>', now - HORIZON_MS)
      .execute();
  },
};

/** The reconciler's horizon (payments/reconcile.ts HORIZON_MS), as of this migration. */
const HORIZON_MS = 24 * 3600_000;
