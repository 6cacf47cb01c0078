/**
 * How often a snapshot looks whether its tables changed when the database gives no change token
 * (another gateway, or the CLI, may change them). With one (SQLite and PostgreSQL both give one,
 * storage/change-counters.ts) a change is seen by the next call of every process.
 */
const REFRESH_MS = 5_000;
/** After a failed reload the snapshot in hand is used this long before the database is asked again. */
const RETRY_MS = 1_000;

/**
 * Keeps an in-memory snapshot of some tables (content-safety rules, privacy policies) current for
 * the hot path: `fresh()` is one comparison of the database's change token while nothing changed,
 * and otherwise the one reload that calls arriving meanwhile share. A reload that fails leaves the
 * snapshot in hand in force (reported to `onError`) and is tried again after RETRY_MS.
 */
export class ChangeWatch {
  private checkedAt = 0;
  private loading: Promise<void> | null = null;
  /** The change token the snapshot in hand was loaded under (null: none yet). */
  private token: number | null = null;
  private failedAt = 0;

  constructor(
    private readonly tables: readonly string[],
    /** Reads the tables into the snapshot (it decides itself whether anything moved). */
    private readonly load: () => Promise<void>,
    private readonly onError: (err: unknown) => void,
    /** The database's change token (storage/database.ts); without one the snapshot is polled. */
    private readonly changeToken?: (tables: readonly string[]) => number,
  ) {}

  /** Loads now (at start, and after a change made through this process). */
  async reload(): Promise<void> {
    // Read before the tables: a change made while they are read moves the token again.
    const token = this.changeToken ? this.changeToken(this.tables) : null;
    this.checkedAt = Date.now();
    await this.load();
    this.token = token;
  }

  /** Null when the snapshot is current (no await on the hot path); else the reload that makes it so. It never rejects. */
  fresh(): Promise<void> | null {
    if (!this.changeToken) {
      this.refreshSoon();
      return null;
    }
    if (this.token !== null && this.changeToken(this.tables) === this.token) return null;
    if (this.loading) return this.loading;
    if (Date.now() - this.failedAt < RETRY_MS) return null;
    this.loading = this.reload()
      .catch((err: unknown) => {
        this.failedAt = Date.now();
        this.onError(err);
      })
      .finally(() => (this.loading = null));
    return this.loading;
  }

  /** Without a change token: a reload in the background at most every REFRESH_MS. */
  private refreshSoon(): void {
    if (this.loading || Date.now() - this.checkedAt < REFRESH_MS) return;
    this.checkedAt = Date.now();
    this.loading = this.reload()
      .catch((err: unknown) => this.onError(err))
      .finally(() => (this.loading = null));
  }
}
