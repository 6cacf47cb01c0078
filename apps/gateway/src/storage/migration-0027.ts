import type { Kysely, Migration } from 'kysely';

/**
 * An order's note as lines of data (payments/notes.ts): a code and its values per event, so the
 * console shows each line in the reader's language. `note` keeps the English sentence; orders noted
 * before have no lines and show their note as it was written.
 */
export const ORDER_NOTE_LINES: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable('topup_orders').addColumn('note_lines', 'text').execute();
  },
};
