import { randomUUID } from 'node:crypto';
import type { User } from '../accounts/users.js';
import type { Config } from '../config/config.js';
import type { SecretBox } from '../core/crypto.js';
import { GatewayError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { RequestLogWriter } from '../relay/request-log.js';
import { createSharedState } from '../state/index.js';
import type { SharedState } from '../state/shared-state.js';
import type { ChangeToken, Db } from '../storage/database.js';
import type { LedgerKind } from '../storage/schema.js';
import { ChargeWriter } from './charges.js';
import { checkNewCodes, insertCodes, redeemCode, withoutCode, type CodeRecord, type CreatedCode, type NewCodes } from './codes.js';
import { Groups } from './groups.js';
import { IdempotencyStore, type IdempotencyKey } from './idempotency.js';
import { changeBalance, ensureAccount, keyPool, userPool, type Committed } from './ledger.js';
import { fromPoints } from './money.js';
import { catalog, type CatalogEntry } from './catalog.js';
import { BillingPolicy, type ConcurrencyCaps } from './policy.js';
import { Pools } from './pools.js';
import { PriceBook } from './price-book.js';
import { SettingsStore } from './settings.js';

/**
 * Work a caller adds to the transaction that moves the credit (the admin audit log's row): it commits
 * or rolls back with the move, and runs only when the move runs (never for a replay).
 */
export type Within<T> = (trx: Db, outcome: T) => Promise<void>;

export interface BillingDeps {
  config: Config;
  db: Db;
  log: Logger;
  /** Defaults to the one REDIS_URL selects. */
  state?: SharedState;
  /** A serving gateway keeps a lease in shared state (default); a CLI command passes false. */
  serving?: boolean;
  /** The database's change token: price and group snapshots reload exactly when something changed. */
  changeToken?: ChangeToken;
}

/**
 * Everything about credit, built from config: prices, groups, settings, shared state, and the
 * operations that move money outside the relay (trial grants, top-ups, codes, admin adjustments).
 * The relay side is `policy(logWriter)`.
 */
export class Billing {
  readonly state: SharedState;
  readonly prices: PriceBook;
  readonly groups: Groups;
  readonly settings: SettingsStore;
  readonly pools: Pools;
  readonly charges: ChargeWriter;
  /** Idempotency-Key records of the operations below. */
  readonly idempotency: IdempotencyStore;
  private readonly db: Db;
  private readonly log: Logger;
  private readonly concurrency: ConcurrencyCaps;

  private constructor(deps: BillingDeps, state: SharedState) {
    this.db = deps.db;
    this.log = deps.log;
    this.concurrency = { perKey: deps.config.maxConcurrentPerKey, perUser: deps.config.maxConcurrentPerUser, perGroup: deps.config.maxConcurrentPerGroup };
    this.state = state;
    this.prices = new PriceBook(deps.db, deps.changeToken);
    this.groups = new Groups(deps.db, deps.changeToken);
    this.settings = new SettingsStore(deps.db, {
      trialCredit: fromPoints(deps.config.trialCredit),
      signupEnabled: deps.config.signupEnabled,
      lowBalanceDefault: fromPoints(deps.config.lowBalanceDefault),
      affinityTtlSec: deps.config.affinityTtlSec,
      requireAdminTwoFactor: deps.config.requireAdminTwoFactor,
    });
    this.pools = new Pools(deps.db, this.state);
    this.idempotency = new IdempotencyStore(deps.db, deps.log);
    this.charges = new ChargeWriter(this.state, deps.log);
  }

  static async create(deps: BillingDeps): Promise<Billing> {
    const b = new Billing(deps, deps.state ?? (await createSharedState(deps.config, deps.log, { serving: deps.serving })));
    try {
      await b.prices.seedDefaults();
      await b.groups.seedDefaults();
      await b.settings.load();
    } catch (err) {
      await b.state.close();
      throw err;
    }
    return b;
  }

  /** The relay's policy; its charges join `logWriter`'s batches. */
  policy(logWriter: RequestLogWriter): BillingPolicy {
    logWriter.join(this.charges);
    return new BillingPolicy({
      prices: this.prices,
      groups: this.groups,
      state: this.state,
      pools: this.pools,
      charges: this.charges,
      logWriter,
      log: this.log,
      concurrency: this.concurrency,
    });
  }

  /** Sign-up hook (runs in the sign-up transaction): opens the account with the trial grant. */
  readonly onUserCreated = async (trx: Db, user: Pick<User, 'id'>): Promise<void> => {
    const s = await this.settings.fresh(trx);
    await ensureAccount(trx, user.id, s.lowBalanceDefault > 0 ? s.lowBalanceDefault : null);
    if (s.trialCredit > 0) await changeBalance(trx, { userId: user.id, amount: s.trialCredit, kind: 'trial', reason: 'Trial credit' });
  };

  /**
   * Adds (amount > 0) or removes (amount < 0) credit with a ledger row. A removal first reserves
   * the amount in shared state like a call would, so it cannot take money calls in flight hold.
   * With an Idempotency-Key (`key`) a repeat gets the first answer back and moves nothing: the
   * reservation is made only once the key is claimed, so a repeat never holds the money twice.
   */
  async adjust(userId: string, amount: number, kind: LedgerKind, reason: string | null, key?: IdempotencyKey, within?: Within<Committed>): Promise<Committed & { replayed: boolean }> {
    if (!Number.isSafeInteger(amount) || amount === 0) throw new GatewayError('invalid_request', 'The amount must be a non-zero number of points.', { param: 'amount' });
    const pool = userPool(userId);
    // Filed like a call's hold, so a crash between the two steps cannot lock the money for good.
    const holdId = `adj-${randomUUID()}`;
    let held = false;
    try {
      const r = await this.idempotency.run(key, async (trx) => {
        if (amount < 0) {
          // A pool missing from shared state is loaded through the transaction: on SQLite it holds the connection.
          const res = await new Pools(trx, this.state).reserve([pool], -amount, holdId);
          if (!res.ok) throw new GatewayError('insufficient_quota', `The available balance is smaller than the deduction.`, { code: 'insufficient_balance' });
          held = true;
        }
        const committed = await changeBalance(trx, { userId, amount, kind, reason });
        await within?.(trx, committed);
        return committed;
      });
      if (!r.replayed) {
        if (held) await this.state.commit([{ pool, balance: r.result.balance, version: r.result.version }], [holdId]);
        else await this.state.syncBalance(pool, r.result.balance, r.result.version);
      }
      return { ...r.result, replayed: r.replayed };
    } catch (err) {
      if (held) await this.state.commit([], [holdId]);
      throw err;
    }
  }

  async redeem(userId: string, code: string, key?: IdempotencyKey): Promise<{ amount: number; balance: number; replayed: boolean }> {
    const r = await this.idempotency.run(key, (trx) => redeemCode(trx, userId, code));
    if (!r.replayed) await this.state.syncBalance(userPool(userId), r.result.committed.balance, r.result.committed.version);
    return { amount: r.result.amount, balance: r.result.committed.balance, replayed: r.replayed };
  }

  /**
   * A batch of codes, answered in clear; with `key`, a repeat returns the first batch instead of
   * making another. The Idempotency-Key record keeps that answer for 24 hours, so it holds the codes
   * sealed with `box` (the key that seals channel secrets), never in clear.
   */
  async createCodes(input: NewCodes, key: IdempotencyKey | undefined, box: Pick<SecretBox, 'seal' | 'open'>, within?: Within<CodeRecord[]>): Promise<{ codes: CreatedCode[]; replayed: boolean }> {
    // Bad parameters are refused before the key is claimed, so they record nothing.
    checkNewCodes(input);
    const r = await this.idempotency.run(key, async (trx) => {
      const created = await insertCodes(trx, input);
      const items = created.map(withoutCode);
      await within?.(trx, items);
      return { items, sealed: box.seal(JSON.stringify(created.map((c) => c.code))) };
    });
    const codes = JSON.parse(box.open(r.result.sealed)) as string[];
    return { codes: r.result.items.map((c, i) => ({ ...c, code: codes[i] })), replayed: r.replayed };
  }

  /** `models` as a caller in `group` sees them: what each does and what it costs that group (`catalog.ts`). */
  async catalog(models: readonly { id: string; ownedBy: string }[], group: string): Promise<CatalogEntry[]> {
    const [prices, multiplier] = await Promise.all([this.prices.list(), this.groups.multiplier(group)]);
    return catalog(models, new Map(prices.map((p) => [p.model, p])), multiplier);
  }

  /** After a key's credit limit changed: the next call sees the new limit. */
  async refreshKeyPool(keyId: string): Promise<void> {
    await this.pools.load(keyPool(keyId));
  }

  async close(): Promise<void> {
    this.charges.close();
    await this.state.close();
  }
}
