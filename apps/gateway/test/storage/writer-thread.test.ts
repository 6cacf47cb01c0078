// The request-log batches' writer thread and the change counters that keep the caches exact beside it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { ThreadBatchStore } from '../../src/batch/thread.js';
import { WRITER_CACHE_KIB } from '../../src/batch/writer-heap.js';
import { createBatchStore } from '../../src/batch/index.js';
import { loadConfig } from '../../src/config/config.js';
import { sql } from 'kysely';
import type { ThreadClient } from '../../src/core/thread-client.js';
import type { RequestLogRow } from '../../src/batch/types.js';
import { baseLog } from '../../src/relay/call.js';
import { RequestLogWriter } from '../../src/relay/request-log.js';
import { installChangeCounters, WATCHED_TABLES } from '../../src/storage/change-counters.js';
import { FOREIGN_COMMIT_POLL_MS, openDatabase, type DatabaseHandle } from '../../src/storage/database.js';
import { migrateToLatest } from '../../src/storage/migrations.js';
import { startTestGateway, type TestGateway } from '../harness.js';
import { chat, setPrice } from '../billing/helpers.js';
import { eventually } from '../eventually.js';

// SQLite's change token reuses its answer for FOREIGN_COMMIT_POLL_MS (performance.now()), then asks SQLite again:
// a wait on that clock, so that the next token sees every commit made before the wait began.
const settle = (from = performance.now()) => eventually(() => performance.now() - from >= FOREIGN_COMMIT_POLL_MS, { intervalMs: 1 });

/** The store's running thread (a test ends it, or checks it is the same one). */
const workerOf = (store: ThreadBatchStore) => (store as unknown as { thread: ThreadClient<unknown, unknown> }).thread.thread!.worker;

function row(userId: string, keyId: string | null, cost: number, id: string): RequestLogRow {
  const base = baseLog({ key: { keyId, prefix: 'sk-test', appId: 'app_x', userId, group: 'default', role: 'user' } as never, dialect: 'openai', operation: 'chat', endpoint: '/v1/chat/completions', model: 'gpt-4o-mini', stream: false, clientIp: null });
  return { ...base, id, status: 200, cost };
}

describe('change counters (SQLite triggers)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'apigpt-cc-'));
  let dbh: DatabaseHandle;
  let other: BetterSqlite3.Database;
  beforeAll(async () => {
    dbh = await openDatabase({ dataDir: dir });
    await migrateToLatest(dbh.db);
    other = new BetterSqlite3(join(dir, 'apigpt.db'));
    other.pragma('busy_timeout = 5000');
    other.prepare(`insert into users (id, email, password_hash, role, group_name, status, created_at, updated_at) values ('usr_1', 'a@x', 'h', 'user', 'default', 'active', 0, 0)`).run();
    other.prepare(`insert into apps (id, user_id, name, created_at) values ('app_1', 'usr_1', 'a', 0)`).run();
    other.prepare(`insert into api_keys (id, user_id, app_id, name, key_hash, prefix, created_at, spent, billing_version) values ('key_1', 'usr_1', 'app_1', 'k', 'h1', 'sk-1', 0, 0, 0)`).run();
    other.prepare(`insert into accounts (user_id, balance, version, low_balance_notified) values ('usr_1', 100, 0, 0)`).run();
  });
  afterAll(async () => {
    other?.close();
    await dbh?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const counter = (name: string) => (other.prepare('select n from change_counters where name = ?').pluck().get(name) as number) ?? -1;

  it('counts changes to what the caches read, and not the columns the log batches move', () => {
    const before = Object.fromEntries(Object.keys(WATCHED_TABLES).map((t) => [t, counter(t)]));
    other.prepare('update api_keys set last_used_at = 1, spent = spent + 5, billing_version = billing_version + 1').run();
    other.prepare('update accounts set balance = balance - 5, version = version + 1, low_balance_notified = 1').run();
    expect(counter('api_keys')).toBe(before.api_keys);
    expect(counter('accounts')).toBe(before.accounts);
    other.prepare('update api_keys set revoked_at = 1').run();
    other.prepare('update accounts set rpm = 10').run();
    other.prepare(`update channels set name = 'x' where 0`).run(); // no row: no change
    expect(counter('api_keys')).toBe(before.api_keys + 1);
    expect(counter('accounts')).toBe(before.accounts + 1);
    expect(counter('channels')).toBe(before.channels);
  });

  it("moves a table's token on another connection's commit to it, and only then", async () => {
    const token = dbh.changeToken!;
    await settle();
    const keys0 = token(['api_keys']);
    const prices0 = token(['prices']);
    other.prepare('update api_keys set last_used_at = 2').run();
    other.prepare(`insert into request_logs (id, created_at, user_id, endpoint, dialect, status, latency_ms) values ('req_1', 0, 'usr_1', '/v1/x', 'openai', 200, 1)`).run();
    await settle();
    expect(token(['api_keys'])).toBe(keys0);
    expect(token(['prices'])).toBe(prices0);
    other.prepare('update api_keys set allowed_models = ? where id = ?').run('["a"]', 'key_1');
    await eventually(() => expect(token(['api_keys'])).not.toBe(keys0), { timeoutMs: 1000, intervalMs: 1 });
    expect(token(['prices'])).toBe(prices0);
  });

  it('is installed once: a second run changes nothing; a new column is watched after the next run', async () => {
    const triggers = () => other.prepare(`select name, sql from sqlite_master where type = 'trigger' order by name`).all();
    const schemaVersion = () => other.pragma('schema_version', { simple: true });
    const t0 = triggers();
    const v0 = schemaVersion();
    await installChangeCounters(dbh.db);
    expect(triggers()).toEqual(t0);
    expect(schemaVersion()).toBe(v0);
    // Every column of api_keys but the batch's is watched.
    const cols = (other.prepare('select name from pragma_table_info(?)').all('api_keys') as { name: string }[]).map((c) => c.name);
    const update = (t0 as { name: string; sql: string }[]).find((t) => t.name === 'apigpt_cc_api_keys_u')!.sql;
    for (const c of cols) expect(update.includes(`"${c}"`), c).toBe(!WATCHED_TABLES.api_keys.includes(c));
    other.prepare('alter table api_keys add column note text').run();
    await installChangeCounters(dbh.db);
    const n = counter('api_keys');
    other.prepare(`update api_keys set note = 'x'`).run();
    expect(counter('api_keys')).toBe(n + 1);
  });
});

/** A migrated database in `dir` with one user, usr_1, holding 1000 µP at account version `version`. */
async function seededDatabase(dir: string, version: number): Promise<DatabaseHandle> {
  const dbh = await openDatabase({ dataDir: dir });
  await migrateToLatest(dbh.db);
  const now = Date.now();
  await dbh.db.insertInto('users').values({ id: 'usr_1', email: 'a@x', password_hash: 'h', display_name: null, role: 'user', group_name: 'default', status: 'active', created_at: now, updated_at: now }).execute();
  await dbh.db.insertInto('accounts').values({ user_id: 'usr_1', balance: 1000, version, low_balance_threshold: null, low_balance_notified: 0, rpm: null, tpm: null }).execute();
  return dbh;
}

describe('the writer thread', () => {
  const dir = mkdtempSync(join(tmpdir(), 'apigpt-wt-'));
  let dbh: DatabaseHandle;
  let store: ThreadBatchStore;
  beforeAll(async () => {
    dbh = await seededDatabase(dir, 3);
    store = new ThreadBatchStore(dir);
  });
  afterAll(async () => {
    await store?.close();
    await dbh?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('commits rows, ledger and balance in one transaction and says what shared state must learn', async () => {
    const entries = await store.write({ rows: [row('usr_1', null, 30, 'req_a'), row('usr_1', null, 0, 'req_b')] });
    expect(entries).toEqual([{ pool: 'u:usr_1', balance: 970, version: 4 }]);
    const logs = await dbh.db.selectFrom('request_logs').select(['id', 'cost']).orderBy('id').execute();
    expect(logs).toEqual([
      { id: 'req_a', cost: 30 },
      { id: 'req_b', cost: 0 },
    ]);
    const ledger = await dbh.db.selectFrom('ledger').select(['request_id', 'amount', 'balance_after']).execute();
    expect(ledger).toEqual([{ request_id: 'req_a', amount: -30, balance_after: 970 }]);
  });

  it('a batch that cannot be written fails whole, with the database error, and the thread goes on', async () => {
    // req_a exists already: the insert fails, so the charge made before it in the transaction is undone.
    await expect(store.write({ rows: [row('usr_1', null, 50, 'req_c'), row('usr_1', null, 0, 'req_a')] })).rejects.toThrow(/UNIQUE/);
    expect((await dbh.db.selectFrom('accounts').select('balance').executeTakeFirstOrThrow()).balance).toBe(970);
    expect(await dbh.db.selectFrom('request_logs').select('id').where('id', '=', 'req_c').executeTakeFirst()).toBeUndefined();
    expect(await store.write({ rows: [row('usr_1', null, 0, 'req_d')] })).toEqual([]);
  });

  it('a thread that dies fails its batch, and a new one takes the next', async () => {
    const worker = workerOf(store);
    const pending = store.write({ rows: [row('usr_1', null, 0, 'req_e')] });
    await worker.terminate();
    await pending.then(
      () => undefined, // it may have committed before the end
      (err: Error) => expect(err.message).toMatch(/exited/),
    );
    expect(await store.write({ rows: [row('usr_1', null, 0, 'req_f')] })).toEqual([]);
    expect(await dbh.db.selectFrom('request_logs').select('id').where('id', '=', 'req_f').executeTakeFirst()).toBeDefined();
  });

  it('a batch replayed from a journal skips the rows the database has and charges the others once', async () => {
    // req_a was committed above (30 µP); req_g is a call a killed process journaled but never wrote.
    const entries = await store.write({ rows: [row('usr_1', null, 30, 'req_a'), row('usr_1', null, 20, 'req_g')], replay: true });
    expect(entries).toEqual([{ pool: 'u:usr_1', balance: 950, version: 5 }]);
    const charges = await dbh.db.selectFrom('ledger').select(['request_id', 'amount']).orderBy('request_id').execute();
    expect(charges).toEqual([
      { request_id: 'req_a', amount: -30 },
      { request_id: 'req_g', amount: -20 },
    ]);
    // Replayed again (the process died once more before deleting its journal): nothing moves, and
    // shared state is told the account's balance as it is (it may never have heard of the commit).
    expect(await store.write({ rows: [row('usr_1', null, 30, 'req_a'), row('usr_1', null, 20, 'req_g')], replay: true })).toEqual([{ pool: 'u:usr_1', balance: 950, version: 5 }]);
    expect((await dbh.db.selectFrom('accounts').select('balance').executeTakeFirstOrThrow()).balance).toBe(950);
  });

  it("runs with a 2 MiB page cache and a 3 MB young generation, where the gateway's own connection keeps the driver's 16 MiB", async () => {
    // Under load the driver's 16 MiB cache and a serving-sized young generation made 20–30 MB of the
    // gateway's resident memory (batch/writer-heap.ts); the thread reports what it runs with.
    expect(await store.settings()).toEqual({ cacheKiB: WRITER_CACHE_KIB, maxYoungGenerationSizeMb: 3 });
    expect(WRITER_CACHE_KIB).toBe(2048);
    const { rows } = await sql<{ cache_size: number }>`pragma cache_size`.execute(dbh.db);
    expect(rows).toEqual([{ cache_size: -16000 }]);
  });

  it('takes its page cache from APIGPT_SQLITE_WRITER_CACHE_MB', async () => {
    const config = loadConfig({ env: { APIGPT_SQLITE_WRITER_CACHE_MB: '16' }, file: undefined, overrides: { dataDir: dir } });
    const sized = createBatchStore(dbh, dir, config.sqliteWriterCacheMb);
    try {
      expect(await (sized as ThreadBatchStore).settings()).toEqual({ cacheKiB: 16 * 1024, maxYoungGenerationSizeMb: 3 });
    } finally {
      await sized.close();
    }
  });
});

describe('a writer thread with nothing to do', () => {
  const dir = mkdtempSync(join(tmpdir(), 'apigpt-wt-idle-'));
  let dbh: DatabaseHandle;
  beforeAll(async () => {
    dbh = await seededDatabase(dir, 1);
  });
  afterAll(async () => {
    await dbh?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('ends once idle for its idle time, and the next batch starts another that commits as the first did', async () => {
    const store = new ThreadBatchStore(dir, 300);
    try {
      expect(await store.write({ rows: [row('usr_1', null, 10, 'req_i1')] })).toEqual([{ pool: 'u:usr_1', balance: 990, version: 2 }]);
      expect(store.running).toBe(true);
      const first = workerOf(store);
      const exited = new Promise<number>((resolve) => first.once('exit', resolve));
      // Ended by itself: its database closed, the thread gone (exit code 0, not terminated).
      expect(await exited).toBe(0);
      expect(store.running).toBe(false);
      expect(await store.write({ rows: [row('usr_1', null, 5, 'req_i2')] })).toEqual([{ pool: 'u:usr_1', balance: 985, version: 3 }]);
      expect(workerOf(store)).not.toBe(first);
      const charges = await dbh.db.selectFrom('ledger').select(['request_id', 'amount']).where('request_id', 'in', ['req_i1', 'req_i2']).orderBy('request_id').execute();
      expect(charges).toEqual([
        { request_id: 'req_i1', amount: -10 },
        { request_id: 'req_i2', amount: -5 },
      ]);
    } finally {
      await store.close();
    }
    expect(store.running).toBe(false);
  });

  it('a read that flushes while the thread is starting waits for it: starting is not an outage', async () => {
    const store = new ThreadBatchStore(dir, 300);
    const writer = new RequestLogWriter(store, 60_000, { error: () => undefined });
    try {
      expect(store.warm).toBe(false);
      writer.push(row('usr_1', null, 1, 'req_w1'));
      // 1 ms for the batch itself: a thread's start (an isolate, its modules, the database) takes longer.
      expect(await writer.flushWithin(1)).toBe(true);
      expect(store.warm).toBe(true);
      expect(await dbh.db.selectFrom('ledger').select('amount').where('request_id', '=', 'req_w1').execute()).toEqual([{ amount: -1 }]);
    } finally {
      await writer.close();
    }
    expect(store.warm).toBe(false);
  });

  it('is not ended while batches keep coming within its idle time', async () => {
    const store = new ThreadBatchStore(dir, 2000);
    try {
      await store.ping();
      const worker = workerOf(store);
      let ended = false;
      worker.once('exit', () => (ended = true));
      // Batch after batch for three idle times in all: never an idle time without one.
      const until = Date.now() + 3 * 2000;
      for (let i = 0; Date.now() < until; i++) expect(await store.write({ rows: [row('usr_1', null, 0, `req_k${i}`)] })).toEqual([]);
      expect(ended).toBe(false);
      expect(workerOf(store)).toBe(worker);
    } finally {
      await store.close();
    }
  });
});

describe('caches beside the writer thread', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({ db: 'sqlite' });
    await setPrice(t, 'gpt-4o-mini', 1, 1);
  });
  afterAll(() => t?.close());

  it("the log batches leave the key cache alone, and a revocation by another connection still ends the key's calls", async () => {
    const u = await t.newUserWithKey();
    expect((await chat(t, u.key, { messages: [{ role: 'user', content: 'warm' }] })).status).toBe(200);
    await t.flushLogs();
    await settle();
    const token = t.gw.services.dbh.changeToken!;
    const before = token(['api_keys', 'users', 'accounts', 'apps']);
    for (let i = 0; i < 5; i++) expect((await chat(t, u.key, { messages: [{ role: 'user', content: `hi ${i}` }] })).status).toBe(200);
    await t.flushLogs(); // the thread moved last_used_at, spent and the balance
    await settle();
    expect(token(['api_keys', 'users', 'accounts', 'apps'])).toBe(before);
    const other = new BetterSqlite3(join(t.config.dataDir, 'apigpt.db'));
    try {
      other.pragma('busy_timeout = 5000');
      other.prepare('update api_keys set revoked_at = ? where user_id = ?').run(Date.now(), u.userId);
    } finally {
      other.close();
    }
    await settle(); // seen within the token's reuse window, not eventually: the next call is refused
    expect((await chat(t, u.key, { messages: [{ role: 'user', content: 'after' }] })).status).toBe(401);
  });
});
