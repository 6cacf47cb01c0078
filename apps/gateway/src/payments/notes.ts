import { formatPoints } from '../billing/money.js';
import { formatMinor } from './money.js';

/**
 * What happened to an order, one line per event, as data: a code and its values. The order keeps
 * them (`topup_orders.note_lines`, JSON) beside the English sentence (`note`, the audit text logs
 * and old clients read); the console renders each line in the reader's language from its code
 * (apps/console/src/lib/orderNote.ts), so an admin reading the Recharge orders page in Chinese
 * reads Chinese. Values are kept as written: money as `7.30 CNY`, credit as `400 P`, a provider's
 * id (`alipay`), and the words of people and providers (a refund's reason, an error) as they came.
 */
export type NoteLine =
  | { code: 'not_paid_in_time' }
  | { code: 'start_failed'; error: string }
  | { code: 'delayed_payment_failed' }
  | { code: 'checkout_expired' }
  | { code: 'other_checkout'; paidFor: string; ordered: string }
  | { code: 'other_currency'; paid: string; ordered: string }
  | { code: 'invalid_amount'; currency: string; ordered: string }
  | { code: 'other_amount'; paid: string; ordered: string }
  | { code: 'other_method'; paid: string; ordered: string }
  | { code: 'credited_by'; by: string; reason: string }
  | { code: 'refunded_by'; by: string; reason: string }
  /** The provider gave money back (a refund in its dashboard, a dispute); `inAll`: the money is the payment's refunds so far. */
  | { code: 'provider_refund' | 'provider_dispute'; provider: string; money: string; inAll?: true; taken?: string; short?: string }
  | { code: 'dispute_won'; provider: string; money: string; back: string }
  | { code: 'money_pending'; provider: string; money: string; error: string }
  | { code: 'money_returned'; provider: string; money: string; ref: string }
  | { code: 'money_not_returned'; provider: string; money: string; error: string }
  /** A refund worth more than was paid through the provider: `paid` goes back through it, `money` does not. */
  | { code: 'money_beyond_payment'; provider: string; money: string; paid: string };

/** A line as the API answers it: its code, its values, and the English sentence. */
export interface NoteView {
  code: NoteLine['code'] | 'text';
  params: Record<string, string>;
  text: string;
}

/** Money as the notes write it: `7.30 CNY`. */
export const noteMoney = (minor: number, currency: string) => `${formatMinor(minor, currency)} ${currency.toUpperCase()}`;
/** Credit as the notes write it: `400 P`. */
export const notePoints = (micro: number) => formatPoints(micro);

/** The English sentence of a line: the same words the order's `note` was written with before lines existed. */
export function noteText(l: NoteLine): string {
  switch (l.code) {
    case 'not_paid_in_time':
      return 'Not paid in time.';
    case 'start_failed':
      return `The payment could not be started: ${l.error}`;
    case 'delayed_payment_failed':
      return 'the delayed payment failed';
    case 'checkout_expired':
      return 'the checkout expired unpaid';
    case 'other_checkout':
      return `The payment is for checkout ${l.paidFor}, not this order's (${l.ordered}).`;
    case 'other_currency':
      return `Paid in ${l.paid || 'an unnamed currency'}, but the order is in ${l.ordered}.`;
    case 'invalid_amount':
      return `The provider reported an amount that is not a valid ${l.currency} amount; the order is ${l.ordered}.`;
    case 'other_amount':
      return `Paid ${l.paid}, but the order is ${l.ordered}.`;
    case 'other_method':
      return `Paid by ${l.paid}, but the order is for ${l.ordered}.`;
    case 'credited_by':
      return `Credited by ${l.by}: ${l.reason}`;
    case 'refunded_by':
      return `Refunded by ${l.by}: ${l.reason}`;
    case 'provider_refund':
    case 'provider_dispute': {
      const what = `${l.provider} ${l.code === 'provider_refund' ? 'refund' : 'dispute (chargeback)'} of ${l.money}${l.inAll ? ' in all' : ''}`;
      if (l.taken === undefined) return `${what}.`;
      return `${what}: ${l.taken} taken back${l.short ? `; ${l.short} could not be taken back (the balance was spent)` : ''}.`;
    }
    case 'dispute_won':
      return `${l.provider} dispute decided for the merchant: ${l.money} back; ${l.back} given back.`;
    case 'money_pending':
      return `${l.money} not returned yet (${l.error}): the gateway tries again until ${l.provider} answers.`;
    case 'money_returned':
      return `${l.money} returned to the payer through ${l.provider} (${l.ref}).`;
    case 'money_not_returned':
      return `${l.money} could not be returned through ${l.provider} (${l.error}): return it in the ${l.provider} dashboard.`;
    case 'money_beyond_payment':
      return `${l.money} of this refund is more than was paid through ${l.provider} (only ${l.paid} goes back through it): return it another way.`;
  }
}

/** The columns an order's note is kept in. */
export interface NoteColumns {
  note: string;
  note_lines: string;
}

/** An order's note with one more line after what was noted before (`order` as read from the table). */
export function noteAfter(order: { note: string | null; note_lines?: string | null }, line: NoteLine): NoteColumns {
  const text = noteText(line);
  return { note: order.note ? `${order.note} ${text}` : text, note_lines: JSON.stringify([...storedLines(order), line]) };
}

/** The lines kept with an order; an order noted before lines existed has its English note as one line. */
function storedLines(order: { note: string | null; note_lines?: string | null }): (NoteLine | { code: 'text'; text: string })[] {
  if (order.note_lines) {
    try {
      const lines = JSON.parse(order.note_lines) as unknown;
      if (Array.isArray(lines)) return lines;
    } catch {
      // A column that is not JSON (written by hand) is read as the note's text below.
    }
  }
  return order.note ? [{ code: 'text', text: order.note }] : [];
}

/** The order's note as the API answers it: one entry per line, each with its English sentence. */
export function noteViews(order: { note: string | null; note_lines?: string | null }): NoteView[] {
  return storedLines(order).map((l) => {
    if (l.code === 'text') return { code: 'text', params: {}, text: (l as { text: string }).text };
    const { code, ...values } = l;
    const params = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, String(v)]));
    return { code, params, text: noteText(l) };
  });
}
