import type { DatabaseHandle } from '../storage/database.js';
import { inlineBatchStore } from './inline.js';
import { ThreadBatchStore } from './thread.js';
import type { BatchStore } from './types.js';

export type { BatchStore, LogBatch, RequestLogRow } from './types.js';
export { Journal, orphanJournals, type OrphanJournal } from './journal.js';
export { replayJournals, type Recovered } from './recover.js';

/** The writer thread on SQLite (a file only one process-thread at a time can write, synchronously); inline elsewhere. */
export function createBatchStore(dbh: DatabaseHandle, dataDir: string, writerCacheMb?: number): BatchStore {
  return dbh.dialect === 'sqlite' ? new ThreadBatchStore(dataDir, undefined, { cacheKiB: writerCacheMb === undefined ? undefined : writerCacheMb * 1024 }) : inlineBatchStore(dbh.db, dbh.insertMany);
}
