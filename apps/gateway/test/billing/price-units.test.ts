import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { sql } from 'kysely';
import { PriceBook } from '../../src/billing/price-book.js';
import { DEFAULT_PRICE_BATCHES } from '../../src/billing/pricing.js';
import { main } from '../../src/cli/main.js';
import { openDatabase, type DatabaseHandle } from '../../src/storage/database.js';
import { MIGRATIONS, migrateToLatest } from '../../src/storage/migrations.js';
import { DB_KINDS, PG_URL, startTestGateway, type DbKind, type TestGateway } from '../harness.js';

/** Prices per 1K characters, per second and per 1K searches through the API, the CLI and the database. */
describe.each(DB_KINDS)('price units in the management API (%s)', (db) => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({ db });
  });
  afterAll(() => t?.close());

  const put = (model: string, body: Record<string, unknown>) => t.api<Record<string, unknown>>('PUT', `/api/admin/prices/${encodeURIComponent(model)}`, body, { token: t.rootToken });
  const listed = async (model: string) => (await t.api<{ items: Record<string, unknown>[] }>('GET', '/api/admin/prices', undefined, { token: t.rootToken })).body.items.find((p) => p.model === model);

  it('sets a per-second price and reads it back in P; a unit left out stays, null removes it', async () => {
    const set = await put('whisper-test', { input: 0, output: 0, perSecond: 0.1 });
    expect(set.status).toBe(200);
    expect(set.body).toEqual({ model: 'whisper-test', input: 0, output: 0, cachedInput: 0, perImage: null, perKChars: null, perSecond: 0.1, perKSearches: null, maxOutput: 4096 });
    expect(await listed('whisper-test')).toMatchObject({ perSecond: 0.1, perKChars: null, perKSearches: null });

    // Stored as µP: 0.1 P = 100,000 µP.
    const row = await t.gw.services.db.selectFrom('prices').selectAll().where('model', '=', 'whisper-test').executeTakeFirstOrThrow();
    expect(Number(row.per_second)).toBe(100_000);

    const again = await put('whisper-test', { input: 0.5, output: 0 });
    expect(again.body).toMatchObject({ input: 0.5, perSecond: 0.1 });
    const cleared = await put('whisper-test', { input: 0.5, output: 0, perSecond: null });
    expect(cleared.body).toMatchObject({ perSecond: null });
    expect(await listed('whisper-test')).toMatchObject({ perSecond: null });
  });

  it('per 1K characters and per 1K searches, exact to the micro-point', async () => {
    const r = await put('units-test', { input: 0, output: 0, perKChars: 15, perKSearches: 2000.000001 });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ perKChars: 15, perKSearches: 2000.000001, perSecond: null });
    const row = await t.gw.services.db.selectFrom('prices').selectAll().where('model', '=', 'units-test').executeTakeFirstOrThrow();
    expect([Number(row.per_k_chars), Number(row.per_k_searches)]).toEqual([15_000_000, 2_000_000_001]);
  });

  it('refuses a negative unit price', async () => {
    const r = await put('units-test', { input: 0, output: 0, perSecond: -1 });
    expect(r.status).toBe(400);
    expect(await listed('units-test')).toMatchObject({ perKChars: 15 });
  });

  it('the seeded defaults include the new units', async () => {
    expect(await listed('whisper-1')).toMatchObject({ perSecond: 0.1 });
    expect(await listed('tts-1')).toMatchObject({ perKChars: 15 });
    expect(await listed('rerank-v3.5')).toMatchObject({ perKSearches: 2000 });
  });

  it('the OpenAPI document describes the units of a price and of a log row', async () => {
    const doc = JSON.stringify(await (await fetch(`${t.url}/api/openapi.json`)).json());
    for (const k of ['perKChars', 'perSecond', 'perKSearches', 'reasoning_tokens', 'characters', 'seconds', 'searches']) expect(doc).toContain(`"${k}"`);
  });

  it('log rows show reasoning tokens, images, characters, seconds and searches', async () => {
    const u = await t.newUserWithKey();
    const base = { created_at: Date.now(), user_id: u.userId, app_id: null, key_id: null, key_prefix: null, endpoint: '/v1/audio/transcriptions', dialect: 'openai', model_requested: 'whisper-1', model_sent: 'whisper-1', channel_id: null, stream: 0, status: 200, error_code: null, error_message: null, latency_ms: 5, ttft_ms: null, prompt_tokens: 0, completion_tokens: 40, cached_tokens: 0, attempts: 1, client_ip: null, cost: 0, attempt_log: null, cache_hit: 0 };
    await t.gw.services.db.insertInto('request_logs').values({ ...base, id: 'req_units', reasoning_tokens: 30, images: 2, characters: 1234, seconds: 95, searches: 3 }).execute();
    // A row written without the new columns gets 0 in each.
    await t.gw.services.db.insertInto('request_logs').values({ ...base, id: 'req_plain', created_at: base.created_at - 1 } as never).execute();
    const logs = await t.api<{ items: Record<string, unknown>[] }>('GET', '/api/logs', undefined, { cookie: u.cookie });
    expect(logs.status).toBe(200);
    const byId = new Map(logs.body.items.map((l) => [l.id, l]));
    expect(byId.get('req_units')).toMatchObject({ reasoning_tokens: 30, images: 2, characters: 1234, seconds: 95, searches: 3 });
    expect(byId.get('req_plain')).toMatchObject({ reasoning_tokens: 0, images: 0, characters: 0, seconds: 0, searches: 0 });
  });
});

describe.each(DB_KINDS)('migration 0004 and the second batch of default prices on an existing database (%s)', (kind: DbKind) => {
  const dir = mkdtempSync(join(tmpdir(), 'apigpt-units-'));
  const schema = `t_units_${process.pid}_${Date.now().toString(36)}`;
  let dbh: DatabaseHandle;
  beforeAll(async () => {
    dbh = await openDatabase(kind === 'postgres' ? { dataDir: dir, databaseUrl: PG_URL, schema } : { dataDir: dir });
  });
  afterAll(async () => {
    await dbh?.close();
    rmSync(dir, { recursive: true, force: true });
    if (kind === 'postgres') {
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
    }
  });

  it('adds the columns (old rows: no unit prices, zero units), seeds only the new defaults, and keeps what admins did', async () => {
    const { '0004_priced_units': _, ...before } = MIGRATIONS;
    const opts = kind === 'postgres' ? { schema } : {};
    await migrateToLatest(dbh.db, opts, before);
    const d = dbh.db as never as import('kysely').Kysely<any>;
    // A database seeded by the release before: the first batch, with one default deleted and one
    // model of the second batch already priced by an admin.
    const now = Date.now();
    for (const p of DEFAULT_PRICE_BATCHES[0])
      if (p.model !== 'gpt-4o')
        await d.insertInto('prices').values({ model: p.model, input: p.input, output: p.output, cached_input: p.cachedInput, per_image: p.perImage, max_output: p.maxOutput, updated_at: now }).execute();
    await d.insertInto('prices').values({ model: 'deepseek-chat', input: 1, output: 2, cached_input: 1, per_image: null, max_output: 100, updated_at: now }).execute();
    await d.insertInto('settings').values({ key: 'prices_seeded', value: 'true', updated_at: now }).execute();
    await d
      .insertInto('request_logs')
      .values({ id: 'req_old', created_at: now, user_id: 'usr_x', endpoint: '/v1/chat/completions', dialect: 'openai', stream: 0, status: 200, latency_ms: 1, prompt_tokens: 1, completion_tokens: 2, cached_tokens: 0, attempts: 1, cost: 0 })
      .execute();

    expect(await migrateToLatest(dbh.db, opts)).toEqual(['0004_priced_units']);
    const old = await dbh.db.selectFrom('request_logs').selectAll().where('id', '=', 'req_old').executeTakeFirstOrThrow();
    expect([old.reasoning_tokens, old.images, old.characters, old.seconds, old.searches].map(Number)).toEqual([0, 0, 0, 0, 0]);
    const mini = await dbh.db.selectFrom('prices').selectAll().where('model', '=', 'gpt-4o-mini').executeTakeFirstOrThrow();
    expect([mini.per_k_chars, mini.per_second, mini.per_k_searches]).toEqual([null, null, null]);

    const book = new PriceBook(dbh.db);
    await book.seedDefaults();
    const prices = new Map((await book.list()).map((p) => [p.model, p]));
    for (const p of DEFAULT_PRICE_BATCHES[1]) if (p.model !== 'deepseek-chat') expect(prices.get(p.model)).toEqual(p);
    expect(prices.get('whisper-1')?.perSecond).toBe(100_000);
    expect(prices.has('gpt-4o')).toBe(false); // deleted by an admin: stays deleted
    expect(prices.get('deepseek-chat')).toMatchObject({ input: 1, output: 2, maxOutput: 100 }); // an admin's price: kept
    const seeded = await dbh.db.selectFrom('settings').select('value').where('key', '=', 'prices_seeded').executeTakeFirstOrThrow();
    expect(JSON.parse(seeded.value)).toBe(DEFAULT_PRICE_BATCHES.length);

    // Once given, a batch is not given again: a new default an admin deletes stays deleted.
    await book.remove('tts-1');
    await new PriceBook(dbh.db).seedDefaults();
    expect((await new PriceBook(dbh.db).list()).some((p) => p.model === 'tts-1')).toBe(false);
  });

  it('a change to a new price column counts as a change of the price table (the caches reload)', async () => {
    const counter = async () => Number((await sql<{ n: number }>`select n from change_counters where name = 'prices'`.execute(dbh.db)).rows[0].n);
    for (const column of ['per_k_chars', 'per_second', 'per_k_searches'] as const) {
      const before = await counter();
      await dbh.db.updateTable('prices').set({ [column]: 7 }).where('model', '=', 'gpt-4o-mini').execute();
      expect(await counter(), column).toBeGreaterThan(before);
    }
  });
});

describe('price set and price list on the command line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'apigpt-cli-units-'));
  const saved: Record<string, string | undefined> = {};
  let stdout = '';
  beforeAll(() => {
    // The CLI reads its database from the environment too: only --data here.
    for (const k of ['DATABASE_URL', 'REDIS_URL', 'APIGPT_CONFIG', 'APIGPT_DATA_DIR', 'APIGPT_DATABASE_SCHEMA']) {
      saved[k] = process.env[k];
      delete process.env[k];
    }
  });
  afterAll(() => {
    for (const [k, v] of Object.entries(saved)) if (v !== undefined) process.env[k] = v;
    rmSync(dir, { recursive: true, force: true });
  });
  afterEach(() => vi.restoreAllMocks());

  async function cli(...args: string[]): Promise<{ code: number; stdout: string }> {
    stdout = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stdout += String(chunk);
      return true;
    });
    const code = await main([...args, '--data', dir]);
    vi.restoreAllMocks();
    return { code, stdout };
  }

  it('sets a per-second price, shows it (per minute too), keeps it when left out, removes it with none', async () => {
    const set = await cli('price', 'set', '--model', 'whisper-cli', '--input', '0', '--output', '0', '--per-second', '0.1', '--json');
    expect(set.code).toBe(0);
    expect(JSON.parse(set.stdout)).toEqual({ model: 'whisper-cli', input: 0, output: 0, cachedInput: 0, perImage: null, perKChars: null, perSecond: 0.1, perKSearches: null, maxOutput: 4096 });

    const human = await cli('price', 'set', '--model', 'whisper-cli', '--input', '0', '--output', '0');
    expect(human.stdout).toContain('0.1 P per second (6 P per minute)');

    const list = await cli('price', 'list', '--model', 'whisper-cli', '--json');
    expect(JSON.parse(list.stdout).items).toEqual([expect.objectContaining({ model: 'whisper-cli', perSecond: 0.1 })]);

    const other = await cli('price', 'set', '--model', 'tts-cli', '--input', '0', '--output', '0', '--per-1k-chars', '15', '--per-1k-searches', '2000', '--json');
    expect(JSON.parse(other.stdout)).toMatchObject({ perKChars: 15, perKSearches: 2000, perSecond: null });

    const table = await cli('price', 'list');
    expect(table.code).toBe(0);
    const header = table.stdout.split('\n')[0];
    for (const h of ['chars/1K', 'second', 'searches/1K']) expect(header).toContain(h);
    const row = table.stdout.split('\n').find((l) => l.startsWith('whisper-cli '))!;
    expect(row.split(/\s+/)).toEqual(['whisper-cli', '0', '0', '0', '-', '-', '0.1', '-', '4096']);
    // The seeded defaults are listed too.
    expect(table.stdout).toMatch(/^tts-1 /m);

    const removed = await cli('price', 'set', '--model', 'whisper-cli', '--input', '0', '--output', '0', '--per-second', 'none', '--json');
    expect(JSON.parse(removed.stdout).perSecond).toBeNull();
  }, 60_000);

  it('refuses a unit price that is not a number', async () => {
    const spy = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    expect(await main(['price', 'set', '--model', 'x', '--input', '0', '--output', '0', '--per-second', 'cheap', '--data', dir])).toBe(2);
    expect(String(spy.mock.calls[0][0])).toContain('--per-second must be a number of points');
  });
});
