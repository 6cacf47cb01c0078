/**
 * Fast state that several gateway processes must agree on: credit reservations and rate-limit
 * windows. Two implementations with the same meaning: in-process memory (one node) and Redis
 * (several nodes; every operation is one atomic Lua script).
 *
 * Credit model. A *pool* is something money is counted against: a user's balance (`u:<id>`) or a
 * key's credit limit (`k:<id>`). For each pool the state keeps
 *   - `bal`: a cached copy of the committed database value with its version, and
 *   - `held`: money reserved by calls in flight plus charges settled but not yet committed.
 * Available = bal − held. `held` only drops *after* the database commit that moved `bal`, and both
 * move in one atomic step, so available is never over-stated: concurrent calls cannot overspend.
 * `bal` carries a version and is only ever replaced by a newer one, so a slow, stale read of the
 * database can never undo a committed charge. It also expires (`balanceTtlMs`), so a change made
 * out of band (the CLI in another process) is picked up within that time.
 *
 * Holds. Each call's hold is recorded under its id and under the process that made it (`owner`), so
 * every step is idempotent (a retried settle or commit moves nothing twice) and a dead process's
 * holds can be found. Each process keeps a lease (`heartbeat()`); `reapDead()` releases the holds of
 * owners whose lease lapsed, so credit is never locked by a process that is gone.
 */
export interface SharedState {
  /** This process's name in the shared state: its holds and its lease are filed under it. */
  readonly owner: string;
  /**
   * Holds and concurrency slots of this process's calls in flight that it filed again after finding
   * its lease gone (Redis lost its data, or took the process for dead): `/metrics` counts them.
   */
  readonly restored: { holds: number; slots: number };
  /** Connections to Redis found stranded and made anew since the start (state/connect.ts `watchForSilence`; Redis only). */
  readonly strandedConnections?: number;
  /**
   * Adds `amount` to `held` of every pool if each has at least that much available; all or nothing.
   * The hold is filed under `holdId` (a call's request id); reserving the same id again is a no-op.
   */
  reserve(pools: readonly string[], amount: number, holdId: string): Promise<ReserveResult>;
  /**
   * Turns a hold into a pending charge: `held` moves by (charge − held). A hold's first settlement at
   * or below the `reserved` it was made with is granted in full (billing/policy.ts, which settles each
   * hold once, relies on it and does not wait for the answer then).
   * A charge above the hold is granted only as far as every pool can cover it; returns the charge
   * granted. A hold that is gone (its owner was taken for dead) grants at most `reserved` and holds
   * nothing.
   */
  settle(pools: readonly string[], reserved: number, actual: number, holdId: string): Promise<number>;
  /**
   * After the database committed charges: each entry's `bal` takes the committed value, and the
   * holds named in `dropped` are released. Idempotent: a hold already released moves nothing.
   */
  commit(entries: readonly CommitEntry[], dropped: readonly string[]): Promise<void>;
  /** Stores a pool's committed value (after a top-up, or when loading a missing pool). */
  syncBalance(pool: string, balance: number, version: number): Promise<void>;
  /** Available money in a pool (bal − held), or null when the pool is not loaded. */
  available(pool: string): Promise<number | null>;
  /**
   * Fixed one-minute-style windows: adds `cost` to every counter if all stay within their limits,
   * else changes nothing and says which one refused.
   */
  hit(counters: readonly WindowHit[], windowMs: number, now?: number): Promise<HitResult>;
  /** Corrects a counter of the current window (tokens counted at admission vs tokens used). */
  adjust(counter: string, delta: number, windowMs: number, now?: number): Promise<void>;
  /**
   * Concurrency slots: takes one slot (named `token`) in every counter if each holds fewer live slots
   * than its limit, else changes nothing and says which one refused. A slot lives until released or
   * for `ttlMs` (so a crashed process's slots free themselves).
   */
  acquire(slots: readonly SlotHit[], token: string, ttlMs: number, now?: number): Promise<AcquireResult>;
  /** Frees the slot `token` in every counter. */
  release(counters: readonly string[], token: string): Promise<void>;
  /** Renews this process's lease; a process whose lease lapses is taken for dead. */
  heartbeat(): Promise<void>;
  /** Releases every hold of every owner whose lease lapsed; says how much was freed. */
  reapDead(): Promise<Reaped>;
  /** The holds of each owner and whether its lease is live (for `apigpt billing check`). */
  owners(): Promise<OwnerHolds[]>;
  close(): Promise<void>;
}

export type ReserveResult = { ok: true } | { ok: false; reason: 'missing'; pool: string } | { ok: false; reason: 'insufficient'; pool: string; available: number };

export interface CommitEntry {
  pool: string;
  /** The pool's value and version right after the commit. */
  balance: number;
  version: number;
}

export interface Reaped {
  owners: number;
  holds: number;
  /** Micro-points released (summed over pools). */
  amount: number;
}

export interface OwnerHolds {
  owner: string;
  live: boolean;
  holds: number;
  /** Micro-points held per pool. */
  pools: Record<string, number>;
}

export interface WindowHit {
  counter: string;
  limit: number;
  cost: number;
}

export interface SlotHit {
  counter: string;
  limit: number;
}

export interface AcquireResult {
  ok: boolean;
  /** The refusing counter (when !ok). */
  refused?: string;
  /** Live slots of each counter after the call (or as they stood when refused), in input order. */
  used: number[];
}

export interface HitResult {
  ok: boolean;
  /** The refusing counter (when !ok). */
  refused?: string;
  /** Usage of each counter after the call (or as it stood when refused), in input order. */
  used: number[];
  /** Milliseconds until the current window ends. */
  resetMs: number;
}

/** Start of the window containing `now`. */
export function windowStart(now: number, windowMs: number): number {
  return now - (now % windowMs);
}

export const DEFAULT_BALANCE_TTL_MS = 60_000;
/** A process that has not renewed its lease for this long is taken for dead and its holds released. */
export const DEFAULT_LEASE_MS = 15_000;
