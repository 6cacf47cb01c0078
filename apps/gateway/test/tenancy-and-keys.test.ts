import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { DB_KINDS, startTestGateway, type TestGateway } from './harness.js';

/** Keys are hashed and revocable at once; one tenant never reaches another's apps, keys or logs. */
describe.each(DB_KINDS)('keys and tenancy (%s)', (db) => {
  let t: TestGateway;
  let a: Awaited<ReturnType<TestGateway['newUserWithKey']>>;
  let b: Awaited<ReturnType<TestGateway['newUserWithKey']>>;

  beforeAll(async () => {
    t = await startTestGateway({ db });
    a = await t.newUserWithKey();
    b = await t.newUserWithKey();
    // Give B a log row A must never see.
    await new OpenAI({ apiKey: b.key, baseURL: `${t.url}/v1`, maxRetries: 0 }).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'B private' }] });
    await t.flushLogs();
  });
  afterAll(() => t?.close());

  it('keys look like sk- + 48 base62 characters and only a hash and a prefix are stored', async () => {
    expect(a.key).toMatch(/^sk-[0-9A-Za-z]{48}$/);
    const rows = await t.gw.services.db.selectFrom('api_keys').selectAll().execute();
    for (const r of rows) {
      expect(JSON.stringify(r)).not.toContain(a.key);
      expect(r.key_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(a.key.startsWith(r.prefix) || b.key.startsWith(r.prefix) || r.prefix.startsWith('sk-')).toBe(true);
    }
    const listed = await t.api<{ items: Record<string, unknown>[] }>('GET', '/api/keys', undefined, { cookie: a.cookie });
    expect(JSON.stringify(listed.body)).not.toContain(a.key);
    expect(listed.body.items[0]).not.toHaveProperty('key_hash');
  });

  it('a revoked key fails on the very next request', async () => {
    const created = await t.api<{ key: string; record: { id: string } }>('POST', `/api/apps/${a.appId}/keys`, { name: 'temp' }, { cookie: a.cookie });
    const client = new OpenAI({ apiKey: created.body.key, baseURL: `${t.url}/v1`, maxRetries: 0 });
    await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    const revoked = await t.api('POST', `/api/keys/${created.body.record.id}/revoke`, undefined, { cookie: a.cookie });
    expect(revoked.status).toBe(200);
    const err = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
  });

  it("user A's session never reaches user B's apps, keys or logs", async () => {
    const as = { cookie: a.cookie };
    const bKeys = await t.api<{ items: { id: string }[] }>('GET', '/api/keys', undefined, { cookie: b.cookie });
    const bKeyId = bKeys.body.items[0].id;
    const attempts: [string, string, unknown?][] = [
      ['GET', `/api/apps/${b.appId}`],
      ['PATCH', `/api/apps/${b.appId}`, { name: 'hijacked' }],
      ['DELETE', `/api/apps/${b.appId}`],
      ['GET', `/api/apps/${b.appId}/keys`],
      ['POST', `/api/apps/${b.appId}/keys`, { name: 'mine now' }],
      ['GET', `/api/keys/${bKeyId}`],
      ['PATCH', `/api/keys/${bKeyId}`, { name: 'x' }],
      ['POST', `/api/keys/${bKeyId}/revoke`],
    ];
    for (const [method, path, body] of attempts) {
      const r = await t.api(method, path, body, as);
      expect([403, 404], `${method} ${path}`).toContain(r.status);
    }
    const apps = await t.api<{ items: { id: string }[] }>('GET', '/api/apps', undefined, as);
    expect(apps.body.items.map((x) => x.id)).not.toContain(b.appId);
    const logs = await t.api<{ items: { user_id: string }[] }>('GET', `/api/logs?appId=${b.appId}&userId=${b.userId}`, undefined, as);
    expect(logs.body.items).toEqual([]);
    const allMine = await t.api<{ items: { user_id: string }[] }>('GET', '/api/logs', undefined, as);
    expect(allMine.body.items.every((r) => r.user_id === a.userId)).toBe(true);
    // B's key still works: nothing A did touched it.
    const ok = await new OpenAI({ apiKey: b.key, baseURL: `${t.url}/v1`, maxRetries: 0 }).models.list();
    expect(ok.data.length).toBeGreaterThan(0);
  });

  it('admin routes are closed to users, open to admins and the root token; channel secrets never leave', async () => {
    expect((await t.api('GET', '/api/admin/users', undefined, { cookie: a.cookie })).status).toBe(403);
    expect((await t.api('GET', '/api/admin/channels', undefined, { cookie: a.cookie })).status).toBe(403);
    expect((await t.api('GET', '/api/admin/logs')).status).toBe(401);
    expect((await t.api('GET', '/api/admin/users', undefined, { token: 'wrong-token' })).status).toBe(401);
    const created = await t.api<{ channel: Record<string, unknown> }>('POST', '/api/admin/channels', { provider: 'openai', name: 'secret test', baseUrl: 'http://127.0.0.1:9/v1', secret: 'sk-very-secret-upstream', models: ['x-model'] }, { token: t.rootToken });
    expect(created.status).toBe(200);
    expect(created.body.channel.hasSecret).toBe(true);
    const list = await t.api('GET', '/api/admin/channels', undefined, { token: t.rootToken });
    expect(JSON.stringify(list.body)).not.toContain('sk-very-secret-upstream');
    const stored = await t.gw.services.db.selectFrom('channels').select('secret_enc').where('name', '=', 'secret test').executeTakeFirstOrThrow();
    expect(stored.secret_enc).toMatch(/^v1:/);
    expect(stored.secret_enc).not.toContain('sk-very-secret-upstream');
    const all = await t.api<{ items: { user_id: string }[] }>('GET', '/api/admin/logs', undefined, { token: t.rootToken });
    expect(new Set(all.body.items.map((r) => r.user_id)).has(b.userId)).toBe(true);
  });

  it('the log row records who, what and how it went — and no message content', async () => {
    const logs = await t.api<{ items: Record<string, unknown>[] }>('GET', '/api/logs', undefined, { cookie: b.cookie });
    const row = logs.body.items.find((r) => r.endpoint === '/v1/chat/completions')!;
    expect(row).toMatchObject({ user_id: b.userId, app_id: b.appId, model_requested: 'gpt-4o-mini', model_sent: 'gpt-4o-mini', status: 200 });
    expect(String(row.key_prefix)).toBe(b.key.slice(0, 10));
    expect(Number(row.prompt_tokens)).toBeGreaterThan(0);
    expect(Number(row.completion_tokens)).toBeGreaterThan(0);
    expect(row.channel_id).toBeTruthy();
    const raw = await t.gw.services.db.selectFrom('request_logs').selectAll().execute();
    expect(JSON.stringify(raw)).not.toContain('B private');
  });
});
