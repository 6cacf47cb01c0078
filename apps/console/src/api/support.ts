import { call } from './client';
import type { BodyOf, ResponseOf } from '@apigpt/sdk/management';

/** Support tickets, announcements and invitations: the gateway's own shapes, generated into @apigpt/sdk. */
export type Ticket = ResponseOf<'GET /api/support/tickets/{id}'>['ticket'];
export type TicketThread = ResponseOf<'GET /api/support/tickets/{id}'>;
export type TicketStatus = Ticket['status'];
export type Announcement = ResponseOf<'GET /api/admin/announcements'>['items'][number];
export type AnnouncementInput = BodyOf<'POST /api/admin/announcements'>;
export type MyReferral = ResponseOf<'GET /api/referral'>;
export type ReferralPolicy = ResponseOf<'GET /api/admin/referrals/policy'>;
export type Referral = ResponseOf<'GET /api/admin/referrals'>['items'][number];

export const support = {
  tickets: (q: { limit: number; offset: number }) => call('GET /api/support/tickets', { query: q }),
  open: (body: BodyOf<'POST /api/support/tickets'>) => call('POST /api/support/tickets', { body }),
  thread: (id: string) => call('GET /api/support/tickets/{id}', { params: { id } }),
  reply: (id: string, body: string) => call('POST /api/support/tickets/{id}/replies', { params: { id }, body: { body } }),
  close: (id: string) => call('POST /api/support/tickets/{id}/close', { params: { id } }),
  unread: () => call('GET /api/support/unread'),
  announcements: () => call('GET /api/announcements'),
  dismiss: (id: string) => call('POST /api/announcements/{id}/dismiss', { params: { id } }),
  referral: () => call('GET /api/referral'),
};

export const adminSupport = {
  tickets: (q: { limit: number; offset: number; status?: TicketStatus }) => call('GET /api/admin/support/tickets', { query: q }),
  thread: (id: string) => call('GET /api/admin/support/tickets/{id}', { params: { id } }),
  reply: (id: string, body: string) => call('POST /api/admin/support/tickets/{id}/replies', { params: { id }, body: { body } }),
  close: (id: string) => call('POST /api/admin/support/tickets/{id}/close', { params: { id } }),
  unread: () => call('GET /api/admin/support/unread'),
  announcements: () => call('GET /api/admin/announcements'),
  createAnnouncement: (body: AnnouncementInput) => call('POST /api/admin/announcements', { body }),
  updateAnnouncement: (id: string, body: Partial<AnnouncementInput>) => call('PATCH /api/admin/announcements/{id}', { params: { id }, body }),
  removeAnnouncement: (id: string) => call('DELETE /api/admin/announcements/{id}', { params: { id } }),
  policy: () => call('GET /api/admin/referrals/policy'),
  setPolicy: (body: BodyOf<'PUT /api/admin/referrals/policy'>) => call('PUT /api/admin/referrals/policy', { body }),
  referrals: (q: { limit: number; offset: number }) => call('GET /api/admin/referrals', { query: q }),
};
