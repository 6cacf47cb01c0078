import { newId } from '../core/ids.js';
import type { Db } from '../storage/database.js';
import type { AuditLogTable } from '../storage/schema.js';
import { redactForAudit } from './redact.js';

/** Who acted: a signed-in admin (console session or root token), or the operator at the CLI. */
export interface Actor {
  id: string | null;
  email: string | null;
  /** How they proved it: `session` (console), `root_token`, `cli`. */
  via: string;
  ip: string | null;
}

export interface AuditEntry {
  /** `channel.update`, `credit.adjust`, `codes.create`… */
  action: string;
  targetType?: string | null;
  targetId?: string | null;
  /** The target's state before the change (absent for a creation) and after it (absent for a deletion). */
  before?: unknown;
  after?: unknown;
}

/** An audit row as the API answers it: before/after parsed. */
export interface AuditItem {
  id: string;
  created_at: number;
  actor_id: string | null;
  actor_email: string | null;
  via: string;
  action: string;
  target_type: string | null;
  target_id: string | null;
  before: unknown;
  after: unknown;
  client_ip: string | null;
}

/**
 * Appends one row. `executor` is the transaction of the change when it has one, so the row and the
 * change commit (or roll back) together.
 */
export async function recordAudit(executor: Db, actor: Actor, entry: AuditEntry): Promise<void> {
  const row: AuditLogTable = {
    id: newId('aud'),
    created_at: Date.now(),
    actor_id: actor.id,
    actor_email: actor.email,
    via: actor.via,
    action: entry.action,
    target_type: entry.targetType ?? null,
    target_id: entry.targetId ?? null,
    before: json(entry.before),
    after: json(entry.after),
    client_ip: actor.ip,
  };
  await executor.insertInto('audit_log').values(row).execute();
}

function json(v: unknown): string | null {
  return v === undefined || v === null ? null : JSON.stringify(redactForAudit(v));
}

export interface AuditQuery {
  /** The actor's user id or email (exact). */
  actor?: string;
  action?: string;
  targetType?: string;
  targetId?: string;
  /** Epoch ms, from inclusive, to exclusive. */
  from?: number;
  to?: number;
  limit?: number;
  offset?: number;
}

/** Newest first, with the number of rows the filter matches. */
export async function listAudit(db: Db, q: AuditQuery): Promise<{ items: AuditItem[]; total: number }> {
  let base = db.selectFrom('audit_log');
  if (q.actor) {
    const actor = q.actor;
    base = base.where((eb) => eb.or([eb('actor_id', '=', actor), eb('actor_email', '=', actor.trim().toLowerCase())]));
  }
  if (q.action) base = base.where('action', '=', q.action);
  if (q.targetType) base = base.where('target_type', '=', q.targetType);
  if (q.targetId) base = base.where('target_id', '=', q.targetId);
  if (q.from !== undefined) base = base.where('created_at', '>=', q.from);
  if (q.to !== undefined) base = base.where('created_at', '<', q.to);
  const rows = await base
    .selectAll()
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(q.limit ?? 50)
    .offset(q.offset ?? 0)
    .execute();
  const { n } = await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return {
    total: Number(n),
    items: rows.map((r) => ({ ...r, created_at: Number(r.created_at), before: parse(r.before), after: parse(r.after) })),
  };
}

function parse(v: string | null): unknown {
  return v === null ? null : JSON.parse(v);
}
