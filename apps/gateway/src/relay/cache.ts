import { createHash } from 'node:crypto';
import type { KvStore } from '../state/kv.js';
import type { Dialect, Operation, Usage } from '../core/calls.js';

/** A response kept for replay: the bytes the first caller received, and what they cost. */
export interface CachedResponse {
  kind: 'json' | 'sse';
  contentType: string;
  body: string;
  usage: Usage;
  model: string;
  channelId: string | null;
}

export interface CacheDirective {
  ttlMs: number;
}

export const CACHE_HEADER = 'x-apigpt-cache';
const DEFAULT_TTL_MS = 300_000;
const MAX_TTL_MS = 7 * 24 * 3600_000;
/** Larger answers are not worth the memory (and a Redis round trip of that size). */
export const MAX_CACHED_BYTES = 1024 * 1024;

/**
 * Whether a call uses the cache: opt-in per key (its `cache_ttl_sec`) or per request with
 * `x-apigpt-cache: on | ttl=SECONDS`; `x-apigpt-cache: off` skips it even when the key opts in.
 */
export function cacheDirective(header: string | string[] | undefined, keyTtlSec: number | null | undefined): CacheDirective | null {
  const h = (Array.isArray(header) ? header[0] : header)?.trim().toLowerCase();
  if (h === 'off' || h === 'no-store' || h === '0') return null;
  if (h) {
    const m = /^ttl=(\d+)$/.exec(h);
    if (m) return { ttlMs: Math.min(Number(m[1]) * 1000, MAX_TTL_MS) };
    if (h === 'on' || h === '1' || h === 'true') return { ttlMs: keyTtlSec ? keyTtlSec * 1000 : DEFAULT_TTL_MS };
  }
  return keyTtlSec && keyTtlSec > 0 ? { ttlMs: Math.min(keyTtlSec * 1000, MAX_TTL_MS) } : null;
}

/**
 * Exact match on what determines the answer: the dialect, the operation, the model and the whole
 * body (keys sorted), streamed or not. The end-user id does not change the answer, so it is left out.
 */
export function cacheKey(dialect: Dialect, operation: Operation, model: string, body: Record<string, unknown>): string {
  const { user: _user, ...rest } = body;
  const h = createHash('sha256').update(`${dialect}\n${operation}\n${model}\n`).update(stableJson(rest)).digest('hex');
  return `rc:${h}`;
}

export function stableJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`)
    .join(',')}}`;
}

export class ResponseCache {
  constructor(private readonly kv: KvStore) {}

  /** A cache that cannot be read (Redis away) is a miss: the call goes upstream as without a cache. */
  async get(key: string): Promise<CachedResponse | null> {
    const raw = await this.kv.get(key).catch(() => null);
    if (!raw) return null;
    try {
      return JSON.parse(raw) as CachedResponse;
    } catch {
      return null;
    }
  }

  async put(key: string, value: CachedResponse, ttlMs: number): Promise<void> {
    if (value.body.length > MAX_CACHED_BYTES) return;
    // Not stored is only a later miss; it must never fail the call that produced it.
    await this.kv.set(key, JSON.stringify(value), ttlMs).catch(() => undefined);
  }
}

/** Splits a stored SSE body back into its events, so a cached stream is replayed event by event. */
export function sseEvents(body: string): string[] {
  return body
    .split('\n\n')
    .filter((e) => e.length > 0)
    .map((e) => `${e}\n\n`);
}
