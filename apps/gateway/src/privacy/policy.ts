import { GatewayError } from '../core/errors.js';
import { compileCustom, PII_KINDS, type CustomPattern, type PiiKind } from './pii.js';

export type RedactionMode = 'off' | 'mask' | 'reversible';
export const REDACTION_MODES: readonly RedactionMode[] = ['off', 'mask', 'reversible'];
export type PolicyScope = 'group' | 'app';

/**
 * What an admin set for a user group or for one App. An App's policy replaces its owner's group's
 * policy as a whole (it is not merged), so an App can be set stricter or looser than its group.
 */
export interface PrivacyPolicy {
  scope: PolicyScope;
  /** The group's name, or the App's id. */
  target: string;
  /** Keep calls' prompts and answers for `retentionDays` (default: nothing is kept). */
  contentLogging: boolean;
  retentionDays: number;
  /** `mask`: the provider and the caller see placeholders; `reversible`: the caller gets the originals back. */
  redaction: RedactionMode;
  kinds: PiiKind[];
  patterns: CustomPattern[];
  updatedAt: number;
}

export type PolicyInput = Omit<PrivacyPolicy, 'scope' | 'target' | 'updatedAt'>;

export const MAX_RETENTION_DAYS = 3650;

/** A policy as given, checked as a whole: known kinds, patterns that compile, a retention when logging. */
export function validatePolicy(p: PolicyInput): PolicyInput {
  const bad = (message: string, param: string) => new GatewayError('invalid_request', message, { param, code: 'invalid_privacy_policy' });
  if (!REDACTION_MODES.includes(p.redaction)) throw bad('redaction is "off", "mask" or "reversible".', 'redaction');
  for (const k of p.kinds) if (!PII_KINDS.includes(k)) throw bad(`Unknown kind "${k}": use ${PII_KINDS.join(', ')}.`, 'kinds');
  if (!Number.isInteger(p.retentionDays) || p.retentionDays < 1 || p.retentionDays > MAX_RETENTION_DAYS) throw bad(`retentionDays is a whole number of days from 1 to ${MAX_RETENTION_DAYS}.`, 'retentionDays');
  p.patterns.forEach((c, i) => {
    if (!c.name.trim()) throw bad('A custom pattern needs a name (it labels the placeholder).', `patterns[${i}].name`);
    try {
      compileCustom(c);
    } catch (err) {
      throw bad(`Pattern "${c.name}" is not a valid regular expression: ${(err as Error).message}`, `patterns[${i}].pattern`);
    }
    // A pattern that matches the empty string would wrap every position of every text.
    if (new RegExp(c.pattern, 'u').test('')) throw bad(`Pattern "${c.name}" matches empty text.`, `patterns[${i}].pattern`);
  });
  if (p.redaction !== 'off' && p.kinds.length === 0 && p.patterns.length === 0) throw bad('Redaction needs at least one kind or custom pattern.', 'kinds');
  return { ...p, kinds: [...new Set(p.kinds)] };
}
