/**
 * Names for the management API's shapes. Every one is derived from the generated operation table
 * (src/generated/management-api.ts, made from the gateway's OpenAPI document), never written out by
 * hand, so the SDK, the console and the server cannot disagree. Money is in P, as decimals.
 */
import type { Operations } from '../generated/management-api.js';

export type { Operations };
export type OperationId = keyof Operations;
export type ResponseOf<Op extends OperationId> = Operations[Op]['response'];
export type BodyOf<Op extends OperationId> = Operations[Op]['body'];
export type QueryOf<Op extends OperationId> = Operations[Op]['query'];
type Item<T> = T extends { items: (infer I)[] } ? I : never;

/** A page of a list: `total` rows match, `items` are this page's. */
export interface Page<T> {
  items: T[];
  total: number;
}

export type User = ResponseOf<'GET /api/auth/me'>['user'];
export type PublicConfig = ResponseOf<'GET /api/config'>;
export type App = Item<ResponseOf<'GET /api/apps'>>;
export type ApiKey = Item<ResponseOf<'GET /api/keys'>>;
/** What the key dialog edits (null = no limit). */
export type KeyLimits = Omit<BodyOf<'PATCH /api/keys/{id}'>, 'name'>;
/** A new key: `key` is shown this once. */
export type NewKey = ResponseOf<'POST /api/apps/{id}/keys'>;
export type RequestLog = Item<ResponseOf<'GET /api/logs'>>;
export type LogQuery = QueryOf<'GET /api/logs'>;
/** A model with the price this account pays (null: not priced, so refused). */
export type Model = Item<ResponseOf<'GET /api/models'>>;
export type ModelPrice = NonNullable<Model['price']>;
export type Account = ResponseOf<'GET /api/billing/account'>;
export type Notice = Account['notices'][number];
export type LedgerEntry = Item<ResponseOf<'GET /api/billing/ledger'>>;
export type LedgerKind = LedgerEntry['kind'];
export type UsageSummary = ResponseOf<'GET /api/billing/usage'>;
export type UsageDay = UsageSummary['days'][number];
export type RedeemResult = ResponseOf<'POST /api/billing/redeem'>;
export type Provider = Item<ResponseOf<'GET /api/admin/providers'>>;
export type Channel = Item<ResponseOf<'GET /api/admin/channels'>>;
export type ChannelInput = BodyOf<'POST /api/admin/channels'>;
export type ChannelHealth = Item<ResponseOf<'GET /api/admin/channels/health'>>;
export type CircuitState = ChannelHealth['state'];
export type ChannelEvent = Item<ResponseOf<'GET /api/admin/channels/{id}/events'>>;
export type ChannelTestResult = ResponseOf<'POST /api/admin/channels/{id}/test'>;
export type Price = Item<ResponseOf<'GET /api/admin/prices'>>;
export type PriceInput = BodyOf<'PUT /api/admin/prices/{model}'>;
export type Group = Item<ResponseOf<'GET /api/admin/groups'>>;
export type RedemptionCode = Item<ResponseOf<'GET /api/admin/codes'>>;
export type NewRedemptionCode = Item<ResponseOf<'POST /api/admin/codes'>>;
export type SystemSettings = ResponseOf<'GET /api/admin/settings'>;
export type BillingCheck = ResponseOf<'GET /api/admin/billing/check'>;
