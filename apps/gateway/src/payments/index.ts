import type { Billing } from '../billing/index.js';
import type { IdempotencyKey } from '../billing/idempotency.js';
import type { Config } from '../config/config.js';
import { GatewayError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { Db } from '../storage/database.js';
import type { TopupOrdersTable } from '../storage/schema.js';
import { getOrder, insertOrder, listOrders, orderTitle, type OrderFilter, type OrderLimits } from './orders.js';
import { MoneyReturns } from './money-return.js';
import { noteAfter } from './notes.js';
import { Reconciler } from './reconcile.js';
import { Packs } from './packs.js';
import { refundOrder, type Within } from './refund.js';
import { PaymentNotKnownYet } from './reversal.js';
import { providersFromConfig } from './registry.js';
import { applyNotice, completeOrder, orderNotFound, type Settled } from './settle.js';
import { CallbackRejected, type CallbackReply, type InboundCallback, type PaymentNotice, type PaymentProvider } from './types.js';

export type { PaymentProvider, InboundCallback, CallbackReply } from './types.js';
export type { OrderFilter } from './orders.js';
export type { Within } from './refund.js';
export type { PackInput } from './packs.js';
export { orderAmountText } from './orders.js';
export { noteViews, type NoteView } from './notes.js';
export { creditFor, formatMinor, minorDigits, priceFor, toMinor } from './money.js';
export { codeOf, inviterOf, invitationsOf, listReferrals, readPolicy, recordInvitation, writePolicy, CODE_PATTERN, type ReferralPolicy } from './referrals.js';

export interface PaymentsDeps {
  config: Config;
  db: Db;
  billing: Billing;
  log: Logger;
  /** Default: the providers the configuration enables (tests may pass their own). */
  providers?: Map<string, PaymentProvider>;
}

/**
 * Online recharge: top-up orders paid through a payment provider and credited, exactly once, through
 * the same ledger as every other credit. Orders are made before the payer is sent to pay; only an
 * authenticated provider callback (or an admin) credits them.
 */
export class Payments {
  readonly providers: Map<string, PaymentProvider>;
  readonly packs: Packs;
  readonly limits: OrderLimits;
  /** Money admins' refunds owe payers through the providers' APIs, until the providers answer. */
  readonly returns: MoneyReturns;
  /** Asks the providers about unpaid orders whose callback may have been lost. */
  readonly reconciler: Reconciler;
  private readonly db: Db;
  private readonly billing: Billing;
  private readonly log: Logger;

  constructor(deps: PaymentsDeps) {
    this.db = deps.db;
    this.billing = deps.billing;
    this.log = deps.log;
    this.providers = deps.providers ?? providersFromConfig(deps.config);
    this.packs = new Packs(deps.db);
    this.reconciler = new Reconciler(deps.db, this.providers, (p, n, src) => this.settle(p, n, src), deps.log, { checkMs: deps.config.topupCheckSeconds * 1000 });
    this.returns = new MoneyReturns(deps.db, this.providers, deps.log, { retryMs: deps.config.refundRetrySeconds * 1000 });
    this.limits = { minAmount: deps.config.topupMinAmount, maxAmount: deps.config.topupMaxAmount, expiryMs: deps.config.topupExpiryMinutes * 60_000, checkMs: deps.config.topupCheckSeconds * 1000 };
  }

  /**
   * Stores the order, then asks the provider where the payer goes. `baseUrl` is the gateway's public
   * address: the provider's callback and the payer's way back are under it.
   */
  async createOrder(input: { userId: string; email: string; provider: string; method?: string; amount?: string | number; packId?: string; baseUrl: string }): Promise<TopupOrdersTable> {
    const provider = this.provider(input.provider);
    const order = await insertOrder(this.db, this.packs, this.limits, { userId: input.userId, provider, method: input.method, amount: input.amount, packId: input.packId });
    const base = input.baseUrl.replace(/\/+$/, '');
    try {
      const c = await provider.checkout({
        id: order.id,
        userId: order.user_id,
        email: input.email,
        method: order.method,
        amount: Number(order.amount),
        currency: order.currency,
        title: orderTitle(order),
        notifyUrl: `${base}/api/payments/${provider.id}/notify`,
        returnUrl: `${base}/recharge?order=${order.id}`,
        expiresAt: order.expires_at,
      });
      await this.db.updateTable('topup_orders').set({ provider_ref: c.providerRef, pay_url: c.payUrl, updated_at: Date.now() }).where('id', '=', order.id).execute();
      return { ...order, provider_ref: c.providerRef, pay_url: c.payUrl };
    } catch (err) {
      // The payer never got anywhere to pay: the order ends here, with the reason.
      const noted = noteAfter(order, { code: 'start_failed', error: err instanceof Error ? err.message : String(err) });
      await this.db.updateTable('topup_orders').set({ status: 'expired', ...noted, updated_at: Date.now() }).where('id', '=', order.id).where('status', '=', 'created').execute();
      throw err;
    }
  }

  /**
   * A provider's callback, as received. Authentic ones are acted on once (settle.ts) and answered as
   * handled, duplicates included, so the provider stops retrying; forged or stale ones are refused
   * and change nothing; a failure of ours asks the provider to deliver again.
   */
  async handleCallback(providerId: string, cb: InboundCallback): Promise<CallbackReply & { settled?: Settled }> {
    const provider = this.providers.get(providerId);
    if (!provider) return { status: 404, contentType: 'text/plain; charset=utf-8', body: 'fail' };
    let notice;
    try {
      notice = provider.verify(cb);
    } catch (err) {
      if (!(err instanceof CallbackRejected)) throw err;
      this.log.warn('payment callback refused', { provider: providerId, reason: err.reason, method: cb.method });
      return provider.reply('rejected', err.reason === 'timestamp_outside_tolerance' ? 'Timestamp outside the tolerance zone.' : undefined);
    }
    try {
      const settled = await this.settle(providerId, notice, 'callback');
      return { ...provider.reply('ok'), settled };
    } catch (err) {
      if (err instanceof PaymentNotKnownYet) this.log.warn('a refund arrived before its payment was known here; the provider will deliver it again (the reconciler asks about the order meanwhile)', { provider: providerId, event: notice.eventId, order: err.orderId });
      else this.log.error('payment callback failed; the provider will deliver it again', err, { provider: providerId, event: notice.eventId });
      return provider.reply('retry');
    }
  }

  /** Acts on what a provider said about a payment, once (settle.ts): in its callback, or answering a lookup (reconcile.ts). */
  private async settle(providerId: string, notice: PaymentNotice, source: 'callback' | 'lookup'): Promise<Settled> {
    const settled = await applyNotice(this.db, this.billing.state, providerId, notice);
    const fields = { provider: providerId, source, event: notice.eventId, type: notice.type, order: notice.orderId ?? settled.order?.id ?? null, outcome: settled.outcome };
    if (settled.outcome === 'mismatch' || settled.outcome === 'unknown_order') this.log.warn('payment not credited', { ...fields, note: settled.order?.note });
    // Money went back to the payer: an admin may have to settle a shortfall with the account.
    else if (settled.outcome === 'reversed') this.log.warn('payment reversed by the provider', { ...fields, note: settled.order?.note });
    else if (settled.outcome === 'reinstated') this.log.warn('a reversed payment came back to the merchant (a dispute won)', { ...fields, note: settled.order?.note });
    else this.log.info('payment settled', fields);
    return settled;
  }

  /**
   * Asks the order's provider about its payment now (an admin's "ask the provider", a payer back
   * from paying): a payment whose callback was lost is credited, once. Answers the order as it is.
   */
  async check(orderId: string, userId?: string): Promise<TopupOrdersTable> {
    const o = await this.get(orderId, userId);
    if (o.status === 'created' || o.status === 'expired') await this.reconciler.check(o);
    return (await getOrder(this.db, o.id))!;
  }

  /** Orders, newest first (expired ones marked as such first). */
  list(f: OrderFilter) {
    return listOrders(this.db, f);
  }

  /** One order; with `userId`, only that user's (another's is "not found"). */
  async get(id: string, userId?: string): Promise<TopupOrdersTable> {
    const o = await getOrder(this.db, id);
    if (!o || (userId !== undefined && o.user_id !== userId)) throw orderNotFound();
    return o;
  }

  /**
   * Admin: takes back (part of) a credited order's credit (refund.ts, for the policy), then, unless
   * `returnMoney` is false, returns the money of that share to the payer through the provider's API
   * when it has one here (Stripe). The refund's transaction also writes what the order owes the payer
   * (money-return.ts), so a kill or an unreachable provider after the commit leaves the debt to be
   * paid by a later attempt, never lost. The credit is taken back first: when the provider refuses,
   * the order's note says so and the money is returned in its dashboard instead. A replayed request
   * (its Idempotency-Key) returns no money again.
   */
  async refund(orderId: string, by: string, reason: string, amount?: number, key?: IdempotencyKey, within?: Within, returnMoney = true) {
    let owes = false;
    const r = await refundOrder(this.db, this.billing.state, this.billing.idempotency, { orderId, by, reason, amount }, key, async (trx, before, after) => {
      await within?.(trx, before, after);
      const owed = returnMoney ? this.returns.owed(before, after) : null;
      if (owed) await this.returns.owe(trx, after, owed);
      owes = owed !== null;
    });
    if (r.replayed || !owes) return r;
    return { ...r, order: (await this.returns.attempt(r.order.id)) ?? r.order };
  }

  /** Admin: credits an order whose payment the admin confirmed at the provider (a lost callback, a reviewed mismatch). */
  async complete(orderId: string, by: string, reason: string, within?: Within): Promise<TopupOrdersTable> {
    const s = await completeOrder(this.db, this.billing.state, orderId, by, reason, within);
    return (await getOrder(this.db, s.order!.id))!;
  }

  provider(id: string): PaymentProvider {
    const p = this.providers.get(id);
    if (!p) throw new GatewayError('invalid_request', `Recharge through ${id} is not available here.`, { param: 'provider', code: 'payment_provider_unavailable' });
    return p;
  }
}
