import { PostgresAdapter, sql } from 'kysely';
import type { Db } from '../storage/database.js';

/** A user's account after a batch's debit. */
export interface Debited {
  balance: number;
  version: number;
  threshold: number | null;
  notified: number;
}

/** What a batch does to one key: its charged calls' total (0: none charged) and its last call's time. */
export interface KeyUse {
  spent: number;
  lastUsedAt: number;
}

/** A key after the batch: what its pool's committed value is made of (when it has a credit limit). */
export interface KeyAfter {
  creditLimit: number | null;
  spent: number;
  billingVersion: number;
}

/**
 * The batch's writes to accounts and keys, row-locking in one order. Both take their items sorted by
 * id (none: nothing is asked of the database) and answer only for rows that exist. Balances and key
 * spending are ignored columns for the caches (storage/change-counters.ts), so these updates do not
 * invalidate them; they are Kysely update queries so that PostgreSQL's change tracking can see which
 * columns they set.
 */
export interface BatchAccountWrites {
  /** Debits each user's account by its total (positive, micro-points). */
  debit(trx: Db, totals: readonly (readonly [userId: string, total: number])[]): Promise<Map<string, Debited>>;
  /**
   * Adds each key's spending (bumping its billing version when it spent) and moves its last use
   * forward (never back: another process's batch of earlier calls may commit after this one).
   */
  touchKeys(trx: Db, uses: readonly (readonly [keyId: string, use: KeyUse])[]): Promise<Map<string, KeyAfter>>;
}

export function batchAccountWrites(trx: Db): BatchAccountWrites {
  return trx.getExecutor().adapter instanceof PostgresAdapter ? POSTGRES : SQLITE;
}

/**
 * SQLite: one statement per user and per key. They run in the same process (the writer thread), so
 * there is no round trip to save, and a write transaction holds the whole database: no lock order.
 */
const SQLITE: BatchAccountWrites = {
  async debit(trx, totals) {
    const out = new Map<string, Debited>();
    for (const [userId, total] of totals) {
      const acc = await trx
        .updateTable('accounts')
        .set((eb) => ({ balance: eb('balance', '-', total), version: eb('version', '+', 1) }))
        .where('user_id', '=', userId)
        .returning(['balance', 'version', 'low_balance_threshold', 'low_balance_notified'])
        .executeTakeFirst();
      if (acc) out.set(userId, debited(acc));
    }
    return out;
  },
  async touchKeys(trx, uses) {
    const out = new Map<string, KeyAfter>();
    for (const [keyId, use] of uses) {
      const k = await trx
        .updateTable('api_keys')
        .set((eb) => ({ last_used_at: sql`max(coalesce(last_used_at, 0), ${use.lastUsedAt})`, spent: eb('spent', '+', use.spent), billing_version: eb('billing_version', '+', use.spent > 0 ? 1 : 0) }))
        .where('id', '=', keyId)
        .returning(['credit_limit', 'spent', 'billing_version'])
        .executeTakeFirst();
      if (k) out.set(keyId, keyAfter(k));
    }
    return out;
  },
};

/**
 * PostgreSQL: a batch carries calls of many users (2,000 users calling at once in
 * bench/writer-cache.js), and a statement per user was a round trip each on the event loop. Here each
 * table takes at most two statements whatever the batch's size: a `select … order by … for update` that locks
 * the rows in id order — so two gateways' batches over the same users or keys take their locks in the
 * same order and cannot deadlock (an `update … from` locks in whatever order its join yields) — then
 * one `update … from unnest(…)` with the values as arrays (ids and integers: nothing to escape).
 */
const POSTGRES: BatchAccountWrites = {
  async debit(trx, totals) {
    if (totals.length === 0) return new Map();
    const ids = totals.map(([id]) => id);
    await lockInOrder(trx, 'accounts', 'user_id', ids);
    const rows = await trx
      .updateTable('accounts')
      .from(sql`unnest(${ids}::text[], ${totals.map(([, t]) => t)}::bigint[])`.as(sql`d(user_id, total)`) as never)
      .set({ balance: sql`accounts.balance - d.total`, version: sql`accounts.version + 1` })
      .where(sql<boolean>`accounts.user_id = d.user_id`)
      .returning(['accounts.user_id', 'accounts.balance', 'accounts.version', 'accounts.low_balance_threshold', 'accounts.low_balance_notified'])
      .execute();
    return new Map(rows.map((r) => [r.user_id, debited(r)]));
  },
  async touchKeys(trx, uses) {
    if (uses.length === 0) return new Map();
    const ids = uses.map(([id]) => id);
    await lockInOrder(trx, 'api_keys', 'id', ids);
    const spent = uses.map(([, u]) => u.spent);
    const rows = await trx
      .updateTable('api_keys')
      .from(sql`unnest(${ids}::text[], ${spent}::bigint[], ${uses.map(([, u]) => u.lastUsedAt)}::bigint[])`.as(sql`d(id, spent, last_used_at)`) as never)
      .set({
        last_used_at: sql`greatest(api_keys.last_used_at, d.last_used_at)`,
        spent: sql`api_keys.spent + d.spent`,
        billing_version: sql`api_keys.billing_version + (case when d.spent > 0 then 1 else 0 end)`,
      })
      .where(sql<boolean>`api_keys.id = d.id`)
      .returning(['api_keys.id', 'api_keys.credit_limit', 'api_keys.spent', 'api_keys.billing_version'])
      .execute();
    return new Map(rows.map((r) => [r.id, keyAfter(r)]));
  },
};

async function lockInOrder(trx: Db, table: 'accounts' | 'api_keys', column: 'user_id' | 'id', ids: string[]): Promise<void> {
  // One row has no order to keep: the update locks it (the usual batch: one user's calls, one key).
  if (ids.length < 2) return;
  // Identifiers are the literals above, never a caller's.
  await sql`select 1 from ${sql.table(table)} where ${sql.ref(column)} = any(${ids}::text[]) order by ${sql.ref(column)} for update`.execute(trx);
}

function debited(r: { balance: unknown; version: unknown; low_balance_threshold: unknown; low_balance_notified: unknown }): Debited {
  return { balance: Number(r.balance), version: Number(r.version), threshold: r.low_balance_threshold === null ? null : Number(r.low_balance_threshold), notified: Number(r.low_balance_notified) };
}

function keyAfter(r: { credit_limit: unknown; spent: unknown; billing_version: unknown }): KeyAfter {
  return { creditLimit: r.credit_limit === null ? null : Number(r.credit_limit), spent: Number(r.spent), billingVersion: Number(r.billing_version) };
}
