import { SseSplitter } from '../sse.js';
import type { Usage } from '../types.js';
import type { StreamTap } from './types.js';

/**
 * The frame every pass-through stream tap shares: upstream text is split into whole SSE events and
 * each event is handed to `onEvent`, which returns what reaches the client (possibly nothing).
 */
export abstract class EventTap implements StreamTap {
  private readonly splitter = new SseSplitter();
  complete = false;
  inBandError: string | null = null;

  push(text: string): string {
    let out = '';
    for (const raw of this.splitter.push(text)) out += this.onEvent(raw);
    return out;
  }

  end(): string {
    const rest = this.splitter.rest();
    return rest ? this.onEvent(rest) : '';
  }

  protected abstract onEvent(raw: string): string;
  abstract usage(promptEstimate: number): Usage;
}
