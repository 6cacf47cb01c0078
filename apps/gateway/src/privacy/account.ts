import { randomBytes } from 'node:crypto';
import { sha256 } from '../core/crypto.js';
import type { Db } from '../storage/database.js';
import type { Clock, ContentLog } from './contents.js';

/** The most request-log rows an export carries (newest first); the export says when there were more. */
export const EXPORT_LOG_ROWS = 100_000;

/** The columns of a key an export may show: never its hash. */
const KEY_COLUMNS = ['id', 'app_id', 'name', 'prefix', 'created_at', 'revoked_at', 'last_used_at', 'expires_at', 'credit_limit', 'spent', 'allowed_models', 'allowed_ips', 'allowed_origins', 'rpm', 'tpm'] as const;

/** What a deletion did, for the caller and the audit. */
export interface DeletionResult {
  keysRevoked: number;
  contentsDeleted: number;
  storedResponsesDeleted: number;
  sessionsEnded: number;
  /** The address the account now has (a pseudonym). */
  pseudonym: string;
}

/** The pseudonym a deleted account's address becomes: stable for the id (unique like the address was), telling nothing of the person. */
export function pseudonymFor(userId: string): string {
  return `deleted-${sha256(userId).slice(0, 20)}@deleted.invalid`;
}

/**
 * A user's own data: the export (GDPR / PIPL access: everything the gateway keeps about them, as
 * JSON) and the deletion (keys revoked, content purged, personal fields removed; the ledger stays,
 * its rows pointing at an account that no longer names anyone).
 */
export class AccountData {
  constructor(
    private readonly db: Db,
    private readonly contents: ContentLog,
    private readonly clock: Clock,
  ) {}

  async export(userId: string): Promise<Record<string, unknown>> {
    const db = this.db;
    const user = await db.selectFrom('users').select(['id', 'email', 'display_name', 'role', 'group_name', 'status', 'created_at', 'updated_at', 'email_verified_at']).where('id', '=', userId).executeTakeFirstOrThrow();
    const [apps, keys, account, ledger, logs, usage, orders, responses, contents] = await Promise.all([
      db.selectFrom('apps').select(['id', 'name', 'description', 'created_at', 'deleted_at']).where('user_id', '=', userId).orderBy('created_at').execute(),
      db.selectFrom('api_keys').select([...KEY_COLUMNS]).where('user_id', '=', userId).orderBy('created_at').execute(),
      db.selectFrom('accounts').select(['balance', 'low_balance_threshold', 'rpm', 'tpm']).where('user_id', '=', userId).executeTakeFirst(),
      db.selectFrom('ledger').select(['id', 'created_at', 'kind', 'amount', 'balance_after', 'reason', 'request_id']).where('user_id', '=', userId).orderBy('created_at').orderBy('id').execute(),
      db.selectFrom('request_logs').selectAll().where('user_id', '=', userId).orderBy('created_at', 'desc').limit(EXPORT_LOG_ROWS + 1).execute(),
      db
        .selectFrom('request_logs')
        .select((eb) => ['model_requested', eb.fn.countAll<number>().as('calls'), eb.fn.sum<number>('prompt_tokens').as('prompt_tokens'), eb.fn.sum<number>('completion_tokens').as('completion_tokens'), eb.fn.sum<number>('cost').as('cost')])
        .where('user_id', '=', userId)
        .groupBy('model_requested')
        .orderBy('model_requested')
        .execute(),
      db.selectFrom('topup_orders').select(['id', 'provider', 'method', 'amount', 'currency', 'credit', 'bonus', 'status', 'created_at', 'paid_at', 'credited_at', 'refunded', 'refunded_at']).where('user_id', '=', userId).orderBy('created_at').execute(),
      db.selectFrom('stored_responses').select(['id', 'model', 'created_at', 'expires_at', 'response']).where('user_id', '=', userId).where('expires_at', '>', this.clock.now()).execute(),
      this.contents.forUser(userId),
    ]);
    // Support tickets with their threads (the user's own words and the answers), and the invitation code.
    const tickets = await db.selectFrom('support_tickets').select(['id', 'subject', 'status', 'request_id', 'created_at', 'updated_at', 'closed_at']).where('user_id', '=', userId).orderBy('created_at').execute();
    const messages = tickets.length
      ? await db.selectFrom('support_messages').select(['ticket_id', 'author_role', 'body', 'created_at']).where('ticket_id', 'in', tickets.map((x) => x.id)).orderBy('created_at').orderBy('id').execute()
      : [];
    const referral = await db.selectFrom('referral_codes').select(['code', 'rewards', 'created_at']).where('user_id', '=', userId).executeTakeFirst();
    const invitedBy = await db.selectFrom('referrals').select(['created_at', 'first_order_id', 'outcome', 'invitee_reward']).where('invitee_id', '=', userId).executeTakeFirst();
    // The welcome step's answers (accounts/onboarding.ts): what the user said about themselves.
    const welcome = await db.selectFrom('user_onboarding').select(['state', 'organisation', 'building', 'services', 'app_id', 'created_at', 'updated_at']).where('user_id', '=', userId).executeTakeFirst();
    const num = (v: unknown) => (v === null || v === undefined ? v : Number(v));
    return {
      format: 'apigpt-account-export/1',
      exportedAt: new Date(this.clock.now()).toISOString(),
      units: { money: 'micro-points (1 point = 1,000,000)', times: 'milliseconds since 1970-01-01 UTC' },
      profile: user,
      apps,
      keys: keys.map((k) => ({ ...k, allowed_models: parseList(k.allowed_models), allowed_ips: parseList(k.allowed_ips), allowed_origins: parseList(k.allowed_origins) })),
      account: account ? { balance: num(account.balance), lowBalanceThreshold: num(account.low_balance_threshold), rpm: account.rpm, tpm: account.tpm } : null,
      ledger: ledger.map((l) => ({ ...l, amount: num(l.amount), balance_after: num(l.balance_after) })),
      usage: usage.map((u) => ({ model: u.model_requested, calls: num(u.calls), promptTokens: num(u.prompt_tokens), completionTokens: num(u.completion_tokens), cost: num(u.cost) })),
      requestLogs: logs.slice(0, EXPORT_LOG_ROWS).map((r) => ({ ...r, cost: num(r.cost) })),
      requestLogsTruncated: logs.length > EXPORT_LOG_ROWS,
      topupOrders: orders,
      storedResponses: responses.map((r) => ({ id: r.id, model: r.model, created_at: r.created_at, expires_at: r.expires_at, response: JSON.parse(r.response) as unknown })),
      loggedContent: contents,
      supportTickets: tickets.map((x) => ({ ...x, messages: messages.filter((m) => m.ticket_id === x.id).map(({ ticket_id: _t, ...m }) => m) })),
      invitationCode: referral ?? null,
      invitedBy: invitedBy ? { ...invitedBy, invitee_reward: num(invitedBy.invitee_reward) } : null,
      welcomeProfile: welcome ? { ...welcome, services: parseList(welcome.services) } : null,
    };
  }

  /**
   * Deletes the account in one transaction: keys revoked, sessions and mailed links ended, logged
   * content and stored responses deleted, the profile's personal fields removed (the address a
   * pseudonym, the password unusable), the request log's client addresses dropped. The ledger and
   * the balance stay for accounting, pseudonymised: they point at the user id, which no longer
   * names anyone. `within` runs last in the same transaction (the admin's audit row).
   */
  async delete(userId: string, within?: (trx: Db, result: DeletionResult) => Promise<void>): Promise<DeletionResult> {
    const now = this.clock.now();
    const pseudonym = pseudonymFor(userId);
    // Not a hash of anything: no password can ever match it.
    const unusable = `deleted$${randomBytes(24).toString('base64url')}`;
    await this.contents.flush();
    return this.db.transaction().execute(async (trx) => {
      const keys = await trx.updateTable('api_keys').set({ revoked_at: now }).where('user_id', '=', userId).where('revoked_at', 'is', null).executeTakeFirst();
      await trx.updateTable('apps').set({ name: 'deleted', description: null, deleted_at: now }).where('user_id', '=', userId).execute();
      const sessions = await trx.deleteFrom('sessions').where('user_id', '=', userId).executeTakeFirst();
      await trx.deleteFrom('account_tokens').where('user_id', '=', userId).execute();
      // Two-factor sign-in: the sealed secret and the recovery codes go with the account.
      await trx.deleteFrom('two_factor').where('user_id', '=', userId).execute();
      await trx.deleteFrom('recovery_codes').where('user_id', '=', userId).execute();
      const contents = await this.contents.deleteForUser(userId, trx);
      const stored = await trx.deleteFrom('stored_responses').where('user_id', '=', userId).executeTakeFirst();
      await trx.updateTable('request_logs').set({ client_ip: null }).where('user_id', '=', userId).execute();
      await trx.updateTable('topup_orders').set({ pay_url: null }).where('user_id', '=', userId).execute();
      // Support threads are the user's own words: gone with the account. The invitation code stops
      // working; who invited whom stays (rewards paid are in the ledger), pointing at the pseudonym.
      await trx.deleteFrom('support_messages').where('ticket_id', 'in', (eb) => eb.selectFrom('support_tickets').select('id').where('user_id', '=', userId)).execute();
      await trx.deleteFrom('support_tickets').where('user_id', '=', userId).execute();
      await trx.deleteFrom('referral_codes').where('user_id', '=', userId).execute();
      await trx.deleteFrom('announcement_dismissals').where('user_id', '=', userId).execute();
      // The welcome step's profile (organisation, what they build) is the user's own words too.
      await trx.deleteFrom('user_onboarding').where('user_id', '=', userId).execute();
      await trx
        .updateTable('users')
        .set({ email: pseudonym, display_name: null, password_hash: unusable, status: 'disabled', email_verified_at: null, email_pending: 0, two_factor_at: null, deleted_at: now, updated_at: now })
        .where('id', '=', userId)
        .execute();
      const result = { keysRevoked: Number(keys.numUpdatedRows), contentsDeleted: contents, storedResponsesDeleted: Number(stored.numDeletedRows), sessionsEnded: Number(sessions.numDeletedRows), pseudonym };
      // The caller's own record of the deletion (an admin's audit row) commits with it, or neither does.
      await within?.(trx, result);
      return result;
    });
  }
}

function parseList(v: string | null): string[] | null {
  return v === null ? null : (JSON.parse(v) as string[]);
}
