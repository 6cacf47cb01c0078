import { GatewayError, invalidRequest } from '../core/errors.js';
import type { ChangeToken, Db } from '../storage/database.js';
import type { PricesTable } from '../storage/schema.js';
import { DEFAULT_PRICE_BATCHES, type Price } from './pricing.js';
import { Snapshot } from '../storage/snapshot.js';
import { whenReady, type MaybeAsync } from '../core/maybe-async.js';

/** How long another process's price edit may take to reach this one. */
const CACHE_MS = 5_000;
/** Settings key: how many batches of default prices this database was given (`true`: the first one). */
const SEEDED = 'prices_seeded';

/**
 * The price table: read by every relayed call (from a snapshot refreshed every few seconds, so the
 * hot path does not query), written by admins. Each batch of defaults is offered once per database,
 * so a price an admin deleted stays deleted, and defaults added by a later release still arrive.
 */
export class PriceBook {
  private readonly snapshot: Snapshot<Map<string, Price>>;

  constructor(
    private readonly db: Db,
    changeToken?: ChangeToken,
  ) {
    this.snapshot = new Snapshot(async () => new Map((await this.db.selectFrom('prices').selectAll().execute()).map((r) => [r.model, fromRow(r)])), CACHE_MS, changeToken && (() => changeToken(['prices'])));
  }

  /**
   * Gives the database the batches of default prices it has not had yet: all of them when it is
   * new, the later ones when it was seeded by an older release. Only models without a price are
   * inserted; an admin's price is never overwritten.
   */
  async seedDefaults(): Promise<void> {
    const had = seededBatches((await this.db.selectFrom('settings').select('value').where('key', '=', SEEDED).executeTakeFirst())?.value);
    if (had >= DEFAULT_PRICE_BATCHES.length) return;
    const now = Date.now();
    const value = JSON.stringify(DEFAULT_PRICE_BATCHES.length);
    await this.db.transaction().execute(async (trx) => {
      for (const batch of DEFAULT_PRICE_BATCHES.slice(had))
        for (const p of batch) await trx.insertInto('prices').values(toRow(p, now)).onConflict((oc) => oc.column('model').doNothing()).execute();
      await trx.insertInto('settings').values({ key: SEEDED, value, updated_at: now }).onConflict((oc) => oc.column('key').doUpdateSet({ value, updated_at: now })).execute();
    });
    this.snapshot.invalidate();
  }

  /**
   * The model's price; a model without one is refused, never served for free by accident. Answered
   * at once while the price snapshot is current (every relayed call asks).
   */
  require(model: string): MaybeAsync<Price> {
    return whenReady(this.all(), (all) => priceOf(all, model));
  }

  /**
   * Gives each model that has no price the price of `template` (an operator configured these
   * channels explicitly, so their calls should work from the first start; the price is visible and
   * editable in the console). Returns the models priced.
   */
  async priceUnpriced(models: readonly string[], template: string): Promise<string[]> {
    if (models.length === 0) return [];
    const all = await this.all();
    const base = all.get(template);
    if (!base) return [];
    const missing = [...new Set(models)].filter((m) => !all.has(m));
    for (const model of missing) await this.set({ ...base, model });
    return missing;
  }

  async list(): Promise<Price[]> {
    return [...(await this.all()).values()].sort((a, b) => a.model.localeCompare(b.model));
  }

  /** The model's price as stored now (read on `db`, the caller's transaction when there is one), or undefined. */
  async get(model: string, db: Db = this.db): Promise<Price | undefined> {
    const row = await db.selectFrom('prices').selectAll().where('model', '=', model).executeTakeFirst();
    return row && fromRow(row);
  }

  /** `db`: the caller's transaction when the change is part of one (the audit row's). */
  async set(price: Price, db: Db = this.db): Promise<Price> {
    for (const k of ['input', 'output', 'cachedInput'] as const)
      if (!Number.isSafeInteger(price[k]) || price[k] < 0) throw invalidRequest(`The ${k} price must be zero or more.`, k);
    const units = { perImage: 'image', perKChars: 'per-1K-characters', perSecond: 'per-second', perKSearches: 'per-1K-searches' } as const;
    for (const [k, name] of Object.entries(units) as [keyof typeof units, string][]) {
      const v = price[k];
      if (v !== null && (!Number.isSafeInteger(v) || v < 0)) throw invalidRequest(`The ${name} price must be zero or more.`, k);
    }
    if (!price.model.trim()) throw invalidRequest('The model name is empty.', 'model');
    const row = toRow(price, Date.now());
    await db.insertInto('prices').values(row).onConflict((oc) => oc.column('model').doUpdateSet({ ...row })).execute();
    this.snapshot.invalidate();
    return price;
  }

  async remove(model: string, db: Db = this.db): Promise<void> {
    const res = await db.deleteFrom('prices').where('model', '=', model).executeTakeFirst();
    if (Number(res.numDeletedRows) === 0) throw new GatewayError('not_found', `No price is set for \`${model}\`.`, { code: 'price_not_found' });
    this.snapshot.invalidate();
  }

  private all(): MaybeAsync<Map<string, Price>> {
    return this.snapshot.get();
  }
}

function priceOf(prices: Map<string, Price>, model: string): Price {
  const p = prices.get(model);
  if (!p)
    throw new GatewayError('permission', `The model \`${model}\` has no price on this gateway, so calls to it cannot be billed. An administrator must set its price first.`, {
      param: 'model',
      code: 'model_not_priced',
    });
  return p;
}

/** The batches a database had: none, `true` (written by releases that had one batch), or their count. */
function seededBatches(value: string | undefined): number {
  if (value === undefined) return 0;
  try {
    const v: unknown = JSON.parse(value);
    if (v === true) return 1;
    if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return v;
  } catch {
    // not JSON: treated as seeded once, like `true`, so nothing deleted comes back
  }
  return 1;
}

function toRow(p: Price, now: number): PricesTable {
  return {
    model: p.model.trim(),
    input: p.input,
    output: p.output,
    cached_input: p.cachedInput,
    per_image: p.perImage,
    per_k_chars: p.perKChars,
    per_second: p.perSecond,
    per_k_searches: p.perKSearches,
    max_output: p.maxOutput,
    updated_at: now,
  };
}

function fromRow(r: PricesTable): Price {
  return {
    model: r.model,
    input: Number(r.input),
    output: Number(r.output),
    cachedInput: Number(r.cached_input),
    perImage: nullableNumber(r.per_image),
    perKChars: nullableNumber(r.per_k_chars),
    perSecond: nullableNumber(r.per_second),
    perKSearches: nullableNumber(r.per_k_searches),
    maxOutput: Number(r.max_output),
  };
}

/** bigint columns come back as strings from PostgreSQL. */
function nullableNumber(v: number | string | null | undefined): number | null {
  return v === null || v === undefined ? null : Number(v);
}
