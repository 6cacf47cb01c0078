import type { Db } from '../storage/database.js';
import type { Logger } from '../core/logger.js';
import { newId } from '../core/ids.js';

export type ChannelEventKind =
  | 'circuit_open'
  | 'circuit_half_open'
  | 'circuit_closed'
  | 'auto_disabled'
  | 'auto_enabled'
  | 'probe_ok'
  | 'probe_failed'
  | 'admin_disabled'
  | 'admin_enabled';

export interface ChannelEvent {
  id: string;
  channel_id: string;
  created_at: number;
  kind: ChannelEventKind;
  detail: string;
}

/**
 * The history of a channel's health, shown in the console: every circuit change, probe and
 * (automatic or manual) enable / disable. Events are rare, so each is one insert, off the hot path.
 */
export class ChannelEvents {
  constructor(
    private readonly db: Db,
    private readonly log: Logger,
  ) {}

  /** Fire and forget: the caller is on a request path and must not wait for or fail on it. */
  record(channelId: string, kind: ChannelEventKind, detail: string): void {
    void this.write(channelId, kind, detail);
  }

  async write(channelId: string, kind: ChannelEventKind, detail: string): Promise<void> {
    this.log.info(`channel ${channelId}: ${kind} — ${detail}`);
    try {
      await this.db.insertInto('channel_events').values({ id: newId('chev'), channel_id: channelId, created_at: Date.now(), kind, detail: detail.slice(0, 500) }).execute();
    } catch (err) {
      this.log.error(`could not record channel event ${kind}`, err);
    }
  }

  async list(channelId?: string, limit = 100): Promise<ChannelEvent[]> {
    let q = this.db.selectFrom('channel_events').selectAll();
    if (channelId) q = q.where('channel_id', '=', channelId);
    return (await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute()) as ChannelEvent[];
  }
}
