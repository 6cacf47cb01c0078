import { isAscii, isUtf8, transcode } from 'node:buffer';

/** Below this many bytes the two decoders below differ by well under a microsecond. */
const CONVERTER_FROM = 512;

/**
 * `bytes` as text, exactly as `bytes.toString('utf8')` reads them, sooner when they hold text
 * outside ASCII. Node 20's `toString('utf8')` (V8's UTF-8 decoder) takes about 5–7 µs per KB of
 * Chinese text on the bench machine, ten times ICU's converter (`buffer.transcode` to UTF-16, then a
 * copy into the string): a 32 KB Chinese prompt 144 → 14 µs (bench/RESULTS.md, session 32), and
 * JSON of 8–32 KB with any share of text outside ASCII is converted sooner. Chinese prompts and
 * answers are this product's everyday text. From about 128 KB both ways are mostly page faults (the
 * string lives in V8's large-object space, fresh pages each time; the converter's UTF-16 buffer is a
 * fresh mapping too when `MALLOC_MMAP_THRESHOLD_` is 128 KiB, as `npm start` sets it), and for a
 * coding agent's mostly-ASCII 318 KB turn neither is reliably faster (session 33). Only valid UTF-8 goes through the converter: the two decoders
 * replace invalid sequences differently, and what the gateway reads must not depend on which ran
 * (`isUtf8` and `isAscii` are simdutf's, a few µs for 290 KB). ASCII, small and invalid texts keep
 * V8's decoder. Without ICU (a Node built without `Intl`) `transcode` throws, and V8's decoder serves.
 */
export function utf8Text(bytes: Buffer, valid?: boolean): string {
  if (bytes.length < CONVERTER_FROM || isAscii(bytes) || !(valid ?? isUtf8(bytes))) return bytes.toString('utf8');
  try {
    return transcode(bytes, 'utf8', 'utf16le').toString('utf16le');
  } catch {
    return bytes.toString('utf8');
  }
}
