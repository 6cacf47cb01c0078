import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../harness.js';

/**
 * Password strength (zxcvbn with its common-password list) on every password a user chooses, the
 * idle timeout of console sessions besides their 30 days, and what a password change ends.
 */
const open: TestGateway[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

const PASSWORD = 'plum-orbit-cactus-7';

async function gateway(config: Record<string, unknown> = {}) {
  const t = await startTestGateway({ config });
  open.push(t);
  return t;
}

async function post(t: TestGateway, path: string, body: unknown, cookie?: string) {
  const res = await fetch(t.url + path, { method: 'POST', headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) }, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json(), cookie: (res.headers.get('set-cookie') ?? '').split(';')[0] };
}

const sessionHash = (cookie: string) => createHash('sha256').update(decodeURIComponent(cookie.slice(cookie.indexOf('=') + 1))).digest('hex');

describe('password strength', () => {
  it.each([
    ['12345678', 'one of the ten most used passwords'],
    ['password-123', 'close to a commonly used password'],
    ['qwertyuiop', 'one of the hundred most used passwords'],
    ['Summer2024!', 'close to a commonly used password'],
  ])('sign-up with %s is refused as too easy to guess', async (password, why) => {
    const t = await gateway();
    const r = await post(t, '/api/auth/signup', { email: 'weak@test.local', password });
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ type: 'invalid_request', code: 'weak_password', param: 'password' });
    expect(r.body.error.message).toBe(`This password is too easy to guess: it is ${why}. Use a longer one, for example three or four unrelated words.`);
    expect(await t.gw.services.db.selectFrom('users').select('id').where('email', '=', 'weak@test.local').executeTakeFirst()).toBeUndefined();
  });

  it('a password made of the account own email is weak, though it would pass for another account', async () => {
    const t = await gateway();
    const own = await post(t, '/api/auth/signup', { email: 'zhang.wei.2024@test.local', password: 'zhang.wei.2024' });
    expect(own.status).toBe(400);
    expect(own.body.error.message).toContain('it contains your email address or name');
    expect((await post(t, '/api/auth/signup', { email: 'li.na@test.local', password: 'zhang.wei.2024' })).status).toBe(200);
  });

  it('a bad email is named as such, whatever the password', async () => {
    const t = await gateway();
    const r = await post(t, '/api/auth/signup', { email: 'not-an-email', password: '12345678' });
    expect(r.body.error.param).toBe('email');
  });

  it('the password change refuses a weak new password and keeps the old one', async () => {
    const t = await gateway();
    const { cookie, user } = await t.signup(undefined, PASSWORD);
    const r = await post(t, '/api/auth/password', { currentPassword: PASSWORD, newPassword: 'password1' }, cookie);
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: 'weak_password', param: 'newPassword' });
    expect((await post(t, '/api/auth/login', { email: user.email, password: PASSWORD })).status).toBe(200);
  });

  it('APIGPT_PASSWORD_MIN_SCORE=0 keeps only the length rule', async () => {
    const t = await gateway({ passwordMinScore: 0 });
    expect((await post(t, '/api/auth/signup', { email: 'easy@test.local', password: '12345678' })).status).toBe(200);
  });
});

describe('password change', () => {
  /** A user logged in twice (two browsers), with an app and a key. */
  async function userWithKey(t: TestGateway) {
    const { cookie, user } = await t.signup(undefined, PASSWORD);
    const other = await post(t, '/api/auth/login', { email: user.email, password: PASSWORD });
    const app = await t.api<{ app: { id: string }; key: { key: string } }>('POST', '/api/apps', { name: 'bot' }, { cookie });
    return { cookie, otherCookie: other.cookie, appId: app.body.app.id, key: app.body.key.key };
  }
  const models = (t: TestGateway, key: string) => fetch(`${t.url}/v1/models`, { headers: { authorization: `Bearer ${key}` } }).then((r) => r.status);

  it('ends the other sessions and keeps the API keys unless asked', async () => {
    const t = await gateway();
    const u = await userWithKey(t);
    const r = await post(t, '/api/auth/password', { currentPassword: PASSWORD, newPassword: 'copper-lantern-42' }, u.cookie);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ ok: true, revokedKeys: 0 });
    expect((await t.api('GET', '/api/auth/me', undefined, { cookie: r.cookie })).status).toBe(200);
    expect((await t.api('GET', '/api/auth/me', undefined, { cookie: u.otherCookie })).status).toBe(401);
    expect(await models(t, u.key)).toBe(200);
  });

  it('with revokeKeys every API key of the account stops working, other accounts keep theirs', async () => {
    const t = await gateway();
    const mine = await userWithKey(t);
    const second = await t.api<{ key: string }>('POST', `/api/apps/${mine.appId}/keys`, { name: 'second' }, { cookie: mine.cookie });
    const theirs = await userWithKey(t);
    const r = await post(t, '/api/auth/password', { currentPassword: PASSWORD, newPassword: 'copper-lantern-42', revokeKeys: true }, mine.cookie);
    expect(r.body).toEqual({ ok: true, revokedKeys: 2 });
    expect(await models(t, mine.key)).toBe(401);
    expect(await models(t, second.body.key)).toBe(401);
    expect(await models(t, theirs.key)).toBe(200);
  });
});

describe('session idle timeout', () => {
  it('a session unused longer than APIGPT_SESSION_IDLE_MINUTES ends, on the management API and the playground alike', async () => {
    const t = await gateway({ sessionIdleMinutes: 30 });
    const { cookie } = await t.signup(undefined, PASSWORD);
    const db = t.gw.services.db;
    const hash = sessionHash(cookie);
    // Used 29 minutes ago: still open, and this use counts.
    await db.updateTable('sessions').set({ last_seen_at: Date.now() - 29 * 60_000 }).where('token_hash', '=', hash).execute();
    const before = Date.now();
    expect((await t.api('GET', '/api/auth/me', undefined, { cookie })).status).toBe(200);
    const seen = await db.selectFrom('sessions').select('last_seen_at').where('token_hash', '=', hash).executeTakeFirstOrThrow();
    expect(Number(seen.last_seen_at)).toBeGreaterThanOrEqual(before);
    const playground = () =>
      fetch(`${t.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { cookie, 'x-apigpt-playground': '1', 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
      }).then((r) => r.status);
    expect(await playground()).toBe(200);
    // Unused for 31 minutes: ended, and gone from the table.
    await db.updateTable('sessions').set({ last_seen_at: Date.now() - 31 * 60_000 }).where('token_hash', '=', hash).execute();
    expect(await playground()).toBe(401);
    expect((await t.api('GET', '/api/auth/me', undefined, { cookie })).status).toBe(401);
    expect(await db.selectFrom('sessions').select('token_hash').where('token_hash', '=', hash).executeTakeFirst()).toBeUndefined();
  });

  it('the 30-day limit holds however busy the session', async () => {
    const t = await gateway({ sessionIdleMinutes: 0 });
    const { cookie } = await t.signup(undefined, PASSWORD);
    await t.gw.services.db.updateTable('sessions').set({ expires_at: Date.now() - 1, last_seen_at: Date.now() }).where('token_hash', '=', sessionHash(cookie)).execute();
    expect((await t.api('GET', '/api/auth/me', undefined, { cookie })).status).toBe(401);
  });

  it('a gateway started with a shorter idle limit applies it to sessions already open', async () => {
    const first = await gateway({ sessionIdleMinutes: 1440 });
    const { cookie } = await first.signup(undefined, PASSWORD);
    const db = first.gw.services.db;
    await db.updateTable('sessions').set({ last_seen_at: Date.now() - 2 * 3600_000 }).where('token_hash', '=', sessionHash(cookie)).execute();
    expect((await first.api('GET', '/api/auth/me', undefined, { cookie })).status).toBe(200);
    await db.updateTable('sessions').set({ last_seen_at: Date.now() - 2 * 3600_000 }).where('token_hash', '=', sessionHash(cookie)).execute();
    // Another process on the same database, configured with a one-hour limit.
    const second = await startTestGateway({ shareWith: first, config: { sessionIdleMinutes: 60 } });
    open.push(second);
    expect((await second.api('GET', '/api/auth/me', undefined, { cookie })).status).toBe(401);
  });
});
