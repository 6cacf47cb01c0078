import { api } from './client';
import type {
  Account, ApiKey, App, Channel, ChannelEvent, ChannelHealth, ChannelTestResult, Group, KeyLimits, LedgerEntry, Model, NewKey, Page, Price, Provider,
  PublicConfig, RedemptionCode, RequestLog, SystemSettings, UsageSummary, User,
} from './types';

/** Filters the log endpoints accept (times in epoch ms). */
export interface LogFilter {
  limit?: number;
  offset?: number;
  model?: string;
  appId?: string;
  keyId?: string;
  status?: 'ok' | 'error';
  from?: number;
  to?: number;
  userId?: string;
}

const id = encodeURIComponent;

export const auth = {
  config: () => api.get<PublicConfig>('/api/config'),
  me: () => api.get<{ user: User }>('/api/auth/me'),
  login: (email: string, password: string) => api.post<{ user: User }>('/api/auth/login', { email, password }),
  signup: (email: string, password: string, displayName?: string, locale?: string) =>
    api.post<{ user: User }>('/api/auth/signup', { email, password, ...(displayName ? { displayName } : {}), ...(locale ? { locale } : {}) }),
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

export const apps = {
  list: () => api.get<{ items: App[] }>('/api/apps'),
  create: (name: string, description?: string) => api.post<{ app: App; key: NewKey }>('/api/apps', { name, ...(description ? { description } : {}) }),
  update: (appId: string, patch: { name?: string; description?: string | null }) => api.patch<{ app: App }>(`/api/apps/${id(appId)}`, patch),
  remove: (appId: string) => api.del<{ ok: boolean }>(`/api/apps/${id(appId)}`),
  createKey: (appId: string, name?: string) => api.post<NewKey>(`/api/apps/${id(appId)}/keys`, name ? { name } : {}),
};

export const keys = {
  list: () => api.get<{ items: ApiKey[] }>('/api/keys'),
  update: (keyId: string, patch: { name?: string } & KeyLimits) => api.patch<{ key: ApiKey }>(`/api/keys/${id(keyId)}`, patch),
  revoke: (keyId: string) => api.post<{ key: ApiKey }>(`/api/keys/${id(keyId)}/revoke`),
};

export const usage = {
  logs: (f: LogFilter) => api.get<Page<RequestLog>>('/api/logs', { ...f }),
  models: () => api.get<{ items: Model[] }>('/api/models'),
};

export const billing = {
  account: () => api.get<Account>('/api/billing/account'),
  ledger: (limit: number, offset: number) => api.get<Page<LedgerEntry>>('/api/billing/ledger', { limit, offset }),
  redeem: (code: string) => api.post<{ amount: number; balance: number }>('/api/billing/redeem', { code }),
  usage: (days: number) => api.get<UsageSummary>('/api/billing/usage', { days }),
  setLowBalance: (threshold: number | null) => api.put<unknown>('/api/billing/low-balance', { threshold }),
};

export const admin = {
  users: (q: { search?: string; limit?: number; offset?: number }) => api.get<Page<User>>('/api/admin/users', q),
  updateUser: (userId: string, patch: Partial<{ role: User['role']; group: string; status: User['status']; displayName: string | null }>) =>
    api.patch<{ user: User }>(`/api/admin/users/${id(userId)}`, patch),
  credit: (userId: string, amount: number, reason: string) => api.post<{ balance: number }>(`/api/admin/users/${id(userId)}/credit`, { amount, reason }),
  providers: () => api.get<{ items: Provider[] }>('/api/admin/providers'),
  channels: () => api.get<{ items: Channel[] }>('/api/admin/channels'),
  createChannel: (body: Partial<Channel> & { secret?: string | null }) => api.post<{ channel: Channel }>('/api/admin/channels', body),
  updateChannel: (chId: string, body: Partial<Channel> & { secret?: string | null }) => api.patch<{ channel: Channel }>(`/api/admin/channels/${id(chId)}`, body),
  setChannelEnabled: (chId: string, on: boolean) => api.post<{ channel: Channel }>(`/api/admin/channels/${id(chId)}/${on ? 'enable' : 'disable'}`),
  deleteChannel: (chId: string) => api.del<{ ok: boolean }>(`/api/admin/channels/${id(chId)}`),
  channelHealth: () => api.get<{ items: ChannelHealth[] }>('/api/admin/channels/health'),
  channelEvents: (chId: string, limit = 100) => api.get<{ items: ChannelEvent[] }>(`/api/admin/channels/${id(chId)}/events`, { limit }),
  checkHealth: () => api.post<{ ok: boolean }>('/api/admin/health/check'),
  testChannel: (chId: string, model?: string) => api.post<ChannelTestResult>(`/api/admin/channels/${id(chId)}/test`, model ? { model } : {}),
  logs: (f: LogFilter) => api.get<Page<RequestLog>>('/api/admin/logs', { ...f }),
  prices: () => api.get<{ items: Price[] }>('/api/admin/prices'),
  setPrice: (p: Price) => api.put<unknown>(`/api/admin/prices/${id(p.model)}`, {
      input: p.input ?? 0,
      output: p.output ?? 0,
      ...(p.cachedInput !== null && p.cachedInput !== undefined ? { cachedInput: p.cachedInput } : {}),
      perImage: p.perImage ?? null,
      perKChars: p.perKChars ?? null,
      perSecond: p.perSecond ?? null,
      perKSearches: p.perKSearches ?? null,
      ...(p.maxOutput ? { maxOutput: p.maxOutput } : {}),
    }),
  deletePrice: (model: string) => api.del<unknown>(`/api/admin/prices/${id(model)}`),
  groups: () => api.get<{ items: Group[] }>('/api/admin/groups'),
  setGroup: (name: string, multiplier: number) => api.put<unknown>(`/api/admin/groups/${id(name)}`, { multiplier }),
  createCodes: (body: { count: number; value: number; expiresAt?: number; name?: string }) => api.post<{ items: RedemptionCode[] }>('/api/admin/codes', body),
  codes: (q: { limit: number; offset: number; status?: string }) => api.get<Page<RedemptionCode>>('/api/admin/codes', q),
  settings: () => api.get<SystemSettings>('/api/admin/settings'),
  saveSettings: (s: SystemSettings) => api.put<SystemSettings>('/api/admin/settings', s),
};
