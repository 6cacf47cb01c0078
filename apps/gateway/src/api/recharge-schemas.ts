import { Type, type TSchema } from '@sinclair/typebox';
import { toPoints } from '../billing/money.js';
import { formatMinor, noteViews } from '../payments/index.js';
import type { TopupOrdersTable, TopupPacksTable } from '../storage/schema.js';
import { MAX_POINTS } from './billing-schemas.js';

/** Online recharge shapes. Credit is in P (decimal); what a payer pays is a decimal string in its currency. */
const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

export const OrderStatus = Type.Union(['created', 'paid', 'credited', 'expired', 'refunded'].map((s) => Type.Literal(s)), {
  description: '`created`: waiting for payment; `credited`: paid and credited; `paid`: the provider confirmed a payment that does not match the order (amount, currency, method), held for an admin; `expired`: not paid in time (a late payment still credits); `refunded`: an admin took the credit back, or the provider gave the money back to the payer (a refund in its dashboard, a dispute)',
});

export const Order = Type.Object({
  id: Type.String(),
  userId: Type.String(),
  email: Type.Optional(Nullable(Type.String())),
  provider: Type.String(),
  method: Type.String(),
  packId: Nullable(Type.String()),
  amount: Type.String({ description: 'What the payer pays, as a decimal in the currency (`7.30`)' }),
  currency: Type.String({ description: 'Lower-case ISO code' }),
  credit: Type.Number({ description: 'P credited when paid, the bonus included' }),
  bonus: Type.Number({ description: 'P of the credit that are the pack bonus' }),
  status: OrderStatus,
  payUrl: Nullable(Type.String({ description: 'Where the payer pays; only while the order waits for payment' })),
  note: Nullable(Type.String({ description: 'What happened to the order, in English: one sentence per event' })),
  notes: Type.Array(
    Type.Object({
      code: Type.String({ description: 'What the line says (`refunded_by`, `provider_refund`, `money_returned`, …); `text` for a note written before lines existed' }),
      params: Type.Record(Type.String(), Type.String(), { description: 'Its values: money as `7.30 CNY`, credit as `400 P`, a provider id, words as written' }),
      text: Type.String({ description: 'The line in English' }),
    }),
    { description: 'The note as lines of data, for a client that shows it in its own language' },
  ),
  refunded: Type.Number({ description: 'P taken back by a refund' }),
  paid: Nullable(Type.String({ description: 'What the provider reported paid, as a decimal in the currency: the amount, or another for an order held for review (`paid`). Null when no payment was reported (an order credited by hand) or it was in another currency' })),
  moneyOwed: Nullable(Type.String({ description: "Money an admin's refund is still returning to the payer through the provider's API (a decimal in the currency), while the provider has not confirmed it (unreachable, or the gateway stopped before its answer): the gateway tries again until it does. Null when nothing is owed" })),
  createdAt: Type.Number(),
  expiresAt: Type.Number(),
  paidAt: Nullable(Type.Number()),
  creditedAt: Nullable(Type.Number()),
  refundedAt: Nullable(Type.Number()),
});

export function orderView(o: TopupOrdersTable & { email?: string | null }) {
  return {
    id: o.id,
    userId: o.user_id,
    ...(o.email !== undefined ? { email: o.email } : {}),
    provider: o.provider,
    method: o.method,
    packId: o.pack_id,
    amount: formatMinor(Number(o.amount), o.currency),
    currency: o.currency,
    credit: toPoints(Number(o.credit)),
    bonus: toPoints(Number(o.bonus)),
    status: o.status,
    payUrl: o.status === 'created' ? o.pay_url : null,
    note: o.note,
    notes: noteViews(o),
    refunded: toPoints(Number(o.refunded)),
    paid: o.paid_amount == null ? null : formatMinor(Number(o.paid_amount), o.currency),
    moneyOwed: o.money_due == null ? null : formatMinor(Number(o.money_due), o.currency),
    createdAt: Number(o.created_at),
    expiresAt: Number(o.expires_at),
    paidAt: o.paid_at === null ? null : Number(o.paid_at),
    creditedAt: o.credited_at === null ? null : Number(o.credited_at),
    refundedAt: o.refunded_at === null ? null : Number(o.refunded_at),
  };
}

export const Pack = Type.Object({
  id: Type.String(),
  name: Type.String(),
  points: Type.Number({ description: 'P bought' }),
  bonus: Type.Number({ description: 'P given on top' }),
  enabled: Type.Boolean(),
  sort: Type.Integer(),
  prices: Type.Record(Type.String(), Type.String(), { description: 'Price per payment provider, a decimal in its currency' }),
});

export const packView = (p: TopupPacksTable, prices: Record<string, string>) => ({
  id: p.id,
  name: p.name,
  points: toPoints(Number(p.points)),
  bonus: toPoints(Number(p.bonus)),
  enabled: p.enabled === 1,
  sort: p.sort,
  prices,
});

export const RechargeOptions = Type.Object({
  providers: Type.Array(
    Type.Object({
      id: Type.String(),
      methods: Type.Array(Type.String()),
      currency: Type.String(),
      pointsPerUnit: Type.Number({ description: 'P credited per whole currency unit paid' }),
      minAmount: Type.Number(),
      maxAmount: Type.Number(),
    }),
  ),
  packs: Type.Array(Pack),
  expiryMinutes: Type.Integer(),
});

export const NewOrderBody = Type.Object(
  {
    provider: Type.String({ minLength: 1, maxLength: 40 }),
    method: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })),
    amount: Type.Optional(Type.Union([Type.String({ maxLength: 20 }), Type.Number({ minimum: 0 })], { description: 'What to pay in the provider\'s currency (`10`, `7.30`); or give packId' })),
    packId: Type.Optional(Type.String({ minLength: 1, maxLength: 60 })),
  },
  { additionalProperties: false },
);

export const OrdersQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 20 })),
  offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
});

export const AdminOrdersQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 20 })),
  offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
  status: Type.Optional(OrderStatus),
  provider: Type.Optional(Type.String({ maxLength: 40 })),
  userId: Type.Optional(Type.String({ maxLength: 100 })),
});

export const RefundBody = Type.Object(
  {
    points: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: MAX_POINTS, description: 'P to take back; default the whole credit of the order' })),
    reason: Type.String({ minLength: 1, maxLength: 500 }),
    returnMoney: Type.Optional(Type.Boolean({ description: "Also return the money of that share to the payer through the provider's API where it has one (Stripe, WeChat Pay); default true. The order's note says what was returned, or that it could not be" })),
  },
  { additionalProperties: false },
);
export const CompleteBody = Type.Object({ reason: Type.String({ minLength: 1, maxLength: 500 }) }, { additionalProperties: false });

export const PackBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    points: Type.Number({ exclusiveMinimum: 0, maximum: MAX_POINTS }),
    bonus: Type.Optional(Type.Number({ minimum: 0, maximum: MAX_POINTS })),
    enabled: Type.Optional(Type.Boolean()),
    sort: Type.Optional(Type.Integer({ minimum: -1000000, maximum: 1000000 })),
  },
  { additionalProperties: false },
);
export const PackPatch = Type.Partial(PackBody, { additionalProperties: false });
