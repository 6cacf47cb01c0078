import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { GatewayError } from '../core/errors.js';

export interface LoadLimits {
  /** Relay calls in flight in this process past which new ones are refused (0 = no limit). */
  maxInflight: number;
  /** Event-loop delay in ms past which new calls are refused (0 = off). */
  maxLagMs: number;
}

/** Seconds a refused caller is told to wait: load passes quickly, or the balancer sends it elsewhere. */
export const SHED_RETRY_AFTER_SEC = 1;
/** The event-loop delay is the worst of each window this long. */
const LAG_WINDOW_MS = 500;
/** The monitor's timer interval: its own period is part of every delay it records, and is taken off. */
const LAG_RESOLUTION_MS = 10;

/**
 * Back-pressure for one process. A gateway past its capacity serves everyone late, then not at all;
 * one that refuses the excess at once (503 with `retry-after`, before the key is looked up or the body
 * read) keeps serving the calls it took, and lets a balancer or the client's retry go elsewhere.
 * Two signs of overload: calls in flight past a limit, and an event loop that runs late (measured
 * with `monitorEventLoopDelay`, the worst delay of the last half second).
 *
 * It counts calls in flight whenever anything reads it (the limits or the metrics); with neither,
 * the HTTP layer does not even call it.
 */
export class LoadGuard {
  /** Relay calls of this process that have started and whose response has not closed. */
  inflight = 0;
  /** Worst event-loop delay of the last finished window, in ms (0 until measured). */
  lagMs = 0;
  /** Calls refused, by reason (a metric). */
  readonly shed = { inflight: 0, event_loop_lag: 0 };
  private histogram: IntervalHistogram | null = null;
  private timer: NodeJS.Timeout | null = null;
  /** Bound once: the HTTP layer hands it to every response's 'close'. */
  readonly leave = (): void => {
    this.inflight--;
  };

  constructor(
    readonly limits: LoadLimits,
    /** Measure in-flight calls and the event loop even without limits (the metrics read them). */
    private readonly measure = false,
  ) {}

  /** Whether the HTTP layer must count calls through `enter`. */
  get active(): boolean {
    return this.measure || this.limits.maxInflight > 0 || this.limits.maxLagMs > 0;
  }

  /** Starts the event-loop monitor (when limited or measured). */
  start(): void {
    if (this.histogram || !(this.measure || this.limits.maxLagMs > 0)) return;
    const h = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS });
    h.enable();
    this.histogram = h;
    // The first window holds the start itself (modules loading, migrations, the server being
    // built): not load, so it is dropped.
    let first = true;
    this.timer = setInterval(() => {
      if (first) {
        first = false;
        h.reset();
        return;
      }
      // The timer itself runs late when the loop is busy: its window then ends late too, which is
      // what it reports (a loop blocked for 2 s reads 2000 ms at the next window).
      this.lagMs = h.count > 0 ? Math.max(0, h.max / 1e6 - LAG_RESOLUTION_MS) : 0;
      h.reset();
    }, LAG_WINDOW_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.histogram?.disable();
    this.histogram = null;
  }

  /**
   * A new call: null when it may go ahead (it is then counted until the caller's `leave`), or the
   * refusal to answer it with.
   */
  enter(): GatewayError | null {
    const { maxInflight, maxLagMs } = this.limits;
    if (maxInflight > 0 && this.inflight >= maxInflight) {
      this.shed.inflight++;
      return overloaded('too many calls in flight');
    }
    if (maxLagMs > 0 && this.lagMs > maxLagMs) {
      this.shed.event_loop_lag++;
      return overloaded('event loop behind');
    }
    this.inflight++;
    return null;
  }
}

/** The `unavailable` kind: a retryable 503 with `retry-after`, rendered in the caller's dialect. */
function overloaded(why: string): GatewayError {
  return new GatewayError('unavailable', 'The gateway is overloaded. Please retry in a moment.', { code: 'overloaded', retryAfter: SHED_RETRY_AFTER_SEC, cause: why });
}
