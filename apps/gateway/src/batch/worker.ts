// The log-writer thread: its own SQLite connection, one batch at a time (see thread.ts).
import { resourceLimits, workerData } from 'node:worker_threads';
import { sql } from 'kysely';
import { serveThread } from '../core/thread-client.js';
import { openDatabase } from '../storage/database.js';
import type { LogBatch } from './types.js';
import { ping, writeBatch } from './write.js';

export type WriterAsk = { type: 'write'; batch: LogBatch } | { type: 'ping' } | { type: 'settings' };

/** What the thread runs with, as it reads it (a diagnosis aid; tests check the memory caps hold). */
export interface WriterSettings {
  /** The connection's page cache, KiB. */
  cacheKiB: number;
  /** The isolate's young-generation limit, MB, as Node reports it in the thread. */
  maxYoungGenerationSizeMb: number;
}

const { dataDir, cacheKiB } = workerData as { dataDir: string; cacheKiB: number };
// Opened at once; messages that arrive meanwhile wait for it.
const opening = openDatabase({ dataDir, sqliteCacheKiB: cacheKiB });
opening.catch(() => undefined); // reported with each batch, not as an unhandled rejection

serveThread<WriterAsk, unknown>(
  async (ask) => {
    // A database that cannot be opened fails each batch with its reason (the writer reports it).
    const dbh = await opening;
    if (ask.type === 'ping') return (await ping(dbh.db), []);
    if (ask.type === 'settings') {
      const { rows } = await sql<{ cache_size: number }>`pragma cache_size`.execute(dbh.db);
      return { cacheKiB: -rows[0]!.cache_size, maxYoungGenerationSizeMb: resourceLimits.maxYoungGenerationSizeMb ?? 0 } satisfies WriterSettings;
    }
    return writeBatch(dbh.db, dbh.insertMany, ask.batch);
  },
  async () => {
    await (await opening.catch(() => null))?.close();
  },
);
