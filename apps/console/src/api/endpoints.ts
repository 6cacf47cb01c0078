import { api, call } from './client';
import type {
  Account, Channel, ChannelEvent, ChannelHealth, ChannelTestResult, Group, KeyLimits, LedgerEntry, ModelListing, Page, Price, Provider,
  PublicConfig, RedemptionCode, RequestLog, SystemSettings, UsageSummary, User,
} from './types';
import type { QueryOf } from '@apigpt/sdk/management';

// Routes with a schema are called by name (`call('GET /api/apps')`): path, parameters and answer are
// typed by the gateway's OpenAPI document. The few without one still use `api`.

/** Filters the log endpoints accept (times in epoch ms): the gateway's own query schema. */
export type LogFilter = NonNullable<QueryOf<'GET /api/admin/logs'>>;

const id = encodeURIComponent;

export const auth = {
  config: () => api.get<PublicConfig>('/api/config'),
  me: () => call('GET /api/auth/me'),
  /** With two-factor on, the answer is a challenge for `loginSecondStep` instead of a user. */
  login: (email: string, password: string) => call('POST /api/auth/login', { body: { email, password } }),
  loginSecondStep: (challenge: string, factor: { code: string } | { recoveryCode: string }) => call('POST /api/auth/login/two-factor', { body: { challenge, ...factor } }),
  signup: (email: string, password: string, displayName?: string, locale?: string, referralCode?: string) =>
    api.post<{ user: User }>('/api/auth/signup', { email, password, ...(displayName ? { displayName } : {}), ...(locale ? { locale } : {}), ...(referralCode ? { referralCode } : {}) }),
  logout: () => api.post<{ ok: boolean }>('/api/auth/logout'),
  changePassword: (currentPassword: string, newPassword: string, revokeKeys = false) =>
    api.post<{ ok: boolean; revokedKeys: number }>('/api/auth/password', { currentPassword, newPassword, ...(revokeKeys ? { revokeKeys } : {}) }),
  /** Mail links: confirming the address, and resetting a forgotten password. */
  verifyEmail: (token: string) => api.post<{ ok: boolean; opened: boolean }>('/api/auth/verify-email', { token }),
  resendVerification: (locale: string) => api.post<{ ok: boolean }>('/api/auth/verify-email/resend', { locale }),
  requestReset: (email: string, locale: string) => api.post<{ ok: boolean }>('/api/auth/password-reset', { email, locale }),
  confirmReset: (token: string, newPassword: string, revokeKeys: boolean) =>
    api.post<{ user: User; revokedKeys: number }>('/api/auth/password-reset/confirm', { token, newPassword, ...(revokeKeys ? { revokeKeys } : {}) }),
};

/** Two-factor sign-in of the signed-in account. */
export const twoFactor = {
  status: () => call('GET /api/auth/two-factor'),
  setUp: (password: string) => call('POST /api/auth/two-factor/setup', { body: { password } }),
  confirm: (code: string) => call('POST /api/auth/two-factor/confirm', { body: { code } }),
  disable: (password: string, factor: { code: string } | { recoveryCode: string }) => call('POST /api/auth/two-factor/disable', { body: { password, ...factor } }),
  regenerate: (password: string, factor: { code: string } | { recoveryCode: string }) => call('POST /api/auth/two-factor/recovery-codes', { body: { password, ...factor } }),
};

export const apps = {
  list: () => call('GET /api/apps'),
  create: (name: string, description?: string) => call('POST /api/apps', { body: { name, ...(description ? { description } : {}) } }),
  update: (appId: string, patch: { name?: string; description?: string | null }) => call('PATCH /api/apps/{id}', { params: { id: appId }, body: patch }),
  remove: (appId: string) => call('DELETE /api/apps/{id}', { params: { id: appId } }),
  createKey: (appId: string, name?: string) => call('POST /api/apps/{id}/keys', { params: { id: appId }, body: name ? { name } : {} }),
};

export const keys = {
  list: () => call('GET /api/keys'),
  update: (keyId: string, patch: { name?: string } & KeyLimits) => call('PATCH /api/keys/{id}', { params: { id: keyId }, body: patch }),
  revoke: (keyId: string) => call('POST /api/keys/{id}/revoke', { params: { id: keyId } }),
};

export const usage = {
  logs: (f: LogFilter): Promise<Page<RequestLog>> => call('GET /api/logs', { query: f }),
  models: (): Promise<ModelListing> => call('GET /api/models'),
};

export const billing = {
  account: (): Promise<Account> => call('GET /api/billing/account'),
  ledger: (limit: number, offset: number): Promise<Page<LedgerEntry>> => call('GET /api/billing/ledger', { query: { limit, offset } }),
  redeem: (code: string) => call('POST /api/billing/redeem', { body: { code } }),
  usage: (days: number): Promise<UsageSummary> => call('GET /api/billing/usage', { query: { days } }),
  setLowBalance: (threshold: number | null) => call('PUT /api/billing/low-balance', { body: { threshold } }),
};

export const admin = {
  users: (q: { search?: string; limit?: number; offset?: number }): Promise<Page<User>> => call('GET /api/admin/users', { query: q }),
  updateUser: (userId: string, patch: Partial<{ role: User['role']; group: string; status: User['status']; displayName: string | null }>) =>
    call('PATCH /api/admin/users/{id}', { params: { id: userId }, body: patch }),
  resetTwoFactor: (userId: string) => call('POST /api/admin/users/{id}/two-factor/reset', { params: { id: userId } }),
  credit: (userId: string, amount: number, reason: string) => call('POST /api/admin/users/{id}/credit', { params: { id: userId }, body: { amount, reason } }),
  providers: () => api.get<{ items: Provider[] }>('/api/admin/providers'),
  channels: (): Promise<{ items: Channel[] }> => call('GET /api/admin/channels'),
  createChannel: (body: Partial<Channel> & { secret?: string | null }) => api.post<{ channel: Channel }>('/api/admin/channels', body),
  updateChannel: (chId: string, body: Partial<Channel> & { secret?: string | null }) => api.patch<{ channel: Channel }>(`/api/admin/channels/${id(chId)}`, body),
  setChannelEnabled: (chId: string, on: boolean) => call(on ? 'POST /api/admin/channels/{id}/enable' : 'POST /api/admin/channels/{id}/disable', { params: { id: chId } }),
  deleteChannel: (chId: string) => call('DELETE /api/admin/channels/{id}', { params: { id: chId } }),
  channelHealth: (): Promise<{ items: ChannelHealth[] }> => call('GET /api/admin/channels/health'),
  channelEvents: (chId: string, limit = 100): Promise<{ items: ChannelEvent[] }> => call('GET /api/admin/channels/{id}/events', { params: { id: chId }, query: { limit } }),
  checkHealth: () => call('POST /api/admin/health/check'),
  testChannel: (chId: string, model?: string): Promise<ChannelTestResult> => call('POST /api/admin/channels/{id}/test', { params: { id: chId }, body: model ? { model } : {} }),
  logs: (f: LogFilter): Promise<Page<RequestLog>> => call('GET /api/admin/logs', { query: f }),
  prices: (): Promise<{ items: Price[] }> => call('GET /api/admin/prices'),
  setPrice: (p: Price) => call('PUT /api/admin/prices/{model}', { params: { model: p.model }, body: {
      input: p.input ?? 0,
      output: p.output ?? 0,
      ...(p.cachedInput !== null && p.cachedInput !== undefined ? { cachedInput: p.cachedInput } : {}),
      perImage: p.perImage ?? null,
      perKChars: p.perKChars ?? null,
      perSecond: p.perSecond ?? null,
      perKSearches: p.perKSearches ?? null,
      ...(p.maxOutput ? { maxOutput: p.maxOutput } : {}),
    } }),
  deletePrice: (model: string) => call('DELETE /api/admin/prices/{model}', { params: { model } }),
  groups: (): Promise<{ items: Group[] }> => call('GET /api/admin/groups'),
  setGroup: (name: string, multiplier: number) => call('PUT /api/admin/groups/{name}', { params: { name }, body: { multiplier } }),
  createCodes: (body: { count: number; value: number; expiresAt?: number; name?: string }) => api.post<{ items: RedemptionCode[] }>('/api/admin/codes', body),
  codes: (q: { limit: number; offset: number; status?: string }) => api.get<Page<RedemptionCode>>('/api/admin/codes', q),
  settings: (): Promise<SystemSettings> => call('GET /api/admin/settings'),
  saveSettings: (s: SystemSettings): Promise<SystemSettings> => call('PUT /api/admin/settings', { body: s }),
};
