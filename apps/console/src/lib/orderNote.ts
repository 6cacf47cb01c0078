import type { TopupOrder } from '../api/recharge';
import type { MessageKey, Translate } from '../i18n';
import { paymentLabel } from './recharge';

export type NoteLine = TopupOrder['notes'][number];

/**
 * One line of an order's note in the reader's language. The gateway keeps each event as a code and
 * its values (apps/gateway/src/payments/notes.ts); the values stay as written (money, credit, a
 * reason an admin typed, a provider's error), provider and method ids become their names. A line
 * the console has no words for, and a note written before lines existed, show the server's English.
 */
export function orderNoteLine(t: Translate, line: NoteLine): string {
  const p: Record<string, string> = { ...line.params };
  if (p.provider) p.provider = paymentLabel(t, 'provider', p.provider);
  if (line.code === 'other_method') {
    p.paid = paymentLabel(t, 'method', p.paid ?? '');
    p.ordered = paymentLabel(t, 'method', p.ordered ?? '');
  }
  if (line.code === 'other_currency' && !p.paid) p.paid = t('topups.line.unnamedCurrency');
  let code = line.code;
  if (code === 'provider_refund' || code === 'provider_dispute') {
    if (p.inAll) p.money = t('topups.line.inAll', { money: p.money ?? '' });
    if (p.taken !== undefined) code += p.short ? '.short' : '.taken';
  }
  const key = `topups.line.${code}` as MessageKey;
  const text = t(key, p);
  return text === key ? line.text : text;
}

/**
 * The whole note, its lines in order. Chinese sentences carry their own full stop and need no space
 * between them; a line that ends in someone's words (a refund's reason) is closed with one.
 */
export function orderNoteText(t: Translate, locale: string, order: Pick<TopupOrder, 'note' | 'notes'>): string | null {
  if (!order.notes.length) return order.note;
  const lines = order.notes.map((l) => orderNoteLine(t, l));
  if (locale !== 'zh-CN') return lines.join(' ');
  return lines.map((l, i) => (i < lines.length - 1 && !/[。！？.!?]$/.test(l) ? `${l}。` : l)).join('');
}
