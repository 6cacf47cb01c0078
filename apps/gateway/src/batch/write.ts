import { currentEntries, writeCharges } from '../billing/charges.js';
import type { CommitEntry } from '../state/shared-state.js';
import type { Db, InsertMany } from '../storage/database.js';
import { sql } from 'kysely';
import type { LogBatch, RequestLogRow } from './types.js';

/**
 * Commits one batch in one transaction: the charges first (balances, ledger rows, each key's spending
 * and last use; a row whose user has no account is made free), then the log rows. So at
 * every commit: no charge without its log row, no log row with a cost without its charge, and
 * balance == sum(ledger). The same function runs in the writer thread and inline.
 */
export async function writeBatch(db: Db, insertMany: InsertMany, batch: LogBatch): Promise<CommitEntry[]> {
  let { rows } = batch;
  return db.transaction().execute(async (trx) => {
    const t = trx as unknown as Db;
    // Rows of a replay that are in already were charged by an earlier commit: shared state is told
    // their pools' balances as they are now (it takes a version newer than the one it has only).
    let before: CommitEntry[] = [];
    if (batch.replay) {
      const fresh = await notYetWritten(t, rows);
      if (fresh.length < rows.length) {
        const left = new Set(fresh);
        before = await currentEntries(t, rows.filter((r) => !left.has(r)));
      }
      rows = fresh;
    }
    if (rows.length === 0) return before;
    const entries = await writeCharges(t, insertMany, rows);
    await insertMany(t, 'request_logs', rows);
    if (before.length === 0) return entries;
    // A pool this batch charged too is told once, as it is after this commit.
    const charged = new Set(entries.map((e) => e.pool));
    return [...before.filter((e) => !charged.has(e.pool)), ...entries];
  });
}

/** The rows whose ids the request log does not have yet (read inside the batch's transaction). */
async function notYetWritten(t: Db, rows: RequestLogRow[]): Promise<RequestLogRow[]> {
  const have = await loggedIds(t, rows.map((r) => r.id));
  return rows.filter((r) => !have.has(r.id));
}

/** Which of these request ids the request log has (asked in chunks, so a long journal is fine). */
export async function loggedIds(db: Db, ids: readonly string[]): Promise<Set<string>> {
  const have = new Set<string>();
  for (let i = 0; i < ids.length; i += 500) {
    for (const r of await db.selectFrom('request_logs').select('id').where('id', 'in', ids.slice(i, i + 500)).execute()) have.add(r.id);
  }
  return have;
}

/** A trivial query: answers when the database does. */
export async function ping(db: Db): Promise<void> {
  await sql`select 1`.execute(db);
}
