import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import type { Database } from './schema.js';

export type Db = Kysely<Database>;
export type DbDialect = 'sqlite' | 'postgres';

export interface DatabaseHandle {
  db: Db;
  dialect: DbDialect;
  /** PostgreSQL schema in use (undefined on SQLite). */
  schema?: string;
  /** Where the data lives, for the start banner (never includes a password). */
  describe: string;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  dataDir: string;
  databaseUrl?: string;
  /** PostgreSQL schema (tests give each run its own). */
  schema?: string;
}

export async function openDatabase(opts: DatabaseOptions): Promise<DatabaseHandle> {
  return opts.databaseUrl ? openPostgres(opts.databaseUrl, opts.schema) : openSqlite(opts.dataDir);
}

function openSqlite(dataDir: string): DatabaseHandle {
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, 'apigpt.db');
  const sqlite = new BetterSqlite3(file);
  // WAL lets the CLI read and write while the server runs; busy_timeout makes the two wait for
  // each other instead of failing with SQLITE_BUSY.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
  return { db, dialect: 'sqlite', describe: `SQLite ${file}`, close: () => db.destroy() };
}

/**
 * Kysely prepares a statement for every query; compiling the same SQL again costs more than running
 * it (about 45 µs of a relayed call's key lookup). Statements are kept by their SQL text, the oldest
 * dropped past `max`. Kysely runs one query at a time on this connection, so reuse is safe.
 */
function withStatementCache(sqlite: BetterSqlite3.Database, max = 500): { close(): void; prepare(sql: string): BetterSqlite3.Statement } {
  const cache = new Map<string, BetterSqlite3.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(sql: string) {
      let st = cache.get(sql);
      if (!st) {
        st = sqlite.prepare(sql);
        cache.set(sql, st);
        if (cache.size > max) cache.delete(cache.keys().next().value as string);
      }
      return st;
    },
  };
}

async function openPostgres(url: string, schema?: string): Promise<DatabaseHandle> {
  if (schema && !/^[a-z_][a-z0-9_]*$/i.test(schema)) throw new Error(`Invalid PostgreSQL schema name: ${schema}`);
  // int8 (bigint) and numeric come back as strings by default; our times and money fit in a double.
  const types = {
    getTypeParser: (oid: number, format?: any) => (oid === 20 || oid === 1700 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format)),
  };
  const pool = new pg.Pool({ connectionString: url, max: 10, types, ...(schema ? { options: `-c search_path=${schema}` } : {}) });
  if (schema) {
    const c = await pool.connect();
    try {
      await c.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    } finally {
      c.release();
    }
  }
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  await sql`select 1`.execute(db);
  const u = new URL(url);
  return { db, dialect: 'postgres', schema: schema ?? 'public', describe: `PostgreSQL ${u.host}${u.pathname}${schema ? ` (schema ${schema})` : ''}`, close: () => db.destroy() };
}
