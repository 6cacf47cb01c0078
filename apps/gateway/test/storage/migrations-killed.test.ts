import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { apigptBin } from '../built-cli.js';
import { openDatabase, type DatabaseHandle } from '../../src/storage/database.js';
import { MIGRATIONS } from '../../src/storage/migrations.js';
import { dropTestDatabase, EACH_DATABASE, openTestDatabase, type TestDatabase } from './each-database.js';

/**
 * A process killed while it migrates (a SIGTERM or SIGKILL during a first start, before the gateway
 * has a handler for it) must leave a database the next start migrates: not one where a migration's
 * tables or columns exist but its record does not, so that every later start runs it again and fails.
 * The migrations run in a child process of the built gateway (dist/), which kills itself with SIGKILL
 * right after one migration's changes and before the Migrator records it.
 */
const CHILD = `
const { openDatabase } = await import(process.env.DB_DIST);
const { migrateToLatest, MIGRATIONS } = await import(process.env.MIG_DIST);
const where = JSON.parse(process.env.WHERE);
const dbh = await openDatabase(where);
const killAfter = process.env.KILL_AFTER;
const migrations = Object.fromEntries(
  Object.entries(MIGRATIONS).map(([name, m]) => [name, name !== killAfter ? m : { up: async (db) => { await m.up(db); process.kill(process.pid, 'SIGKILL'); } }]),
);
const applied = await migrateToLatest(dbh.db, { schema: dbh.schema }, migrations);
await dbh.close();
console.log(JSON.stringify({ applied: applied.length }));
`;

const run = promisify(execFile);
const names = Object.keys(MIGRATIONS).sort();
/** One in the middle of a first start's run, after others were applied in the same run. */
const KILLED = names[Math.floor(names.length / 2)]!;

async function migrateInChild(dir: string, where: TestDatabase, killAfter = ''): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> {
  const script = join(dir, 'migrate.mjs');
  writeFileSync(script, CHILD);
  const dist = (p: string) => pathToFileURL(join(dirname(apigptBin()), '../dist', p)).href;
  const env = { ...process.env, DB_DIST: dist('storage/database.js'), MIG_DIST: dist('storage/migrations.js'), WHERE: JSON.stringify(where), KILL_AFTER: killAfter, NODE_OPTIONS: '' };
  try {
    const { stdout, stderr } = await run(process.execPath, [script], { env, timeout: 60_000 });
    return { code: 0, signal: null, stdout, stderr };
  } catch (err) {
    const e = err as { code: number | null; signal: string | null; stdout: string; stderr: string };
    return { code: e.code, signal: e.signal, stdout: e.stdout, stderr: e.stderr };
  }
}

const scratch = mkdtempSync(join(tmpdir(), 'apigpt-migrate-kill-'));
afterAll(() => dropTestDatabase({ dataDir: scratch }, undefined));

describe.each(EACH_DATABASE('migrate-kill'))('%s: a process killed in the middle of its migrations', (_name, make) => {
  const where = make();
  afterAll(() => dropTestDatabase(where, undefined));

  it(`leaves nothing half-applied: nothing recorded, and the next start applies every migration`, async () => {
    const killed = await migrateInChild(scratch, where, KILLED);
    expect(killed.signal).toBe('SIGKILL');

    // The run was one transaction: the Migrator's record table exists (made before it), empty.
    const dbh = await openDatabase(where); // not migrated: what the child left
    try {
      const recorded = await sql<{ n: number }>`select count(*) as n from ${sql.table(where.schema ? `${where.schema}.kysely_migration` : 'kysely_migration')}`.execute(dbh.db);
      expect(Number(recorded.rows[0]!.n)).toBe(0);
    } finally {
      await dbh.close();
    }

    const next = await migrateInChild(scratch, where);
    expect(next.stderr).toBe('');
    expect(next.code).toBe(0);
    expect(JSON.parse(next.stdout)).toEqual({ applied: names.length });
  }, 120_000);

  it('the schema it leaves is the one a run never interrupted makes', async () => {
    const clean = make();
    const a = await openTestDatabase(clean);
    const b = await openDatabase(where); // not migrated: what the child left
    try {
      expect(await schemaOf(b, where)).toEqual(await schemaOf(a, clean));
    } finally {
      await b.close();
      await dropTestDatabase(clean, a);
    }
  }, 120_000);
});

/** Every table's columns (and on SQLite every index and trigger's text): what a migration makes. */
async function schemaOf(dbh: DatabaseHandle, where: TestDatabase): Promise<string[]> {
  if (where.schema) {
    const r = await sql<{ t: string; c: string; ty: string; n: string; d: string | null }>`
      select table_name as t, column_name as c, data_type as ty, is_nullable as n, column_default as d
      from information_schema.columns where table_schema = ${where.schema} and table_name <> 'kysely_migration' order by 1, 2`.execute(dbh.db);
    return r.rows.map((x) => `${x.t}.${x.c} ${x.ty} ${x.n} ${x.d ?? ''}`);
  }
  const r = await sql<{ type: string; name: string; sql: string | null }>`
    select type, name, sql from sqlite_master where name not like 'kysely_migration%' and name not like 'sqlite_%' order by type, name`.execute(dbh.db);
  return r.rows.map((x) => `${x.type} ${x.name}: ${x.sql ?? ''}`);
}
