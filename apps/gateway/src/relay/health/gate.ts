import { GatewayError } from '../../core/errors.js';
import { unlessOutage } from '../../core/dependency-errors.js';
import type { Admitted, CircuitBreaker } from './circuit.js';
import { whenReady, type MaybeAsync } from '../../core/maybe-async.js';

/** The items a call may try, and what the circuits decided for it (null without a circuit breaker). */
export interface Gated<T> {
  items: T[];
  admitted: Admitted | null;
}

/** The items whose channel the circuits allowed; refused (503, retry-after) when none was. */
function allowedItems<T>(items: T[], channelOf: (item: T) => string, model: string, admitted: Admitted): Gated<T> {
  // `allowed` keeps the items' order: all of them allowed (the usual case) needs no filtering.
  if (admitted.allowed.length === items.length && items.length > 0) return { items, admitted };
  const allowed = new Set(admitted.allowed);
  const kept = items.filter((i) => allowed.has(channelOf(i)));
  if (kept.length === 0) {
    const wait = Math.ceil((admitted.retryAfterMs ?? 1000) / 1000);
    throw new GatewayError('overloaded', `Every channel serving \`${model}\` is failing and resting; try again in ${wait} s.`, { code: 'channels_unavailable', retryAfter: wait });
  }
  return { items: kept, admitted };
}

/**
 * What every data path (text relay, images) does with channel health: keep resting channels out of
 * a call, and tell each channel's circuit how its attempt went. Without a circuit breaker it lets
 * everything through and records nothing.
 */
export class ChannelGate {
  constructor(
    private readonly circuit?: CircuitBreaker,
    private readonly onOpened?: (channelId: string) => void,
  ) {}

  /**
   * The items whose channel may be tried now (order kept); 503 with retry-after when none may.
   * Answered at once when the circuits could say so without the shared store (the usual call).
   */
  admit<T>(items: T[], channelOf: (item: T) => string, model: string): MaybeAsync<Gated<T>> {
    if (!this.circuit) return { items, admitted: null };
    return whenReady(this.circuit.admit(items.map(channelOf)), (admitted) => allowedItems(items, channelOf, model, admitted));
  }

  /** The channel answered (a caller's mistake such as a 400 counts: the channel itself is fine). */
  succeeded(channelId: string, admitted: Admitted | null): void {
    // Nobody waits for the circuit's bookkeeping: with Redis out it is skipped, never an unhandled rejection.
    if (this.circuit && admitted) void this.circuit.onSuccess(channelId, admitted).catch(unlessOutage);
  }

  /** A failure that is the channel's fault (transport, timeout, 5xx, 429, a broken stream). */
  failed(channelId: string, admitted: Admitted | null, reason: string): void {
    if (!this.circuit) return;
    void this.circuit.onFailure(channelId, admitted, reason).then((opened) => {
      if (opened) this.onOpened?.(channelId);
    }, unlessOutage);
  }

  /** The provider refused the channel's own key: rest it at once. */
  async refused(channelId: string, admitted: Admitted | null, status: number): Promise<void> {
    if (this.circuit && (await this.circuit.trip(channelId, `provider refused the channel's credentials (${status})`, admitted))) this.onOpened?.(channelId);
  }

  /** Sorts a provider status into the three cases above. */
  report(channelId: string, admitted: Admitted | null, status: number, reason = `HTTP ${status}`): void {
    if (status === 401 || status === 403) void this.refused(channelId, admitted, status).catch(unlessOutage);
    else if (status >= 500 || status === 429 || status === 408) this.failed(channelId, admitted, reason);
    else this.succeeded(channelId, admitted);
  }
}
