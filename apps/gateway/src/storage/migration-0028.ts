import type { Kysely, Migration } from 'kysely';

/**
 * What the payer paid, in the order's minor units, as the provider reported it (`paid_amount`): the
 * order's amount for a matching payment, another for one held for review. A refund returns at most
 * it, and a provider's refunds API is told it as the payment's total (WeChat Pay's `amount.total`).
 * Null where no payment was reported (an order credited by hand, orders paid before this column).
 */
export const ORDER_PAID_AMOUNT: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable('topup_orders').addColumn('paid_amount', 'bigint').execute();
  },
};
