import { randomUUID } from 'node:crypto';
import type { Logger } from '../core/logger.js';
import { GatewayError } from '../core/errors.js';
import type { Admission, CallInfo, CallOutcome, CallPolicy } from '../relay/policy.js';
import type { RequestLogWriter } from '../relay/request-log.js';
import type { SharedState } from '../state/shared-state.js';
import type { ChargeWriter } from './charges.js';
import type { Groups } from './groups.js';
import { checkKeyAccess, NO_LIMITS } from './key-limits.js';
import { keyPool, userPool } from './ledger.js';
import { formatPoints } from './money.js';
import type { Pools } from './pools.js';
import type { PriceBook } from './price-book.js';
import { costOf, worstCase, type Price } from './pricing.js';
import { admitRate, countersFor, MINUTE_MS, RateWindowRefusal } from './rate-limits.js';
import { isPending } from '../core/maybe-async.js';

export interface BillingPolicyDeps {
  prices: PriceBook;
  groups: Groups;
  state: SharedState;
  pools: Pools;
  charges: ChargeWriter;
  logWriter: RequestLogWriter;
  log: Logger;
  /** Calls in flight allowed per key, user and group (0 = no cap). */
  concurrency?: ConcurrencyCaps;
}

export interface ConcurrencyCaps {
  perKey: number;
  perUser: number;
  perGroup: number;
}

/** A slot of a call whose process died is freed after this long; an hour outlasts any call. */
const SLOT_TTL_MS = 3_600_000;

/**
 * The relay's billing and limits. Admission: key access rules, rate windows, then a reservation of
 * the call's worst-case cost in every credit pool it draws on (the user's balance, the key's credit
 * limit). Settlement: the real cost from usage replaces the reservation, and the charge rides the
 * request log's next batch. Nothing here writes the database on the hot path.
 */
const NOTHING_TO_RELEASE = (): void => undefined;

/** How long a caller refused for want of a place to keep its charge is told to wait. */
const NOWHERE_RETRY_AFTER_SEC = 5;

/**
 * The `unavailable` kind (a retryable 503 with `retry-after`, in the caller's dialect): a call served
 * now could not be charged durably, so none is started until the database or the journal takes rows.
 */
function nowhereToCharge(): GatewayError {
  return new GatewayError('unavailable', 'The gateway cannot record charges right now (its storage is full or not writable). Please retry in a moment.', {
    code: 'storage_unavailable',
    retryAfter: NOWHERE_RETRY_AFTER_SEC,
  });
}

/** A refusal a smaller quote could avoid: credit (balance, key limit) or the tokens-per-minute window. */
function refusedForSize(err: unknown): boolean {
  if (err instanceof RateWindowRefusal) return err.unit === 'tokens';
  return err instanceof GatewayError && err.code === 'insufficient_quota';
}

export class BillingPolicy implements CallPolicy {
  constructor(private readonly d: BillingPolicyDeps) {}

  async admit(call: CallInfo): Promise<Admission> {
    const limits = call.key.limits ?? NO_LIMITS;
    checkKeyAccess(limits, call);
    const release = await this.takeSlots(call);
    let admission: Admission;
    try {
      admission = await this.admitCounted(call, limits).catch((err: unknown) => {
        // Admitted with a bound (text prompts, formats/tokens.ts): before the call is refused for
        // credit or tokens per minute, it is admitted again with the tokenizer's count, so the
        // bound's slack never refuses a call the count would let through.
        if (!call.quote.exact || !refusedForSize(err)) throw err;
        return call.quote.exact().then((quote) => this.admitCounted({ ...call, quote }, limits));
      });
    } catch (err) {
      release();
      throw err;
    }
    if (release === NOTHING_TO_RELEASE) return admission;
    return {
      settle: (outcome) => {
        release();
        return admission.settle(outcome);
      },
    };
  }

  /**
   * Concurrency caps: a slot per key, user and group in the shared state (so the caps hold across
   * processes), freed when the call settles. Returns the function that frees them (once).
   */
  private async takeSlots(call: CallInfo): Promise<() => void> {
    const caps = this.d.concurrency;
    if (!caps || (!caps.perKey && !caps.perUser && !caps.perGroup)) return NOTHING_TO_RELEASE;
    const slots: { counter: string; limit: number; label: string }[] = [];
    if (caps.perKey && call.key.keyId) slots.push({ counter: `k:${call.key.keyId}`, limit: caps.perKey, label: 'this API key' });
    if (caps.perUser) slots.push({ counter: `u:${call.key.userId}`, limit: caps.perUser, label: 'your account' });
    if (caps.perGroup) slots.push({ counter: `g:${call.key.group}`, limit: caps.perGroup, label: `the group '${call.key.group}'` });
    if (slots.length === 0) return NOTHING_TO_RELEASE;
    const token = randomUUID();
    const res = await this.d.state.acquire(slots, token, SLOT_TTL_MS);
    if (!res.ok) {
      const s = slots.find((x) => x.counter === res.refused)!;
      throw new GatewayError('rate_limit', `Too many concurrent requests on ${s.label}: at most ${s.limit} may run at once. Wait for one to finish, then try again.`, {
        code: 'concurrency_limit',
        retryAfter: 1,
      });
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.d.state.release(slots.map((x) => x.counter), token).catch((err) => this.d.log.error('billing: releasing concurrency slots failed', err));
    };
  }

  private async admitCounted(call: CallInfo, limits: typeof NO_LIMITS): Promise<Admission> {
    const keyId = call.key.keyId;
    const { quote } = call;
    if (quote.free) {
      // Free (count_tokens), but rate-limited like any request and logged.
      await admitRate(this.d.state, countersFor(keyId, call.key.userId, limits, 0));
      return {
        settle: async (o) => {
          this.d.logWriter.push(o.log);
        },
      };
    }
    // Nowhere to keep its charge: the database takes no rows (a full disk, a database away) and
    // the journal's device has no room for more. Calls in flight fit in what the journal holds.
    if (this.d.logWriter.failing && this.d.charges.journalFull) throw nowhereToCharge();
    // Tokens the call is admitted with in the per-minute windows: the prompt and the output it asked
    // for; corrected to what it used at settlement.
    const admittedTokens = (quote.units.promptTokens || 0) + (quote.maxOutputTokens ?? 0) * Math.max(1, quote.choices || 1);
    // The price and multiplier come at once from current snapshots; waiting only when one reloads
    // spares every call two turns of the microtask queue. A key without rate limits has no windows.
    const priced = this.d.prices.require(call.model);
    const price = isPending(priced) ? await priced : priced;
    const multiplied = this.d.groups.multiplier(call.key.group);
    const multiplier = isPending(multiplied) ? await multiplied : multiplied;
    const worst = worstCase(price, quote, multiplier);
    const windows = countersFor(keyId, call.key.userId, limits, admittedTokens);
    const counters = windows.length === 0 ? windows : await admitRate(this.d.state, windows);
    const pools = [userPool(call.key.userId)];
    if (keyId && limits.creditLimit !== null) pools.push(keyPool(keyId));
    const holdId = call.requestId;
    let res: Awaited<ReturnType<Pools['reserve']>>;
    try {
      res = await this.d.pools.reserve(pools, worst.cost, holdId);
    } catch (err) {
      // Redis may have made the hold and lost only its answer: release it once Redis is back.
      this.d.charges.abandon(holdId);
      await this.giveBack(counters);
      throw err;
    }
    if (!res.ok) {
      await this.giveBack(counters);
      throw this.quotaError(res.reason === 'insufficient' ? res.available : 0, worst.cost, res.pool.startsWith('k:'));
    }
    this.d.charges.reserved(call.log, worst.cost);
    let settled: Promise<void> | null = null;
    return {
      settle: (outcome: CallOutcome) => {
        if (settled) return settled;
        settled = this.settle(outcome, pools, worst.cost, holdId, price, multiplier, counters, admittedTokens).catch((err) => {
          // Cannot happen by design (every step inside has its fallback); never leave the caller hanging.
          this.d.log.error('billing: settlement failed', err);
        });
        return this.d.charges.track(settled);
      },
    };
  }

  /** Refused calls do not use up the caller's rate windows. */
  private async giveBack(counters: { counter: string; cost: number }[]): Promise<void> {
    for (const c of counters) await this.d.state.adjust(c.counter, -c.cost, MINUTE_MS).catch(() => undefined);
  }

  private async settle(
    outcome: CallOutcome,
    pools: string[],
    reserved: number,
    holdId: string,
    price: Price,
    multiplier: number,
    counters: { counter: string; unit: string }[],
    admittedTokens: number,
  ): Promise<void> {
    // A failed call produced nothing billable; a cut stream pays for what it produced.
    const actual = outcome.failed ? 0 : costOf(price, outcome.usage, multiplier);
    const settling = this.d.state.settle(pools, reserved, actual, holdId).catch((err: unknown) => {
      // Shared state is unreachable, but the call was served: it is charged what it was admitted
      // for at most (the reservation, which the balance covered), and its hold is released once
      // shared state is back (ChargeWriter).
      this.d.log.error('billing: shared state unreachable at settlement; charging within the reservation', err);
      return Math.min(actual, reserved);
    });
    // Within the reservation the charge is known without asking (SharedState.settle grants `actual`
    // then), so the hold's shrink and the journal's durable write run side by side: on Redis, one
    // round trip less before the answer completes. Both are awaited: a caller's next call, on any
    // process, finds the hold already shrunk. Above the reservation the state decides the grant.
    const charge = actual <= reserved ? actual : await settling;
    outcome.log.cost = charge;
    // The journal append starts in this same tick, before any batch can take the row.
    this.d.logWriter.push(outcome.log);
    // Both run already; `settling` never rejects, so waiting for one then the other is waiting for both.
    await this.d.charges.record(outcome.log, () => this.d.logWriter.commitSoon());
    await settling;
    const used = outcome.usage.promptTokens + outcome.usage.completionTokens;
    for (const c of counters) if (c.unit === 'tokens') await this.d.state.adjust(c.counter, used - admittedTokens, MINUTE_MS).catch(() => undefined);
  }

  private quotaError(available: number, needed: number, keyLimit: boolean): GatewayError {
    const message = keyLimit
      ? `This API key has reached its credit limit: ${formatPoints(Math.max(0, available))} left, and this call may cost up to ${formatPoints(needed)}. Raise the key's limit or lower max_tokens.`
      : `You exceeded your current quota: your balance has ${formatPoints(Math.max(0, available))} available, and this call may cost up to ${formatPoints(needed)}. Top up or redeem a code, or lower max_tokens.`;
    // OpenAI's SDKs honour x-should-retry: an empty balance does not refill by waiting.
    return new GatewayError('insufficient_quota', message, { code: 'insufficient_quota', headers: { 'x-should-retry': 'false' } });
  }
}
