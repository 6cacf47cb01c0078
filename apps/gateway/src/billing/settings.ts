import type { Db } from '../storage/database.js';

/** Settings an admin changes at run time (PUT /api/admin/settings). Money in micro-points. */
export interface RuntimeSettings {
  trialCredit: number;
  signupEnabled: boolean;
  /** Low-balance threshold given to new accounts; 0 = none. */
  lowBalanceDefault: number;
  /** Seconds a prompt-cache session keeps its channel after its last call (relay/affinity.ts). */
  affinityTtlSec: number;
  /** Administrators must sign in with a second factor (TOTP); one without it may only enrol. */
  requireAdminTwoFactor: boolean;
}

const KEYS = ['trialCredit', 'signupEnabled', 'lowBalanceDefault', 'affinityTtlSec', 'requireAdminTwoFactor'] as const;
const CACHE_MS = 5_000;

/**
 * The config gives the defaults; the settings table overrides them once an admin saves. Reads are
 * synchronous (the HTTP layer asks on every sign-up) from a snapshot refreshed in the background.
 */
export class SettingsStore {
  private snapshot: RuntimeSettings;
  private loadedAt = 0;
  private loading: Promise<void> | null = null;

  constructor(
    private readonly db: Db,
    private readonly defaults: RuntimeSettings,
  ) {
    this.snapshot = { ...defaults };
  }

  /** The current settings; starts a refresh when the snapshot is old (other processes may have saved). */
  current(): RuntimeSettings {
    if (Date.now() - this.loadedAt > CACHE_MS) void this.load().catch(() => undefined);
    return this.snapshot;
  }

  /**
   * Fresh from the database (sign-up reads this, so a just-changed trial amount applies at once).
   * `executor` is the caller's transaction when there is one: SQLite has a single connection.
   */
  async fresh(executor: Db = this.db): Promise<RuntimeSettings> {
    return this.read(executor);
  }

  /**
   * Saves the given settings. `within` runs in the same transaction with the settings before and
   * after the change (the audit row): it commits or rolls back with them.
   */
  async update(patch: Partial<RuntimeSettings>, within?: (trx: Db, before: RuntimeSettings, after: RuntimeSettings) => Promise<void>): Promise<RuntimeSettings> {
    const now = Date.now();
    await this.db.transaction().execute(async (trx) => {
      const before = within ? await this.readOnly(trx) : undefined;
      for (const k of KEYS) {
        if (patch[k] === undefined) continue;
        const value = JSON.stringify(patch[k]);
        await trx.insertInto('settings').values({ key: k, value, updated_at: now }).onConflict((oc) => oc.column('key').doUpdateSet({ value, updated_at: now })).execute();
      }
      if (within) await within(trx, before!, await this.readOnly(trx));
    });
    await this.load();
    return this.snapshot;
  }

  load(): Promise<void> {
    this.loading ??= this.read(this.db)
      .then(() => undefined)
      .finally(() => (this.loading = null));
    return this.loading;
  }

  private async read(executor: Db): Promise<RuntimeSettings> {
    const next = await this.readOnly(executor);
    this.snapshot = next;
    this.loadedAt = Date.now();
    return next;
  }

  /** The settings as `executor` sees them, without touching the snapshot (inside a transaction that may roll back). */
  private async readOnly(executor: Db): Promise<RuntimeSettings> {
    const rows = await executor.selectFrom('settings').selectAll().where('key', 'in', [...KEYS]).execute();
    const next: RuntimeSettings = { ...this.defaults };
    for (const r of rows) (next as unknown as Record<string, unknown>)[r.key] = JSON.parse(r.value);
    return next;
  }
}
