import { describe, expect, it } from 'vitest';
import { startSimulator } from '@apigpt/simulator';
import { splitEven, TokenCounter } from '../src/tokens.js';
import { sampleFromSchema } from '../src/generate.js';
import { postJson, tok } from './helpers.js';

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

describe('a counter given in place of gpt-tokenizer', () => {
  // Counts code points: easy to check by eye, and unlike o200k_base ("abcd" is one token there).
  const codePoints = (s: string) => Array.from(s).length;

  it('counts with it, and truncates to the longest code-point prefix within the limit', () => {
    const t = new TokenCounter(codePoints);
    expect(t.count('abcd')).toBe(4);
    expect(t.count('你好🎉')).toBe(3);
    expect(t.truncate('你好世界🎉ok', 5)).toEqual({ text: '你好世界🎉', truncated: true });
    expect(t.truncate('你好世界🎉ok', 0)).toEqual({ text: '', truncated: true });
    expect(t.truncate('你好', 2)).toEqual({ text: '你好', truncated: false });
  });

  it('reports usage with it over HTTP: a chat whose prompt is four code points longer has four more prompt tokens, and max_tokens cuts by it', async () => {
    const sim = await startSimulator({ countTokens: codePoints, defaults: { ttftMs: 0, chunkDelayMs: 0 } });
    try {
      const ask = async (content: string, extra: object = {}) => {
        const res = await postJson(`${sim.url}/v1/chat/completions`, { model: 'gpt-4o-mini', messages: [{ role: 'user', content }], ...extra });
        expect(res.status).toBe(200);
        return (await res.json()) as { usage: { prompt_tokens: number; completion_tokens: number }; choices: { message: { content: string }; finish_reason: string }[] };
      };
      const short = await ask('abcd');
      const long = await ask('abcdefgh');
      expect(long.usage.prompt_tokens - short.usage.prompt_tokens).toBe(4);
      const cut = await ask('abcd', { max_tokens: 7 });
      expect(cut.choices[0].finish_reason).toBe('length');
      expect(Array.from(cut.choices[0].message.content)).toHaveLength(7);
      expect(cut.usage.completion_tokens).toBe(7);
    } finally {
      await sim.close();
    }
  });
});
