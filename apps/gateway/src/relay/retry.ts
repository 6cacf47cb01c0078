import type { RetryBudget } from './retry-budget.js';

/** When and how a failed attempt is tried again (on another channel first). */
export interface RetryPolicy {
  /** Upstream attempts per call at most, first one included. */
  maxAttempts: number;
  /** Provider statuses worth another attempt; transport failures and timeouts always are. */
  statuses: ReadonlySet<number>;
  /** Backoff before trying a channel that was already tried: base × 2^n with jitter, capped. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** A provider asking for a longer pause than this ends the retries (the caller gets its retry-after). */
  maxRetryAfterMs: number;
  /** Retries and failovers across the cluster stay within this budget (none: unbounded). */
  budget?: RetryBudget;
}

export const DEFAULT_RETRY_STATUSES = [408, 409, 429, 500, 502, 503, 504, 529];

export function parseStatuses(list: readonly string[] | undefined): Set<number> {
  if (!list || list.length === 0) return new Set(DEFAULT_RETRY_STATUSES);
  return new Set(list.map((s) => Number(s)).filter((n) => Number.isInteger(n) && n >= 100 && n < 600));
}

/**
 * The order of attempts: every channel once (they come ordered by priority tier, weighted inside a
 * tier), then round again while attempts remain — so a single channel is retried, with backoff.
 */
export function attemptOrder<T>(routes: readonly T[], maxAttempts: number): { route: T; repeat: boolean }[] {
  const out: { route: T; repeat: boolean }[] = [];
  for (let i = 0; i < Math.max(1, maxAttempts) && routes.length; i++) out.push({ route: routes[i % routes.length], repeat: i >= routes.length });
  return out;
}

/**
 * Milliseconds to wait before an attempt on an already-tried channel, honouring the provider's
 * retry-after; null when the provider asks for more than the policy allows.
 */
export function backoffMs(policy: RetryPolicy, round: number, retryAfterSec: number | undefined, random: () => number = Math.random): number | null {
  if (retryAfterSec !== undefined && Number.isFinite(retryAfterSec)) {
    const ms = retryAfterSec * 1000;
    return ms > policy.maxRetryAfterMs ? null : ms;
  }
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, round));
  return Math.round(exp / 2 + (random() * exp) / 2);
}

export { retryAfterSeconds } from '../providers/common/failure.js';
