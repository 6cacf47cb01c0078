export interface BackoffPolicy {
  /** The first wait's ceiling. */
  baseMs: number;
  /** No wait is longer than this, however many attempts failed. */
  maxMs: number;
}

/**
 * How long to wait before reconnect attempt `attempt` (0 for the first retry): the ceiling doubles
 * with each failure up to `maxMs`, and the wait is drawn between half the ceiling and all of it. The
 * random half keeps many processes that lost one database at the same instant from all knocking
 * again in the same millisecond; the fixed half keeps a retry from coming back at once.
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, Math.min(attempt, 30)));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
