import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { fromPoints, toPoints } from '../billing/money.js';
import { listReferrals, readPolicy, writePolicy, type ReferralPolicy } from '../payments/index.js';
import type { AnnouncementsTable, SupportTicketsTable, TicketStatus } from '../storage/schema.js';
import type { AnnouncementInput } from '../support/index.js';
import { linkBase } from './account-mail-routes.js';
import { audit } from './audit.js';
import type { ApiContext } from './context.js';
import { IdParams, Ok } from './schemas.js';
import { actor } from './support-routes.js';
import {
  Announcement, AnnouncementBody, AnnouncementPatch, announcementView, messageView, Policy, PolicyPatch, policyView, Referral, ReplyBody, Ticket, ticketView, TicketsQuery,
  TicketThread, Unread,
} from './support-schemas.js';

const admin = { auth: 'admin' as const };

/** The admins' side: every user's tickets, the announcements, invitation rewards. Changes are audited. */
export function registerAdminSupportRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { support, db, config } = ctx.services;
  const { desk, announcements } = support;
  const tags = ['Admin: support'];
  const ticketAudit = (t: SupportTicketsTable) => ({ status: t.status, subject: t.subject, userId: t.user_id });

  app.get('/api/admin/support/tickets', { config: admin, schema: { tags, summary: 'Support tickets of every user, most recently active first', querystring: Type.Composite([TicketsQuery, Type.Object({ userId: Type.Optional(Type.String({ maxLength: 100 })) })]), response: { 200: Type.Object({ items: Type.Array(Ticket), total: Type.Integer() }) } } }, async (req) => {
    const q = req.query as { limit?: number; offset?: number; status?: TicketStatus; userId?: string };
    const page = await desk.list({ userId: q.userId, status: q.status, limit: q.limit ?? 20, offset: q.offset ?? 0 });
    return { total: page.total, items: page.items.map((t) => ticketView(t, 'admin')) };
  });

  app.get('/api/admin/support/tickets/:id', { config: admin, schema: { tags, summary: 'A ticket with its thread and the call it is about (marks it read for admins)', params: IdParams, response: { 200: TicketThread } } }, async (req) => {
    const th = await desk.thread((req.params as { id: string }).id, actor(req, 'admin'));
    return { ticket: ticketView(th.ticket, 'admin'), messages: th.messages.map(messageView), request: th.request };
  });

  app.post('/api/admin/support/tickets/:id/replies', { config: admin, schema: { tags, summary: 'Answer a ticket (the user is mailed when SMTP is configured)', params: IdParams, body: ReplyBody, response: { 200: Ticket } } }, async (req) => {
    const id = (req.params as { id: string }).id;
    const t = await desk.reply(id, actor(req, 'admin'), (req.body as { body: string }).body, linkBase(req, config), (trx, before, after) =>
      audit(req, trx, { action: 'ticket.reply', targetType: 'ticket', targetId: id, before: ticketAudit(before), after: ticketAudit(after) }),
    );
    return ticketView(t, 'admin');
  });

  app.post('/api/admin/support/tickets/:id/close', { config: admin, schema: { tags, summary: 'Close a ticket', params: IdParams, response: { 200: Ticket } } }, async (req) => {
    const id = (req.params as { id: string }).id;
    const t = await desk.close(id, actor(req, 'admin'), (trx, before, after) => audit(req, trx, { action: 'ticket.close', targetType: 'ticket', targetId: id, before: ticketAudit(before), after: ticketAudit(after) }));
    return ticketView(t, 'admin');
  });

  app.get('/api/admin/support/unread', { config: admin, schema: { tags, summary: 'Open tickets with a user message no admin has read', response: { 200: Unread } } }, async (req) => ({ count: await desk.unread(actor(req, 'admin')) }));

  const annTags = ['Admin: announcements'];
  const annAudit = (a: AnnouncementsTable | undefined) => a && { published: a.published === 1, level: a.level, titleEn: a.title_en, titleZh: a.title_zh };

  app.get('/api/admin/announcements', { config: admin, schema: { tags: annTags, summary: 'Every announcement, drafts included', response: { 200: Type.Object({ items: Type.Array(Announcement) }) } } }, async () => ({
    items: (await announcements.all()).map(announcementView),
  }));

  app.post('/api/admin/announcements', { config: admin, schema: { tags: annTags, summary: 'Write an announcement in both languages (a draft unless `published`)', body: AnnouncementBody, response: { 200: Announcement } } }, async (req) => {
    const b = req.body as Partial<AnnouncementInput> & Omit<AnnouncementInput, 'level' | 'published'>;
    const a = await announcements.create({ ...b, level: b.level ?? 'info', published: b.published ?? false }, (trx, _before, after) =>
      audit(req, trx, { action: 'announcement.create', targetType: 'announcement', targetId: after!.id, after: annAudit(after) }),
    );
    return announcementView(a);
  });

  app.patch('/api/admin/announcements/:id', { config: admin, schema: { tags: annTags, summary: 'Change, publish or unpublish an announcement', params: IdParams, body: AnnouncementPatch, response: { 200: Announcement } } }, async (req) => {
    const id = (req.params as { id: string }).id;
    const a = await announcements.update(id, req.body as Partial<AnnouncementInput>, (trx, before, after) =>
      audit(req, trx, { action: 'announcement.update', targetType: 'announcement', targetId: id, before: annAudit(before), after: annAudit(after) }),
    );
    return announcementView(a);
  });

  app.delete('/api/admin/announcements/:id', { config: admin, schema: { tags: annTags, summary: 'Delete an announcement', params: IdParams, response: { 200: Ok } } }, async (req) => {
    const id = (req.params as { id: string }).id;
    await announcements.remove(id, (trx, before) => audit(req, trx, { action: 'announcement.delete', targetType: 'announcement', targetId: id, before: annAudit(before) }));
    return { ok: true };
  });

  const refTags = ['Admin: invitations'];
  app.get('/api/admin/referrals/policy', { config: admin, schema: { tags: refTags, summary: 'Invitation rewards: on or off, the amounts, the cap per inviter', response: { 200: Policy } } }, async () => policyView(await readPolicy(db)));

  app.put('/api/admin/referrals/policy', { config: admin, schema: { tags: refTags, summary: 'Change the invitation rewards (applies to first payments from now on)', body: PolicyPatch, response: { 200: Policy } } }, async (req) => {
    const b = req.body as { enabled?: boolean; inviterReward?: number; inviteeReward?: number; maxRewardsPerInviter?: number | null };
    const patch: Partial<ReferralPolicy> = {
      enabled: b.enabled,
      inviterReward: b.inviterReward === undefined ? undefined : fromPoints(b.inviterReward),
      inviteeReward: b.inviteeReward === undefined ? undefined : fromPoints(b.inviteeReward),
      maxRewardsPerInviter: b.maxRewardsPerInviter,
    };
    const p = await writePolicy(db, patch, (trx, before, after) => audit(req, trx, { action: 'referral_policy.update', targetType: 'settings', targetId: 'referral.policy', before: policyView(before), after: policyView(after) }));
    return policyView(p);
  });

  app.get('/api/admin/referrals', { config: admin, schema: { tags: refTags, summary: 'Every invitation, newest first, with its outcome', querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })), offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })) }), response: { 200: Type.Object({ items: Type.Array(Referral), total: Type.Integer() }) } } }, async (req) => {
    const q = req.query as { limit?: number; offset?: number };
    const page = await listReferrals(db, q.limit ?? 50, q.offset ?? 0);
    return {
      total: page.total,
      items: page.items.map((r) => ({
        inviterId: r.inviter_id,
        inviterEmail: r.inviter_email,
        inviteeId: r.invitee_id,
        inviteeEmail: r.invitee_email,
        createdAt: Number(r.created_at),
        firstOrderId: r.first_order_id,
        firstPaidAt: r.first_paid_at === null ? null : Number(r.first_paid_at),
        outcome: r.outcome as 'rewarded' | 'disabled' | 'cap_reached' | 'pending' | 'reversed' | null,
        inviterReward: toPoints(Number(r.inviter_reward)),
        inviteeReward: toPoints(Number(r.invitee_reward)),
        inviterReclaimed: toPoints(Number(r.inviter_reclaimed)),
        inviteeReclaimed: toPoints(Number(r.invitee_reclaimed)),
      })),
    };
  });
}
