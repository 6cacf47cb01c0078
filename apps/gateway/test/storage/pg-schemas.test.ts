// One PostgreSQL database, many schemas: a gateway's start (its migrations) must not depend on
// the other schemas in the database, which other processes create and drop at any moment. CI's
// parallel test files did exactly that, and a spawned CLI failed its migration with
// `schema "<another test's schema>" does not exist`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { openDatabase, type DatabaseHandle } from '../../src/storage/database.js';
import { migrateToLatest } from '../../src/storage/migrations.js';
import { PG_URL } from '../harness.js';

describe('a gateway schema beside schemas that come and go', () => {
  const stamp = `${process.pid}_${Date.now().toString(36)}`;
  const schema = `own_${stamp}`;
  let dbh: DatabaseHandle;
  const churn = new pg.Client({ connectionString: PG_URL });
  let stop = false;
  let churned = 0;
  let loop: Promise<void> = Promise.resolve();

  beforeAll(async () => {
    dbh = await openDatabase({ dataDir: '/nonexistent', databaseUrl: PG_URL, schema });
    await migrateToLatest(dbh.db, { schema });
    await churn.connect();
  });
  afterAll(async () => {
    stop = true;
    await loop;
    await churn.query(`drop schema if exists "${schema}" cascade`).catch(() => undefined);
    await churn.end();
    await dbh?.close();
  });

  it('migrates again and again while another connection creates and drops schemas with tables', async () => {
    // Another tenant's schemas, each with a few tables (and a serial column, which the stock
    // introspector asks about by name), made and dropped as fast as one connection can.
    loop = (async () => {
      for (let i = 0; !stop; i++) {
        const other = `gone_${stamp}_${i}`;
        await churn.query(`create schema "${other}"; create table "${other}".a (id serial primary key, v text); create table "${other}".b (id serial primary key)`);
        await churn.query(`drop schema "${other}" cascade`);
        churned++;
      }
    })();
    const failures: string[] = [];
    for (let i = 0; i < 150; i++) {
      // Already at the latest version: each round is only the Migrator's look for its own tables.
      await migrateToLatest(dbh.db, { schema }).catch((err: Error) => failures.push(err.message));
    }
    stop = true;
    await loop;
    expect(churned).toBeGreaterThan(20);
    expect(failures).toEqual([]);
    // 150 rounds take ~6 s alone; a clean-clone CI run, with the other test files' schemas in the
    // same database and both cores busy, once took over 30 s. The ceiling is for a hang, not speed.
  }, 120_000);

  it("sees only its own schema's tables", async () => {
    const tables = await dbh.db.introspection.getTables({ withInternalKyselyTables: true });
    expect(new Set(tables.map((t) => t.schema))).toEqual(new Set([schema]));
    const names = tables.map((t) => t.name);
    expect(names).toContain('users');
    expect(names).toContain('kysely_migration');
    expect(await dbh.db.introspection.getSchemas()).toEqual([{ name: schema }]);
  });
});
