import type { MessageKey, Translate } from '../i18n';
import { paymentLabel, paymentVia } from './recharge';

/** Money as the gateway writes it: `7.30 CNY`, or a running total `7.30 CNY in all`. */
const MONEY = '([\\d.,]+ [A-Z]{3}(?: in all)?)';

/**
 * The ledger reasons the gateway itself writes (billing's trial grant, code redemptions, online
 * recharge, refunds, the provider's refunds and disputes, invitation rewards), matched by their fixed English wording and put in the
 * reader's language with their values kept. An administrator's own words (a grant's reason) are
 * shown as they were written.
 */
const PATTERNS: [RegExp, MessageKey, string[]][] = [
  [/^Trial credit$/, 'reason.trial', []],
  [/^code (\S+)$/, 'reason.code', ['code']],
  [/^Recharge ([\d.,]+) ([A-Z]{3}) \((\S+) (\S+)\)$/, 'reason.recharge', ['amount', 'currency', 'provider', 'method']],
  [/^Refund of recharge (\S+) by (\S+): ([\s\S]*)$/, 'reason.refund', ['order', 'by', 'reason']],
  [/^Recharge (\S+) completed by (\S+): ([\s\S]*)$/, 'reason.completed', ['order', 'by', 'reason']],
  [/^Invitation reward \(you invited this account; first payment, order (\S+)\)$/, 'reason.inviter', ['order']],
  [/^Invitation reward \(you were invited; first payment, order (\S+)\)$/, 'reason.invitee', ['order']],
  [/^Invitation reward reclaimed \(you invited this account; order (\S+) refunded\)$/, 'reason.inviterReclaimed', ['order']],
  [/^Invitation reward reclaimed \(you were invited; order (\S+) refunded\)$/, 'reason.inviteeReclaimed', ['order']],
  // Money the payment provider gave back to the payer (payments/reversal.ts), with what the balance could not give.
  [new RegExp(`^(\\S+) refund of recharge (\\S+): ${MONEY} returned to the payer; (\\S+ P) could not be taken back \\(the balance was spent\\)$`), 'reason.providerRefundShort', ['provider', 'order', 'money', 'short']],
  [new RegExp(`^(\\S+) refund of recharge (\\S+): ${MONEY} returned to the payer$`), 'reason.providerRefund', ['provider', 'order', 'money']],
  [new RegExp(`^(\\S+) dispute \\(chargeback\\) of recharge (\\S+): ${MONEY} returned to the payer; (\\S+ P) could not be taken back \\(the balance was spent\\)$`), 'reason.providerDisputeShort', ['provider', 'order', 'money', 'short']],
  [new RegExp(`^(\\S+) dispute \\(chargeback\\) of recharge (\\S+): ${MONEY} returned to the payer$`), 'reason.providerDispute', ['provider', 'order', 'money']],
  [new RegExp(`^(\\S+) dispute of recharge (\\S+) decided for the merchant: ${MONEY} back$`), 'reason.disputeWon', ['provider', 'order', 'money']],
];

export function ledgerReason(t: Translate, reason: string): string {
  for (const [re, key, names] of PATTERNS) {
    const m = re.exec(reason);
    if (!m) continue;
    const vars: Record<string, string> = Object.fromEntries(names.map((n, i) => [n, m[i + 1] ?? '']));
    if (vars.method) vars.via = paymentVia(t, vars.provider ?? '', vars.method);
    if (vars.provider) vars.provider = paymentLabel(t, 'provider', vars.provider);
    // Alipay's refunds are counted as the payment's total so far.
    if (vars.money?.endsWith(' in all')) vars.money = t('topups.line.inAll', { money: vars.money.slice(0, -' in all'.length) });
    return t(key, vars);
  }
  return reason;
}

/**
 * A notice the gateway wrote for the user (billing/ledger.ts `watchLowBalance`), matched by its fixed
 * English wording like the ledger's reasons and put in the reader's language with its values kept.
 */
export function noticeText(t: Translate, n: { kind: string; message: string }): string {
  const low = /^Your balance \((\S+ P)\) fell below your reminder threshold of (\S+ P)\.$/.exec(n.message);
  if (n.kind === 'low_balance' && low) return t('dashboard.lowBalance', { balance: low[1], threshold: low[2] });
  return n.message;
}
