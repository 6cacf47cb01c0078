import type { Kysely, Migration } from 'kysely';

/**
 * Money of a payment the provider gave back to the payer (a refund in its dashboard, a dispute),
 * summed over its events, so the credit taken back follows the money: an admin's refund made first
 * (and then the money refunded in the dashboard, as the README's refund steps say) is not taken
 * twice. Minor units of the order's currency (payments/reversal.ts).
 */
export const ORDER_REVERSALS: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable('topup_orders').addColumn('reversed', 'bigint', (c) => c.notNull().defaultTo(0)).execute();
  },
};
