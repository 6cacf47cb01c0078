import { GatewayError } from '../core/errors.js';
import type { StreamText } from '../formats/safety-text.js';

export type GuardDirection = 'input' | 'output';
export type GuardAction = 'block' | 'mask' | 'flag';

/** The content rules' verdict on a call's texts (safety/guard.ts gives it). */
export interface GuardVerdict {
  action: GuardAction | null;
  /** Per text: its masked form, or null when nothing in it was masked. */
  masked: (string | null)[];
  rules: { ruleId: string; ruleName: string; action: GuardAction }[];
}

/**
 * What the pipeline asks of content safety. Implemented by safety/guard.ts and handed in by the
 * services, so the relay depends on this contract only. `active` is the hot path's one question:
 * with no rule for the caller's group and direction nothing else runs.
 */
export interface ContentGuard {
  active(group: string, direction: GuardDirection): boolean;
  inspect(texts: readonly string[], group: string | null, direction: GuardDirection): GuardVerdict;
  /** The verdict on the hits of `text` that end at or after `from` (a stream's new text, read with the window before it). */
  scan(text: string, from: number, group: string, direction: GuardDirection): GuardVerdict;
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

/**
 * The rules on a streamed answer, as its text accumulates (whole events at a time). A block cuts
 * the stream: the event that completes the blocked word is not sent, and the caller gets its
 * dialect's content-filter ending; the beginning of a word split across chunks may have been sent.
 * Masks are not applied to streams (the text before the match is already out): they are recorded
 * like flags. Each rule's decision is recorded once per call.
 */
export class StreamScreen {
  private recent = '';
  private readonly recorded = new Set<string>();

  constructor(
    private readonly guard: ContentGuard,
    private readonly group: string,
    private readonly reader: StreamText,
    private readonly record: (verdict: GuardVerdict) => void,
  ) {}

  /**
   * Screens a piece of the caller's stream event by event (a network chunk often holds many): what
   * may be written (the events before a cut), and whether the stream is cut there.
   */
  pass(out: string): { pass: string; cut: boolean } {
    let at = 0;
    while (at < out.length) {
      const end = out.indexOf('\n\n', at);
      const next = end === -1 ? out.length : end + 2;
      if (this.push(out.slice(at, next))) return { pass: out.slice(0, at), cut: true };
      at = next;
    }
    return { pass: out, cut: false };
  }

  /** Reads the text of whole events; true when the stream must be cut before them. */
  private push(events: string): boolean {
    const text = this.reader.text(events);
    if (!text) return false;
    const window = this.recent + text;
    const v = this.guard.scan(window, this.recent.length, this.group, 'output');
    this.recent = window.slice(-STREAM_WINDOW);
    if (v.action === null) return false;
    const fresh = v.rules.filter((r) => !this.recorded.has(r.ruleId));
    for (const r of fresh) this.recorded.add(r.ruleId);
    if (fresh.length > 0) this.record({ ...v, rules: fresh });
    this.verdict = v;
    return v.action === 'block';
  }

  /** The last verdict with hits (for the log's error when the stream was cut). */
  verdict: GuardVerdict | null = null;

  /** The caller's content-filter ending. */
  ending(): string {
    return this.reader.ending();
  }
}
