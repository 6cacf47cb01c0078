import { builtFile } from '../core/built-file.js';
import { ThreadClient } from '../core/thread-client.js';
import type { CommitEntry } from '../state/shared-state.js';
import type { BatchStore, LogBatch } from './types.js';
import type { WriterAsk, WriterSettings } from './worker.js';
import { WRITER_CACHE_KIB, WRITER_LIMITS } from './writer-heap.js';

// The compiled worker beside this module (a worker thread cannot load TypeScript on Node 20).
const WORKER_URL = builtFile(import.meta.url, 'worker.js');

/** How long the thread waits for work before it ends (a new one starts with the next batch). */
export const WRITER_IDLE_MS = 20_000;

/**
 * How long a new thread may take to answer before a readiness check counts it as down. It loads its
 * modules and opens the database: tens of milliseconds on a quiet machine, over a second on a busy
 * one, where the check's own limit (http/ops-routes.ts, 1 s) would report a healthy start as a
 * failure.
 */
export const WRITER_STARTING_MS = 10_000;

export interface ThreadOptions {
  /** The thread's entry (default: the compiled `worker.js` beside this module). */
  workerUrl?: URL;
  /** See WRITER_STARTING_MS. */
  startingMs?: number;
  /** The thread's SQLite page cache, KiB (default WRITER_CACHE_KIB; `sqliteWriterCacheMb` in the config). */
  cacheKiB?: number;
}

/**
 * Batches committed by a worker thread with its own SQLite connection. better-sqlite3 is
 * synchronous, so on the event loop every batch (its inserts, the commit, WAL checkpoints) stalled
 * every call in flight: measured, about a tenth of the relay's CPU at load. The thread takes that off
 * the loop; the rows cost one structured clone to send (~2.5 µs each). WAL lets both connections
 * work at once, and each transaction takes the write lock when it begins (storage/database.ts).
 * A thread that dies fails its batch (the request-log writer retries, then reports) and is started
 * again on the next batch.
 *
 * A thread is a V8 isolate of its own with its own modules and SQLite cache (about 15 MB resident),
 * so one with nothing to write for `idleMs` ends, and the next batch starts another (tens of
 * milliseconds, off the calls' path: the request log waits, the calls do not). Under load the
 * thread never waits that long; a health check's `ping` counts as work. Its page cache and young
 * generation are capped (writer-heap.ts): under load they were 20–30 MB of the gateway's memory.
 */
export class ThreadBatchStore implements BatchStore {
  private readonly thread: ThreadClient<WriterAsk, unknown>;

  constructor(
    dataDir: string,
    idleMs = WRITER_IDLE_MS,
    private readonly options: ThreadOptions = {},
  ) {
    this.thread = new ThreadClient({ url: options.workerUrl ?? WORKER_URL, workerData: { dataDir, cacheKiB: options.cacheKiB ?? WRITER_CACHE_KIB }, idleMs, label: 'the log writer thread', resourceLimits: WRITER_LIMITS });
  }

  write(batch: LogBatch): Promise<CommitEntry[]> {
    return this.thread.ask({ type: 'write', batch }) as Promise<CommitEntry[]>;
  }

  /** What the thread runs with (its page cache and young-generation limit). */
  settings(): Promise<WriterSettings> {
    return this.thread.ask({ type: 'settings' }) as Promise<WriterSettings>;
  }

  async ping(): Promise<void> {
    await this.thread.ask({ type: 'ping' });
  }

  /** Whether a thread is running now. */
  get running(): boolean {
    return this.thread.running;
  }

  /** Whether a running thread has answered: the next batch does not wait for a thread to start. */
  get warm(): boolean {
    return this.thread.warm;
  }

  /** A thread started less than `startingMs` ago that has not answered yet. */
  get starting(): boolean {
    const t = this.thread.thread;
    return t !== null && !t.answered && performance.now() - t.startedAt < (this.options.startingMs ?? WRITER_STARTING_MS);
  }

  /** Tells the thread to close its database and end (its batches are written first). */
  close(): Promise<void> {
    return this.thread.close();
  }
}
