import { rm } from 'node:fs/promises';
import type { CommitEntry } from '../state/shared-state.js';
import { orphanJournals } from './journal.js';
import type { BatchStore } from './types.js';

export interface Recovered {
  /** Stopped processes whose journals were found. */
  journals: number;
  /** Rows in them. */
  rows: number;
  /** Of those, calls in flight when the machine restarted, charged their reservation (`OrphanJournal.interrupted`). */
  interrupted: number;
}

/** Rows per replayed batch: a dead process may leave a few thousand. */
const CHUNK = 500;

/**
 * Charges the calls that stopped processes served but did not get into the database: every row of
 * their journals (and the calls a machine restart interrupted, `orphanJournals`) is written as a
 * replayed batch (rows the database already has are skipped, so replaying twice charges nothing
 * twice), then the journal is deleted. Run at start, before serving; `committed` tells shared state
 * the pools' new values.
 */
export async function replayJournals(dir: string, store: BatchStore, committed: (entries: CommitEntry[]) => Promise<void>): Promise<Recovered> {
  let rows = 0;
  let interrupted = 0;
  const orphans = await orphanJournals(dir);
  for (const o of orphans) {
    for (let i = 0; i < o.rows.length; i += CHUNK) {
      const entries = await store.write({ rows: o.rows.slice(i, i + CHUNK), replay: true });
      await committed(entries);
    }
    rows += o.rows.length;
    interrupted += o.interrupted;
    for (const f of o.files) await rm(f, { force: true });
  }
  return { journals: orphans.length, rows, interrupted };
}
