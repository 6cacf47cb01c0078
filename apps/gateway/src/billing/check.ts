import { sql } from 'kysely';
import { orphanJournals } from '../batch/journal.js';
import { loggedIds } from '../batch/write.js';
import type { SharedState } from '../state/shared-state.js';
import type { Db } from '../storage/database.js';

export interface BillingCheck {
  ok: boolean;
  accounts: number;
  charges: number;
  problems: string[];
  /** Journals of stopped processes: calls they served, and how many of those the database lacks. */
  journals: { stopped: number; rows: number; uncharged: number };
  /** Credit held per gateway process in shared state, and whether its lease is live. */
  processes: { owner: string; live: boolean; holds: number; held: number }[];
}

export interface CheckSources {
  /** The journal folder (`<data>/journal`): served calls not yet in the database. */
  journalDir?: string;
  /** Shared state: holds per process and leases. */
  state?: SharedState;
}

/**
 * Audits the money: every balance equals the sum of its ledger, every charge has its request-log
 * row (same user, same cost) and every logged cost has exactly one charge, and every key's `spent`
 * equals the costs logged under it. Reads only; run it against a live server at any time (a batch
 * commits charges and log rows together, so there is no in-between state to see).
 */
export async function checkBilling(db: Db, sources: CheckSources = {}): Promise<BillingCheck> {
  const problems: string[] = [];
  const journals = await checkJournals(db, sources.journalDir, problems);
  const processes = await checkHolds(sources.state, problems);
  const accounts = await db.selectFrom('accounts').select(['user_id', 'balance']).execute();
  const sums = new Map(
    (await db.selectFrom('ledger').select(['user_id', (eb) => eb.fn.sum<number>('amount').as('total')]).groupBy('user_id').execute()).map((r) => [r.user_id, Number(r.total)]),
  );
  for (const a of accounts) {
    const total = sums.get(a.user_id) ?? 0;
    if (Number(a.balance) !== total) problems.push(`account ${a.user_id}: balance ${a.balance} µP but ledger sums to ${total} µP`);
    if (Number(a.balance) < 0) problems.push(`account ${a.user_id}: negative balance ${a.balance} µP`);
    sums.delete(a.user_id);
  }
  for (const [userId, total] of sums) problems.push(`user ${userId}: ledger sums to ${total} µP but there is no account`);

  const orphanCharges = await db
    .selectFrom('ledger')
    .leftJoin('request_logs', 'request_logs.id', 'ledger.request_id')
    .select(['ledger.id', 'ledger.request_id', 'ledger.amount', 'ledger.user_id', 'request_logs.id as log_id', 'request_logs.cost', 'request_logs.user_id as log_user'])
    .where('ledger.kind', '=', 'charge')
    .where((eb) => eb.or([eb('request_logs.id', 'is', null), eb('request_logs.cost', '!=', eb.neg(eb.ref('ledger.amount'))), eb('request_logs.user_id', '!=', eb.ref('ledger.user_id'))]))
    .execute();
  for (const c of orphanCharges)
    problems.push(c.log_id ? `charge ${c.id}: ${-Number(c.amount)} µP but request ${c.request_id} logged cost ${c.cost} for ${c.log_user}` : `charge ${c.id}: no request-log row ${c.request_id}`);

  const uncharged = await db
    .selectFrom('request_logs')
    .leftJoin('ledger', (j) => j.onRef('ledger.request_id', '=', 'request_logs.id').on('ledger.kind', '=', 'charge'))
    .select(['request_logs.id', 'request_logs.cost', (eb) => eb.fn.count<number>('ledger.id').as('n')])
    .where('request_logs.cost', '>', 0)
    .groupBy(['request_logs.id', 'request_logs.cost'])
    .having((eb) => eb.fn.count('ledger.id'), '!=', 1)
    .execute();
  for (const r of uncharged) problems.push(`request ${r.id}: cost ${r.cost} µP with ${r.n} charge rows (expected 1)`);

  const keys = await db
    .selectFrom('api_keys')
    .leftJoin(
      db.selectFrom('request_logs').select(['key_id', (eb) => eb.fn.sum<number>('cost').as('total')]).groupBy('key_id').as('l'),
      'l.key_id',
      'api_keys.id',
    )
    .select(['api_keys.id', 'api_keys.spent', sql<number | null>`l.total`.as('total')])
    .execute();
  for (const k of keys) if (Number(k.spent) !== Number(k.total ?? 0)) problems.push(`key ${k.id}: spent ${k.spent} µP but its logged costs sum to ${Number(k.total ?? 0)} µP`);

  const { n } = await db.selectFrom('ledger').select((eb) => eb.fn.countAll<number>().as('n')).where('kind', '=', 'charge').executeTakeFirstOrThrow();
  return { ok: problems.length === 0, accounts: accounts.length, charges: Number(n), problems, journals, processes };
}

/**
 * A call is journaled before its answer completes; a stopped process's journal therefore lists
 * calls that were served (and, after a machine restart, calls that may have been:
 * `orphanJournals`). Any of them with a cost that the request log lacks was served without its
 * charge (the next start of a gateway on this data folder charges it).
 */
async function checkJournals(db: Db, dir: string | undefined, problems: string[]): Promise<BillingCheck['journals']> {
  const out = { stopped: 0, rows: 0, uncharged: 0 };
  if (!dir) return out;
  for (const j of await orphanJournals(dir)) {
    out.stopped++;
    const charged = j.rows.filter((r) => r.cost > 0);
    out.rows += charged.length;
    const have = await loggedIds(db, charged.map((r) => r.id));
    const missing = charged.filter((r) => !have.has(r.id));
    out.uncharged += missing.length;
    for (const r of missing.slice(0, 20))
      problems.push(
        r.error_code === 'interrupted'
          ? `request ${r.id}: in flight at stopped process ${j.pid ?? '?'} when the machine restarted (journal ${j.owner}); not charged yet — a gateway start on this data folder charges its reservation, ${r.cost} µP`
          : `request ${r.id}: served by stopped process ${j.pid ?? '?'} (${r.cost} µP, journal ${j.owner}) but not charged; a gateway start on this data folder charges it`,
      );
    if (missing.length > 20) problems.push(`… and ${missing.length - 20} more served calls of journal ${j.owner} not charged`);
  }
  return out;
}

/** Holds of a process whose lease lapsed are credit nobody will release but the reaper. */
async function checkHolds(state: SharedState | undefined, problems: string[]): Promise<BillingCheck['processes']> {
  if (!state) return [];
  const out: BillingCheck['processes'] = [];
  for (const o of await state.owners()) {
    const held = Object.values(o.pools).reduce((a, b) => a + b, 0);
    out.push({ owner: o.owner, live: o.live, holds: o.holds, held });
    if (!o.live && o.holds > 0) problems.push(`process ${o.owner}: its lease lapsed but it still holds ${held} µP in ${o.holds} holds`);
  }
  return out;
}
