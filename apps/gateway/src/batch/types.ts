import type { CommitEntry } from '../state/shared-state.js';
import type { RequestLogsTable } from '../storage/schema.js';

export type RequestLogRow = RequestLogsTable;

/** One batch: the log rows of the last few milliseconds. */
export interface LogBatch {
  rows: RequestLogRow[];
  /**
   * Rows that may already be in the database, which are skipped: replayed from a journal
   * (`recover.ts`: the process died after the commit, before it could drop them from its journal),
   * or a batch tried again after an attempt whose outcome is unknown (its connection was lost, its
   * COMMIT's answer perhaps with it: relay/request-log.ts).
   */
  replay?: boolean;
}

/**
 * Where batches are committed: each in one transaction (log rows, ledger rows, balances, key usage),
 * resolving to what shared state must learn once it is committed. On SQLite this is a worker thread
 * with its own connection (`thread.ts`), so the writes cost the event loop nothing; elsewhere it is
 * the caller's own connection (`inline.ts`).
 */
export interface BatchStore {
  write(batch: LogBatch): Promise<CommitEntry[]>;
  /** Resolves when the database answers a trivial query (tells an outage from a bad batch). */
  ping(): Promise<void>;
  close(): Promise<void>;
  /**
   * False while the next batch must first start the store (the SQLite writer thread, loading its
   * modules and opening the database); absent: always ready.
   */
  readonly warm?: boolean;
  /**
   * True while a store that was just started (the writer thread) has not answered yet, for at most
   * its start-up allowance: a readiness check that times out then means "still starting", not
   * "down". Absent: never starting.
   */
  readonly starting?: boolean;
}
