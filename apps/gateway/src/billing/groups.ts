import { invalidRequest } from '../core/errors.js';
import type { ChangeToken, Db } from '../storage/database.js';
import { PPM, type MultiplierPpm } from './pricing.js';
import { Snapshot } from '../storage/snapshot.js';
import { whenReady, type MaybeAsync } from '../core/maybe-async.js';

const CACHE_MS = 5_000;
const DEFAULT_GROUPS: Record<string, MultiplierPpm> = { default: PPM, vip: 800_000 };

/** User groups and their price multipliers. A group nobody configured pays list price (1.0). */
export class Groups {
  private readonly snapshot: Snapshot<Map<string, MultiplierPpm>>;

  constructor(
    private readonly db: Db,
    changeToken?: ChangeToken,
  ) {
    this.snapshot = new Snapshot(async () => new Map((await this.db.selectFrom('user_groups').selectAll().execute()).map((r) => [r.name, Number(r.multiplier_ppm)])), CACHE_MS, changeToken && (() => changeToken(['user_groups'])));
  }

  async seedDefaults(): Promise<void> {
    for (const [name, ppm] of Object.entries(DEFAULT_GROUPS))
      await this.db.insertInto('user_groups').values({ name, multiplier_ppm: ppm }).onConflict((oc) => oc.column('name').doNothing()).execute();
  }

  /** The group's price multiplier (ppm): at once while the snapshot is current (every relayed call asks). */
  multiplier(group: string): MaybeAsync<MultiplierPpm> {
    return whenReady(this.snapshot.get(), (all) => all.get(group) ?? PPM);
  }

  async list(): Promise<{ name: string; multiplier: number }[]> {
    this.snapshot.invalidate();
    return [...(await this.snapshot.get())].sort(([a], [b]) => a.localeCompare(b)).map(([name, ppm]) => ({ name, multiplier: ppm / PPM }));
  }

  /** The group as stored now (read on `db`, the caller's transaction when there is one), or undefined. */
  async get(name: string, db: Db = this.db): Promise<{ name: string; multiplier: number } | undefined> {
    const row = await db.selectFrom('user_groups').selectAll().where('name', '=', name).executeTakeFirst();
    return row && { name: row.name, multiplier: Number(row.multiplier_ppm) / PPM };
  }

  /** `db`: the caller's transaction when the change is part of one (the audit row's). */
  async set(name: string, multiplier: number, db: Db = this.db): Promise<{ name: string; multiplier: number }> {
    if (!/^[\w.-]{1,50}$/.test(name)) throw invalidRequest('A group name is 1 to 50 letters, digits, dots, dashes or underscores.', 'name');
    if (!(multiplier >= 0 && multiplier <= 100)) throw invalidRequest('The multiplier must be between 0 and 100.', 'multiplier');
    const ppm = Math.round(multiplier * PPM);
    await db.insertInto('user_groups').values({ name, multiplier_ppm: ppm }).onConflict((oc) => oc.column('name').doUpdateSet({ multiplier_ppm: ppm })).execute();
    this.snapshot.invalidate();
    return { name, multiplier: ppm / PPM };
  }

}
