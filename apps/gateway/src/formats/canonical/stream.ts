import type { PromptTokens } from '../tokens.js';
import { parseSseEvent, SseSplitter } from '../sse.js';
import { DeliveredText } from '../delivered.js';
import { streamUsage } from '../stream-usage.js';
import type { StreamTap } from '../types.js';
import type { Usage } from '../../core/calls.js';
import type { GatewayError } from '../../core/errors.js';
import type { CanonicalEvent, StreamDecoder, StreamEncoder } from './types.js';

/**
 * A provider stream in one format re-spoken in another, event by event: each provider event is
 * decoded into canonical events and each of those encoded for the caller at once. Usage is the
 * provider's latest report (reports replace each other; they are never added up) when it is the
 * final one; a stream that ended before it is charged for what reached the caller (stream-usage.ts).
 */
export class TranslatingTap implements StreamTap {
  private readonly splitter = new SseSplitter();
  private reported: Usage | null = null;
  /** The latest report came once every choice had finished: the provider's final figures. */
  private reportedFinal = false;
  /** Choices that produced something, and those that finished. */
  private readonly begun = new Set<number>();
  private readonly finished = new Set<number>();
  /** Produced text the caller's encoder has written out (bounded: formats/delivered.ts). */
  private readonly delivered = new DeliveredText();
  /**
   * Produced text the encoder has not written yet: tool-call fragments it gathers into whole calls
   * (Gemini), reasoning the caller asked not to see. It counts once later output went out after it.
   */
  private pending = '';
  complete = false;
  endsAt = 0;
  inBandError: string | null = null;
  /** Where, in `onRaw`'s output, the canonical `end` event's encoding began. */
  private endInRaw = 0;

  /** Present when the caller's encoder renders failures itself (see StreamEncoder.failure). */
  streamError?: (err: GatewayError) => string;

  constructor(
    private readonly decoder: StreamDecoder,
    private readonly encoder: StreamEncoder,
    private readonly promptTokens: PromptTokens,
  ) {
    if (encoder.failure) this.streamError = (err) => encoder.failure!({ message: err.message, status: err.status, code: err.code });
  }

  push(text: string): string {
    let out = '';
    for (const raw of this.splitter.push(text)) {
      const before = this.complete;
      const piece = this.onRaw(raw);
      if (!before && this.complete) this.endsAt = out.length + this.endInRaw;
      out += piece;
    }
    return out;
  }

  end(): string {
    let out = '';
    const rest = this.splitter.rest();
    if (rest) out += this.onRaw(rest);
    for (const ev of this.decoder.finish()) out += this.onEvent(ev);
    return out;
  }

  usage(promptTokens: PromptTokens): Usage {
    // A properly ended stream is charged for all it produced when the provider reported nothing.
    if (this.complete) return streamUsage(this.reported, true, promptTokens, () => this.delivered.count(this.pending));
    return streamUsage(this.reported, this.reportedFinal, promptTokens, () => this.delivered.count());
  }

  private onRaw(raw: string): string {
    const ev = parseSseEvent(raw) ?? bareJson(raw);
    if (!ev) return '';
    let out = '';
    for (const c of this.decoder.decode(ev)) {
      if (c.type === 'end' && !this.complete) this.endInRaw = out.length;
      out += this.onEvent(c);
    }
    return out;
  }

  private onEvent(ev: CanonicalEvent): string {
    // After an error or the end nothing more may reach the caller.
    if (this.complete || this.inBandError) return '';
    switch (ev.type) {
      case 'usage':
        this.reported = ev.usage;
        // Early and running reports (Anthropic's message_start, Gemini's and ERNIE's every chunk)
        // come while choices are still open; the final one after they all finished.
        this.reportedFinal = this.finished.size > 0 && [...this.begun].every((c) => this.finished.has(c));
        break;
      case 'text':
      case 'reasoning':
        this.begun.add(ev.choice);
        this.pending += ev.text;
        break;
      case 'tool_call':
        this.begun.add(ev.choice);
        this.pending += (ev.name ?? '') + ev.args;
        break;
      case 'finish':
        this.begun.add(ev.choice);
        this.finished.add(ev.choice);
        break;
      case 'error':
        this.inBandError = ev.message;
        break;
      case 'end':
        this.complete = true;
        break;
      default:
        break;
    }
    const out = this.encoder.encode(ev, () => this.usage(this.promptTokens));
    if (out && this.pending) {
      this.delivered.addText(this.pending);
      this.pending = '';
    }
    return out;
  }
}

/** Gemini may answer a broken stream with a bare JSON error body instead of an SSE event. */
function bareJson(raw: string): { event: null; data: string } | null {
  const t = raw.trim();
  return t.startsWith('{') || t.startsWith('[{') ? { event: null, data: t.startsWith('[') ? t.slice(1).replace(/\]$/, '') : t } : null;
}
