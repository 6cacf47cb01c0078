import { recordAudit, type Actor, type AuditEntry } from '../audit/audit-log.js';
import type { Db } from '../storage/database.js';

/**
 * The operator at the command line: whoever can open the database (and the master key). The CLI's
 * admin changes are audited like the API's, as `via: cli` with no signed-in user.
 */
export const CLI_ACTOR: Actor = { id: null, email: null, via: 'cli', ip: null };

/** Records a CLI admin change; `executor` is the change's transaction. */
export function auditCli(executor: Db, entry: AuditEntry): Promise<void> {
  return recordAudit(executor, CLI_ACTOR, entry);
}
