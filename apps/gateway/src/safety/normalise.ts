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

/**
 * What each code unit becomes, computed once for all 65 536: full-width ASCII (U+FF01–FF5E) and
 * the ideographic space to ASCII, upper to lower case (ASCII and Latin-1/Extended-A letters),
 * traditional to simplified. A table lookup per character is what keeps a check in microseconds.
 */
const FOLD = (() => {
  const t = new Uint16Array(65536);
  for (let c = 0; c < 65536; c++) {
    let v = c;
    if (v >= 0xff01 && v <= 0xff5e) v -= 0xfee0;
    else if (v === 0x3000) v = 0x20;
    if (v >= 0x41 && v <= 0x5a) v += 0x20;
    else if (v >= 0xc0 && v <= 0x24f) {
      const lower = String.fromCharCode(v).toLowerCase();
      if (lower.length === 1) v = lower.charCodeAt(0);
    }
    t[c] = T2S.get(v) ?? v;
  }
  return t;
})();

/**
 * Separators (white space, punctuation, symbols, control and format characters) by folded code
 * unit: 1 for a separator. Surrogates are halves of astral characters (emoji among them): kept.
 */
const SEPARATOR = (() => {
  const t = new Uint8Array(65536);
  const re = /^[\p{Z}\p{P}\p{S}\p{C}]$/u;
  for (let c = 0; c < 65536; c++) if ((c < 0xd800 || c > 0xdfff) && re.test(String.fromCharCode(c))) t[c] = 1;
  return t;
})();

function fold(input: string, dropSeparators: boolean): Normalised {
  const from = new Int32Array(input.length);
  const out = new Uint16Array(input.length);
  let n = 0;
  for (let i = 0; i < input.length; i++) {
    const c = FOLD[input.charCodeAt(i)];
    if (dropSeparators && SEPARATOR[c] === 1) continue;
    out[n] = c;
    from[n++] = i;
  }
  return { text: fromCodes(out, n), from: from.subarray(0, n) };
}

/** The first `n` code units as a string; `fromCharCode.apply` takes a bounded argument count, so long texts go in parts. */
function fromCodes(codes: Uint16Array, n: number): string {
  if (n <= 8192) return String.fromCharCode.apply(null, codes.subarray(0, n) as unknown as number[]);
  let s = '';
  for (let i = 0; i < n; i += 8192) s += String.fromCharCode.apply(null, codes.subarray(i, Math.min(n, i + 8192)) as unknown as number[]);
  return s;
}
