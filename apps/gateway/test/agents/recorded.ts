/**
 * Recorded agent request sequences (apps/gateway/test/fixtures/agents/<agent>.json): what a coding
 * agent sent the gateway, turn by turn, as record-fixtures.ts captured it, and what a replay needs
 * to feed each answer back the way the agent did.
 *
 * A later turn repeats earlier answers (signed thinking, Gemini thoughtSignatures, Responses
 * reasoning items with their encrypted content, tool-call ids). Those opaque values are the ones a
 * simulator instance made for that run, so each turn also records, in order, the opaque values of
 * the answer it got: a replay reads the same values from its own answers and swaps them in.
 */
import { payloads, wireOf, type Exchange } from './tap.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface RecordedTurn {
  method: string;
  /** Path and query as the agent sent them (e.g. `/v1/messages?beta=true`). */
  url: string;
  /** The headers that shape the call (no credentials, no transport headers). */
  headers: Record<string, string>;
  body: Json;
  /** The opaque values of the answer this turn got, in the order they appeared. */
  answer: string[];
}

export interface RecordedSession {
  /** `plain` (a prompt answered directly) or `tool` (a tool round trip). */
  name: string;
  turns: RecordedTurn[];
}

export interface AgentFixture {
  agent: string;
  /** Agent package and version the sequence was recorded with. */
  recordedWith: string;
  sessions: RecordedSession[];
}

/** Headers a recording leaves out: credentials, and what the transport sets per connection. */
const DROPPED = new Set(['authorization', 'x-api-key', 'x-goog-api-key', 'api-key', 'cookie', 'host', 'content-length', 'connection', 'accept-encoding', 'transfer-encoding', 'keep-alive', 'proxy-authorization']);

/** Where the recorded home (a temp folder) appears, a fixed path stands: no machine path is kept. */
export const HOME_PLACEHOLDER = '/home/agent';

/** Replaces every occurrence of each `[from, to]` pair in every string of `value` (keys included). */
export function replaceAll<T>(value: T, pairs: [string, string][]): T {
  let text = JSON.stringify(value);
  for (const [from, to] of pairs) {
    if (!from) continue;
    // Compare in JSON-escaped form: the values sit inside JSON strings.
    const a = JSON.stringify(from).slice(1, -1);
    const b = JSON.stringify(to).slice(1, -1);
    text = text.split(a).join(b);
  }
  return JSON.parse(text) as T;
}

/** One agent→gateway call as a fixture turn: credentials and machine paths removed. */
export function toTurn(x: Exchange, scrub: [string, string][]): RecordedTurn {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(x.headers)) if (!DROPPED.has(k.toLowerCase())) headers[k.toLowerCase()] = v;
  const url = x.url.replace(/([?&])key=[^&]*&?/, '$1').replace(/[?&]$/, '');
  return replaceAll({ method: x.method, url, headers, body: JSON.parse(x.request) as Json, answer: opaqueValues(x.url, x.body) }, scrub);
}

/**
 * The values of an answer that the next turn must carry back unchanged, in order: Anthropic
 * thinking signatures, redacted thinking and tool_use ids; Responses item ids, call ids and
 * encrypted reasoning; Gemini thoughtSignatures and function-call ids.
 */
export function opaqueValues(url: string, body: string): string[] {
  const out: string[] = [];
  const add = (v: unknown) => {
    if (typeof v === 'string' && v.length > 0) out.push(v);
  };
  const events = payloads(body);
  switch (wireOf(url)) {
    case 'anthropic': {
      const blocks: Json[] = events.length === 1 && Array.isArray(events[0].content) ? events[0].content : [];
      for (const b of blocks) {
        add(b.signature);
        add(b.data);
        if (b.type === 'tool_use') add(b.id);
      }
      // Streamed: a block's id arrives at its start, its signature in a signature_delta.
      for (const e of events) {
        if (e.type === 'content_block_start') {
          add(e.content_block?.signature);
          add(e.content_block?.data);
          if (e.content_block?.type === 'tool_use') add(e.content_block.id);
        }
        if (e.delta?.type === 'signature_delta') add(e.delta.signature);
      }
      break;
    }
    case 'responses': {
      const done = events.find((e) => e.type === 'response.completed' || e.type === 'response.incomplete')?.response ?? events[0];
      for (const item of (done.output ?? []) as Json[]) {
        add(item.id);
        add(item.call_id);
        add(item.encrypted_content);
      }
      break;
    }
    case 'chat':
      for (const e of events) for (const c of (e.choices?.[0]?.delta?.tool_calls ?? e.choices?.[0]?.message?.tool_calls ?? []) as Json[]) add(c.id);
      break;
    case 'gemini':
      for (const e of events)
        for (const p of (e.candidates?.[0]?.content?.parts ?? []) as Json[]) {
          add(p.thoughtSignature);
          add(p.functionCall?.id);
        }
      break;
  }
  return out;
}

/** Every signature-like value in a request body (thinking signatures, redacted thinking, encrypted reasoning, thoughtSignatures), in order. */
export function signaturesIn(body: unknown): string[] {
  const out: string[] = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      const o = v as Json;
      if (typeof o.signature === 'string') out.push(o.signature);
      if (o.type === 'redacted_thinking' && typeof o.data === 'string') out.push(o.data);
      if (typeof o.encrypted_content === 'string') out.push(o.encrypted_content);
      if (typeof o.thoughtSignature === 'string') out.push(o.thoughtSignature);
      for (const k of Object.keys(o)) walk(o[k]);
    }
  };
  walk(body);
  return out;
}
