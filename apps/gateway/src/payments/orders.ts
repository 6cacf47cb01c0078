import { formatPoints } from '../billing/money.js';
import { GatewayError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import type { Db } from '../storage/database.js';
import type { TopupOrdersTable, TopupStatus } from '../storage/schema.js';
import { creditFor, formatMinor, minorDigits, priceFor, toMinor } from './money.js';
import type { Packs } from './packs.js';
import { noteAfter, noteMoney } from './notes.js';
import type { PaymentProvider } from './types.js';

/** Limits of what one order may be, in whole currency units (the same numbers for every currency). */
export interface OrderLimits {
  minAmount: number;
  maxAmount: number;
  expiryMs: number;
  /** The first ask about an unpaid order, after it was made, and the unit of the pauses (reconcile.ts). */
  checkMs: number;
}

export interface NewOrder {
  userId: string;
  provider: PaymentProvider;
  method?: string;
  /** What the user pays, in the provider's currency (`"10"`, `"7.30"`); or a pack. */
  amount?: string | number;
  packId?: string;
}

/**
 * Order ids are EPay's `out_trade_no` too: letters and digits only (some aggregators refuse `_`),
 * sortable by time.
 */
export const orderId = () => newId('TU').replace('_', '');

/** Works out an order's figures and stores it as `created`, before the payer is sent anywhere. */
export async function insertOrder(db: Db, packs: Packs, limits: OrderLimits, o: NewOrder, now = Date.now()): Promise<TopupOrdersTable> {
  const p = o.provider;
  const method = o.method ?? p.methods[0];
  if (!p.methods.includes(method)) throw new GatewayError('invalid_request', `${p.id} offers ${p.methods.join(', ')}, not ${method}.`, { param: 'method', code: 'invalid_payment_method' });
  if ((o.amount === undefined) === (o.packId === undefined))
    throw new GatewayError('invalid_request', 'Give either an amount or a pack.', { param: 'amount', code: 'invalid_value' });
  let amount: number;
  let credit: number;
  let bonus = 0;
  let packId: string | null = null;
  if (o.packId !== undefined) {
    const pack = await packs.get(o.packId);
    if (!pack || pack.enabled !== 1) throw new GatewayError('not_found', 'This pack is not offered.', { param: 'packId', code: 'pack_not_found' });
    amount = priceFor(Number(pack.points), p.currency, p.pointsPerUnit);
    bonus = Number(pack.bonus);
    credit = Number(pack.points) + bonus;
    packId = pack.id;
  } else {
    const minor = toMinor(o.amount!, p.currency);
    const unit = 10 ** minorDigits(p.currency);
    const cur = p.currency.toUpperCase();
    if (minor === null) throw new GatewayError('invalid_request', `The amount must be a number of ${cur} with at most ${minorDigits(p.currency)} decimals.`, { param: 'amount', code: 'invalid_amount' });
    if (minor < limits.minAmount * unit || minor > limits.maxAmount * unit)
      throw new GatewayError('invalid_request', `The amount must be between ${limits.minAmount} and ${limits.maxAmount} ${cur}.`, { param: 'amount', code: 'amount_out_of_range' });
    amount = minor;
    credit = creditFor(minor, p.currency, p.pointsPerUnit);
  }
  const row: TopupOrdersTable = {
    id: orderId(),
    user_id: o.userId,
    provider: p.id,
    method,
    pack_id: packId,
    amount,
    currency: p.currency,
    credit,
    bonus,
    status: 'created',
    provider_ref: null,
    provider_trade_no: null,
    pay_url: null,
    note: null,
    refunded: 0,
    // Asked about if no callback came (reconcile.ts), when the provider can be asked.
    checks: 0,
    next_check_at: p.query ? now + limits.checkMs : null,
    created_at: now,
    expires_at: now + limits.expiryMs,
    paid_at: null,
    credited_at: null,
    refunded_at: null,
    updated_at: now,
  };
  await db.insertInto('topup_orders').values(row).execute();
  return row;
}

/** What the payer sees as the product. */
export const orderTitle = (o: Pick<TopupOrdersTable, 'credit'>) => `APIGPT credit ${formatPoints(Number(o.credit))}`;

/** The amount as people read it: `7.30 CNY`. */
export const orderAmountText = (o: Pick<TopupOrdersTable, 'amount' | 'currency'>) => noteMoney(Number(o.amount), o.currency);

/** The note of an order that expires: an order still waiting for payment has nothing noted before. */
const NOT_PAID_IN_TIME = noteAfter({ note: null }, { code: 'not_paid_in_time' });

/**
 * Orders left unpaid past their expiry are shown as expired. Done lazily, by the reads that show
 * orders; a payment that arrives later still credits (see settle.ts).
 */
export async function expireDue(db: Db, now = Date.now(), userId?: string): Promise<void> {
  let q = db.updateTable('topup_orders').set({ status: 'expired', ...NOT_PAID_IN_TIME, updated_at: now }).where('status', '=', 'created').where('expires_at', '<=', now);
  if (userId) q = q.where('user_id', '=', userId);
  await q.execute();
}

export interface OrderFilter {
  userId?: string;
  status?: TopupStatus;
  provider?: string;
  limit: number;
  offset: number;
}

export async function listOrders(db: Db, f: OrderFilter): Promise<{ items: (TopupOrdersTable & { email: string | null })[]; total: number }> {
  await expireDue(db, Date.now(), f.userId);
  let base = db.selectFrom('topup_orders').leftJoin('users', 'users.id', 'topup_orders.user_id');
  if (f.userId) base = base.where('topup_orders.user_id', '=', f.userId);
  if (f.status) base = base.where('topup_orders.status', '=', f.status);
  if (f.provider) base = base.where('topup_orders.provider', '=', f.provider);
  const items = await base
    .selectAll('topup_orders')
    .select('users.email as email')
    .orderBy('topup_orders.created_at', 'desc')
    .orderBy('topup_orders.id', 'desc')
    .limit(f.limit)
    .offset(f.offset)
    .execute();
  const { n } = await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return { items, total: Number(n) };
}

export async function getOrder(db: Db, id: string): Promise<TopupOrdersTable | undefined> {
  await db.updateTable('topup_orders').set({ status: 'expired', ...NOT_PAID_IN_TIME, updated_at: Date.now() }).where('id', '=', id).where('status', '=', 'created').where('expires_at', '<=', Date.now()).execute();
  return db.selectFrom('topup_orders').selectAll().where('id', '=', id).executeTakeFirst();
}

