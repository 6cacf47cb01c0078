// Token counting with the real o200k_base tokenizer. The simulator reports usage the way a
// provider would, so the gateway's metering can be checked against an independent count.
import { createRequire } from 'node:module';

type Tokenizer = typeof import('gpt-tokenizer');
let loaded: Tokenizer | undefined;
/**
 * The o200k_base tables take about 50 MB once loaded: they load at the first count, not when the
 * simulator starts, so a gateway running its demo simulator holds them only once a call needs them.
 * Synchronous (CommonJS require) because counting happens inside a reply's construction.
 */
export function tokenizer(): Tokenizer {
  loaded ??= createRequire(import.meta.url)('gpt-tokenizer') as Tokenizer;
  return loaded;
}

// Treat special-token text (e.g. "<|endoftext|>") in prompts as plain text instead of throwing.
const AS_TEXT = { disallowedSpecial: new Set<string>() };

/** Per-instance counter; the small cache keeps repeated prompts/replies (benchmarks) cheap. */
export class TokenCounter {
  private cache = new Map<string, number>();

  /** @param counter counts in place of gpt-tokenizer (`SimulatorOptions.countTokens`) */
  constructor(private readonly counter?: (text: string) => number) {}

  count(text: string): number {
    if (!text) return 0;
    const hit = this.cache.get(text);
    if (hit !== undefined) return hit;
    const n = this.counter ? this.counter(text) : tokenizer().countTokens(text, AS_TEXT);
    if (text.length <= 4096) {
      if (this.cache.size >= 512) this.cache.clear();
      this.cache.set(text, n);
    }
    return n;
  }

  /** Keeps at most `max` tokens of `text`. */
  truncate(text: string, max: number): { text: string; truncated: boolean } {
    if (max <= 0) return { text: '', truncated: text.length > 0 };
    // Cheap exit: a token covers at least one UTF-8 byte, and a UTF-16 unit is at most 3 bytes.
    if (text.length * 3 <= max) return { text, truncated: false };
    if (this.counter) {
      // A counter without token ids: the binary search below finds the prefix by counts alone.
      if (this.count(text) <= max) return { text, truncated: false };
    } else {
      const ids = tokenizer().encode(text, AS_TEXT);
      if (ids.length <= max) return { text, truncated: false };
      // Usually the decoded token prefix is a text prefix. A cut inside a multi-byte character
      // leaves replacement chars instead; then binary-search the longest code-point prefix that
      // still fits, so the reported count never exceeds the limit.
      const cut = tokenizer().decode(ids.slice(0, max));
      if (text.startsWith(cut) && !cut.endsWith('\uFFFD')) return { text: cut, truncated: true };
    }
    const chars = Array.from(text);
    let lo = 0;
    let hi = chars.length;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.count(chars.slice(0, mid).join('')) <= max) lo = mid;
      else hi = mid - 1;
    }
    return { text: chars.slice(0, lo).join(''), truncated: true };
  }
}

/** Splits text into `n` pieces of near-equal length without breaking surrogate pairs. */
export function splitEven(text: string, n: number): string[] {
  const count = Math.max(1, Math.floor(n));
  if (count === 1 || text.length <= 1) return [text];
  const chars = Array.from(text);
  const parts = Math.min(count, chars.length);
  const out: string[] = [];
  let start = 0;
  for (let i = 1; i <= parts; i++) {
    const end = Math.round((chars.length * i) / parts);
    out.push(chars.slice(start, end).join(''));
    start = end;
  }
  return out;
}
