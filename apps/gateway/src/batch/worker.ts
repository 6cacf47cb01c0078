// The log-writer thread: its own SQLite connection, one batch at a time (see thread.ts).
import { workerData } from 'node:worker_threads';
import { serveThread } from '../core/thread-client.js';
import { openDatabase } from '../storage/database.js';
import type { LogBatch } from './types.js';
import { ping, writeBatch } from './write.js';

/**
 * A batch comes as its rows' JSON: V8's structured clone of ~30-field objects costs the event loop
 * about twice JSON.stringify of them (~3.5 vs ~2 µs a row, bench/RESULTS.md session 20), and the
 * parse happens here, off the loop.
 */
export type WriterAsk = { type: 'write'; rows: string; replay?: boolean } | { type: 'ping' };

const { dataDir } = workerData as { dataDir: string };
// Opened at once; messages that arrive meanwhile wait for it.
const opening = openDatabase({ dataDir });
opening.catch(() => undefined); // reported with each batch, not as an unhandled rejection

serveThread<WriterAsk, unknown[]>(
  async (ask) => {
    // A database that cannot be opened fails each batch with its reason (the writer reports it).
    const dbh = await opening;
    return ask.type === 'ping' ? (await ping(dbh.db), []) : writeBatch(dbh.db, dbh.insertMany, { rows: JSON.parse(ask.rows) as LogBatch['rows'], replay: ask.replay });
  },
  async () => {
    await (await opening.catch(() => null))?.close();
  },
);
