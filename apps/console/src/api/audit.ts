import { api } from './client';
import type { Page } from './types';

/** One admin action as GET /api/admin/audit answers it. */
export interface AuditEntry {
  id: string;
  created_at: number;
  actor_id: string | null;
  actor_email: string | null;
  /** `session` (console), `root_token` or `cli`. */
  via: string;
  action: string;
  target_type: string | null;
  target_id: string | null;
  /** The target before / after the change (null for a creation / a deletion); secrets never included. */
  before: unknown;
  after: unknown;
  client_ip: string | null;
}

/** Filters the audit endpoint accepts (times in epoch ms). */
export interface AuditFilter {
  limit?: number;
  offset?: number;
  actor?: string;
  action?: string;
  targetType?: string;
  targetId?: string;
  from?: number;
  to?: number;
}

export const audit = {
  list: (f: AuditFilter) => api.get<Page<AuditEntry>>('/api/admin/audit', { ...f }),
};
