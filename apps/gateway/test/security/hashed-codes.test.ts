/**
 * Redemption codes are spendable credit: the database keeps only their SHA-256 (and a hint), like API
 * keys. A code is answered once, when it is made; an older database's clear codes are hashed in place
 * by migration 0008 and still redeem.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../../src/storage/database.js';
import { MIGRATIONS, migrateToLatest } from '../../src/storage/migrations.js';
import { DB_KINDS, PG_URL, startTestGateway, type DbKind, type TestGateway } from '../harness.js';

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** Every text cell of every row of `table`, as one string to search. */
async function dump(dbh: DatabaseHandle, table: string): Promise<string> {
  return JSON.stringify(await dbh.db.selectFrom(table as never).selectAll().execute());
}

describe.each(DB_KINDS)('redemption codes are stored hashed (%s)', (kind) => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({ db: kind });
  });
  afterAll(() => t?.close());

  it('a new batch is answered in clear once; the table, the Idempotency-Key record and the list hold only hashes and hints', async () => {
    const made = await fetch(`${t.url}/api/admin/codes`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.rootToken}`, 'content-type': 'application/json', 'idempotency-key': 'hashed-batch-1' },
      body: JSON.stringify({ count: 3, value: 7, name: 'hashed' }),
    });
    expect(made.status).toBe(200);
    const items = ((await made.json()) as { items: { id: string; code: string; hint: string }[] }).items;
    expect(items).toHaveLength(3);
    for (const i of items) {
      expect(i.code).toMatch(/^APG-[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$/);
      expect(i.hint).toBe(i.code.slice(0, 8));
    }
    const rows = await t.gw.services.db.selectFrom('redemption_codes').selectAll().where('name', '=', 'hashed').execute();
    expect(rows.map((r) => [r.id, r.code_hash, r.hint]).sort()).toEqual(items.map((i) => [i.id, sha256(i.code), i.hint]).sort());
    const everything = [await dump(t.gw.services.dbh, 'redemption_codes'), await dump(t.gw.services.dbh, 'idempotency_keys'), await dump(t.gw.services.dbh, 'audit_log')].join('\n');
    for (const i of items) expect(everything).not.toContain(i.code.slice(4));
    if (kind === 'sqlite') {
      // The bytes on disk: the database, its WAL and everything else in the data folder.
      const dir = t.config.dataDir;
      const disk = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => readFileSync(join(e.parentPath ?? e.path, e.name)).toString('latin1')).join('\n');
      for (const i of items) expect(disk).not.toContain(i.code.slice(4));
    }
    const list = await t.api('GET', '/api/admin/codes?limit=1000', undefined, { token: t.rootToken });
    const listed = list.body.items.filter((c: { name: string | null }) => c.name === 'hashed');
    expect(listed.map((c: { hint: string }) => c.hint).sort()).toEqual(items.map((i) => i.hint).sort());
    expect(JSON.stringify(list.body)).not.toMatch(/APG-[A-Z2-9]{4}-[A-Z2-9]{4}/);

    // Redemption hashes what the user typed (trimmed, any case) and finds the code.
    const u = await t.signup();
    const r = await t.api('POST', '/api/billing/redeem', { code: `  ${items[0].code.toLowerCase()} ` }, { cookie: u.cookie });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ amount: 7 });
    const again = await t.api('POST', '/api/billing/redeem', { code: items[0].code }, { cookie: u.cookie });
    expect([again.status, again.body.error.code]).toEqual([409, 'code_used']);
    // The ledger names the code by its hint.
    const ledger = await t.api('GET', '/api/billing/ledger', undefined, { cookie: u.cookie });
    expect(ledger.body.items[0]).toMatchObject({ kind: 'redeem', reason: `code ${items[0].hint}…` });
  });
});

describe.each(DB_KINDS)('migration 0008_hashed_codes hashes clear codes in place (%s)', (kind: DbKind) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'apigpt-codes-'));
  const schema = kind === 'postgres' ? `t_codes_${process.pid}_${Date.now().toString(36)}` : undefined;
  afterAll(async () => {
    rmSync(dataDir, { recursive: true, force: true });
    if (schema) {
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await c.end();
    }
  });

  it('old unused, used and expired codes keep working by their clear text, which is gone from the database', async () => {
    const open = () => openDatabase({ dataDir, ...(schema ? { databaseUrl: PG_URL, schema } : {}) });
    const before = Object.fromEntries(Object.entries(MIGRATIONS).filter(([name]) => name < '0008'));
    const old = { unused: 'APG-AAAA-BBBB-CCCC-DDDD', used: 'APG-EEEE-FFFF-GGGG-HHHH', expired: 'APG-JJJJ-KKKK-MMMM-NNNN' };
    const dbh = await open();
    try {
      await migrateToLatest(dbh.db, { schema: dbh.schema }, before);
      const now = Date.now();
      const row = (id: string, code: string, extra: Record<string, unknown> = {}) => ({ id, code, name: 'legacy', value: 3_000_000, created_at: now, expires_at: null, redeemed_by: null, redeemed_at: null, ...extra });
      await (dbh.db as any)
        .insertInto('redemption_codes')
        .values([row('code_old1', old.unused), row('code_old2', old.used, { redeemed_by: 'usr_gone', redeemed_at: now }), row('code_old3', old.expired, { expires_at: now - 1000 })])
        .execute();
      // An Idempotency-Key record of a batch made before the upgrade holds its codes in clear.
      await dbh.db
        .insertInto('idempotency_keys')
        .values({ scope: 'root', route: 'POST /api/admin/codes', key: 'old-batch', fingerprint: 'x', status: 200, result: JSON.stringify({ ok: [{ code: old.unused }] }), created_at: now, expires_at: now + 60_000 })
        .execute();
      await migrateToLatest(dbh.db, { schema: dbh.schema });
      const rows = await dbh.db.selectFrom('redemption_codes').select(['id', 'code_hash', 'hint']).orderBy('id').execute();
      expect(rows).toEqual([
        { id: 'code_old1', code_hash: sha256(old.unused), hint: 'APG-AAAA' },
        { id: 'code_old2', code_hash: sha256(old.used), hint: 'APG-EEEE' },
        { id: 'code_old3', code_hash: sha256(old.expired), hint: 'APG-JJJJ' },
      ]);
      const everything = (await Promise.all(['redemption_codes', 'idempotency_keys'].map((tb) => dump(dbh, tb)))).join('\n');
      for (const c of Object.values(old)) expect(everything).not.toContain(c.slice(4));
    } finally {
      await dbh.close();
    }

    // A gateway on the migrated database redeems the old codes by what is printed on them.
    const t = await startTestGateway({ db: kind, config: { dataDir, ...(schema ? { databaseSchema: schema } : {}) } });
    try {
      const u = await t.signup();
      const ok = await t.api('POST', '/api/billing/redeem', { code: old.unused }, { cookie: u.cookie });
      expect([ok.status, ok.body.amount]).toEqual([200, 3]);
      const used = await t.api('POST', '/api/billing/redeem', { code: old.used }, { cookie: u.cookie });
      expect([used.status, used.body.error.code]).toEqual([409, 'code_used']);
      const expired = await t.api('POST', '/api/billing/redeem', { code: old.expired }, { cookie: u.cookie });
      expect([expired.status, expired.body.error.code]).toEqual([400, 'code_expired']);
      const list = await t.api('GET', '/api/admin/codes?limit=1000', undefined, { token: t.rootToken });
      expect(list.body.items.filter((c: { name: string }) => c.name === 'legacy').map((c: { hint: string }) => c.hint).sort()).toEqual(['APG-AAAA', 'APG-EEEE', 'APG-JJJJ']);
    } finally {
      await t.close();
    }
  });
});
