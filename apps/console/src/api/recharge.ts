import { call } from './client';
import type { ResponseOf, BodyOf } from '@apigpt/sdk/management';

/**
 * Online recharge: shapes and endpoints (money to pay is a decimal string in its currency; credit is
 * P). The shapes are the gateway's own schemas, generated into @apigpt/sdk.
 */
export type RechargeOptions = ResponseOf<'GET /api/recharge/options'>;
export type PaymentProviderInfo = RechargeOptions['providers'][number];
export type TopupPack = RechargeOptions['packs'][number];
export type TopupOrder = ResponseOf<'GET /api/recharge/orders/{id}'>;
export type OrderStatus = TopupOrder['status'];
export type PackInput = BodyOf<'POST /api/admin/topup-packs'>;

export const recharge = {
  options: () => call('GET /api/recharge/options'),
  create: (body: BodyOf<'POST /api/recharge/orders'>) => call('POST /api/recharge/orders', { body }),
  orders: (limit: number, offset: number) => call('GET /api/recharge/orders', { query: { limit, offset } }),
  order: (orderId: string) => call('GET /api/recharge/orders/{id}', { params: { id: orderId } }),
  check: (orderId: string) => call('POST /api/recharge/orders/{id}/check', { params: { id: orderId } }),
};

export const adminRecharge = {
  orders: (q: { limit: number; offset: number; status?: OrderStatus; userId?: string }) => call('GET /api/admin/topups', { query: q }),
  refund: (orderId: string, body: BodyOf<'POST /api/admin/topups/{id}/refund'>) => call('POST /api/admin/topups/{id}/refund', { params: { id: orderId }, body }),
  check: (orderId: string) => call('POST /api/admin/topups/{id}/check', { params: { id: orderId } }),
  complete: (orderId: string, reason: string) => call('POST /api/admin/topups/{id}/complete', { params: { id: orderId }, body: { reason } }),
  packs: () => call('GET /api/admin/topup-packs'),
  createPack: (p: PackInput) => call('POST /api/admin/topup-packs', { body: p }),
  updatePack: (packId: string, p: Partial<PackInput>) => call('PATCH /api/admin/topup-packs/{id}', { params: { id: packId }, body: p }),
  removePack: (packId: string) => call('DELETE /api/admin/topup-packs/{id}', { params: { id: packId } }),
};
