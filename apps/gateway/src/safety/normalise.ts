import { T2S } from './t2s.js';

/**
 * Text as the rules see it, with the way back: `text[i]` came from `from[i]` of the original, so a
 * match over the normalised text masks the right characters of the original.
 */
export interface Normalised {
  text: string;
  /** Per code unit of `text`: the index of the original code unit it came from. */
  from: Int32Array;
}

/**
 * Word matching: full-width → half-width, lower case, traditional → simplified, and every
 * separator (white space, punctuation, symbols, control characters) dropped, so `b a d`, `b.a.d`,
 * `ＢＡＤ` and `Ｂ*Ａ*Ｄ` all read `bad`. Dropping separators also joins words ("class" contains
 * "ass"): that is the usual price of catching spaced-out words, and why short Latin words belong in
 * regular-expression rules with `\b`.
 */
export function normaliseForWords(input: string): Normalised {
  return fold(input, true);
}

/** Regular expressions: the same folding, separators kept (so `\b`, `\d{3}-\d{4}` keep their meaning). */
export function normaliseForPatterns(input: string): Normalised {
  return fold(input, false);
}

/** A word or a list entry as the automaton stores it (the same folding the text gets). */
export function normaliseWord(word: string): string {
  return fold(word, true).text;
}

// Separator test per code unit: ASCII by table, the rest by Unicode class (cached: a text repeats
// its characters, and the regular expression is the slow part).
const SEPARATOR = /^[\p{Z}\p{P}\p{S}\p{C}]$/u;
const separatorCache = new Map<number, boolean>();
const ASCII_SEP = new Uint8Array(128);
for (let c = 0; c < 128; c++) ASCII_SEP[c] = /[0-9a-zA-Z]/.test(String.fromCharCode(c)) ? 0 : 1;

function isSeparator(c: number): boolean {
  if (c < 128) return ASCII_SEP[c] === 1;
  // Surrogates are halves of astral characters (emoji among them): kept, matched as they are.
  if (c >= 0xd800 && c <= 0xdfff) return false;
  let v = separatorCache.get(c);
  if (v === undefined) {
    v = SEPARATOR.test(String.fromCharCode(c));
    if (separatorCache.size < 4096) separatorCache.set(c, v);
  }
  return v;
}

function fold(input: string, dropSeparators: boolean): Normalised {
  const from = new Int32Array(input.length);
  const out: number[] = [];
  let n = 0;
  for (let i = 0; i < input.length; i++) {
    let c = input.charCodeAt(i);
    // Full-width ASCII (U+FF01–FF5E) and the ideographic space.
    if (c >= 0xff01 && c <= 0xff5e) c -= 0xfee0;
    else if (c === 0x3000) c = 0x20;
    if (c >= 0x41 && c <= 0x5a) c += 0x20;
    else if (c >= 0x80) {
      const s = T2S.get(c);
      if (s !== undefined) c = s;
      else if (c >= 0xc0 && c <= 0x24f) {
        // Latin letters with case beyond ASCII (É → é).
        const lower = String.fromCharCode(c).toLowerCase();
        if (lower.length === 1) c = lower.charCodeAt(0);
      }
    }
    if (dropSeparators && isSeparator(c)) continue;
    out.push(c);
    from[n++] = i;
  }
  return { text: fromCodes(out), from: from.subarray(0, n) };
}

/** `String.fromCharCode(...)` takes a limited number of arguments: long texts go through in parts. */
function fromCodes(codes: number[]): string {
  if (codes.length <= 8192) return String.fromCharCode(...codes);
  let s = '';
  for (let i = 0; i < codes.length; i += 8192) s += String.fromCharCode(...codes.slice(i, i + 8192));
  return s;
}
