import { call } from './client';
import type { BodyOf, ResponseOf } from '@apigpt/sdk/management';

/** Content safety (admins): rules, word-file import, tests, policies, decisions; the gateway's own shapes, generated into @apigpt/sdk. */
export type SafetyRule = ResponseOf<'GET /api/admin/safety/rules'>['items'][number];
export type RuleInput = BodyOf<'POST /api/admin/safety/rules'>;
export type SafetyPolicy = ResponseOf<'GET /api/admin/safety/policies'>['items'][number];
export type PolicyInput = BodyOf<'PUT /api/admin/safety/policies'>;
export type TestResult = ResponseOf<'POST /api/admin/safety/test'>;
export type Decisions = ResponseOf<'GET /api/admin/safety/decisions'>;

export const safety = {
  rules: () => call('GET /api/admin/safety/rules'),
  create: (body: RuleInput) => call('POST /api/admin/safety/rules', { body }),
  update: (id: string, body: BodyOf<'PATCH /api/admin/safety/rules/{id}'>) => call('PATCH /api/admin/safety/rules/{id}', { params: { id }, body }),
  remove: (id: string) => call('DELETE /api/admin/safety/rules/{id}', { params: { id } }),
  importWords: (id: string, text: string, replace: boolean) => call('POST /api/admin/safety/rules/{id}/import', { params: { id }, body: { text, replace } }),
  test: (body: BodyOf<'POST /api/admin/safety/test'>) => call('POST /api/admin/safety/test', { body }),
  policies: () => call('GET /api/admin/safety/policies'),
  putPolicy: (body: PolicyInput) => call('PUT /api/admin/safety/policies', { body }),
  removePolicy: (id: string) => call('DELETE /api/admin/safety/policies/{id}', { params: { id } }),
  decisions: (limit = 100) => call('GET /api/admin/safety/decisions', { query: { limit } }),
  /** One call's decisions (the request log's detail). */
  callDecisions: (requestId: string) => call('GET /api/admin/safety/decisions', { query: { requestId, limit: 100 } }),
};
