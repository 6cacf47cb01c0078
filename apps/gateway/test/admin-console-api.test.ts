/**
 * What the admin console reads, over real HTTP against a real database and the simulator: the
 * system-wide overview (calls, spend, errors, top accounts and models across every account), the
 * users table with balance, spend and last call, the request log naming callers by email and
 * channels by name, "add user" held to the password strength check, and the channel form's model
 * list read from the upstream through the provider (key, base URL, errors in words).
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '@apigpt/simulator';
import { DB_KINDS, startTestGateway, type TestGateway } from './harness.js';

const STRONG = 'Overview-pw-Saffron-27-lagoon';

describe.each(DB_KINDS)('admin console API (%s)', (db) => {
  let t: TestGateway;
  let keyed: Simulator;
  let a: Awaited<ReturnType<TestGateway['newUserWithKey']>>;
  let b: Awaited<ReturnType<TestGateway['newUserWithKey']>>;
  const emailA = `heavy-${Date.now().toString(36)}@test.local`;
  const admin = <T = any>(method: string, path: string, body?: unknown) => t.api<T>(method, path, body, { token: t.rootToken });

  beforeAll(async () => {
    // A second upstream that wants a key, for the model list's key handling.
    keyed = await startSimulator({ apiKey: 'sk-upstream-right', models: ['zeta-chat', 'alpha-chat', 'alpha-chat'] });
    t = await startTestGateway({ db, channels: (sim) => [{ provider: 'openai-compatible', name: 'primary-sim', baseUrl: `${sim.url}/v1`, models: ['gpt-4o-mini'] }] });
    a = await t.newUserWithKey(emailA);
    b = await t.newUserWithKey(`light-${Date.now().toString(36)}@test.local`);
    const ask = (key: string, model: string) => new OpenAI({ apiKey: key, baseURL: `${t.url}/v1`, maxRetries: 0 }).chat.completions.create({ model, messages: [{ role: 'user', content: 'hello overview' }] }).then(() => 200, (e: { status?: number }) => e.status);
    // a: three served calls and one refused (unknown model); b: one served call.
    for (let i = 0; i < 3; i++) expect(await ask(a.key, 'gpt-4o-mini')).toBe(200);
    expect(await ask(a.key, 'no-such-model')).toBe(404);
    expect(await ask(b.key, 'gpt-4o-mini')).toBe(200);
  }, 60_000);

  afterAll(async () => {
    await t?.close();
    await keyed?.close();
  });

  it('the overview counts every account: calls, errors and spend per day, top users by email and top models', async () => {
    const r = await admin('GET', '/api/admin/overview?days=7');
    expect(r.status).toBe(200);
    const { body } = r;
    expect(body.days).toHaveLength(7);
    const today = body.days[6];
    expect(today.date).toBe(new Date().toISOString().slice(0, 10));
    expect(today.requests).toBe(5);
    expect(today.errors).toBe(1);
    expect(body.activeUsers).toBe(2);
    expect(body.users_total).toBeGreaterThanOrEqual(3);
    expect(body.channels).toBe(1);
    expect(body.channelsEnabled).toBe(1);
    // The heavier account first; its row names it by email and counts its refused call.
    expect(body.users).toHaveLength(2);
    const heavy = body.users[0];
    expect(heavy).toMatchObject({ userId: a.userId, email: emailA, requests: 4, errors: 1 });
    expect(body.users[1]).toMatchObject({ userId: b.userId, requests: 1, errors: 0 });
    expect(heavy.cost).toBeGreaterThan(body.users[1].cost);
    const mini = body.models.find((m: { model: string }) => m.model === 'gpt-4o-mini');
    expect(mini).toMatchObject({ requests: 4, errors: 0 });
    expect(mini.cost).toBeCloseTo(today.cost, 6);
    expect(body.models.find((m: { model: string }) => m.model === 'no-such-model')).toMatchObject({ requests: 1, errors: 1, cost: 0 });
    // The day's spend is what the accounts were charged.
    const ledger = (await t.api('GET', '/api/billing/usage?days=1', undefined, { cookie: a.cookie })).body.days[0].cost + (await t.api('GET', '/api/billing/usage?days=1', undefined, { cookie: b.cookie })).body.days[0].cost;
    expect(today.cost).toBeCloseTo(ledger, 6);
  });

  it('is for admins only', async () => {
    expect((await t.api('GET', '/api/admin/overview', undefined, { cookie: a.cookie })).status).toBe(403);
    expect((await t.api('GET', '/api/admin/overview')).status).toBe(401);
  });

  it('the users table carries balance, 30-day spend and the last call of each account', async () => {
    const r = await admin('GET', `/api/admin/users?search=${encodeURIComponent('@test.local')}&limit=500`);
    expect(r.status).toBe(200);
    const row = (id: string) => r.body.items.find((u: { id: string }) => u.id === id);
    const account = async (cookie: string) => (await t.api('GET', '/api/billing/account', undefined, { cookie })).body.balance as number;
    const logs = async (cookie: string) => (await t.api('GET', '/api/logs?limit=1', undefined, { cookie })).body.items[0];
    expect(row(a.userId).balance).toBeCloseTo(await account(a.cookie), 6);
    expect(row(b.userId).balance).toBeCloseTo(await account(b.cookie), 6);
    expect(row(a.userId).last_active_at).toBe((await logs(a.cookie)).created_at);
    expect(row(b.userId).spend_30d).toBeCloseTo((await t.api('GET', '/api/billing/usage?days=30', undefined, { cookie: b.cookie })).body.days.reduce((s: number, d: { cost: number }) => s + d.cost, 0), 6);
    expect(row(a.userId).spend_30d).toBeGreaterThan(row(b.userId).spend_30d);
    // An account that never called: no spend, no last call.
    const fresh = await admin('POST', '/api/admin/users', { email: `quiet-${Date.now().toString(36)}@test.local`, password: STRONG });
    expect(fresh.status).toBe(200);
    const listed = (await admin('GET', `/api/admin/users?search=${encodeURIComponent(fresh.body.user.email)}`)).body.items[0];
    expect(listed).toMatchObject({ id: fresh.body.user.id, spend_30d: 0, last_active_at: null });
  });

  it('"add user" and a password set by an admin are held to the strength check', async () => {
    const weak = await admin('POST', '/api/admin/users', { email: `weak-${Date.now().toString(36)}@test.local`, password: 'password1' });
    expect(weak.status).toBe(400);
    expect(weak.body.error.code).toBe('weak_password');
    const reset = await admin('PATCH', `/api/admin/users/${b.userId}`, { password: 'qwertyuiop' });
    expect(reset.status).toBe(400);
    expect(reset.body.error.code).toBe('weak_password');
    // The strong one is taken; the account logs in with it.
    const email = `strong-${Date.now().toString(36)}@test.local`;
    expect((await admin('POST', '/api/admin/users', { email, password: STRONG })).status).toBe(200);
    expect((await t.api('POST', '/api/auth/login', { email, password: STRONG })).status).toBe(200);
  });

  it('the admin request log names the caller by email and the channel by name, and filters by email', async () => {
    const r = await admin('GET', `/api/admin/logs?userEmail=${encodeURIComponent(emailA.toUpperCase())}&limit=50`);
    expect(r.status).toBe(200);
    expect(r.body.total).toBe(4);
    for (const l of r.body.items) {
      expect(l.user_id).toBe(a.userId);
      expect(l.user_email).toBe(emailA);
    }
    const served = r.body.items.filter((l: { status: number }) => l.status === 200);
    expect(served).toHaveLength(3);
    for (const l of served) expect(l.channel_name).toBe('primary-sim');
    // The refused call reached no channel.
    expect(r.body.items.find((l: { status: number }) => l.status === 404).channel_name).toBeNull();
    // A user's own log is not given other people's names.
    const own = await t.api('GET', '/api/logs?limit=1', undefined, { cookie: a.cookie });
    expect(own.body.items[0]).not.toHaveProperty('user_email');
  });

  it('lists the upstream models through the provider, with the key typed in or the saved one', async () => {
    const typed = await admin('POST', '/api/admin/channels/models', { provider: 'openai-compatible', baseUrl: `${keyed.url}/v1`, secret: 'sk-upstream-right' });
    expect(typed.status).toBe(200);
    expect(typed.body.models).toEqual(['alpha-chat', 'zeta-chat']);
    // Saved with the key; the form sends no key back, the saved one is used.
    const made = await admin('POST', '/api/admin/channels', { provider: 'openai-compatible', name: 'keyed-sim', baseUrl: `${keyed.url}/v1`, secret: 'sk-upstream-right', models: ['alpha-chat'] });
    expect(made.status).toBe(200);
    const saved = await admin('POST', '/api/admin/channels/models', { provider: 'openai-compatible', baseUrl: `${keyed.url}/v1`, channelId: made.body.channel.id });
    expect(saved.body.models).toEqual(['alpha-chat', 'zeta-chat']);
    // The key is never in the audit row.
    const audit = await admin('GET', '/api/admin/audit?action=channel.models&limit=5');
    expect(audit.status).toBe(200);
    expect(JSON.stringify(audit.body)).not.toContain('sk-upstream-right');
    expect(audit.body.items.length).toBeGreaterThanOrEqual(2);
  });

  it('says why when the upstream refuses, is unreachable, or the kind has no model list', async () => {
    const wrong = await admin('POST', '/api/admin/channels/models', { provider: 'openai-compatible', baseUrl: `${keyed.url}/v1`, secret: 'sk-wrong' });
    expect(wrong.status).toBe(502);
    expect(wrong.body.error.code).toBe('upstream_refused');
    expect(wrong.body.error.message).toContain('HTTP 401');
    const down = await admin('POST', '/api/admin/channels/models', { provider: 'openai', baseUrl: 'http://127.0.0.1:9/v1', secret: 'sk-x' });
    expect(down.status).toBe(502);
    expect(down.body.error.code).toBe('upstream_unreachable');
    const none = await admin('POST', '/api/admin/channels/models', { provider: 'zhipu', baseUrl: 'https://open.bigmodel.cn/api/paas/v4', secret: 'x.y' });
    expect(none.status).toBe(400);
    expect(none.body.error.code).toBe('model_list_unsupported');
    const unknown = await admin('POST', '/api/admin/channels/models', { provider: 'nope', baseUrl: 'http://127.0.0.1:9' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.code).toBe('unknown_provider');
  });

  it('lists each provider kind with the base URL the form fills in', async () => {
    const r = await admin('GET', '/api/admin/providers');
    const kind = (k: string) => r.body.items.find((p: { kind: string }) => p.kind === k);
    expect(kind('openai')).toMatchObject({ defaultBaseUrl: 'https://api.openai.com/v1', listsModels: true });
    expect(kind('anthropic').defaultBaseUrl).toBe('https://api.anthropic.com');
    expect(kind('deepseek').defaultBaseUrl).toBe('https://api.deepseek.com');
    // No one address for self-hosted compatible servers, nor for Azure's per-resource endpoints.
    expect(kind('openai-compatible').defaultBaseUrl).toBeNull();
    expect(kind('azure').defaultBaseUrl).toBeNull();
  });
});
