import { call, request } from './client';
import type { BodyOf, ResponseOf } from '@apigpt/sdk/management';

/** A privacy policy as GET /api/admin/privacy/policies answers it (the gateway's schema, generated into @apigpt/sdk). */
export type PrivacyPolicy = ResponseOf<'GET /api/admin/privacy/policies'>['items'][number];
export type PolicyBody = BodyOf<'PUT /api/admin/privacy/policies/{scope}/{target}'>;
export type LoggedContent = ResponseOf<'GET /api/logs/{id}/content'>;

const enc = encodeURIComponent;

export const privacy = {
  policies: () => call('GET /api/admin/privacy/policies'),
  set: (scope: 'group' | 'app', target: string, body: PolicyBody) => request<PrivacyPolicy>('PUT', `/api/admin/privacy/policies/${enc(scope)}/${enc(target)}`, body),
  remove: (scope: 'group' | 'app', target: string) => request<{ deleted: boolean }>('DELETE', `/api/admin/privacy/policies/${enc(scope)}/${enc(target)}`),
  preview: (body: BodyOf<'POST /api/admin/privacy/preview'>) => call('POST /api/admin/privacy/preview', { body }),
  purge: () => call('POST /api/admin/privacy/purge'),
  content: (id: string, admin: boolean) => request<LoggedContent>('GET', admin ? `/api/admin/logs/${enc(id)}/content` : `/api/logs/${enc(id)}/content`),
  exportData: () => request<unknown>('GET', '/api/account/export'),
  deleteAccount: (password: string) => call('POST /api/account/delete', { body: { password } }),
  /** An admin deletes a user's account for them (audited). */
  deleteUser: (userId: string) => call('DELETE /api/admin/users/{id}', { params: { id: userId } }),
};
