import type { Db } from '../storage/database.js';
import type { RequestLogsTable } from '../storage/schema.js';

export type RequestLogRow = RequestLogsTable;

export interface Logger {
  error(msg: string, err?: unknown): void;
}

/**
 * Request-log rows are buffered and written in one transaction every `flushMs`: a synchronous insert
 * per request would cost a quarter of the relay's throughput, a batch every 20 ms costs about 3%.
 * `flush()` is awaited at shutdown and by tests, so no row is lost on a clean stop.
 */
export class RequestLogWriter {
  private buffer: RequestLogRow[] = [];
  private timer: NodeJS.Timeout | null = null;
  private inflight: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Db,
    private readonly flushMs: number,
    private readonly log: Logger,
  ) {}

  push(row: RequestLogRow): void {
    this.buffer.push(row);
    if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), this.flushMs);
      this.timer.unref();
    }
  }

  /** Writes everything buffered so far; resolves when it is committed. */
  flush(): Promise<void> {
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
    try {
      await this.db.transaction().execute(async (trx) => {
        // Chunked to stay under SQLite's bound-parameter limit.
        for (let i = 0; i < rows.length; i += 200) await trx.insertInto('request_logs').values(rows.slice(i, i + 200)).execute();
        for (const [id, at] of lastUsed) await trx.updateTable('api_keys').set({ last_used_at: at }).where('id', '=', id).execute();
      });
    } catch (err) {
      this.log.error(`request log: could not write ${rows.length} rows`, err);
    }
  }
}
