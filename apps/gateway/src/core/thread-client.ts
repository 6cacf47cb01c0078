import { once } from 'node:events';
import { parentPort, Worker, type ResourceLimits } from 'node:worker_threads';

/** What the parent sends: an ask with its id, or the request to end. */
export type ToThread<Ask> = { id: number; ask: Ask } | { close: true };
/** What the thread answers: a value or a failure for an id, or that it has closed. */
export type FromThread<Value> = { id: number; value: Value } | { id: number; error: { message: string; code?: string } } | { closed: true };

/** One running thread and the asks it has not answered yet. */
interface Running<Value> {
  worker: Worker;
  waiting: Map<number, { resolve: (v: Value) => void; reject: (err: Error) => void }>;
  /** Set while nothing is asked: ends the thread when it fires. */
  idle: NodeJS.Timeout | null;
  /** Whether it has answered anything yet (its modules loaded, whatever it opens open). */
  answered: boolean;
  /** When it was started (performance.now()). */
  startedAt: number;
}

export interface ThreadClientOptions {
  /** The thread's entry: a compiled module that calls `serveThread`. */
  url: URL;
  workerData?: unknown;
  /** How long the thread waits for work before it ends; the next ask starts another. */
  idleMs: number;
  /** Names the thread in the error its waiting asks get if it dies (`the log writer thread`). */
  label: string;
  /**
   * End by terminating the thread, failing what is still asked, instead of asking it to close after
   * its asks: for a thread with nothing to close whose asks may be long (a large count).
   */
  terminate?: boolean;
  /** The thread's heap limits (a thread that keeps little live needs no serving-sized young generation). */
  resourceLimits?: ResourceLimits;
}

/**
 * A worker thread started with the first ask and ended after `idleMs` without one: a thread is an
 * isolate of its own (about 15 MB resident), not worth keeping for work that comes rarely. Asks
 * carry ids; a thread that dies fails the asks it had, and the next ask starts another. Ending asks
 * the thread to close (it may have a database to close first) and holds the process until it has
 * exited: the thread is unref'd while it serves, and a process with nothing else left would
 * otherwise end with the close still pending. Used by the SQLite writer (batch/thread.ts) and the
 * token counter (formats/count-thread.ts); the thread's side is `serveThread`.
 */
export class ThreadClient<Ask, Value> {
  private current: Running<Value> | null = null;
  /** Threads told to end, until they have (close() waits for them). */
  private readonly ending = new Set<Promise<unknown>>();
  private seq = 0;

  constructor(private readonly options: ThreadClientOptions) {}

  ask(ask: Ask): Promise<Value> {
    const t = (this.current ??= this.start());
    if (t.idle) clearTimeout(t.idle);
    t.idle = null;
    const id = ++this.seq;
    return new Promise((resolve, reject) => {
      t.waiting.set(id, { resolve, reject });
      t.worker.postMessage({ id, ask } satisfies ToThread<Ask>);
    });
  }

  /** Whether a thread is running now. */
  get running(): boolean {
    return this.current !== null;
  }

  /** Whether a running thread has answered: the next ask does not wait for a thread to start. */
  get warm(): boolean {
    return this.current?.answered ?? false;
  }

  /** The running thread, when it started and whether it has answered yet; null when none runs. */
  get thread(): { worker: Worker; startedAt: number; answered: boolean } | null {
    return this.current;
  }

  /** Ends the running thread (what it was asked is still answered, unless `terminate`) and waits for every ending thread. */
  async close(): Promise<void> {
    if (this.current) this.end(this.current);
    await Promise.all(this.ending);
  }

  private end(t: Running<Value>): void {
    if (t.idle) clearTimeout(t.idle);
    t.idle = null;
    if (this.current === t) this.current = null;
    t.worker.ref();
    const exited = once(t.worker, 'exit').catch(() => undefined);
    this.ending.add(exited);
    void exited.finally(() => this.ending.delete(exited));
    if (this.options.terminate) {
      for (const p of t.waiting.values()) p.reject(new Error(`${this.options.label} was closed`));
      t.waiting.clear();
      void t.worker.terminate();
    } else t.worker.postMessage({ close: true } satisfies ToThread<Ask>);
  }

  private start(): Running<Value> {
    const worker = new Worker(this.options.url, { workerData: this.options.workerData, resourceLimits: this.options.resourceLimits });
    const t: Running<Value> = { worker, waiting: new Map(), idle: null, answered: false, startedAt: performance.now() };
    // The server's sockets keep the process alive; the thread alone must not.
    worker.unref();
    worker.on('message', (m: FromThread<Value>) => {
      if ('closed' in m) return;
      t.answered = true;
      const p = t.waiting.get(m.id);
      if (!p) return;
      t.waiting.delete(m.id);
      if ('value' in m) p.resolve(m.value);
      else p.reject(Object.assign(new Error(m.error.message), { code: m.error.code }));
      if (t.waiting.size === 0 && this.current === t) {
        t.idle = setTimeout(() => this.end(t), this.options.idleMs);
        t.idle.unref();
      }
    });
    const gone = (err: Error) => {
      if (t.idle) clearTimeout(t.idle);
      if (this.current === t) this.current = null;
      for (const p of t.waiting.values()) p.reject(err);
      t.waiting.clear();
    };
    worker.on('error', gone);
    worker.on('exit', (code) => gone(new Error(`${this.options.label} exited (code ${code})`)));
    return t;
  }
}

/**
 * The thread's side of a ThreadClient: answers each ask with `answer`'s value (or its failure), and
 * on the request to end runs `close` (if any), says so and lets the thread exit.
 */
export function serveThread<Ask, Value>(answer: (ask: Ask) => Value | Promise<Value>, close?: () => Promise<void>): void {
  const port = parentPort!;
  port.on('message', async (msg: ToThread<Ask>) => {
    if ('close' in msg) {
      await close?.();
      port.postMessage({ closed: true } satisfies FromThread<Value>);
      port.close();
      return;
    }
    try {
      port.postMessage({ id: msg.id, value: await answer(msg.ask) } satisfies FromThread<Value>);
    } catch (err) {
      const e = err as { message?: string; code?: string };
      port.postMessage({ id: msg.id, error: { message: e?.message ?? String(err), code: e?.code } } satisfies FromThread<Value>);
    }
  });
}
