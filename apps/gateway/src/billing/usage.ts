import { sql, type SelectQueryBuilder } from 'kysely';
import type { Db } from '../storage/database.js';
import type { Database } from '../storage/schema.js';
import { toPoints } from './money.js';

const DAY_MS = 86_400_000;

/** The window's first instant: the start of the UTC day `days - 1` days before `now`'s. */
export function windowStart(days: number, now: number): number {
  return Math.floor(now / DAY_MS) * DAY_MS - (days - 1) * DAY_MS;
}

/** Calls answered with an error status, as an aggregate. */
export const errorCount = sql<number>`sum(case when status >= 400 then 1 else 0 end)`;

type LogQuery = SelectQueryBuilder<Database, 'request_logs', object>;

/**
 * Calls, errors, spend (P) and tokens per UTC day of the window, every day present (zeros where
 * nothing was called), over whichever rows `base` selects: one account's or every account's.
 */
export async function perDay(base: LogQuery, from: number, now: number) {
  // Integer division gives the UTC day number on both SQLite and PostgreSQL (bigint / integer).
  const day = sql<number>`created_at / ${sql.lit(DAY_MS)}`;
  const rows = await base
    .select([
      day.as('day'),
      (eb) => eb.fn.countAll<number>().as('requests'),
      errorCount.as('errors'),
      (eb) => eb.fn.sum<number>('cost').as('cost'),
      (eb) => eb.fn.sum<number>('prompt_tokens').as('prompt_tokens'),
      (eb) => eb.fn.sum<number>('completion_tokens').as('completion_tokens'),
    ])
    .groupBy(day)
    .execute();
  const byDay = new Map(rows.map((r) => [Number(r.day), r]));
  const out = [];
  for (let d = from / DAY_MS; d <= Math.floor(now / DAY_MS); d++) {
    const r = byDay.get(d);
    out.push({
      date: new Date(d * DAY_MS).toISOString().slice(0, 10),
      requests: Number(r?.requests ?? 0),
      errors: Number(r?.errors ?? 0),
      cost: toPoints(Number(r?.cost ?? 0)),
      prompt_tokens: Number(r?.prompt_tokens ?? 0),
      completion_tokens: Number(r?.completion_tokens ?? 0),
    });
  }
  return out;
}

/** A user's usage per UTC day and per model over the last `days` days (money in P). */
export async function usageReport(db: Db, userId: string, days: number, now = Date.now()) {
  const from = windowStart(days, now);
  const base = db.selectFrom('request_logs').where('user_id', '=', userId).where('created_at', '>=', from);
  const [out, models] = await Promise.all([
    perDay(base, from, now),
    base
      .select(['model_requested', (eb) => eb.fn.countAll<number>().as('requests'), (eb) => eb.fn.sum<number>('cost').as('cost')])
      .groupBy('model_requested')
      .orderBy('cost', 'desc')
      .execute(),
  ]);
  return {
    days: out,
    models: models.map((m) => ({ model: m.model_requested ?? '(none)', requests: Number(m.requests), cost: toPoints(Number(m.cost ?? 0)) })),
  };
}
