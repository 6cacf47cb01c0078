import { GatewayError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { Periodic } from '../core/periodic.js';
import type { Db } from '../storage/database.js';
import type { TopupOrdersTable } from '../storage/schema.js';
import { noteAfter, noteMoney, type NoteColumns, type NoteLine } from './notes.js';
import type { PaymentProvider } from './types.js';

/**
 * The money an admin's refund returns to the payer through the provider's API (Stripe's refunds).
 *
 * The refund's transaction takes the credit back and, in the same commit, writes what is owed on the
 * order (`owe`: `money_due`, migration 0023). Only then is the provider asked. So when the process
 * is killed or the provider cannot be reached between the commit and the provider's answer, the
 * debt is still on the order, and `runOnce` (at start and every `retryMs`, on every gateway) asks
 * again until the provider answers:
 *
 * - each attempt sends the same idempotency key (`refund-<order>`): a request the provider carried
 *   out but whose answer was lost returns that same refund, never a second one (Stripe keeps a key
 *   for 24 hours, "Idempotent requests" in its API reference);
 * - a provider that answers with a refusal ends the debt, and the order's note says to return the
 *   money in its dashboard; so does a debt still unpaid after `GIVE_UP_MS`, before the key expires;
 * - the provider unreachable (a network failure, a timeout) or busy (HTTP 429, which Stripe answers
 *   before carrying anything out) leaves the debt for the next attempt, with a growing pause;
 * - two gateways asking at once send the same key; the first answer clears the debt (a conditional
 *   update), and the other writes nothing.
 */
export class MoneyReturns {
  /** Orders this process is asking about now (the refund's own attempt and a sweep must not overlap). */
  private readonly busy = new Set<string>();
  /** At start and every `retryMs`: the debts whose next attempt is due. */
  private readonly job: Periodic<number>;

  constructor(
    private readonly db: Db,
    private readonly providers: Map<string, PaymentProvider>,
    private readonly log: Logger,
    private readonly o: { retryMs: number; now?: () => number },
  ) {
    this.job = new Periodic(() => this.sweep(), o.retryMs, log, 'refund: looking for money to return failed');
  }

  private now(): number {
    return this.o.now?.() ?? Date.now();
  }

  /**
   * Minor units of the order's money that its refund returns (`before` and `after` the refund), when
   * the provider can return money through its API; null when nothing goes back here.
   * - An order held for review (`paid`: its payment differed from the order) was never credited:
   *   its refund returns the whole payment, what the provider reported paid.
   * - A credited order's refund, taking back `refunded` µP of its `credit`, returns that share of
   *   the order's amount, rounded down (so the provider's report of the refund, reversal.ts, finds
   *   the credit taken already), and never more than was paid through the provider: `beyond` is
   *   the rest (an order paid short and credited by an admin), for the admin to return another way.
   */
  owed(before: TopupOrdersTable, after: TopupOrdersTable): { money: number; beyond: number } | null {
    if (!this.providers.get(after.provider)?.refund || !after.provider_trade_no) return null;
    const paid = after.paid_amount == null ? null : Number(after.paid_amount);
    if (before.status === 'paid') return paid !== null && paid > 0 ? { money: paid, beyond: 0 } : null;
    if (Number(after.credit) <= 0) return null;
    const share = Math.floor((Number(after.amount) * Number(after.refunded)) / Number(after.credit));
    const money = paid === null ? share : Math.min(share, paid);
    return money > 0 ? { money, beyond: share - money } : null;
  }

  /** In the refund's transaction: the order owes `money` to its payer from now on (and its note says what it cannot return). */
  async owe(trx: Db, order: TopupOrdersTable, owed: { money: number; beyond: number }): Promise<void> {
    const now = this.now();
    const beyond: NoteLine = { code: 'money_beyond_payment', provider: order.provider, money: noteMoney(owed.beyond, order.currency), paid: noteMoney(owed.money, order.currency) };
    await trx
      .updateTable('topup_orders')
      .set({ money_due: owed.money, money_due_since: now, money_due_at: now, ...(owed.beyond > 0 ? noteAfter(order, beyond) : {}) })
      .where('id', '=', order.id)
      .execute();
  }

  /** Asks the provider to return what the order owes, once; answers the order as it is afterwards. */
  async attempt(orderId: string): Promise<TopupOrdersTable | null> {
    if (this.busy.has(orderId)) return null;
    this.busy.add(orderId);
    try {
      const o = await this.db.selectFrom('topup_orders').selectAll().where('id', '=', orderId).executeTakeFirst();
      if (!o || o.money_due == null) return o ?? null;
      const money = Number(o.money_due);
      const provider = this.providers.get(o.provider);
      const what = noteMoney(money, o.currency);
      const since = Number(o.money_due_since ?? this.now());
      let line: NoteLine;
      try {
        if (!provider?.refund || !o.provider_trade_no) throw new GatewayError('upstream', `${o.provider} is not configured here any more`, { code: 'payment_provider_error' });
        const { ref } = await provider.refund({ tradeNo: o.provider_trade_no, amount: money, total: Number(o.paid_amount ?? o.amount), orderId: o.id, key: `refund-${o.id}` });
        line = { code: 'money_returned', provider: o.provider, money: what, ref };
        this.log.info('refund: money returned through the provider', { provider: o.provider, order: o.id, amount: money, ref });
      } catch (err) {
        const reason = (err as Error).message.replace(/\.$/, '');
        const code = err instanceof GatewayError ? err.code : null;
        const transient = code === 'payment_provider_unreachable' || code === 'payment_provider_busy';
        if (transient && this.now() - since < GIVE_UP_MS) {
          // The first failure says so on the order; later ones only move the next attempt.
          const first = Number(o.money_due_at ?? since) <= since;
          const next = this.now() + Math.max(this.o.retryMs, Math.min(MAX_PAUSE_MS, (this.now() - since) / 2));
          const pending: NoteLine | null = first ? { code: 'money_pending', provider: o.provider, money: what, error: reason } : null;
          this.log.warn('refund: the provider could not be reached to return the money; trying again later', { provider: o.provider, order: o.id, amount: money, reason, next });
          return this.record(o.id, pending, { money_due_at: next });
        }
        line = { code: 'money_not_returned', provider: o.provider, money: what, error: reason };
        this.log.warn('refund: the provider did not return the money', { provider: o.provider, order: o.id, amount: money, reason });
      }
      return this.record(o.id, line, { money_due: null, money_due_since: null, money_due_at: null });
    } finally {
      this.busy.delete(orderId);
    }
  }

  /**
   * Writes an attempt's outcome on an order that still owes money, its note line after the lines
   * the order has now. The order is read again under a lock for that: while the provider was being
   * asked, its own report of the refund (reversal.ts: Alipay notifies as soon as it refunds) may have
   * added a line, which a note built from the order as read before the request would overwrite.
   * Answers the order as it is afterwards; when another gateway's attempt (the same refund, by its
   * key) wrote the outcome first, nothing is written.
   */
  private async record(orderId: string, line: NoteLine | null, set: Partial<Pick<TopupOrdersTable, 'money_due' | 'money_due_since' | 'money_due_at'>>): Promise<TopupOrdersTable | null> {
    return this.db.transaction().execute(async (trx) => {
      const now = this.now();
      // An update first: on PostgreSQL it locks the row until the commit (SQLite's transactions write one at a time).
      const fresh = await trx.updateTable('topup_orders').set({ updated_at: now }).where('id', '=', orderId).where('money_due', 'is not', null).returningAll().executeTakeFirst();
      if (!fresh) return (await trx.selectFrom('topup_orders').selectAll().where('id', '=', orderId).executeTakeFirst()) ?? null;
      const noted: Partial<NoteColumns> = line ? noteAfter(fresh, line) : {};
      await trx.updateTable('topup_orders').set({ ...set, ...noted }).where('id', '=', orderId).execute();
      return { ...fresh, ...set, ...noted };
    });
  }

  /** Asks about every order whose next attempt is due; answers how many were asked about. */
  runOnce(): Promise<number> {
    return this.job.runOnce();
  }

  private async sweep(): Promise<number> {
    const due = await this.db.selectFrom('topup_orders').select('id').where('money_due', 'is not', null).where('money_due_at', '<=', this.now()).orderBy('money_due_at').limit(100).execute();
    for (const { id } of due) await this.attempt(id).catch((err) => this.log.error('refund: returning the money failed; trying again later', err, { order: id }));
    return due.length;
  }

  start(): void {
    this.job.start();
  }

  close(): Promise<void> {
    return this.job.stop();
  }
}

/** Stripe keeps an idempotency key for 24 hours: past this, a retry could become a second refund. */
export const GIVE_UP_MS = 23 * 3600_000;
/** The longest pause between two attempts (the pause grows with the debt's age). */
const MAX_PAUSE_MS = 3600_000;
