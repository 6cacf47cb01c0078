import { newId } from '../core/ids.js';
import type { Logger } from '../core/logger.js';
import type { Journal } from '../batch/journal.js';
import { LogThrottle } from '../core/log-throttle.js';
import type { RequestLogRow } from '../batch/types.js';
import type { BatchParticipant } from '../relay/request-log.js';
import type { CommitEntry, SharedState } from '../state/shared-state.js';
import type { Db, InsertMany } from '../storage/database.js';
import type { LedgerTable } from '../storage/schema.js';
import { batchAccountWrites, type KeyUse } from './batch-accounts.js';
import { keyPool, userPool, watchLowBalance } from './ledger.js';

/** Pauses before trying again to tell shared state about committed charges (Redis away). */
const STATE_RETRY_MS = [100, 500, 2_000, 5_000];

/** A journal that cannot be written is said once per this many ms (with a count). */
const JOURNAL_ERROR_EVERY_MS = 10_000;

/**
 * The charges of settled calls on their way to the database. Each charged row is first appended to
 * the journal (`record`, durable before the call's answer completes), then rides the request log's
 * next batch. Once a batch is committed, shared state learns the pools' new committed values and
 * releases the calls' holds in one atomic step; the journal forgets the rows. When shared state
 * cannot be told (Redis away), the step is kept and tried again until it can: it is idempotent (a
 * hold is released once), and if this process dies first, its lease lapses and the holds are
 * released by another process anyway.
 */
export class ChargeWriter implements BatchParticipant {
  /** Calls whose holds are released when their row is committed. */
  private readonly held = new Set<string>();
  private readonly preparing = new Set<Promise<unknown>>();
  private readonly unsent: { entries: CommitEntry[]; dropped: string[] }[] = [];
  private retryTimer: NodeJS.Timeout | null = null;
  private retries = 0;
  private journal: Journal | null = null;
  /** A journal that cannot be written fails every call's append: one line per JOURNAL_ERROR_EVERY_MS. */
  private readonly journalErrors = new LogThrottle(JOURNAL_ERROR_EVERY_MS);

  constructor(
    private readonly state: SharedState,
    private readonly log: Logger,
  ) {}

  /** The journal's device has no room for its next file (batch/journal.ts `full`). */
  get journalFull(): boolean {
    return this.journal?.full ?? false;
  }

  /** The journal's writes so far, by path (null: no journal yet): what tests read. */
  get journalWrites(): { readonly inline: number; readonly groups: number; readonly lazy: number; readonly syncs: number } | null {
    return this.journal?.writes ?? null;
  }

  /** From now on charged rows are journaled before their calls complete. */
  useJournal(journal: Journal): void {
    this.journal = journal;
  }

  /**
   * A call reserved `reservation` µP under `log.id`: its hold is released when its row is committed,
   * and its intent (the log row so far) is journaled while the provider answers (batch/journal.ts).
   */
  reserved(log: RequestLogRow, reservation: number): void {
    this.held.add(log.id);
    this.journal?.intend(log, reservation);
  }

  /**
   * A reservation whose outcome is unknown (shared state failed to answer): whatever it may have
   * held is released, now or once shared state is back. Releasing a hold that was never made moves
   * nothing.
   */
  abandon(holdId: string): void {
    void this.tell([], [holdId]);
  }

  /**
   * Makes a charged row durable: resolves once it is in the journal (or, when the journal cannot be
   * written, once its batch is committed — `committedSoon`).
   */
  async record(row: RequestLogRow, committedSoon: () => Promise<void>): Promise<void> {
    if (row.cost <= 0) {
      this.journal?.forget(row.id);
      return;
    }
    if (!this.journal) return committedSoon();
    try {
      await this.journal.append(row);
    } catch (err) {
      const held = this.journalErrors.pass();
      if (held !== null) this.log.error(`billing: the journal could not be written; waiting for the database instead${held ? ` (and ${held} more calls since the last line)` : ''}`, err);
      await committedSoon();
    }
  }

  /** Tracks a settlement in progress, so `flush()` waits for its row. */
  track<T>(p: Promise<T>): Promise<T> {
    this.preparing.add(p);
    void p.finally(() => this.preparing.delete(p)).catch(() => undefined);
    return p;
  }

  async drain(): Promise<void> {
    while (this.preparing.size) await Promise.allSettled([...this.preparing]);
  }

  async committed(rows: readonly RequestLogRow[], entries: CommitEntry[]): Promise<void> {
    this.journal?.committed(rows.map((r) => r.id));
    await this.tell(entries, this.heldFor(rows));
  }

  async failed(rows: readonly RequestLogRow[]): Promise<void> {
    // Never written: the rows stay in the journal (the next start tries them again, and `billing
    // check` reports them meanwhile); what shared state held for them is released now.
    this.log.error(`billing: ${rows.length} log rows could not be written; they stay in the journal`);
    await this.tell([], this.heldFor(rows));
  }

  /** Shared-state steps not delivered yet (Redis away). */
  get undelivered(): number {
    return this.unsent.length;
  }

  close(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  private heldFor(rows: readonly RequestLogRow[]): string[] {
    const out: string[] = [];
    for (const r of rows) if (this.held.delete(r.id)) out.push(r.id);
    return out;
  }

  private async tell(entries: CommitEntry[], dropped: string[]): Promise<void> {
    if (entries.length === 0 && dropped.length === 0) return;
    if (this.unsent.length === 0) {
      try {
        await this.state.commit(entries, dropped);
        return;
      } catch (err) {
        this.log.error('billing: shared state could not be told of committed charges; trying again', err);
      }
    }
    // Kept in order: a later step waits behind an earlier one.
    this.unsent.push({ entries, dropped });
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.retryTimer || this.unsent.length === 0) return;
    const wait = STATE_RETRY_MS[Math.min(this.retries, STATE_RETRY_MS.length - 1)];
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.retryUnsent();
    }, wait);
    this.retryTimer.unref();
  }

  private async retryUnsent(): Promise<void> {
    while (this.unsent.length) {
      const next = this.unsent[0];
      try {
        await this.state.commit(next.entries, next.dropped);
      } catch {
        this.retries++;
        this.scheduleRetry();
        return;
      }
      this.unsent.shift();
      this.retries = 0;
    }
  }
}

/**
 * Writes a batch's charges inside its transaction: each user's balance debited by their calls' total,
 * a ledger row per charged call, the low-balance notice when one is crossed, and for each key of the
 * batch its spending and last use (one update per key row, so it is locked once). Returns what shared
 * state must learn after the commit: each pool's new committed value.
 */
export async function writeCharges(trx: Db, insertMany: InsertMany, rows: readonly RequestLogRow[]): Promise<CommitEntry[]> {
  const writes = batchAccountWrites(trx);
  const charged = rows.filter((r) => r.cost > 0);
  const byUser = groupBy(charged, (r) => r.user_id);
  const entries: CommitEntry[] = [];
  const now = Date.now();
  // In id order: the ledger's rows and the entries follow it. (Two writers' locks on PostgreSQL are
  // ordered by the database itself, billing/batch-accounts.ts; SQLite locks the whole file.)
  const users = [...byUser.keys()].sort();
  const accounts = await writes.debit(trx, users.map((u) => [u, sum(byUser.get(u)!)] as const));
  // Every user's ledger rows go in one insert after the balances: with many users in a batch, one
  // insert per user (on PostgreSQL a round trip each) was half of a batch's time (bench/writer-cache.js).
  const ledger: LedgerTable[] = [];
  for (const userId of users) {
    const list = byUser.get(userId)!;
    const acc = accounts.get(userId);
    if (!acc) {
      // No account means nothing could have been reserved; such a row is logged as free.
      for (const r of list) r.cost = 0;
      continue;
    }
    let running = acc.balance + sum(list);
    for (const r of list) {
      running -= r.cost;
      ledger.push({ id: newId('led'), user_id: userId, created_at: now, kind: 'charge', amount: -r.cost, balance_after: running, reason: r.model_requested, request_id: r.id });
    }
    await watchLowBalance(trx, userId, acc.balance, acc.threshold, acc.notified);
    entries.push({ pool: userPool(userId), balance: acc.balance, version: acc.version });
  }
  if (ledger.length > 0) await insertMany(trx, 'ledger', ledger);
  // After the users' rows were made free above, so a free row adds nothing to its key's spending.
  const keys = new Map<string, KeyUse>();
  for (const r of rows) {
    if (!r.key_id) continue;
    const use = keys.get(r.key_id);
    const spent = r.cost > 0 ? r.cost : 0;
    if (use) {
      use.spent += spent;
      use.lastUsedAt = Math.max(use.lastUsedAt, r.created_at);
    } else keys.set(r.key_id, { spent, lastUsedAt: r.created_at });
  }
  const after = await writes.touchKeys(trx, [...keys.keys()].sort().map((id) => [id, keys.get(id)!] as const));
  for (const [keyId, k] of after) {
    if (keys.get(keyId)!.spent > 0 && k.creditLimit !== null) entries.push({ pool: keyPool(keyId), balance: k.creditLimit - k.spent, version: k.billingVersion });
  }
  return entries;
}

/**
 * The pools rows that are already committed charged — their users' accounts, and their keys with a
 * credit limit — with each one's balance and version as they are now (read in the caller's
 * transaction): what shared state must be told when it could not be told at their commit.
 */
export async function currentEntries(trx: Db, rows: readonly RequestLogRow[]): Promise<CommitEntry[]> {
  const charged = rows.filter((r) => r.cost > 0);
  const users = [...new Set(charged.map((r) => r.user_id))].sort();
  const keyIds = [...new Set(charged.flatMap((r) => (r.key_id ? [r.key_id] : [])))].sort();
  const entries: CommitEntry[] = [];
  if (users.length) {
    for (const a of await trx.selectFrom('accounts').select(['user_id', 'balance', 'version']).where('user_id', 'in', users).orderBy('user_id').execute())
      entries.push({ pool: userPool(a.user_id), balance: Number(a.balance), version: Number(a.version) });
  }
  if (keyIds.length) {
    for (const k of await trx.selectFrom('api_keys').select(['id', 'credit_limit', 'spent', 'billing_version']).where('id', 'in', keyIds).where('credit_limit', 'is not', null).orderBy('id').execute())
      entries.push({ pool: keyPool(k.id), balance: Number(k.credit_limit) - Number(k.spent), version: Number(k.billing_version) });
  }
  return entries;
}

function groupBy<T>(items: T[], key: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const it of items) {
    const k = key(it);
    const list = m.get(k);
    if (list) list.push(it);
    else m.set(k, [it]);
  }
  return m;
}

function sum(rows: RequestLogRow[]): number {
  return rows.reduce((n, r) => n + r.cost, 0);
}
