import { sql, SqliteAdapter, type Kysely } from 'kysely';

/**
 * The tables whose rows the hot path keeps in memory (keys, channels, prices, groups), and for each
 * the columns whose change no cache reads: the request-log batch moves `last_used_at`, `spent` and
 * balances every few milliseconds, and that must not throw the key cache away each time.
 */
export const WATCHED_TABLES: Readonly<Record<string, readonly string[]>> = {
  channels: [],
  prices: [],
  user_groups: [],
  users: [],
  apps: [],
  api_keys: ['last_used_at', 'spent', 'billing_version'],
  accounts: ['balance', 'version', 'low_balance_notified'],
};

export const COUNTERS_TABLE = 'change_counters';

/**
 * On SQLite, triggers count the changes to each watched table in `change_counters`, whoever makes
 * them (this process, its log-writer thread, the CLI, another gateway on the same file). A cache then
 * compares one small row instead of reloading, and writes to unwatched columns (the log batch) leave
 * it alone. Run after every migration, since a migration may add columns a trigger must list; it
 * only touches the schema when a trigger is missing or different, so it is cheap on every start.
 */
export async function installChangeCounters(db: Kysely<any>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof SqliteAdapter)) return;
  await sql`create table if not exists change_counters (name text primary key, n integer not null default 0)`.execute(db);
  const existing = new Map(
    (await sql<{ name: string; sql: string }>`select name, sql from sqlite_master where type = 'trigger' and name like 'apigpt_cc_%'`.execute(db)).rows.map((r) => [r.name, r.sql]),
  );
  const wanted = new Map<string, string>();
  for (const [table, ignored] of Object.entries(WATCHED_TABLES)) {
    const columns = (await sql<{ name: string }>`select name from pragma_table_info(${table})`.execute(db)).rows.map((r) => r.name);
    if (columns.length === 0) continue; // not created yet
    const bump = `begin update change_counters set n = n + 1 where name = '${table}'; end`;
    const watched = columns.filter((c) => !ignored.includes(c)).map((c) => `"${c}"`);
    wanted.set(`apigpt_cc_${table}_i`, `CREATE TRIGGER apigpt_cc_${table}_i after insert on "${table}" ${bump}`);
    wanted.set(`apigpt_cc_${table}_d`, `CREATE TRIGGER apigpt_cc_${table}_d after delete on "${table}" ${bump}`);
    wanted.set(`apigpt_cc_${table}_u`, `CREATE TRIGGER apigpt_cc_${table}_u after update of ${watched.join(', ')} on "${table}" ${bump}`);
  }
  const stale = [...existing].filter(([name, text]) => wanted.get(name) !== text).map(([name]) => name);
  const missing = [...wanted].filter(([name]) => !existing.has(name) || stale.includes(name));
  const tables = Object.keys(WATCHED_TABLES);
  const counted = new Set((await sql<{ name: string }>`select name from change_counters`.execute(db)).rows.map((r) => r.name));
  if (stale.length === 0 && missing.length === 0 && tables.every((t) => counted.has(t))) return;
  await db.transaction().execute(async (trx) => {
    for (const t of tables) await sql`insert or ignore into change_counters (name, n) values (${t}, 0)`.execute(trx);
    for (const name of stale) await sql.raw(`drop trigger if exists ${name}`).execute(trx);
    for (const [, text] of missing) await sql.raw(text).execute(trx);
  });
}
