import { createHash } from 'node:crypto';
import { type Kysely, type Migration, type MigrationProvider, Migrator } from 'kysely';
import { installChangeCounters } from './change-counters.js';
import { SUPPORT_AND_REFERRALS } from './migration-0018.js';
import { ONBOARDING } from './migration-0017.js';
import { SAFETY_DECISIONS_BY_REQUEST } from './migration-0020.js';
import { REFERRAL_RECLAIMS } from './migration-0019.js';
import { CLIENT_REQUEST_IDS } from './migration-0021.js';
import { ORDER_REVERSALS } from './migration-0022.js';
import { MONEY_RETURNS } from './migration-0023.js';
import { ORDER_CHECKS } from './migration-0024.js';
import { DISPUTE_OUTCOMES } from './migration-0025.js';
import { ORDER_CHECKS_BACKFILL } from './migration-0026.js';
import { ORDER_NOTE_LINES } from './migration-0027.js';
import { ORDER_PAID_AMOUNT } from './migration-0028.js';

/** Routing and health: who disabled a channel, its event history, per-attempt logs, the cache. */
const ROUTING: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable('channels').addColumn('disabled_by', 'text').execute();
    await db.schema
      .createTable('channel_events')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('channel_id', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('detail', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('channel_events_channel').on('channel_events').columns(['channel_id', 'created_at']).execute();
    await db.schema.alterTable('request_logs').addColumn('attempt_log', 'text').execute();
    await db.schema.alterTable('request_logs').addColumn('cache_hit', 'integer', (c) => c.notNull().defaultTo(0)).execute();
    await db.schema.alterTable('api_keys').addColumn('cache_ttl_sec', 'integer').execute();
  },
};

/**
 * Units besides tokens: prices per 1K characters (speech), per second (transcription) and per 1K
 * searches (rerank), and the log columns that meter them with reasoning tokens and images.
 */
const PRICED_UNITS: Migration = {
  async up(db: Kysely<any>) {
    // SQLite adds one column per ALTER TABLE.
    for (const name of ['per_k_chars', 'per_second', 'per_k_searches']) await db.schema.alterTable('prices').addColumn(name, 'bigint').execute();
    for (const name of ['reasoning_tokens', 'images', 'characters', 'seconds', 'searches'])
      await db.schema.alterTable('request_logs').addColumn(name, 'integer', (c) => c.notNull().defaultTo(0)).execute();
  },
};

/**
 * Idempotency-Key records (billing/idempotency.ts): one row per caller, route and key, written in the
 * transaction that moves the credit, holding the first answer for 24 hours. The primary key is what
 * lets only one of two concurrent requests with the same key claim it.
 */
const IDEMPOTENCY: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('idempotency_keys')
      .addColumn('scope', 'text', (c) => c.notNull())
      .addColumn('route', 'text', (c) => c.notNull())
      .addColumn('key', 'text', (c) => c.notNull())
      .addColumn('fingerprint', 'text', (c) => c.notNull())
      .addColumn('status', 'integer', (c) => c.notNull())
      .addColumn('result', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('idempotency_keys_pk', ['scope', 'route', 'key'])
      .execute();
    await db.schema.createIndex('idempotency_keys_expiry').on('idempotency_keys').column('expires_at').execute();
  },
};

/**
 * Stored responses of the Responses API (`store: true`, responses-store/): one row per owner and
 * response id, so two accounts can never share a row; `expires_at` bounds the retention and is what
 * pruning scans. The Response object and the input items it was made from are JSON text.
 */
const RESPONSES: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('stored_responses')
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('id', 'text', (c) => c.notNull())
      .addColumn('model', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('response', 'text', (c) => c.notNull())
      .addColumn('input_items', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('stored_responses_pk', ['user_id', 'id'])
      .execute();
    await db.schema.createIndex('stored_responses_expiry').on('stored_responses').column('expires_at').execute();
  },
};

/**
 * Redemption codes stored hashed (issue 14), like API keys: `code` becomes `code_hash`, the SHA-256
 * of the code as redemption normalises it (trimmed, upper case: billing/codes.ts `hashCode` must
 * agree), and `hint` keeps its first group (`APG-ABCD`) so people can tell codes apart. Codes made
 * before are hashed in place. Idempotency records of code batches hold the clear codes of their
 * first answer: they are deleted (a batch retried across the upgrade is a new batch).
 */
const HASHED_CODES: Migration = {
  async up(db: Kysely<any>) {
    // Atomic with the rest of the run: the Migrator runs the pending migrations and their records in
    // one transaction on SQLite too (storage/database.ts, AtomicDdlSqliteAdapter), so a crash cannot
    // leave some codes hashed.
    await db.schema.alterTable('redemption_codes').renameColumn('code', 'code_hash').execute();
    await db.schema.alterTable('redemption_codes').addColumn('hint', 'text').execute();
    const rows = (await db.selectFrom('redemption_codes').select(['id', 'code_hash']).execute()) as { id: string; code_hash: string }[];
    for (const r of rows) {
      const clear = r.code_hash.trim().toUpperCase();
      await db.updateTable('redemption_codes').set({ code_hash: createHash('sha256').update(clear).digest('hex'), hint: clear.slice(0, 8) }).where('id', '=', r.id).execute();
    }
    await db.deleteFrom('idempotency_keys').where('route', 'in', ['POST /api/admin/codes', 'cli code create']).execute();
  },
};

/**
 * The admin audit log (issue 14): one row per admin action — who (user, or the CLI), how (session,
 * root token, CLI), what, on which target, the state before and after (secrets never included), from
 * which address. Written in the transaction of the change it records, where the change has one.
 */
const AUDIT_LOG: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('audit_log')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('actor_id', 'text')
      .addColumn('actor_email', 'text')
      .addColumn('via', 'text', (c) => c.notNull())
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('target_type', 'text')
      .addColumn('target_id', 'text')
      .addColumn('before', 'text')
      .addColumn('after', 'text')
      .addColumn('client_ip', 'text')
      .execute();
    await db.schema.createIndex('audit_log_time').on('audit_log').columns(['created_at', 'id']).execute();
    await db.schema.createIndex('audit_log_actor').on('audit_log').columns(['actor_id', 'created_at']).execute();
    await db.schema.createIndex('audit_log_target').on('audit_log').columns(['target_type', 'target_id', 'created_at']).execute();
    await db.schema.createIndex('audit_log_action').on('audit_log').columns(['action', 'created_at']).execute();
  },
};

/**
 * Online recharge (payments/): packs an admin offers, top-up orders, and the payment callbacks acted
 * on. An order's provider payment number is unique per provider, and a callback event is stored once
 * (primary key): with the order's conditional status change, a paid order is credited exactly once.
 */
const TOPUPS: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('topup_packs')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('points', 'bigint', (c) => c.notNull())
      .addColumn('bonus', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
      .addColumn('sort', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('topup_orders')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('provider', 'text', (c) => c.notNull())
      .addColumn('method', 'text', (c) => c.notNull())
      .addColumn('pack_id', 'text')
      .addColumn('amount', 'bigint', (c) => c.notNull())
      .addColumn('currency', 'text', (c) => c.notNull())
      .addColumn('credit', 'bigint', (c) => c.notNull())
      .addColumn('bonus', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('provider_ref', 'text')
      .addColumn('provider_trade_no', 'text')
      .addColumn('pay_url', 'text')
      .addColumn('note', 'text')
      .addColumn('refunded', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('paid_at', 'bigint')
      .addColumn('credited_at', 'bigint')
      .addColumn('refunded_at', 'bigint')
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('topup_orders_user').on('topup_orders').columns(['user_id', 'created_at']).execute();
    await db.schema.createIndex('topup_orders_status').on('topup_orders').columns(['status', 'created_at']).execute();
    await db.schema.createIndex('topup_orders_time').on('topup_orders').column('created_at').execute();
    // NULLs never collide: only payments the provider numbered are unique.
    await db.schema.createIndex('topup_orders_trade').on('topup_orders').columns(['provider', 'provider_trade_no']).unique().execute();
    await db.schema
      .createTable('payment_events')
      .addColumn('provider', 'text', (c) => c.notNull())
      .addColumn('event_id', 'text', (c) => c.notNull())
      .addColumn('order_id', 'text')
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('outcome', 'text', (c) => c.notNull())
      .addColumn('received_at', 'bigint', (c) => c.notNull())
      .addColumn('detail', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('payment_events_pk', ['provider', 'event_id'])
      .execute();
    await db.schema.createIndex('payment_events_order').on('payment_events').columns(['order_id', 'received_at']).execute();
  },
};

/**
 * Two-factor sign-in (accounts/two-factor.ts): the TOTP secret of an account, sealed like channel
 * secrets, with the last time step a code was accepted for (a code works once); its recovery codes,
 * stored as hashes and kept after use so the console can say how many are left; and on the user
 * row when two-factor sign-in was turned on (null when off), which the user views carry.
 */
const TWO_FACTOR: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable('users').addColumn('two_factor_at', 'bigint').execute();
    await db.schema
      .createTable('two_factor')
      .addColumn('user_id', 'text', (c) => c.primaryKey().references('users.id').onDelete('cascade'))
      .addColumn('secret', 'text', (c) => c.notNull())
      .addColumn('enabled_at', 'bigint')
      .addColumn('last_step', 'bigint')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('recovery_codes')
      .addColumn('code_hash', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('used_at', 'bigint')
      .execute();
    await db.schema.createIndex('recovery_codes_user').on('recovery_codes').column('user_id').execute();
  },
};

/**
 * Accounts and mail (issue 14). `users.email_verified_at`: when the address was proven by a mailed
 * link; `users.email_pending`: 1 while a self-made account waits for that proof, and its opening (the
 * trial credit) with it. Accounts made before are neither verified nor waiting. `account_tokens`:
 * single-use links (email verification, password reset), stored as SHA-256 hashes with their expiry.
 * `sessions.last_seen_at` and `idle_ms`: a session's last use and how long it may go unused
 * (APIGPT_SESSION_IDLE_MINUTES, set on every session at start); existing sessions start now.
 */
const ACCOUNT_MAIL: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable('users').addColumn('email_verified_at', 'bigint').execute();
    await db.schema.alterTable('users').addColumn('email_pending', 'integer', (c) => c.notNull().defaultTo(0)).execute();
    await db.schema.alterTable('sessions').addColumn('last_seen_at', 'bigint').execute();
    await db.schema.alterTable('sessions').addColumn('idle_ms', 'bigint').execute();
    await db.updateTable('sessions').set({ last_seen_at: Date.now() }).execute();
    await db.schema
      .createTable('account_tokens')
      .addColumn('token_hash', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('purpose', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('account_tokens_user').on('account_tokens').columns(['user_id', 'purpose']).execute();
  },
};

/**
 * Prompt-cache accounting per channel (issue 12): the prompt tokens each call wrote to the
 * provider's prompt cache, by lifetime (Anthropic's 5-minute and 1-hour writes), beside the cached
 * (read) tokens the log already has; and an index for the per-channel figures of the last 24 hours.
 * Nullable (0 by default): a row written by an older process (a journal replayed at start) has none.
 */
const CACHE_AFFINITY: Migration = {
  async up(db: Kysely<any>) {
    for (const name of ['cache_write_5m_tokens', 'cache_write_1h_tokens']) await db.schema.alterTable('request_logs').addColumn(name, 'integer', (c) => c.defaultTo(0)).execute();
    await db.schema.createIndex('request_logs_channel_time').on('request_logs').columns(['channel_id', 'created_at']).execute();
  },
};

/**
 * Content safety (issue 15, safety/): the admins' rules (word lists and regular expressions, with
 * their action, user groups and directions; lists as JSON text) and one row per decision a rule
 * made — rule, action, request, direction — never the checked text.
 */
const SAFETY_RULES: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('safety_rules')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('words', 'text', (c) => c.notNull())
      .addColumn('pattern', 'text')
      .addColumn('groups', 'text', (c) => c.notNull())
      .addColumn('directions', 'text', (c) => c.notNull())
      .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('safety_decisions')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('request_id', 'text', (c) => c.notNull())
      .addColumn('rule_id', 'text', (c) => c.notNull())
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('direction', 'text', (c) => c.notNull())
      .addColumn('user_id', 'text')
      .execute();
    await db.schema.createIndex('safety_decisions_time').on('safety_decisions').columns(['created_at', 'id']).execute();
    await db.schema.createIndex('safety_decisions_rule').on('safety_decisions').columns(['rule_id', 'created_at']).execute();
  },
};

/**
 * Content-safety policies (issue 15): per user group or per App, which rules apply and with which
 * actions, and the moderation model's settings (channel model, per-category thresholds, timeout,
 * fail open or closed). JSON text; one row per (scope, target).
 */
const SAFETY_POLICIES: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('safety_policies')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('scope', 'text', (c) => c.notNull())
      .addColumn('target', 'text', (c) => c.notNull())
      .addColumn('rule_ids', 'text')
      .addColumn('actions', 'text', (c) => c.notNull())
      .addColumn('moderation', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addUniqueConstraint('safety_policies_target', ['scope', 'target'])
      .execute();
  },
};

/**
 * Privacy protection (issue 15, privacy/): the admins' policies per user group and per App (content
 * logging with its retention, redaction mode, kinds and custom patterns as JSON text) and the
 * content log, which exists only for calls under a policy that keeps content, each row with its own
 * expiry for the purge.
 */
const PRIVACY: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('privacy_policies')
      .addColumn('scope', 'text', (c) => c.notNull())
      .addColumn('target', 'text', (c) => c.notNull())
      .addColumn('content_logging', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('retention_days', 'integer', (c) => c.notNull())
      .addColumn('redaction', 'text', (c) => c.notNull())
      .addColumn('kinds', 'text', (c) => c.notNull())
      .addColumn('patterns', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('privacy_policies_pk', ['scope', 'target'])
      .execute();
    await db.schema
      .createTable('request_contents')
      .addColumn('request_id', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('app_id', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('request', 'text')
      .addColumn('response', 'text')
      .execute();
    await db.schema.createIndex('request_contents_expiry').on('request_contents').column('expires_at').execute();
    await db.schema.createIndex('request_contents_user').on('request_contents').columns(['user_id', 'created_at']).execute();
    // Deleted accounts (account deletion keeps the row, pseudonymised, for the ledger's sake).
    await db.schema.alterTable('users').addColumn('deleted_at', 'bigint').execute();
  },
};

/**
 * Migrations are code, applied in name order at start (and by `apigpt migrate`). Types are chosen to
 * mean the same on SQLite and PostgreSQL: text ids, bigint times and money, integer flags.
 */
export const MIGRATIONS: Record<string, Migration> = {
  '0001_foundation': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('users')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('email', 'text', (c) => c.notNull().unique())
        .addColumn('password_hash', 'text', (c) => c.notNull())
        .addColumn('display_name', 'text')
        .addColumn('role', 'text', (c) => c.notNull().defaultTo('user'))
        .addColumn('group_name', 'text', (c) => c.notNull().defaultTo('default'))
        .addColumn('status', 'text', (c) => c.notNull().defaultTo('active'))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('sessions')
        .addColumn('token_hash', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('apps')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('description', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('deleted_at', 'bigint')
        .execute();
      await db.schema.createIndex('apps_user').on('apps').column('user_id').execute();

      await db.schema
        .createTable('api_keys')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('app_id', 'text', (c) => c.notNull().references('apps.id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('key_hash', 'text', (c) => c.notNull().unique())
        .addColumn('prefix', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('revoked_at', 'bigint')
        .addColumn('last_used_at', 'bigint')
        .execute();
      await db.schema.createIndex('api_keys_app').on('api_keys').column('app_id').execute();
      await db.schema.createIndex('api_keys_prefix').on('api_keys').column('prefix').execute();

      await db.schema
        .createTable('channels')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('provider', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('base_url', 'text', (c) => c.notNull())
        .addColumn('secret_enc', 'text')
        .addColumn('models', 'text', (c) => c.notNull().defaultTo('[]'))
        .addColumn('model_map', 'text', (c) => c.notNull().defaultTo('{}'))
        .addColumn('groups', 'text', (c) => c.notNull().defaultTo('[]'))
        .addColumn('settings', 'text', (c) => c.notNull().defaultTo('{}'))
        .addColumn('weight', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('priority', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('simulated', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('request_logs')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('app_id', 'text')
        .addColumn('key_id', 'text')
        .addColumn('key_prefix', 'text')
        .addColumn('endpoint', 'text', (c) => c.notNull())
        .addColumn('dialect', 'text', (c) => c.notNull())
        .addColumn('model_requested', 'text')
        .addColumn('model_sent', 'text')
        .addColumn('channel_id', 'text')
        .addColumn('stream', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('status', 'integer', (c) => c.notNull())
        .addColumn('error_code', 'text')
        .addColumn('error_message', 'text')
        .addColumn('latency_ms', 'integer', (c) => c.notNull())
        .addColumn('ttft_ms', 'integer')
        .addColumn('prompt_tokens', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('completion_tokens', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('cached_tokens', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('client_ip', 'text')
        .execute();
      await db.schema.createIndex('request_logs_user_time').on('request_logs').columns(['user_id', 'created_at']).execute();
      await db.schema.createIndex('request_logs_time').on('request_logs').column('created_at').execute();
    },
  },
  '0002_billing': {
    async up(db: Kysely<any>) {
      await db.schema.alterTable('request_logs').addColumn('cost', 'bigint', (c) => c.notNull().defaultTo(0)).execute();
      // SQLite adds one column per ALTER TABLE.
      const keyColumns: [string, 'bigint' | 'text' | 'integer'][] = [
        ['credit_limit', 'bigint'],
        ['expires_at', 'bigint'],
        ['allowed_models', 'text'],
        ['allowed_ips', 'text'],
        ['allowed_origins', 'text'],
        ['rpm', 'integer'],
        ['tpm', 'integer'],
      ];
      for (const [name, type] of keyColumns) await db.schema.alterTable('api_keys').addColumn(name, type).execute();
      await db.schema.alterTable('api_keys').addColumn('spent', 'bigint', (c) => c.notNull().defaultTo(0)).execute();
      await db.schema.alterTable('api_keys').addColumn('billing_version', 'bigint', (c) => c.notNull().defaultTo(0)).execute();

      await db.schema
        .createTable('accounts')
        .addColumn('user_id', 'text', (c) => c.primaryKey().references('users.id').onDelete('cascade'))
        .addColumn('balance', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('version', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('low_balance_threshold', 'bigint')
        .addColumn('low_balance_notified', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('rpm', 'integer')
        .addColumn('tpm', 'integer')
        .execute();

      await db.schema
        .createTable('ledger')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('amount', 'bigint', (c) => c.notNull())
        .addColumn('balance_after', 'bigint', (c) => c.notNull())
        .addColumn('reason', 'text')
        .addColumn('request_id', 'text')
        .execute();
      await db.schema.createIndex('ledger_user_time').on('ledger').columns(['user_id', 'created_at']).execute();
      await db.schema.createIndex('ledger_request').on('ledger').column('request_id').execute();

      await db.schema
        .createTable('prices')
        .addColumn('model', 'text', (c) => c.primaryKey())
        .addColumn('input', 'bigint', (c) => c.notNull())
        .addColumn('output', 'bigint', (c) => c.notNull())
        .addColumn('cached_input', 'bigint', (c) => c.notNull())
        .addColumn('per_image', 'bigint')
        .addColumn('max_output', 'integer', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('user_groups')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('multiplier_ppm', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('redemption_codes')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('code', 'text', (c) => c.notNull().unique())
        .addColumn('name', 'text')
        .addColumn('value', 'bigint', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint')
        .addColumn('redeemed_by', 'text')
        .addColumn('redeemed_at', 'bigint')
        .execute();

      await db.schema
        .createTable('settings')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('notices')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('message', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('notices_user').on('notices').columns(['user_id', 'created_at']).execute();
    },
  },
  '0003_routing': ROUTING,
  '0004_priced_units': PRICED_UNITS,
  '0005_idempotency': IDEMPOTENCY,
  '0006_responses': RESPONSES,
  '0007_account_mail': ACCOUNT_MAIL,
  '0009_topups': TOPUPS,
  '0008_hashed_codes': HASHED_CODES,
  '0009_audit_log': AUDIT_LOG,
  '0010_cache_affinity': CACHE_AFFINITY,
  '0011_safety_rules': SAFETY_RULES,
  '0018_support_and_referrals': SUPPORT_AND_REFERRALS,
  '0017_onboarding': ONBOARDING,
  '0019_referral_reclaims': REFERRAL_RECLAIMS,
  '0016_safety_policies': SAFETY_POLICIES,
  '0015_privacy': PRIVACY,
  '0012_two_factor': TWO_FACTOR,
  '0020_safety_decisions_by_request': SAFETY_DECISIONS_BY_REQUEST,
  '0021_client_request_ids': CLIENT_REQUEST_IDS,
  '0022_order_reversals': ORDER_REVERSALS,
  '0023_money_returns': MONEY_RETURNS,
  '0024_order_checks': ORDER_CHECKS,
  '0025_dispute_outcomes': DISPUTE_OUTCOMES,
  '0026_order_checks_backfill': ORDER_CHECKS_BACKFILL,
  '0027_order_note_lines': ORDER_NOTE_LINES,
  '0028_order_paid_amount': ORDER_PAID_AMOUNT,
};


/**
 * `schema`: the PostgreSQL schema the tables live in. Kysely looks for its bookkeeping tables in any
 * schema unless told which, so without it a second schema in the same database would be mistaken
 * for this one.
 */
export async function migrateToLatest(db: Kysely<any>, opts: { schema?: string } = {}, migrations: Record<string, Migration> = MIGRATIONS): Promise<string[]> {
  const provider: MigrationProvider = { getMigrations: async () => migrations };
  // Migrations written in parallel branches may land out of name order; each is still applied once.
  const migrator = new Migrator({ db, provider, allowUnorderedMigrations: true, ...(opts.schema ? { migrationTableSchema: opts.schema } : {}) });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  await installChangeCounters(db, opts);
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

