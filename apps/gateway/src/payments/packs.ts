import { GatewayError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import type { Db } from '../storage/database.js';
import type { TopupPacksTable } from '../storage/schema.js';

/** Packs an admin offers: `points` for the price the provider's rate gives, plus `bonus` (µP). */
export interface PackInput {
  name: string;
  points: number;
  bonus: number;
  enabled: boolean;
  sort: number;
}

export class Packs {
  constructor(private readonly db: Db) {}

  /** In display order; `enabledOnly` for what users are offered. */
  list(enabledOnly = false): Promise<TopupPacksTable[]> {
    let q = this.db.selectFrom('topup_packs').selectAll();
    if (enabledOnly) q = q.where('enabled', '=', 1);
    return q.orderBy('sort', 'asc').orderBy('points', 'asc').orderBy('id', 'asc').execute();
  }

  async get(id: string, db: Db = this.db): Promise<TopupPacksTable | undefined> {
    return db.selectFrom('topup_packs').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** `within` runs in the change's transaction (the admin audit row), as do those of update and remove. */
  async create(p: PackInput, within?: PackChange): Promise<TopupPacksTable> {
    check(p);
    const now = Date.now();
    const row: TopupPacksTable = { id: newId('pack'), name: p.name.trim(), points: p.points, bonus: p.bonus, enabled: p.enabled ? 1 : 0, sort: p.sort, created_at: now, updated_at: now };
    await this.db.transaction().execute(async (trx) => {
      await trx.insertInto('topup_packs').values(row).execute();
      await within?.(trx, undefined, row);
    });
    return row;
  }

  async update(id: string, patch: Partial<PackInput>, within?: PackChange): Promise<TopupPacksTable> {
    return this.db.transaction().execute(async (trx) => {
      const old = await this.get(id, trx);
      if (!old) throw notFound();
      const next: PackInput = {
        name: patch.name ?? old.name,
        points: patch.points ?? Number(old.points),
        bonus: patch.bonus ?? Number(old.bonus),
        enabled: patch.enabled ?? old.enabled === 1,
        sort: patch.sort ?? old.sort,
      };
      check(next);
      const row = { name: next.name.trim(), points: next.points, bonus: next.bonus, enabled: next.enabled ? 1 : 0, sort: next.sort, updated_at: Date.now() };
      await trx.updateTable('topup_packs').set(row).where('id', '=', id).execute();
      const after = { ...old, ...row };
      await within?.(trx, old, after);
      return after;
    });
  }

  /** Orders made from a removed pack keep their figures: they never read the pack again. */
  async remove(id: string, within?: PackChange): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const old = await this.get(id, trx);
      if (!old) throw notFound();
      await trx.deleteFrom('topup_packs').where('id', '=', id).execute();
      await within?.(trx, old, undefined);
    });
  }
}

export type PackChange = (trx: Db, before: TopupPacksTable | undefined, after: TopupPacksTable | undefined) => Promise<void>;

function check(p: PackInput): void {
  if (!p.name.trim()) throw new GatewayError('invalid_request', 'A pack needs a name.', { param: 'name', code: 'invalid_value' });
  if (!Number.isSafeInteger(p.points) || p.points <= 0) throw new GatewayError('invalid_request', 'A pack must give more than 0 P.', { param: 'points', code: 'invalid_value' });
  if (!Number.isSafeInteger(p.bonus) || p.bonus < 0) throw new GatewayError('invalid_request', 'The bonus cannot be negative.', { param: 'bonus', code: 'invalid_value' });
}

const notFound = () => new GatewayError('not_found', 'There is no such pack.', { code: 'pack_not_found' });
