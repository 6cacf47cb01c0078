import type { PiiFinder } from './pii.js';

/**
 * One call's redaction: each piece of personal data becomes a placeholder (`[EMAIL_1]`, the same
 * value the same placeholder throughout the call), and the map back to the originals lives only in
 * this object, for the call's length. Placeholders that the caller's own text already holds are
 * skipped, so restoring never turns the caller's literal "[EMAIL_1]" into someone's address.
 */
export class Redaction {
  private readonly byValue = new Map<string, string>();
  private readonly originals = new Map<string, string>();
  private readonly counters = new Map<string, number>();
  private pattern: RegExp | null = null;
  private longest = 0;

  constructor(
    private readonly finder: PiiFinder,
    /** The call's whole input text: placeholders found in it are never handed out. */
    private readonly taken: string,
  ) {}

  /** `text` with its personal data replaced by placeholders. */
  redact(text: string): string {
    const spans = this.finder.find(text);
    if (spans.length === 0) return text;
    let out = '';
    let at = 0;
    for (const s of spans) {
      out += text.slice(at, s.start) + this.placeholder(text.slice(s.start, s.end), s.label);
      at = s.end;
    }
    return out + text.slice(at);
  }

  /** The placeholders handed out and what each stands for (the admins' preview only: never logged). */
  entries(): { placeholder: string; value: string }[] {
    return [...this.originals].map(([placeholder, value]) => ({ placeholder, value }));
  }

  /** How many placeholders were handed out. */
  get size(): number {
    return this.originals.size;
  }

  /** `text` with every whole placeholder of this call replaced by its original. */
  restore(text: string): string {
    if (!this.pattern || !text.includes('[')) return text;
    return text.replace(this.pattern, (p) => this.originals.get(p) ?? p);
  }

  /**
   * How many characters at the end of `text` may be the beginning of a placeholder that a later
   * piece of a stream completes. Placeholders hold one `[`, at their start, so only the text from
   * the last `[` can be one.
   */
  partialAt(text: string): number {
    if (this.longest === 0) return 0;
    const from = text.lastIndexOf('[');
    if (from === -1 || text.length - from >= this.longest) return 0;
    const tail = text.slice(from);
    for (const p of this.originals.keys()) if (p.length > tail.length && p.startsWith(tail)) return tail.length;
    return 0;
  }

  private placeholder(value: string, label: string): string {
    const known = this.byValue.get(value);
    if (known) return known;
    let n = this.counters.get(label) ?? 0;
    let p: string;
    do p = `[${label}_${++n}]`;
    while (this.taken.includes(p));
    this.counters.set(label, n);
    this.byValue.set(value, p);
    this.originals.set(p, value);
    this.longest = Math.max(this.longest, p.length);
    this.pattern = new RegExp([...this.originals.keys()].map(escape).sort((a, b) => b.length - a.length).join('|'), 'g');
    return p;
  }
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
