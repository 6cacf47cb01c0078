/**
 * Invitation rewards over the whole recharge loop on the EPay simulator, on both databases: a user's
 * referral link, a sign-up through it, the invited account's first paid order crediting both sides
 * once through the ledger; later orders, replayed notifies, the cap per inviter (also with two
 * invited accounts paying at the same moment) and rewards switched off pay nothing more. A refund of
 * the first paid order takes both rewards back through the ledger — all of them, or what a balance
 * too low has left (never below zero) — and later orders still pay none.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../eventually.js';
import { DB_KINDS, startTestGateway, type TestGateway } from '../harness.js';
import { balance, ledgerOf, order, orderStatus, payOnPage, startPaySim, type PaySim } from '../payments/helpers.js';

describe.each(DB_KINDS)('invitation rewards on %s', (db) => {
  let pay: PaySim;
  let t: TestGateway;
  const root = () => ({ token: t.rootToken });

  beforeAll(async () => {
    pay = await startPaySim();
    t = await startTestGateway({ db, config: pay.config });
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await pay?.sim.close();
  });

  async function signupWith(referralCode?: string): Promise<{ status: number; cookie: string; id: string; body: any }> {
    const res = await fetch(`${t.url}/api/auth/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: `ref-${randomBytes(4).toString('hex')}@test.local`, password: 'harness-password-17', ...(referralCode ? { referralCode } : {}) }),
    });
    const body = (await res.json()) as any;
    return { status: res.status, cookie: (res.headers.get('set-cookie') ?? '').split(';')[0], id: body.user?.id, body };
  }

  const setPolicy = async (p: Record<string, unknown>) => {
    const r = await t.api('PUT', '/api/admin/referrals/policy', p, root());
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body;
  };

  /** Pays ¥amount by EPay on the simulator's cashier page and waits for the credit. */
  async function payEpay(cookie: string, amount: string): Promise<string> {
    const o = await order(t, cookie, { provider: 'epay', method: 'alipay', amount });
    await payOnPage(o.payUrl!);
    await eventually(async () => expect((await orderStatus(t, cookie, o.id)).status).toBe('credited'));
    return o.id;
  }

  const referralRows = (orderId: string) => t.gw.services.db.selectFrom('ledger').select(['user_id', 'kind', 'amount']).where('request_id', '=', orderId).where('kind', '=', 'referral').execute();

  it('the first paid order of an invited account credits both sides once; later orders and replays credit nothing more', async () => {
    expect(await setPolicy({ enabled: true, inviterReward: 100, inviteeReward: 50, maxRewardsPerInviter: 5 })).toEqual({ enabled: true, inviterReward: 100, inviteeReward: 50, maxRewardsPerInviter: 5 });
    const inviter = await t.signup();
    const mine = await t.api<{ code: string; link: string; invited: number; policy: { enabled: boolean } }>('GET', '/api/referral', undefined, { cookie: inviter.cookie });
    expect(mine.body.link).toBe(`${t.url}/signup?ref=${mine.body.code}`);
    expect(mine.body).toMatchObject({ invited: 0, policy: { enabled: true } });
    // The same code every time.
    expect((await t.api('GET', '/api/referral', undefined, { cookie: inviter.cookie })).body.code).toBe(mine.body.code);

    const invitee = await signupWith(mine.body.code.toLowerCase());
    expect(invitee.status).toBe(200);
    const inviterBefore = await balance(t, inviter.cookie);
    const inviteeBefore = await balance(t, invitee.cookie);

    const first = await payEpay(invitee.cookie, '10');
    // ¥10 × 140 P = 1400 P, plus 50 P for being invited; 100 P for the inviter.
    expect(await balance(t, invitee.cookie)).toBe(inviteeBefore + 1400 + 50);
    expect(await balance(t, inviter.cookie)).toBe(inviterBefore + 100);
    expect((await referralRows(first)).map((r) => [r.user_id, Number(r.amount)]).sort()).toEqual([[invitee.id, 50_000_000], [inviter.user.id, 100_000_000]].sort());

    // The notify again (a replay): answered success, nothing credited.
    const cb = pay.sim.payments.callbacks.find((c) => c.provider === 'epay' && new URL(c.url).searchParams.get('out_trade_no') === first)!;
    expect(await pay.sim.payments.send(cb.id)).toMatchObject({ status: 200, body: 'success' });
    // A second order of the invited account: its own credit only.
    const second = await payEpay(invitee.cookie, '1');
    expect(await balance(t, invitee.cookie)).toBe(inviteeBefore + 1400 + 50 + 140);
    expect(await balance(t, inviter.cookie)).toBe(inviterBefore + 100);
    expect(await referralRows(second)).toEqual([]);
    expect((await ledgerOf(t, first)).length).toBe(3);

    const after = await t.api('GET', '/api/referral', undefined, { cookie: inviter.cookie });
    expect(after.body).toMatchObject({ invited: 1, paid: 1, rewarded: 1, earned: 100 });
    const list = await t.api<{ items: { inviteeId: string; outcome: string; firstOrderId: string; inviterReward: number }[] }>('GET', '/api/admin/referrals', undefined, root());
    expect(list.body.items.find((r) => r.inviteeId === invitee.id)).toMatchObject({ outcome: 'rewarded', firstOrderId: first, inviterReward: 100 });
  });

  it('a refund of the first paid order takes both rewards back through the ledger, once; later orders pay none again', async () => {
    await setPolicy({ enabled: true, inviterReward: 100, inviteeReward: 50, maxRewardsPerInviter: 3 });
    const inviter = await t.signup();
    const code = (await t.api('GET', '/api/referral', undefined, { cookie: inviter.cookie })).body.code;
    const invitee = await signupWith(code);
    const inviterBefore = await balance(t, inviter.cookie);
    const inviteeBefore = await balance(t, invitee.cookie);
    const first = await payEpay(invitee.cookie, '10');
    expect(await balance(t, inviter.cookie)).toBe(inviterBefore + 100);

    const r = await t.api('POST', `/api/admin/topups/${first}/refund`, { reason: 'asked by the customer' }, root());
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(await balance(t, invitee.cookie)).toBe(inviteeBefore);
    expect(await balance(t, inviter.cookie)).toBe(inviterBefore);
    const rows = await t.gw.services.db.selectFrom('ledger').select(['user_id', 'kind', 'amount', 'reason']).where('request_id', '=', first).orderBy('created_at').orderBy('id').execute();
    expect(rows.filter((x) => x.kind === 'referral').map((x) => [x.user_id, Number(x.amount)]).sort()).toEqual(
      [[inviter.user.id, 100_000_000], [invitee.id, 50_000_000], [inviter.user.id, -100_000_000], [invitee.id, -50_000_000]].sort(),
    );
    expect(rows.filter((x) => Number(x.amount) < 0 && x.kind === 'referral').map((x) => x.reason).sort()).toEqual([
      `Invitation reward reclaimed (you invited this account; order ${first} refunded)`,
      `Invitation reward reclaimed (you were invited; order ${first} refunded)`,
    ]);
    const list = await t.api<{ items: Record<string, unknown>[] }>('GET', '/api/admin/referrals', undefined, root());
    expect(list.body.items.find((x) => x.inviteeId === invitee.id)).toMatchObject({ outcome: 'reversed', inviterReward: 100, inviteeReward: 50, inviterReclaimed: 100, inviteeReclaimed: 50 });
    expect((await t.api('GET', '/api/referral', undefined, { cookie: inviter.cookie })).body).toMatchObject({ paid: 1, rewarded: 0, earned: 0 });
    // The reward no longer counts toward the inviter's cap.
    expect((await t.gw.services.db.selectFrom('referral_codes').select('rewards').where('user_id', '=', inviter.user.id).executeTakeFirstOrThrow()).rewards).toBe(0);

    // A second paid order of the invited account is not a first payment: no reward.
    const second = await payEpay(invitee.cookie, '1');
    expect(await referralRows(second)).toEqual([]);
    expect(await balance(t, inviter.cookie)).toBe(inviterBefore);
  });

  it('a refund when the inviter has spent the reward takes what is left, never below zero, and records the shortfall', async () => {
    await setPolicy({ enabled: true, inviterReward: 100, inviteeReward: 50, maxRewardsPerInviter: null });
    const inviter = await t.signup();
    const code = (await t.api('GET', '/api/referral', undefined, { cookie: inviter.cookie })).body.code;
    const invitee = await signupWith(code);
    const first = await payEpay(invitee.cookie, '10');
    // The inviter spends everything but 30 P.
    const spend = (await balance(t, inviter.cookie)) - 30;
    expect((await t.api('POST', `/api/admin/users/${inviter.user.id}/credit`, { amount: -spend, reason: 'spent' }, root())).status).toBe(200);
    expect(await balance(t, inviter.cookie)).toBe(30);

    const r = await t.api('POST', `/api/admin/topups/${first}/refund`, { reason: 'chargeback' }, root());
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(await balance(t, inviter.cookie)).toBe(0);
    const row = await t.gw.services.db.selectFrom('referrals').selectAll().where('invitee_id', '=', invitee.id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ outcome: 'reversed' });
    expect([Number(row.inviter_reclaimed), Number(row.invitee_reclaimed)]).toEqual([30_000_000, 50_000_000]);
    // Refunding again is refused: the rewards are not taken twice.
    expect((await t.api('POST', `/api/admin/topups/${first}/refund`, { reason: 'again' }, root())).status).toBe(409);
    expect(await balance(t, inviter.cookie)).toBe(0);
  });

  it('an unknown invitation code is refused at sign-up, and nothing is made', async () => {
    const r = await signupWith('NOSUCHCODE');
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: 'referral_code_invalid', param: 'referralCode' });
  });

  it('rewards off when the invited account first pays: no reward then, and none for its later orders once they are on again', async () => {
    await setPolicy({ enabled: false });
    const inviter = await t.signup();
    const code = (await t.api('GET', '/api/referral', undefined, { cookie: inviter.cookie })).body.code;
    const invitee = await signupWith(code);
    const before = await balance(t, inviter.cookie);
    const first = await payEpay(invitee.cookie, '1');
    expect(await referralRows(first)).toEqual([]);
    await setPolicy({ enabled: true, inviterReward: 100, inviteeReward: 50, maxRewardsPerInviter: null });
    const second = await payEpay(invitee.cookie, '1');
    expect(await referralRows(second)).toEqual([]);
    expect(await balance(t, inviter.cookie)).toBe(before);
    const row = await t.gw.services.db.selectFrom('referrals').selectAll().where('invitee_id', '=', invitee.id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ outcome: 'disabled', first_order_id: first });
  });

  it('the cap per inviter holds when two invited accounts have their first orders credited at the same moment', async () => {
    await setPolicy({ enabled: true, inviterReward: 30, inviteeReward: 10, maxRewardsPerInviter: 1 });
    const inviter = await t.signup();
    const code = (await t.api('GET', '/api/referral', undefined, { cookie: inviter.cookie })).body.code;
    const a = await signupWith(code);
    const b = await signupWith(code);
    const before = await balance(t, inviter.cookie);
    const oa = await order(t, a.cookie, { provider: 'epay', method: 'alipay', amount: '1' });
    const ob = await order(t, b.cookie, { provider: 'epay', method: 'alipay', amount: '1' });
    // Both credited at once (an admin confirming two payments), through the same credit path.
    const done = await Promise.all([oa, ob].map((o) => t.api('POST', `/api/admin/topups/${o.id}/complete`, { reason: 'confirmed at the provider' }, root())));
    expect(done.map((d) => d.status)).toEqual([200, 200]);
    expect(await balance(t, inviter.cookie)).toBe(before + 30);
    const outcomes = (await t.gw.services.db.selectFrom('referrals').select('outcome').where('inviter_id', '=', inviter.user.id).execute()).map((r) => r.outcome).sort();
    expect(outcomes).toEqual(['cap_reached', 'rewarded']);
    const rewards = await t.gw.services.db.selectFrom('ledger').select(['user_id']).where('kind', '=', 'referral').where('request_id', 'in', [oa.id, ob.id]).execute();
    expect(rewards.length).toBe(2); // the inviter's one reward and the rewarded invitee's
  });

  it('the policy is checked: a negative amount is refused, and the change is in the audit log', async () => {
    const bad = await t.api('PUT', '/api/admin/referrals/policy', { inviterReward: -1 }, root());
    expect(bad.status).toBe(400);
    await setPolicy({ inviteeReward: 7 });
    const row = await t.gw.services.db.selectFrom('audit_log').select(['action', 'after']).where('action', '=', 'referral_policy.update').orderBy('created_at', 'desc').executeTakeFirstOrThrow();
    expect(JSON.parse(row.after!)).toMatchObject({ inviteeReward: 7 });
  });
});
