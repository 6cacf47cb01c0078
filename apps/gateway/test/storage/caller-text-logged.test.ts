// A caller's text reaches the request log: a model name with a NUL character or a lone surrogate
// (both legal in a request's JSON as "\u0000" and "\ud800") is refused with the caller's 404, and
// its log row is written in the same batch as a charged call's, on each database. On PostgreSQL such
// a row used to fail its whole batch (text cannot hold NUL) until it was split out and given up, and
// every later batch waited meanwhile (storage/database.ts, pgJson).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS, startTestGateway, type TestGateway } from '../harness.js';

describe.each(DB_KINDS)('a caller’s odd text in the request log (%s)', (db) => {
  let t: TestGateway;
  let key: string;
  let userId: string;
  beforeAll(async () => {
    t = await startTestGateway({ db });
    ({ key, userId } = await t.newUserWithKey());
  });
  afterAll(() => t?.close());

  const call = (rawModel: string) =>
    fetch(`${t.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      // The escapes are written into the JSON text itself, as a client would send them.
      body: `{"model":"${rawModel}","messages":[{"role":"user","content":"hi"}]}`,
    });

  it('logs the refused calls beside a charged one, with U+FFFD where PostgreSQL cannot store the character', async () => {
    const nul = await call('gpt\\u0000x');
    const lone = await call('gpt\\ud800x');
    const ok = await call('gpt-4o-mini');
    expect([nul.status, lone.status, ok.status]).toEqual([404, 404, 200]);
    const ids = [nul, lone, ok].map((r) => r.headers.get('x-request-id')!);
    await t.flushLogs();
    const rows = await t.gw.services.db.selectFrom('request_logs').select(['id', 'model_requested', 'status', 'cost']).where('user_id', '=', userId).execute();
    const byId = new Map(rows.map((r) => [r.id, { model: r.model_requested, status: r.status, charged: Number(r.cost) > 0 }]));
    // SQLite keeps NUL; a lone surrogate reaches it as three bytes that read back as three U+FFFD.
    expect(ids.map((id) => byId.get(id))).toEqual([
      { model: db === 'postgres' ? 'gpt\ufffdx' : 'gpt\u0000x', status: 404, charged: false },
      { model: db === 'postgres' ? 'gpt\ufffdx' : 'gpt\ufffd\ufffd\ufffdx', status: 404, charged: false },
      { model: 'gpt-4o-mini', status: 200, charged: true },
    ]);
    const ledger = await t.gw.services.db.selectFrom('ledger').select('request_id').where('request_id', '=', ids[2]).execute();
    expect(ledger).toHaveLength(1);
  });
});
