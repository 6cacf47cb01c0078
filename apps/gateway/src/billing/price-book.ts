import { GatewayError, invalidRequest } from '../core/errors.js';
import type { ChangeToken, Db } from '../storage/database.js';
import type { PricesTable } from '../storage/schema.js';
import { DEFAULT_PRICES, type Price } from './pricing.js';
import { Snapshot } from '../storage/snapshot.js';

/** How long another process's price edit may take to reach this one. */
const CACHE_MS = 5_000;
const SEEDED = 'prices_seeded';

/**
 * The price table: read by every relayed call (from a snapshot refreshed every few seconds, so the
 * hot path does not query), written by admins. Defaults are seeded once per database, so a price an
 * admin deleted stays deleted.
 */
export class PriceBook {
  private readonly snapshot: Snapshot<Map<string, Price>>;

  constructor(
    private readonly db: Db,
    changeToken?: ChangeToken,
  ) {
    this.snapshot = new Snapshot(async () => new Map((await this.db.selectFrom('prices').selectAll().execute()).map((r) => [r.model, fromRow(r)])), CACHE_MS, changeToken && (() => changeToken(['prices'])));
  }

  async seedDefaults(): Promise<void> {
    const done = await this.db.selectFrom('settings').select('key').where('key', '=', SEEDED).executeTakeFirst();
    if (done) return;
    const now = Date.now();
    await this.db.transaction().execute(async (trx) => {
      for (const p of DEFAULT_PRICES) await trx.insertInto('prices').values(toRow(p, now)).onConflict((oc) => oc.column('model').doNothing()).execute();
      await trx.insertInto('settings').values({ key: SEEDED, value: 'true', updated_at: now }).onConflict((oc) => oc.column('key').doNothing()).execute();
    });
    this.snapshot.invalidate();
  }

  /** The model's price; a model without one is refused, never served for free by accident. */
  async require(model: string): Promise<Price> {
    const p = (await this.all()).get(model);
    if (!p)
      throw new GatewayError('permission', `The model \`${model}\` has no price on this gateway, so calls to it cannot be billed. An administrator must set its price first.`, {
        param: 'model',
        code: 'model_not_priced',
      });
    return p;
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

  async set(price: Price): Promise<Price> {
    for (const k of ['input', 'output', 'cachedInput'] as const)
      if (!Number.isSafeInteger(price[k]) || price[k] < 0) throw invalidRequest(`The ${k} price must be zero or more.`, k);
    if (price.perImage !== null && (!Number.isSafeInteger(price.perImage) || price.perImage < 0)) throw invalidRequest('The image price must be zero or more.', 'perImage');
    if (!price.model.trim()) throw invalidRequest('The model name is empty.', 'model');
    const row = toRow(price, Date.now());
    await this.db.insertInto('prices').values(row).onConflict((oc) => oc.column('model').doUpdateSet({ ...row })).execute();
    this.snapshot.invalidate();
    return price;
  }

  async remove(model: string): Promise<void> {
    const res = await this.db.deleteFrom('prices').where('model', '=', model).executeTakeFirst();
    if (Number(res.numDeletedRows) === 0) throw new GatewayError('not_found', `No price is set for \`${model}\`.`, { code: 'price_not_found' });
    this.snapshot.invalidate();
  }

  private all(): Promise<Map<string, Price>> {
    return this.snapshot.get();
  }
}

function toRow(p: Price, now: number): PricesTable {
  return { model: p.model.trim(), input: p.input, output: p.output, cached_input: p.cachedInput, per_image: p.perImage, max_output: p.maxOutput, updated_at: now };
}

function fromRow(r: PricesTable): Price {
  return { model: r.model, input: Number(r.input), output: Number(r.output), cachedInput: Number(r.cached_input), perImage: r.per_image === null ? null : Number(r.per_image), maxOutput: Number(r.max_output) };
}
