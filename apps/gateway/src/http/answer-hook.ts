import type { ServerResponse } from 'node:http';
import type { AnswerHook } from '../formats/host.js';

/**
 * Puts a route's stream hook between the relay and the caller's connection: every text the relay
 * writes goes through `hook.stream` first. When the hook asks to hold (it is saving what the caller
 * is about to read of), that text and everything after it, the end included, wait for the promise:
 * a client that saw the stream's last event can then rely on what the hook saved. While holding,
 * writes report no back-pressure (the held text is small: the stream's final events).
 * Returns the function that puts the connection's own methods back.
 */
export function hookStream(res: ServerResponse, hook: NonNullable<AnswerHook['stream']>): () => void {
  const write = res.write;
  const end = res.end;
  const raw = { write: write.bind(res) as (chunk: string) => boolean, end: end.bind(res) as () => ServerResponse };
  let held: string[] | null = null;
  let endAfterHold = false;

  const release = () => {
    const queue = held ?? [];
    held = null;
    for (const text of queue) if (!res.destroyed) raw.write(text);
    if (endAfterHold) raw.end();
  };

  res.write = ((chunk: unknown, ...rest: unknown[]): boolean => {
    const text = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) || chunk instanceof Uint8Array ? Buffer.from(chunk).toString('utf8') : String(chunk);
    const out = held ? { text } : hook(text);
    if (held) {
      held.push(out.text);
      callback(rest)?.();
      return true;
    }
    if (out.hold) {
      held = [out.text];
      out.hold.then(release, release);
      callback(rest)?.();
      return true;
    }
    const ok = raw.write(out.text);
    callback(rest)?.();
    return ok;
  }) as ServerResponse['write'];

  res.end = ((chunk?: unknown, ...rest: unknown[]): ServerResponse => {
    if (chunk !== undefined && typeof chunk !== 'function') res.write(chunk as string);
    if (held) endAfterHold = true;
    else raw.end();
    callback(typeof chunk === 'function' ? [chunk] : rest)?.();
    return res;
  }) as ServerResponse['end'];

  return () => {
    res.write = write;
    res.end = end;
  };
}

/** The completion callback among `write`/`end`'s optional arguments (the relay passes none). */
function callback(rest: unknown[]): (() => void) | undefined {
  const f = rest.find((a) => typeof a === 'function');
  return f as (() => void) | undefined;
}
