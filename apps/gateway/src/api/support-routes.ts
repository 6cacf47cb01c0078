import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import { toPoints } from '../billing/money.js';
import { codeOf, invitationsOf, readPolicy } from '../payments/index.js';
import type { Actor } from '../support/index.js';
import { linkBase } from './account-mail-routes.js';
import type { ApiContext } from './context.js';
import { principal } from './context.js';
import { IdParams, Ok } from './schemas.js';
import {
  Announcement, announcementView, messageView, MyReferral, NewTicketBody, policyView, ReplyBody, Ticket, ticketView, TicketsQuery, TicketThread, Unread,
} from './support-schemas.js';

/** The signed-in user as a ticket's side. */
export function actor(req: FastifyRequest, role?: 'user' | 'admin'): Actor {
  const u = principal(req).user;
  return { id: u.id, email: u.email, role: role ?? 'user' };
}

/**
 * A user's side of support (their own tickets only: another's is "not found"), the announcements on
 * their dashboard, and their invitation link.
 */
export function registerSupportRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { support, db, config } = ctx.services;
  const { desk, announcements } = support;
  const tags = ['Support'];

  app.get('/api/support/tickets', { schema: { tags, summary: 'My support tickets, most recently active first', querystring: TicketsQuery, response: { 200: Type.Object({ items: Type.Array(Ticket), total: Type.Integer() }) } } }, async (req) => {
    const q = req.query as { limit?: number; offset?: number; status?: 'open' | 'answered' | 'closed' };
    const page = await desk.list({ userId: actor(req).id, status: q.status, limit: q.limit ?? 20, offset: q.offset ?? 0 });
    return { total: page.total, items: page.items.map(({ email: _e, ...t }) => ticketView(t, 'user')) };
  });

  app.post(
    '/api/support/tickets',
    { schema: { tags, summary: 'Open a support ticket', description: 'With `requestId` (a call of my request log), the admin sees that call\'s endpoint, model, status and error. Admins are mailed when SMTP is configured.', body: NewTicketBody, response: { 200: Ticket } } },
    async (req) => {
      const b = req.body as { subject: string; body: string; requestId?: string };
      return ticketView(await desk.open(actor(req), b, linkBase(req, config)), 'user');
    },
  );

  app.get('/api/support/tickets/:id', { schema: { tags, summary: 'One of my tickets with its thread (marks the replies read)', params: IdParams, response: { 200: TicketThread } } }, async (req) => {
    const th = await desk.thread((req.params as { id: string }).id, actor(req));
    const { email: _e, ...t } = th.ticket;
    return { ticket: ticketView(t, 'user'), messages: th.messages.map(messageView), request: th.request };
  });

  app.post('/api/support/tickets/:id/replies', { schema: { tags, summary: 'Reply to my ticket (reopens it when closed)', params: IdParams, body: ReplyBody, response: { 200: Ticket } } }, async (req) => {
    const t = await desk.reply((req.params as { id: string }).id, actor(req), (req.body as { body: string }).body, linkBase(req, config));
    return ticketView(t, 'user');
  });

  app.post('/api/support/tickets/:id/close', { schema: { tags, summary: 'Close my ticket', params: IdParams, response: { 200: Ticket } } }, async (req) =>
    ticketView(await desk.close((req.params as { id: string }).id, actor(req)), 'user'),
  );

  app.get('/api/support/unread', { schema: { tags, summary: 'How many of my tickets have a reply I have not read', response: { 200: Unread } } }, async (req) => ({ count: await desk.unread(actor(req)) }));

  app.get('/api/announcements', { schema: { tags: ['Announcements'], summary: 'Announcements for my dashboard (published, not dismissed), in both languages', response: { 200: Type.Object({ items: Type.Array(Announcement) }) } } }, async (req) => ({
    items: (await announcements.forUser(actor(req).id)).map(announcementView),
  }));

  app.post('/api/announcements/:id/dismiss', { schema: { tags: ['Announcements'], summary: 'Hide an announcement from my dashboard', params: IdParams, response: { 200: Ok } } }, async (req) => {
    await announcements.dismiss(actor(req).id, (req.params as { id: string }).id);
    return { ok: true };
  });

  app.get('/api/referral', { schema: { tags: ['Invitations'], summary: 'My invitation link, the rewards on offer, and what it earned', response: { 200: MyReferral } } }, async (req) => {
    const me = actor(req).id;
    const code = await codeOf(db, me);
    const stats = await invitationsOf(db, me);
    return { code, link: `${linkBase(req, config)}/signup?ref=${code}`, policy: policyView(await readPolicy(db)), ...stats, earned: toPoints(stats.earned) };
  });
}
