import { describe, expect, it } from 'vitest';
import { AhoCorasick } from '../../src/safety/aho-corasick.js';
import { normaliseForWords } from '../../src/safety/normalise.js';
import { mask, RuleSet, type SafetyRule } from '../../src/safety/rules.js';
import { T2S_SIZE } from '../../src/safety/t2s.js';

const rule = (over: Partial<SafetyRule>): SafetyRule => ({
  id: over.id ?? 'r1',
  name: over.name ?? 'rule',
  kind: 'words',
  action: 'block',
  words: [],
  pattern: null,
  groups: [],
  directions: ['input', 'output'],
  enabled: true,
  ...over,
});

/** Every occurrence by brute force, to compare the automaton with. */
function naive(words: string[], text: string): string[] {
  const found: string[] = [];
  words.forEach((w, i) => {
    for (let at = text.indexOf(w); at !== -1; at = text.indexOf(w, at + 1)) found.push(`${i}@${at}`);
  });
  return found.sort();
}

describe('Aho–Corasick automaton', () => {
  it('finds every occurrence, overlapping and nested ones included (the textbook he/she/his/hers case)', () => {
    const words = ['he', 'she', 'his', 'hers'];
    const got = new AhoCorasick(words).search('ushers').map((m) => `${words[m.word]}@${m.start}-${m.end}`);
    expect(got.sort()).toEqual(['he@2-4', 'hers@2-6', 'she@1-4']);
  });

  it('agrees with a brute-force search on random words and texts', () => {
    let seed = 7;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2147483648), seed % n);
    const alphabet = 'ab坏词c';
    const str = (len: number) => Array.from({ length: len }, () => alphabet[rnd(alphabet.length)]).join('');
    for (let round = 0; round < 50; round++) {
      const words = [...new Set(Array.from({ length: 1 + rnd(12) }, () => str(1 + rnd(4))))];
      const text = str(rnd(80));
      const got = new AhoCorasick(words).search(text).map((m) => `${m.word}@${m.start}`).sort();
      expect(got).toEqual(naive(words, text));
    }
  });

  it('finds nothing with no words', () => {
    expect(new AhoCorasick([]).search('anything')).toEqual([]);
  });
});

describe('normalisation', () => {
  it('folds full-width letters, case, separators and traditional characters', () => {
    expect(normaliseForWords('ＢＡＤ Word').text).toBe('badword');
    expect(normaliseForWords('b.a-d_w o r d!').text).toBe('badword');
    expect(normaliseForWords('賭博 網站').text).toBe('赌博网站');
  });

  it('keeps the way back to the original characters', () => {
    const n = normaliseForWords('x B a d');
    expect([...n.from]).toEqual([0, 2, 4, 6]);
  });

  it('has a table of several hundred traditional characters', () => {
    expect(T2S_SIZE).toBe(531);
  });
});

describe('rule set', () => {
  const set = new RuleSet([
    rule({ id: 'gamble', name: 'gambling', words: ['赌博', 'casino'], action: 'block' }),
    rule({ id: 'swear', name: 'swearing', words: ['darn'], action: 'mask' }),
    rule({ id: 'phone', name: 'phone', kind: 'regex', pattern: '1[3-9]\\d{9}', action: 'flag' }),
    rule({ id: 'vip', name: 'vip only', words: ['secret'], action: 'block', groups: ['vip'] }),
    rule({ id: 'off', name: 'disabled', words: ['hello'], enabled: false }),
  ]);

  it('blocks a listed word, in its full-width, spaced-out and traditional variants', () => {
    for (const text of ['go to the casino', 'go to the ＣＡＳＩＮＯ', 'go to the c a s i n o', 'c*a*s*i*n*o', '我们去赌博吧', '我們去賭博吧'])
      expect(set.check(text, 'default', 'input').action, text).toBe('block');
  });

  it('masks the characters of a masked word in the original text', () => {
    const text = 'oh D a r n it';
    const v = set.check(text, 'default', 'output');
    expect(v.action).toBe('mask');
    expect(mask(text, v.hits)).toBe('oh ******* it');
  });

  it('flags a regular-expression hit over full-width digits', () => {
    const v = set.check('call １３８００１３８０００ now', 'default', 'input');
    expect(v.action).toBe('flag');
    expect(v.hits.map((h) => h.ruleId)).toEqual(['phone']);
  });

  it('applies a group rule to its group only, and never a disabled rule', () => {
    expect(set.check('a secret', 'default', 'input').action).toBeNull();
    expect(set.check('a secret', 'vip', 'input').action).toBe('block');
    expect(set.check('hello', 'default', 'input').action).toBeNull();
  });

  it('reports the strongest action when several rules hit', () => {
    const v = set.check('darn casino', 'default', 'input');
    expect(v.action).toBe('block');
    expect(v.hits.map((h) => h.ruleId).sort()).toEqual(['gamble', 'swear']);
  });

  it('applies a rule to its directions only', () => {
    const s = new RuleSet([rule({ words: ['x1'], directions: ['output'] })]);
    expect(s.check('x1', null, 'input').action).toBeNull();
    expect(s.check('x1', null, 'output').action).toBe('block');
    expect(s.applies('g', 'input')).toBe(false);
  });
});
