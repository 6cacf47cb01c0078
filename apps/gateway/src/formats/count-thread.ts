import { Worker } from 'node:worker_threads';
import { builtFile } from '../core/built-file.js';
import type { FromCounter, ToCounter } from './count-worker.js';

// The compiled worker beside this module (a worker thread cannot load TypeScript on Node 20).
const WORKER_URL = builtFile(import.meta.url, 'count-worker.js');

/** How long the thread waits for work before it ends; the next large count starts another. */
export const COUNTER_IDLE_MS = 10_000;

/**
 * Counts large texts on a worker thread, so that an exact count of a large prompt never holds the
 * event loop. Counting costs 0.03–0.3 µs per byte on the loop (a 20 MB body: 0.5–3 s; a 6 MB run of
 * one character, which is one piece to the tokenizer, 1 s), and any caller can ask for one: a prompt
 * whose byte bound its balance cannot cover is counted before it is refused (billing/policy.ts), a
 * stream the client cuts is charged its counted prompt. Small texts are counted on the loop, where
 * the thread's round trip would cost more than the count.
 *
 * The thread (an isolate of its own, ~15 MB, plus the 4 MB token table it loads) starts with the
 * first large count and ends after `idleMs` without one.
 */
export class CountThread {
  private worker: Worker | null = null;
  private readonly waiting = new Map<number, { resolve: (counts: number[]) => void; reject: (err: Error) => void }>();
  private idle: NodeJS.Timeout | null = null;
  private seq = 0;

  constructor(private readonly idleMs = COUNTER_IDLE_MS) {}

  /** The o200k_base token count of each text, in order. */
  count(texts: string[]): Promise<number[]> {
    const w = (this.worker ??= this.start());
    if (this.idle) clearTimeout(this.idle);
    this.idle = null;
    const id = ++this.seq;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      w.postMessage({ id, texts } satisfies ToCounter);
    });
  }

  /** Whether a thread is running now. */
  get running(): boolean {
    return this.worker !== null;
  }

  /** Ends the thread; counts still waiting fail. */
  async close(): Promise<void> {
    const w = this.worker;
    if (!w) return;
    this.stop(w);
    for (const p of this.waiting.values()) p.reject(new Error('the token count thread was closed'));
    this.waiting.clear();
    await w.terminate();
  }

  private start(): Worker {
    const worker = new Worker(WORKER_URL);
    // The server's sockets keep the process alive; the counter alone must not.
    worker.unref();
    worker.on('message', (m: FromCounter) => {
      const p = this.waiting.get(m.id);
      if (!p) return;
      this.waiting.delete(m.id);
      if ('counts' in m) p.resolve(m.counts);
      else p.reject(new Error(`token count failed: ${m.error}`));
      if (this.waiting.size === 0 && this.worker === worker) {
        this.idle = setTimeout(() => {
          this.stop(worker);
          void worker.terminate();
        }, this.idleMs);
        this.idle.unref();
      }
    });
    const gone = (err: Error) => {
      if (this.worker !== worker) return;
      this.stop(worker);
      for (const p of this.waiting.values()) p.reject(err);
      this.waiting.clear();
    };
    worker.on('error', gone);
    worker.on('exit', (code) => gone(new Error(`the token count thread exited (code ${code})`)));
    return worker;
  }

  /** Forgets the thread: the next count starts another. */
  private stop(worker: Worker): void {
    if (this.idle) clearTimeout(this.idle);
    this.idle = null;
    if (this.worker === worker) this.worker = null;
  }
}
