import { GatewayError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import type { Db } from '../storage/database.js';
import type { LedgerKind } from '../storage/schema.js';
import { formatPoints } from './money.js';

/** A pool's committed value: what shared state is told after each balance change. */
export interface Committed {
  balance: number;
  version: number;
}

export const userPool = (userId: string) => `u:${userId}`;
export const keyPool = (keyId: string) => `k:${keyId}`;

/** Creates the user's account when it does not exist yet (users made before billing, the root admin). */
export async function ensureAccount(trx: Db, userId: string, lowBalanceThreshold: number | null = null): Promise<void> {
  await trx
    .insertInto('accounts')
    .values({ user_id: userId, balance: 0, version: 0, low_balance_threshold: lowBalanceThreshold, low_balance_notified: 0, rpm: null, tpm: null })
    .onConflict((oc) => oc.column('user_id').doNothing())
    .execute();
}

export interface BalanceChange {
  userId: string;
  /** Signed micro-points. */
  amount: number;
  kind: LedgerKind;
  reason?: string | null;
  requestId?: string | null;
}

/**
 * Moves a balance and appends its ledger row, inside the caller's transaction, so the two can never
 * disagree. A debit that would take the balance below zero changes nothing and is refused.
 */
export async function changeBalance(trx: Db, c: BalanceChange): Promise<Committed> {
  if (!Number.isSafeInteger(c.amount)) throw new GatewayError('invalid_request', 'The amount is not a whole number of micro-points.', { param: 'amount' });
  await ensureAccount(trx, c.userId);
  let q = trx
    .updateTable('accounts')
    .set((eb) => ({ balance: eb('balance', '+', c.amount), version: eb('version', '+', 1) }))
    .where('user_id', '=', c.userId);
  if (c.amount < 0) q = q.where('balance', '>=', -c.amount);
  const row = await q.returning(['balance', 'version', 'low_balance_threshold', 'low_balance_notified']).executeTakeFirst();
  if (!row) {
    const cur = await trx.selectFrom('accounts').select('balance').where('user_id', '=', c.userId).executeTakeFirstOrThrow();
    throw new GatewayError('insufficient_quota', `The balance (${formatPoints(Number(cur.balance))}) is smaller than the deduction (${formatPoints(-c.amount)}).`, { code: 'insufficient_balance' });
  }
  const balance = Number(row.balance);
  await trx
    .insertInto('ledger')
    .values({ id: newId('led'), user_id: c.userId, created_at: Date.now(), kind: c.kind, amount: c.amount, balance_after: balance, reason: c.reason ?? null, request_id: c.requestId ?? null })
    .execute();
  await watchLowBalance(trx, c.userId, balance, row.low_balance_threshold === null ? null : Number(row.low_balance_threshold), Number(row.low_balance_notified));
  return { balance, version: Number(row.version) };
}

/**
 * Records one notice when the balance crosses below the user's threshold, and re-arms when it is
 * back above, so a user is told once per crossing and not on every call.
 */
export async function watchLowBalance(trx: Db, userId: string, balance: number, threshold: number | null, notified: number): Promise<void> {
  if (threshold === null) return;
  if (balance < threshold && !notified) {
    await trx
      .insertInto('notices')
      .values({ id: newId('ntc'), user_id: userId, kind: 'low_balance', message: `Your balance (${formatPoints(balance)}) fell below your reminder threshold of ${formatPoints(threshold)}.`, created_at: Date.now() })
      .execute();
    await trx.updateTable('accounts').set({ low_balance_notified: 1 }).where('user_id', '=', userId).execute();
  } else if (balance >= threshold && notified) {
    await trx.updateTable('accounts').set({ low_balance_notified: 0 }).where('user_id', '=', userId).execute();
  }
}

export async function accountOf(db: Db, userId: string) {
  return (
    (await db.selectFrom('accounts').selectAll().where('user_id', '=', userId).executeTakeFirst()) ?? {
      user_id: userId,
      balance: 0,
      version: 0,
      low_balance_threshold: null,
      low_balance_notified: 0,
      rpm: null,
      tpm: null,
    }
  );
}

export async function listLedger(db: Db, userId: string, limit = 50, offset = 0) {
  const base = db.selectFrom('ledger').where('user_id', '=', userId);
  const items = await base.selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).offset(offset).execute();
  const { n } = await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return { items, total: Number(n) };
}
