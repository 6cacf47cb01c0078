import type { KvStore } from '../../state/kv.js';
import type { MaybeAsync } from '../../core/maybe-async.js';

export interface CircuitPolicy {
  /** Consecutive failures that open the circuit. */
  failureThreshold: number;
  /** Error rate (0..1) over one window that opens it, once the window has `minRequests`. */
  errorRate: number;
  minRequests: number;
  windowMs: number;
  /** How long an open circuit rests before one probe request may try it. */
  cooldownMs: number;
}

export const DEFAULT_CIRCUIT: CircuitPolicy = { failureThreshold: 5, errorRate: 0.5, minRequests: 20, windowMs: 60_000, cooldownMs: 30_000 };

export type CircuitState = 'closed' | 'open' | 'half_open';

export interface CircuitView {
  state: CircuitState;
  consecutiveFailures: number;
  /** When an open circuit may be probed (epoch ms), or null when closed. */
  openUntil: number | null;
  /** How many times in a row it has opened without a passing probe. */
  trips: number;
}

export type CircuitEventKind = 'circuit_open' | 'circuit_half_open' | 'circuit_closed';
export type CircuitEventSink = (channelId: string, kind: CircuitEventKind, detail: string) => void;

/** What `admit` decided for one call: the channels it may try, and which of them are probes. */
export interface Admitted {
  allowed: readonly string[];
  probes: ReadonlySet<string>;
  /** Failures seen per channel (those with none are absent), so a success only writes when there was something to reset. */
  failures: ReadonlyMap<string, number>;
  /** When every channel is open: milliseconds until the first one may be probed. */
  retryAfterMs?: number;
}

const LOCK_SLACK_MS = 120_000;

/** Shared by every admission that has no probe / no failure count: never written. */
const NO_PROBES: ReadonlySet<string> = new Set();
const NO_FAILURES: ReadonlyMap<string, number> = new Map();

/** A channel's circuit as read: `fresh` when this call read it from the shared store (not the mirror). */
interface CircuitRead {
  o: string | null;
  f: string | null;
  fresh?: boolean;
}

/**
 * A circuit breaker per channel whose state lives in the shared store, so that every gateway
 * process skips a failing channel together. Keys per channel: `f` consecutive failures, `o` the
 * time an open circuit may be probed, `p` the single-probe lock, `t` trips in a row, and error-rate
 * window counters `n`/`e`.
 */
export class CircuitBreaker {
  // Successes counted here and added to the shared window counters every SUCCESS_FLUSH_MS (and
  // before any failure of the same channel is judged): a success is most calls, and writing each one
  // cost a shared-store call per relayed call (a Redis round trip, with Redis).
  private readonly successes = new Map<string, { id: string; window: number; n: number }>();
  private flushTimer: NodeJS.Timeout | null = null;
  private readonly keys = new Map<string, { o: string; f: string }>();
  /**
   * What this process last read of each channel's circuit (`o` and `f`) and when. A call reads the
   * shared store only when that is older than `mirrorMs`: with Redis, reading it on every call was a
   * round trip per relayed call (a third of the calls' Redis traffic, about 7% of their throughput).
   * Whatever this process writes drops the channel's entry, so its own decisions are exact; another
   * process's (a circuit it opened or closed) is seen within `mirrorMs`, and a probe is only ever taken
   * on a fresh read.
   */
  private readonly mirror = new Map<string, { at: number; o: string | null; f: string | null }>();

  constructor(
    private readonly kv: KvStore,
    private readonly policy: CircuitPolicy,
    private readonly onEvent: CircuitEventSink = () => {},
    private readonly clock: () => number = Date.now,
    private readonly mirrorMs = MIRROR_MS,
  ) {}

  /**
   * Filters `channelIds` (kept in order) to those whose circuit lets a call through now. Answered at
   * once in the usual case — every channel's circuit mirrored recently, closed, with no failures —
   * which is what every call asks and needs neither the shared store nor an await.
   */
  admit(channelIds: readonly string[]): MaybeAsync<Admitted> {
    const now = this.clock();
    for (const id of channelIds) {
      const m = this.mirrored(id, now);
      if (!m || m.o !== null || Number(m.f ?? 0) > 0) return this.decide(channelIds, now);
    }
    return { allowed: channelIds, probes: NO_PROBES, failures: NO_FAILURES };
  }

  private async decide(channelIds: readonly string[], now: number): Promise<Admitted> {
    const states = await this.read(channelIds, now, false);
    const allowed: string[] = [];
    // Most calls meet no probe and no failure: they share the empty ones (only ever read).
    let probes: Set<string> | null = null;
    let failures: Map<string, number> | null = null;
    let soonest = Infinity;
    for (let i = 0; i < channelIds.length; i++) {
      const id = channelIds[i];
      let s = states[i];
      let openUntil = s.o === null ? null : Number(s.o);
      // The cool-down looks over on a mirrored read: read again before probing (another process
      // may have closed it, or re-opened it, meanwhile).
      if (openUntil !== null && now >= openUntil && !s.fresh) {
        s = (await this.read([id], now, true))[0];
        openUntil = s.o === null ? null : Number(s.o);
      }
      const failed = Number(s.f ?? 0);
      if (failed > 0) (failures ??= new Map()).set(id, failed);
      if (openUntil === null) {
        allowed.push(id);
        continue;
      }
      if (now < openUntil) {
        soonest = Math.min(soonest, openUntil - now);
        continue;
      }
      // Cool-down over: exactly one caller, in any process, gets to probe.
      if (await this.kv.setIfAbsent(k(id, 'p'), String(now), this.policy.cooldownMs + LOCK_SLACK_MS)) {
        allowed.push(id);
        (probes ??= new Set()).add(id);
        this.onEvent(id, 'circuit_half_open', 'cool-down over; one probe request let through');
      }
    }
    const decided = { allowed, probes: probes ?? NO_PROBES, failures: failures ?? NO_FAILURES };
    return allowed.length === 0 && soonest < Infinity ? { ...decided, retryAfterMs: soonest } : decided;
  }

  /**
   * Each channel's `o` and `f`: from the mirror while it is younger than `mirrorMs` (unless `fresh`),
   * else read from the shared store in one call, stamped `now`, and mirrored. `fresh` on each says
   * which were read from the store by this call.
   */
  private async read(channelIds: readonly string[], now: number, fresh: boolean): Promise<CircuitRead[]> {
    const out = new Array<CircuitRead>(channelIds.length);
    let names: string[] | null = null;
    let missing: number[] | null = null;
    for (let i = 0; i < channelIds.length; i++) {
      const m = fresh ? undefined : this.mirrored(channelIds[i], now);
      if (m) {
        // The mirrored entry itself (no `fresh`): nothing is copied on the common path.
        out[i] = m;
        continue;
      }
      const key = this.keyNames(channelIds[i]);
      (names ??= []).push(key.o, key.f);
      (missing ??= []).push(i);
    }
    if (names && missing) {
      const values = await this.kv.mget(names);
      if (this.mirror.size > 10_000) this.mirror.clear();
      for (let j = 0; j < missing.length; j++) {
        const o = values[2 * j];
        const f = values[2 * j + 1];
        out[missing[j]] = { o, f, fresh: true };
        if (this.mirrorMs > 0) this.mirror.set(channelIds[missing[j]], { at: now, o, f });
      }
    }
    return out;
  }

  /** What this process read of a channel's circuit, while younger than `mirrorMs`. */
  private mirrored(id: string, now: number): { o: string | null; f: string | null } | undefined {
    const m = this.mirror.get(id);
    return m && now - m.at < this.mirrorMs ? m : undefined;
  }

  async onSuccess(id: string, admitted: Admitted): Promise<void> {
    if (admitted.probes.has(id)) {
      await this.kv.del([k(id, 'o'), k(id, 'p'), k(id, 'f'), k(id, 't')]);
      this.mirror.delete(id);
      this.onEvent(id, 'circuit_closed', 'probe request succeeded');
    } else if ((admitted.failures.get(id) ?? 0) > 0) {
      await this.kv.del([k(id, 'f')]);
      this.mirror.delete(id);
    }
    const window = Math.floor(this.clock() / this.policy.windowMs);
    const pending = this.successes.get(id);
    if (pending && pending.window === window) pending.n++;
    else {
      if (pending) await this.flushSuccesses(id);
      this.successes.set(id, { id, window, n: 1 });
    }
    if (!this.flushTimer) {
      this.flushTimer = setTimeout(() => void this.flushSuccesses().catch(() => undefined), SUCCESS_FLUSH_MS);
      this.flushTimer.unref();
    }
  }

  private keyNames(id: string): { o: string; f: string } {
    let key = this.keys.get(id);
    if (!key) {
      key = { o: k(id, 'o'), f: k(id, 'f') };
      if (this.keys.size > 10_000) this.keys.clear();
      this.keys.set(id, key);
    }
    return key;
  }

  /** Adds the successes counted here to the shared windows (all channels', or one's). */
  async flushSuccesses(only?: string): Promise<void> {
    if (only === undefined && this.flushTimer) {
      clearTimeout(this.flushTimer);
      this.flushTimer = null;
    }
    const batch = only === undefined ? [...this.successes.values()] : [this.successes.get(only)].filter((p) => p !== undefined);
    for (const p of batch) this.successes.delete(p.id);
    for (const p of batch) await this.kv.incr([k(p.id, `n${p.window}`)], this.policy.windowMs * 2, p.n);
  }

  /** Records a failure that is the channel's fault; returns true when this opened the circuit. */
  async onFailure(id: string, admitted: Admitted | null, reason: string): Promise<boolean> {
    const now = this.clock();
    this.mirror.delete(id);
    if (admitted?.probes.has(id)) {
      await this.open(id, now, `probe failed: ${reason}`, true);
      return true;
    }
    const [fails] = await this.kv.incr([k(id, 'f')], this.policy.windowMs * 10);
    this.mirror.delete(id);
    await this.flushSuccesses(id);
    const rate = await this.countWindow(id);
    if (fails >= this.policy.failureThreshold) return this.open(id, now, `${fails} failures in a row (last: ${reason})`, false);
    if (rate) return this.open(id, now, `error rate ${Math.round(rate.rate * 100)}% over ${rate.total} requests (last: ${reason})`, false);
    return false;
  }

  /** Opens at once (e.g. the provider refused the channel's key); a failed probe re-opens. */
  async trip(id: string, reason: string, admitted: Admitted | null = null): Promise<boolean> {
    return this.open(id, this.clock(), reason, admitted?.probes.has(id) ?? false);
  }

  /** Takes the single-probe lock of a circuit whose cool-down is over (for the background probe). */
  async tryProbe(id: string): Promise<boolean> {
    const o = await this.kv.get(k(id, 'o'));
    if (o === null || this.clock() < Number(o)) return false;
    return this.kv.setIfAbsent(k(id, 'p'), String(this.clock()), this.policy.cooldownMs + LOCK_SLACK_MS);
  }

  /** Gives back the probe `tryProbe` granted, untried (the gateway could not make it). */
  async releaseProbe(id: string): Promise<void> {
    await this.kv.del([k(id, 'p')]);
  }

  async view(id: string): Promise<CircuitView> {
    const [o, f, t] = await this.kv.mget([k(id, 'o'), k(id, 'f'), k(id, 't')]);
    const openUntil = o === null ? null : Number(o);
    const state: CircuitState = openUntil === null ? 'closed' : this.clock() < openUntil ? 'open' : 'half_open';
    return { state, consecutiveFailures: Number(f ?? 0), openUntil, trips: Number(t ?? 0) };
  }

  async trips(id: string): Promise<number> {
    return Number((await this.kv.get(k(id, 't'))) ?? 0);
  }

  /** Closes the circuit (an admin re-enabled the channel, or a background probe passed). */
  async reset(id: string): Promise<void> {
    await this.kv.del([k(id, 'o'), k(id, 'p'), k(id, 'f'), k(id, 't')]);
    this.mirror.delete(id);
  }

  private async open(id: string, now: number, reason: string, reopen: boolean): Promise<boolean> {
    this.mirror.delete(id);
    const until = now + this.policy.cooldownMs;
    const ttl = this.policy.cooldownMs + 24 * 3600_000;
    // The first process to open it records the event; a probe's failure always re-opens.
    const first = reopen ? (await this.kv.set(k(id, 'o'), String(until), ttl), true) : await this.kv.setIfAbsent(k(id, 'o'), String(until), ttl);
    // Again once written: a call may have mirrored the store while the write was on its way.
    this.mirror.delete(id);
    if (!first) return false;
    await this.kv.del([k(id, 'p'), k(id, 'f')]);
    await this.kv.incr([k(id, 't')], ttl);
    this.onEvent(id, 'circuit_open', reason);
    return true;
  }

  /** Counts a failure in the fixed error-rate window; returns the rate when it crosses the policy's threshold. */
  private async countWindow(id: string): Promise<{ rate: number; total: number } | null> {
    const w = Math.floor(this.clock() / this.policy.windowMs);
    const [total, errors] = await this.kv.incr([k(id, `n${w}`), k(id, `e${w}`)], this.policy.windowMs * 2);
    if (total < this.policy.minRequests) return null;
    const rate = errors / total;
    return rate >= this.policy.errorRate ? { rate, total } : null;
  }
}

/** How long a process decides on what it last read of a circuit before reading it again (see `mirror`). */
const MIRROR_MS = 250;

/** How long a success may wait before the shared error-rate window hears of it. */
const SUCCESS_FLUSH_MS = 250;

function k(id: string, part: string): string {
  return `cb:${id}:${part}`;
}
