import { GatewayError } from '../core/errors.js';
import type { StreamEvent, StreamText } from '../formats/safety-text.js';

export type GuardDirection = 'input' | 'output';
export type GuardAction = 'block' | 'mask' | 'flag';

/** The content rules' verdict on a call's texts (safety/guard.ts gives it). */
export interface GuardVerdict {
  action: GuardAction | null;
  /** Per text: its masked form, or null when nothing in it was masked. */
  masked: (string | null)[];
  rules: { ruleId: string; ruleName: string; action: GuardAction }[];
}

/** The verdict on a stream's window: the hits' places, and where a match may still be under way. */
export interface StreamVerdict extends GuardVerdict {
  hits: { start: number; end: number; action: GuardAction }[];
  /** From here on the window's text may be the beginning of a match: it waits for the next piece. */
  open: number;
}

/** Who a call is for: the policies are per user group and per App. */
export interface GuardSubject {
  /** null only in the plan shared by every caller when nothing applies. */
  group: string | null;
  appId: string | null;
}

/** A policy's moderation model (safety/guard.ts): which model, on which side, how long to wait, and the judge of its answer. */
export interface ModerationCheck {
  model: string;
  /** The model reads the input; and whole answers (streams are read by the rules alone). */
  input: boolean;
  output: boolean;
  timeoutMs: number;
  failMode: 'open' | 'closed';
  /** The verdict on the model's results, one per text (OpenAI's moderation result objects). */
  judge(results: readonly unknown[]): GuardVerdict;
  /** The verdict when the model did not answer in time or failed. */
  down(): GuardVerdict;
}

/** What applies to one caller, decided once per change of the rules and kept (safety/guard.ts `GuardPlan`). */
export interface GuardPlan {
  subject: GuardSubject;
  /** A rule checks the caller's input. */
  input: boolean;
  /** A rule checks the answer (a stream is then read by a StreamScreen). */
  output: boolean;
  /** The moderation model the caller's policy asks on input (null: none). */
  moderation: ModerationCheck | null;
}

/**
 * What the pipeline asks of content safety. Implemented by safety/guard.ts and handed in by the
 * services, so the relay depends on this contract only. `fresh` and `plan` are the hot path's
 * questions, answered without an await or an allocation when nothing changed: with nothing for
 * the caller's group and App nothing else runs.
 */
export interface ContentGuard {
  /** Null when the rules in hand are current; else the reload to wait for (it never rejects). */
  fresh(): Promise<void> | null;
  /** What applies to a caller of `group` through `appId`. */
  plan(group: string, appId: string | null): GuardPlan;
  inspect(texts: readonly string[], subject: GuardSubject, direction: GuardDirection): GuardVerdict;
  /** The verdict on the hits of `text` that end after `from` (a stream's new text, read with the window before it). */
  scan(text: string, from: number, subject: GuardSubject, direction: GuardDirection): StreamVerdict;
  /** The moderation model the caller's policy asks on input (null: none). */
  moderation(subject: GuardSubject): ModerationCheck | null;
  /** Records one decision per rule that hit (never the text), without holding the call up. */
  record(verdict: GuardVerdict, requestId: string, userId: string | null, direction: GuardDirection): void;
}

/**
 * The caller's error when a rule blocks: a 400 `content_filter`, rendered in the caller's dialect.
 * Names the rule (admins name rules for the people they filter) but never the matched text.
 */
export function contentFiltered(direction: GuardDirection, verdict: GuardVerdict): GatewayError {
  const rule = verdict.rules.find((r) => r.action === 'block');
  const what = direction === 'input' ? 'The request' : 'The answer';
  return new GatewayError('invalid_request', `${what} was blocked by the content policy${rule ? ` (rule: ${rule.ruleName})` : ''}.`, { code: 'content_filter' });
}

/**
 * How many characters of a stream's earlier text are read again with each new piece, so a word
 * split across chunks (or spelled out with spaces and symbols) is still caught.
 */
export const STREAM_WINDOW = 256;

/** At most this much text is held back waiting for a match to complete (a bound on the delay). */
export const MAX_HOLD = 1024;

interface HeldEvent {
  raw: string;
  event: StreamEvent;
  /** Where the event's new text lies in `held`. */
  start: number;
  end: number;
}

/**
 * The rules on a streamed answer, as its text accumulates (whole events at a time):
 * - text that may be the beginning of a blocked or masked word (or within `PATTERN_HOLD` characters
 *   of a blocking or masking pattern) is held back, with the events after it, until the next piece
 *   says how it goes on, so a word split across chunks is caught before any of it is sent;
 * - a mask replaces the match in the events that carry it (each character by `*`), and in the
 *   texts that later events repeat whole (a Responses `output_text.done`);
 * - a block cuts the stream: the events before the word go out, the rest is replaced by the
 *   caller's content-filter ending.
 * Each rule's decision is recorded once per call.
 */
export class StreamScreen {
  /** The released text's last STREAM_WINDOW characters, as the provider wrote them. */
  private recent = '';
  /** Held events, in order, and the new text they carry. */
  private heldEvents: HeldEvent[] = [];
  private held = '';
  private lastHits: StreamVerdict['hits'] = [];
  private readonly recorded = new Set<string>();
  /** The last verdict with hits (for the log's error when the stream was cut). */
  verdict: GuardVerdict | null = null;

  constructor(
    private readonly guard: ContentGuard,
    private readonly subject: GuardSubject,
    private readonly reader: StreamText,
    private readonly record: (verdict: GuardVerdict) => void,
  ) {}

  /**
   * Screens a piece of the caller's stream (whole events; a network chunk often holds many): what
   * may be written now, and whether the stream is cut (then `pass` is the last of it and the
   * caller's ending follows).
   */
  pass(out: string): { pass: string; cut: boolean } {
    let at = 0;
    while (at < out.length) {
      const end = out.indexOf('\n\n', at);
      const next = end === -1 ? out.length : end + 2;
      const raw = out.slice(at, next);
      const event = this.reader.read(raw);
      const text = event.deltas.map((s) => s.text).join('');
      this.heldEvents.push({ raw, event, start: this.held.length, end: this.held.length + text.length });
      this.held += text;
      at = next;
    }
    return this.screen(false);
  }

  /** The events still held at the stream's end: nothing follows, so nothing is under way. */
  flush(): string {
    return this.screen(true).pass;
  }

  private screen(final: boolean): { pass: string; cut: boolean } {
    if (this.heldEvents.length === 0) return { pass: '', cut: false };
    const from = this.recent.length;
    let holdFrom = this.held.length;
    if (this.held) {
      const window = this.recent + this.held;
      const v = this.guard.scan(window, from, this.subject, 'output');
      this.lastHits = v.hits.map((h) => ({ start: h.start - from, end: h.end - from, action: h.action }));
      if (v.action !== null) {
        this.verdict = v;
        const fresh = v.rules.filter((r) => !this.recorded.has(r.ruleId));
        for (const r of fresh) this.recorded.add(r.ruleId);
        if (fresh.length > 0) this.record({ ...v, rules: fresh });
      }
      const block = this.lastHits.filter((h) => h.action === 'block');
      if (block.length > 0) {
        // The text before the blocked word goes out (the event holding its beginning cut short
        // there); the word and everything after it do not.
        const stop = Math.max(0, Math.min(...block.map((h) => h.start)));
        let n = 0;
        while (n < this.heldEvents.length && this.heldEvents[n].end <= stop) n++;
        const straddle = this.heldEvents[n];
        const keep = straddle && straddle.start < stop ? stop - straddle.start : 0;
        let pass = this.release(n);
        if (keep > 0) pass += this.render(straddle, keep);
        this.heldEvents = [];
        this.held = '';
        return { pass, cut: true };
      }
      if (!final) holdFrom = Math.max(0, Math.min(this.held.length, v.open - from), this.held.length - MAX_HOLD);
    }
    let n = 0;
    // In order, up to the first event whose text reaches into the part that must wait.
    while (n < this.heldEvents.length && (final || this.heldEvents[n].end <= holdFrom)) n++;
    return { pass: this.release(n), cut: false };
  }

  /** Writes out the first `n` held events, masked where a masking hit covers their text. */
  private release(n: number): string {
    if (n === 0) return '';
    let out = '';
    for (const e of this.heldEvents.slice(0, n)) out += this.render(e);
    const released = this.heldEvents.splice(0, n);
    const upTo = released[released.length - 1].end;
    this.recent = (this.recent + this.held.slice(0, upTo)).slice(-STREAM_WINDOW);
    this.held = this.held.slice(upTo);
    for (const e of this.heldEvents) {
      e.start -= upTo;
      e.end -= upTo;
    }
    this.lastHits = this.lastHits.map((h) => ({ ...h, start: h.start - upTo, end: h.end - upTo }));
    return out;
  }

  /**
   * One held event as it goes out: masked where a masking hit covers its text, its whole texts
   * masked on their own, and (with `keep`) its new text cut after that many characters.
   */
  private render(e: HeldEvent, keep?: number): string {
    const touched = this.lastHits.filter((h) => h.action === 'mask' && h.start < e.end && h.end > e.start);
    if (touched.length === 0 && e.event.whole.length === 0 && keep === undefined) return e.raw;
    let changed = false;
    let at = e.start;
    for (const slot of e.event.deltas) {
      const s = at;
      at += slot.text.length;
      const spans = touched.filter((h) => h.start < at && h.end > s).map((h) => [Math.max(0, h.start - s), Math.min(slot.text.length, h.end - s)] as const);
      let text = spans.length > 0 ? maskSpans(slot.text, spans) : slot.text;
      if (keep !== undefined) text = text.slice(0, Math.max(0, keep - (s - e.start)));
      if (text !== slot.text) {
        slot.set(text);
        changed = true;
      }
    }
    for (const slot of e.event.whole) {
      const m = this.guard.inspect([slot.text], this.subject, 'output').masked[0];
      if (m !== null && m !== slot.text) {
        slot.set(m);
        changed = true;
      }
    }
    return changed ? e.event.render() : e.raw;
  }

  /** The caller's content-filter ending. */
  ending(): string {
    return this.reader.ending();
  }
}

/** `text` with the spans replaced by one `*` per character. */
function maskSpans(text: string, spans: readonly (readonly [number, number])[]): string {
  let out = '';
  let at = 0;
  for (const [s, e] of [...spans].sort((a, b) => a[0] - b[0])) {
    if (e <= at) continue;
    const start = Math.max(s, at);
    out += text.slice(at, start) + '*'.repeat([...text.slice(start, e)].length);
    at = e;
  }
  return out + text.slice(at);
}
