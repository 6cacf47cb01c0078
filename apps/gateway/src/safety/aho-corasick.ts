/**
 * An Aho–Corasick automaton over UTF-16 code units: every occurrence of thousands of words in one
 * pass over the text, whatever the number of words. Transitions live in one Map keyed by
 * `state * 65536 + code unit` (no per-node objects, so building 10 000 words stays cheap), with
 * failure links and dictionary-suffix links computed breadth first.
 */
export interface AcMatch {
  /** Index of the word in the list given to the constructor. */
  word: number;
  /** Start (inclusive) and end (exclusive) of the match in the searched text. */
  start: number;
  end: number;
}

export class AhoCorasick {
  private readonly next = new Map<number, number>();
  /** Per state: the longest proper suffix that is also a state. */
  private readonly fail: number[] = [0];
  /** Per state: the nearest state along the failure chain that ends a word (-1: none). */
  private readonly dict: number[] = [-1];
  /** Per state: the words ending exactly here. */
  private readonly out: (number[] | null)[] = [null];
  private readonly depth: number[] = [0];
  readonly size: number;

  constructor(words: readonly string[]) {
    let states = 1;
    words.forEach((w, i) => {
      if (!w) return;
      let s = 0;
      for (let k = 0; k < w.length; k++) {
        const key = s * 65536 + w.charCodeAt(k);
        let t = this.next.get(key);
        if (t === undefined) {
          t = states++;
          this.next.set(key, t);
          this.fail.push(0);
          this.dict.push(-1);
          this.out.push(null);
          this.depth.push(this.depth[s] + 1);
        }
        s = t;
      }
      (this.out[s] ??= []).push(i);
    });
    this.size = words.filter(Boolean).length;
    // Children per state, for the breadth-first pass.
    const children: [number, number][][] = Array.from({ length: states }, () => []);
    for (const [key, t] of this.next) children[Math.floor(key / 65536)].push([key % 65536, t]);
    const queue: number[] = [];
    for (const [, t] of children[0]) queue.push(t);
    for (let q = 0; q < queue.length; q++) {
      const s = queue[q];
      for (const [c, t] of children[s]) {
        let f = this.fail[s];
        while (f !== 0 && !this.next.has(f * 65536 + c)) f = this.fail[f];
        const g = this.next.get(f * 65536 + c);
        this.fail[t] = g !== undefined && g !== t ? g : 0;
        const ft = this.fail[t];
        this.dict[t] = this.out[ft] ? ft : this.dict[ft];
        queue.push(t);
      }
    }
  }

  /** Every occurrence (overlapping ones included), in order of their end. */
  search(text: string): AcMatch[] {
    const found: AcMatch[] = [];
    if (this.size === 0) return found;
    const { next, fail, dict, out, depth } = this;
    let s = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      let t = next.get(s * 65536 + c);
      while (t === undefined && s !== 0) {
        s = fail[s];
        t = next.get(s * 65536 + c);
      }
      s = t ?? 0;
      for (let o = out[s] ? s : dict[s]; o > 0; o = dict[o]) {
        const len = depth[o];
        for (const word of out[o]!) found.push({ word, start: i + 1 - len, end: i + 1 });
      }
    }
    return found;
  }
}
