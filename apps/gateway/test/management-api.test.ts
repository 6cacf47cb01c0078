import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from './harness.js';

describe('management API: accounts, apps, keys, channels, OpenAPI', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway();
  });
  afterAll(() => t?.close());

  it('sign-up needs no approval and logs in with an HttpOnly, SameSite cookie', async () => {
    const res = await fetch(`${t.url}/api/auth/signup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'New.User@Test.local', password: 'harness-password-17' }) });
    expect(res.status).toBe(200);
    const cookie = res.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^apigpt_session=/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    const me = await t.api<{ user: { email: string; role: string } }>('GET', '/api/auth/me', undefined, { cookie: cookie.split(';')[0] });
    expect(me.body.user).toMatchObject({ email: 'new.user@test.local', role: 'user' });
    const stored = await t.gw.services.db.selectFrom('users').select('password_hash').where('email', '=', 'new.user@test.local').executeTakeFirstOrThrow();
    expect(stored.password_hash).toMatch(/^scrypt\$/);
    expect(stored.password_hash).not.toContain('harness-password-17');
  });

  it('refuses bad sign-ups clearly', async () => {
    const dup = await t.api('POST', '/api/auth/signup', { email: 'new.user@test.local', password: 'harness-password-17' });
    expect(dup.status).toBe(409);
    const short = await t.api<{ error: { param: string } }>('POST', '/api/auth/signup', { email: 'x@test.local', password: 'short' });
    expect(short.status).toBe(400);
    expect(short.body.error.param).toBe('password');
    const bad = await t.api<{ error: { param: string } }>('POST', '/api/auth/signup', { email: 'not-an-email', password: 'harness-password-17' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.param).toBe('email');
  });

  it('login, wrong password, logout', async () => {
    const wrong = await t.api('POST', '/api/auth/login', { email: 'new.user@test.local', password: 'nope-nope-nope' });
    expect(wrong.status).toBe(401);
    const res = await fetch(`${t.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'new.user@test.local', password: 'harness-password-17' }) });
    expect(res.status).toBe(200);
    const cookie = res.headers.get('set-cookie')!.split(';')[0];
    expect((await t.api('GET', '/api/auth/me', undefined, { cookie })).status).toBe(200);
    await t.api('POST', '/api/auth/logout', undefined, { cookie });
    expect((await t.api('GET', '/api/auth/me', undefined, { cookie })).status).toBe(401);
  });

  it('a user changes their own password: the old one stops working, other sessions end, this one continues', async () => {
    const email = 'pw-change@test.local';
    const { cookie } = await t.signup(email, 'first-password-1');
    const other = await fetch(`${t.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: 'first-password-1' }) });
    const otherCookie = other.headers.get('set-cookie')!.split(';')[0];
    const wrong = await t.api<{ error: { param: string } }>('POST', '/api/auth/password', { currentPassword: 'nope-nope-1', newPassword: 'second-password-2' }, { cookie });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.param).toBe('currentPassword');
    const res = await fetch(`${t.url}/api/auth/password`, { method: 'POST', headers: { 'content-type': 'application/json', cookie }, body: JSON.stringify({ currentPassword: 'first-password-1', newPassword: 'second-password-2' }) });
    expect(res.status).toBe(200);
    const fresh = res.headers.get('set-cookie')!.split(';')[0];
    expect((await t.api('GET', '/api/auth/me', undefined, { cookie: fresh })).status).toBe(200);
    expect((await t.api('GET', '/api/auth/me', undefined, { cookie: otherCookie })).status).toBe(401);
    expect((await t.api('POST', '/api/auth/login', { email, password: 'first-password-1' })).status).toBe(401);
    expect((await t.api('POST', '/api/auth/login', { email, password: 'second-password-2' })).status).toBe(200);
  });

  it('apps and keys: create (key shown once), name, list, revoke; deleting an app revokes its keys', async () => {
    const { cookie } = await t.signup();
    const created = await t.api<{ app: { id: string }; key: { key: string; record: { id: string; prefix: string } } }>('POST', '/api/apps', { name: 'My App', description: 'demo' }, { cookie });
    expect(created.status).toBe(200);
    expect(created.body.key.key.startsWith(created.body.key.record.prefix)).toBe(true);
    const appId = created.body.app.id;
    const second = await t.api<{ key: string; record: { id: string; name: string } }>('POST', `/api/apps/${appId}/keys`, { name: 'ci' }, { cookie });
    expect(second.body.record.name).toBe('ci');
    const renamed = await t.api<{ key: { name: string } }>('PATCH', `/api/keys/${second.body.record.id}`, { name: 'ci-renamed' }, { cookie });
    expect(renamed.body.key.name).toBe('ci-renamed');
    const keys = await t.api<{ items: { revoked_at: number | null }[] }>('GET', `/api/apps/${appId}/keys`, undefined, { cookie });
    expect(keys.body.items).toHaveLength(2);
    expect((await t.api('DELETE', `/api/apps/${appId}`, undefined, { cookie })).status).toBe(200);
    const after = await t.gw.services.db.selectFrom('api_keys').select('revoked_at').where('app_id', '=', appId).execute();
    expect(after.every((k) => k.revoked_at !== null)).toBe(true);
  });

  it('channels: create, update (secret kept unless given), disable, test, delete', async () => {
    const root = { token: t.rootToken };
    const c = await t.api<{ channel: { id: string; hasSecret: boolean } }>('POST', '/api/admin/channels', { provider: 'openai-compatible', name: 'extra', baseUrl: `${t.sim.url}/v1`, secret: 'sk-x', models: ['extra-model'], weight: 3, priority: 1 }, root);
    expect(c.status).toBe(200);
    const id = c.body.channel.id;
    const u = await t.api<{ channel: { hasSecret: boolean; weight: number } }>('PATCH', `/api/admin/channels/${id}`, { weight: 7 }, root);
    expect(u.body.channel).toMatchObject({ hasSecret: true, weight: 7 });
    const test = await t.api<{ ok: boolean; latencyMs: number; model: string }>('POST', `/api/admin/channels/${id}/test`, {}, root);
    expect(test.body).toMatchObject({ ok: true, model: 'extra-model' });
    expect(test.body.latencyMs).toBeGreaterThanOrEqual(0);
    const disabled = await t.api<{ channel: { enabled: boolean } }>('POST', `/api/admin/channels/${id}/disable`, undefined, root);
    expect(disabled.body.channel.enabled).toBe(false);
    const { key } = await t.newUserWithKey();
    const call = await fetch(`${t.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'extra-model', messages: [{ role: 'user', content: 'hi' }] }) });
    expect(call.status).toBe(404); // a disabled channel is never tried
    const badUrl = await t.api<{ error: { param: string } }>('POST', '/api/admin/channels', { provider: 'openai', name: 'x', baseUrl: 'ftp://x', models: [] }, root);
    expect(badUrl.status).toBe(400);
    expect(badUrl.body.error.param).toBe('baseUrl');
    expect((await t.api('DELETE', `/api/admin/channels/${id}`, undefined, root)).status).toBe(200);
    expect((await t.api('GET', `/api/admin/channels/${id}`, undefined, root)).status).toBe(404);
  });

  it('admins manage users; a user cannot', async () => {
    const { cookie, user } = await t.signup();
    const root = { token: t.rootToken };
    const found = await t.api<{ items: { id: string }[]; total: number }>('GET', `/api/admin/users?search=${encodeURIComponent(user.email)}`, undefined, root);
    expect(found.body.items.map((u) => u.id)).toEqual([user.id]);
    const vip = await t.api<{ user: { group_name: string } }>('PATCH', `/api/admin/users/${user.id}`, { group: 'vip' }, root);
    expect(vip.body.user.group_name).toBe('vip');
    const disabled = await t.api('PATCH', `/api/admin/users/${user.id}`, { status: 'disabled' }, root);
    expect(disabled.status).toBe(200);
    expect((await t.api('GET', '/api/auth/me', undefined, { cookie })).status).toBe(401);
  });

  it('publishes its OpenAPI document with every route and renders it at /api/docs', async () => {
    const doc = await (await fetch(`${t.url}/api/openapi.json`)).json();
    expect(doc.openapi).toMatch(/^3\./);
    for (const p of ['/api/auth/signup', '/api/apps', '/api/apps/{id}/keys', '/api/admin/channels', '/api/admin/channels/{id}/test', '/v1/chat/completions', '/v1/embeddings', '/v1/models'])
      expect(Object.keys(doc.paths)).toContain(p);
    expect(JSON.stringify(doc.paths['/api/admin/channels'])).not.toContain('secret_enc');
    const html = await fetch(`${t.url}/api/docs`);
    expect(html.status).toBe(200);
    expect(html.headers.get('content-type')).toMatch(/text\/html/);
  });
});
