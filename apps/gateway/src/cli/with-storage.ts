import { createLogger } from '../core/logger.js';
import { openStorage, type Storage } from '../storage-handle.js';
import { configFrom } from './args.js';

/** Opens the same database `serve` uses (by --data, --config or DATABASE_URL), runs `fn`, closes. */
export async function withStorage<T>(values: Record<string, unknown>, fn: (s: Storage) => Promise<T>): Promise<T> {
  const storage = await openStorage(configFrom(values), createLogger('warn'));
  try {
    return await fn(storage);
  } finally {
    await storage.close();
  }
}
