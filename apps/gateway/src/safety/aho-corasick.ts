/**
 * An Aho–Corasick automaton over UTF-16 code units: every occurrence of thousands of words in one
 * pass over the text, whatever the number of words.
 *
 * Speed comes from three choices: code units are first mapped to a compact alphabet (only those
 * that occur in some word; any other unit sends the automaton straight back to the root without a
 * lookup, the common case in clean text); the root's transitions are a dense array; the others live
 * in one Map keyed by `state * alphabet + letter`, which stays a small integer (fast hashing).
 */
export interface AcMatch {
  /** Index of the word in the list given to the constructor. */
  word: number;
  /** Start (inclusive) and end (exclusive) of the match in the searched text. */
  start: number;
  end: number;
}

export class AhoCorasick {
  /** Code unit → letter + 1 (0: the unit occurs in no word). */
  private readonly letter = new Uint16Array(65536);
  private readonly alphabet: number;
  private readonly root: Int32Array;
  private readonly next = new Map<number, number>();
  /** Per state: the longest proper suffix that is also a state. */
  private readonly fail: Int32Array;
  /** Per state: the nearest state along the failure chain that ends a word (-1: none). */
  private readonly dict: Int32Array;
  /** Per state: the words ending exactly here. */
  private readonly out: (number[] | null)[] = [null];
  private readonly depth: number[] = [0];
  readonly size: number;

  constructor(words: readonly string[]) {
    let letters = 0;
    for (const w of words) for (let k = 0; k < w.length; k++) if (this.letter[w.charCodeAt(k)] === 0) this.letter[w.charCodeAt(k)] = ++letters;
    // Keys stay small integers (fast hashing) while states × letters < 2^30: tens of thousands of
    // words; bigger lists still work, with slower hashing.
    this.alphabet = Math.max(1, letters);
    const A = this.alphabet;
    this.root = new Int32Array(A).fill(-1);
    const trans = (s: number, a: number): number | undefined => (s === 0 ? (this.root[a] >= 0 ? this.root[a] : undefined) : this.next.get(s * A + a));
    let states = 1;
    const children: [number, number][][] = [[]];
    words.forEach((w, i) => {
      if (!w) return;
      let s = 0;
      for (let k = 0; k < w.length; k++) {
        const a = this.letter[w.charCodeAt(k)] - 1;
        let t = trans(s, a);
        if (t === undefined) {
          t = states++;
          if (s === 0) this.root[a] = t;
          else this.next.set(s * A + a, t);
          children[s].push([a, t]);
          children.push([]);
          this.out.push(null);
          this.depth.push(this.depth[s] + 1);
        }
        s = t;
      }
      (this.out[s] ??= []).push(i);
    });
    this.size = words.filter(Boolean).length;
    this.fail = new Int32Array(states);
    this.dict = new Int32Array(states).fill(-1);
    const queue: number[] = children[0].map(([, t]) => t);
    for (let q = 0; q < queue.length; q++) {
      const s = queue[q];
      for (const [a, t] of children[s]) {
        let f = this.fail[s];
        while (f !== 0 && trans(f, a) === undefined) f = this.fail[f];
        const g = trans(f, a);
        this.fail[t] = g !== undefined && g !== t ? g : 0;
        const ft = this.fail[t];
        this.dict[t] = this.out[ft] ? ft : this.dict[ft];
        queue.push(t);
      }
    }
  }

  /** Every occurrence (overlapping ones included), in order of their end. */
  search(text: string): AcMatch[] {
    return this.scan(text).found;
  }

  /**
   * Every occurrence, and `open`: how many code units at the end of the text are the beginning of
   * some word (the depth of the state the automaton ends in). A stream holds those back, since the
   * next chunk may complete the word.
   */
  scan(text: string): { found: AcMatch[]; open: number } {
    const found: AcMatch[] = [];
    if (this.size === 0) return { found, open: 0 };
    const { letter, root, next, fail, dict, out, depth, alphabet: A } = this;
    let s = 0;
    for (let i = 0; i < text.length; i++) {
      const l = letter[text.charCodeAt(i)];
      if (l === 0) {
        s = 0;
        continue;
      }
      const a = l - 1;
      for (;;) {
        if (s === 0) {
          s = root[a] >= 0 ? root[a] : 0;
          break;
        }
        const t = next.get(s * A + a);
        if (t !== undefined) {
          s = t;
          break;
        }
        s = fail[s];
      }
      if (s === 0) continue;
      for (let o = out[s] ? s : dict[s]; o > 0; o = dict[o]) {
        const len = depth[o];
        for (const word of out[o]!) found.push({ word, start: i + 1 - len, end: i + 1 });
      }
    }
    return { found, open: depth[s] };
  }
}
