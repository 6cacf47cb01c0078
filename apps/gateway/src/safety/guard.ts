import type { Logger } from '../core/logger.js';
import { categoriesHit, MODERATION_DOWN, moderationRuleId, type ModerationResult } from './moderation.js';
import type { ModerationSettings, PolicyStore, SafetyPolicy } from './policies.js';
import { groupScope, mask, RuleSet, type Direction, type Hit, type SafetyAction, type Scope } from './rules.js';
import type { Decision, SafetyStore } from './store.js';

type RuleRef = { ruleId: string; ruleName: string; action: SafetyAction };

/** The verdict on the texts of one call: the strongest action, the texts with masks applied, the hits. */
export interface GuardVerdict {
  action: SafetyAction | null;
  /** Per text given: its masked form, or null when nothing in it was masked. */
  masked: (string | null)[];
  /** The rules that hit, once each, with the action each took. */
  rules: RuleRef[];
}

/** The verdict on a stream's window: with the hits' places and where a match may still be under way. */
export interface StreamVerdict extends GuardVerdict {
  hits: { start: number; end: number; action: SafetyAction }[];
  open: number;
}

/** Who a call is for: the caller's group and App (a policy of the App wins over one of the group). */
export interface Subject {
  /** null: every rule (the admin's test without a group). */
  group: string | null;
  appId?: string | null;
}

/** What the pipeline runs when a policy asks the moderation model: the settings and the judge of its answer. */
export interface ModerationCheck {
  model: string;
  timeoutMs: number;
  failMode: 'open' | 'closed';
  /** The verdict on the model's results (one per text). */
  judge(results: readonly ModerationResult[]): GuardVerdict;
  /** The verdict when the model did not answer: recorded, a block when the policy fails closed. */
  down(): GuardVerdict;
}

/** How often a gateway looks whether the rules changed (another gateway, or the CLI, may change them). */
const REFRESH_MS = 5_000;

/**
 * What the call pipeline and the HTTP layer ask of content safety: the current rules and policies
 * (compiled once per change), a verdict on a call's texts, and the decision record. With no rule
 * enabled for the caller's scope and direction (and no moderation model) `active` is false and a
 * call costs one lookup, nothing more.
 */
export class SafetyGuard {
  private rules = new RuleSet([]);
  private policies = new Map<string, Compiled>();
  private version = '';
  private checkedAt = 0;
  private loading: Promise<void> | null = null;

  constructor(
    private readonly store: SafetyStore,
    private readonly policyStore: PolicyStore,
    private readonly log: Logger,
  ) {}

  /** Loads the rules and policies (at start, and after an admin's change on this gateway). */
  async reload(): Promise<void> {
    const version = `${await this.store.version()}/${await this.policyStore.version()}`;
    this.checkedAt = Date.now();
    if (version === this.version) return;
    const [rules, policies] = await Promise.all([this.store.list(), this.policyStore.list()]);
    this.rules = new RuleSet(rules);
    this.policies = new Map(policies.map((p) => [`${p.scope}:${p.target}`, compile(p)]));
    this.version = version;
  }

  /** The compiled rules (for the admin's test and the moderation endpoint). */
  current(): RuleSet {
    this.refreshSoon();
    return this.rules;
  }

  /** Which rules apply to a caller, with which actions: the App's policy, else the group's, else each rule by its groups. */
  scopeOf(subject: Subject): Scope {
    const p = this.policyOf(subject);
    return p ? { group: subject.group, ruleIds: p.ruleIds, actions: p.actions } : groupScope(subject.group);
  }

  /** Whether anything applies to this caller and direction: a rule, or (on input) a moderation model. */
  active(subject: Subject, direction: Direction): boolean {
    this.refreshSoon();
    return this.rules.applies(this.scopeOf(subject), direction) || (direction === 'input' && this.policyOf(subject)?.moderation != null);
  }

  /** The rules' verdict on a call's texts. */
  inspect(texts: readonly string[], subject: Subject, direction: Direction): GuardVerdict {
    const rules = this.current();
    const scope = this.scopeOf(subject);
    let action: SafetyAction | null = null;
    const seen = new Map<string, RuleRef>();
    const masked = texts.map((text) => {
      const v = rules.check(text, scope, direction);
      if (v.action === null) return null;
      action = stronger(action, v.action);
      for (const h of v.hits) if (!seen.has(h.ruleId)) seen.set(h.ruleId, { ruleId: h.ruleId, ruleName: h.ruleName, action: h.action });
      return v.hits.some((h: Hit) => h.action === 'mask') ? mask(text, v.hits) : null;
    });
    return { action, masked, rules: [...seen.values()] };
  }

  /** The verdict on the hits of `text` ending after `from`: a stream's new text read with the window before it. */
  scan(text: string, from: number, subject: Subject, direction: Direction): StreamVerdict {
    const v = this.current().check(text, this.scopeOf(subject), direction);
    const hits = v.hits.filter((h) => h.end > from);
    let action: SafetyAction | null = null;
    const seen = new Map<string, RuleRef>();
    for (const h of hits) {
      action = stronger(action, h.action);
      if (!seen.has(h.ruleId)) seen.set(h.ruleId, { ruleId: h.ruleId, ruleName: h.ruleName, action: h.action });
    }
    return { action, masked: [null], rules: [...seen.values()], hits: hits.map((h) => ({ start: h.start, end: h.end, action: h.action })), open: v.open };
  }

  /** The moderation model the caller's policy asks on input (null: none). */
  moderation(subject: Subject): ModerationCheck | null {
    const m = this.policyOf(subject)?.moderation;
    if (!m) return null;
    return {
      model: m.model,
      timeoutMs: m.timeoutMs,
      failMode: m.failMode,
      judge: (results) => {
        const rules = categoriesHit(m, results).map((c) => ({ ruleId: moderationRuleId(c), ruleName: `moderation: ${c}`, action: m.action }));
        return { action: rules.length > 0 ? m.action : null, masked: [], rules };
      },
      down: () => {
        const action = m.failMode === 'closed' ? 'block' : 'flag';
        return { action, masked: [], rules: [{ ruleId: MODERATION_DOWN, ruleName: 'moderation unavailable', action }] };
      },
    };
  }

  /** Records a call's decisions (one per rule that hit) without holding the call up; never the text. */
  record(verdict: GuardVerdict, requestId: string, userId: string | null, direction: Direction): void {
    if (verdict.rules.length === 0) return;
    const decisions: Decision[] = verdict.rules.map((r) => ({ requestId, ruleId: r.ruleId, action: r.action, direction, userId }));
    this.store.record(decisions).catch((err) => this.log.error('safety decisions not recorded', err, { requestId }));
  }

  private policyOf(subject: Subject): Compiled | undefined {
    if (this.policies.size === 0) return undefined;
    return (subject.appId ? this.policies.get(`app:${subject.appId}`) : undefined) ?? (subject.group !== null ? this.policies.get(`group:${subject.group}`) : undefined);
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

/** A policy as calls read it. A policy naming no rules leaves each rule to its own groups (the caller's group). */
interface Compiled {
  ruleIds: ReadonlySet<string> | null;
  actions: Readonly<Record<string, SafetyAction>>;
  moderation: ModerationSettings | null;
}

function compile(p: SafetyPolicy): Compiled {
  return { ruleIds: p.ruleIds ? new Set(p.ruleIds) : null, actions: p.actions, moderation: p.moderation };
}

function stronger(a: SafetyAction | null, b: SafetyAction): SafetyAction {
  return a === null || strength(b) > strength(a) ? b : a;
}

function strength(a: SafetyAction): number {
  return a === 'block' ? 3 : a === 'mask' ? 2 : 1;
}
