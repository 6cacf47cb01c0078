import { api } from './client';
import type { Page } from './types';

/** Online recharge: shapes and endpoints (money to pay is a decimal string in its currency; credit is P). */
export type OrderStatus = 'created' | 'paid' | 'credited' | 'expired' | 'refunded';

export interface TopupOrder {
  id: string;
  userId: string;
  email?: string | null;
  provider: string;
  method: string;
  packId: string | null;
  amount: string;
  currency: string;
  credit: number;
  bonus: number;
  status: OrderStatus;
  payUrl: string | null;
  note: string | null;
  refunded: number;
  createdAt: number;
  expiresAt: number;
  paidAt: number | null;
  creditedAt: number | null;
  refundedAt: number | null;
}

export interface TopupPack {
  id: string;
  name: string;
  points: number;
  bonus: number;
  enabled: boolean;
  sort: number;
  /** Price per provider id, a decimal in its currency. */
  prices: Record<string, string>;
}

export interface PaymentProviderInfo {
  id: string;
  methods: string[];
  currency: string;
  pointsPerUnit: number;
  minAmount: number;
  maxAmount: number;
}

export interface RechargeOptions {
  providers: PaymentProviderInfo[];
  packs: TopupPack[];
  expiryMinutes: number;
}

export interface PackInput {
  name: string;
  points: number;
  bonus?: number;
  enabled?: boolean;
  sort?: number;
}

const id = encodeURIComponent;

export const recharge = {
  options: () => api.get<RechargeOptions>('/api/recharge/options'),
  create: (body: { provider: string; method?: string; amount?: string; packId?: string }) => api.post<TopupOrder>('/api/recharge/orders', body),
  orders: (limit: number, offset: number) => api.get<Page<TopupOrder>>('/api/recharge/orders', { limit, offset }),
  order: (orderId: string) => api.get<TopupOrder>(`/api/recharge/orders/${id(orderId)}`),
};

export const adminRecharge = {
  orders: (q: { limit: number; offset: number; status?: OrderStatus; userId?: string }) => api.get<Page<TopupOrder>>('/api/admin/topups', q),
  refund: (orderId: string, body: { reason: string; points?: number }) => api.post<TopupOrder>(`/api/admin/topups/${id(orderId)}/refund`, body),
  complete: (orderId: string, reason: string) => api.post<TopupOrder>(`/api/admin/topups/${id(orderId)}/complete`, { reason }),
  packs: () => api.get<{ items: TopupPack[] }>('/api/admin/topup-packs'),
  createPack: (p: PackInput) => api.post<TopupPack>('/api/admin/topup-packs', p),
  updatePack: (packId: string, p: Partial<PackInput>) => api.patch<TopupPack>(`/api/admin/topup-packs/${id(packId)}`, p),
  removePack: (packId: string) => api.del<{ ok: boolean }>(`/api/admin/topup-packs/${id(packId)}`),
};
