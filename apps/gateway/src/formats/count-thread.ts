import { builtFile } from '../core/built-file.js';
import { ThreadClient } from '../core/thread-client.js';

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
  private readonly thread: ThreadClient<string[], number[]>;

  constructor(idleMs = COUNTER_IDLE_MS) {
    // Ended by terminating: it has nothing to close, and a count it is in may take seconds.
    this.thread = new ThreadClient({ url: WORKER_URL, idleMs, label: 'the token count thread', terminate: true });
  }

  /** The o200k_base token count of each text, in order. */
  count(texts: string[]): Promise<number[]> {
    return this.thread.ask(texts);
  }

  /** Whether a thread is running now. */
  get running(): boolean {
    return this.thread.running;
  }

  /** Ends the thread; counts still waiting fail. */
  close(): Promise<void> {
    return this.thread.close();
  }
}
