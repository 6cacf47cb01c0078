import { randomInt } from 'node:crypto';
import { changeBalance, userPool, type Committed } from '../billing/ledger.js';
import { Pools } from '../billing/pools.js';
import type { SharedState } from '../state/shared-state.js';
import { GatewayError } from '../core/errors.js';
import type { Db } from '../storage/database.js';
import type { ReferralsTable } from '../storage/schema.js';

/**
 * Invitation rewards. Every user has one referral code (made the first time they ask for their
 * link); an account opened through it is recorded as invited by them. When the invited account's
 * first top-up order is credited, both sides get the rewards the policy names, once, through the
 * ledger, in the transaction of that credit (`settle.ts` `credit`):
 *
 * - the referral row is marked by a conditional update (`first_paid_at is null`), so only the first
 *   credited order of the invited account ever counts, whatever the policy said at that moment;
 * - the inviter's reward count is raised by a conditional update against the cap, on the inviter's
 *   code row, so invited accounts paying at the same moment cannot pass the cap together.
 */
export interface ReferralPolicy {
  enabled: boolean;
  /** Micro-points credited to the inviter, and to the invited account. */
  inviterReward: number;
  inviteeReward: number;
  /** Rewards one inviter may receive in all; null = no limit. */
  maxRewardsPerInviter: number | null;
}

export const POLICY_KEY = 'referral.policy';
const OFF: ReferralPolicy = { enabled: false, inviterReward: 0, inviteeReward: 0, maxRewardsPerInviter: null };

/** Codes people type from a link: no look-alike letters (0/O, 1/I/L). */
const ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';
const CODE_LENGTH = 8;
export const CODE_PATTERN = '^[A-Za-z0-9]{4,32}$';

/** A balance change this module committed, for shared state after the commit. */
export interface RewardCommit {
  userId: string;
  committed: Committed;
}

export async function readPolicy(db: Db): Promise<ReferralPolicy> {
  const row = await db.selectFrom('settings').select('value').where('key', '=', POLICY_KEY).executeTakeFirst();
  if (!row) return { ...OFF };
  const v = JSON.parse(row.value) as Partial<ReferralPolicy>;
  return { ...OFF, ...v };
}

export async function writePolicy(db: Db, patch: Partial<ReferralPolicy>, within?: (trx: Db, before: ReferralPolicy, after: ReferralPolicy) => Promise<void>): Promise<ReferralPolicy> {
  return db.transaction().execute(async (trx) => {
    const before = await readPolicy(trx);
    const after: ReferralPolicy = { ...before, ...Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) };
    const value = JSON.stringify(after);
    const now = Date.now();
    await trx.insertInto('settings').values({ key: POLICY_KEY, value, updated_at: now }).onConflict((oc) => oc.column('key').doUpdateSet({ value, updated_at: now })).execute();
    await within?.(trx, before, after);
    return after;
  });
}

/** The user's code, made on first use (a clash with another's code draws again). */
export async function codeOf(db: Db, userId: string): Promise<string> {
  for (let i = 0; i < 5; i++) {
    const have = await db.selectFrom('referral_codes').select('code').where('user_id', '=', userId).executeTakeFirst();
    if (have) return have.code;
    const code = Array.from({ length: CODE_LENGTH }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');
    await db
      .insertInto('referral_codes')
      .values({ user_id: userId, code, rewards: 0, created_at: Date.now() })
      .onConflict((oc) => oc.doNothing())
      .execute();
  }
  throw new GatewayError('internal', 'Could not make a referral code.');
}

/** The inviter a code names, or a clear refusal (the sign-up form shows it). */
export async function inviterOf(db: Db, code: string): Promise<string> {
  const row = await db.selectFrom('referral_codes').select('user_id').where('code', '=', code.trim().toUpperCase()).executeTakeFirst();
  if (!row) throw new GatewayError('invalid_request', 'This invitation code does not exist. Check the link, or sign up without it.', { param: 'referralCode', code: 'referral_code_invalid' });
  return row.user_id;
}

/** Records that a new account was invited (in its sign-up transaction). */
export async function recordInvitation(trx: Db, inviteeId: string, inviterId: string): Promise<void> {
  if (inviteeId === inviterId) return;
  await trx.insertInto('referrals').values({ invitee_id: inviteeId, inviter_id: inviterId, created_at: Date.now(), first_order_id: null, first_paid_at: null, outcome: null, inviter_reward: 0, invitee_reward: 0, inviter_reclaimed: 0, invitee_reclaimed: 0, reclaimed_at: null }).execute();
}

/**
 * Called by the credit of a top-up order, in its transaction: when this is the invited account's
 * first credited order, rewards both sides (policy and cap permitting). Returns the balances moved.
 */
export async function rewardFirstPayment(trx: Db, inviteeId: string, orderId: string, now: number): Promise<RewardCommit[]> {
  const marked = await trx
    .updateTable('referrals')
    .set({ first_order_id: orderId, first_paid_at: now, outcome: 'pending' })
    .where('invitee_id', '=', inviteeId)
    .where('first_paid_at', 'is', null)
    .returning(['inviter_id'])
    .executeTakeFirst();
  if (!marked) return [];
  const policy = await readPolicy(trx);
  const settle = (outcome: string, inviter = 0, invitee = 0) =>
    trx.updateTable('referrals').set({ outcome, inviter_reward: inviter, invitee_reward: invitee }).where('invitee_id', '=', inviteeId).execute();
  if (!policy.enabled || (policy.inviterReward <= 0 && policy.inviteeReward <= 0)) {
    await settle('disabled');
    return [];
  }
  let counted = trx.updateTable('referral_codes').set((eb) => ({ rewards: eb('rewards', '+', 1) })).where('user_id', '=', marked.inviter_id);
  if (policy.maxRewardsPerInviter !== null) counted = counted.where('rewards', '<', policy.maxRewardsPerInviter);
  const r = await counted.executeTakeFirst();
  if (Number(r.numUpdatedRows) === 0) {
    await settle('cap_reached');
    return [];
  }
  await settle('rewarded', policy.inviterReward, policy.inviteeReward);
  const out: RewardCommit[] = [];
  const reason = (who: string) => `Invitation reward (${who}; first payment, order ${orderId})`;
  // The order id rides in request_id, as with the order's own credit: the rows are found by it.
  if (policy.inviterReward > 0)
    out.push({ userId: marked.inviter_id, committed: await changeBalance(trx, { userId: marked.inviter_id, amount: policy.inviterReward, kind: 'referral', reason: reason('you invited this account'), requestId: orderId }) });
  if (policy.inviteeReward > 0)
    out.push({ userId: inviteeId, committed: await changeBalance(trx, { userId: inviteeId, amount: policy.inviteeReward, kind: 'referral', reason: reason('you were invited'), requestId: orderId }) });
  return out;
}

/** The names of the holds `reclaimRewards` may take under `holdPrefix` (the inviter's, the invitee's). */
export const rewardHoldIds = (holdPrefix: string): string[] => [0, 1].map((i) => `${holdPrefix}-reward-${i}`);

/** What a refund took back of the rewards its order paid, and the holds to drop once committed. */
export interface Reclaimed {
  commits: RewardCommit[];
  holds: string[];
}

/**
 * Called by the refund of a top-up order, in its transaction: when that order is the invited
 * account's first paid one and it paid rewards, they are taken back from both sides with
 * `referral` ledger rows of the opposite sign (never by editing the rewards' rows), and the
 * invitation is marked `reversed`. The inviter's count of rewards goes down too, so the cap counts
 * rewards kept.
 *
 * The stated policy for a balance too low (the reward was spent): as with the refund itself, a
 * balance never goes below zero and money held by calls in flight is never taken; the reclaim takes
 * what is available (possibly nothing) and the invitation records what was taken from each side
 * (`inviter_reclaimed`, `invitee_reclaimed`), so the shortfall is visible to the admin. The order's
 * own refund is never refused because a reward cannot be taken back. Later payments of the invited
 * account still pay no reward: only the first paid order ever counts.
 */
export async function reclaimRewards(trx: Db, state: SharedState, orderId: string, holdPrefix: string, now = Date.now()): Promise<Reclaimed> {
  const marked = await trx
    .updateTable('referrals')
    .set({ outcome: 'reversed', reclaimed_at: now })
    .where('first_order_id', '=', orderId)
    .where('outcome', '=', 'rewarded')
    .returning(['inviter_id', 'invitee_id', 'inviter_reward', 'invitee_reward'])
    .executeTakeFirst();
  if (!marked) return { commits: [], holds: [] };
  await trx.updateTable('referral_codes').set((eb) => ({ rewards: eb('rewards', '-', 1) })).where('user_id', '=', marked.inviter_id).where('rewards', '>', 0).execute();
  const pools = new Pools(trx, state);
  const out: Reclaimed = { commits: [], holds: [] };
  const sides = [
    { userId: marked.inviter_id, reward: Number(marked.inviter_reward), column: 'inviter_reclaimed' as const, who: 'you invited this account' },
    { userId: marked.invitee_id, reward: Number(marked.invitee_reward), column: 'invitee_reclaimed' as const, who: 'you were invited' },
  ];
  for (const [i, side] of sides.entries()) {
    if (side.reward <= 0) continue;
    const pool = userPool(side.userId);
    const holdId = rewardHoldIds(holdPrefix)[i];
    // Held like a call's reservation, so the reclaim cannot take money calls in flight hold; when
    // the whole reward is not there, what is available (the stated policy above).
    const take = await pools.reserveUpTo(pool, side.reward, holdId);
    if (take === 0) continue;
    out.holds.push(holdId);
    const committed = await changeBalance(trx, { userId: side.userId, amount: -take, kind: 'referral', reason: `Invitation reward reclaimed (${side.who}; order ${orderId} refunded)`, requestId: orderId });
    out.commits.push({ userId: side.userId, committed });
    await trx.updateTable('referrals').set({ [side.column]: take }).where('invitee_id', '=', marked.invitee_id).execute();
  }
  return out;
}

/** A user's side: their invited accounts and what they earned. */
export async function invitationsOf(db: Db, userId: string): Promise<{ invited: number; paid: number; rewarded: number; earned: number }> {
  const rows = await db.selectFrom('referrals').select(['first_paid_at', 'outcome', 'inviter_reward', 'inviter_reclaimed']).where('inviter_id', '=', userId).execute();
  return {
    invited: rows.length,
    paid: rows.filter((r) => r.first_paid_at !== null).length,
    rewarded: rows.filter((r) => r.outcome === 'rewarded').length,
    // What a refund took back (reclaimRewards) is not earned.
    earned: rows.reduce((a, r) => a + Number(r.inviter_reward) - Number(r.inviter_reclaimed), 0),
  };
}

/** Admins: every invitation, newest first, with both addresses. */
export async function listReferrals(db: Db, limit: number, offset: number): Promise<{ items: (ReferralsTable & { inviter_email: string | null; invitee_email: string | null })[]; total: number }> {
  const items = await db
    .selectFrom('referrals')
    .leftJoin('users as inviter', 'inviter.id', 'referrals.inviter_id')
    .leftJoin('users as invitee', 'invitee.id', 'referrals.invitee_id')
    .selectAll('referrals')
    .select(['inviter.email as inviter_email', 'invitee.email as invitee_email'])
    .orderBy('referrals.created_at', 'desc')
    .orderBy('referrals.invitee_id', 'desc')
    .limit(limit)
    .offset(offset)
    .execute();
  const { n } = await db.selectFrom('referrals').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return { items, total: Number(n) };
}
