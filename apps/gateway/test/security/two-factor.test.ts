import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS, PG_URL, startTestGateway, type TestGateway } from '../harness.js';
import { apigptBin } from '../built-cli.js';
import { totpAt, totpStep } from '../../src/accounts/totp.js';

/**
 * Two-factor sign-in over real HTTP: enrolment (secret, otpauth URI, first code, ten recovery codes
 * shown once), the two-step log-in (password, then a code or a recovery code), codes used once,
 * the log-in throttle on the second step, turning it off, an admin's reset (API and CLI) with its
 * audit row, and the setting that holds administrators to it. Codes are computed with the TOTP
 * arithmetic checked against the RFC 6238 vectors in totp.test.ts.
 */
const run = promisify(execFile);
const PASSWORD = 'plum-orbit-cactus-7';
const ADMIN2_PASSWORD = 'violet-harbor-engine-31';

interface Res<T = any> {
  status: number;
  body: T;
  cookie: string;
  retryAfter: string | null;
}

async function call<T = any>(t: TestGateway, method: string, path: string, body?: unknown, auth: { cookie?: string; token?: string } = {}): Promise<Res<T>> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (auth.cookie) headers.cookie = auth.cookie;
  if (auth.token) headers.authorization = `Bearer ${auth.token}`;
  const res = await fetch(t.url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, cookie: (res.headers.get('set-cookie') ?? '').split(';')[0], retryAfter: res.headers.get('retry-after') };
}

const code = (secret: string, step: number) => totpAt(secret, step);
const nowStep = () => totpStep(Date.now());

/** Turns two-factor on for a signed-in account; returns the secret, the step its first code was for and the recovery codes. */
async function enrol(t: TestGateway, cookie: string, password = PASSWORD) {
  const setup = await call<{ secret: string; uri: string }>(t, 'POST', '/api/auth/two-factor/setup', { password }, { cookie });
  expect(setup.status).toBe(200);
  const step = nowStep();
  const confirmed = await call<{ recoveryCodes: string[] }>(t, 'POST', '/api/auth/two-factor/confirm', { code: code(setup.body.secret, step) }, { cookie });
  expect(confirmed.status).toBe(200);
  return { secret: setup.body.secret, uri: setup.body.uri, step, recoveryCodes: confirmed.body.recoveryCodes };
}

const login = (t: TestGateway, email: string, password = PASSWORD) => call<{ user?: { id: string }; twoFactor?: { challenge: string; expiresAt: number } }>(t, 'POST', '/api/auth/login', { email, password });
const second = (t: TestGateway, challenge: string, factor: { code?: string; recoveryCode?: string }) => call<{ user: { id: string }; error: { type: string; code: string; message: string } }>(t, 'POST', '/api/auth/login/two-factor', { challenge, ...factor });

describe.each(DB_KINDS)('two-factor sign-in (%s)', (db) => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({ db, config: { loginLockMs: 60_000 } });
  });
  afterAll(async () => t?.close());

  it('enrol: a secret with its otpauth URI, confirmed by a first code; ten recovery codes shown once; the secret is sealed at rest', async () => {
    const { cookie, user } = await t.signup(undefined, PASSWORD);
    expect((await call(t, 'GET', '/api/auth/two-factor', undefined, { cookie })).body).toEqual({ enabled: false, enabledAt: null, pending: false, recoveryCodesLeft: 0, required: false });
    // Setting up needs the password again.
    expect((await call(t, 'POST', '/api/auth/two-factor/setup', { password: 'not-my-password-9' }, { cookie })).body.error).toMatchObject({ code: 'wrong_password', param: 'password' });
    const setup = await call<{ secret: string; uri: string }>(t, 'POST', '/api/auth/two-factor/setup', { password: PASSWORD }, { cookie });
    expect(setup.status).toBe(200);
    expect(setup.body.secret).toMatch(/^[A-Z2-7]{32}$/);
    const uri = new URL(setup.body.uri);
    expect(uri.protocol).toBe('otpauth:');
    expect(uri.host).toBe('totp');
    expect(decodeURIComponent(uri.pathname)).toBe(`/APIGPT:${user.email}`);
    expect(uri.searchParams.get('secret')).toBe(setup.body.secret);
    expect((await call(t, 'GET', '/api/auth/two-factor', undefined, { cookie })).body).toMatchObject({ enabled: false, pending: true });
    // Not on until confirmed: the password alone still signs in.
    expect((await login(t, user.email)).body.user?.id).toBe(user.id);
    // A wrong first code is refused, naming the field.
    const wrong = await call(t, 'POST', '/api/auth/two-factor/confirm', { code: code(setup.body.secret, nowStep() + 5) }, { cookie });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error).toMatchObject({ code: 'invalid_two_factor_code', param: 'code' });
    expect((await call(t, 'POST', '/api/auth/two-factor/confirm', { code: '12ab56' }, { cookie })).status).toBe(400);
    const confirmed = await call<{ recoveryCodes: string[] }>(t, 'POST', '/api/auth/two-factor/confirm', { code: code(setup.body.secret, nowStep()) }, { cookie });
    expect(confirmed.status).toBe(200);
    expect(confirmed.body.recoveryCodes).toHaveLength(10);
    expect(new Set(confirmed.body.recoveryCodes).size).toBe(10);
    for (const c of confirmed.body.recoveryCodes) expect(c).toMatch(/^[a-z2-7]{4}(-[a-z2-7]{4}){3}$/);
    const status = (await call(t, 'GET', '/api/auth/two-factor', undefined, { cookie })).body;
    expect(status).toMatchObject({ enabled: true, pending: false, recoveryCodesLeft: 10 });
    expect((await call(t, 'GET', '/api/auth/me', undefined, { cookie })).body.user.two_factor_at).toBe(status.enabledAt);
    // A second setup while on is refused: a session alone cannot move the secret to another app.
    expect((await call(t, 'POST', '/api/auth/two-factor/setup', { password: PASSWORD }, { cookie })).body.error).toMatchObject({ code: 'two_factor_enabled' });
    // At rest: the secret is sealed, recovery codes are hashes.
    const row = await t.gw.services.db.selectFrom('two_factor').selectAll().where('user_id', '=', user.id).executeTakeFirstOrThrow();
    expect(row.secret).toMatch(/^v1:/);
    expect(row.secret).not.toContain(setup.body.secret);
    const stored = await t.gw.services.db.selectFrom('recovery_codes').select('code_hash').where('user_id', '=', user.id).execute();
    expect(stored).toHaveLength(10);
    for (const r of stored) for (const c of confirmed.body.recoveryCodes) expect(r.code_hash).not.toContain(c.replace(/-/g, ''));
  });

  it('sign-in becomes two steps: the password gives a challenge (no session), the code a session; a wrong or replayed code is refused', async () => {
    const { cookie, user } = await t.signup(undefined, PASSWORD);
    const { secret, step } = await enrol(t, cookie);
    const first = await login(t, user.email);
    expect(first.status).toBe(200);
    expect(first.body.user).toBeUndefined();
    expect(first.cookie).toBe('');
    const challenge = first.body.twoFactor!.challenge;
    expect(first.body.twoFactor!.expiresAt).toBeGreaterThan(Date.now());
    // The challenge is no session.
    expect((await call(t, 'GET', '/api/auth/me', undefined, { cookie: `apigpt_session=${challenge}` })).status).toBe(401);
    // A wrong code.
    const wrong = await second(t, challenge, { code: code(secret, step + 7) });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error).toMatchObject({ type: 'authentication', code: 'invalid_two_factor_code' });
    // The code that confirmed the enrolment was used: replaying it is refused.
    const replayedEnrolment = await second(t, challenge, { code: code(secret, step) });
    expect(replayedEnrolment.status).toBe(401);
    expect(replayedEnrolment.body.error.code).toBe('invalid_two_factor_code');
    // The next step's code (within the window) signs in, with a session cookie.
    const ok = await second(t, challenge, { code: code(secret, step + 1) });
    expect(ok.status).toBe(200);
    expect(ok.body.user.id).toBe(user.id);
    expect((await call(t, 'GET', '/api/auth/me', undefined, { cookie: ok.cookie })).body.user.id).toBe(user.id);
    // The challenge worked once.
    expect((await second(t, challenge, { code: code(secret, step + 1) })).body.error.code).toBe('challenge_expired');
    // A fresh challenge with the same code again: replayed, refused.
    const again = await login(t, user.email);
    const replay = await second(t, again.body.twoFactor!.challenge, { code: code(secret, step + 1) });
    expect(replay.status).toBe(401);
    expect(replay.body.error.code).toBe('invalid_two_factor_code');
    // Neither or both factors: a clear 400.
    expect((await second(t, again.body.twoFactor!.challenge, {})).body.error).toMatchObject({ type: 'invalid_request', code: 'invalid_two_factor_code' });
    expect((await second(t, 'not-a-challenge-at-all-0000', { code: '123456' })).body.error.code).toBe('challenge_expired');
  });

  it('a recovery code signs in once; regenerating needs password and code and ends the old ones; turning off needs password and a code', async () => {
    const { cookie, user } = await t.signup(undefined, PASSWORD);
    const { secret, step, recoveryCodes } = await enrol(t, cookie);
    const c1 = (await login(t, user.email)).body.twoFactor!.challenge;
    // Typed loosely (upper case, spaces): still the code.
    const used = await second(t, c1, { recoveryCode: ` ${recoveryCodes[0].toUpperCase().replace(/-/g, ' ')} ` });
    expect(used.status).toBe(200);
    expect((await call(t, 'GET', '/api/auth/two-factor', undefined, { cookie: used.cookie })).body.recoveryCodesLeft).toBe(9);
    const c2 = (await login(t, user.email)).body.twoFactor!.challenge;
    const reused = await second(t, c2, { recoveryCode: recoveryCodes[0] });
    expect(reused.status).toBe(401);
    expect(reused.body.error.code).toBe('invalid_two_factor_code');

    const session = used.cookie;
    // Regenerate: wrong password, then right password with a recovery code.
    expect((await call(t, 'POST', '/api/auth/two-factor/recovery-codes', { password: 'not-my-password-9', recoveryCode: recoveryCodes[1] }, { cookie: session })).body.error.code).toBe('wrong_password');
    const fresh = await call<{ recoveryCodes: string[] }>(t, 'POST', '/api/auth/two-factor/recovery-codes', { password: PASSWORD, recoveryCode: recoveryCodes[1] }, { cookie: session });
    expect(fresh.status).toBe(200);
    expect(fresh.body.recoveryCodes).toHaveLength(10);
    expect(fresh.body.recoveryCodes).not.toContain(recoveryCodes[2]);
    const c3 = (await login(t, user.email)).body.twoFactor!.challenge;
    expect((await second(t, c3, { recoveryCode: recoveryCodes[2] })).status).toBe(401);
    expect((await second(t, c3, { recoveryCode: fresh.body.recoveryCodes[0] })).status).toBe(200);

    // Turning off: a wrong code is refused, the right one (the next step's) turns it off.
    const badOff = await call(t, 'POST', '/api/auth/two-factor/disable', { password: PASSWORD, code: code(secret, step + 9) }, { cookie: session });
    expect(badOff.status).toBe(400);
    expect(badOff.body.error).toMatchObject({ code: 'invalid_two_factor_code', param: 'code' });
    expect((await call(t, 'POST', '/api/auth/two-factor/disable', { password: PASSWORD }, { cookie: session })).status).toBe(400);
    expect((await call(t, 'POST', '/api/auth/two-factor/disable', { password: PASSWORD, code: code(secret, step + 1) }, { cookie: session })).status).toBe(200);
    expect((await call(t, 'GET', '/api/auth/two-factor', undefined, { cookie: session })).body).toMatchObject({ enabled: false, recoveryCodesLeft: 0 });
    expect((await login(t, user.email)).body.user?.id).toBe(user.id);
    expect(await t.gw.services.db.selectFrom('recovery_codes').select('code_hash').where('user_id', '=', user.id).execute()).toHaveLength(0);
  });

  it('the second step is behind the log-in throttle, and a right password between wrong codes does not clear the count', async () => {
    const { cookie, user } = await t.signup(undefined, PASSWORD);
    const { secret, step } = await enrol(t, cookie);
    const challenge = (await login(t, user.email)).body.twoFactor!.challenge;
    for (let i = 0; i < 4; i++) expect((await second(t, challenge, { code: code(secret, step + 10 + i) })).status).toBe(401);
    // The right password again: a new challenge, but the four failures stay counted.
    const again = (await login(t, user.email)).body.twoFactor!.challenge;
    expect((await second(t, again, { code: code(secret, step + 20) })).status).toBe(401);
    // The fifth failure locked the account: even the right code is refused, with retry-after, and so is the password.
    const locked = await second(t, again, { code: code(secret, step + 1) });
    expect(locked.status).toBe(429);
    expect(locked.body.error.code).toBe('login_locked');
    expect(Number(locked.retryAfter)).toBeGreaterThan(0);
    expect((await login(t, user.email)).status).toBe(429);
  });

  it('admins can be required to use two-factor: until enrolled, an admin reaches only the enrolment steps', async () => {
    const root = { token: t.rootToken };
    const email = `admin2-${Date.now().toString(36)}@test.local`;
    expect((await call(t, 'POST', '/api/admin/users', { email, password: ADMIN2_PASSWORD, role: 'admin' }, root)).status).toBe(200);
    const user = await t.signup(undefined, PASSWORD);
    const set = await call(t, 'PUT', '/api/admin/settings', { requireAdminTwoFactor: true }, root);
    expect(set.status).toBe(200);
    expect(set.body.requireAdminTwoFactor).toBe(true);
    try {
      const session = (await login(t, email, ADMIN2_PASSWORD)).cookie;
      expect(session).not.toBe('');
      const refused = await call(t, 'GET', '/api/admin/users', undefined, { cookie: session });
      expect(refused.status).toBe(403);
      expect(refused.body.error).toMatchObject({ code: 'two_factor_required' });
      expect((await call(t, 'GET', '/api/apps', undefined, { cookie: session })).body.error.code).toBe('two_factor_required');
      expect((await call(t, 'GET', '/api/auth/me', undefined, { cookie: session })).body.twoFactorRequired).toBe(true);
      expect((await call(t, 'GET', '/api/auth/two-factor', undefined, { cookie: session })).body.required).toBe(true);
      // Users are not affected; the root token (the operator's automation) is not a sign-in.
      expect((await call(t, 'GET', '/api/apps', undefined, { cookie: user.cookie })).status).toBe(200);
      expect((await call(t, 'GET', '/api/auth/me', undefined, { cookie: user.cookie })).body.twoFactorRequired).toBe(false);
      expect((await call(t, 'GET', '/api/admin/users', undefined, root)).status).toBe(200);
      // Enrolled: the same session reaches everything an admin may.
      await enrol(t, session, ADMIN2_PASSWORD);
      expect((await call(t, 'GET', '/api/admin/users', undefined, { cookie: session })).status).toBe(200);
      expect((await call(t, 'GET', '/api/auth/me', undefined, { cookie: session })).body.twoFactorRequired).toBe(false);
      const audit = await call(t, 'GET', '/api/admin/audit?action=settings.update', undefined, root);
      expect(audit.body.items[0]).toMatchObject({ before: { requireAdminTwoFactor: false }, after: { requireAdminTwoFactor: true } });
    } finally {
      await call(t, 'PUT', '/api/admin/settings', { requireAdminTwoFactor: false }, root);
    }
  });

  it("an admin resets a user's two-factor (lost phone): the password alone signs in again, and the reset is audited; users cannot", async () => {
    const { cookie, user } = await t.signup(undefined, PASSWORD);
    await enrol(t, cookie);
    const other = await t.signup(undefined, PASSWORD);
    expect((await call(t, 'POST', `/api/admin/users/${user.id}/two-factor/reset`, undefined, { cookie: other.cookie })).status).toBe(403);
    expect((await login(t, user.email)).body.twoFactor).toBeDefined();
    const reset = await call(t, 'POST', `/api/admin/users/${user.id}/two-factor/reset`, undefined, { token: t.rootToken });
    expect(reset.status).toBe(200);
    expect(reset.body.user.two_factor_at).toBeNull();
    expect((await login(t, user.email)).body.user?.id).toBe(user.id);
    const audit = await call(t, 'GET', `/api/admin/audit?action=user.two_factor_reset&targetId=${user.id}`, undefined, { token: t.rootToken });
    expect(audit.body.items).toHaveLength(1);
    expect(audit.body.items[0]).toMatchObject({ via: 'root_token', target_type: 'user', before: { twoFactor: true, recoveryCodesLeft: 10 }, after: { twoFactor: false } });
  });
});

describe('two-factor: a deleted account', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway();
  });
  afterAll(async () => t?.close());

  it('deleting my account deletes its two-factor secret and recovery codes', async () => {
    const { cookie, user } = await t.signup(undefined, PASSWORD);
    await enrol(t, cookie);
    const db = t.gw.services.db;
    expect(await db.selectFrom('recovery_codes').select('code_hash').where('user_id', '=', user.id).execute()).toHaveLength(10);
    expect((await call(t, 'POST', '/api/account/delete', { password: PASSWORD }, { cookie })).status).toBe(200);
    expect(await db.selectFrom('two_factor').selectAll().where('user_id', '=', user.id).execute()).toEqual([]);
    expect(await db.selectFrom('recovery_codes').select('code_hash').where('user_id', '=', user.id).execute()).toEqual([]);
    expect((await db.selectFrom('users').select('two_factor_at').where('id', '=', user.id).executeTakeFirstOrThrow()).two_factor_at).toBeNull();
  });
});

describe('two-factor: the CLI', () => {
  const open: TestGateway[] = [];
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
  });

  it('`apigpt user reset-2fa` turns it off and is audited as the CLI; `user set-password` and `user create` refuse a weak password', async () => {
    const t = await startTestGateway();
    open.push(t);
    const env: Record<string, string> = { PATH: process.env.PATH ?? '', APIGPT_DATA_DIR: t.config.dataDir, APIGPT_SECRET: t.config.secret! };
    if (t.config.databaseUrl) Object.assign(env, { DATABASE_URL: PG_URL, APIGPT_DATABASE_SCHEMA: t.config.databaseSchema! });
    const cli = async (...args: string[]) => {
      try {
        return { code: 0, out: JSON.parse((await run(process.execPath, [apigptBin(), ...args, '--json'], { env, timeout: 30_000 })).stdout) };
      } catch (err) {
        const e = err as { code: number; stdout: string };
        return { code: e.code, out: JSON.parse(e.stdout) };
      }
    };
    const { cookie, user } = await t.signup(undefined, PASSWORD);
    await enrol(t, cookie);
    const reset = await cli('user', 'reset-2fa', '--email', user.email);
    expect(reset).toMatchObject({ code: 0, out: { ok: true, wasEnabled: true } });
    expect((await login(t, user.email)).body.user?.id).toBe(user.id);
    const audit = await call(t, 'GET', `/api/admin/audit?action=user.two_factor_reset&targetId=${user.id}`, undefined, { token: t.rootToken });
    expect(audit.body.items[0]).toMatchObject({ via: 'cli', actor_id: null, after: { twoFactor: false } });

    const weak = await cli('user', 'set-password', '--email', user.email, '--password', '12345678');
    expect(weak).toMatchObject({ code: 1, out: { error: { code: 'weak_password' } } });
    expect((await login(t, user.email)).status).toBe(200);
    const strong = await cli('user', 'set-password', '--email', user.email, '--password', 'granite-meadow-falcon-52');
    expect(strong.code).toBe(0);
    expect((await login(t, user.email, 'granite-meadow-falcon-52')).status).toBe(200);
    expect((await login(t, user.email, PASSWORD)).status).toBe(401);
    expect((await cli('user', 'create', '--email', 'weak-cli@test.local', '--password', 'password1')).out.error.code).toBe('weak_password');
    // Each run of the built CLI starts a Node process and opens the database: a few seconds each on a busy machine.
  }, 120_000);
});
