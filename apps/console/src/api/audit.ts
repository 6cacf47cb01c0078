import { call } from './client';
import type { QueryOf, ResponseOf } from '@apigpt/sdk/management';

/** One admin action as GET /api/admin/audit answers it (the gateway's own schema, generated into @apigpt/sdk). */
export type AuditEntry = ResponseOf<'GET /api/admin/audit'>['items'][number];

/** Filters the audit endpoint accepts (times in epoch ms). */
export type AuditFilter = NonNullable<QueryOf<'GET /api/admin/audit'>>;

export const audit = {
  list: (f: AuditFilter) => call('GET /api/admin/audit', { query: f }),
};
