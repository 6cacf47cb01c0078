import { Periodic } from '../core/periodic.js';
import type { Logger } from '../core/logger.js';
import type { Db } from '../storage/database.js';

/** One call's logged content (only when an admin turned content logging on for its group or App). */
export interface LoggedContent {
  requestId: string;
  userId: string;
  appId: string | null;
  createdAt: number;
  expiresAt: number;
  /** The request as it went to the provider (redacted, when redaction is on): JSON text. */
  request: string | null;
  /** The answer as the provider gave it (before placeholders are restored): JSON, or a stream's events. */
  response: string | null;
}

/** The most of each side kept per call: a log, not an archive. */
export const MAX_CONTENT_CHARS = 256 * 1024;

/** A clock the purge job and the content log read; tests set it to move time. */
export interface Clock {
  now(): number;
}

/**
 * The content log (table `request_contents`, migration 0015_privacy). Rows are written off the
 * call's path (a failed write is logged; the call was served and charged already) and carry their
 * own expiry, so a purge is one indexed delete.
 */
export class ContentLog {
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly db: Db,
    private readonly log: Logger,
    readonly clock: Clock,
  ) {}

  write(c: LoggedContent): void {
    const p = this.db
      .insertInto('request_contents')
      .values({ request_id: c.requestId, user_id: c.userId, app_id: c.appId, created_at: c.createdAt, expires_at: c.expiresAt, request: c.request, response: c.response })
      .execute()
      .then(
        () => undefined,
        (err: unknown) => this.log.error('writing a call to the content log failed', err),
      );
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  /** Waits for the writes under way (tests, shutdown). */
  async flush(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  /** One call's content; with `userId`, only when it is that user's call. */
  async get(requestId: string, userId?: string): Promise<LoggedContent | null> {
    let q = this.db.selectFrom('request_contents').selectAll().where('request_id', '=', requestId).where('expires_at', '>', this.clock.now());
    if (userId !== undefined) q = q.where('user_id', '=', userId);
    const r = await q.executeTakeFirst();
    return r ? { requestId: r.request_id, userId: r.user_id, appId: r.app_id, createdAt: Number(r.created_at), expiresAt: Number(r.expires_at), request: r.request, response: r.response } : null;
  }

  /** A user's logged content still kept (their export), newest first. */
  async forUser(userId: string, limit = 1000): Promise<LoggedContent[]> {
    const rows = await this.db.selectFrom('request_contents').selectAll().where('user_id', '=', userId).where('expires_at', '>', this.clock.now()).orderBy('created_at', 'desc').limit(limit).execute();
    return rows.map((r) => ({ requestId: r.request_id, userId: r.user_id, appId: r.app_id, createdAt: Number(r.created_at), expiresAt: Number(r.expires_at), request: r.request, response: r.response }));
  }

  /** Deletes content past its retention; how many calls' content went. */
  async purgeExpired(): Promise<number> {
    const r = await this.db.deleteFrom('request_contents').where('expires_at', '<=', this.clock.now()).executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  /** Deletes all of a user's content (account deletion), on the caller's transaction. */
  async deleteForUser(userId: string, db: Db = this.db): Promise<number> {
    const r = await db.deleteFrom('request_contents').where('user_id', '=', userId).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}

/**
 * Purges content past its retention at start and then every `intervalMs`. The timer never keeps the
 * process alive; a failed purge (the database away) is logged and tried again next time.
 */
export class PurgeJob {
  private readonly job: Periodic<number>;

  constructor(
    private readonly contents: ContentLog,
    private readonly log: Logger,
    intervalMs: number,
  ) {
    this.job = new Periodic(() => this.purge(), intervalMs, log, 'purging the content log failed');
  }

  start(): void {
    this.job.start();
  }

  /** One purge (the timer's, or a caller's): concurrent calls share it. */
  runOnce(): Promise<number> {
    return this.job.runOnce().catch((err: unknown) => {
      this.log.error('purging the content log failed', err);
      return 0;
    });
  }

  stop(): Promise<void> {
    return this.job.stop();
  }

  private async purge(): Promise<number> {
    const n = await this.contents.purgeExpired();
    if (n > 0) this.log.info(`privacy: purged the content of ${n} calls past their retention`);
    return n;
  }
}
