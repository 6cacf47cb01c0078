/**
 * An App key (`Bearer sk-…`) on the management API, as the SDKs use it for the account: it reaches
 * the routes open to keys (balance, usage, its own calls, models with prices, redeem) and nothing
 * else, and it is held to its own expiry, address and origin lists there as on the relay.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from './harness.js';
import { routeTable } from './security/routes.js';

/** The routes an App key may call, besides the public ones. */
const KEY_ROUTES = ['GET /api/billing/account', 'GET /api/billing/usage', 'POST /api/billing/redeem', 'GET /api/logs', 'GET /api/models'];

describe('App keys on the management API', () => {
  let t: TestGateway;
  let u: { cookie: string; userId: string; appId: string; key: string };

  beforeAll(async () => {
    t = await startTestGateway();
    u = await t.newUserWithKey();
  });
  afterAll(() => t?.close());

  const withKey = (key: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    fetch(t.url + path, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  it('every other route that needs a login refuses a key with 403 api_key_not_allowed', async () => {
    const all = routeTable(t.gw.app).filter((r) => r.split(' ')[1].startsWith('/api/'));
    const refused: string[] = [];
    const opened: string[] = [];
    for (const route of all) {
      const [method, path] = route.split(' ');
      const anonymous = await fetch(t.url + path.replace(/:(\w+)/g, 'x'), { method, redirect: 'manual' });
      await anonymous.arrayBuffer();
      if (anonymous.status !== 401) continue; // public: docs, health, config, sign-up, log-in
      const res = await withKey(u.key, method, path.replace(/:(\w+)/g, 'x'), method === 'GET' || method === 'DELETE' ? undefined : {});
      const body = (await res.json()) as { error?: { code?: string } };
      if (res.status === 403 && body.error?.code === 'api_key_not_allowed') refused.push(route);
      else opened.push(route);
    }
    // The key routes were reached (redeem then refused the empty body with a 400, not a 403).
    expect(opened.sort()).toEqual([...KEY_ROUTES].sort());
    expect(refused.length).toBeGreaterThan(40);
  });

  it('balance, usage and models with prices, read with the key', async () => {
    const viaCookie = await t.api('GET', '/api/billing/account', undefined, { cookie: u.cookie });
    const viaKey = await withKey(u.key, 'GET', '/api/billing/account');
    expect(viaKey.status).toBe(200);
    expect(await viaKey.json()).toEqual(viaCookie.body);
    const usage = await withKey(u.key, 'GET', '/api/billing/usage?days=7');
    expect(usage.status).toBe(200);
    const models = (await (await withKey(u.key, 'GET', '/api/models')).json()) as { items: { id: string; price: { input: number; output: number } | null }[] };
    const prices = await t.api<{ items: { model: string; input: number; output: number }[] }>('GET', '/api/admin/prices', undefined, { token: t.rootToken });
    const listed = prices.body.items.find((p) => p.model === 'gpt-4o-mini')!;
    expect(models.items.find((m) => m.id === 'gpt-4o-mini')!.price).toEqual(expect.objectContaining({ input: listed.input, output: listed.output }));
  });

  it('prices are what the account pays: the group multiplier applied', async () => {
    const v = await t.newUserWithKey();
    await t.api('PUT', '/api/admin/groups/half', { multiplier: 0.5 }, { token: t.rootToken });
    await t.api('PATCH', `/api/admin/users/${v.userId}`, { group: 'half' }, { token: t.rootToken });
    const prices = await t.api<{ items: { model: string; input: number; output: number }[] }>('GET', '/api/admin/prices', undefined, { token: t.rootToken });
    const listed = prices.body.items.find((p) => p.model === 'gpt-4o-mini')!;
    const models = (await (await withKey(v.key, 'GET', '/api/models')).json()) as { items: { id: string; price: { input: number; output: number } }[] };
    expect(models.items.find((m) => m.id === 'gpt-4o-mini')!.price).toEqual(expect.objectContaining({ input: listed.input / 2, output: listed.output / 2 }));
  });

  it("the logs a key reads are its own calls; the console sees all of the account's", async () => {
    const second = await t.api<{ key: string; record: { id: string } }>('POST', `/api/apps/${u.appId}/keys`, { name: 'second' }, { cookie: u.cookie });
    const call = (key: string) =>
      fetch(`${t.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }) }).then((r) => r.text());
    await call(u.key);
    await call(second.body.key);
    await call(second.body.key);
    await t.flushLogs();
    const mine = (await (await withKey(second.body.key, 'GET', '/api/logs')).json()) as { items: { key_id: string }[]; total: number };
    expect(mine.total).toBe(2);
    expect(mine.items.every((r) => r.key_id === second.body.record.id)).toBe(true);
    // Asking for another key's calls does not widen the view.
    const firstKeyId = (await t.api<{ items: { id: string; name: string }[] }>('GET', '/api/keys', undefined, { cookie: u.cookie })).body.items.find((k) => k.name !== 'second')!.id;
    const sneaky = (await (await withKey(second.body.key, 'GET', `/api/logs?keyId=${firstKeyId}`)).json()) as { total: number };
    expect(sneaky.total).toBe(2);
    const all = await t.api<{ total: number }>('GET', '/api/logs', undefined, { cookie: u.cookie });
    expect(all.body.total).toBe(3);
  });

  it('redeem with a key credits the account once per Idempotency-Key', async () => {
    const codes = await t.api<{ items: { code: string }[] }>('POST', '/api/admin/codes', { count: 1, value: 7 }, { token: t.rootToken });
    const code = codes.body.items[0].code;
    const before = ((await (await withKey(u.key, 'GET', '/api/billing/account')).json()) as { balance: number }).balance;
    const first = await withKey(u.key, 'POST', '/api/billing/redeem', { code }, { 'idempotency-key': 'sdk-redeem-1' });
    const again = await withKey(u.key, 'POST', '/api/billing/redeem', { code }, { 'idempotency-key': 'sdk-redeem-1' });
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ amount: 7, balance: before + 7 });
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await again.json()).toEqual({ amount: 7, balance: before + 7 });
  });

  it("a key's model list filters the models it is shown", async () => {
    const k = await t.api<{ key: string; record: { id: string } }>('POST', `/api/apps/${u.appId}/keys`, { name: 'embeddings only' }, { cookie: u.cookie });
    await t.api('PATCH', `/api/keys/${k.body.record.id}`, { models: ['text-embedding-3-small'] }, { cookie: u.cookie });
    const models = (await (await withKey(k.body.key, 'GET', '/api/models')).json()) as { items: { id: string }[] };
    expect(models.items.map((m) => m.id)).toEqual(['text-embedding-3-small']);
  });

  it('a key is held to its limits: address list, origin list, expiry, revocation', async () => {
    const make = async (limits: Record<string, unknown>) => {
      const k = await t.api<{ key: string; record: { id: string } }>('POST', `/api/apps/${u.appId}/keys`, {}, { cookie: u.cookie });
      if (Object.keys(limits).length) expect((await t.api('PATCH', `/api/keys/${k.body.record.id}`, limits, { cookie: u.cookie })).status).toBe(200);
      return k.body;
    };
    const code = async (res: Response) => [res.status, ((await res.json()) as { error?: { code?: string } }).error?.code];
    const elsewhere = await make({ ips: ['10.0.0.0/8'] });
    expect(await code(await withKey(elsewhere.key, 'GET', '/api/billing/account'))).toEqual([403, 'ip_not_allowed']);
    const browser = await make({ origins: ['https://app.example'] });
    expect(await code(await withKey(browser.key, 'GET', '/api/billing/account', undefined, { origin: 'https://evil.example' }))).toEqual([403, 'origin_not_allowed']);
    const expired = await make({ expiresAt: Date.now() - 1000 });
    expect(await code(await withKey(expired.key, 'GET', '/api/billing/account'))).toEqual([401, 'key_expired']);
    const revoked = await make({});
    await t.api('POST', `/api/keys/${revoked.record.id}/revoke`, {}, { cookie: u.cookie });
    expect(await code(await withKey(revoked.key, 'GET', '/api/billing/account'))).toEqual([401, 'invalid_api_key']);
    expect(await code(await withKey('sk-not-a-real-key', 'GET', '/api/billing/account'))).toEqual([401, 'invalid_api_key']);
  });
});
