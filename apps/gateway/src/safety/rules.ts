import { AhoCorasick } from './aho-corasick.js';
import { normaliseForPatterns, normaliseForWords, normaliseWord, type Normalised } from './normalise.js';

export type SafetyAction = 'block' | 'mask' | 'flag';
export type SafetyKind = 'words' | 'regex';
export type Direction = 'input' | 'output';

/** A rule as an admin states it (stored in `safety_rules`). */
export interface SafetyRule {
  id: string;
  name: string;
  kind: SafetyKind;
  action: SafetyAction;
  /** `words`: the list; `regex`: one pattern (JavaScript syntax, matched case-insensitively). */
  words: string[];
  pattern: string | null;
  /** User groups the rule applies to; empty: every group. */
  groups: string[];
  /** Which side of the call it checks. */
  directions: Direction[];
  enabled: boolean;
}

/** One rule's hit, with where it is in the original text (for masking). */
export interface Hit {
  ruleId: string;
  ruleName: string;
  action: SafetyAction;
  start: number;
  end: number;
}

/** What the rules say of one text: the strongest action and the hits behind it. */
export interface Verdict {
  action: SafetyAction | null;
  hits: Hit[];
  /**
   * Where in the text a masking or blocking match may still be under way (the text's length when
   * none): a stream holds the text from here back until the next chunk says how it goes on.
   */
  open: number;
}

/**
 * Which rules apply to a caller, and with which action: by default each rule by its own `groups`;
 * a policy (per user group or per App, `policies.ts`) names the rules and may change their actions.
 */
export interface Scope {
  /** The caller's group (null: every rule, as the admin's test does). */
  group: string | null;
  /** The rules a policy names (null: each rule by its own groups). */
  ruleIds: ReadonlySet<string> | null;
  /** Per rule id: the action the policy gives it instead of the rule's own. */
  actions: Readonly<Record<string, SafetyAction>>;
}

/** The default scope: every rule whose groups include `group` (or list none), with its own action. */
export function groupScope(group: string | null): Scope {
  return { group, ruleIds: null, actions: {} };
}

/**
 * How many characters a stream holds back when a masking or blocking regular expression applies:
 * a pattern's match cannot be known to be complete early, so a match split across chunks is
 * caught when it is at most this long.
 */
export const PATTERN_HOLD = 64;

const STRENGTH: Record<SafetyAction, number> = { flag: 1, mask: 2, block: 3 };

/**
 * The enabled rules compiled once: every word of every list in one automaton (one pass over the
 * text whatever the number of words), regular expressions compiled with the `giu` flags. Which
 * rules apply depends on the caller's group and the direction; filtering happens on the hits, so
 * the automaton is shared.
 */
export class RuleSet {
  private readonly rules: SafetyRule[];
  private readonly automaton: AhoCorasick;
  /** Per automaton word: the rules listing it. */
  private readonly wordRules: number[][];
  private readonly patterns: { rule: number; re: RegExp }[];
  readonly empty: boolean;

  constructor(rules: readonly SafetyRule[]) {
    this.rules = rules.filter((r) => r.enabled);
    const index = new Map<string, number>();
    const words: string[] = [];
    this.wordRules = [];
    this.patterns = [];
    this.rules.forEach((r, ri) => {
      if (r.kind === 'regex') {
        if (r.pattern) this.patterns.push({ rule: ri, re: compilePattern(r.pattern) });
        return;
      }
      for (const w of r.words) {
        const n = normaliseWord(w);
        if (!n) continue;
        let wi = index.get(n);
        if (wi === undefined) {
          wi = words.push(n) - 1;
          index.set(n, wi);
          this.wordRules.push([]);
        }
        if (!this.wordRules[wi].includes(ri)) this.wordRules[wi].push(ri);
      }
    });
    this.automaton = new AhoCorasick(words);
    this.empty = this.rules.length === 0;
  }

  /** Whether any rule could apply to this scope and direction (the hot path's early exit). */
  applies(scope: Scope | string | null, direction: Direction): boolean {
    const s = asScope(scope);
    return !this.empty && this.rules.some((r) => applies(r, s, direction));
  }

  /** The rules' verdict on `text` for a caller's scope (a group name: the default scope of that group). */
  check(text: string, scope: Scope | string | null, direction: Direction): Verdict {
    const s = asScope(scope);
    const hits: Hit[] = [];
    let open = text.length;
    if (this.empty || !text) return { action: null, hits, open };
    if (this.automaton.size > 0) {
      const norm = normaliseForWords(text);
      const { found, open: depth } = this.automaton.scan(norm.text);
      for (const m of found) {
        for (const ri of this.wordRules[m.word]) {
          const r = this.rules[ri];
          if (applies(r, s, direction)) hits.push(hit(r, s, norm, m.start, m.end));
        }
      }
      if (depth > 0) open = norm.from[norm.text.length - depth];
    }
    if (this.patterns.length > 0) {
      let norm: Normalised | null = null;
      for (const p of this.patterns) {
        const r = this.rules[p.rule];
        if (!applies(r, s, direction)) continue;
        if ((s.actions[r.id] ?? r.action) !== 'flag') open = Math.min(open, Math.max(0, text.length - PATTERN_HOLD));
        norm ??= normaliseForPatterns(text);
        p.re.lastIndex = 0;
        for (const m of norm.text.matchAll(p.re)) {
          if (m[0].length === 0) continue;
          hits.push(hit(r, s, norm, m.index!, m.index! + m[0].length));
        }
      }
    }
    let action: SafetyAction | null = null;
    for (const h of hits) if (action === null || STRENGTH[h.action] > STRENGTH[action]) action = h.action;
    return { action, hits, open };
  }
}

function asScope(scope: Scope | string | null): Scope {
  return scope !== null && typeof scope === 'object' ? scope : groupScope(scope);
}

/** A stored pattern as the engine runs it; throws SyntaxError for an invalid one (checked when saved). */
export function compilePattern(pattern: string): RegExp {
  return new RegExp(pattern, 'giu');
}

/**
 * `text` with the masking hits replaced by `*`, one per character of the original, so the length
 * (and anything counting characters) stays. Overlapping hits mask their union.
 */
export function mask(text: string, hits: readonly Hit[]): string {
  const spans = hits.filter((h) => h.action === 'mask').sort((a, b) => a.start - b.start);
  if (spans.length === 0) return text;
  let out = '';
  let at = 0;
  for (const h of spans) {
    if (h.end <= at) continue;
    const start = Math.max(h.start, at);
    out += text.slice(at, start) + '*'.repeat(countChars(text.slice(start, h.end)));
    at = h.end;
  }
  return out + text.slice(at);
}

function countChars(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

function applies(r: SafetyRule, s: Scope, direction: Direction): boolean {
  if (!r.directions.includes(direction)) return false;
  if (s.ruleIds) return s.ruleIds.has(r.id);
  return s.group === null || r.groups.length === 0 || r.groups.includes(s.group);
}

/** A hit mapped back to the original: from the first matched unit to just after the last one. */
function hit(r: SafetyRule, s: Scope, norm: Normalised, start: number, end: number): Hit {
  const last = norm.from[end - 1];
  return { ruleId: r.id, ruleName: r.name, action: s.actions[r.id] ?? r.action, start: norm.from[start], end: last + 1 };
}
