import { readFileSync } from 'node:fs';
import { endianness } from 'node:os';

/**
 * Counts o200k_base tokens (the encoding of OpenAI's current models) from the compact vocabulary
 * `scripts/bpe-table.mjs` writes at build time: the token bytes in rank order, their offsets, and an
 * open-addressing hash table over them, typed-array views of one file read whole (4.3 MB, outside
 * V8's heap). The
 * gpt-tokenizer package it is made from holds the same vocabulary as 200,000 strings in a Map: about
 * 33 MB of heap for the process's life, and 0.4 s with the event loop blocked to parse it, at the
 * first call a provider does not count (bench/RESULTS.md, session 17).
 *
 * The algorithm is tiktoken's (github.com/openai/tiktoken, src/lib.rs `byte_pair_merge`): the text is
 * split by the encoding's pattern; a piece that is itself a token counts one; any other piece starts
 * as its bytes and repeatedly merges the adjacent pair whose concatenation has the lowest rank
 * (the leftmost on a tie) until no pair is a token. Only the number of tokens is kept.
 * `test/formats/bpe.test.ts` checks the counts against gpt-tokenizer's over a mixed corpus.
 */

// o200k_base's split pattern (tiktoken_ext/openai_public.py, `o200k_base`).
const CONTRACTION = String.raw`(?:'(?:[sS]|[dD]|[mM]|[tT]|[lL][lL]|[vV][eE]|[rR][eE]))?`;
const O200K_SPLIT = String.raw`[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+${CONTRACTION}|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*${CONTRACTION}|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+`;

const NONE = 0x7fffffff;
const KEEP_SCRATCH_CHARS = 16_384;
/** Pieces longer than this (bytes) merge with a heap (`mergeLong`), shorter ones with a scan. */
const SCAN_MAX_BYTES = 64;

export class BpeCounter {
  private readonly split = new RegExp(O200K_SPLIT, 'gu');
  private readonly encoder = new TextEncoder();
  private scratch = new Uint8Array(1024);
  // The scan's parts (`mergeShort`), for pieces of at most SCAN_MAX_BYTES.
  private readonly starts = new Int32Array(SCAN_MAX_BYTES + 1);
  private readonly ranks = new Int32Array(SCAN_MAX_BYTES + 1);

  private constructor(
    private readonly bytes: Uint8Array,
    private readonly offsets: Uint32Array,
    private readonly slots: Int32Array,
  ) {
    let longest = 0;
    for (let r = 0; r + 1 < offsets.length; r++) longest = Math.max(longest, offsets[r + 1] - offsets[r]);
    this.longest = longest;
  }

  /** The longest token's length in bytes: a longer pair of parts is no token, without a lookup. */
  private readonly longest: number;

  /**
   * Reads a table written by scripts/bpe-table.mjs: "BPE2", the token count N and the index's slot
   * count S (u32 LE), N + 1 byte offsets (u32 LE), S slots (i32 LE, a rank or -1), then the tokens'
   * bytes. The arrays are views of the file's one buffer (read in a few milliseconds, nothing built).
   * @throws when the file is missing or not such a table
   */
  static load(file: URL | string): BpeCounter {
    const buf = readFileSync(file);
    if (buf.length < 12 || buf.toString('latin1', 0, 4) !== 'BPE2') throw new Error(`${String(file)} is not a BPE table (run the gateway's build)`);
    const n = buf.readUInt32LE(4);
    const size = buf.readUInt32LE(8);
    const slotsAt = 12 + 4 * (n + 1);
    const bytesAt = slotsAt + 4 * size;
    if (endianness() === 'LE' && buf.byteOffset % 4 === 0) {
      const offsets = new Uint32Array(buf.buffer, buf.byteOffset + 12, n + 1);
      const slots = new Int32Array(buf.buffer, buf.byteOffset + slotsAt, size);
      return new BpeCounter(new Uint8Array(buf.buffer, buf.byteOffset + bytesAt, offsets[n]), offsets, slots);
    }
    const offsets = new Uint32Array(n + 1);
    for (let i = 0; i <= n; i++) offsets[i] = buf.readUInt32LE(12 + 4 * i);
    const slots = new Int32Array(size);
    for (let i = 0; i < size; i++) slots[i] = buf.readInt32LE(slotsAt + 4 * i);
    return new BpeCounter(new Uint8Array(buf.subarray(bytesAt, bytesAt + offsets[n])), offsets, slots);
  }

  /**
   * The open-addressing index over the tokens (FNV-1a, linear probing, at most 40% full): slot ->
   * rank, -1 for none. Built once, by scripts/bpe-table.mjs, with the same hash `count` looks up with.
   */
  static index(bytes: Uint8Array, offsets: Uint32Array): Int32Array {
    const n = offsets.length - 1;
    let size = 1;
    while (size < n * 2.5) size <<= 1;
    const slots = new Int32Array(size).fill(-1);
    for (let r = 0; r < n; r++) {
      let at = hash(bytes, offsets[r], offsets[r + 1]) & (size - 1);
      while (slots[at] !== -1) at = (at + 1) & (size - 1);
      slots[at] = r;
    }
    return slots;
  }

  /** The number of o200k_base tokens of `text`, special-token markup counted as plain text. */
  count(text: string): number {
    const split = this.split;
    split.lastIndex = 0;
    let n = 0;
    for (let m = split.exec(text); m !== null; m = split.exec(text)) n += this.pieceCount(m[0]);
    return n;
  }

  /** The rank of bytes [start, end) of `buf`, or NONE when they are not a token. */
  private rank(buf: Uint8Array, start: number, end: number): number {
    const { slots, offsets, bytes } = this;
    const mask = slots.length - 1;
    const len = end - start;
    for (let at = hash(buf, start, end) & mask; ; at = (at + 1) & mask) {
      const r = slots[at];
      if (r === -1) return NONE;
      const o = offsets[r];
      if (offsets[r + 1] - o !== len) continue;
      let i = 0;
      while (i < len && bytes[o + i] === buf[start + i]) i++;
      if (i === len) return r;
    }
  }

  private pieceCount(piece: string): number {
    // UTF-8 is at most 3 bytes per UTF-16 unit. The byte buffer grows for pieces up to 16K
    // characters and is kept; a longer piece (a run of one character) gets one of its own, so one
    // odd text does not leave megabytes behind.
    const need = piece.length * 3;
    let buf = this.scratch;
    if (need > buf.length) {
      buf = new Uint8Array(need);
      if (piece.length <= KEEP_SCRATCH_CHARS) this.scratch = buf;
    }
    const len = this.encoder.encodeInto(piece, buf).written;
    if (len <= 1 || (len <= this.longest && this.rank(buf, 0, len) !== NONE)) return 1;
    return len > SCAN_MAX_BYTES ? this.mergeLong(buf, len) : this.mergeShort(buf, len);
  }

  /**
   * The merge for a short piece (nearly all of them): the parts in arrays, each step scans them all
   * for the lowest-ranked pair. Quadratic in the piece's length, and the fastest way below a few
   * dozen bytes.
   */
  private mergeShort(buf: Uint8Array, len: number): number {
    const { starts, ranks } = this;
    // starts[0..k) are the parts' first bytes, with `len` last; ranks[i] is the rank of parts i and
    // i + 1 together (NONE past the last pair).
    for (let i = 0; i <= len; i++) {
      starts[i] = i;
      ranks[i] = i < len - 1 ? this.rank(buf, i, i + 2) : NONE;
    }
    let k = len + 1;
    const pair = (i: number) => (i + 2 < k ? this.rank(buf, starts[i], starts[i + 2]) : NONE);
    while (k > 1) {
      let low = NONE;
      let at = -1;
      for (let i = 0; i < k - 1; i++) {
        if (ranks[i] < low) {
          low = ranks[i];
          at = i;
        }
      }
      if (at < 0) break;
      // Parts `at` and `at + 1` become one.
      starts.copyWithin(at + 1, at + 2, k);
      ranks.copyWithin(at, at + 1, k);
      k--;
      ranks[at] = pair(at);
      if (at > 0) ranks[at - 1] = pair(at - 1);
    }
    return k - 1;
  }

  /**
   * The same merge for a long piece (a run of one letter, punctuation or CJK character can be a
   * single piece of any length): the parts as a linked list, the candidate pairs in a binary heap
   * ordered by (rank, position), entries made stale by a merge skipped when they come up. The lowest
   * rank, leftmost on a tie, is merged first, exactly as the scan does, in O(n log n): 50,000 "中"
   * took 11 s with the scan, with the event loop blocked (tiktoken moved long pieces to a heap for
   * the same reason).
   */
  private mergeLong(buf: Uint8Array, len: number): number {
    // Parts are named by their first byte. next[i]: the next part's first byte (len: none);
    // prev[i]: the previous part's (-1: none); pairRank[i]: the rank of part i with the next one;
    // dead parts have next[i] = -1.
    const next = new Int32Array(len);
    const prev = new Int32Array(len);
    const pairRank = new Int32Array(len);
    // Heap of candidate pairs: rank and position, at most len at start plus two per merge.
    const cap = 3 * len;
    const hRank = new Int32Array(cap);
    const hPos = new Int32Array(cap);
    let size = 0;
    const less = (a: number, b: number) => hRank[a] < hRank[b] || (hRank[a] === hRank[b] && hPos[a] < hPos[b]);
    const swap = (a: number, b: number) => {
      const r = hRank[a];
      const p = hPos[a];
      hRank[a] = hRank[b];
      hPos[a] = hPos[b];
      hRank[b] = r;
      hPos[b] = p;
    };
    const push = (rank: number, pos: number) => {
      let i = size++;
      hRank[i] = rank;
      hPos[i] = pos;
      while (i > 0) {
        const up = (i - 1) >> 1;
        if (!less(i, up)) break;
        swap(i, up);
        i = up;
      }
    };
    const pop = () => {
      size--;
      if (size === 0) return;
      hRank[0] = hRank[size];
      hPos[0] = hPos[size];
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        if (l >= size) break;
        const c = l + 1 < size && less(l + 1, l) ? l + 1 : l;
        if (!less(c, i)) break;
        swap(i, c);
        i = c;
      }
    };
    const rankAfter = (i: number) => {
      const j = next[i];
      if (j >= len) return NONE;
      const end = next[j] < 0 ? len : next[j];
      return end - i > this.longest ? NONE : this.rank(buf, i, end);
    };
    for (let i = 0; i < len; i++) {
      next[i] = i + 1;
      prev[i] = i - 1;
    }
    for (let i = 0; i < len; i++) {
      pairRank[i] = rankAfter(i);
      if (pairRank[i] !== NONE) push(pairRank[i], i);
    }
    let parts = len;
    while (size > 0) {
      const rank = hRank[0];
      const i = hPos[0];
      pop();
      // Stale: the part was merged into its left neighbour, or its pair changed since.
      if (next[i] < 0 || pairRank[i] !== rank) continue;
      const j = next[i];
      next[i] = next[j];
      if (next[j] < len) prev[next[j]] = i;
      next[j] = -1;
      parts--;
      pairRank[i] = rankAfter(i);
      if (pairRank[i] !== NONE) push(pairRank[i], i);
      const p = prev[i];
      if (p >= 0) {
        pairRank[p] = rankAfter(p);
        if (pairRank[p] !== NONE) push(pairRank[p], p);
      }
    }
    return parts;
  }
}

/** FNV-1a over bytes [start, end). */
function hash(buf: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i], 0x01000193);
  return h >>> 0;
}
