// Test helpers: a tiny SSE reader and token counting with the same tokenizer the simulator uses.
import { countTokens } from 'gpt-tokenizer';

export const tok = (s: string): number => countTokens(s, { disallowedSpecial: new Set() });

export interface SseEvent {
  event: string | null;
  data: string;
}

/** Parses a complete SSE body (LF or CRLF framing); comments are dropped. */
export function parseSse(text: string): SseEvent[] {
  const out: SseEvent[] = [];
  for (const raw of text.replace(/\r\n?/g, '\n').split('\n\n')) {
    if (!raw.trim()) continue;
    let event: string | null = null;
    const data: string[] = [];
    for (const line of raw.split('\n')) {
      if (!line || line.startsWith(':')) continue;
      const c = line.indexOf(':');
      const f = c < 0 ? line : line.slice(0, c);
      let v = c < 0 ? '' : line.slice(c + 1);
      if (v.startsWith(' ')) v = v.slice(1);
      if (f === 'event') event = v;
      else if (f === 'data') data.push(v);
    }
    if (event !== null || data.length) out.push({ event, data: data.join('\n') });
  }
  return out;
}

/** JSON payloads of the data events, skipping `[DONE]`. */
export function sseJson(text: string): any[] { // eslint-disable-line @typescript-eslint/no-explicit-any
  return parseSse(text)
    .filter((e) => e.data !== '[DONE]')
    .map((e) => JSON.parse(e.data));
}

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

/** Cookbook prompt count for a list of plain-text chat messages. */
export function chatPromptTokens(messages: Array<{ role: string; content: string }>): number {
  let n = 3;
  for (const m of messages) n += 3 + tok(m.role) + tok(m.content);
  return n;
}
