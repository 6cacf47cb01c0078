import { sql, type Kysely, type Migration } from 'kysely';

/**
 * Money an admin's refund owes the payer through the provider's API (payments/money-return.ts),
 * written in the refund's own transaction so that a crash, a kill or an unreachable provider between
 * the refund's commit and the provider's answer cannot lose it: `money_due` (minor units of the
 * order's currency; null when nothing is owed), `money_due_since` (when the refund owed it) and
 * `money_due_at` (the next attempt, not before).
 */
export const MONEY_RETURNS: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable('topup_orders').addColumn('money_due', 'bigint').execute();
    await db.schema.alterTable('topup_orders').addColumn('money_due_since', 'bigint').execute();
    await db.schema.alterTable('topup_orders').addColumn('money_due_at', 'bigint').execute();
    await db.schema.createIndex('topup_orders_money_due').on('topup_orders').column('money_due_at').where(sql<boolean>`money_due is not null`).execute();
  },
};
