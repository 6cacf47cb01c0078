import type { FastifyInstance } from 'fastify';
import { normaliseEmail } from '../accounts/users.js';
import { toPoints } from '../billing/money.js';
import type { Db } from '../storage/database.js';
import type { ApiContext } from './context.js';
import { principal } from './context.js';
import { AdminRequestLog, LogQuery, Page, RequestLog } from './schemas.js';


interface LogFilter {
  limit?: number;
  offset?: number;
  model?: string;
  appId?: string;
  keyId?: string;
  clientRequestId?: string;
  status?: 'ok' | 'error';
  from?: number;
  to?: number;
  userId?: string;
  userEmail?: string;
}

/** Request logs: a user sees their own; an admin may see everyone's at /api/admin/logs. */
export function registerLogRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { db } = ctx.services;
  app.get(
    '/api/logs',
    { config: { keys: true }, schema: { tags: ['Usage'], summary: 'My request log', description: 'With an API key: the calls made with that key.', querystring: LogQuery, response: { 200: Page(RequestLog) } } },
    async (req) => {
      await ctx.services.logWriter.flushWithin();
      const p = principal(req);
      return queryLogs(db, { ...(req.query as LogFilter), userId: p.user.id, ...(p.key ? { keyId: p.key.id } : {}) });
    },
  );
  app.get('/api/admin/logs', { config: { auth: 'admin' }, schema: { tags: ['Admin: logs'], summary: 'Every request log, with the caller\'s email and the serving channel\'s name', querystring: LogQuery, response: { 200: Page(AdminRequestLog) } } }, async (req) => {
    await ctx.services.logWriter.flushWithin();
    return withNames(db, await queryLogs(db, req.query as LogFilter));
  });
}

export async function queryLogs(db: Db, f: LogFilter) {
  let q = db.selectFrom('request_logs');
  if (f.userId) q = q.where('user_id', '=', f.userId);
  // Emails are stored normalised (lower-case, trimmed), so any spelling of the address finds them.
  if (f.userEmail) q = q.where('user_id', 'in', db.selectFrom('users').select('id').where('email', '=', normaliseEmail(f.userEmail)));
  if (f.model) q = q.where('model_requested', '=', f.model);
  if (f.appId) q = q.where('app_id', '=', f.appId);
  if (f.keyId) q = q.where('key_id', '=', f.keyId);
  if (f.clientRequestId) q = q.where('client_request_id', '=', f.clientRequestId);
  if (f.status === 'ok') q = q.where('status', '<', 400);
  if (f.status === 'error') q = q.where('status', '>=', 400);
  if (f.from !== undefined) q = q.where('created_at', '>=', f.from);
  if (f.to !== undefined) q = q.where('created_at', '<', f.to);
  const rows = await q.selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(f.limit ?? 50).offset(f.offset ?? 0).execute();
  // Money leaves the API in P.
  const items = rows.map((r) => ({ ...r, cost: toPoints(Number(r.cost)) }));
  const { n } = await q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return { items, total: Number(n) };
}

/**
 * The admin's log page names people and channels, not ids: the emails of the page's callers and
 * the names of the channels that served them, read in two lookups over the page's ids (an account
 * or channel deleted since reads as null).
 */
async function withNames<T extends { user_id: string; channel_id: string | null }>(db: Db, page: { items: T[]; total: number }) {
  const userIds = [...new Set(page.items.map((l) => l.user_id))];
  const channelIds = [...new Set(page.items.flatMap((l) => (l.channel_id ? [l.channel_id] : [])))];
  const [users, channels] = await Promise.all([
    userIds.length ? db.selectFrom('users').where('id', 'in', userIds).select(['id', 'email']).execute() : [],
    channelIds.length ? db.selectFrom('channels').where('id', 'in', channelIds).select(['id', 'name']).execute() : [],
  ]);
  const email = new Map(users.map((u) => [u.id, u.email]));
  const name = new Map(channels.map((c) => [c.id, c.name]));
  return { total: page.total, items: page.items.map((l) => ({ ...l, user_email: email.get(l.user_id) ?? null, channel_name: l.channel_id ? (name.get(l.channel_id) ?? null) : null })) };
}
