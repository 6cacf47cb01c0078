import { afterEach, describe, expect, it } from 'vitest';
import { startTestGateway, REDIS_URL, type TestGateway } from '../harness.js';
import { eventually } from '../eventually.js';

/**
 * Password guessing and mass sign-up meet brakes: failed log-ins lock the account (and, four times
 * as many, the address) with a 429 and `retry-after` that grows with every further failure, a locked
 * attempt is refused before any password is checked, and sign-ups are limited per address. The
 * counters live in the shared state, so two processes on one Redis enforce one limit.
 */
const open: TestGateway[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

const PASSWORD = 'right-password-1';
const LOCK_MS = 1500;

async function gateway(config: Record<string, unknown> = {}, more: Parameters<typeof startTestGateway>[0] = {}) {
  const t = await startTestGateway({ ...more, config: { loginLockMs: LOCK_MS, ...config } });
  open.push(t);
  return t;
}

async function login(t: TestGateway, email: string, password: string) {
  const res = await fetch(`${t.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
  const body = (await res.json()) as { error?: { message: string; type: string; code: string } };
  return { status: res.status, retryAfter: res.headers.get('retry-after'), error: body.error ?? null };
}

async function signup(t: TestGateway, email: string) {
  const res = await fetch(`${t.url}/api/auth/signup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: PASSWORD }) });
  const body = (await res.json()) as { error?: { message: string; code: string } };
  return { status: res.status, retryAfter: res.headers.get('retry-after'), error: body.error ?? null };
}

describe('log-in throttling', () => {
  it('5 wrong passwords, then the right one: 429 with retry-after; after the lock runs out the right one gets in', async () => {
    const t = await gateway();
    const { user } = await t.signup(undefined, PASSWORD);
    for (let i = 0; i < 5; i++) expect((await login(t, user.email, 'wrong-password')).status).toBe(401);
    const locked = await login(t, user.email, PASSWORD);
    expect(locked.status).toBe(429);
    // Seconds left of a 1.5 s lock, rounded up.
    expect(Number(locked.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number(locked.retryAfter)).toBeLessThanOrEqual(2);
    expect(locked.error).toMatchObject({ type: 'rate_limit', code: 'login_locked' });
    expect(locked.error!.message).toMatch(/^Too many failed log-ins for this account\. Try again in \d+ seconds\.$/);
    // Polling while locked is refused without counting, so it does not lengthen the lock.
    await eventually(async () => expect((await login(t, user.email, PASSWORD)).status).toBe(200), { timeoutMs: 10_000 });
    // The right password cleared the account's failures: one wrong one is a plain 401 again.
    expect((await login(t, user.email, 'wrong-password')).status).toBe(401);
  });

  it('the lock grows with each failure after it', async () => {
    const t = await gateway({ loginLockMs: 2000 });
    const { user } = await t.signup(undefined, PASSWORD);
    for (let i = 0; i < 5; i++) await login(t, user.email, 'wrong-password');
    const first = await login(t, user.email, 'wrong-password');
    expect(first.status).toBe(429);
    expect(Number(first.retryAfter)).toBeLessThanOrEqual(2); // what is left of 2 s
    // The one attempt let through after the lock fails again: the next lock is twice as long.
    await eventually(async () => expect((await login(t, user.email, 'wrong-password')).status).toBe(401), { timeoutMs: 10_000 });
    const second = await login(t, user.email, PASSWORD);
    expect(second.status).toBe(429);
    expect(Number(second.retryAfter)).toBeGreaterThan(2); // what is left of 4 s
  });

  it('20 guesses sent at once are counted before they are checked: at most one past the allowance is checked', async () => {
    const t = await gateway({ loginLockMs: 60_000 });
    const { user } = await t.signup(undefined, PASSWORD);
    const results = await Promise.all(Array.from({ length: 20 }, () => login(t, user.email, 'wrong-password')));
    const checked = results.filter((r) => r.status === 401).length;
    // Five within the allowance, and at most the one that took the lock after them.
    expect(checked).toBeGreaterThanOrEqual(5);
    expect(checked).toBeLessThanOrEqual(6);
    expect(results.filter((r) => r.status === 429).length).toBe(20 - checked);
  });

  it('an address that fails on many accounts is locked too, for every account', async () => {
    const t = await gateway();
    const { user } = await t.signup(undefined, PASSWORD);
    // 20 failures (four times an account's allowance) spread over accounts that mostly do not exist.
    for (let i = 0; i < 20; i++) expect((await login(t, `nobody${i % 5}@test.local`, 'wrong-password')).status).toBe(401);
    const locked = await login(t, user.email, PASSWORD);
    expect(locked.status).toBe(429);
    expect(locked.error!.message).toMatch(/^Too many failed log-ins for your address\./);
  });

  it('the change-password route has the same brakes: 5 wrong current passwords lock the account', async () => {
    const t = await gateway();
    const { cookie, user } = await t.signup(undefined, PASSWORD);
    for (let i = 0; i < 5; i++) expect((await t.api('POST', '/api/auth/password', { currentPassword: 'wrong-password', newPassword: 'new-password-1' }, { cookie })).status).toBe(400);
    const r = await t.api('POST', '/api/auth/password', { currentPassword: PASSWORD, newPassword: 'new-password-1' }, { cookie });
    expect(r.status).toBe(429);
    expect(r.body.error.code).toBe('login_locked');
    expect((await login(t, user.email, PASSWORD)).status).toBe(429);
  });

  it('two gateway processes on one Redis share the counters: failures on one lock the account on the other', async () => {
    const prefix = `apigpt-test:${process.pid}:${Date.now().toString(36)}:`;
    const g1 = await gateway({ redisUrl: REDIS_URL, redisPrefix: prefix }, { db: 'postgres' });
    const g2 = await startTestGateway({ shareWith: g1, config: { redisUrl: REDIS_URL, redisPrefix: prefix, loginLockMs: 60_000 } });
    open.push(g2);
    const { user } = await g1.signup(undefined, PASSWORD);
    for (let i = 0; i < 3; i++) expect((await login(g1, user.email, 'wrong-password')).status).toBe(401);
    for (let i = 0; i < 2; i++) expect((await login(g2, user.email, 'wrong-password')).status).toBe(401);
    expect((await login(g2, user.email, PASSWORD)).status).toBe(429);
    expect((await login(g1, user.email, PASSWORD)).status).toBe(429);
  });
});

describe('sign-up throttling', () => {
  it('an address may sign up 10 times an hour; the 11th gets 429 with retry-after', async () => {
    const t = await gateway({ signupsPerIpHour: 10 });
    for (let i = 0; i < 10; i++) expect((await signup(t, `many${i}@test.local`)).status).toBe(200);
    const refused = await signup(t, 'many10@test.local');
    expect(refused.status).toBe(429);
    expect(refused.error).toMatchObject({ code: 'signup_rate_limited' });
    expect(Number(refused.retryAfter)).toBeGreaterThan(0);
    expect(Number(refused.retryAfter)).toBeLessThanOrEqual(3600);
  });
});
