// Token counting with the real o200k_base tokenizer. The simulator reports usage the way a
// provider would, so the gateway's metering can be checked against an independent count.
import { countTokens, decode, encode } from 'gpt-tokenizer';

// Treat special-token text (e.g. "<|endoftext|>") in prompts as plain text instead of throwing.
const AS_TEXT = { disallowedSpecial: new Set<string>() };

/** Per-instance counter; the small cache keeps repeated prompts/replies (benchmarks) cheap. */
export class TokenCounter {
  private cache = new Map<string, number>();

  count(text: string): number {
    if (!text) return 0;
    const hit = this.cache.get(text);
    if (hit !== undefined) return hit;
    const n = countTokens(text, AS_TEXT);
    if (text.length <= 4096) {
      if (this.cache.size >= 512) this.cache.clear();
      this.cache.set(text, n);
    }
    return n;
  }

  /** Keeps at most `max` tokens of `text`. */
  truncate(text: string, max: number): { text: string; truncated: boolean } {
    if (max <= 0) return { text: '', truncated: text.length > 0 };
    // Cheap exit: a token is at least one character.
    if (text.length <= max) return { text, truncated: false };
    const ids = encode(text, AS_TEXT);
    if (ids.length <= max) return { text, truncated: false };
    // A cut may land inside a multi-byte character; drop the replacement char it leaves.
    return { text: decode(ids.slice(0, max)).replace(/\uFFFD+$/, ''), truncated: true };
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
