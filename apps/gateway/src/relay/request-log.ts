import type { BatchStore, Hold, RequestLogRow } from '../batch/types.js';
import type { CommitEntry } from '../state/shared-state.js';

export type { RequestLogRow } from '../batch/types.js';

export interface Logger {
  error(msg: string, err?: unknown): void;
}

/**
 * Work that rides the batches of log rows (billing's charges): what it holds for the rows goes with
 * them, and it hears whether they were committed, so a committed batch has both or neither.
 */
export interface BatchParticipant {
  /** Awaited by `flush()` before it takes the buffer, so rows still being prepared make that flush. */
  drain(): Promise<void>;
  /** The holds behind these rows' charges, sent with the batch. */
  holds(rows: readonly RequestLogRow[]): Hold[];
  /** The batch is committed; `entries` is what its charges changed. */
  committed(rows: readonly RequestLogRow[], entries: CommitEntry[]): Promise<void>;
  /** The batch could not be written after every attempt: undo what was prepared for it. */
  failed(rows: readonly RequestLogRow[]): Promise<void>;
}

/** Pauses between attempts at a failed batch (then it is given up and reported). */
const RETRY_MS = [50, 250];

/**
 * Request-log rows are buffered and committed together every `flushMs`: a synchronous insert per
 * request would cost a quarter of the relay's throughput, a batch every 20 ms costs about 3%, and on
 * SQLite the batch is written by a thread of its own (batch/thread.ts). `flush()` is awaited at
 * shutdown and by tests, so no row is lost on a clean stop.
 */
export class RequestLogWriter {
  private buffer: RequestLogRow[] = [];
  private timer: NodeJS.Timeout | null = null;
  private inflight: Promise<void> = Promise.resolve();
  private participant: BatchParticipant | null = null;

  constructor(
    private readonly store: BatchStore,
    private readonly flushMs: number,
    private readonly log: Logger,
  ) {}

  /** Joins another writer's work to every batch (one participant: billing). */
  join(participant: BatchParticipant): void {
    this.participant = participant;
  }

  push(row: RequestLogRow): void {
    this.buffer.push(row);
    if (!this.timer) {
      this.timer = setTimeout(() => void this.flushNow(), this.flushMs);
      this.timer.unref();
    }
  }

  /** Writes everything buffered so far (and being prepared); resolves when it is committed. */
  async flush(): Promise<void> {
    if (this.participant) await this.participant.drain();
    return this.flushNow();
  }

  /** Flushes, then closes the store (the writer thread ends). */
  async close(): Promise<void> {
    await this.flush();
    await this.store.close();
  }

  private flushNow(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    const rows = this.buffer;
    this.buffer = [];
    // Chained so batches commit in order and a flush() caller waits for earlier batches too.
    this.inflight = this.inflight.then(() => (rows.length ? this.write(rows) : undefined));
    return this.inflight;
  }

  private async write(rows: RequestLogRow[]): Promise<void> {
    const holds = this.participant ? this.participant.holds(rows) : [];
    for (let attempt = 0; ; attempt++) {
      let entries: CommitEntry[];
      try {
        entries = await this.store.write({ rows, holds });
      } catch (err) {
        if (attempt < RETRY_MS.length) {
          await new Promise((r) => setTimeout(r, RETRY_MS[attempt]));
          continue;
        }
        this.log.error(`request log: could not write ${rows.length} rows`, err);
        if (this.participant) await this.participant.failed(rows).catch((e) => this.log.error('request log: undo failed', e));
        return;
      }
      if (this.participant) await this.participant.committed(rows, entries).catch((err) => this.log.error('request log: after-commit step failed', err));
      return;
    }
  }
}
