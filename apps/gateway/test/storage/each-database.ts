// A database of each kind for tests that run the same code on both: a fresh SQLite file, or a
// PostgreSQL schema of its own; migrated when opened, removed (file or schema) when dropped.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openDatabase, type DatabaseHandle } from '../../src/storage/database.js';
import { migrateToLatest } from '../../src/storage/migrations.js';
import { PG_URL } from '../harness.js';

export interface TestDatabase {
  dataDir: string;
  databaseUrl?: string;
  schema?: string;
}

/** `describe.each(EACH_DATABASE(prefix))`: the name, then where its database is made. */
export const EACH_DATABASE = (prefix: string) =>
  [
    ['SQLite', (): TestDatabase => ({ dataDir: mkdtempSync(join(tmpdir(), `apigpt-${prefix}-`)) })],
    ['PostgreSQL', (): TestDatabase => ({ dataDir: '/nonexistent', databaseUrl: PG_URL, schema: `${prefix.replace(/-/g, '_')}_${process.pid}_${Date.now().toString(36)}` })],
  ] as const;

export async function openTestDatabase(where: TestDatabase): Promise<DatabaseHandle> {
  const dbh = await openDatabase(where);
  await migrateToLatest(dbh.db, { schema: dbh.schema });
  return dbh;
}

export async function dropTestDatabase(where: TestDatabase, dbh: DatabaseHandle | undefined): Promise<void> {
  await dbh?.close();
  if (where.schema) {
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    await c.query(`drop schema if exists "${where.schema}" cascade`).finally(() => c.end());
  } else rmSync(where.dataDir, { recursive: true, force: true });
}
