import type { Db, InsertMany } from '../storage/database.js';
import type { BatchStore } from './types.js';
import { ping, writeBatch } from './write.js';

/** Batches written on the caller's own connection (PostgreSQL: the pool's I/O is asynchronous anyway). */
export function inlineBatchStore(db: Db, insertMany: InsertMany): BatchStore {
  return { write: (batch) => writeBatch(db, insertMany, batch), ping: () => ping(db), close: async () => {} };
}
