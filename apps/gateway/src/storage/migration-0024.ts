import { sql, type Kysely, type Migration } from 'kysely';

/**
 * When the gateway next asks the payment provider about an unpaid order (payments/reconcile.ts: a
 * callback can be lost), and how often it asked already (the pause grows with it). Null: not asked
 * about (paid, or past the horizon, or made before this migration).
 */
export const ORDER_CHECKS: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable('topup_orders').addColumn('checks', 'integer', (c) => c.notNull().defaultTo(0)).execute();
    await db.schema.alterTable('topup_orders').addColumn('next_check_at', 'bigint').execute();
    await db.schema.createIndex('topup_orders_next_check').on('topup_orders').column('next_check_at').where(sql<boolean>`next_check_at is not null`).execute();
  },
};
