import { StringDecoder } from 'node:string_decoder';

/**
 * An upstream stream's bytes as text, chunk by chunk: a character cut between two chunks is held
 * until its last byte arrives, a sequence still cut at the end becomes U+FFFD, and one leading
 * byte-order mark is dropped (the WHATWG Encoding Standard's UTF-8 decode, which `TextDecoder`
 * applies, and SSE's own rule: https://html.spec.whatwg.org/multipage/server-sent-events.html#parsing-an-event-stream).
 *
 * Node's `StringDecoder` rather than `TextDecoder`: a stream is decoded a few hundred bytes at a
 * time, and `TextDecoder`'s streaming mode (an ICU converter per stream) cost 0.42 µs per 150-byte
 * chunk against 0.17 µs (bench/RESULTS.md, session 13).
 */
export class Utf8Stream {
  private readonly decoder = new StringDecoder('utf8');
  private started = false;

  /** The text of `chunk` (with whatever an earlier chunk left incomplete). */
  write(chunk: Buffer): string {
    const text = this.decoder.write(chunk);
    if (this.started || text === '') return text;
    this.started = true;
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  }

  /** What is left at the end: an incomplete sequence, as U+FFFD. */
  end(): string {
    const text = this.decoder.end();
    if (this.started || text === '') return text;
    this.started = true;
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  }
}
