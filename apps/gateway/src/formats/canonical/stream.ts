import { parseSseEvent, SseSplitter } from '../sse.js';
import type { StreamTap } from '../types.js';
import type { Usage } from '../../core/calls.js';
import type { GatewayError } from '../../core/errors.js';
import type { CanonicalEvent, StreamDecoder, StreamEncoder } from './types.js';
import { estimatedUsage } from './util.js';

/**
 * A provider stream in one format re-spoken in another, event by event: each provider event is
 * decoded into canonical events and each of those encoded for the caller at once. Usage is the
 * provider's latest report (reports replace each other; they are never added up), or, when the
 * provider reported none, the gateway's count of what was produced.
 */
export class TranslatingTap implements StreamTap {
  private readonly splitter = new SseSplitter();
  private reported: Usage | null = null;
  private produced = '';
  complete = false;
  inBandError: string | null = null;

  /** Present when the caller's encoder renders failures itself (see StreamEncoder.failure). */
  streamError?: (err: GatewayError) => string;

  constructor(
    private readonly decoder: StreamDecoder,
    private readonly encoder: StreamEncoder,
    private readonly promptEstimate: number,
  ) {
    if (encoder.failure) this.streamError = (err) => encoder.failure!({ message: err.message, status: err.status, code: err.code });
  }

  push(text: string): string {
    let out = '';
    for (const raw of this.splitter.push(text)) out += this.onRaw(raw);
    return out;
  }

  end(): string {
    let out = '';
    const rest = this.splitter.rest();
    if (rest) out += this.onRaw(rest);
    for (const ev of this.decoder.finish()) out += this.onEvent(ev);
    return out;
  }

  usage(promptEstimate: number): Usage {
    return this.reported ?? estimatedUsage(promptEstimate, this.produced);
  }

  private onRaw(raw: string): string {
    const ev = parseSseEvent(raw) ?? bareJson(raw);
    if (!ev) return '';
    let out = '';
    for (const c of this.decoder.decode(ev)) out += this.onEvent(c);
    return out;
  }

  private onEvent(ev: CanonicalEvent): string {
    // After an error or the end nothing more may reach the caller.
    if (this.complete || this.inBandError) return '';
    if (ev.type === 'usage') this.reported = ev.usage;
    else if (ev.type === 'text' || ev.type === 'reasoning') this.produced += ev.text;
    else if (ev.type === 'tool_call') this.produced += (ev.name ?? '') + ev.args;
    else if (ev.type === 'error') this.inBandError = ev.message;
    else if (ev.type === 'end') this.complete = true;
    return this.encoder.encode(ev, () => this.usage(this.promptEstimate));
  }
}

/** Gemini may answer a broken stream with a bare JSON error body instead of an SSE event. */
function bareJson(raw: string): { event: null; data: string } | null {
  const t = raw.trim();
  return t.startsWith('{') || t.startsWith('[{') ? { event: null, data: t.startsWith('[') ? t.slice(1).replace(/\]$/, '') : t } : null;
}
