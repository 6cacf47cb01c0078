import { kyselyInsertMany, type Db, type InsertMany } from '../storage/database.js';
import type { RequestLogsTable } from '../storage/schema.js';

export type RequestLogRow = RequestLogsTable;

export interface Logger {
  error(msg: string, err?: unknown): void;
}

/**
 * Work written in the same transaction as a batch of log rows (billing's charges, ledger rows and
 * balances), so a committed batch has both or neither.
 */
export interface BatchParticipant {
  /** Awaited by `flush()` before it takes the buffer, so rows still being prepared make that flush. */
  drain(): Promise<void>;
  /** Runs inside the batch transaction before the rows are inserted (it may adjust them); returns what to run after the commit. */
  write(trx: Db, rows: RequestLogRow[]): Promise<() => Promise<void>>;
  /** The batch could not be written after every attempt: undo what was prepared for it. */
  failed(rows: RequestLogRow[]): Promise<void>;
}

/** Pauses between attempts at a failed batch (then it is given up and reported). */
const RETRY_MS = [50, 250];

/**
 * Request-log rows are buffered and written in one transaction every `flushMs`: a synchronous insert
 * per request would cost a quarter of the relay's throughput, a batch every 20 ms costs about 3%.
 * `flush()` is awaited at shutdown and by tests, so no row is lost on a clean stop.
 */
export class RequestLogWriter {
  private buffer: RequestLogRow[] = [];
  private timer: NodeJS.Timeout | null = null;
  private inflight: Promise<void> = Promise.resolve();
  private participant: BatchParticipant | null = null;

  constructor(
    private readonly db: Db,
    private readonly flushMs: number,
    private readonly log: Logger,
    private readonly insertMany: InsertMany = kyselyInsertMany,
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
    const lastUsed = new Map<string, number>();
    for (const r of rows) if (r.key_id) lastUsed.set(r.key_id, Math.max(lastUsed.get(r.key_id) ?? 0, r.created_at));
    for (let attempt = 0; ; attempt++) {
      try {
        const after = await this.db.transaction().execute(async (trx) => {
          const after = this.participant ? await this.participant.write(trx as unknown as Db, rows) : null;
          await this.insertMany(trx as unknown as Db, 'request_logs', rows);
          for (const [id, at] of lastUsed) await trx.updateTable('api_keys').set({ last_used_at: at }).where('id', '=', id).execute();
          return after;
        });
        if (after) await after().catch((err) => this.log.error('request log: after-commit step failed', err));
        return;
      } catch (err) {
        if (attempt < RETRY_MS.length) {
          await new Promise((r) => setTimeout(r, RETRY_MS[attempt]));
          continue;
        }
        this.log.error(`request log: could not write ${rows.length} rows`, err);
        if (this.participant) await this.participant.failed(rows).catch((e) => this.log.error('request log: undo failed', e));
        return;
      }
    }
  }
}
