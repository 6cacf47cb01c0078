import type { Kysely, Migration } from 'kysely';

/**
 * Issue 19 (observability): the caller's own id of a call (`X-Client-Request-Id`, relay/call.ts) is
 * kept on its log row, and the logs can be searched by it. The index is partial: most calls carry no
 * id of their own, and those rows cost the index nothing.
 */
export const CLIENT_REQUEST_IDS: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable('request_logs').addColumn('client_request_id', 'text').execute();
    await db.schema.createIndex('request_logs_client_request_id').on('request_logs').columns(['client_request_id']).where('client_request_id', 'is not', null).execute();
  },
};
