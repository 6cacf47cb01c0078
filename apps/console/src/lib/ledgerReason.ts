import type { MessageKey, Translate } from '../i18n';

/**
 * The ledger reasons the gateway itself writes (billing's trial grant, code redemptions, online
 * recharge, refunds, invitation rewards), matched by their fixed English wording and put in the
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
];

export function ledgerReason(t: Translate, reason: string): string {
  for (const [re, key, names] of PATTERNS) {
    const m = re.exec(reason);
    if (m) return t(key, Object.fromEntries(names.map((n, i) => [n, m[i + 1]])));
  }
  return reason;
}
