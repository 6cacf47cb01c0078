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
}

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

  /** Whether any rule could apply to this group and direction (the hot path's early exit). */
  applies(group: string | null, direction: Direction): boolean {
    return !this.empty && this.rules.some((r) => applies(r, group, direction));
  }

  /** The rules' verdict on `text`, for a caller in `group` (null: every rule, as the admin's test does). */
  check(text: string, group: string | null, direction: Direction): Verdict {
    const hits: Hit[] = [];
    if (this.empty || !text) return { action: null, hits };
    if (this.automaton.size > 0) {
      const norm = normaliseForWords(text);
      for (const m of this.automaton.search(norm.text)) {
        for (const ri of this.wordRules[m.word]) {
          const r = this.rules[ri];
          if (applies(r, group, direction)) hits.push(hit(r, norm, m.start, m.end));
        }
      }
    }
    if (this.patterns.length > 0) {
      let norm: Normalised | null = null;
      for (const p of this.patterns) {
        const r = this.rules[p.rule];
        if (!applies(r, group, direction)) continue;
        norm ??= normaliseForPatterns(text);
        p.re.lastIndex = 0;
        for (const m of norm.text.matchAll(p.re)) {
          if (m[0].length === 0) continue;
          hits.push(hit(r, norm, m.index!, m.index! + m[0].length));
        }
      }
    }
    let action: SafetyAction | null = null;
    for (const h of hits) if (action === null || STRENGTH[h.action] > STRENGTH[action]) action = h.action;
    return { action, hits };
  }
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

function applies(r: SafetyRule, group: string | null, direction: Direction): boolean {
  return r.directions.includes(direction) && (group === null || r.groups.length === 0 || r.groups.includes(group));
}

/** A hit mapped back to the original: from the first matched unit to just after the last one. */
function hit(r: SafetyRule, norm: Normalised, start: number, end: number): Hit {
  const last = norm.from[end - 1];
  return { ruleId: r.id, ruleName: r.name, action: r.action, start: norm.from[start], end: last + 1 };
}
