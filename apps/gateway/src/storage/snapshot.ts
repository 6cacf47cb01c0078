import type { MaybeAsync } from '../core/maybe-async.js';

/**
 * An in-memory copy of a small table that the hot path reads on every call (channels, prices).
 * With the database's change token (SQLite, PostgreSQL), the copy is reloaded exactly when something
 * changed, by this process or another; without one it is reloaded after `ttlMs`.
 */
export class Snapshot<T> {
  private value: T | null = null;
  private at = 0;
  private token: number | null = null;
  private loading: Promise<T> | null = null;

  constructor(
    private readonly load: () => Promise<T>,
    private readonly ttlMs: number,
    private readonly changeToken?: () => number,
  ) {}

  /**
   * The copy: the value itself while it is current (every relayed call reads several snapshots, and
   * an async answer would cost each a promise and a turn of the microtask queue), else the load
   * that makes it so. Callers await it either way.
   */
  get(): MaybeAsync<T> {
    const token = this.changeToken ? this.changeToken() : null;
    const fresh = this.value !== null && (token !== null ? token === this.token : Date.now() - this.at < this.ttlMs);
    if (fresh) return this.value!;
    // Concurrent callers share one load.
    this.loading ??= this.load().then(
      (v) => {
        this.value = v;
        this.at = Date.now();
        this.token = token;
        this.loading = null;
        return v;
      },
      (err) => {
        this.loading = null;
        throw err;
      },
    );
    return this.loading;
  }

  invalidate(): void {
    this.value = null;
  }
}
