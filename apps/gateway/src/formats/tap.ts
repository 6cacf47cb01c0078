import type { PromptTokens } from './tokens.js';
import { DeliveredText } from './delivered.js';
import { SseSplitter } from './sse.js';
import { streamUsage } from './stream-usage.js';
import type { Usage } from '../core/calls.js';
import type { StreamTap } from './types.js';

/**
 * The frame every pass-through stream tap shares: upstream text is split into whole SSE events and
 * each event is handed to `onEvent`, which returns what reaches the client (possibly nothing).
 */
export abstract class EventTap implements StreamTap {
  private readonly splitter = new SseSplitter();
  complete = false;
  endsAt = 0;
  inBandError: string | null = null;

  push(text: string): string {
    let out = '';
    for (const raw of this.splitter.push(text)) {
      const before = this.complete;
      const piece = this.onEvent(raw);
      if (!before && this.complete) this.endsAt = out.length;
      out += piece;
    }
    return out;
  }

  end(): string {
    const rest = this.splitter.rest();
    return rest ? this.onEvent(rest) : '';
  }

  /** The provider's latest usage report, once seen: early and running ones included. */
  protected reported: Usage | null = null;
  /** Whether `reported` is the provider's terminal report (see stream-usage.ts). */
  protected reportedFinal = false;
  /**
   * Forwarded events that carry produced text, kept unparsed (with a bound, formats/delivered.ts):
   * parsed only if the stream ends without the provider's final report. Only events the tap passed
   * on to the client go here, so what is counted is what was delivered.
   */
  protected readonly produced = new DeliveredText((d) => {
    try {
      return this.producedText(JSON.parse(d));
    } catch {
      return ''; // a malformed event produced nothing countable
    }
  });

  protected abstract onEvent(raw: string): string;
  /** The text one kept event produced (for the gateway's own count). */
  protected abstract producedText(data: unknown): string;

  usage(promptTokens: PromptTokens): Usage {
    return streamUsage(this.reported, this.reportedFinal || this.complete, promptTokens, () => this.produced.count());
  }
}
