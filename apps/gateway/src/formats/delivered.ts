import { countTokens } from './tokens.js';

/** Raw events kept unparsed up to this many characters; past it they are reduced to their text. */
export const RAW_LIMIT = 64 * 1024;
/**
 * Raw events kept unparsed for at most about this long (ms): the next event after it reduces them to
 * their text. A stream that ends sooner (an answer the provider sends in a burst) never parses one.
 */
export const RAW_AGE_MS = 250;
/** Text kept up to this many characters; past it, it is counted and only the count is kept. */
export const TEXT_LIMIT = 256 * 1024;

const monotonicMs = (): number => performance.now();

/**
 * What a stream delivered to its caller, kept so it can be counted if the provider's final usage
 * report never comes (stream-usage.ts). Most streams end with that report and this is never read, so
 * events are kept as they came, unparsed. A long stream (a coding agent's answer can run to tens of
 * thousands of events) would then keep every event's whole JSON, ten times its text, for as long as
 * it runs. So memory is bounded: past RAW_LIMIT the kept events are parsed down to their text, and
 * past TEXT_LIMIT that text is counted and dropped. Events are also parsed once the oldest kept one
 * is RAW_AGE_MS old: what a process holds is the events arriving per second times how long each is
 * kept, and a provider's stream trickles for seconds — a thousand open streams kept 4 MB of JSON
 * (250 bytes an event, a few characters of text each; bench/RESULTS.md, session 33) that the age
 * bounds to the events of the last quarter of a second, while a stream that ends within it (a burst,
 * a cached answer) still parses none. Counting in blocks can differ from counting the
 * whole text by a token where a block ends inside a word: a few tokens in every 256 K characters.
 */
export class DeliveredText {
  private raw: string[] = [];
  private rawChars = 0;
  /** When the oldest kept raw event came (`now()`). */
  private rawSince = 0;
  private text = '';
  private tokens = 0;
  /** The last count and the `extra` it was asked with, until more is delivered: usage may be read twice (relay/exchanges/text.ts). */
  private counted: { extra: string; n: number } | null = null;

  /**
   * `textOf`: the produced text one raw event carries ('' when it cannot be read); `now`: the clock
   * the age of kept events is read on (ms).
   */
  constructor(
    private readonly textOf: (raw: string) => string = (s) => s,
    private readonly now: () => number = monotonicMs,
  ) {}

  /** An event as it came from the provider (its text is read only if it is ever needed). */
  addRaw(data: string): void {
    this.counted = null;
    const now = this.now();
    if (this.raw.length === 0) this.rawSince = now;
    this.raw.push(data);
    this.rawChars += data.length;
    if (this.rawChars > RAW_LIMIT || now - this.rawSince >= RAW_AGE_MS) this.reduce();
  }

  /** Text already read out of its events. */
  addText(text: string): void {
    this.counted = null;
    this.text += text;
    if (this.text.length > TEXT_LIMIT) this.countText();
  }

  /** Tokens of everything delivered, plus `extra` text not (yet) delivered. */
  count(extra = ''): number {
    if (this.counted?.extra === extra) return this.counted.n;
    this.reduce();
    const n = this.tokens + countTokens(this.text + extra);
    this.counted = { extra, n };
    return n;
  }

  /** Characters held now (raw events and text): what the bound above is about. */
  get retainedChars(): number {
    return this.rawChars + this.text.length;
  }

  private reduce(): void {
    if (this.raw.length === 0) return;
    let text = '';
    for (const d of this.raw) text += this.textOf(d);
    this.raw = [];
    this.rawChars = 0;
    this.addText(text);
  }

  private countText(): void {
    this.tokens += countTokens(this.text);
    this.text = '';
  }
}
