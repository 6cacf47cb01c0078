import type { Logger } from '../core/logger.js';
import type { Db } from '../storage/database.js';
import { AccountData } from './account.js';
import { ContentLog, PurgeJob, type Clock } from './contents.js';
import { PrivacyGuard } from './guard.js';
import { PolicyStore } from './store.js';

export { PII_KINDS, type PiiKind, type CustomPattern } from './pii.js';
export { REDACTION_MODES, validatePolicy, type PrivacyPolicy, type PolicyInput, type PolicyScope, type RedactionMode } from './policy.js';
export type { LoggedContent } from './contents.js';

/** How often the purge job deletes content past its retention (it also runs at start). */
export const PURGE_INTERVAL_MS = 10 * 60_000;

/** Privacy protection as the services hold it. */
export interface Privacy {
  /** The time the content log and its purge read; tests replace `now` to move time. */
  clock: Clock;
  policies: PolicyStore;
  contents: ContentLog;
  guard: PrivacyGuard;
  purge: PurgeJob;
  account: AccountData;
  close(): Promise<void>;
}

/**
 * Builds privacy protection over the database; `start` (default true) starts the purge job;
 * `changeToken` (the database's, storage/database.ts) lets every process see a policy change at its next call.
 */
export async function createPrivacy(db: Db, log: Logger, opts: { start?: boolean; changeToken?: (tables: readonly string[]) => number } = {}): Promise<Privacy> {
  const clock: Clock = { now: () => Date.now() };
  const policies = new PolicyStore(db, () => clock.now());
  const contents = new ContentLog(db, log, clock);
  const guard = new PrivacyGuard(policies, contents, log, opts.changeToken);
  await guard.reload();
  const purge = new PurgeJob(contents, log, PURGE_INTERVAL_MS);
  if (opts.start !== false) purge.start();
  return {
    clock,
    policies,
    contents,
    guard,
    purge,
    account: new AccountData(db, contents, clock),
    async close() {
      await purge.stop();
      await contents.flush();
    },
  };
}
