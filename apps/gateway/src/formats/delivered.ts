import { countTokens } from './tokens.js';

/** Raw events kept unparsed up to this many characters; past it they are reduced to their text. */
export const RAW_LIMIT = 64 * 1024;
/** Text kept up to this many characters; past it, it is counted and only the count is kept. */
export const TEXT_LIMIT = 256 * 1024;

/**
 * What a stream delivered to its caller, kept so it can be counted if the provider's final usage
 * report never comes (stream-usage.ts). Most streams end with that report and this is never read, so
 * events are kept as they came, unparsed. A long stream (a coding agent's answer can run to tens of
 * thousands of events) would then keep every event's whole JSON, ten times its text, for as long as
 * it runs. So memory is bounded: past RAW_LIMIT the kept events are parsed down to their text, and
 * past TEXT_LIMIT that text is counted and dropped. Counting in blocks can differ from counting the
 * whole text by a token where a block ends inside a word: a few tokens in every 256 K characters.
 */
export class DeliveredText {
  private raw: string[] = [];
  private rawChars = 0;
  private text = '';
  private tokens = 0;
  /** The last count and the `extra` it was asked with, until more is delivered: usage may be read twice (relay/exchanges/text.ts). */
  private counted: { extra: string; n: number } | null = null;

  /** `textOf`: the produced text one raw event carries ('' when it cannot be read). */
  constructor(private readonly textOf: (raw: string) => string = (s) => s) {}

  /** An event as it came from the provider (its text is read only if it is ever needed). */
  addRaw(data: string): void {
    this.counted = null;
    this.raw.push(data);
    this.rawChars += data.length;
    if (this.rawChars > RAW_LIMIT) this.reduce();
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
