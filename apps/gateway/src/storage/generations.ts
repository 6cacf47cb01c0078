/** A number that grows whenever the given tables may have changed (compare for equality only). */
export type ChangeToken = (tables: readonly string[]) => number;

/**
 * Per-table change generations, the numbers behind a change token: each only grows, so the sum over
 * a cache's tables moves whenever one of them does. Tables never bumped one by one follow `anything`.
 */
export class Generations {
  private readonly byTable = new Map<string, number>();
  private anything = 0;

  /** This table changed. */
  bump(table: string): void {
    this.byTable.set(table, (this.byTable.get(table) ?? this.anything) + 1);
  }

  /** Something changed in a table not tracked one by one. */
  bumpUntracked(): void {
    this.anything++;
  }

  /** Anything may have changed (nobody was watching for a while). */
  bumpAll(): void {
    this.anything++;
    for (const [t, n] of this.byTable) this.byTable.set(t, n + 1);
  }

  sum(tables: readonly string[]): number {
    let n = 0;
    for (const t of tables) n += this.byTable.get(t) ?? this.anything;
    return n;
  }
}
