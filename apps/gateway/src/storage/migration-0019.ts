import type { Kysely, Migration } from 'kysely';

/**
 * Issue 18: a refund of the invited account's first paid order takes back the invitation rewards it
 * paid (`payments/referrals.ts` `reclaimRewards`). What was taken back from each side is kept on the
 * invitation, with when: a balance too low to give all of it back leaves the shortfall visible.
 */
export const REFERRAL_RECLAIMS: Migration = {
  async up(db: Kysely<any>) {
    // SQLite adds one column per ALTER TABLE.
    await db.schema.alterTable('referrals').addColumn('inviter_reclaimed', 'bigint', (c) => c.notNull().defaultTo(0)).execute();
    await db.schema.alterTable('referrals').addColumn('invitee_reclaimed', 'bigint', (c) => c.notNull().defaultTo(0)).execute();
    await db.schema.alterTable('referrals').addColumn('reclaimed_at', 'bigint').execute();
  },
};
