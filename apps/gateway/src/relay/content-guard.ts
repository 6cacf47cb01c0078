import { GatewayError } from '../core/errors.js';

export type GuardDirection = 'input' | 'output';
export type GuardAction = 'block' | 'mask' | 'flag';

/** The content rules' verdict on a call's texts (safety/guard.ts gives it). */
export interface GuardVerdict {
  action: GuardAction | null;
  /** Per text: its masked form, or null when nothing in it was masked. */
  masked: (string | null)[];
  rules: { ruleId: string; ruleName: string; action: GuardAction }[];
}

/**
 * What the pipeline asks of content safety. Implemented by safety/guard.ts and handed in by the
 * services, so the relay depends on this contract only. `active` is the hot path's one question:
 * with no rule for the caller's group and direction nothing else runs.
 */
export interface ContentGuard {
  active(group: string, direction: GuardDirection): boolean;
  inspect(texts: readonly string[], group: string | null, direction: GuardDirection): GuardVerdict;
  /** Records one decision per rule that hit (never the text), without holding the call up. */
  record(verdict: GuardVerdict, requestId: string, userId: string | null, direction: GuardDirection): void;
}

/**
 * The caller's error when a rule blocks: a 400 `content_filter`, rendered in the caller's dialect.
 * Names the rule (admins name rules for the people they filter) but never the matched text.
 */
export function contentFiltered(direction: GuardDirection, verdict: GuardVerdict): GatewayError {
  const rule = verdict.rules.find((r) => r.action === 'block');
  const what = direction === 'input' ? 'The request' : 'The answer';
  return new GatewayError('invalid_request', `${what} was blocked by the content policy${rule ? ` (rule: ${rule.ruleName})` : ''}.`, { code: 'content_filter' });
}
