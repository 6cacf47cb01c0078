import { builtFile } from '../core/built-file.js';
import { BpeCounter } from './bpe.js';

// The compact o200k_base table (formats/bpe.ts), written by the build beside this module.
const TABLE = builtFile(import.meta.url, 'o200k_base.bin');

/**
 * Loaded at the first count, not at start (4.3 MB, a file read), so a gateway that has not served a
 * text call yet (or serves only media) does not hold it. Synchronous on purpose: counting is part of
 * a call's quote.
 */
let bpeCounter: BpeCounter | null = null;
function bpe(): BpeCounter {
  bpeCounter ??= BpeCounter.load(TABLE);
  return bpeCounter;
}

/**
 * The gateway's own token counts: the prompt estimate every call is admitted (and reserved) with,
 * and usage when a provider reports none (a cut stream, a server that never counts). o200k_base is
 * the encoding of current OpenAI models; for other providers it is an honest estimate, which is all
 * anyone outside the provider can have.
 */
export function countTokens(text: string): number {
  if (!text) return 0;
  const known = counted.get(text);
  if (known !== undefined) return known;
  // Text that happens to contain special-token markup is counted as plain text, never rejected.
  const n = bpe().count(text);
  if (text.length <= MEMO_MAX_TEXT) {
    memoChars += text.length;
    counted.set(text, n);
    // Oldest first out, until the memo is back under its size.
    for (const old of counted.keys()) {
      if (memoChars <= MEMO_MAX_CHARS) break;
      counted.delete(old);
      memoChars -= old.length;
    }
  }
  return n;
}

// Every call is counted before it is admitted (the reservation), and the same texts come back again
// and again: roles, system prompts, the earlier turns a chat re-sends each time. Their counts are
// remembered, up to a bounded number of characters.
const MEMO_MAX_TEXT = 16_384;
const MEMO_MAX_CHARS = 4_000_000;
const counted = new Map<string, number>();
let memoChars = 0;

type Turn = { role?: unknown; content?: unknown; name?: unknown };

/** OpenAI's published chat framing: 3 tokens per message, 1 per name, 3 to prime the reply. */
function chatTokens(messages: Turn[], text: (s: string) => number): number {
  let n = 3;
  for (const m of messages) {
    n += 3 + text(String(m.role ?? '')) + text(textOf(m.content));
    if (typeof m.name === 'string') n += 1 + text(m.name);
  }
  return n;
}

export function countChatTokens(messages: Turn[]): number {
  return chatTokens(messages, countTokens);
}

/**
 * A token upper bound: no byte-level BPE token is shorter than one UTF-8 byte, so a text's byte
 * length bounds its o200k_base count from above (about 4× for English, 2–3× for Chinese). It costs
 * one native pass over the string and no tables.
 */
export function tokenBound(text: string): number {
  return text ? Buffer.byteLength(text, 'utf8') : 0;
}

/** How a codec counts a prompt: with the tokenizer, or the bound. */
export interface TokenCount {
  text(text: string): number;
  chat(messages: Turn[]): number;
}

/** The tokenizer: what a call is metered with when the provider reports no usage. */
export const EXACT_COUNT: TokenCount = { text: countTokens, chat: countChatTokens };

/**
 * The bound every call is first admitted and reserved with (issue 19: no tokenizer on the hot
 * path): a reservation is released at settlement for the provider's reported usage, so it only has
 * to be enough. A call the bound would refuse (credit, tokens per minute) is admitted again with
 * the tokenizer's count before it is refused (billing/policy.ts), so nobody is refused for the
 * bound's slack.
 */
export const BOUND_COUNT: TokenCount = { text: tokenBound, chat: (messages) => chatTokens(messages, tokenBound) };

/**
 * Texts of at least this many characters in all are counted on the count thread (count-thread.ts):
 * on the loop they would hold it for 1–10 ms (30 ms for adversarial text), off it the round trip
 * costs about as much.
 */
export const OFF_LOOP_CHARS = 32 * 1024;

/** What counts texts off the event loop (formats/count-thread.ts `CountThread`). */
export interface OffLoopCounter {
  count(texts: string[]): Promise<number[]>;
}

/** One text's count: on the count thread when it is large, on the loop otherwise (or if the thread failed). */
export function countText(text: string, counter: OffLoopCounter): Promise<number> {
  return readOffLoop((count) => count.text(text), counter);
}

/**
 * An exact count whose large texts were counted off the event loop. `read` is the codec's own
 * reading (its quote, its prompt estimate), run once with a count that only collects the texts it
 * is asked for; they are counted on the thread when they are large together, and the count
 * returned answers from those results, so `read` run again with it does not count anything large
 * on the loop.
 */
export async function countedOffLoop(read: (count: TokenCount) => unknown, counter: OffLoopCounter): Promise<TokenCount> {
  const texts = new Set<string>();
  const collect: TokenCount = {
    text: (t) => {
      if (t) texts.add(t);
      return 0;
    },
    chat: (messages) => chatTokens(messages, collect.text),
  };
  read(collect);
  let chars = 0;
  for (const t of texts) chars += t.length;
  if (chars < OFF_LOOP_CHARS) return EXACT_COUNT;
  const list = [...texts];
  const counts = await counter.count(list);
  const known = new Map(list.map((t, i) => [t, counts[i]]));
  const text = (t: string): number => known.get(t) ?? countTokens(t);
  return { text, chat: (messages) => chatTokens(messages, text) };
}

/** `read` (a reading that counts with the count it is given) answered with its large texts counted off the event loop. */
export async function readOffLoop<T>(read: (count: TokenCount) => T, counter: OffLoopCounter): Promise<T> {
  const count = await countedOffLoop(read, counter).catch(() => EXACT_COUNT);
  return read(count);
}

/** The prompt's token count, asked for only when a provider reported none. */
export type PromptTokens = () => number;

/** Text of a content value in any of the shapes dialects use (string, parts, blocks). */
export function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map(textOf).join('');
  if (content && typeof content === 'object') {
    const c = content as Record<string, unknown>;
    if (typeof c.text === 'string') return c.text;
    if (typeof c.content === 'string' || Array.isArray(c.content)) return textOf(c.content);
  }
  return '';
}
