import { sql } from 'kysely';
import type { Db } from '../storage/database.js';

/** How much of a channel's prompts its provider served from the prompt cache, over a window. */
export interface ChannelCacheStats {
  /** Calls that sent a prompt. */
  calls: number;
  promptTokens: number;
  /** Prompt tokens read from the provider's cache. */
  cachedTokens: number;
  /** Prompt tokens written to the provider's cache (5-minute and 1-hour writes together). */
  cacheWriteTokens: number;
  /** cachedTokens / promptTokens; null when no prompt was sent. */
  hitRate: number | null;
}

export const CACHE_STATS_WINDOW_MS = 24 * 3600_000;

export const EMPTY_CACHE_STATS: ChannelCacheStats = { calls: 0, promptTokens: 0, cachedTokens: 0, cacheWriteTokens: 0, hitRate: null };

/**
 * Per channel, the share of prompt tokens its provider read from its prompt cache in the last 24
 * hours, from the request log (the provider's own figures). Answers replayed from the gateway's
 * response cache are left out: no provider saw them. One grouped query on the (channel, time) index.
 */
export async function channelCacheStats(db: Db, now = Date.now(), windowMs = CACHE_STATS_WINDOW_MS): Promise<Map<string, ChannelCacheStats>> {
  const rows = await db
    .selectFrom('request_logs')
    .select([
      'channel_id',
      (eb) => eb.fn.countAll<number>().as('calls'),
      (eb) => eb.fn.sum<number>('prompt_tokens').as('prompt'),
      (eb) => eb.fn.sum<number>('cached_tokens').as('cached'),
      sql<number>`sum(coalesce(cache_write_5m_tokens, 0) + coalesce(cache_write_1h_tokens, 0))`.as('written'),
    ])
    .where('channel_id', 'is not', null)
    .where('created_at', '>=', now - windowMs)
    .where('prompt_tokens', '>', 0)
    .where((eb) => eb.or([eb('cache_hit', 'is', null), eb('cache_hit', '=', 0)]))
    .groupBy('channel_id')
    .execute();
  const out = new Map<string, ChannelCacheStats>();
  for (const r of rows) {
    // PostgreSQL returns sums of bigint/integer columns as strings.
    const prompt = Number(r.prompt ?? 0);
    const cached = Number(r.cached ?? 0);
    out.set(r.channel_id!, { calls: Number(r.calls), promptTokens: prompt, cachedTokens: cached, cacheWriteTokens: Number(r.written ?? 0), hitRate: prompt > 0 ? cached / prompt : null });
  }
  return out;
}
