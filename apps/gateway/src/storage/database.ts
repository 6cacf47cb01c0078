import { ensurePrivateDir, ensurePrivateFile, tightenIfExists } from '../core/private-files.js';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type pg from 'pg';
import { Kysely, SqliteAdapter, SqliteDialect, SqliteDriver, sql, type DatabaseConnection, type DialectAdapter, type Driver, type SqliteDialectConfig } from 'kysely';
import { SchemaScopedPostgresDialect } from './pg-introspector.js';
import type { Database } from './schema.js';
import { COUNTERS_TABLE } from './change-counters.js';
import { Generations } from './generations.js';
import type { PgChanges } from './pg-changes.js';
import type { Logger } from '../core/logger.js';

export type Db = Kysely<Database>;
export type DbDialect = 'sqlite' | 'postgres';

/**
 * Inserts many rows of one table inside a transaction that is open on `trx`. The request log and the
 * ledger are written this way every few milliseconds. A column some rows set and others leave out is
 * written as null in the rows that leave it out (not as its default).
 */
export type InsertMany = <T extends keyof Database & string>(trx: Db, table: T, rows: readonly Database[T][]) => Promise<void>;

export type { ChangeToken } from './generations.js';
import type { ChangeToken } from './generations.js';

export interface DatabaseHandle {
  db: Db;
  dialect: DbDialect;
  insertMany: InsertMany;
  /**
   * A value that changes whenever the given tables may have changed (a write to them by this
   * process, or a commit by any other): what lets a cache of reads stay exact. SQLite asks
   * data_version and the trigger-kept counters; PostgreSQL listens to the triggers' NOTIFY.
   */
  changeToken?: ChangeToken;
  /** PostgreSQL schema in use (undefined on SQLite). */
  schema?: string;
  /** Where the data lives, for the start banner (never includes a password). */
  describe: string;
  /**
   * PostgreSQL's connections: whether the server is taken for unreachable now, and how many stranded
   * connections were closed since the start (storage/pg-stalls.ts). Absent on SQLite.
   */
  connections?: { readonly unreachable: boolean; readonly stranded: number };
  close(): Promise<void>;
}

export interface DatabaseOptions {
  dataDir: string;
  databaseUrl?: string;
  /** PostgreSQL schema (tests give each run its own). */
  schema?: string;
  /** Where lost PostgreSQL connections are reported (they are reconnected, never fatal). */
  log?: Logger;
  /** How long a PostgreSQL connection (or a wait for a pooled one) may take; default PG_CONNECT_TIMEOUT_MS. */
  connectTimeoutMs?: number;
  /**
   * A PostgreSQL statement unanswered this long has its connection looked into from a new one, and
   * closed when the server is not working on it (storage/pg-stalls.ts); default DEFAULT_STALL_MS, 0: off.
   */
  stallMs?: number;
  /**
   * SQLite's page cache for this connection, in KiB (default: the driver's, 16 MiB). better-sqlite3
   * builds SQLite with `SQLITE_DEFAULT_CACHE_SIZE=-16000` (its deps/defines.gypi) where SQLite's own
   * default is 2 MB; each connection fills its cache with the pages it touches, and keeps them.
   */
  sqliteCacheKiB?: number;
}

export async function openDatabase(opts: DatabaseOptions): Promise<DatabaseHandle> {
  return opts.databaseUrl ? openPostgres(opts.databaseUrl, opts) : openSqlite(opts.dataDir, opts.sqliteCacheKiB);
}

/**
 * SQLite runs CREATE, ALTER and DROP inside a transaction and rolls them back with the rest
 * (sqlite.org/lang_transaction.html), but Kysely's SqliteAdapter reports no transactional DDL, so its
 * Migrator would apply each migration and record it in `kysely_migration` as two separate steps: a
 * process killed between them (a SIGTERM during a first start) leaves a migration applied but not
 * recorded, and every later start runs it again and fails ("duplicate column name"). Saying yes makes
 * the Migrator run the pending migrations and their records in one transaction, as on PostgreSQL:
 * a kill anywhere leaves the database as it was. The Migrator is the only reader of the flag.
 */
class AtomicDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

/**
 * After some errors — SQLITE_FULL, SQLITE_IOERR, SQLITE_NOMEM, SQLITE_BUSY in some cases — SQLite
 * rolls the transaction back itself (sqlite.org/lang_transaction.html, "Response To Errors Within A
 * Transaction"); Kysely's ROLLBACK then fails with "cannot rollback - no transaction is active", and
 * that error replaced the one that said what happened (a full disk read as a refused row). Rolling
 * back only a transaction that is still open lets the first error through.
 */
class RollbackOnceSqliteDriver extends SqliteDriver {
  constructor(
    config: SqliteDialectConfig,
    private readonly sqlite: BetterSqlite3.Database,
  ) {
    super(config);
  }

  override async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    if (this.sqlite.inTransaction) await super.rollbackTransaction(connection);
  }
}

class AtomicDdlSqliteDialect extends SqliteDialect {
  constructor(
    private readonly config: SqliteDialectConfig,
    private readonly sqlite: BetterSqlite3.Database,
  ) {
    super(config);
  }

  override createAdapter(): DialectAdapter {
    return new AtomicDdlSqliteAdapter();
  }

  override createDriver(): Driver {
    return new RollbackOnceSqliteDriver(this.config, this.sqlite);
  }
}

function openSqlite(dataDir: string, cacheKiB?: number): DatabaseHandle {
  ensurePrivateDir(dataDir);
  const file = join(dataDir, 'apigpt.db');
  // SQLite creates the -wal and -shm files with the database file's permissions: 600 for all three.
  ensurePrivateFile(file);
  const sqlite = new BetterSqlite3(file);
  // WAL lets the CLI read and write while the server runs; busy_timeout makes the two wait for
  // each other instead of failing with SQLITE_BUSY.
  sqlite.pragma('journal_mode = WAL');
  // Files an older version left readable by everyone.
  for (const extra of ['-wal', '-shm']) tightenIfExists(file + extra);
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  // A negative cache_size is in KiB (sqlite.org/pragma.html#pragma_cache_size).
  if (cacheKiB !== undefined) sqlite.pragma(`cache_size = ${-Math.max(64, Math.floor(cacheKiB))}`);
  // Set by every write this connection makes (data_version only moves for other connections' commits).
  const own = { dirty: true, writes: 0 };
  const db = new Kysely<Database>({ dialect: new AtomicDdlSqliteDialect({ database: withStatementCache(sqlite, own) }, sqlite) });
  // data_version moves when another connection (the log-writer thread, the CLI, another process)
  // commits. Asking costs 10–15 µs under load (a read transaction on the WAL), so its answer is
  // reused for FOREIGN_COMMIT_POLL_MS: another connection's commit is seen within that, this
  // connection's own writes at once. Only when something moved are
  // the per-table change counters (kept by triggers, storage/change-counters.ts) read again, so a
  // cache of one table survives writes to others and to the columns no cache reads.
  const dataVersion = sqlite.prepare('PRAGMA data_version').pluck();
  let statement: BetterSqlite3.Statement | null = null;
  // The counters' last values (only compared), and the generations they move; tables without a
  // counter move with every foreign commit.
  const seen = new Map<string, number>();
  const generations = new Generations();
  let version = 0;
  let askedAt = -Infinity;
  const changeToken: ChangeToken = (tables) => {
    const now = performance.now();
    if (now - askedAt >= FOREIGN_COMMIT_POLL_MS) {
      const v = dataVersion.get() as number;
      askedAt = now;
      if (v !== version) {
        version = v;
        generations.bumpUntracked();
        own.dirty = true;
      }
    }
    if (own.dirty) {
      own.dirty = false;
      try {
        statement ??= sqlite.prepare(`select name, n from ${COUNTERS_TABLE}`);
        for (const r of statement.all() as { name: string; n: number }[]) {
          if (seen.get(r.name) !== r.n) generations.bump(r.name);
          seen.set(r.name, r.n);
        }
      } catch {
        statement = null; // not migrated yet: the table comes with the first migration run
      }
    }
    // Own writes count in every token: a cache is never trusted across a write of this connection
    // (rare: the API's; the log batches are the writer thread's), which also covers a counter read
    // inside a transaction that was then rolled back.
    return own.writes + generations.sum(tables);
  };
  return { db, dialect: 'sqlite', insertMany: sqliteInsertMany(sqlite, own), changeToken, describe: `SQLite ${file}`, close: () => db.destroy() };
}

/**
 * How long (ms) a SQLite connection reuses its answer to "has another connection committed?"
 * (`PRAGMA data_version`). Every cache on the hot path asks on every call; at 1 ms the question was
 * asked a thousand times a second under load, about 6 µs of the event loop per call at 2,000 calls a
 * second (bench/window-profile.js, bench/RESULTS.md session 28). 10 ms keeps a revocation or a
 * channel change made by another process (the CLI, another worker or gateway on the same file) far
 * inside the second the gateways promise one another (README, `serve --workers`), and this
 * process's own writes count at once.
 */
export const FOREIGN_COMMIT_POLL_MS = 10;

/**
 * Every column any row sets, and each row's values in that order (a column absent from a row is
 * null): what both batch inserts bind.
 */
function columnsOf(rows: readonly object[]): { columns: string[]; value: (row: object, column: string) => unknown } {
  const seen = new Set<string>();
  for (const r of rows) for (const k in r) seen.add(k);
  return { columns: [...seen], value: (row, column) => (row as Record<string, unknown>)[column] ?? null };
}

/**
 * On PostgreSQL a batch is one `insert … select … from json_populate_recordset(null::table, $1)`:
 * the rows go as one JSON text, which V8 writes natively, and PostgreSQL reads each value as its
 * column's type (the table's own row type says which). The statement's text depends only on the
 * table and its columns, not on the batch's size. It replaced one `unnest($1::type[], …)` array per
 * column (itself cheaper than Kysely's multi-row VALUES, bench/RESULTS.md session 14), whose arrays
 * the driver serialises value by value in JavaScript, on the event loop: about 7 µs of the gateway's
 * CPU per logged row more (`bench/writer-cache.js --pg`, bench/RESULTS.md session 24). It is still a
 * Kysely insert into the table, so the change-tracking plugin sees which table it wrote.
 */
function pgInsertMany(): InsertMany {
  return async (trx, table, rows) => {
    if (rows.length === 0) return;
    const { columns } = columnsOf(rows);
    // Identifiers from the gateway's own tables and row objects (never a caller's), quoted.
    const list = sql.join(columns.map((c) => sql.ref(c)));
    await trx
      .insertInto(table)
      .columns(columns as never)
      .expression(sql`select ${list} from json_populate_recordset(null::${sql.table(table)}, ${pgJson(rows)}::json)` as never)
      .execute();
  };
}

/**
 * The rows as JSON PostgreSQL's text columns can take. A row carries a caller's text (the model
 * they asked for, a provider's error message), and PostgreSQL refuses two things JavaScript strings
 * may hold: the NUL character, which text cannot store (one call naming the model "gpt\u0000" failed
 * its whole batch until the row was split out and given up, holding every later batch meanwhile),
 * and, in JSON input, a lone UTF-16 surrogate (`"\ud800"` in a request's JSON parses to one, and
 * JSON.stringify writes it as that escape). Both become U+FFFD, as the UTF-8 encoder does for a lone
 * surrogate on every other path. JSON.stringify writes `\u` only for these and for other control
 * characters, so a batch without one costs a single scan of its text.
 */
function pgJson(rows: readonly object[]): string {
  const json = JSON.stringify(rows);
  if (!json.includes('\\u')) return json;
  return JSON.stringify(rows, (_key, v: unknown) => (typeof v === 'string' ? pgText(v) : v));
}

const PG_UNSTORABLE = /\0|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** A string PostgreSQL's text can hold: NUL and lone surrogates replaced by U+FFFD. */
function pgText(s: string): string {
  return s.replace(PG_UNSTORABLE, '\ufffd');
}

/**
 * On SQLite a batch is one prepared single-row statement run per row: less than half the cost of
 * Kysely building and binding a multi-row statement each time (measured: 4.4 vs 10 µs a row). It runs
 * on the same connection as the Kysely transaction the caller has open, so it is part of it.
 */
function sqliteInsertMany(sqlite: BetterSqlite3.Database, own: { dirty: boolean; writes: number }): InsertMany {
  const statements = new Map<string, BetterSqlite3.Statement>();
  return async (_trx, table, rows) => {
    if (rows.length === 0) return;
    own.dirty = true;
    own.writes++;
    const { columns, value } = columnsOf(rows);
    const sql = `insert into "${table}" (${columns.map((c) => `"${c}"`).join(', ')}) values (${columns.map(() => '?').join(', ')})`;
    let st = statements.get(sql);
    if (!st) {
      st = sqlite.prepare(sql);
      statements.set(sql, st);
    }
    for (const row of rows) st.run(columns.map((c) => value(row, c)));
  };
}

/**
 * Kysely prepares a statement for every query; compiling the same SQL again costs more than running
 * it (about 45 µs of a relayed call's key lookup). Statements are kept by their SQL text, the oldest
 * dropped past `max`. Kysely runs one query at a time on this connection, so reuse is safe.
 */
function withStatementCache(sqlite: BetterSqlite3.Database, own: { dirty: boolean; writes: number }, max = 500): { close(): void; prepare(sql: string): BetterSqlite3.Statement } {
  const cache = new Map<string, BetterSqlite3.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(text: string) {
      let st = cache.get(text);
      if (!st) {
        // Two connections write this file (this one and the log-writer thread): a transaction takes
        // the write lock when it begins, so one that reads first cannot find the snapshot it read
        // outdated when it then writes (SQLITE_BUSY that no busy_timeout would wait out).
        st = sqlite.prepare(/^\s*begin\s*$/i.test(text) ? 'begin immediate' : text);
        if (/^\s*(?:insert|update|delete|replace)\b/i.test(text)) st = markingWrites(st, own);
        cache.set(text, st);
        if (cache.size > max) cache.delete(cache.keys().next().value as string);
      }
      return st;
    },
  };
}

/** A write statement that marks the connection's caches for a check each time it runs (RETURNING writes run as `all`). */
function markingWrites(st: BetterSqlite3.Statement, own: { dirty: boolean; writes: number }): BetterSqlite3.Statement {
  return new Proxy(st, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if ((prop === 'run' || prop === 'all' || prop === 'get' || prop === 'iterate') && typeof value === 'function')
        return (...args: unknown[]) => {
          own.dirty = true;
          own.writes++;
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/**
 * A connection that gets no answer (a database behind a network that drops packets rather than
 * refusing) fails after this long, and so does a wait for a free pooled connection: a call is then
 * refused with a retryable 503 instead of hanging for as long as the outage lasts.
 */
export const PG_CONNECT_TIMEOUT_MS = 10_000;

/** A statement unanswered this long has its connection looked into (APIGPT_DATABASE_STALL_MS). */
export const DEFAULT_STALL_MS = 5_000;

async function openPostgres(url: string, opts: Pick<DatabaseOptions, 'schema' | 'log' | 'connectTimeoutMs' | 'stallMs'>): Promise<DatabaseHandle> {
  const { schema, log, connectTimeoutMs = PG_CONNECT_TIMEOUT_MS, stallMs = DEFAULT_STALL_MS } = opts;
  if (schema && !/^[a-z_][a-z0-9_]*$/i.test(schema)) throw new Error(`Invalid PostgreSQL schema name: ${schema}`);
  // The PostgreSQL client is loaded only by a gateway that uses PostgreSQL (docs/architecture.md,
  // "Start and idle memory").
  const [{ default: pg }, { listenForChanges }, { StallWatch, PROBE_TIMEOUT_MS }] = await Promise.all([import('pg'), import('./pg-changes.js'), import('./pg-stalls.js')]);
  // int8 (bigint) and numeric come back as strings by default; our times and money fit in a double.
  const types = {
    getTypeParser: (oid: number, format?: any) => (oid === 20 || oid === 1700 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format)),
  };
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    types,
    connectionTimeoutMillis: connectTimeoutMs,
    // Pooled connections whose peer vanished without a word are found by the kernel, not by the next call.
    keepAlive: true,
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  });
  guardPool(pool, log);
  const watched = new StallWatch(pool, {
    stallMs,
    probe: () => new pg.Client({ connectionString: url, connectionTimeoutMillis: PROBE_TIMEOUT_MS, query_timeout: PROBE_TIMEOUT_MS, application_name: 'apigpt-stall-check' }),
    log: (msg) => log?.warn(msg),
  });
  if (schema) {
    const c = await pool.connect();
    try {
      await c.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    } finally {
      c.release();
    }
  }
  let changes: PgChanges;
  try {
    changes = await listenForChanges(url, schema ?? 'public', (msg, err) => log?.warn(err ? `${msg}: ${errorText(err)}` : msg));
  } catch (err) {
    await pool.end();
    throw err;
  }
  const db = new Kysely<Database>({ dialect: new SchemaScopedPostgresDialect({ pool: watched }, schema ?? 'public'), plugins: [changes.plugin] });
  await sql`select 1`.execute(db);
  const u = new URL(url);
  return {
    db,
    dialect: 'postgres',
    insertMany: pgInsertMany(),
    changeToken: changes.changeToken,
    schema: schema ?? 'public',
    describe: `PostgreSQL ${u.host}${u.pathname}${schema ? ` (schema ${schema})` : ''}`,
    connections: watched,
    close: async () => {
      await changes.close();
      await db.destroy();
    },
  };
}

/**
 * A pooled connection that breaks emits 'error': on the pool while it is idle, on the client itself
 * while a call holds it. With no listener either one is an uncaught exception that ends the process
 * (a database restart, a network blip, a proxy's reset would kill the gateway). Both are heard here.
 * Nothing else is needed to recover: the pool drops a broken connection (an idle one at once, a held
 * one when it is released, being no longer queryable) and opens a new one for the next call, and the
 * call whose query was cut fails with the connection's error, which reaches its caller as a
 * retryable 503 (core/dependency-errors.ts).
 */
function guardPool(pool: pg.Pool, log?: Logger): void {
  let lastReport = 0;
  const report = (err: unknown) => {
    // One line a second at most: a reset drops every connection of the pool at once.
    const now = Date.now();
    if (now - lastReport < 1_000) return;
    lastReport = now;
    log?.warn(`PostgreSQL connection lost (${errorText(err)}); the pool reconnects on the next query`);
  };
  pool.on('error', report);
  pool.on('connect', (client) => client.on('error', report));
}

function errorText(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown } | null;
  return [typeof e?.code === 'string' ? e.code : null, typeof e?.message === 'string' ? e.message : String(err)].filter(Boolean).join(' ');
}
