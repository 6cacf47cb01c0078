// A NUL character from a caller is a clear refusal or "not found", never a 500, and never costs a
// log row. PostgreSQL's text cannot hold NUL, so a console name, a ticket, a path or a query
// parameter holding one failed in the database and answered "internal error"; a stored response
// asked for by such an id too. The management API now refuses NUL in its bodies and URLs
// (http/json-body.ts), and the Responses API's store answers such ids as unknown
// (responses-store/store.ts). A relayed call's model name with a NUL or a lone surrogate (both legal
// in a request's JSON as "\u0000" and "\ud800") is refused with the caller's 404, and its log row is
// written in the same batch as a charged call's: on PostgreSQL such a row used to fail its whole batch
// until it was split out and given up, every later batch waiting meanwhile (storage/database.ts,
// pgJson). Both databases answer alike.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonHasNul } from '../../src/http/json-body.js';
import { DB_KINDS, startTestGateway, type TestGateway } from '../harness.js';

describe('jsonHasNul', () => {
  it('finds the \\u0000 escape, and only when a backslash starts an escape there', () => {
    expect(jsonHasNul('{"a":"x\\u0000y"}')).toBe(true);
    expect(jsonHasNul('{"a\\u0000":1}')).toBe(true); // in a key
    expect(jsonHasNul('{"a":"\\\\\\u0000"}')).toBe(true); // an escaped backslash, then the escape
    expect(jsonHasNul('{"a":"x\\\\u0000y"}')).toBe(false); // a backslash, then the text "u0000"
    expect(jsonHasNul('{"a":"x\\u00001"}')).toBe(true);
    expect(jsonHasNul('{"a":"x\\u0001"}')).toBe(false);
    expect(jsonHasNul('{"a":"plain"}')).toBe(false);
  });
});

describe.each(DB_KINDS)('a caller’s NUL character (%s)', (db) => {
  let t: TestGateway;
  let user: Awaited<ReturnType<TestGateway['newUserWithKey']>>;
  beforeAll(async () => {
    t = await startTestGateway({ db });
    user = await t.newUserWithKey();
  });
  afterAll(() => t?.close());

  const send = async (method: string, path: string, auth: Record<string, string>, body?: string) => {
    const res = await fetch(t.url + path, { method, headers: { ...auth, ...(body ? { 'content-type': 'application/json' } : {}) }, body });
    return { status: res.status, body: (await res.json()) as any };
  };
  const REFUSED = { status: 400, body: { error: { message: 'Text in the request may not contain the NUL character (\\u0000).', type: 'invalid_request', param: null, code: 'nul_character' } } };

  it('in a management API body is refused with its own code; the text "\\u0000" after a backslash is kept', async () => {
    const cookie = { cookie: user.cookie };
    expect(await send('POST', '/api/apps', cookie, '{"name":"a\\u0000b"}')).toEqual(REFUSED);
    expect(await send('POST', '/api/support/tickets', cookie, '{"subject":"s\\u0000","body":"b"}')).toEqual(REFUSED);
    expect(await send('POST', '/api/auth/login', {}, '{"email":"a\\u0000@x.test","password":"x"}')).toEqual(REFUSED);
    const kept = await send('POST', '/api/apps', cookie, '{"name":"a\\\\u0000b"}');
    expect([kept.status, kept.body.app.name]).toEqual([200, 'a\\u0000b']);
  });

  it('in a management API path or query string is refused, for the admin and a user alike', async () => {
    for (const path of ['/api/apps/a%00b', '/api/logs?model=a%00b', '/api/admin/users/a%00b', '/api/admin/users?search=a%00b']) {
      expect(await send('GET', path, { cookie: user.cookie })).toEqual(REFUSED);
      expect(await send('GET', path, { authorization: `Bearer ${t.rootToken}` })).toEqual(REFUSED);
    }
  });

  it('as a stored response’s id is an unknown response, in the OpenAI dialect', async () => {
    const auth = { authorization: `Bearer ${user.key}` };
    const get = await send('GET', '/v1/responses/resp_a%00b', auth);
    expect(get).toEqual({ status: 404, body: { error: { message: "Response with id 'resp_a\u0000b' not found.", type: 'invalid_request_error', param: 'response_id', code: null } } });
    expect((await send('DELETE', '/v1/responses/resp_a%00b', auth)).status).toBe(404);
    const next = await send('POST', '/v1/responses', auth, '{"model":"gpt-4o-mini","input":"hi","previous_response_id":"resp_\\u0000"}');
    expect([next.status, next.body.error.param, next.body.error.message]).toEqual([400, 'previous_response_id', "Previous response with id 'resp_\u0000' not found."]);
  });

  it('in a relayed call’s model is logged beside a charged call, with U+FFFD where PostgreSQL cannot store the character', async () => {
    const call = (rawModel: string) =>
      fetch(`${t.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${user.key}`, 'content-type': 'application/json' },
        // The escapes are written into the JSON text itself, as a client would send them.
        body: `{"model":"${rawModel}","messages":[{"role":"user","content":"hi"}]}`,
      });
    const nul = await call('gpt\\u0000x');
    const lone = await call('gpt\\ud800x');
    const ok = await call('gpt-4o-mini');
    expect([nul.status, lone.status, ok.status]).toEqual([404, 404, 200]);
    const ids = [nul, lone, ok].map((r) => r.headers.get('x-request-id')!);
    await t.flushLogs();
    const rows = await t.gw.services.db.selectFrom('request_logs').select(['id', 'model_requested', 'status', 'cost']).where('id', 'in', ids).execute();
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
