import { GatewayError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { Periodic } from '../core/periodic.js';
import type { Db } from '../storage/database.js';
import type { TopupOrdersTable } from '../storage/schema.js';
import type { Settled } from './settled.js';
import type { PaymentNotice, PaymentProvider } from './types.js';

/** Settles a notice through the one credit path (Payments.settle): a callback's, or a lookup's. */
export type SettleNotice = (provider: string, notice: PaymentNotice, source: 'callback' | 'lookup') => Promise<Settled>;

/**
 * Asking the providers about unpaid orders, because a payment's callback can be lost (the gateway
 * was down for longer than the provider retries, a proxy dropped it, the notify URL changed): the
 * reconciliation job of provider-protocols §16.5. Each order the provider can be asked about
 * (`PaymentProvider.query`) carries when it is asked next (`next_check_at`, migration 0024): first
 * `checkMs` after it was made, then after pauses of 2, 4, 8 … up to 60 × `checkMs`, until a day
 * after it expired. What the provider answers goes through the same settlement as its callback
 * (settle.ts), under the callback's own event id, so a payment is credited once whichever arrives
 * first, and an answer that the order is paid when the callback was lost credits it.
 *
 * Every gateway runs the job; an order is asked about by one of them at a time: the one whose
 * conditional update moved its `next_check_at` on.
 */
export class Reconciler {
  /** At start and every `checkMs`: the orders whose turn it is. */
  private readonly job: Periodic<number>;

  constructor(
    private readonly db: Db,
    private readonly providers: Map<string, PaymentProvider>,
    private readonly settle: SettleNotice,
    private readonly log: Logger,
    private readonly o: { checkMs: number; now?: () => number },
  ) {
    this.job = new Periodic(() => this.sweep(), o.checkMs, log, 'recharge: looking for unpaid orders to ask about failed');
  }

  private now(): number {
    return this.o.now?.() ?? Date.now();
  }

  /** When to ask next after the `checks`-th ask, or null once past the horizon (a day after expiry). */
  private next(o: Pick<TopupOrdersTable, 'expires_at'>, checks: number, now: number): number | null {
    if (now > Number(o.expires_at) + HORIZON_MS) return null;
    return now + this.o.checkMs * Math.min(2 ** checks, MAX_PAUSES);
  }

  /**
   * Asks the provider about one order now (the job, or an admin's "ask the provider"), and settles
   * what it answers. Answers the settlement, or null when the provider has no payment for it yet.
   */
  async check(order: TopupOrdersTable): Promise<Settled | null> {
    const provider = this.providers.get(order.provider);
    if (!provider?.query) throw new GatewayError('invalid_request', `${order.provider} cannot be asked about an order here.`, { code: 'payment_provider_unavailable' });
    const notice = await provider.query({ id: order.id, providerRef: order.provider_ref, method: order.method });
    if (!notice || notice.kind === 'ignored' || notice.kind === 'pending') return null;
    return this.settle(order.provider, notice, 'lookup');
  }

  /** Asks about every order whose turn it is; answers how many were asked about. */
  runOnce(): Promise<number> {
    return this.job.runOnce();
  }

  private async sweep(): Promise<number> {
    const now = this.now();
    const due = await this.db
      .selectFrom('topup_orders')
      .selectAll()
      .where('status', 'in', ['created', 'expired'])
      .where('next_check_at', '<=', now)
      .orderBy('next_check_at')
      .limit(BATCH)
      .execute();
    let asked = 0;
    for (const order of due) {
      const checks = Number(order.checks ?? 0) + 1;
      const claimed = await this.db
        .updateTable('topup_orders')
        .set({ checks, next_check_at: this.next(order, checks, now) })
        .where('id', '=', order.id)
        .where('next_check_at', '=', order.next_check_at!)
        .executeTakeFirst();
      // Another gateway took this turn.
      if (Number(claimed.numUpdatedRows) === 0) continue;
      asked++;
      try {
        const settled = await this.check(order);
        if (settled?.outcome === 'credited') this.log.warn('recharge: a payment whose callback never came was found by asking the provider, and credited', { provider: order.provider, order: order.id });
      } catch (err) {
        const fields = { provider: order.provider, order: order.id, checks };
        if (err instanceof GatewayError) this.log.warn('recharge: the payment provider could not be asked about an order; asking again later', { ...fields, reason: err.message });
        else this.log.error('recharge: asking the payment provider about an order failed', err, fields);
      }
    }
    return asked;
  }

  start(): void {
    this.job.start();
  }

  close(): Promise<void> {
    return this.job.stop();
  }
}

/** Orders asked about per sweep (the rest wait for the next one, oldest turn first). */
const BATCH = 200;
/** The longest pause between two asks, in units of `checkMs`. */
const MAX_PAUSES = 60;
/** Asked about until a day after the order expired (a payer paying on a page left open). */
const HORIZON_MS = 24 * 3600_000;
