import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS, startTestGateway, type TestGateway } from '../harness.js';
import { audit, balanceOf } from './helpers.js';
import { eventually } from '../eventually.js';

describe.each(DB_KINDS)('redemption codes and admin credit (%s)', (db) => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({ db });
  });
  afterAll(() => t?.close());

  it('50 concurrent redemptions of one code: exactly one succeeds', async () => {
    const made = await t.api('POST', '/api/admin/codes', { count: 1, value: 250, name: 'race' }, { token: t.rootToken });
    expect(made.status).toBe(200);
    const code = made.body.items[0].code as string;
    const users = await Promise.all(Array.from({ length: 5 }, () => t.signup()));
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => t.api('POST', '/api/billing/redeem', { code }, { cookie: users[i % 5].cookie })));
    const ok = results.filter((r) => r.status === 200);
    expect(ok).toHaveLength(1);
    expect(ok[0].body).toMatchObject({ amount: 250, balance: 5250 });
    for (const r of results.filter((r) => r.status !== 200)) {
      expect(r.status).toBe(409);
      expect(r.body.error.code).toBe('code_used');
    }
    const balances = await Promise.all(users.map((u) => balanceOf(t, u.cookie)));
    expect(balances.sort()).toEqual([5000, 5000, 5000, 5000, 5250]);
    // The list shows which code it was by id and hint: codes are stored hashed and never shown again.
    const used = await t.api('GET', '/api/admin/codes?status=used', undefined, { token: t.rootToken });
    const listed = used.body.items.find((c: { id: string }) => c.id === made.body.items[0].id);
    expect(listed).toMatchObject({ hint: code.slice(0, 8) });
    expect(listed).not.toHaveProperty('code');
    expect((await audit(t)).problems).toEqual([]);
  });

  it('unknown and expired codes are refused with their own errors', async () => {
    const u = await t.signup();
    const unknown = await t.api('POST', '/api/billing/redeem', { code: 'APG-NOPE-NOPE-NOPE-NOPE' }, { cookie: u.cookie });
    expect(unknown.status).toBe(404);
    const soon = Date.now() + 300;
    const made = await t.api('POST', '/api/admin/codes', { count: 3, value: 10, expiresAt: soon }, { token: t.rootToken });
    expect(made.body.items).toHaveLength(3);
    // Until they expire the codes are listed as unused; asking for them does not use them up.
    const ids = made.body.items.map((c: { id: string }) => c.id);
    await eventually(async () => {
      const listed = await t.api('GET', '/api/admin/codes?status=expired', undefined, { token: t.rootToken });
      expect(listed.body.items.map((c: { id: string }) => c.id)).toEqual(expect.arrayContaining(ids));
    });
    const expired = await t.api('POST', '/api/billing/redeem', { code: made.body.items[0].code }, { cookie: u.cookie });
    expect(expired.status).toBe(400);
    expect(expired.body.error.code).toBe('code_expired');
    const list = await t.api('GET', '/api/admin/codes?status=expired', undefined, { token: t.rootToken });
    expect(list.body.total).toBeGreaterThanOrEqual(3);
  });

  it('admin grant and deduct with a reason land in the ledger; a deduct beyond the balance is refused', async () => {
    const u = await t.signup();
    const grant = await t.api('POST', `/api/admin/users/${u.user.id}/credit`, { amount: 12.5, reason: 'goodwill' }, { token: t.rootToken });
    expect(grant.body).toEqual({ balance: 5012.5 });
    const deduct = await t.api('POST', `/api/admin/users/${u.user.id}/credit`, { amount: -12.5, reason: 'correction' }, { token: t.rootToken });
    expect(deduct.body).toEqual({ balance: 5000 });
    const tooMuch = await t.api('POST', `/api/admin/users/${u.user.id}/credit`, { amount: -6000, reason: 'oops' }, { token: t.rootToken });
    expect(tooMuch.status).toBe(429);
    const ledger = await t.api('GET', '/api/billing/ledger', undefined, { cookie: u.cookie });
    expect(ledger.body.items.map((i: { kind: string; amount: number }) => [i.kind, i.amount])).toEqual([
      ['adjust', -12.5],
      ['topup', 12.5],
      ['trial', 5000],
    ]);
    expect(ledger.body.items[1].reason).toContain('goodwill');
  });

  it('low-balance reminder: crossing the threshold records one notice', async () => {
    const u = await t.signup();
    expect((await t.api('PUT', '/api/billing/low-balance', { threshold: 4990 }, { cookie: u.cookie })).status).toBe(200);
    for (let i = 0; i < 2; i++) await t.api('POST', `/api/admin/users/${u.user.id}/credit`, { amount: -6, reason: 'spend' }, { token: t.rootToken });
    const acc = await t.api('GET', '/api/billing/account', undefined, { cookie: u.cookie });
    expect(acc.body).toMatchObject({ balance: 4988, group: 'default', multiplier: 1, lowBalanceThreshold: 4990 });
    expect(acc.body.notices).toHaveLength(1);
    expect(acc.body.notices[0].kind).toBe('low_balance');
  });

  it('settings: the trial amount is read from the settings table at sign-up', async () => {
    const put = await t.api('PUT', '/api/admin/settings', { trialCredit: 42 }, { token: t.rootToken });
    expect(put.body).toMatchObject({ trialCredit: 42, signupEnabled: true });
    const u = await t.signup();
    expect(await balanceOf(t, u.cookie)).toBe(42);
    await t.api('PUT', '/api/admin/settings', { trialCredit: 0 }, { token: t.rootToken });
    const v = await t.signup();
    expect(await balanceOf(t, v.cookie)).toBe(0);
    expect((await t.api('GET', '/api/billing/ledger', undefined, { cookie: v.cookie })).body.total).toBe(0);
    await t.api('PUT', '/api/admin/settings', { trialCredit: 5000 }, { token: t.rootToken });
    expect((await audit(t)).problems).toEqual([]);
  });
});
