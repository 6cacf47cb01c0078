import { ChangeWatch } from '../core/change-watch.js';
import type { Logger } from '../core/logger.js';
import { categoriesHit, MODERATION_DOWN, moderationRuleId, type ModerationResult } from './moderation.js';
import { moderationDirections, type ModerationSettings, type PolicyStore, type SafetyPolicy } from './policies.js';
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
  input: boolean;
  output: boolean;
  timeoutMs: number;
  failMode: 'open' | 'closed';
  /** The verdict on the model's results (one per text). */
  judge(results: readonly ModerationResult[]): GuardVerdict;
  /** The verdict when the model did not answer: recorded, a block when the policy fails closed. */
  down(): GuardVerdict;
}

/** The tables whose change token tells a gateway its rules or policies changed. */
export const SAFETY_TABLES: readonly string[] = ['safety_rules', 'safety_policies'];

/**
 * What applies to one caller (its group and App), decided once per change of the rules and
 * policies and kept: the hot path's one question, answered without allocating.
 */
export interface GuardPlan {
  subject: Subject & { appId: string | null };
  /** A rule checks the caller's input. */
  input: boolean;
  /** A rule checks the answer (a stream is then read by a StreamScreen). */
  output: boolean;
  /** The moderation model the caller's policy asks on input. */
  moderation: ModerationCheck | null;
}

/** Nothing applies: no rule is enabled and no policy asks a moderation model. */
const NOTHING: GuardPlan = Object.freeze({ subject: Object.freeze({ group: null, appId: null }), input: false, output: false, moderation: null });
/** Callers' plans kept per group at most (groups are few; past this the map starts over). */
const MAX_PLANS = 10_000;

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
  private readonly watch: ChangeWatch;
  /** No rule enabled, no moderation model: every caller's plan is NOTHING. */
  private nothing = true;
  /** The Apps that have a policy of their own. */
  private appPolicies = new Set<string>();
  /** Plans of those Apps and of groups, made on first use. */
  private appPlans = new Map<string, GuardPlan>();
  private groupPlans = new Map<string, GuardPlan>();

  constructor(
    private readonly store: SafetyStore,
    private readonly policyStore: PolicyStore,
    private readonly log: Logger,
    /** The database's change token (storage/database.ts): a change by any process is seen at the next call. */
    changeToken?: (tables: readonly string[]) => number,
  ) {
    this.watch = new ChangeWatch(SAFETY_TABLES, () => this.load(), (err) => this.log.warn('safety rules not reloaded', { err: String(err) }), changeToken);
  }

  /** Loads the rules and policies (at start, on a change, and after an admin's change on this gateway). */
  reload(): Promise<void> {
    return this.watch.reload();
  }

  /**
   * Null when the rules in hand are current (the hot path: one comparison, no await); else the
   * reload that makes them so. It never rejects: a database that does not answer leaves the rules
   * in hand in force (logged).
   */
  fresh(): Promise<void> | null {
    return this.watch.fresh();
  }

  private async load(): Promise<void> {
    const version = `${await this.store.version()}/${await this.policyStore.version()}`;
    if (version !== this.version) {
      const [rules, policies] = await Promise.all([this.store.list(), this.policyStore.list()]);
      this.rules = new RuleSet(rules);
      this.policies = new Map(policies.map((p) => [`${p.scope}:${p.target}`, compile(p)]));
      this.version = version;
      this.nothing = this.rules.empty && ![...this.policies.values()].some((p) => p.moderation !== null);
      this.groupPlans = new Map();
      this.appPlans = new Map();
      this.appPolicies = new Set(policies.filter((p) => p.scope === 'app').map((p) => p.target));
    }
  }

  /**
   * What applies to a caller of `group` (through `appId`): a kept plan, never allocated per call.
   * With no rule and no moderation model, the same NOTHING for everyone.
   */
  plan(group: string, appId: string | null): GuardPlan {
    if (this.nothing) return NOTHING;
    if (appId !== null && this.appPolicies.size > 0 && this.appPolicies.has(appId)) {
      // An App's policy naming no rules leaves them to the caller's group: kept with the group it was made for.
      let own = this.appPlans.get(appId);
      if (!own || own.subject.group !== group) {
        own = this.planOf({ group, appId });
        if (this.appPlans.size >= MAX_PLANS) this.appPlans = new Map();
        this.appPlans.set(appId, own);
      }
      return own;
    }
    let p = this.groupPlans.get(group);
    if (!p) {
      // A caller without an App policy: its group's policy, else each rule by its groups.
      p = this.planOf({ group, appId: null });
      if (this.groupPlans.size >= MAX_PLANS) this.groupPlans = new Map();
      this.groupPlans.set(group, p);
    }
    return p;
  }

  private planOf(subject: Subject & { appId: string | null }): GuardPlan {
    const scope = this.scopeOf(subject);
    const m = this.policyOf(subject)?.moderation ?? null;
    return { subject, input: this.rules.applies(scope, 'input'), output: this.rules.applies(scope, 'output'), moderation: m ? this.moderation(subject) : null };
  }

  /** The compiled rules (for the admin's test and the moderation endpoint); a change is picked up in the background. */
  current(): RuleSet {
    void this.fresh();
    return this.rules;
  }

  /** Which rules apply to a caller, with which actions: the App's policy, else the group's, else each rule by its groups. */
  scopeOf(subject: Subject): Scope {
    const p = this.policyOf(subject);
    return p ? { group: subject.group, ruleIds: p.ruleIds, actions: p.actions } : groupScope(subject.group);
  }

  /** The rules' verdict on a call's texts. */
  inspect(texts: readonly string[], subject: Subject, direction: Direction): GuardVerdict {
    const rules = this.rules;
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
    const v = this.rules.check(text, this.scopeOf(subject), direction);
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
    const directions = moderationDirections(m);
    return {
      model: m.model,
      input: directions.includes('input'),
      output: directions.includes('output'),
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
