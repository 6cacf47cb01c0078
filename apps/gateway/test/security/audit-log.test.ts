/**
 * The admin audit log: every admin change leaves one row — who, how they signed in, what, the target
 * and its state before and after — written in the change's own transaction, so neither exists
 * without the other; secrets never reach it; admins read it with filters.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS, PG_URL, startTestGateway, type TestGateway } from '../harness.js';
import { apigptBin } from '../built-cli.js';

const run = promisify(execFile);

interface AuditRow {
  id: string;
  created_at: number;
  actor_id: string | null;
  actor_email: string | null;
  via: string;
  action: string;
  target_type: string | null;
  target_id: string | null;
  before: any;
  after: any;
  client_ip: string | null;
}

const CHANNEL_SECRET = 'UPSTREAM-SECRET-audit-7f3a9c1e5b';
const NEW_CHANNEL_SECRET = 'sk-rotated-audit-secret-4d2e8b6a0c';
const USER_PASSWORD = 'Audit-user-pw-Quartz-88';
const NEW_USER_PASSWORD = 'Audit-reset-pw-Marble-42';

describe.each(DB_KINDS)('admin audit log (%s)', (db) => {
  let t: TestGateway;
  let adminCookie: string;
  let adminId: string;

  /** A plain route an integration might add without writing audit rows of its own. */
  const unauditedRoute = (app: FastifyInstance) => {
    app.post('/api/admin/test-unaudited/:id', { config: { auth: 'admin' } }, async () => ({ ok: true }));
  };

  beforeAll(async () => {
    t = await startTestGateway({ db, start: { plugins: [unauditedRoute] } });
    const login = await fetch(`${t.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(t.admin) });
    adminCookie = (login.headers.get('set-cookie') ?? '').split(';')[0];
    adminId = ((await login.json()) as { user: { id: string } }).user.id;
  });
  afterAll(() => t?.close());

  const admin = <T = any>(method: string, path: string, body?: unknown) => t.api<T>(method, path, body, { cookie: adminCookie });
  const root = <T = any>(method: string, path: string, body?: unknown) => t.api<T>(method, path, body, { token: t.rootToken });

  async function audit(query: Record<string, string | number>): Promise<{ items: AuditRow[]; total: number }> {
    const qs = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)]));
    const res = await root<{ items: AuditRow[]; total: number }>('GET', `/api/admin/audit?${qs}`);
    expect(res.status).toBe(200);
    return res.body;
  }
  const rowsFor = async (targetId: string) => (await audit({ targetId, limit: 1000 })).items;
  /** Everything the audit table holds, as text to search. */
  const wholeLog = async () => JSON.stringify(await t.gw.services.db.selectFrom('audit_log').selectAll().execute());

  it('channel changes: create, update (new key), disable, enable, test, delete — with before/after and never the key', async () => {
    const created = await admin<{ channel: { id: string } }>('POST', '/api/admin/channels', { provider: 'openai-compatible', name: 'audited', baseUrl: `${t.sim.url}/v1`, models: ['gpt-4o-mini'], secret: CHANNEL_SECRET });
    expect(created.status).toBe(200);
    const id = created.body.channel.id;
    expect((await admin('PATCH', `/api/admin/channels/${id}`, { name: 'audited-2', secret: NEW_CHANNEL_SECRET })).status).toBe(200);
    expect((await admin('POST', `/api/admin/channels/${id}/disable`)).status).toBe(200);
    expect((await admin('POST', `/api/admin/channels/${id}/enable`)).status).toBe(200);
    expect((await admin('POST', `/api/admin/channels/${id}/test`, {})).status).toBe(200);
    expect((await admin('DELETE', `/api/admin/channels/${id}`)).status).toBe(200);

    const rows = (await rowsFor(id)).reverse();
    expect(rows.map((r) => r.action)).toEqual(['channel.create', 'channel.update', 'channel.disable', 'channel.enable', 'channel.test', 'channel.delete']);
    for (const r of rows) expect(r).toMatchObject({ actor_id: adminId, actor_email: t.admin.email, via: 'session', target_type: 'channel', target_id: id, client_ip: '127.0.0.1' });
    const [create, update, disable, enable, test, del] = rows;
    expect(create.before).toBeNull();
    expect(create.after).toMatchObject({ id, name: 'audited', hasSecret: true, enabled: true });
    expect(update.before).toMatchObject({ name: 'audited' });
    expect(update.after).toMatchObject({ name: 'audited-2', secretChanged: true, hasSecret: true });
    expect([disable.before.enabled, disable.after.enabled, disable.after.disabledBy]).toEqual([true, false, 'admin']);
    expect([enable.before.enabled, enable.after.enabled]).toEqual([false, true]);
    expect(test.after).toMatchObject({ ok: true, status: 200 });
    expect(del.before).toMatchObject({ name: 'audited-2' });
    expect(del.after).toBeNull();
    const log = await wholeLog();
    expect(log).not.toContain(CHANNEL_SECRET);
    expect(log).not.toContain(NEW_CHANNEL_SECRET);
  });

  it('prices, groups and settings: the value before and after, by the root token', async () => {
    const model = `audit-model-${randomUUID().slice(0, 8)}`;
    expect((await root('PUT', `/api/admin/prices/${model}`, { input: 1, output: 2 })).status).toBe(200);
    expect((await root('PUT', `/api/admin/prices/${model}`, { input: 3, output: 4 })).status).toBe(200);
    expect((await root('DELETE', `/api/admin/prices/${model}`)).status).toBe(200);
    const prices = (await rowsFor(model)).reverse();
    expect(prices.map((r) => [r.action, r.before?.input ?? null, r.after?.input ?? null])).toEqual([
      ['price.set', null, 1],
      ['price.set', 1, 3],
      ['price.delete', 3, null],
    ]);
    for (const r of prices) expect(r).toMatchObject({ via: 'root_token', target_type: 'price', actor_email: t.admin.email });

    const group = `audit-group-${randomUUID().slice(0, 8)}`;
    await root('PUT', `/api/admin/groups/${group}`, { multiplier: 1.5 });
    await root('PUT', `/api/admin/groups/${group}`, { multiplier: 0.5 });
    expect((await rowsFor(group)).reverse().map((r) => [r.action, r.before, r.after])).toEqual([
      ['group.set', null, { name: group, multiplier: 1.5 }],
      ['group.set', { name: group, multiplier: 1.5 }, { name: group, multiplier: 0.5 }],
    ]);

    const before = (await root('GET', '/api/admin/settings')).body;
    expect((await admin('PUT', '/api/admin/settings', { trialCredit: 1234 })).status).toBe(200);
    const [settings] = (await audit({ action: 'settings.update', limit: 1 })).items;
    expect(settings).toMatchObject({ target_type: 'settings', via: 'session', before, after: { ...before, trialCredit: 1234 } });
    await admin('PUT', '/api/admin/settings', { trialCredit: before.trialCredit });
  });

  it('users: creation, role / group / password changes (recorded as changed, never the password), limits and credit', async () => {
    const email = `audited-${randomUUID().slice(0, 8)}@test.local`;
    const made = await admin<{ user: { id: string } }>('POST', '/api/admin/users', { email, password: USER_PASSWORD, group: 'vip' });
    expect(made.status).toBe(200);
    const id = made.body.user.id;
    expect((await admin('PATCH', `/api/admin/users/${id}`, { role: 'admin' })).status).toBe(200);
    expect((await admin('PATCH', `/api/admin/users/${id}`, { password: NEW_USER_PASSWORD })).status).toBe(200);
    expect((await admin('PUT', `/api/admin/users/${id}/limits`, { rpm: 60 })).status).toBe(200);
    // A grant sent twice with one Idempotency-Key moves credit once and leaves one row.
    const key = randomUUID();
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${t.url}/api/admin/users/${id}/credit`, { method: 'POST', headers: { cookie: adminCookie, 'content-type': 'application/json', 'idempotency-key': key }, body: JSON.stringify({ amount: 12.5, reason: 'goodwill' }) });
      expect(res.status).toBe(200);
    }
    const rows = (await rowsFor(id)).reverse();
    expect(rows.map((r) => r.action)).toEqual(['user.create', 'user.update', 'user.update', 'user.limits', 'credit.adjust']);
    const [create, role, password, limits, credit] = rows;
    expect(create).toMatchObject({ target_type: 'user', before: null, after: { id, email, role: 'user', group_name: 'vip' } });
    expect([role.before.role, role.after.role]).toEqual(['user', 'admin']);
    expect(password.after).toMatchObject({ passwordChanged: true });
    expect(role.after).not.toHaveProperty('passwordChanged');
    expect(limits).toMatchObject({ before: { rpm: null, tpm: null }, after: { rpm: 60, tpm: null } });
    // Trial credit 5000 P, then the grant.
    expect(credit).toMatchObject({ target_type: 'user', before: { balance: 5000 }, after: { balance: 5012.5, amount: 12.5, reason: 'goodwill' } });
    const log = await wholeLog();
    expect(log).not.toContain(USER_PASSWORD);
    expect(log).not.toContain(NEW_USER_PASSWORD);
    expect(log).not.toContain('scrypt$');
  });

  it('codes: the batch with its hints, never the codes; a replayed batch leaves no second row', async () => {
    const key = randomUUID();
    const send = () => fetch(`${t.url}/api/admin/codes`, { method: 'POST', headers: { authorization: `Bearer ${t.rootToken}`, 'content-type': 'application/json', 'idempotency-key': key }, body: JSON.stringify({ count: 2, value: 5, name: 'audited batch' }) });
    const first = (await (await send()).json()) as { items: { id: string; code: string; hint: string }[] };
    const again = await send();
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    const rows = await rowsFor(first.items[0].id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ action: 'codes.create', target_type: 'codes', after: { count: 2, value: 5, name: 'audited batch', codes: first.items.map((i) => ({ id: i.id, hint: i.hint })) } });
    const log = await wholeLog();
    for (const i of first.items) expect(log).not.toContain(i.code);
  });

  it('a change and its row commit together: when the row cannot be written the change is undone', async () => {
    const u = await t.signup();
    const model = `atomic-${randomUUID().slice(0, 8)}`;
    expect((await root('PUT', `/api/admin/prices/${model}`, { input: 1, output: 1 })).status).toBe(200);
    const channel = (await root<{ channel: { id: string } }>('POST', '/api/admin/channels', { provider: 'openai-compatible', name: 'atomic', baseUrl: `${t.sim.url}/v1`, models: [model] })).body.channel.id;
    const d = t.gw.services.db;
    // Takes the audit table away, as a failing write would.
    await d.schema.alterTable('audit_log').renameTo('audit_log_away').execute();
    try {
      expect((await root('PUT', `/api/admin/prices/${model}`, { input: 9, output: 9 })).status).toBe(500);
      expect((await root('PATCH', `/api/admin/channels/${channel}`, { name: 'renamed' })).status).toBe(500);
      expect((await root('POST', `/api/admin/users/${u.user.id}/credit`, { amount: 100, reason: 'lost' })).status).toBe(500);
      expect((await root('PUT', '/api/admin/groups/atomic', { multiplier: 2 })).status).toBe(500);
    } finally {
      await d.schema.alterTable('audit_log_away').renameTo('audit_log').execute();
    }
    expect((await root<{ items: { model: string; input: number }[] }>('GET', '/api/admin/prices')).body.items.find((p) => p.model === model)?.input).toBe(1);
    expect((await root<{ channel: { name: string } }>('GET', `/api/admin/channels/${channel}`)).body.channel.name).toBe('atomic');
    expect((await t.api('GET', '/api/billing/account', undefined, { cookie: u.cookie })).body.balance).toBe(5000);
    expect((await root<{ items: { name: string }[] }>('GET', '/api/admin/groups')).body.items.map((g) => g.name)).not.toContain('atomic');

    // A change refused by the gateway (a deduction beyond the balance) writes no row either.
    expect((await root('POST', `/api/admin/users/${u.user.id}/credit`, { amount: -6000, reason: 'too much' })).status).toBe(429);
    expect(await rowsFor(u.user.id)).toEqual([]);
  });

  it('refused and failed calls write nothing; any other successful admin change gets a bare row naming its route', async () => {
    const u = await t.signup();
    const before = (await audit({ limit: 1 })).total;
    expect((await t.api('PUT', '/api/admin/settings', { trialCredit: 1 }, { cookie: u.cookie })).status).toBe(403);
    expect((await t.api('POST', '/api/admin/test-unaudited/x1', {}, { cookie: u.cookie })).status).toBe(403);
    expect((await root('PUT', '/api/admin/groups/bad name!', { multiplier: 1 })).status).toBe(400);
    expect((await audit({ limit: 1 })).total).toBe(before);

    expect((await admin('POST', '/api/admin/test-unaudited/x1', {})).status).toBe(200);
    const [row] = (await audit({ limit: 1 })).items;
    expect(row).toMatchObject({ action: 'POST /api/admin/test-unaudited/:id', target_id: 'x1', actor_id: adminId, via: 'session', before: null, after: { params: { id: 'x1' } } });
  });

  it("the built CLI's admin changes are audited too, as the CLI (no signed-in user), and never with the channel's key", async () => {
    const env: Record<string, string> = { PATH: process.env.PATH ?? '', APIGPT_DATA_DIR: t.config.dataDir, APIGPT_SECRET: t.config.secret! };
    if (db === 'postgres') Object.assign(env, { DATABASE_URL: PG_URL, APIGPT_DATABASE_SCHEMA: t.config.databaseSchema! });
    const cli = async (...args: string[]) => JSON.parse((await run(process.execPath, [apigptBin(), ...args, '--json'], { env, timeout: 30_000 })).stdout);
    const secret = `CLI-SECRET-${randomUUID()}`;
    const email = `cli-${randomUUID().slice(0, 8)}@test.local`;
    const model = `cli-model-${randomUUID().slice(0, 8)}`;
    const user = await cli('user', 'create', '--email', email, '--password', USER_PASSWORD);
    const channel = await cli('channel', 'add', '--provider', 'openai-compatible', '--name', 'cli-channel', '--base-url', `${t.sim.url}/v1`, '--key', secret, '--models', model);
    await cli('price', 'set', '--model', model, '--input', '1', '--output', '2');
    await cli('credit', 'grant', '--email', email, '--amount', '7', '--reason', 'cli goodwill');
    const codes = await cli('code', 'create', '--count', '1', '--value', '3');
    const app = await cli('app', 'create', '--email', email, '--name', 'cli-app');
    const key = await cli('key', 'revoke', app.keyRecord.prefix);
    const expected: [string, string, string][] = [
      ['user.create', 'user', user.id],
      ['channel.create', 'channel', channel.id],
      ['price.set', 'price', model],
      ['credit.adjust', 'user', user.id],
      ['codes.create', 'codes', codes.items[0].id],
      ['key.revoke', 'key', key.id],
    ];
    for (const [action, targetType, targetId] of expected) {
      const rows = (await audit({ action, targetId })).items;
      expect(rows, action).toHaveLength(1);
      expect(rows[0]).toMatchObject({ via: 'cli', actor_id: null, actor_email: null, client_ip: null, target_type: targetType });
    }
    expect((await audit({ action: 'credit.adjust', targetId: user.id })).items[0]).toMatchObject({ before: { balance: 5000 }, after: { balance: 5007, amount: 7, reason: 'cli goodwill' } });
    expect((await audit({ action: 'channel.create', targetId: channel.id })).items[0].after).toMatchObject({ name: 'cli-channel', hasSecret: true });
    const log = await wholeLog();
    expect(log).not.toContain(secret);
    expect(log).not.toContain(codes.items[0].code);
    expect(log).not.toContain(USER_PASSWORD);
  }, 120_000);

  it('filters: actor, action, target, time; pages with a total; users are refused', async () => {
    const start = Date.now();
    const group = `filter-${randomUUID().slice(0, 8)}`;
    for (const m of [1, 2, 3]) await admin('PUT', `/api/admin/groups/${group}`, { multiplier: m });
    await root('PUT', `/api/admin/groups/${group}`, { multiplier: 4 });
    const all = await audit({ targetType: 'group', targetId: group });
    expect(all.total).toBe(4);
    expect(all.items.map((r) => r.after.multiplier)).toEqual([4, 3, 2, 1]);
    const page = await audit({ targetId: group, limit: 2, offset: 1 });
    expect([page.total, page.items.map((r) => r.after.multiplier)]).toEqual([4, [3, 2]]);
    // By email (any case) or id, whichever way the admin signed in.
    expect((await audit({ targetId: group, actor: t.admin.email.toUpperCase() })).total).toBe(4);
    expect((await audit({ targetId: group, actor: adminId })).total).toBe(4);
    expect((await audit({ targetId: group, actor: 'nobody@test.local' })).total).toBe(0);
    expect((await audit({ targetId: group, action: 'group.set', from: start })).total).toBe(4);
    expect((await audit({ targetId: group, action: 'price.set' })).total).toBe(0);
    expect((await audit({ targetId: group, to: start })).total).toBe(0);
    const u = await t.signup();
    expect((await t.api('GET', '/api/admin/audit', undefined, { cookie: u.cookie })).status).toBe(403);
    expect((await t.api('GET', '/api/admin/audit')).status).toBe(401);
  });
});
