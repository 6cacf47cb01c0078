import { GatewayError } from '../core/errors.js';
import type { SharedState, WindowHit } from '../state/shared-state.js';
import type { KeyLimits } from './key-limits.js';

export const MINUTE_MS = 60_000;

interface Counter extends WindowHit {
  unit: 'requests' | 'tokens';
  label: string;
}

/** The counters a call is measured against: requests and tokens per minute, per key and per user. */
export function countersFor(keyId: string | null, userId: string, limits: KeyLimits, tokens: number): Counter[] {
  const out: Counter[] = [];
  if (keyId && limits.rpm !== null) out.push({ counter: `rpm:k:${keyId}`, limit: limits.rpm, cost: 1, unit: 'requests', label: 'this API key' });
  if (keyId && limits.tpm !== null) out.push({ counter: `tpm:k:${keyId}`, limit: limits.tpm, cost: tokens, unit: 'tokens', label: 'this API key' });
  if (limits.userRpm !== null) out.push({ counter: `rpm:u:${userId}`, limit: limits.userRpm, cost: 1, unit: 'requests', label: 'your account' });
  if (limits.userTpm !== null) out.push({ counter: `tpm:u:${userId}`, limit: limits.userTpm, cost: tokens, unit: 'tokens', label: 'your account' });
  return out;
}

/** A rate window's refusal, which says the window's unit (a smaller token count might pass a tokens window). */
export class RateWindowRefusal extends GatewayError {
  constructor(
    readonly unit: Counter['unit'],
    message: string,
    init: { retryAfter: number; headers: Record<string, string> },
  ) {
    super('rate_limit', message, { code: 'rate_limit_exceeded', ...init });
  }
}

/**
 * Counts the call in every window or refuses it with OpenAI's 429: `rate_limit_exceeded`, a
 * `retry-after` and the `x-ratelimit-*` headers its clients read. Returns the counters to correct
 * once real token usage is known.
 */
export async function admitRate(state: SharedState, counters: Counter[], now = Date.now()): Promise<Counter[]> {
  if (counters.length === 0) return counters;
  const res = await state.hit(counters, MINUTE_MS, now);
  if (res.ok) return counters;
  const i = counters.findIndex((c) => c.counter === res.refused);
  const c = counters[i];
  const used = res.used[i];
  const retryAfter = Math.max(1, Math.ceil(res.resetMs / 1000));
  const headers: Record<string, string> = {};
  for (const [j, other] of counters.entries()) {
    // When both a key and a user limit exist for one unit, the tighter (refusing) one is reported.
    if (other.unit === c.unit && j !== i) continue;
    headers[`x-ratelimit-limit-${other.unit}`] = String(other.limit);
    headers[`x-ratelimit-remaining-${other.unit}`] = String(Math.max(0, other.limit - res.used[j]));
    headers[`x-ratelimit-reset-${other.unit}`] = duration(res.resetMs);
  }
  const what = c.unit === 'requests' ? 'requests per minute (RPM)' : 'tokens per minute (TPM)';
  throw new RateWindowRefusal(c.unit, `Rate limit reached for ${what} on ${c.label}: Limit ${c.limit}, Used ${used}, Requested ${c.cost}. Please try again in ${retryAfter}s.`, {
    retryAfter,
    headers,
  });
}


/** OpenAI's reset format: `1s`, `6m0s`, `250ms`. */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  const s = Math.ceil(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m${s % 60}s` : `${s}s`;
}
