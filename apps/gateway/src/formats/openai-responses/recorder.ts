import type { AnswerHook } from '../host.js';
import { parseSseEvent, SseSplitter } from '../sse.js';

type Json = Record<string, unknown>;

/** The stream's last event carries the whole Response (https://platform.openai.com/docs/api-reference/responses-streaming). */
const TERMINAL = new Set(['response.completed', 'response.incomplete', 'response.failed']);
/** Cheap look at an event before parsing it: its `event:` line, or the `type` its data begins with. */
const TYPE_OF = /^(?:event: ([\w.]+)|data: \{"type":"([\w.]+)")/;

/**
 * Follows a created response on its way to the caller:
 * - names the response it continues: the provider never saw `previous_response_id` (the gateway
 *   sent the stored conversation instead), so its answer says `"previous_response_id": null`;
 * - keeps the Response (plain, or the stream's terminal event's) through `save`, before the caller
 *   sees its end, so the caller's next call can already continue from it.
 * Text is otherwise untouched: a passed-through answer stays byte for byte the provider's.
 */
export function recordResponse(previousId: string | null, save: ((response: Json) => Promise<void>) | null): AnswerHook {
  const previous = previousId ? `"previous_response_id":${JSON.stringify(previousId)}` : null;
  // Only Response objects have this key, and inside a JSON string its quotes would be escaped.
  const name = (text: string) => (previous ? text.replace(/"previous_response_id":\s*null/g, previous) : text);
  const splitter = new SseSplitter();
  let saved = false;
  return {
    async body(bytes) {
      const text = name(bytes.toString('utf8'));
      if (save) {
        const response = parse(text);
        if (response?.object === 'response' && typeof response.id === 'string') await save(response);
      }
      return previous ? Buffer.from(text, 'utf8') : bytes;
    },
    stream(text) {
      const out = name(text);
      if (!save || saved) return { text: out };
      let response: Json | null = null;
      for (const raw of splitter.push(out)) {
        const m = TYPE_OF.exec(raw);
        if (!m || !TERMINAL.has(m[1] ?? m[2])) continue;
        const ev = parseSseEvent(raw);
        const r = ev ? (parse(ev.data)?.response as Json | undefined) : undefined;
        if (r && typeof r.id === 'string') response = r;
      }
      if (!response) return { text: out };
      saved = true;
      return { text: out, hold: save(response) };
    },
  };
}

function parse(text: string): Json | null {
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === 'object' ? (v as Json) : null;
  } catch {
    return null;
  }
}
