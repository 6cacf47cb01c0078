import type { SharedState, ReserveResult } from '../state/shared-state.js';
import type { Db } from '../storage/database.js';

/**
 * Credit pools in shared state, loaded from the database when shared state does not have them
 * (first use, or after the cached copy expired). Loads are versioned, so a slow one cannot win
 * over a newer value another process already stored.
 */
export class Pools {
  constructor(
    private readonly db: Db,
    private readonly state: SharedState,
  ) {}

  async reserve(pools: string[], amount: number, holdId: string): Promise<ReserveResult> {
    for (let attempt = 0; ; attempt++) {
      const res = await this.state.reserve(pools, amount, holdId);
      if (res.ok || res.reason !== 'missing' || attempt >= 3) return res;
      await this.load(res.pool);
    }
  }

  /**
   * Holds as much of `want` as the pool has available, all of it when it can (0 when it has
   * nothing): money taken back from an account (a refund, a reward reclaimed) never takes a balance
   * below zero nor money calls in flight hold. Returns the amount held under `holdId`.
   */
  async reserveUpTo(pool: string, want: number, holdId: string): Promise<number> {
    if (want <= 0) return 0;
    if ((await this.reserve([pool], want, holdId)).ok) return want;
    const take = Math.min(want, Math.max(0, (await this.state.available(pool)) ?? 0));
    return take > 0 && (await this.reserve([pool], take, holdId)).ok ? take : 0;
  }

  /** Reads the pool's committed value and stores it in shared state. */
  async load(pool: string): Promise<void> {
    const [kind, id] = [pool.slice(0, 1), pool.slice(2)];
    if (kind === 'u') {
      const acc = await this.db.selectFrom('accounts').select(['balance', 'version']).where('user_id', '=', id).executeTakeFirst();
      await this.state.syncBalance(pool, acc ? Number(acc.balance) : 0, acc ? Number(acc.version) : 0);
    } else {
      const key = await this.db.selectFrom('api_keys').select(['credit_limit', 'spent', 'billing_version']).where('id', '=', id).executeTakeFirst();
      // A key whose limit was removed has no pool; an unlimited amount stands in for the rare race.
      const value = key && key.credit_limit !== null ? Number(key.credit_limit) - Number(key.spent) : Number.MAX_SAFE_INTEGER;
      await this.state.syncBalance(pool, value, key ? Number(key.billing_version) : 0);
    }
  }
}
