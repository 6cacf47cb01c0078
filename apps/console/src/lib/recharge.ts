import type { OrderStatus } from '../api/recharge';
import type { MessageKey, Translate } from '../i18n';

/** What the user's and the admin's recharge pages share. */
export const STATUS_COLORS: Record<OrderStatus, string> = { created: 'blue', paid: 'orange', credited: 'green', expired: 'default', refunded: 'purple' };

/** A payment provider's or method's name in the reader's language (an unknown one by its id). */
export function paymentLabel(t: Translate, kind: 'provider' | 'method', id: string): string {
  const key = `recharge.${kind}.${id}` as MessageKey;
  const text = t(key);
  return text === key ? id : text;
}

/** How an order was paid: the provider, and its method when that says more (支付宝 · 支付宝 would say it twice). */
export function paymentVia(t: Translate, provider: string, method: string): string {
  const p = paymentLabel(t, 'provider', provider);
  const m = paymentLabel(t, 'method', method);
  return p === m ? p : `${p} · ${m}`;
}
