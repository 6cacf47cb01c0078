import { newId } from '../core/ids.js';
import type { Logger } from '../core/logger.js';
import type { BatchParticipant, RequestLogRow } from '../relay/request-log.js';
import type { CommitEntry, SharedState } from '../state/shared-state.js';
import { kyselyInsertMany, type Db, type InsertMany } from '../storage/database.js';
import { keyPool, userPool, watchLowBalance } from './ledger.js';

/** A charge settled in shared state and waiting for its batch: which pools hold its money. */
interface PendingCharge {
  pools: string[];
  amount: number;
}

/**
 * Writes charges in the request log's batch transaction: for each batch, one balance update per
 * user and one `spent` update per key, a ledger row per charged call, the low-balance notice when
 * one is crossed. After the commit, shared state learns the new committed values and drops the
 * holds, in one atomic step. So at every commit: no charge without its log row, no log row with a
 * cost without its charge, and balance == sum(ledger).
 */
export class ChargeWriter implements BatchParticipant {
  private readonly pending = new Map<string, PendingCharge>();
  private readonly preparing = new Set<Promise<unknown>>();

  constructor(
    private readonly state: SharedState,
    private readonly log: Logger,
    private readonly insertMany: InsertMany = kyselyInsertMany,
  ) {}

  /** Registers the money shared state holds for a log row about to be pushed. */
  hold(requestId: string, pools: string[], amount: number): void {
    if (amount > 0) this.pending.set(requestId, { pools, amount });
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

  async write(trx: Db, rows: RequestLogRow[]): Promise<() => Promise<void>> {
    const charged = rows.filter((r) => r.cost > 0);
    if (charged.length === 0) return async () => {};
    const byUser = groupBy(charged, (r) => r.user_id);
    const byKey = groupBy(
      charged.filter((r) => r.key_id),
      (r) => r.key_id!,
    );
    const entries: CommitEntry[] = [];
    const now = Date.now();
    // Sorted, so two processes' batches lock rows in the same order and cannot deadlock each other.
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
        const held = this.heldFor(list, userPool(userId));
        for (const r of list) r.cost = 0;
        if (held) entries.push({ pool: userPool(userId), amount: held, balance: 0, version: -1 });
        continue;
      }
      const balance = Number(acc.balance);
      let running = balance + total;
      await this.insertMany(
        trx,
        'ledger',
        list.map((r) => {
          running -= r.cost;
          return { id: newId('led'), user_id: userId, created_at: now, kind: 'charge' as const, amount: -r.cost, balance_after: running, reason: r.model_requested, request_id: r.id };
        }),
      );
      await watchLowBalance(trx, userId, balance, acc.low_balance_threshold === null ? null : Number(acc.low_balance_threshold), Number(acc.low_balance_notified));
      entries.push({ pool: userPool(userId), amount: this.heldFor(list, userPool(userId)), balance, version: Number(acc.version) });
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
      const held = this.heldFor(list, pool);
      if (k && k.credit_limit !== null) entries.push({ pool, amount: held, balance: Number(k.credit_limit) - Number(k.spent), version: Number(k.billing_version) });
      else if (held) entries.push({ pool, amount: held, balance: 0, version: -1 }); // limit removed meanwhile: only release
    }
    return async () => {
      for (const r of charged) this.pending.delete(r.id);
      await this.state.commit(entries);
    };
  }

  async failed(rows: RequestLogRow[]): Promise<void> {
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

  private heldFor(rows: RequestLogRow[], pool: string): number {
    let n = 0;
    for (const r of rows) {
      const p = this.pending.get(r.id);
      if (p && p.pools.includes(pool)) n += p.amount;
    }
    return n;
  }
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
