/**
 * Splits SSE text into whole events, whatever way the bytes were cut. Line endings are normalised
 * to `\n` (servers built on sse-starlette and Google send CRLF), and a trailing `\r` is held back in
 * case its `\n` arrives in the next read.
 */
export class SseSplitter {
  private buf = '';

  /** Returns the complete events in `text` (each without its blank-line terminator). */
  push(text: string): string[] {
    let s = this.buf + text;
    if (s.includes('\r')) {
      const holdCr = s.endsWith('\r');
      if (holdCr) s = s.slice(0, -1);
      s = s.replace(/\r\n?/g, '\n');
      if (holdCr) s += '\r';
    }
    const events: string[] = [];
    let start = 0;
    let i: number;
    while ((i = s.indexOf('\n\n', start)) >= 0) {
      if (i > start) events.push(s.slice(start, i));
      start = i + 2;
    }
    this.buf = s.slice(start);
    return events;
  }

  /** What is left at end of stream (an unterminated last event), if anything. */
  rest(): string {
    const r = this.buf.replace(/\r$/, '').trim();
    this.buf = '';
    return r;
  }
}

export interface SseEvent {
  event: string | null;
  data: string;
}

/** Parses one raw event: `event:` and joined `data:` lines; comments and unknown fields ignored. */
export function parseSseEvent(raw: string): SseEvent | null {
  // Fast path: the overwhelmingly common single-line `data: ...` event.
  if (raw.startsWith('data: ') && raw.indexOf('\n') < 0) return { event: null, data: raw.slice(6) };
  let event: string | null = null;
  const data: string[] = [];
  for (const line of raw.split('\n')) {
    if (!line || line[0] === ':') continue;
    const c = line.indexOf(':');
    const field = c < 0 ? line : line.slice(0, c);
    let value = c < 0 ? '' : line.slice(c + 1);
    if (value[0] === ' ') value = value.slice(1);
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  }
  if (event === null && data.length === 0) return null;
  return { event, data: data.join('\n') };
}

export const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  'x-accel-buffering': 'no',
} as const;
