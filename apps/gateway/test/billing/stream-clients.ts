/**
 * Raw-HTTP streaming clients of every dialect the gateway speaks, for the stream-cut billing tests:
 * each sends one user text and reads back the produced content (answer text and shown reasoning)
 * exactly as it arrived, piece by piece, from the raw SSE body; in-band errors and framing events
 * carry none. Token figures are computed here with the tokenizer library itself (OpenAI's
 * published chat framing), never with the gateway's own functions.
 */
import { countTokens } from 'gpt-tokenizer';

export type IngressName = 'openai-chat' | 'openai-completions' | 'responses' | 'anthropic' | 'gemini';

export interface Ingress {
  name: IngressName;
  send(base: string, key: string, model: string, text: string): Promise<Response>;
  /** The content pieces in a (possibly unfinished) SSE body, in order. */
  pieces(raw: string): string[];
  /** The prompt as any gateway must estimate it when the provider reported none: the text as sent, framed as the dialect frames it. */
  estimate(text: string): number;
}

/** o200k_base, special-token markup read as plain text (as providers count it). */
export const tok = (s: string): number => countTokens(s, { disallowedSpecial: new Set() } as never);

/** OpenAI's chat framing for one user turn: 3 to prime the reply, 3 per message, the role and the text. */
export const oneUserTurn = (text: string): number => 3 + 3 + tok('user') + tok(text);

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The complete events of an SSE body (an unterminated last event is not one yet). */
function events(raw: string): { event: string | null; data: Json }[] {
  const out: { event: string | null; data: Json }[] = [];
  const parts = raw.replace(/\r\n?/g, '\n').split('\n\n');
  parts.pop();
  for (const part of parts) {
    let event: string | null = null;
    const data: string[] = [];
    for (const line of part.split('\n')) {
      if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
    }
    if (!data.length) continue;
    const text = data.join('\n');
    let json: Json = null;
    try {
      json = text === '[DONE]' ? null : JSON.parse(text);
    } catch {
      json = null;
    }
    out.push({ event, data: json });
  }
  return out;
}

const nonEmpty = (xs: unknown[]): string[] => xs.filter((x): x is string => typeof x === 'string' && x !== '');

const post = (url: string, headers: Record<string, string>, body: unknown) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

export const INGRESSES: Record<IngressName, Ingress> = {
  'openai-chat': {
    name: 'openai-chat',
    send: (base, key, model, text) => post(`${base}/v1/chat/completions`, { authorization: `Bearer ${key}` }, { model, stream: true, messages: [{ role: 'user', content: text }] }),
    pieces: (raw) =>
      events(raw).flatMap((e) => {
        const d = e.data?.choices?.[0]?.delta;
        return nonEmpty([d?.reasoning_content, d?.content]);
      }),
    estimate: oneUserTurn,
  },
  'openai-completions': {
    name: 'openai-completions',
    send: (base, key, model, text) => post(`${base}/v1/completions`, { authorization: `Bearer ${key}` }, { model, stream: true, max_tokens: 400, prompt: text }),
    pieces: (raw) => nonEmpty(events(raw).map((e) => e.data?.choices?.[0]?.text)),
    // A completion prompt is plain text: no chat framing.
    estimate: tok,
  },
  responses: {
    name: 'responses',
    send: (base, key, model, text) => post(`${base}/v1/responses`, { authorization: `Bearer ${key}` }, { model, stream: true, input: text }),
    pieces: (raw) =>
      nonEmpty(
        events(raw)
          .filter((e) => e.event === 'response.output_text.delta' || e.event === 'response.reasoning_summary_text.delta' || e.event === 'response.reasoning_text.delta')
          .map((e) => e.data?.delta),
      ),
    estimate: oneUserTurn,
  },
  anthropic: {
    name: 'anthropic',
    send: (base, key, model, text) =>
      post(`${base}/v1/messages`, { 'x-api-key': key, 'anthropic-version': '2023-06-01' }, { model, max_tokens: 1024, stream: true, messages: [{ role: 'user', content: text }] }),
    pieces: (raw) =>
      nonEmpty(
        events(raw)
          .filter((e) => e.event === 'content_block_delta')
          .map((e) => e.data?.delta?.text ?? e.data?.delta?.thinking),
      ),
    estimate: oneUserTurn,
  },
  gemini: {
    name: 'gemini',
    send: (base, key, model, text) => post(`${base}/v1beta/models/${model}:streamGenerateContent?alt=sse`, { 'x-goog-api-key': key }, { contents: [{ role: 'user', parts: [{ text }] }] }),
    // Every part's text: the answer's and the shown thoughts' (`thought: true`).
    pieces: (raw) => nonEmpty(events(raw).flatMap((e) => (e.data?.candidates?.[0]?.content?.parts ?? []).map((p: Json) => p?.text))),
    estimate: oneUserTurn,
  },
};
