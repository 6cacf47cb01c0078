/** Shapes of the management API's answers (see /api/openapi.json). Money is in P, as decimals. */
export interface User {
  id: string;
  email: string;
  display_name: string | null;
  role: 'user' | 'admin';
  group_name: string;
  status: 'active' | 'disabled';
  created_at: number;
  updated_at: number;
  /** When the address was confirmed by a mailed link; null when never. */
  email_verified_at?: number | null;
  /** 1 while the account waits for its address to be confirmed (mail on): the trial credit comes then. */
  email_pending?: number;
}

export interface PublicConfig {
  signupEnabled: boolean;
  publicUrl: string | null;
  /** The server sends mail: password reset by email, and sign-ups confirm their address. */
  mail?: boolean;
}

export interface App {
  id: string;
  user_id: string;
  name: string;
  description: string | null;
  created_at: number;
}

export interface KeyLimits {
  creditLimit?: number | null;
  expiresAt?: number | null;
  models?: string[] | null;
  ips?: string[] | null;
  origins?: string[] | null;
  rpm?: number | null;
  tpm?: number | null;
}

export interface ApiKey extends KeyLimits {
  id: string;
  user_id: string;
  app_id: string;
  name: string;
  prefix: string;
  created_at: number;
  revoked_at: number | null;
  last_used_at: number | null;
  spent?: number;
}

export interface NewKey {
  key: string;
  record: ApiKey;
}

export interface RequestLog {
  id: string;
  created_at: number;
  user_id: string;
  app_id: string | null;
  key_id: string | null;
  key_prefix: string | null;
  endpoint: string;
  dialect: string;
  model_requested: string | null;
  model_sent: string | null;
  channel_id: string | null;
  stream: number;
  status: number;
  error_code: string | null;
  error_message: string | null;
  latency_ms: number;
  ttft_ms: number | null;
  prompt_tokens: number;
  completion_tokens: number;
  cached_tokens: number;
  /** The part of completion_tokens spent reasoning; this and the units below are absent from older servers. */
  reasoning_tokens?: number;
  images?: number;
  /** Characters turned into speech. */
  characters?: number;
  /** Seconds of audio heard (transcription, translation). */
  seconds?: number;
  /** Rerank search units. */
  searches?: number;
  attempts: number;
  cost?: number;
}

export interface Page<T> {
  items: T[];
  total: number;
}

export interface Model {
  id: string;
  ownedBy: string;
}

export interface Notice {
  id: string;
  kind: string;
  message: string;
  created_at: number;
}

export interface Account {
  balance: number;
  group: string;
  multiplier: number;
  lowBalanceThreshold: number | null;
  notices: Notice[];
}

export type LedgerKind = 'trial' | 'topup' | 'redeem' | 'charge' | 'refund' | 'adjust';

export interface LedgerEntry {
  id: string;
  created_at: number;
  kind: LedgerKind;
  amount: number;
  balance_after: number;
  reason: string | null;
  request_id: string | null;
}

export interface UsageDay {
  date: string;
  requests: number;
  errors: number;
  cost: number;
  prompt_tokens: number;
  completion_tokens: number;
}

export interface UsageSummary {
  days: UsageDay[];
  models: { model: string; requests: number; cost: number }[];
}

export interface Provider {
  kind: string;
  label: string;
  dialect: string;
  operations: string[];
  needsSecret: boolean;
}

export interface Channel {
  id: string;
  provider: string;
  name: string;
  baseUrl: string;
  hasSecret: boolean;
  models: string[];
  modelMap: Record<string, string>;
  groups: string[];
  settings: Record<string, unknown>;
  weight: number;
  priority: number;
  enabled: boolean;
  /** Who turned it off: 'health' channels come back by themselves when a probe passes, 'admin' ones stay off. */
  disabledBy?: 'admin' | 'health' | null;
  simulated: boolean;
  createdAt: number;
  updatedAt: number;
}

/** Per-channel upstream timeouts, kept in `settings.timeouts` (milliseconds). */
export interface ChannelTimeouts {
  firstByteMs?: number;
  idleMs?: number;
}

export type CircuitState = 'closed' | 'open' | 'half_open';

export interface ChannelHealth {
  id: string;
  name: string;
  enabled: boolean;
  disabledBy: 'admin' | 'health' | null;
  state: CircuitState;
  consecutiveFailures: number;
  /** When an open circuit may be probed again (epoch ms). */
  openUntil: number | null;
  /** How many times in a row the circuit opened without a passing probe. */
  trips: number;
}

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

export interface ChannelEvent {
  id: string;
  channel_id: string;
  created_at: number;
  kind: ChannelEventKind | string;
  detail: string;
}

export interface ChannelTestResult {
  ok: boolean;
  latencyMs: number;
  status: number | null;
  model: string | null;
  message: string;
}

export interface Price {
  model: string;
  input: number | null;
  output: number | null;
  cachedInput: number | null;
  perImage: number | null;
  /** P per 1,000 characters turned into speech; null: not sold by characters. */
  perKChars?: number | null;
  /** P per second of audio heard; null: not sold by time. */
  perSecond?: number | null;
  /** P per 1,000 rerank searches; null: not sold by searches. */
  perKSearches?: number | null;
  /** Output tokens reserved when a call sets no max_tokens. */
  maxOutput?: number | null;
}

export interface Group {
  name: string;
  multiplier: number;
  [k: string]: unknown;
}

export interface RedemptionCode {
  id: string;
  /** The code's first group (`APG-ABCD`): codes are stored hashed. */
  hint: string;
  /** The whole code: only in the answer that generated it. */
  code?: string;
  name: string | null;
  value: number;
  created_at?: number;
  expires_at: number | null;
  redeemed_by_email?: string | null;
  redeemed_at?: number | null;
}

export interface SystemSettings {
  trialCredit: number;
  signupEnabled: boolean;
  lowBalanceDefault: number;
}
