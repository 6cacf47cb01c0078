import { readFileSync } from 'node:fs';
import { countTokens as reference } from 'gpt-tokenizer';
import { describe, expect, it } from 'vitest';
import { BpeCounter } from '../../src/formats/bpe.js';
import { countTokens } from '../../src/formats/tokens.js';

/**
 * The gateway's o200k_base counter (formats/bpe.ts, from the compact table the build writes) against
 * gpt-tokenizer, the package the table is made from: the same count for every text.
 */
const PLAIN = { disallowedSpecial: new Set<string>() };
const table = BpeCounter.load(new URL('../../dist/formats/o200k_base.bin', import.meta.url));

const SAMPLES = [
  'Hello world! How are you doing today?',
  '你好，世界。今天天气很好，我们去公园散步吧。',
  'こんにちは世界、日本語のテキストです。',
  '안녕하세요 세계',
  'ثم اختبار النص العربي',
  'Привет, мир! Как дела?',
  'Ünïcödé façade naïve — “quotes” and ‘single’',
  '   leading and trailing   ',
  'function foo(a, b) {\n  return a + b; // sum\n}\n',
  '12345678901234567890 3.14159 1,000,000',
  'emoji 😀🎉👍🏽 family 👨‍👩‍👧‍👦 flags 🇨🇳🇺🇸',
  '<|endoftext|> special <|im_start|>user<|im_end|>',
  "I'm can't won't they're WE'LL You'VE",
  'a'.repeat(48),
  ' '.repeat(300) + 'x',
  '\t\t\n\n\r\n  \n',
  'https://example.com/path?q=1&x=y#frag',
  '\uD800 a lone surrogate',
  '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}',
];

describe('the o200k_base token count', () => {
  it('matches gpt-tokenizer on texts in many scripts, code, numbers, emoji, whitespace and special-token markup', () => {
    for (const s of SAMPLES) expect(table.count(s), JSON.stringify(s)).toBe(reference(s, PLAIN));
  });

  it('matches gpt-tokenizer on 2,000 random texts mixing scripts, punctuation and whitespace', () => {
    const chars = [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 \n\t.,;:!?-_()[]{}<>/\\\'"你好世界中文测试日本語한국어😀éüßñ'];
    let seed = 19;
    const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    const mismatches: string[] = [];
    for (let k = 0; k < 2000; k++) {
      let s = '';
      for (let i = Math.floor(rnd() * 160); i > 0; i--) s += chars[Math.floor(rnd() * chars.length)];
      if (table.count(s) !== reference(s, PLAIN)) mismatches.push(s);
    }
    expect(mismatches).toEqual([]);
  });

  it('matches gpt-tokenizer on a long document (this repository’s README)', () => {
    const readme = readFileSync(new URL('../../../../README.md', import.meta.url), 'utf8');
    const n = table.count(readme);
    expect(n).toBeGreaterThan(10_000);
    expect(n).toBe(reference(readme, PLAIN));
  });

  it('is what the gateway counts with (formats/tokens.ts)', () => {
    for (const s of SAMPLES.filter(Boolean)) expect(countTokens(s), JSON.stringify(s)).toBe(reference(s, PLAIN));
    expect(countTokens('')).toBe(0);
  });

  it('matches gpt-tokenizer on long single pieces (runs of a letter, punctuation, CJK, mixed letters), merged with the heap', () => {
    // Each is one piece of the split pattern, longer than the scan's limit (64 bytes).
    const runs = ['a'.repeat(5000), '.'.repeat(3001), '中'.repeat(2000), '=-'.repeat(1500), 'ab'.repeat(2500), 'Ab'.repeat(777), 'é'.repeat(999), '😀'.repeat(300)];
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    // Random words from a small alphabet, so that many different merges happen in one piece.
    for (let k = 0; k < 200; k++) {
      let s = '';
      for (let i = 22 + Math.floor(rnd() * 600); i > 0; i--) s += 'aeinrstlo'[Math.floor(rnd() * 9)];
      runs.push(s);
    }
    const mismatches = runs.filter((s) => table.count(s) !== reference(s, PLAIN)).map((s) => s.slice(0, 40));
    expect(mismatches).toEqual([]);
  });

  it('counts a 200,000-character run of one character as gpt-tokenizer would', () => {
    // tiktoken's merge scans every pair per step: quadratic, and a prompt of one repeated
    // character once blocked the event loop for seconds. 1 token per "中", 8 "a" per token.
    expect(table.count('中'.repeat(200_000))).toBe(200_000);
    expect(table.count('a'.repeat(200_000))).toBe(25_000);
  });
});
