// A batch of request-log rows written by each database's batch insert (SQLite: one prepared row
// statement per row; PostgreSQL: the rows as one JSON text through json_populate_recordset) reads
// back exactly as it was given: text that needs escaping, JSON, large numbers, nulls, and a nullable
// column one row sets and another leaves out (written as null: storage/database.ts, InsertMany).
// Text PostgreSQL cannot store (NUL, a lone surrogate: a caller can send either as a model name) is
// written with U+FFFD in its place instead of failing the batch.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/storage/database.js';
import { dropTestDatabase, EACH_DATABASE, openTestDatabase } from './each-database.js';
import type { RequestLogsTable } from '../../src/storage/schema.js';

function row(n: number, extra: Partial<RequestLogsTable> = {}): RequestLogsTable {
  return {
    id: `req_insert_many_${n}`,
    created_at: 1_796_000_000_000 + n,
    user_id: 'usr_1',
    app_id: null,
    key_id: 'key_1',
    key_prefix: 'sk-ab',
    endpoint: '/v1/chat/completions',
    dialect: 'openai',
    model_requested: 'gpt-4o-mini',
    model_sent: 'gpt-4o-mini',
    channel_id: 'chn_1',
    stream: n % 2,
    status: 200,
    error_code: null,
    error_message: null,
    latency_ms: 12 + n,
    ttft_ms: null,
    prompt_tokens: 10,
    completion_tokens: 20,
    cached_tokens: 0,
    attempts: 1,
    client_ip: '127.0.0.1',
    cost: 9_007_199_254_740_000 + n, // past 2^53 − 1000: a bigint column's whole range in a double
    reasoning_tokens: 0,
    images: 0,
    characters: 0,
    seconds: 0,
    searches: 0,
    cache_hit: 0,
    ...extra,
  };
}

const ROWS: RequestLogsTable[] = [
  row(1, { error_message: 'quotes " and \\ backslash, commas, {braces}, NULL, a\nnew line, 中文，表情 😀', attempt_log: JSON.stringify([{ channel: 'chn_1', status: 200, code: null, ms: 5 }]) }),
  row(2, { client_request_id: 'client-2', cache_hit: 1, error_code: 'NULL', error_message: '' }),
  row(3, { ttft_ms: 7, cache_write_5m_tokens: 3, cache_write_1h_tokens: 0 }),
];

describe.each(EACH_DATABASE('insert-many'))('batch insert (%s)', (_name, target) => {
  const opts = target();
  let dbh: DatabaseHandle;
  beforeAll(async () => {
    dbh = await openTestDatabase(opts);
  });
  afterAll(() => dropTestDatabase(opts, dbh));

  it('reads every row back as written, a column left out of a row as null', async () => {
    await dbh.db.transaction().execute((trx) => dbh.insertMany(trx, 'request_logs', ROWS));
    const back = await dbh.db.selectFrom('request_logs').selectAll().where('id', 'like', 'req_insert_many_%').orderBy('id').execute();
    const expected = ROWS.map((r) => ({ attempt_log: null, client_request_id: null, cache_write_5m_tokens: null, cache_write_1h_tokens: null, ...r }));
    expect(back.map((r) => ({ ...r }))).toEqual(expected);
  });

  // On SQLite every write of the main connection moves every token by design (the batches are the
  // writer thread's, on its own connection); on PostgreSQL the insert is seen for its table alone.
  if (opts.schema)
    it("does not move the caches' change token of other tables", async () => {
      const before = dbh.changeToken!(['api_keys', 'channels', 'prices']);
      await dbh.db.transaction().execute((trx) => dbh.insertMany(trx, 'request_logs', [row(10), row(11)]));
      // What the write itself moves is counted at once (the plugin), so no wait is needed to see it.
      expect(dbh.changeToken!(['api_keys', 'channels', 'prices'])).toBe(before);
    });

  it('a caller’s NUL or lone surrogate does not fail the batch: PostgreSQL gets U+FFFD in their place', async () => {
    const odd = [row(30, { model_requested: 'gpt\u0000x', error_message: 'The model gpt\u0000x does not exist' }), row(31, { model_requested: 'gpt\ud800x', error_message: 'low \udc00 alone, a pair 😀 kept, \\ud800 as text' }), row(32)];
    await dbh.db.transaction().execute((trx) => dbh.insertMany(trx, 'request_logs', odd));
    const back = await dbh.db.selectFrom('request_logs').select(['id', 'model_requested', 'error_message']).where('id', 'in', ['req_insert_many_30', 'req_insert_many_31', 'req_insert_many_32']).orderBy('id').execute();
    // SQLite stores NUL, and a lone surrogate as the three bytes the driver's UTF-8 encoder makes of
    // it, which read back as three U+FFFD; PostgreSQL gets one U+FFFD for each.
    const nul = opts.schema ? '\ufffd' : '\u0000';
    const lone = opts.schema ? '\ufffd' : '\ufffd\ufffd\ufffd';
    expect(back).toEqual([
      { id: 'req_insert_many_30', model_requested: `gpt${nul}x`, error_message: `The model gpt${nul}x does not exist` },
      { id: 'req_insert_many_31', model_requested: `gpt${lone}x`, error_message: `low ${lone} alone, a pair 😀 kept, \\ud800 as text` },
      { id: 'req_insert_many_32', model_requested: 'gpt-4o-mini', error_message: null },
    ]);
  });

  it('an empty batch writes nothing, and a row naming a column the table lacks fails the batch', async () => {
    await dbh.db.transaction().execute((trx) => dbh.insertMany(trx, 'request_logs', []));
    const bad = { ...row(20), no_such_column: 1 } as unknown as RequestLogsTable;
    await expect(dbh.db.transaction().execute((trx) => dbh.insertMany(trx, 'request_logs', [row(21), bad]))).rejects.toThrow(/no_such_column/);
    const written = await dbh.db.selectFrom('request_logs').select('id').where('id', 'in', ['req_insert_many_20', 'req_insert_many_21']).execute();
    expect(written).toEqual([]);
  });
});
