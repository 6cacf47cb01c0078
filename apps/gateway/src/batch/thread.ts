import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import type { CommitEntry } from '../state/shared-state.js';
import type { BatchStore, LogBatch } from './types.js';
import type { FromWriter, ToWriter } from './worker.js';

// From dist this is the compiled worker beside this file. Tests run the TypeScript sources, which a
// worker thread cannot load on Node 20, so they use the built one (`npm test` builds first).
const WORKER_URL = import.meta.url.endsWith('.ts') ? new URL('../../dist/batch/worker.js', import.meta.url) : new URL('./worker.js', import.meta.url);

/**
 * Batches committed by a worker thread with its own SQLite connection. better-sqlite3 is
 * synchronous, so on the event loop every batch (its inserts, the commit, WAL checkpoints) stalled
 * every call in flight: measured, about a tenth of the relay's CPU at load. The thread takes that off
 * the loop; the rows cost one structured clone to send (~2.5 µs each). WAL lets both connections
 * work at once, and each transaction takes the write lock when it begins (storage/database.ts).
 * A thread that dies fails its batch (the request-log writer retries, then reports) and is started
 * again on the next batch.
 */
export class ThreadBatchStore implements BatchStore {
  private worker: Worker | null = null;
  private readonly waiting = new Map<number, { resolve: (e: CommitEntry[]) => void; reject: (err: Error) => void }>();
  private seq = 0;

  constructor(private readonly dataDir: string) {}

  write(batch: LogBatch): Promise<CommitEntry[]> {
    return this.ask((id) => ({ type: 'write', id, batch }));
  }

  async ping(): Promise<void> {
    await this.ask((id) => ({ type: 'ping', id }));
  }

  private ask(msg: (id: number) => ToWriter): Promise<CommitEntry[]> {
    const worker = (this.worker ??= this.start());
    const id = ++this.seq;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      worker.postMessage(msg(id));
    });
  }

  async close(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    // The thread is unref'd while serving; closing must hold the process until it has exited, or a
    // process with nothing else left (a script, the last step of a shutdown) ends with the close
    // still pending (Node's exit code 13) and the writer's final commit unawaited.
    worker.ref();
    const exited = once(worker, 'exit');
    worker.postMessage({ type: 'close' } satisfies ToWriter);
    await exited;
  }

  private start(): Worker {
    const worker = new Worker(WORKER_URL, { workerData: { dataDir: this.dataDir } });
    // The server's sockets keep the process alive; the writer alone must not.
    worker.unref();
    worker.on('message', (m: FromWriter) => {
      if (m.type === 'closed') return;
      const w = this.waiting.get(m.id);
      if (!w) return;
      this.waiting.delete(m.id);
      if (m.type === 'done') w.resolve(m.entries as CommitEntry[]);
      else w.reject(Object.assign(new Error(m.message), { code: m.code }));
    });
    const gone = (err: Error) => {
      if (this.worker === worker) this.worker = null;
      for (const w of this.waiting.values()) w.reject(err);
      this.waiting.clear();
    };
    worker.on('error', gone);
    worker.on('exit', (code) => gone(new Error(`the log writer thread exited (code ${code})`)));
    return worker;
  }
}
