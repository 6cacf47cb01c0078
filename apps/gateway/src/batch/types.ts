import type { CommitEntry } from '../state/shared-state.js';
import type { RequestLogsTable } from '../storage/schema.js';

export type RequestLogRow = RequestLogsTable;

/** Money shared state holds for one log row's charge, in the pools it was reserved from. */
export interface Hold {
  requestId: string;
  pools: string[];
  amount: number;
}

/** One batch: the log rows of the last few milliseconds and the holds behind their charges. */
export interface LogBatch {
  rows: RequestLogRow[];
  holds: Hold[];
}

/**
 * Where batches are committed: each in one transaction (log rows, ledger rows, balances, key usage),
 * resolving to what shared state must learn once it is committed. On SQLite this is a worker thread
 * with its own connection (`thread.ts`), so the writes cost the event loop nothing; elsewhere it is
 * the caller's own connection (`inline.ts`).
 */
export interface BatchStore {
  write(batch: LogBatch): Promise<CommitEntry[]>;
  close(): Promise<void>;
}
