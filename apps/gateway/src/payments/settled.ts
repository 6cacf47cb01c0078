// What settling a payment notice did: shared by settle.ts and reversal.ts.
import { userPool, type Committed } from '../billing/ledger.js';
import type { CommitEntry } from '../state/shared-state.js';
import type { TopupOrdersTable, TopupStatus } from '../storage/schema.js';
import type { RewardCommit } from './referrals.js';

/** What became of a callback; `duplicate` and the `no_change` ones moved nothing. */
export type Outcome = 'credited' | 'reversed' | 'reinstated' | 'duplicate' | 'mismatch' | 'unknown_order' | 'pending' | 'expired' | 'ignored' | `no_change:${TopupStatus}`;

export interface Settled {
  outcome: Outcome;
  order: TopupOrdersTable | null;
  /** Set when this callback credited the order. */
  committed: Committed | null;
  /** Invitation rewards the credit paid (referrals.ts), committed after `committed`. */
  rewards?: RewardCommit[];
  /** Holds a reversal took in shared state (reversal.ts), dropped once committed. */
  holds?: string[];
}

/**
 * What shared state learns once a settlement or a refund committed: the account's new balance, then
 * each invitation reward's, in the order they were written.
 */
export function balanceEntries(userId: string | null, committed: Committed | null, rewards: readonly RewardCommit[]): CommitEntry[] {
  return [
    ...(committed && userId ? [{ pool: userPool(userId), balance: committed.balance, version: committed.version }] : []),
    ...rewards.map((x) => ({ pool: userPool(x.userId), balance: x.committed.balance, version: x.committed.version })),
  ];
}
