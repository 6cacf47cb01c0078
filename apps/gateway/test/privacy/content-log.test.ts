/**
 * The content log and the account's own data, through the real gateway (SQLite file), the
 * simulator over HTTP and the management API:
 * - by default nothing of a call's text is stored: a unique prompt (which the simulator's answer
 *   quotes) is searched for in every file of the data folder — the SQLite database, its WAL, the
 *   billing journal — and found only once an admin turns content logging on;
 * - logged content is shown to admins and to the call's owner, and purged after its retention
 *   (time moved by the content log's clock, not by waiting);
 * - a user exports their data and deletes their account.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PurgeJob } from '../../src/privacy/contents.js';
import { createLogger } from '../../src/core/logger.js';
import { eventually } from '../eventually.js';
import { startTestGateway, type TestGateway } from '../harness.js';

type Any = any; // eslint-disable-line @typescript-eslint/no-explicit-any
const DAY = 86_400_000;

/** Every file under a folder, recursively. */
function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

/** The files of the data folder whose bytes hold `needle` (UTF-8). */
function filesHolding(dir: string, needle: string): string[] {
  const bytes = Buffer.from(needle, 'utf8');
  return files(dir).filter((f) => readFileSync(f).includes(bytes));
}

/** The part of a relayed chat body these checks read. */
type ChatBody = { messages: { content: unknown }[] };

describe('content log', () => {
  let t: TestGateway;
  const root = () => ({ token: t.rootToken });

  beforeAll(async () => {
    t = await startTestGateway();
  });
  afterAll(() => t?.close());

  async function chat(key: string, text: string, stream = false): Promise<{ id: string; body: string }> {
    const res = await fetch(`${t.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: text }], stream }),
    });
    const body = await res.text();
    expect(res.status, body).toBe(200);
    return { id: res.headers.get('x-request-id')!, body };
  }

  /** Waits until the call's log row is in the database and every pending content write is done. */
  async function settled(id: string): Promise<void> {
    await t.flushLogs();
    await eventually(async () => (await t.gw.services.db.selectFrom('request_logs').select('id').where('id', '=', id).executeTakeFirst()) !== undefined);
    await t.gw.services.privacy.contents.flush();
  }

  it('with content logging off (the default), no prompt or answer reaches any file of the data folder', async () => {
    const u = await t.newUserWithKey();
    const secret = `zebra-${randomBytes(8).toString('hex')}-quartz`;
    const whole = await chat(u.key, `remember ${secret} please`);
    expect(whole.body).toContain(secret); // the answer quotes it
    const streamed = await chat(u.key, `stream ${secret} back [[sim chunks=1]]`, true);
    expect(streamed.body).toContain(secret);
    await settled(whole.id);
    await settled(streamed.id);
    expect(files(t.config.dataDir).some((f) => f.endsWith('apigpt.db'))).toBe(true);
    expect(filesHolding(t.config.dataDir, secret)).toEqual([]);
    expect(await t.gw.services.db.selectFrom('request_contents').select('request_id').where('user_id', '=', u.userId).execute()).toEqual([]);
  });

  it('with content logging on for the App, the same search finds it, and admins and the owner read it', async () => {
    const u = await t.newUserWithKey();
    const other = await t.newUserWithKey();
    const r = await t.api('PUT', `/api/admin/privacy/policies/app/${u.appId}`, { contentLogging: true, retentionDays: 7 }, root());
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const secret = `walrus-${randomBytes(8).toString('hex')}-basalt`;
    const { id } = await chat(u.key, `remember ${secret} please`);
    await settled(id);
    expect(filesHolding(t.config.dataDir, secret).length).toBeGreaterThan(0);

    const admin = await t.api<Any>('GET', `/api/admin/logs/${id}/content`, undefined, root());
    expect(admin.status).toBe(200);
    expect(JSON.parse(admin.body.request).messages[0].content).toBe(`remember ${secret} please`);
    expect(JSON.parse(admin.body.response).choices[0].message.content).toContain(secret);
    expect(admin.body.expiresAt - admin.body.createdAt).toBe(7 * DAY);

    const own = await t.api<Any>('GET', `/api/logs/${id}/content`, undefined, { cookie: u.cookie });
    expect(own.status).toBe(200);
    expect(own.body.requestId).toBe(id);
    const foreign = await t.api<Any>('GET', `/api/logs/${id}/content`, undefined, { cookie: other.cookie });
    expect(foreign.status).toBe(404);
    expect(foreign.body.error.code).toBe('content_not_found');

    // The other App (no policy) keeps nothing.
    const { id: id2 } = await chat(other.key, `remember ${secret} too`);
    await settled(id2);
    expect((await t.api('GET', `/api/admin/logs/${id2}/content`, undefined, root())).status).toBe(404);
  });

  it('a streamed answer is logged as its events; with redaction on, the log holds placeholders only', async () => {
    const u = await t.newUserWithKey();
    await t.api('PUT', `/api/admin/privacy/policies/app/${u.appId}`, { contentLogging: true, retentionDays: 3, redaction: 'reversible', kinds: ['email'] }, root());
    const { id, body } = await chat(u.key, 'write to bob@example.org [[sim chunks=20]]', true);
    expect(body).toContain('bob@');
    await settled(id);
    const c = await t.api<Any>('GET', `/api/admin/logs/${id}/content`, undefined, root());
    expect(c.status).toBe(200);
    expect(c.body.request).toContain('[EMAIL_1]');
    expect(c.body.request + c.body.response).not.toContain('bob@example.org');
    expect(c.body.response).toContain('data: ');
  });

  it('group policies apply to every App of the group; an App policy replaces it', async () => {
    const u = await t.newUserWithKey();
    const group = (await t.gw.services.db.selectFrom('users').select('group_name').where('id', '=', u.userId).executeTakeFirstOrThrow()).group_name;
    await t.api('PUT', `/api/admin/privacy/policies/group/${group}`, { redaction: 'mask', kinds: ['phone'] }, root());
    try {
      await chat(u.key, 'call 13812345678');
      expect((t.sim.requests.at(-1)!.body as ChatBody).messages[0].content).toBe('call [PHONE_1]');
      await t.api('PUT', `/api/admin/privacy/policies/app/${u.appId}`, { redaction: 'off' }, root());
      await chat(u.key, 'call 13812345678');
      expect((t.sim.requests.at(-1)!.body as ChatBody).messages[0].content).toBe('call 13812345678');
    } finally {
      expect((await t.api('DELETE', `/api/admin/privacy/policies/group/${group}`, undefined, root())).status).toBe(200);
    }
  });

  it('purges content past its retention, by the job and at start', async () => {
    const u = await t.newUserWithKey();
    await t.api('PUT', `/api/admin/privacy/policies/app/${u.appId}`, { contentLogging: true, retentionDays: 2 }, root());
    const { id } = await chat(u.key, 'keep me for two days');
    await settled(id);
    const { privacy, db } = t.gw.services;
    const count = async () => (await db.selectFrom('request_contents').select('request_id').where('request_id', '=', id).execute()).length;
    const start = privacy.clock.now();
    const real = privacy.clock.now;
    try {
      // A day later it is kept.
      privacy.clock.now = () => start + DAY;
      expect(await privacy.purge.runOnce()).toBe(0);
      expect(await count()).toBe(1);
      // Past two days, the job deletes it — here a job started anew, as a gateway's start does.
      privacy.clock.now = () => start + 2 * DAY + 1;
      expect((await t.api('GET', `/api/admin/logs/${id}/content`, undefined, root())).status).toBe(404);
      const job = new PurgeJob(privacy.contents, createLogger('silent'), 3_600_000);
      job.start();
      await eventually(async () => (await count()) === 0);
      await job.stop();
    } finally {
      privacy.clock.now = real;
    }
    // The admin route runs the same purge, and is audited.
    const r = await t.api<Any>('POST', '/api/admin/privacy/purge', undefined, root());
    expect(r.status).toBe(200);
    const audit = await db.selectFrom('audit_log').select(['action', 'after']).where('action', '=', 'privacy.purge').execute();
    expect(audit.length).toBeGreaterThan(0);
  });
});

describe('account export and deletion', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway();
  });
  afterAll(() => t?.close());

  it('exports the account as JSON: profile, apps, key metadata without secrets, ledger, usage, logs, logged content', async () => {
    const u = await t.newUserWithKey();
    await t.api('PUT', `/api/admin/privacy/policies/app/${u.appId}`, { contentLogging: true, retentionDays: 5 }, { token: t.rootToken });
    const res = await fetch(`${t.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${u.key}` }, body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'export me' }] }) });
    const id = res.headers.get('x-request-id')!;
    await res.text();
    await t.flushLogs();
    const r = await fetch(`${t.url}/api/account/export`, { headers: { cookie: u.cookie } });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-disposition')).toContain('attachment');
    const text = await r.text();
    const data = JSON.parse(text);
    expect(data.profile.id).toBe(u.userId);
    expect(data.profile.email).toMatch(/@test\.local$/);
    expect(data.apps.map((a: Any) => a.id)).toContain(u.appId);
    expect(data.keys).toHaveLength(1);
    expect(data.keys[0].prefix).toBe(u.key.slice(0, data.keys[0].prefix.length));
    expect(data.keys[0]).not.toHaveProperty('key_hash');
    expect(text).not.toContain(u.key);
    expect(text).not.toContain('password');
    expect(data.ledger.map((l: Any) => l.kind)).toContain('trial');
    expect(data.requestLogs.map((l: Any) => l.id)).toContain(id);
    expect(data.usage).toEqual([expect.objectContaining({ model: 'gpt-4o-mini', calls: 1 })]);
    await eventually(async () => {
      const again = await (await fetch(`${t.url}/api/account/export`, { headers: { cookie: u.cookie } })).json();
      return again.loggedContent.some((c: Any) => c.requestId === id && c.request.includes('export me'));
    });
  });

  it('the export holds the welcome step\'s answers', async () => {
    const u = await t.signup();
    const before = await t.api<{ welcomeProfile: unknown }>('GET', '/api/account/export', undefined, { cookie: u.cookie });
    expect(before.body.welcomeProfile).toMatchObject({ state: 'pending', organisation: null, building: null });
    const done = await t.api('POST', '/api/onboarding', { organisation: 'Hangzhou Lab', building: '客服机器人', services: ['openai'] }, { cookie: u.cookie });
    expect(done.status).toBe(200);
    const after = await t.api<{ welcomeProfile: Any }>('GET', '/api/account/export', undefined, { cookie: u.cookie });
    expect(after.body.welcomeProfile).toMatchObject({ state: 'done', organisation: 'Hangzhou Lab', building: '客服机器人', services: ['openai'], app_id: (done.body as Any).app.id });
  });

  it('deletes the account with its password: keys revoked, content purged, address pseudonymised, ledger kept', async () => {
    const u = await t.newUserWithKey();
    const db = t.gw.services.db;
    await t.api('PUT', `/api/admin/privacy/policies/app/${u.appId}`, { contentLogging: true, retentionDays: 5 }, { token: t.rootToken });
    const call = () => fetch(`${t.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${u.key}` }, body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'delete me later' }] }) });
    const first = await call();
    expect(first.status).toBe(200);
    await first.text();
    await t.flushLogs();
    await t.gw.services.privacy.contents.flush();
    const email = (await db.selectFrom('users').select('email').where('id', '=', u.userId).executeTakeFirstOrThrow()).email;
    const ledgerBefore = await db.selectFrom('ledger').select(['id', 'amount', 'kind']).where('user_id', '=', u.userId).orderBy('id').execute();
    expect(ledgerBefore.length).toBeGreaterThan(1); // trial + the call's charge

    const wrong = await t.api<Any>('POST', '/api/account/delete', { password: 'not-the-password' }, { cookie: u.cookie });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.code).toBe('wrong_password');
    const ok = await t.api<Any>('POST', '/api/account/delete', { password: 'harness-password-17' }, { cookie: u.cookie });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(ok.body).toEqual({ deleted: true, keysRevoked: 1, contentsDeleted: 1, storedResponsesDeleted: 0 });

    // The key no longer calls, the session is over, the password no longer signs in.
    const after = await call();
    expect(after.status).toBe(401);
    expect((await t.api('GET', '/api/auth/me', undefined, { cookie: u.cookie })).status).toBe(401);
    const login = await t.api<Any>('POST', '/api/auth/login', { email, password: 'harness-password-17' });
    expect(login.status).toBe(401);
    const row = await db.selectFrom('users').selectAll().where('id', '=', u.userId).executeTakeFirstOrThrow();
    expect(row.email).toMatch(/^deleted-[0-9a-f]{20}@deleted\.invalid$/);
    expect(row.display_name).toBeNull();
    expect(row.status).toBe('disabled');
    expect(row.deleted_at).not.toBeNull();
    expect(await db.selectFrom('request_contents').select('request_id').where('user_id', '=', u.userId).execute()).toEqual([]);
    expect((await db.selectFrom('request_logs').select('client_ip').where('user_id', '=', u.userId).execute()).every((r) => r.client_ip === null)).toBe(true);
    // The ledger stays whole for accounting; it names an id, no longer a person.
    expect(await db.selectFrom('ledger').select(['id', 'amount', 'kind']).where('user_id', '=', u.userId).orderBy('id').execute()).toEqual(ledgerBefore);
    // The address is free again.
    await t.signup(email);
  });

  it("an administrator deletes a user's account (DELETE /api/admin/users/{id}): audited without the address; never an admin, themself, twice, or by a user", async () => {
    const u = await t.newUserWithKey();
    const other = await t.newUserWithKey();
    const db = t.gw.services.db;
    const login = await fetch(`${t.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: t.admin.email, password: t.admin.password }) });
    const adminCookie = (login.headers.get('set-cookie') ?? '').split(';')[0];
    const adminId = (await t.api<Any>('GET', '/api/auth/me', undefined, { cookie: adminCookie })).body.user.id;
    const email = (await db.selectFrom('users').select('email').where('id', '=', u.userId).executeTakeFirstOrThrow()).email;

    // A user cannot, not even for another user; nor can an App key.
    expect((await t.api<Any>('DELETE', `/api/admin/users/${u.userId}`, undefined, { cookie: other.cookie })).body.error.code).toBe('admin_only');
    expect((await t.api<Any>('DELETE', `/api/admin/users/${u.userId}`, undefined, { token: other.key })).status).toBe(403);
    // Not the admin's own account, nor another administrator's.
    expect((await t.api<Any>('DELETE', `/api/admin/users/${adminId}`, undefined, { cookie: adminCookie })).body.error.code).toBe('self_lockout');
    await t.api('PATCH', `/api/admin/users/${other.userId}`, { role: 'admin' }, { token: t.rootToken });
    const refused = await t.api<Any>('DELETE', `/api/admin/users/${other.userId}`, undefined, { cookie: adminCookie });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('admin_account');
    expect((await db.selectFrom('users').select('deleted_at').where('id', '=', other.userId).executeTakeFirstOrThrow()).deleted_at).toBeNull();

    const ok = await t.api<Any>('DELETE', `/api/admin/users/${u.userId}`, undefined, { cookie: adminCookie });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(ok.body).toMatchObject({ deleted: true, keysRevoked: 1, sessionsEnded: 1 });
    expect(ok.body.pseudonym).toMatch(/@deleted\.invalid$/);
    const row = await db.selectFrom('users').selectAll().where('id', '=', u.userId).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ email: ok.body.pseudonym, status: 'disabled', display_name: null });
    expect((await fetch(`${t.url}/v1/models`, { headers: { authorization: `Bearer ${u.key}` } })).status).toBe(401);
    expect((await t.api('GET', '/api/auth/me', undefined, { cookie: u.cookie })).status).toBe(401);
    // One audit row, committed with the deletion, naming the account by id and never by its address.
    const audits = await db.selectFrom('audit_log').selectAll().where('target_id', '=', u.userId).where('action', '=', 'account.delete').execute();
    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({ actor_id: adminId, target_type: 'user' });
    expect(JSON.stringify(audits[0])).not.toContain(email);
    // Gone: a second deletion is "no such user".
    const again = await t.api<Any>('DELETE', `/api/admin/users/${u.userId}`, undefined, { cookie: adminCookie });
    expect(again.status).toBe(404);
    expect(again.body.error.code).toBe('user_not_found');
    expect((await t.api<Any>('DELETE', '/api/admin/users/usr_nope', undefined, { token: t.rootToken })).body.error.code).toBe('user_not_found');
  });

  it('an administrator cannot delete their own account', async () => {
    const login = await fetch(`${t.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: t.admin.email, password: t.admin.password }) });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0];
    const r = await t.api<Any>('POST', '/api/account/delete', { password: t.admin.password }, { cookie });
    expect(r.status).toBe(403);
    expect(r.body.error.code).toBe('admin_account');
  });
});
