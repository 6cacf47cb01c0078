import type { Kysely, Migration } from 'kysely';

/**
 * A dispute the merchant wins gives back the credit its reversal took (payments/reversal.ts): the
 * reversal's event row keeps the provider's object it was about (`subject`: Stripe's dispute id) and
 * the µP of credit it took back (`credit_moved`), so the later decision finds exactly that amount.
 */
export const DISPUTE_OUTCOMES: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable('payment_events').addColumn('subject', 'text').execute();
    await db.schema.alterTable('payment_events').addColumn('credit_moved', 'bigint').execute();
    await db.schema.createIndex('payment_events_subject').on('payment_events').columns(['provider', 'subject']).execute();
  },
};
