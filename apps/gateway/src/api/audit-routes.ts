import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { listAudit, type AuditQuery } from '../audit/audit-log.js';
import type { ApiContext } from './context.js';

const Json = Type.Unknown({ description: 'The target as it was before / after the change (JSON; null when there was none). Secrets are never included.' });

export const AuditItem = Type.Object({
  id: Type.String(),
  created_at: Type.Number({ description: 'epoch ms' }),
  actor_id: Type.Union([Type.String(), Type.Null()], { description: 'The admin; null for the CLI' }),
  actor_email: Type.Union([Type.String(), Type.Null()]),
  via: Type.String({ description: '`session` (console), `root_token` or `cli`' }),
  action: Type.String({ description: 'e.g. `channel.update`, `price.set`, `credit.adjust`, `codes.create`, `settings.update`' }),
  target_type: Type.Union([Type.String(), Type.Null()]),
  target_id: Type.Union([Type.String(), Type.Null()]),
  before: Json,
  after: Json,
  client_ip: Type.Union([Type.String(), Type.Null()]),
});

export const AuditQuerySchema = Type.Object({
  actor: Type.Optional(Type.String({ maxLength: 254, description: "The admin's user id or email" })),
  action: Type.Optional(Type.String({ maxLength: 100 })),
  targetType: Type.Optional(Type.String({ maxLength: 50 })),
  targetId: Type.Optional(Type.String({ maxLength: 200 })),
  from: Type.Optional(Type.Integer({ minimum: 0, description: 'epoch ms, inclusive' })),
  to: Type.Optional(Type.Integer({ minimum: 0, description: 'epoch ms, exclusive' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 50 })),
  offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
});

/** The admin audit log: who changed what, when, and the before/after of the change. */
export function registerAuditRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get(
    '/api/admin/audit',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['Admin: audit'],
        summary: 'The admin audit log, newest first',
        description: 'Every admin change (channels, prices, groups, users, credit, codes, settings…) with who made it, how they signed in, the target and its state before and after. Filters combine; the console exports the rows as CSV.',
        querystring: AuditQuerySchema,
        response: { 200: Type.Object({ items: Type.Array(AuditItem), total: Type.Integer() }) },
      },
    },
    async (req) => listAudit(ctx.services.db, req.query as AuditQuery),
  );
}
