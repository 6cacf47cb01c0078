import { PostgresAdapter, sql, SqliteAdapter, type Kysely } from 'kysely';

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
  // Content safety and privacy (safety/guard.ts, privacy/guard.ts): a rule or policy an admin adds
  // on one gateway applies at the next call on every other.
  safety_rules: [],
  safety_policies: [],
  privacy_policies: [],
};

export const COUNTERS_TABLE = 'change_counters';

/** The NOTIFY channel of one PostgreSQL schema's change counters (storage/pg-changes.ts listens). */
export function changeChannel(schema: string): string {
  return `apigpt_changes_${schema}`.slice(0, 63);
}

/**
 * On SQLite, triggers count the changes to each watched table in `change_counters`, whoever makes
 * them (this process, its log-writer thread, the CLI, another gateway on the same file). A cache then
 * compares one small row instead of reloading, and writes to unwatched columns (the log batch) leave
 * it alone. Run after every migration, since a migration may add columns a trigger must list; it
 * only touches the schema when a trigger is missing or different, so it is cheap on every start.
 */
export async function installChangeCounters(db: Kysely<any>, opts: { schema?: string } = {}): Promise<void> {
  if (db.getExecutor().adapter instanceof PostgresAdapter) return installOnPostgres(db, opts.schema ?? 'public');
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

/**
 * PostgreSQL: one statement-level trigger per watched table bumps its counter and NOTIFYs the
 * schema's channel with the table's name (storage/pg-changes.ts listens). The definitions are
 * fingerprinted in `change_counters` ('#triggers'), so an unchanged install is one read; an advisory
 * lock keeps two processes starting at once from replacing them together.
 */
async function installOnPostgres(db: Kysely<any>, schema: string): Promise<void> {
  const channel = changeChannel(schema);
  const statements: string[] = [
    `create or replace function apigpt_changed() returns trigger language plpgsql as $$
begin
  update change_counters set n = n + 1 where name = TG_ARGV[0];
  perform pg_notify(TG_ARGV[1], TG_ARGV[0]);
  return null;
end $$`,
  ];
  for (const [table, ignored] of Object.entries(WATCHED_TABLES)) {
    const columns = (await sql<{ name: string }>`select column_name as name from information_schema.columns where table_schema = ${schema} and table_name = ${table} order by ordinal_position`.execute(db)).rows.map((r) => r.name);
    if (columns.length === 0) continue;
    const watched = columns.filter((c) => !ignored.includes(c)).map((c) => `"${c}"`);
    statements.push(`drop trigger if exists apigpt_cc_${table} on "${table}"`);
    statements.push(`create trigger apigpt_cc_${table} after insert or delete or update of ${watched.join(', ')} on "${table}" for each statement execute function apigpt_changed('${table}', '${channel}')`);
  }
  const fingerprint = fnv1a(statements.join('\n'));
  await sql`create table if not exists change_counters (name text primary key, n bigint not null default 0)`.execute(db);
  const have = (await sql<{ n: number }>`select n from change_counters where name = '#triggers'`.execute(db)).rows[0];
  if (have && Number(have.n) === fingerprint) return;
  await db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtext('apigpt_change_counters'))`.execute(trx);
    for (const t of Object.keys(WATCHED_TABLES)) await sql`insert into change_counters (name, n) values (${t}, 0) on conflict (name) do nothing`.execute(trx);
    for (const text of statements) await sql.raw(text).execute(trx);
    await sql`insert into change_counters (name, n) values ('#triggers', ${fingerprint}) on conflict (name) do update set n = excluded.n`.execute(trx);
  });
}

/** A 32-bit FNV-1a hash: enough to tell one set of trigger definitions from another. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}
