import { describe, expect, it } from 'vitest';
import { splitEven, TokenCounter } from '../src/tokens.js';
import { sampleFromSchema } from '../src/generate.js';
import { tok } from './helpers.js';

describe('token helpers', () => {
  it('truncates to a prefix that never exceeds the limit, even inside multi-byte characters', () => {
    const t = new TokenCounter();
    for (const s of ['你好世界，今天天气怎么样', '𝒳𝒴𝒵 emoji 🎉🎉🎉', 'The quick brown fox jumps over the lazy dog']) {
      for (const max of [0, 1, 2, 3, 5, 8]) {
        const r = t.truncate(s, max);
        expect(s.startsWith(r.text)).toBe(true);
        expect(tok(r.text)).toBeLessThanOrEqual(max);
        expect(r.truncated).toBe(tok(s) > max);
      }
    }
    expect(t.count('<|endoftext|>')).toBeGreaterThan(1); // special tokens are counted as text
  });

  it('splits text into even pieces without breaking surrogate pairs', () => {
    const parts = splitEven('ab🎉cd🎉ef', 4);
    expect(parts).toHaveLength(4);
    expect(parts.join('')).toBe('ab🎉cd🎉ef');
    expect(parts.every((p) => !/[\uD800-\uDBFF]$/.test(p))).toBe(true);
    expect(splitEven('hi', 8)).toEqual(['h', 'i']);
  });

  it('samples values from JSON schemas', () => {
    expect(sampleFromSchema({ type: 'object', properties: { city: { type: 'string' }, n: { type: 'number' }, ok: { type: 'boolean' }, tags: { type: 'array', items: { type: 'string' } }, when: { type: 'string', format: 'date' }, kind: { enum: ['a', 'b'] }, opt: { type: ['null', 'integer'] } } }, '')).toEqual({
      city: 'Paris',
      n: 1,
      ok: true,
      tags: ['Paris'],
      when: '2025-01-01',
      kind: 'a',
      opt: 1,
    });
  });
});
