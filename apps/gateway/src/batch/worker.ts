// The log-writer thread: its own SQLite connection, one batch at a time (see thread.ts).
import { workerData } from 'node:worker_threads';
import { serveThread } from '../core/thread-client.js';
import { openDatabase } from '../storage/database.js';
import type { LogBatch } from './types.js';
import { ping, writeBatch } from './write.js';

export type WriterAsk = { type: 'write'; batch: LogBatch } | { type: 'ping' };

const { dataDir } = workerData as { dataDir: string };
// Opened at once; messages that arrive meanwhile wait for it.
const opening = openDatabase({ dataDir });
opening.catch(() => undefined); // reported with each batch, not as an unhandled rejection

serveThread<WriterAsk, unknown[]>(
  async (ask) => {
    // A database that cannot be opened fails each batch with its reason (the writer reports it).
    const dbh = await opening;
    return ask.type === 'ping' ? (await ping(dbh.db), []) : writeBatch(dbh.db, dbh.insertMany, ask.batch);
  },
  async () => {
    await (await opening.catch(() => null))?.close();
  },
);
