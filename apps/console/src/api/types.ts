/**
 * Shapes of the management API's answers. Each is the gateway's own schema, generated into
 * `@apigpt/sdk` from the OpenAPI document it serves (/api/openapi.json), so the console cannot drift
 * from the server; only what has no schema on the server is written here. Money is in P, as decimals.
 */
import type * as Sdk from '@apigpt/sdk/management';

export type { Page } from '@apigpt/sdk/management';

export type User = Sdk.User;
export type App = Sdk.App;
export type KeyLimits = Sdk.KeyLimits;
export type ApiKey = Sdk.ApiKey;
export type NewKey = Sdk.NewKey;
export type RequestLog = Sdk.RequestLog;
/** A model this account may use, with the price it pays (null: not priced). */
export type Model = Sdk.Model;
/** The models with what 1 P is worth (its US$ value, the group's multiplier, the recharge rates). */
export type ModelListing = Sdk.ResponseOf<'GET /api/models'>;
export type Capability = Sdk.Model['capability'];
export type Notice = Sdk.Notice;
export type Account = Sdk.Account;
export type LedgerKind = Sdk.LedgerKind;
export type LedgerEntry = Sdk.LedgerEntry;
export type UsageDay = Sdk.UsageDay;
export type UsageSummary = Sdk.UsageSummary;
export type Channel = Sdk.Channel;
export type CircuitState = Sdk.CircuitState;
export type ChannelHealth = Sdk.ChannelHealth;
export type ChannelEvent = Sdk.ChannelEvent;
export type ChannelTestResult = Sdk.ChannelTestResult;
/** A row of the prices page: a model's price, or (nulls) a routed model that has none yet. */
export type Price = { model: string } & { [K in Exclude<keyof Sdk.Price, 'model' | 'maxOutput'>]: Sdk.Price[K] | null } & { maxOutput?: Sdk.Price['maxOutput'] | null };
export type Group = Sdk.Group;
/** A code as listed (its hint: codes are stored hashed), or as just generated (with the whole code, this once). */
export type RedemptionCode = Sdk.RedemptionCode & { code?: Sdk.NewRedemptionCode['code'] };
/** A code as generated: the whole code, this once. */
export type NewRedemptionCode = Sdk.NewRedemptionCode;
export type SystemSettings = Sdk.SystemSettings;

/** `GET /api/config` (public, no schema on the server). */
export interface PublicConfig {
  signupEnabled: boolean;
  publicUrl: string | null;
  /** The server sends mail: password reset by email, and sign-ups confirm their address. */
  mail?: boolean;
}

/** `GET /api/admin/providers` (no schema on the server): the provider kinds a channel can have. */
export interface Provider {
  kind: string;
  label: string;
  dialect: string;
  operations: string[];
  needsSecret: boolean;
  /** The provider's public endpoint, which the channel form fills in (null: no one address). */
  defaultBaseUrl?: string | null;
  /** Whether the upstream's model list can be read (POST /api/admin/channels/models). */
  listsModels?: boolean;
}

/** Per-channel upstream timeouts, kept in `settings.timeouts` (milliseconds; settings are free-form on the server). */
export interface ChannelTimeouts {
  firstByteMs?: number;
  idleMs?: number;
}

/** The event kinds the console words (the server's `kind` is a string). */
export type ChannelEventKind =
  | 'circuit_open'
  | 'circuit_half_open'
  | 'circuit_closed'
  | 'auto_disabled'
  | 'auto_enabled'
  | 'probe_ok'
  | 'probe_failed'
  | 'admin_disabled'
  | 'admin_enabled';
