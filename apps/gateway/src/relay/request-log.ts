import type { BatchStore, RequestLogRow } from '../batch/types.js';
import type { CommitEntry } from '../state/shared-state.js';
import { dependencyFailure } from '../core/dependency-errors.js';

/** What a read's flush adds for a store that must start before it can write (see `flushWithin`). */
const STORE_START_MS = 10_000;

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
  /** The batch is committed; `entries` is what its charges changed. */
  committed(rows: readonly RequestLogRow[], entries: CommitEntry[]): Promise<void>;
  /** The rows cannot be written (the database refuses them while it answers): undo what was prepared. */
  failed(rows: readonly RequestLogRow[]): Promise<void>;
}

/** Pauses between attempts at a failed batch; the last one repeats for as long as it takes. */
const RETRY_MS = [50, 250, 1_000, 2_000, 5_000];
/** Attempts before a batch that fails while the database answers is split to find the bad row. */
export const ATTEMPTS_BEFORE_SPLIT = 3;

/**
 * Request-log rows are buffered and committed together every `flushMs`: a synchronous insert per
 * request would cost a quarter of the relay's throughput, a batch every 20 ms costs about 3%, and on
 * SQLite the batch is written by a thread of its own (batch/thread.ts). `flush()` is awaited at
 * shutdown and by tests, so no row is lost on a clean stop.
 *
 * A batch that cannot be written is tried again, with growing pauses, for as long as the database is
 * unreachable or cannot write (a full disk, an I/O error: `dependencyFailure`): the charges in it are
 * owed (they are in the journal meanwhile, batch/journal.ts), so they are never dropped, and what
 * shared state holds for them stays held. Only a batch the database refuses for another reason while
 * it answers other queries is split until the rows it refuses are found; those alone are given up
 * and reported.
 */
export class RequestLogWriter {
  private buffer: RequestLogRow[] = [];
  private timer: NodeJS.Timeout | null = null;
  private inflight: Promise<void> = Promise.resolve();
  private participant: BatchParticipant | null = null;
  private closing = false;
  /** Rows taken from the buffer whose batch is not committed yet (queued behind others, or being written). */
  private unwritten = 0;
  private listener: ((row: RequestLogRow) => void) | null = null;
  /** Failed attempts of the batch being written, since the last commit (see `failing`). */
  private failures = 0;
  private failuresTotal = 0;
  private givenUp = 0;

  constructor(
    private readonly store: BatchStore,
    private readonly flushMs: number,
    private readonly log: Logger,
  ) {}

  /** Joins another writer's work to every batch (one participant: billing). */
  join(participant: BatchParticipant): void {
    this.participant = participant;
  }

  /**
   * Hears every row as it is pushed: the one place a finished call passes, so the metrics
   * (relay/metrics.ts) read it here rather than being counted on every exchange's path. One listener.
   */
  listen(listener: (row: RequestLogRow) => void): void {
    this.listener = listener;
  }

  /** Rows not yet committed: buffered, waiting for an earlier batch, or being written (a metric). */
  get queued(): number {
    return this.buffer.length + this.unwritten;
  }

  /**
   * The database does not take the rows now: the batch being written has failed and none has been
   * committed since (the gateway then admits no charged call while the journal has no room either).
   */
  get failing(): boolean {
    return this.failures > 0;
  }

  /** Failed attempts at the batches since the last commit or the last row given up (for tests). */
  get failedAttempts(): number {
    return this.failures;
  }

  /** Failed attempts at batches since the start (a metric). */
  get failedAttemptsTotal(): number {
    return this.failuresTotal;
  }

  /** Rows the database refused, alone, while it took others: given up (left in the journal; a metric). */
  get rowsGivenUp(): number {
    return this.givenUp;
  }

  /** Resolves when the batches' database answers (readiness checks); on SQLite, through the writer thread. */
  ping(): Promise<void> {
    return this.store.ping();
  }

  /** The store was just started and has not answered yet (batch/types.ts `starting`). */
  get starting(): boolean {
    return this.store.starting ?? false;
  }

  push(row: RequestLogRow): void {
    if (this.listener) {
      // A failing listener must not cost the call its log row (or its charge).
      try {
        this.listener(row);
      } catch (err) {
        this.log.error('request log: the row listener failed', err);
      }
    }
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

  /**
   * Flushes, but waits at most `ms`: for a read that wants the latest rows (a balance, a call
   * list) and must not hang while the database is away (the batch is retried until it is back).
   * A store that must start first (the SQLite writer thread, ended after a quiet spell: modules to
   * load, the database to open, more than a second on a loaded machine) gets STORE_START_MS more:
   * starting is not an outage. Resolves true when everything was committed in time.
   */
  async flushWithin(ms = 1_000): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const budget = this.store.warm === false ? ms + STORE_START_MS : ms;
    const flushed = await Promise.race([this.flush().then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), budget)))]);
    clearTimeout(timer);
    return flushed;
  }

  /** Writes what is buffered now, without waiting for rows still being prepared; resolves when committed. */
  commitSoon(): Promise<void> {
    return this.flushNow();
  }

  /**
   * Flushes, then closes the store (the writer thread ends). When the database does not take the
   * rows within `deadlineMs`, it stops anyway: they are in the journal and the next start writes them.
   */
  async close(deadlineMs = 10_000): Promise<void> {
    this.closing = true;
    if (!(await this.flushWithin(deadlineMs))) this.log.error('request log: the database did not take the last rows before shutdown; the journal keeps their charges for the next start');
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
    this.unwritten += rows.length;
    this.inflight = this.inflight.then(() => (rows.length ? this.write(rows).finally(() => (this.unwritten -= rows.length)) : undefined));
    return this.inflight;
  }

  private async write(rows: RequestLogRow[], outcomeUnknown = false): Promise<void> {
    // Set once an attempt failed as a lost database would (a dropped connection, a timeout): its
    // COMMIT may have gone through with only the answer lost, so the next attempts skip the rows
    // that are in already (charged once, never twice, and not taken for rows the database refuses).
    let unknown = outcomeUnknown;
    for (let attempt = 0; ; attempt++) {
      let entries: CommitEntry[];
      try {
        entries = await this.store.write(unknown ? { rows, replay: true } : { rows });
      } catch (err) {
        if (dependencyFailure(err)) unknown = true;
        this.failures++;
        this.failuresTotal++;
        if (attempt === 0 || attempt % 10 === 0) this.log.error(`request log: could not write ${rows.length} rows (attempt ${attempt + 1}); trying again`, err);
        // A full disk answers reads: only an error that is not the database's condition is the rows'.
        if (attempt + 1 >= ATTEMPTS_BEFORE_SPLIT && !dependencyFailure(err) && (await this.databaseAnswers())) {
          // The database is there but refuses this batch: find the rows it refuses.
          if (rows.length > 1) {
            const half = Math.ceil(rows.length / 2);
            await this.write(rows.slice(0, half), unknown);
            await this.write(rows.slice(half), unknown);
          } else {
            this.log.error(`request log: the database refuses row ${rows[0].id}; giving it up`, err);
            this.givenUp++;
            if (this.participant) await this.participant.failed(rows).catch((e) => this.log.error('request log: undo failed', e));
            // The database answers and writes: only this row was refused.
            this.failures = 0;
          }
          return;
        }
        if (this.closing && attempt >= RETRY_MS.length) return; // shutdown: the journal keeps them
        await new Promise((r) => setTimeout(r, RETRY_MS[Math.min(attempt, RETRY_MS.length - 1)]));
        continue;
      }
      this.failures = 0;
      if (this.participant) await this.participant.committed(rows, entries).catch((err) => this.log.error('request log: after-commit step failed', err));
      return;
    }
  }

  private async databaseAnswers(): Promise<boolean> {
    try {
      await this.store.ping();
      return true;
    } catch {
      return false;
    }
  }
}
