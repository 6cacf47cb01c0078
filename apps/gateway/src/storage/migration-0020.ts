import type { Kysely, Migration } from 'kysely';

/**
 * Issue 15: a call's content-safety decisions are read by request id (the request log's detail
 * shows them, the moderation model's included), so they get an index on it.
 */
export const SAFETY_DECISIONS_BY_REQUEST: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.createIndex('safety_decisions_request').on('safety_decisions').columns(['request_id']).execute();
  },
  async down(db: Kysely<any>) {
    await db.schema.dropIndex('safety_decisions_request').execute();
  },
};
