import type { KvStore } from '../state/kv.js';

export interface RetryBudgetOptions {
  /** Retries allowed per 100 calls. */
  percent: number;
  /** Retries per second allowed on top of the share (a quiet gateway still retries). */
  minPerSec: number;
  /** Length of one counting window (default 10 s). */
  windowMs?: number;
}

interface Logger {
  warn(msg: string): void;
}

/** Local calls are added to the shared count this often (one shared-store call per process per period). */
const FLUSH_MS = 1_000;

/**
 * A retry budget over every process sharing the state (Redis; this process's memory otherwise): the
 * attempts a call makes after its first — a retry of the same channel or a failover to another —
 * stay under `percent` of the calls, plus `minPerSec`. When a provider fails, each call would
 * otherwise try up to `APIGPT_RETRY_MAX_ATTEMPTS` times, and an outage of one channel would double or
 * triple the load on the others just when they take its traffic; with the budget spent, a call ends
 * with the failure it had (the caller may retry later, or elsewhere).
 *
 * Counted in fixed windows (`rb:c:<start>` calls, `rb:r:<start>` retries) and read as a sliding
 * window: the previous window's counts weigh by the share of it still inside the last `windowMs`.
 * Calls are counted locally and added to the shared count every second, so the relay's path makes
 * no shared-store call; a retry asks the store (it already waits for a backoff or a failed attempt).
 * When the store cannot be reached, retries are allowed: the budget protects providers, it must not
 * fail calls itself.
 */
export class RetryBudget {
  /** Retries refused because the budget was spent (a metric). */
  refused = 0;
  private readonly windowMs: number;
  private local = 0;
  private timer: NodeJS.Timeout | null = null;
  private warnedAt = 0;

  constructor(
    private readonly kv: KvStore,
    private readonly opts: RetryBudgetOptions,
    private readonly log?: Logger,
    private readonly clock: () => number = Date.now,
  ) {
    this.windowMs = opts.windowMs ?? 10_000;
  }

  /** A call is about to make its first attempt. Costs nothing but a counter on the call's path. */
  called(): void {
    this.local++;
    if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), FLUSH_MS);
      this.timer.unref();
    }
  }

  /** Whether one more attempt may be made; counts it when so. */
  async allowRetry(): Promise<boolean> {
    const now = this.clock();
    const start = now - (now % this.windowMs);
    const previous = start - this.windowMs;
    const ttl = this.windowMs * 3;
    const pending = this.takeLocal();
    try {
      const [[calls], [retries], [prevCalls, prevRetries]] = await Promise.all([
        this.kv.incr([callsKey(start)], ttl, pending),
        this.kv.incr([retriesKey(start)], ttl, 1),
        this.kv.mget([callsKey(previous), retriesKey(previous)]),
      ]);
      // The previous window's share still inside the sliding window.
      const weight = 1 - (now - start) / this.windowMs;
      const spent = retries + weight * Number(prevRetries ?? 0);
      const allowed = (this.opts.minPerSec * this.windowMs) / 1000 + (this.opts.percent / 100) * (calls + weight * Number(prevCalls ?? 0));
      if (spent <= allowed) return true;
      this.refused++;
      // Not spent after all: a refused retry must not shrink the budget of the calls after it.
      await this.kv.incr([retriesKey(start)], ttl, -1);
      return false;
    } catch (err) {
      this.local += pending;
      this.warn(`retry budget: the shared state is unreachable (${(err as Error).message}); retrying without a budget`);
      return true;
    }
  }

  /** Adds the local calls to the shared count (also at close, so a stopping process's calls count). */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const n = this.takeLocal();
    if (n === 0) return;
    const now = this.clock();
    try {
      await this.kv.incr([callsKey(now - (now % this.windowMs))], this.windowMs * 3, n);
    } catch {
      // Counted again next time (or lost with the process: the budget is a bound, not a ledger).
      this.local += n;
    }
  }

  async close(): Promise<void> {
    await this.flush();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private takeLocal(): number {
    const n = this.local;
    this.local = 0;
    return n;
  }

  private warn(msg: string): void {
    const now = this.clock();
    if (now - this.warnedAt < 10_000) return;
    this.warnedAt = now;
    this.log?.warn(msg);
  }
}

const callsKey = (start: number) => `rb:c:${start}`;
const retriesKey = (start: number) => `rb:r:${start}`;
