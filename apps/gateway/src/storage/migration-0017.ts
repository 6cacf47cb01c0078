import type { Kysely, Migration } from 'kysely';

/**
 * Issue 18, onboarding: the profile step a new account is offered once after sign-up (name,
 * organisation, what they build, the services they want). A row is made `pending` in the sign-up
 * transaction; submitting it (`done`, with the first App it made) or skipping it (`skipped`) ends
 * it. Accounts older than this migration, and accounts an administrator makes, have no row: they
 * are never asked.
 */
export const ONBOARDING: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('user_onboarding')
      .addColumn('user_id', 'text', (c) => c.primaryKey())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('organisation', 'text')
      .addColumn('building', 'text')
      .addColumn('services', 'text')
      .addColumn('app_id', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
  },
};
