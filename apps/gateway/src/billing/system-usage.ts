import { sql } from 'kysely';
import type { Db } from '../storage/database.js';
import { toPoints } from './money.js';
import { errorCount, perDay, windowStart } from './usage.js';

/** How many users and models the overview ranks. */
const TOP = 10;

/**
 * The whole gateway's usage over the last `days` UTC days, for the admin dashboard: calls, errors,
 * spend and tokens per day (every account together), the accounts and models that spent most, and
 * how many accounts called at all. Money in P. One pass per question over `request_logs` by time
 * (indexed on `created_at`), whatever the number of accounts.
 */
export async function systemReport(db: Db, days: number, now = Date.now()) {
  const from = windowStart(days, now);
  const base = db.selectFrom('request_logs').where('created_at', '>=', from);
  const [out, models, users, active] = await Promise.all([
    perDay(base, from, now),
    base
      .select(['model_requested', (eb) => eb.fn.countAll<number>().as('requests'), errorCount.as('errors'), (eb) => eb.fn.sum<number>('cost').as('cost')])
      .groupBy('model_requested')
      .orderBy('cost', 'desc')
      .orderBy('requests', 'desc')
      .limit(TOP)
      .execute(),
    db
      .selectFrom('request_logs as l')
      .leftJoin('users as u', 'u.id', 'l.user_id')
      .where('l.created_at', '>=', from)
      .select(['l.user_id', 'u.email', (eb) => eb.fn.countAll<number>().as('requests'), sql<number>`sum(case when l.status >= 400 then 1 else 0 end)`.as('errors'), (eb) => eb.fn.sum<number>('l.cost').as('cost')])
      .groupBy(['l.user_id', 'u.email'])
      .orderBy('cost', 'desc')
      .orderBy('requests', 'desc')
      .limit(TOP)
      .execute(),
    base.select((eb) => eb.fn.count<number>('user_id').distinct().as('n')).executeTakeFirstOrThrow(),
  ]);
  return {
    days: out,
    activeUsers: Number(active.n),
    models: models.map((m) => ({ model: m.model_requested ?? '(none)', requests: Number(m.requests), errors: Number(m.errors), cost: toPoints(Number(m.cost ?? 0)) })),
    users: users.map((u) => ({ userId: u.user_id, email: u.email ?? null, requests: Number(u.requests), errors: Number(u.errors), cost: toPoints(Number(u.cost ?? 0)) })),
  };
}

export interface UserActivity {
  /** Credit left, in P (0 for an account that never had any). */
  balance: number;
  /** What the account's calls cost over the window, in P. */
  spend: number;
  /** The account's latest call (epoch ms), or null when it never called. */
  lastActiveAt: number | null;
}

/**
 * Balance, spend since `since` and last call of each listed account, for the admin's users table:
 * three grouped reads over the page's ids (the log by its `(user_id, created_at)` index).
 */
export async function userActivity(db: Db, userIds: string[], since: number): Promise<Map<string, UserActivity>> {
  const out = new Map<string, UserActivity>(userIds.map((id) => [id, { balance: 0, spend: 0, lastActiveAt: null }]));
  if (userIds.length === 0) return out;
  const [accounts, spend, last] = await Promise.all([
    db.selectFrom('accounts').where('user_id', 'in', userIds).select(['user_id', 'balance']).execute(),
    db.selectFrom('request_logs').where('user_id', 'in', userIds).where('created_at', '>=', since).select(['user_id', (eb) => eb.fn.sum<number>('cost').as('cost')]).groupBy('user_id').execute(),
    db.selectFrom('request_logs').where('user_id', 'in', userIds).select(['user_id', (eb) => eb.fn.max<number>('created_at').as('at')]).groupBy('user_id').execute(),
  ]);
  for (const a of accounts) out.get(a.user_id)!.balance = toPoints(Number(a.balance));
  for (const s of spend) out.get(s.user_id)!.spend = toPoints(Number(s.cost ?? 0));
  for (const l of last) out.get(l.user_id)!.lastActiveAt = l.at === null ? null : Number(l.at);
  return out;
}
