// The log-writer thread: its own SQLite connection, one batch at a time (see thread.ts).
import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase } from '../storage/database.js';
import type { LogBatch } from './types.js';
import { ping, writeBatch } from './write.js';

export type ToWriter = { type: 'write'; id: number; batch: LogBatch } | { type: 'ping'; id: number } | { type: 'close' };
export type FromWriter = { type: 'done'; id: number; entries: unknown[] } | { type: 'failed'; id: number; message: string; code?: string } | { type: 'closed' };

const port = parentPort!;
const { dataDir } = workerData as { dataDir: string };
// Opened at once; messages that arrive meanwhile wait for it.
const opening = openDatabase({ dataDir });
opening.catch(() => undefined); // reported with each batch, not as an unhandled rejection

port.on('message', async (msg: ToWriter) => {
  if (msg.type === 'close') {
    await (await opening.catch(() => null))?.close();
    port.postMessage({ type: 'closed' } satisfies FromWriter);
    port.close();
    return;
  }
  try {
    // A database that cannot be opened fails each batch with its reason (the writer reports it).
    const dbh = await opening;
    const entries = msg.type === 'ping' ? (await ping(dbh.db), []) : await writeBatch(dbh.db, dbh.insertMany, msg.batch);
    port.postMessage({ type: 'done', id: msg.id, entries } satisfies FromWriter);
  } catch (err) {
    const e = err as { message?: string; code?: string };
    port.postMessage({ type: 'failed', id: msg.id, message: e?.message ?? String(err), code: e?.code } satisfies FromWriter);
  }
});
