import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { builtFile } from '../core/built-file.js';
import type { CommitEntry } from '../state/shared-state.js';
import type { BatchStore, LogBatch } from './types.js';
import type { FromWriter, ToWriter } from './worker.js';

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

/** One running thread and the asks it has not answered yet. */
interface Writer {
  worker: Worker;
  waiting: Map<number, { resolve: (e: CommitEntry[]) => void; reject: (err: Error) => void }>;
  /** Set while nothing is asked: ends the thread when it fires. */
  idle: NodeJS.Timeout | null;
  /** Whether it has answered anything yet (its modules loaded, the database open). */
  answered: boolean;
  /** When it was started (performance.now()). */
  startedAt: number;
}

export interface ThreadOptions {
  /** The thread's entry (default: the compiled `worker.js` beside this module). */
  workerUrl?: URL;
  /** See WRITER_STARTING_MS. */
  startingMs?: number;
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
 * thread never waits that long; a health check's `ping` counts as work.
 */
export class ThreadBatchStore implements BatchStore {
  private writer: Writer | null = null;
  /** Threads told to end, until they have (close() waits for them). */
  private readonly ending = new Set<Promise<unknown>>();
  private seq = 0;

  constructor(
    private readonly dataDir: string,
    private readonly idleMs = WRITER_IDLE_MS,
    private readonly options: ThreadOptions = {},
  ) {}

  write(batch: LogBatch): Promise<CommitEntry[]> {
    return this.ask((id) => ({ type: 'write', id, batch }));
  }

  async ping(): Promise<void> {
    await this.ask((id) => ({ type: 'ping', id }));
  }

  /** Whether a thread is running now. */
  get running(): boolean {
    return this.writer !== null;
  }

  /** Whether a running thread has answered: the next batch does not wait for a thread to start. */
  get warm(): boolean {
    return this.writer?.answered ?? false;
  }

  /** A thread started less than `startingMs` ago that has not answered yet. */
  get starting(): boolean {
    const w = this.writer;
    return w !== null && !w.answered && performance.now() - w.startedAt < (this.options.startingMs ?? WRITER_STARTING_MS);
  }

  private ask(msg: (id: number) => ToWriter): Promise<CommitEntry[]> {
    const w = (this.writer ??= this.start());
    if (w.idle) clearTimeout(w.idle);
    w.idle = null;
    const id = ++this.seq;
    return new Promise((resolve, reject) => {
      w.waiting.set(id, { resolve, reject });
      w.worker.postMessage(msg(id));
    });
  }

  async close(): Promise<void> {
    const w = this.writer;
    if (w) this.end(w);
    await Promise.all(this.ending);
  }

  /** Tells the thread to close its database and end; the next ask starts a new one. */
  private end(w: Writer): void {
    if (w.idle) clearTimeout(w.idle);
    w.idle = null;
    if (this.writer === w) this.writer = null;
    // The thread is unref'd while serving; ending must hold the process until it has exited, or a
    // process with nothing else left (a script, the last step of a shutdown) ends with the close
    // still pending (Node's exit code 13) and the writer's final commit unawaited.
    w.worker.ref();
    const exited = once(w.worker, 'exit').catch(() => undefined);
    this.ending.add(exited);
    void exited.finally(() => this.ending.delete(exited));
    w.worker.postMessage({ type: 'close' } satisfies ToWriter);
  }

  private start(): Writer {
    const worker = new Worker(this.options.workerUrl ?? WORKER_URL, { workerData: { dataDir: this.dataDir } });
    const w: Writer = { worker, waiting: new Map(), idle: null, answered: false, startedAt: performance.now() };
    // The server's sockets keep the process alive; the writer alone must not.
    worker.unref();
    worker.on('message', (m: FromWriter) => {
      if (m.type === 'closed') return;
      w.answered = true;
      const p = w.waiting.get(m.id);
      if (!p) return;
      w.waiting.delete(m.id);
      if (m.type === 'done') p.resolve(m.entries as CommitEntry[]);
      else p.reject(Object.assign(new Error(m.message), { code: m.code }));
      if (w.waiting.size === 0 && this.writer === w) {
        w.idle = setTimeout(() => this.end(w), this.idleMs);
        w.idle.unref();
      }
    });
    const gone = (err: Error) => {
      if (w.idle) clearTimeout(w.idle);
      if (this.writer === w) this.writer = null;
      for (const p of w.waiting.values()) p.reject(err);
      w.waiting.clear();
    };
    worker.on('error', gone);
    worker.on('exit', (code) => gone(new Error(`the log writer thread exited (code ${code})`)));
    return w;
  }
}
