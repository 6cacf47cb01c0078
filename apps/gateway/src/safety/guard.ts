import type { Logger } from '../core/logger.js';
import { mask, RuleSet, type Direction, type Hit, type SafetyAction } from './rules.js';
import type { Decision, SafetyStore } from './store.js';

/** The verdict on the texts of one call: the strongest action, the texts with masks applied, the hits. */
export interface GuardVerdict {
  action: SafetyAction | null;
  /** Per text given: its masked form, or null when nothing in it was masked. */
  masked: (string | null)[];
  /** The rules that hit, once each, with the action each took. */
  rules: { ruleId: string; ruleName: string; action: SafetyAction }[];
}

/** How often a gateway looks whether the rules changed (another gateway, or the CLI, may change them). */
const REFRESH_MS = 5_000;

/**
 * What the call pipeline and the HTTP layer ask of content safety: the current rules (compiled once
 * per change), a verdict on a call's texts, and the decision record. With no rule enabled for the
 * caller's group and direction `active` is false and a call costs one lookup, nothing more.
 */
export class SafetyGuard {
  private rules = new RuleSet([]);
  private version = '';
  private checkedAt = 0;
  private loading: Promise<void> | null = null;

  constructor(
    private readonly store: SafetyStore,
    private readonly log: Logger,
  ) {}

  /** Loads the rules (at start, and after an admin's change on this gateway). */
  async reload(): Promise<void> {
    const version = await this.store.version();
    this.checkedAt = Date.now();
    if (version === this.version) return;
    this.rules = new RuleSet(await this.store.list());
    this.version = version;
  }

  /** The compiled rules (for the admin's test and the moderation endpoint). */
  current(): RuleSet {
    this.refreshSoon();
    return this.rules;
  }

  /** Whether any enabled rule applies to this group and direction. */
  active(group: string, direction: Direction): boolean {
    this.refreshSoon();
    return this.rules.applies(group, direction);
  }

  /** The rules' verdict on a call's texts for a caller in `group`. */
  inspect(texts: readonly string[], group: string | null, direction: Direction): GuardVerdict {
    const rules = this.current();
    let action: SafetyAction | null = null;
    const seen = new Map<string, { ruleId: string; ruleName: string; action: SafetyAction }>();
    const masked = texts.map((text) => {
      const v = rules.check(text, group, direction);
      if (v.action === null) return null;
      if (action === null || strength(v.action) > strength(action)) action = v.action;
      for (const h of v.hits) if (!seen.has(h.ruleId)) seen.set(h.ruleId, { ruleId: h.ruleId, ruleName: h.ruleName, action: h.action });
      return v.hits.some((h: Hit) => h.action === 'mask') ? mask(text, v.hits) : null;
    });
    return { action, masked, rules: [...seen.values()] };
  }

  /** The verdict on the hits of `text` ending after `from`: a stream's new text read with the window before it. */
  scan(text: string, from: number, group: string, direction: Direction): GuardVerdict {
    const hits = this.current().check(text, group, direction).hits.filter((h) => h.end > from);
    let action: SafetyAction | null = null;
    const seen = new Map<string, { ruleId: string; ruleName: string; action: SafetyAction }>();
    for (const h of hits) {
      if (action === null || strength(h.action) > strength(action)) action = h.action;
      if (!seen.has(h.ruleId)) seen.set(h.ruleId, { ruleId: h.ruleId, ruleName: h.ruleName, action: h.action });
    }
    return { action, masked: [null], rules: [...seen.values()] };
  }

  /** Records a call's decisions (one per rule that hit) without holding the call up; never the text. */
  record(verdict: GuardVerdict, requestId: string, userId: string | null, direction: Direction): void {
    if (verdict.rules.length === 0) return;
    const decisions: Decision[] = verdict.rules.map((r) => ({ requestId, ruleId: r.ruleId, action: r.action, direction, userId }));
    this.store.record(decisions).catch((err) => this.log.error('safety decisions not recorded', err, { requestId }));
  }

  /** Looks for changes in the background at most every REFRESH_MS; calls never wait for it. */
  private refreshSoon(): void {
    if (this.loading || Date.now() - this.checkedAt < REFRESH_MS) return;
    this.checkedAt = Date.now();
    this.loading = this.reload()
      .catch((err) => this.log.warn('safety rules not reloaded', { err: String(err) }))
      .finally(() => (this.loading = null));
  }
}

function strength(a: SafetyAction): number {
  return a === 'block' ? 3 : a === 'mask' ? 2 : 1;
}
