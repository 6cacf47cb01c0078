import { newId } from '../core/ids.js';
import type { Logger } from '../core/logger.js';
import type { Hold, RequestLogRow } from '../batch/types.js';
import type { BatchParticipant } from '../relay/request-log.js';
import type { CommitEntry, SharedState } from '../state/shared-state.js';
import type { Db, InsertMany } from '../storage/database.js';
import { keyPool, userPool, watchLowBalance } from './ledger.js';

/**
 * The charges of calls settled in shared state and waiting for their batch. Each batch carries the
 * holds of its rows to wherever it is committed (`writeCharges`, usually in the log-writer thread);
 * once it is committed, shared state learns the new committed values and drops the holds in one
 * atomic step; if it could not be written, the holds are released, since nothing was charged.
 */
export class ChargeWriter implements BatchParticipant {
  private readonly pending = new Map<string, Hold>();
  private readonly preparing = new Set<Promise<unknown>>();

  constructor(
    private readonly state: SharedState,
    private readonly log: Logger,
  ) {}

  /** Registers the money shared state holds for a log row about to be pushed. */
  hold(requestId: string, pools: string[], amount: number): void {
    if (amount > 0) this.pending.set(requestId, { requestId, pools, amount });
  }

  /** Tracks a settlement in progress, so `flush()` waits for its row. */
  track<T>(p: Promise<T>): Promise<T> {
    this.preparing.add(p);
    void p.finally(() => this.preparing.delete(p)).catch(() => undefined);
    return p;
  }

  async drain(): Promise<void> {
    while (this.preparing.size) await Promise.allSettled([...this.preparing]);
  }

  holds(rows: readonly RequestLogRow[]): Hold[] {
    const out: Hold[] = [];
    for (const r of rows) {
      const h = r.cost > 0 ? this.pending.get(r.id) : undefined;
      if (h) out.push(h);
    }
    return out;
  }

  async committed(rows: readonly RequestLogRow[], entries: CommitEntry[]): Promise<void> {
    for (const r of rows) this.pending.delete(r.id);
    if (entries.length) await this.state.commit(entries);
  }

  async failed(rows: readonly RequestLogRow[]): Promise<void> {
    // The charges were never recorded, so they are not owed: release what shared state held for them.
    const release = new Map<string, number>();
    for (const r of rows) {
      const p = this.pending.get(r.id);
      if (!p) continue;
      this.pending.delete(r.id);
      for (const pool of p.pools) release.set(pool, (release.get(pool) ?? 0) + p.amount);
    }
    this.log.error(`billing: ${release.size ? 'released holds of' : 'no holds for'} ${rows.length} unwritten log rows`);
    await this.state.commit([...release].map(([pool, amount]) => ({ pool, amount, balance: 0, version: -1 })));
  }
}

/**
 * Writes a batch's charges inside its transaction: one balance update per user and one `spent`
 * update per key, a ledger row per charged call, the low-balance notice when one is crossed.
 * Returns what shared state must learn after the commit: each pool's new committed value and the
 * money that was held for these charges.
 */
export async function writeCharges(trx: Db, insertMany: InsertMany, rows: readonly RequestLogRow[], holds: readonly Hold[]): Promise<CommitEntry[]> {
  const charged = rows.filter((r) => r.cost > 0);
  if (charged.length === 0) return [];
  const byId = new Map(holds.map((h) => [h.requestId, h]));
  const heldFor = (list: RequestLogRow[], pool: string) => {
    let n = 0;
    for (const r of list) {
      const h = byId.get(r.id);
      if (h && h.pools.includes(pool)) n += h.amount;
    }
    return n;
  };
  const byUser = groupBy(charged, (r) => r.user_id);
  const byKey = groupBy(
    charged.filter((r) => r.key_id),
    (r) => r.key_id!,
  );
  const entries: CommitEntry[] = [];
  const now = Date.now();
  // Sorted, so two writers' batches lock rows in the same order and cannot deadlock each other.
  for (const userId of [...byUser.keys()].sort()) {
    const list = byUser.get(userId)!;
    const total = sum(list);
    const acc = await trx
      .updateTable('accounts')
      .set((eb) => ({ balance: eb('balance', '-', total), version: eb('version', '+', 1) }))
      .where('user_id', '=', userId)
      .returning(['balance', 'version', 'low_balance_threshold', 'low_balance_notified'])
      .executeTakeFirst();
    if (!acc) {
      // No account means nothing could have been reserved; such a row is logged as free.
      const held = heldFor(list, userPool(userId));
      for (const r of list) r.cost = 0;
      if (held) entries.push({ pool: userPool(userId), amount: held, balance: 0, version: -1 });
      continue;
    }
    const balance = Number(acc.balance);
    let running = balance + total;
    await insertMany(
      trx,
      'ledger',
      list.map((r) => {
        running -= r.cost;
        return { id: newId('led'), user_id: userId, created_at: now, kind: 'charge' as const, amount: -r.cost, balance_after: running, reason: r.model_requested, request_id: r.id };
      }),
    );
    await watchLowBalance(trx, userId, balance, acc.low_balance_threshold === null ? null : Number(acc.low_balance_threshold), Number(acc.low_balance_notified));
    entries.push({ pool: userPool(userId), amount: heldFor(list, userPool(userId)), balance, version: Number(acc.version) });
  }
  for (const keyId of [...byKey.keys()].sort()) {
    const list = byKey.get(keyId)!.filter((r) => r.cost > 0);
    if (list.length === 0) continue;
    const k = await trx
      .updateTable('api_keys')
      .set((eb) => ({ spent: eb('spent', '+', sum(list)), billing_version: eb('billing_version', '+', 1) }))
      .where('id', '=', keyId)
      .returning(['credit_limit', 'spent', 'billing_version'])
      .executeTakeFirst();
    const pool = keyPool(keyId);
    const held = heldFor(list, pool);
    if (k && k.credit_limit !== null) entries.push({ pool, amount: held, balance: Number(k.credit_limit) - Number(k.spent), version: Number(k.billing_version) });
    else if (held) entries.push({ pool, amount: held, balance: 0, version: -1 }); // limit removed meanwhile: only release
  }
  return entries;
}

function groupBy<T>(items: T[], key: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const it of items) {
    const k = key(it);
    const list = m.get(k);
    if (list) list.push(it);
    else m.set(k, [it]);
  }
  return m;
}

function sum(rows: RequestLogRow[]): number {
  return rows.reduce((n, r) => n + r.cost, 0);
}
