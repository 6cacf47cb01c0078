import type { ColumnType, Generated } from 'kysely';

/**
 * Table types. Times are epoch milliseconds, money is integer micro-points, booleans are 0/1 and
 * lists are JSON text: the same representation on SQLite and PostgreSQL.
 */
export interface UsersTable {
  id: string;
  email: string;
  password_hash: string;
  display_name: string | null;
  role: 'user' | 'admin';
  group_name: string;
  status: 'active' | 'disabled';
  created_at: number;
  updated_at: number;
  /** When the address was proven by a mailed link (migration 0007); null when never. */
  email_verified_at?: number | null;
  /** 1 while a self-made account waits for that proof, and its trial credit with it (mail on). */
  email_pending?: number;
  /** When the account was deleted by its owner (migration 0015): the row stays, pseudonymised, for the ledger. */
  deleted_at?: number | null;
  /** When two-factor sign-in was turned on (migration 0012); null while it is off. */
  two_factor_at?: number | null;
}

export interface SessionsTable {
  token_hash: string;
  user_id: string;
  created_at: number;
  expires_at: number;
  /** Last use (migration 0007), for the idle timeout; written at most once a minute. */
  last_seen_at?: number | null;
  /** How long the session may go unused before it ends (APIGPT_SESSION_IDLE_MINUTES); null or 0 = no idle limit. */
  idle_ms?: number | null;
}

/** A single-use link mailed to a user (migration 0007): only the token's SHA-256 is kept. */
export interface AccountTokensTable {
  token_hash: string;
  user_id: string;
  purpose: 'verify_email' | 'reset_password' | 'sign_in_challenge';
  created_at: number;
  expires_at: number;
}

/** An account's TOTP secret (sealed), set up (`enabled_at` null) or in use. */
export interface TwoFactorTable {
  user_id: string;
  secret: string;
  enabled_at: number | null;
  /** The last time step a code was accepted for: codes of it and earlier steps are refused. */
  last_step: number | null;
  created_at: number;
}

/** A recovery code's SHA-256; `used_at` set once it has signed someone in. */
export interface RecoveryCodesTable {
  code_hash: string;
  user_id: string;
  created_at: number;
  used_at: number | null;
}

export interface AppsTable {
  id: string;
  user_id: string;
  name: string;
  description: string | null;
  created_at: number;
  deleted_at: number | null;
}

export interface ApiKeysTable {
  id: string;
  user_id: string;
  app_id: string;
  name: string;
  key_hash: string;
  /** The first characters of the key, shown so people can tell keys apart. */
  prefix: string;
  created_at: number;
  revoked_at: number | null;
  last_used_at: number | null;
  /** Limits (issue 4, migration 0002): null means no limit. Money in micro-points. */
  credit_limit: number | null;
  /** Micro-points charged through this key so far (moves with each committed charge). */
  spent: number;
  /** Bumped with every change of `credit_limit` or `spent`, so shared state never takes an older value. */
  billing_version: number;
  expires_at: number | null;
  /** JSON string[] or null: models, client IPs / CIDRs, browser origins allowed. */
  allowed_models: string | null;
  allowed_ips: string | null;
  allowed_origins: string | null;
  rpm: number | null;
  tpm: number | null;
  /** Response-cache lifetime for calls with this key (migration 0003); null = cache only on request. */
  cache_ttl_sec?: number | null;
}

export interface ChannelsTable {
  id: string;
  provider: string;
  name: string;
  base_url: string;
  /** AES-256-GCM sealed secret, or null when the provider needs none. */
  secret_enc: string | null;
  /** JSON string[] of public model names served. */
  models: string;
  /** JSON Record<public model, upstream model>. */
  model_map: string;
  /** JSON string[] of user groups allowed to use the channel; empty = every group. */
  groups: string;
  /** JSON provider-specific settings (Azure api-version, deployments...). */
  settings: string;
  weight: number;
  priority: number;
  enabled: number;
  /** Who disabled it: 'admin' (stays off) or 'health' (re-enabled by a passing probe); null when enabled. */
  disabled_by?: string | null;
  simulated: number;
  created_at: number;
  updated_at: number;
}

export interface RequestLogsTable {
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
  attempts: number;
  /** JSON [{channel, status, code, ms}] of every upstream attempt, failed ones included. */
  attempt_log?: string | null;
  /** 1 when the answer came from the response cache. */
  cache_hit?: number;
  client_ip: string | null;
  /** The caller's own id of the call (`X-Client-Request-Id` or `X-Request-Id`, relay/call.ts); migration 0021. */
  client_request_id?: string | null;
  /** Micro-points charged for the call (0 when free or failed). */
  cost: number;
  /** The part of `completion_tokens` spent reasoning (this and the units below: migration 0004, 0 when none). */
  reasoning_tokens: number;
  /** Images produced. */
  images: number;
  /** Characters turned into speech. */
  characters: number;
  /** Seconds of audio heard (transcription, translation). */
  seconds: number;
  /** Rerank search units; web searches a chat call's provider ran. */
  searches: number;
  /** The part of `prompt_tokens` written to the provider's prompt cache for 5 minutes / 1 hour (migration 0010; null on older rows). */
  cache_write_5m_tokens?: number | null;
  cache_write_1h_tokens?: number | null;
}

/** One credit account per user (created by the trial grant or the first credit change). */
export interface AccountsTable {
  user_id: string;
  /** Micro-points; always equals the sum of the user's ledger rows. */
  balance: number;
  /** Bumped with every balance change, so shared state never takes an older balance. */
  version: number;
  low_balance_threshold: number | null;
  /** 1 while the balance is under the threshold and the notice was recorded (re-armed above it). */
  low_balance_notified: number;
  rpm: number | null;
  tpm: number | null;
}

export type LedgerKind = 'trial' | 'topup' | 'redeem' | 'charge' | 'refund' | 'adjust' | 'referral';

/** Append-only: rows are inserted with the balance change they record, never updated. */
export interface LedgerTable {
  id: string;
  user_id: string;
  created_at: number;
  kind: LedgerKind;
  amount: number;
  balance_after: number;
  reason: string | null;
  request_id: string | null;
}

export interface PricesTable {
  model: string;
  /** Micro-points per 1K tokens. */
  input: number;
  output: number;
  cached_input: number;
  /** Micro-points per standard image (1024x1024, standard quality, 30 steps), or null. */
  per_image: number | null;
  /** Micro-points per 1,000 characters of speech, per second of audio, per 1,000 rerank searches; null = not sold by that unit (migration 0004). */
  per_k_chars: number | null;
  per_second: number | null;
  per_k_searches: number | null;
  /** Largest output the model can produce: the worst case reserved when a call sets no limit. */
  max_output: number;
  updated_at: number;
}

export interface UserGroupsTable {
  name: string;
  /** Price multiplier in parts per million (1.0 = 1_000_000), integer so money stays exact. */
  multiplier_ppm: number;
}

export interface RedemptionCodesTable {
  id: string;
  /** SHA-256 of the normalised code (migration 0008): the code itself is shown once, at creation. */
  code_hash: string;
  /** The code's first group (`APG-ABCD`), so people can tell codes apart; null never after 0008. */
  hint: string | null;
  name: string | null;
  value: number;
  created_at: number;
  expires_at: number | null;
  redeemed_by: string | null;
  redeemed_at: number | null;
}

export interface SettingsTable {
  key: string;
  /** JSON value. */
  value: string;
  updated_at: number;
}

export interface NoticesTable {
  id: string;
  user_id: string;
  kind: string;
  message: string;
  created_at: number;
}

export interface ChannelEventsTable {
  id: string;
  channel_id: string;
  created_at: number;
  kind: string;
  detail: string;
}

/**
 * The first answer to a request sent with an Idempotency-Key (migration 0005), kept 24 hours. Written
 * in the same transaction as the credit it moved, so neither exists without the other.
 */
export interface IdempotencyKeysTable {
  /** Who asked: `user:<id>` (a console session), `root` (the root token) or `cli`. */
  scope: string;
  /** What was asked: `POST /api/admin/users/:id/credit`, `cli credit grant`... */
  route: string;
  key: string;
  /** SHA-256 of the request's parameters: a repeat must send the same ones. */
  fingerprint: string;
  /** The answer's HTTP status (200, or the refusal's); 0 only inside the claiming transaction. */
  status: number;
  /** JSON `{"ok": result}` or `{"error": {kind, message, param, code, status}}`. */
  result: string | null;
  created_at: number;
  expires_at: number;
}

/**
 * A response kept for the Responses API (migration 0006): per owner (the key's user), until
 * `expires_at`. `response` is the Response object as answered; `input_items` the items it was made
 * from (those of the responses it continued included), each with an id.
 */
export interface StoredResponsesTable {
  user_id: string;
  id: string;
  /** The model the caller asked for. */
  model: string;
  created_at: number;
  expires_at: number;
  /** JSON Response object. */
  response: string;
  /** JSON array of input items. */
  input_items: string;
}

/**
 * One admin action (migration 0009): who did what to which target, and the target's state before and
 * after as JSON (secrets never included). Append-only.
 */
export interface AuditLogTable {
  id: string;
  created_at: number;
  /** The acting user; null for the CLI. */
  actor_id: string | null;
  actor_email: string | null;
  /** How the actor proved who it is: `session`, `root_token` or `cli`. */
  via: string;
  /** What was done, e.g. `channel.update`, `credit.adjust`, `codes.create`. */
  action: string;
  /** What it was done to: `channel`, `user`, `price`, `group`, `codes`, `settings`… and its id (a model or group name for prices and groups). */
  target_type: string | null;
  target_id: string | null;
  /** JSON, or null when there was nothing before (a creation) or after (a deletion). */
  before: string | null;
  after: string | null;
  client_ip: string | null;
}

/**
 * Online recharge (migration 0009_topups, payments/). A pack an admin offers: `points` credited for
 * its price (derived per payment provider from the provider's rate), plus `bonus` on top. µP.
 */
export interface TopupPacksTable {
  id: string;
  name: string;
  points: number;
  bonus: number;
  enabled: number;
  sort: number;
  created_at: number;
  updated_at: number;
}

export type TopupStatus = 'created' | 'paid' | 'credited' | 'expired' | 'refunded';

/**
 * A top-up order: made before the payer is sent to the provider, credited exactly once when the
 * provider's authenticated callback confirms the payment (the status moves `created`/`expired` →
 * `credited` in the transaction of the ledger row). `paid` is a payment the provider confirmed that
 * was not credited (its amount or currency differ from the order's): an admin reviews it.
 */
export interface TopupOrdersTable {
  id: string;
  user_id: string;
  /** Payment provider (`epay`, `stripe`) and the method the payer chose there (`alipay`, `wxpay`, `card`). */
  provider: string;
  method: string;
  pack_id: string | null;
  /** What the payer pays, in the currency's minor units (fen, cents), and the lower-case ISO currency. */
  amount: number;
  currency: string;
  /** µP credited when paid, the bonus included; and the bonus alone. */
  credit: number;
  bonus: number;
  status: TopupStatus;
  /** The provider's reference for the checkout (Stripe's session id), known when the order is made. */
  provider_ref: string | null;
  /** The provider's number for the payment (EPay `trade_no`, Stripe's payment intent): unique per provider. */
  provider_trade_no: string | null;
  /** Where the payer pays (kept so an unpaid order can be resumed). */
  pay_url: string | null;
  /** Why a confirmed payment was not credited, or what an admin did: English sentences, one per event. */
  note: string | null;
  /** The same events as data (JSON `NoteLine[]`, payments/notes.ts), rendered per language by the console; migration 0027. */
  note_lines?: string | null;
  /** µP taken back by refunds. */
  refunded: number;
  /** Minor units the provider reported paid (the order's amount, or another for an order held for review); null when none was reported. Migration 0028. */
  paid_amount?: number | null;
  /** Minor units of the payment the provider gave back to the payer (its refunds and disputes, payments/reversal.ts); migration 0022. */
  reversed?: number;
  /** Minor units an admin's refund owes the payer through the provider's API, until it answers (payments/money-return.ts); migration 0023. */
  money_due?: number | null;
  money_due_since?: number | null;
  /** The next attempt at returning `money_due`, not before (ms). */
  money_due_at?: number | null;
  /** How often the provider was asked about the unpaid order, and when next (payments/reconcile.ts); migration 0024. */
  checks?: number;
  next_check_at?: number | null;
  created_at: number;
  expires_at: number;
  paid_at: number | null;
  credited_at: number | null;
  refunded_at: number | null;
  updated_at: number;
}

/**
 * Every authenticated payment callback the gateway acted on, once per provider event (Stripe's `evt_`
 * id; EPay's trade number and status): the primary key is what turns a replayed, re-delivered or
 * concurrent duplicate into a no-op. `detail` is the callback as received (no secret is in it).
 */
export interface PaymentEventsTable {
  provider: string;
  event_id: string;
  order_id: string | null;
  type: string;
  /** `credited`, `mismatch`, `ignored`, `unknown_order`, `expired`, … */
  outcome: string;
  received_at: number;
  detail: string;
  /** The provider's object a reversal was about (Stripe's dispute id), and the µP of credit it moved; migration 0025. */
  subject?: string | null;
  credit_moved?: number | null;
}

/** A content-safety rule (migration 0011, safety/). `words`, `groups`, `directions`: JSON arrays of strings. */
export interface SafetyRulesTable {
  id: string;
  name: string;
  /** `words` or `regex`. */
  kind: string;
  /** `block`, `mask` or `flag`. */
  action: string;
  words: string;
  pattern: string | null;
  groups: string;
  directions: string;
  enabled: number;
  created_at: number;
  updated_at: number;
}

/** One decision of a content-safety rule (migration 0011): never the checked text. */
export interface SafetyDecisionsTable {
  id: string;
  created_at: number;
  request_id: string;
  rule_id: string;
  action: string;
  /** `input` or `output`. */
  direction: string;
  user_id: string | null;
}

/**
 * A content-safety policy (migration 0016, safety/policies.ts): `scope` is `group` or `app`,
 * `target` the group's name or the App's id. `rule_ids`: JSON array (null: each rule by its own
 * groups); `actions`: JSON object rule id → action; `moderation`: JSON settings or null.
 */
export interface SafetyPoliciesTable {
  id: string;
  scope: string;
  target: string;
  rule_ids: string | null;
  actions: string;
  moderation: string | null;
  created_at: number;
  updated_at: number;
}

/** An admin's privacy policy for a user group or an App (migration 0015, privacy/). `kinds`, `patterns`: JSON. */
export interface PrivacyPoliciesTable {
  scope: string;
  target: string;
  content_logging: number;
  retention_days: number;
  redaction: string;
  kinds: string;
  patterns: string;
  updated_at: number;
}

/** One call's logged content (migration 0015): only under a policy that keeps content, until `expires_at`. */
export interface RequestContentsTable {
  request_id: string;
  user_id: string;
  app_id: string | null;
  created_at: number;
  expires_at: number;
  request: string | null;
  response: string | null;
}

export interface Database {
  users: UsersTable;
  sessions: SessionsTable;
  apps: AppsTable;
  api_keys: ApiKeysTable;
  channels: ChannelsTable;
  channel_events: ChannelEventsTable;
  request_logs: RequestLogsTable;
  accounts: AccountsTable;
  ledger: LedgerTable;
  prices: PricesTable;
  user_groups: UserGroupsTable;
  redemption_codes: RedemptionCodesTable;
  settings: SettingsTable;
  notices: NoticesTable;
  idempotency_keys: IdempotencyKeysTable;
  stored_responses: StoredResponsesTable;
  account_tokens: AccountTokensTable;
  two_factor: TwoFactorTable;
  recovery_codes: RecoveryCodesTable;
  topup_packs: TopupPacksTable;
  topup_orders: TopupOrdersTable;
  payment_events: PaymentEventsTable;
  audit_log: AuditLogTable;
  safety_rules: SafetyRulesTable;
  safety_decisions: SafetyDecisionsTable;
  support_tickets: SupportTicketsTable;
  support_messages: SupportMessagesTable;
  announcements: AnnouncementsTable;
  announcement_dismissals: AnnouncementDismissalsTable;
  referral_codes: ReferralCodesTable;
  referrals: ReferralsTable;
  safety_policies: SafetyPoliciesTable;
  privacy_policies: PrivacyPoliciesTable;
  request_contents: RequestContentsTable;
  user_onboarding: UserOnboardingTable;
}

export type Timestamp = ColumnType<number, number, number>;
export type AutoId = Generated<number>;

/** Migration 0018: support tickets. `open` waits for an admin, `answered` for the user. */
export type TicketStatus = 'open' | 'answered' | 'closed';
export interface SupportTicketsTable {
  id: string;
  user_id: string;
  subject: string;
  status: TicketStatus;
  /** A call of the user's request log the ticket is about. */
  request_id: string | null;
  created_at: number;
  updated_at: number;
  last_user_at: number;
  last_admin_at: number | null;
  /** When the user / an admin last read the thread: later replies of the other side are unread. */
  user_read_at: number;
  admin_read_at: number;
  closed_at: number | null;
}

export interface SupportMessagesTable {
  id: string;
  ticket_id: string;
  author_id: string;
  author_role: 'user' | 'admin';
  body: string;
  created_at: number;
}

export interface AnnouncementsTable {
  id: string;
  /** `info`, `success` or `warning`: how the dashboard shows it. */
  level: string;
  title_en: string;
  title_zh: string;
  body_en: string;
  body_zh: string;
  published: number;
  published_at: number | null;
  created_at: number;
  updated_at: number;
}

export interface AnnouncementDismissalsTable {
  user_id: string;
  announcement_id: string;
  dismissed_at: number;
}

export interface ReferralCodesTable {
  user_id: string;
  code: string;
  rewards: number;
  created_at: number;
}

export interface ReferralsTable {
  invitee_id: string;
  inviter_id: string;
  created_at: number;
  first_order_id: string | null;
  first_paid_at: number | null;
  /** `rewarded`, `disabled` (rewards off then) or `cap_reached` (the inviter had all rewards allowed). */
  outcome: string | null;
  inviter_reward: number;
  invitee_reward: number;
  /** Migration 0019: what a refund of the first paid order took back from each side (at most the reward). */
  inviter_reclaimed: number;
  invitee_reclaimed: number;
  reclaimed_at: number | null;
}

/** Migration 0017: the profile step offered once after sign-up (`accounts/onboarding.ts`). */
export type OnboardingState = 'pending' | 'done' | 'skipped';
export interface UserOnboardingTable {
  user_id: string;
  state: OnboardingState;
  organisation: string | null;
  /** What the user says they build. */
  building: string | null;
  /** JSON array of the service ids ticked (`openai`, `claude`, ...). */
  services: string | null;
  /** The first App the step made. */
  app_id: string | null;
  created_at: number;
  updated_at: number;
}
