import { Type, type TSchema } from '@sinclair/typebox';
import { toPoints } from '../billing/money.js';
import type { ReferralPolicy } from '../payments/index.js';
import type { AnnouncementsTable, SupportMessagesTable, SupportTicketsTable } from '../storage/schema.js';
import type { RequestSummary } from '../support/index.js';
import { MAX_POINTS } from './billing-schemas.js';

/** Support tickets, announcements and invitation rewards: the management API's shapes. */
const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

export const TicketStatus = Type.Union(['open', 'answered', 'closed'].map((s) => Type.Literal(s)), {
  description: '`open`: waits for an admin; `answered`: an admin replied, waits for the user; `closed`',
});

export const Ticket = Type.Object({
  id: Type.String(),
  userId: Type.String(),
  email: Type.Optional(Nullable(Type.String())),
  subject: Type.String(),
  status: TicketStatus,
  requestId: Nullable(Type.String({ description: 'The call of the request log the ticket is about' })),
  unread: Type.Boolean({ description: 'A reply of the other side came after this side last read the thread' }),
  createdAt: Type.Number(),
  updatedAt: Type.Number(),
  closedAt: Nullable(Type.Number()),
});

export const TicketMessage = Type.Object({
  id: Type.String(),
  author: Type.Union([Type.Literal('user'), Type.Literal('admin')]),
  body: Type.String(),
  createdAt: Type.Number(),
});

export const TicketRequest = Type.Object({
  id: Type.String(),
  createdAt: Type.Number(),
  endpoint: Type.String(),
  model: Nullable(Type.String()),
  status: Type.Integer(),
  errorCode: Nullable(Type.String()),
  errorMessage: Nullable(Type.String()),
});

export const TicketThread = Type.Object({ ticket: Ticket, messages: Type.Array(TicketMessage), request: Nullable(TicketRequest) });

export function ticketView(t: SupportTicketsTable & { email?: string | null }, side: 'user' | 'admin') {
  const unread = side === 'admin' ? t.status !== 'closed' && Number(t.last_user_at) > Number(t.admin_read_at) : t.last_admin_at !== null && Number(t.last_admin_at) > Number(t.user_read_at);
  return {
    id: t.id,
    userId: t.user_id,
    ...(side === 'admin' && t.email !== undefined ? { email: t.email } : {}),
    subject: t.subject,
    status: t.status,
    requestId: t.request_id,
    unread,
    createdAt: Number(t.created_at),
    updatedAt: Number(t.updated_at),
    closedAt: t.closed_at === null ? null : Number(t.closed_at),
  };
}

export const messageView = (m: SupportMessagesTable) => ({ id: m.id, author: m.author_role, body: m.body, createdAt: Number(m.created_at) });

export const NewTicketBody = Type.Object(
  {
    subject: Type.String({ minLength: 1, maxLength: 200 }),
    body: Type.String({ minLength: 1, maxLength: 10_000 }),
    requestId: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'A request id of my request log (a failed call), shown to the admin with its status and error' })),
  },
  { additionalProperties: false },
);
export const ReplyBody = Type.Object({ body: Type.String({ minLength: 1, maxLength: 10_000 }) }, { additionalProperties: false });
export const TicketsQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 20 })),
  offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
  status: Type.Optional(TicketStatus),
});
export const Unread = Type.Object({ count: Type.Integer({ description: 'Tickets with a reply not read yet' }) });

export const AnnouncementLevel = Type.Union([Type.Literal('info'), Type.Literal('success'), Type.Literal('warning')]);
export const Announcement = Type.Object({
  id: Type.String(),
  level: AnnouncementLevel,
  title: Type.Object({ en: Type.String(), 'zh-CN': Type.String() }),
  body: Type.Object({ en: Type.String(), 'zh-CN': Type.String() }),
  published: Type.Boolean(),
  publishedAt: Nullable(Type.Number()),
  createdAt: Type.Number(),
  updatedAt: Type.Number(),
});
export const announcementView = (a: AnnouncementsTable) => ({
  id: a.id,
  level: a.level as 'info' | 'success' | 'warning',
  title: { en: a.title_en, 'zh-CN': a.title_zh },
  body: { en: a.body_en, 'zh-CN': a.body_zh },
  published: a.published === 1,
  publishedAt: a.published_at === null ? null : Number(a.published_at),
  createdAt: Number(a.created_at),
  updatedAt: Number(a.updated_at),
});
const text = (max: number) => Type.String({ minLength: 1, maxLength: max });
export const AnnouncementBody = Type.Object(
  {
    level: Type.Optional(AnnouncementLevel),
    titleEn: text(200),
    titleZh: text(200),
    bodyEn: text(5000),
    bodyZh: text(5000),
    published: Type.Optional(Type.Boolean({ description: 'Shown on dashboards now (default false: a draft)' })),
  },
  { additionalProperties: false },
);
export const AnnouncementPatch = Type.Partial(AnnouncementBody, { additionalProperties: false });

export const Policy = Type.Object({
  enabled: Type.Boolean(),
  inviterReward: Type.Number({ description: 'P credited to the inviter when an invited account first pays' }),
  inviteeReward: Type.Number({ description: 'P credited to the invited account on its first payment' }),
  maxRewardsPerInviter: Nullable(Type.Integer({ description: 'Rewards one inviter can receive in all; null = no limit' })),
});
export const PolicyPatch = Type.Object(
  {
    enabled: Type.Optional(Type.Boolean()),
    inviterReward: Type.Optional(Type.Number({ minimum: 0, maximum: MAX_POINTS })),
    inviteeReward: Type.Optional(Type.Number({ minimum: 0, maximum: MAX_POINTS })),
    maxRewardsPerInviter: Type.Optional(Nullable(Type.Integer({ minimum: 0, maximum: 1_000_000 }))),
  },
  { additionalProperties: false },
);
export const policyView = (p: ReferralPolicy) => ({ enabled: p.enabled, inviterReward: toPoints(p.inviterReward), inviteeReward: toPoints(p.inviteeReward), maxRewardsPerInviter: p.maxRewardsPerInviter });

export const MyReferral = Type.Object({
  code: Type.String(),
  link: Type.String({ description: 'The sign-up page with the code: share it' }),
  policy: Policy,
  invited: Type.Integer({ description: 'Accounts opened through the link' }),
  paid: Type.Integer({ description: 'Of those, accounts that have paid a top-up order' }),
  rewarded: Type.Integer({ description: 'Of those, payments that earned the rewards' }),
  earned: Type.Number({ description: 'P earned as the inviter' }),
});

export const Referral = Type.Object({
  inviterId: Type.String(),
  inviterEmail: Nullable(Type.String()),
  inviteeId: Type.String(),
  inviteeEmail: Nullable(Type.String()),
  createdAt: Type.Number(),
  firstOrderId: Nullable(Type.String()),
  firstPaidAt: Nullable(Type.Number()),
  outcome: Nullable(Type.Union(['rewarded', 'disabled', 'cap_reached', 'pending', 'reversed'].map((s) => Type.Literal(s)), { description: '`reversed`: the first paid order was refunded and the rewards taken back' })),
  inviterReward: Type.Number(),
  inviteeReward: Type.Number(),
  inviterReclaimed: Type.Number({ description: 'P a refund took back from the inviter (less than the reward when their balance was too low)' }),
  inviteeReclaimed: Type.Number({ description: 'P a refund took back from the invited account' }),
});
