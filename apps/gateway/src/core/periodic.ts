import type { Logger } from './logger.js';

/**
 * A job the gateway runs at start and then every `intervalMs` (the content purge, the money refunds
 * still owe, the unpaid orders to ask providers about). The timer never keeps the process alive;
 * a run the timer and a caller ask for at once is one run; a failed run is logged and tried again
 * at the next tick; `stop` waits for the run under way.
 */
export class Periodic<T> {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<T> | null = null;

  constructor(
    private readonly run: () => Promise<T>,
    private readonly intervalMs: number,
    private readonly log: Logger,
    /** Logged when a run fails. */
    private readonly failed: string,
  ) {}

  start(): void {
    const tick = () => void this.runOnce().catch((err: unknown) => this.log.error(this.failed, err));
    tick();
    this.timer = setInterval(tick, this.intervalMs);
    this.timer.unref();
  }

  /** One run (the timer's, or a caller's): concurrent calls share it. */
  runOnce(): Promise<T> {
    this.running ??= this.run().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }
}
