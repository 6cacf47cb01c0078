import type { Kysely, Migration } from 'kysely';

/**
 * Issue 18, part B: human support (tickets and their threads), dashboard announcements (and who
 * dismissed which), and invitation rewards (one code per inviter, one row per invited account). The
 * reward policy lives in `settings` under `referral.policy`.
 */
export const SUPPORT_AND_REFERRALS: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('support_tickets')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('subject', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('request_id', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addColumn('last_user_at', 'bigint', (c) => c.notNull())
      .addColumn('last_admin_at', 'bigint')
      .addColumn('user_read_at', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('admin_read_at', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('closed_at', 'bigint')
      .execute();
    await db.schema.createIndex('support_tickets_user').on('support_tickets').columns(['user_id', 'updated_at']).execute();
    await db.schema.createIndex('support_tickets_status').on('support_tickets').columns(['status', 'updated_at']).execute();
    await db.schema
      .createTable('support_messages')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('ticket_id', 'text', (c) => c.notNull())
      .addColumn('author_id', 'text', (c) => c.notNull())
      .addColumn('author_role', 'text', (c) => c.notNull())
      .addColumn('body', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('support_messages_ticket').on('support_messages').columns(['ticket_id', 'created_at']).execute();

    await db.schema
      .createTable('announcements')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('level', 'text', (c) => c.notNull())
      .addColumn('title_en', 'text', (c) => c.notNull())
      .addColumn('title_zh', 'text', (c) => c.notNull())
      .addColumn('body_en', 'text', (c) => c.notNull())
      .addColumn('body_zh', 'text', (c) => c.notNull())
      .addColumn('published', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('published_at', 'bigint')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('announcement_dismissals')
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('announcement_id', 'text', (c) => c.notNull())
      .addColumn('dismissed_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('announcement_dismissals_pk', ['user_id', 'announcement_id'])
      .execute();

    await db.schema
      .createTable('referral_codes')
      .addColumn('user_id', 'text', (c) => c.primaryKey())
      .addColumn('code', 'text', (c) => c.notNull().unique())
      // Rewards this inviter has received: the cap is checked and counted on this row, so two invited
      // accounts paying at the same moment cannot both take the last reward.
      .addColumn('rewards', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('referrals')
      .addColumn('invitee_id', 'text', (c) => c.primaryKey())
      .addColumn('inviter_id', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      // Set once, by the credit of the invited account's first paid order, whatever the outcome.
      .addColumn('first_order_id', 'text')
      .addColumn('first_paid_at', 'bigint')
      .addColumn('outcome', 'text')
      .addColumn('inviter_reward', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('invitee_reward', 'bigint', (c) => c.notNull().defaultTo(0))
      .execute();
    await db.schema.createIndex('referrals_inviter').on('referrals').columns(['inviter_id', 'created_at']).execute();
  },
};
