import {
  DEFAULT_BALANCE_TTL_MS,
  windowStart,
  type AcquireResult,
  type CommitEntry,
  type HitResult,
  type OwnerHolds,
  type Reaped,
  type ReserveResult,
  type SharedState,
  type SlotHit,
  type WindowHit,
} from './shared-state.js';

interface Pool {
  bal: number | null;
  balExpires: number;
  version: number;
  held: number;
}

/**
 * Single-process shared state. Each method runs to completion without awaiting, so on one event
 * loop it is as atomic as the Redis scripts are across processes.
 */
export class MemoryState implements SharedState {
  /** One process: its holds die with it, so there is no lease to keep and nothing to reap. */
  readonly owner = 'local';
  /** Memory is never lost under a running process. */
  readonly restored = { holds: 0, slots: 0 };
  private readonly pools = new Map<string, Pool>();
  /** Hold id → its amount and pools. */
  private readonly holds = new Map<string, { amount: number; pools: readonly string[] }>();
  private readonly windows = new Map<string, { start: number; used: number }>();
  /** Concurrency slots: counter → token → expiry. */
  private readonly slots = new Map<string, Map<string, number>>();

  constructor(
    private readonly balanceTtlMs = DEFAULT_BALANCE_TTL_MS,
    private readonly clock: () => number = Date.now,
  ) {}

  async reserve(pools: readonly string[], amount: number, holdId: string): Promise<ReserveResult> {
    if (this.holds.has(holdId)) return { ok: true };
    for (const id of pools) {
      const bal = this.balance(id);
      if (bal === null) return { ok: false, reason: 'missing', pool: id };
      const available = bal - this.pool(id).held;
      if (available < amount) return { ok: false, reason: 'insufficient', pool: id, available };
    }
    for (const id of pools) this.pool(id).held += amount;
    this.holds.set(holdId, { amount, pools: [...pools] });
    return { ok: true };
  }

  async settle(pools: readonly string[], reserved: number, actual: number, holdId: string): Promise<number> {
    const hold = this.holds.get(holdId);
    if (!hold) return Math.min(actual, reserved);
    const cur = hold.amount;
    let grant = actual;
    if (actual > cur) {
      let extra = actual - cur;
      for (const id of pools) {
        const bal = this.balance(id);
        const room = bal === null ? 0 : bal - this.pool(id).held;
        extra = Math.min(extra, Math.max(room, 0));
      }
      grant = cur + extra;
    }
    for (const id of pools) this.pool(id).held += grant - cur;
    if (grant === 0) this.holds.delete(holdId);
    else hold.amount = grant;
    return grant;
  }

  async commit(entries: readonly CommitEntry[], dropped: readonly string[]): Promise<void> {
    for (const id of dropped) {
      const hold = this.holds.get(id);
      if (!hold) continue;
      this.holds.delete(id);
      for (const p of hold.pools) this.pool(p).held -= hold.amount;
    }
    for (const e of entries) this.set(this.pool(e.pool), e.balance, e.version, false);
  }

  async heartbeat(): Promise<void> {}

  async reapDead(): Promise<Reaped> {
    return { owners: 0, holds: 0, amount: 0 };
  }

  async owners(): Promise<OwnerHolds[]> {
    const pools: Record<string, number> = {};
    for (const h of this.holds.values()) for (const p of h.pools) pools[p] = (pools[p] ?? 0) + h.amount;
    return [{ owner: this.owner, live: true, holds: this.holds.size, pools }];
  }

  async syncBalance(pool: string, balance: number, version: number): Promise<void> {
    this.set(this.pool(pool), balance, version, true);
  }

  async available(pool: string): Promise<number | null> {
    const bal = this.balance(pool);
    return bal === null ? null : bal - this.pool(pool).held;
  }

  async hit(counters: readonly WindowHit[], windowMs: number, now = this.clock()): Promise<HitResult> {
    const start = windowStart(now, windowMs);
    const resetMs = start + windowMs - now;
    const current = counters.map((c) => {
      const w = this.windows.get(c.counter);
      return w && w.start === start ? w.used : 0;
    });
    for (let i = 0; i < counters.length; i++) {
      if (current[i] + counters[i].cost > counters[i].limit) return { ok: false, refused: counters[i].counter, used: current, resetMs };
    }
    const used = counters.map((c, i) => {
      this.windows.set(c.counter, { start, used: current[i] + c.cost });
      return current[i] + c.cost;
    });
    return { ok: true, used, resetMs };
  }

  async adjust(counter: string, delta: number, windowMs: number, now = this.clock()): Promise<void> {
    const w = this.windows.get(counter);
    if (w && w.start === windowStart(now, windowMs)) w.used = Math.max(0, w.used + delta);
  }

  async acquire(slots: readonly SlotHit[], token: string, ttlMs: number, now = this.clock()): Promise<AcquireResult> {
    const live = slots.map((s) => {
      const held = this.slots.get(s.counter);
      if (held) for (const [t, expires] of held) if (expires <= now) held.delete(t);
      return held?.size ?? 0;
    });
    for (let i = 0; i < slots.length; i++) if (live[i] + 1 > slots[i].limit) return { ok: false, refused: slots[i].counter, used: live };
    for (const s of slots) {
      let held = this.slots.get(s.counter);
      if (!held) this.slots.set(s.counter, (held = new Map()));
      held.set(token, now + ttlMs);
    }
    return { ok: true, used: live.map((n) => n + 1) };
  }

  async release(counters: readonly string[], token: string): Promise<void> {
    for (const c of counters) {
      const held = this.slots.get(c);
      if (!held) continue;
      held.delete(token);
      if (held.size === 0) this.slots.delete(c);
    }
  }

  async close(): Promise<void> {
    this.pools.clear();
    this.holds.clear();
    this.windows.clear();
    this.slots.clear();
  }

  private pool(id: string): Pool {
    let p = this.pools.get(id);
    if (!p) this.pools.set(id, (p = { bal: null, balExpires: 0, version: -1, held: 0 }));
    return p;
  }

  private balance(id: string): number | null {
    const p = this.pools.get(id);
    if (!p || p.bal === null) return null;
    if (p.balExpires <= this.clock()) {
      p.bal = null; // the version stays, so an older value still cannot come back
      return null;
    }
    return p.bal;
  }

  /** Same rule as the Redis script: never go back to an older version; a load (re)starts the TTL. */
  private set(p: Pool, balance: number, version: number, isLoad: boolean): void {
    if (version < 0) return; // a release only: no committed value to store
    const missing = p.bal === null || p.balExpires <= this.clock();
    if (version > p.version || (missing && version === p.version)) {
      p.version = version;
      p.bal = balance;
      if (missing || isLoad) p.balExpires = this.clock() + this.balanceTtlMs;
    }
  }
}
