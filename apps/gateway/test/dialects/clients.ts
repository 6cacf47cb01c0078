/**
 * Minimal raw-HTTP clients of the three ingress dialects, for the matrix: each builds the same
 * conversation in its own dialect, reads plain and streamed answers back into one comparable
 * shape, and checks the stream's framing rules as it goes (a client SDK would choke on them).
 */
import { expect } from 'vitest';

export type IngressName = 'openai' | 'anthropic' | 'gemini';

export interface Conversation {
  system?: string;
  user: string;
  image?: { mime: string; data: string };
  tools?: boolean;
  /** History of a finished tool call whose result goes back to the model. */
  toolResult?: { id: string; name: string; args: Record<string, unknown>; result: string };
  stream?: boolean;
  maxTokens?: number;
  stop?: string[];
}

export interface Answer {
  status: number;
  text: string;
  toolCalls: { id: string; name: string; args: Record<string, unknown> }[];
  /** Normalised: stop | length | tool | filter. */
  finish: string;
  usage: { input: number; output: number };
  raw: unknown;
}

export const WEATHER_TOOL = { name: 'get_weather', description: 'Current weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } };

/** A 1×1 PNG. */
export const PNG_1PX = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

export async function call(ingress: IngressName, baseUrl: string, key: string, model: string, conv: Conversation): Promise<Answer> {
  const req = BUILD[ingress](model, conv, key);
  const res = await fetch(baseUrl + req.path, { method: 'POST', headers: { 'content-type': 'application/json', ...req.headers }, body: JSON.stringify(req.body) });
  const text = await res.text();
  if (res.status !== 200) return { status: res.status, text: '', toolCalls: [], finish: 'error', usage: { input: 0, output: 0 }, raw: safeJson(text) };
  if (conv.stream) {
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    return { status: 200, ...STREAM[ingress](text) };
  }
  return { status: 200, ...PLAIN[ingress](JSON.parse(text)) };
}

function safeJson(t: string): unknown {
  try {
    return JSON.parse(t);
  } catch {
    return t;
  }
}

type Built = { path: string; headers: Record<string, string>; body: Record<string, unknown> };

export const BUILD: Record<IngressName, (model: string, c: Conversation, key: string) => Built> = {
  openai(model, c, key) {
    const messages: unknown[] = [];
    if (c.system) messages.push({ role: 'system', content: c.system });
    const userContent = c.image ? [{ type: 'text', text: c.user }, { type: 'image_url', image_url: { url: `data:${c.image.mime};base64,${c.image.data}` } }] : c.user;
    messages.push({ role: 'user', content: userContent });
    if (c.toolResult) {
      const r = c.toolResult;
      messages.push({ role: 'assistant', content: null, tool_calls: [{ id: r.id, type: 'function', function: { name: r.name, arguments: JSON.stringify(r.args) } }] });
      messages.push({ role: 'tool', tool_call_id: r.id, content: r.result });
    }
    const body: Record<string, unknown> = { model, messages };
    if (c.stream) Object.assign(body, { stream: true, stream_options: { include_usage: true } });
    if (c.tools) body.tools = [{ type: 'function', function: WEATHER_TOOL }];
    if (c.maxTokens) body.max_tokens = c.maxTokens;
    if (c.stop) body.stop = c.stop;
    return { path: '/v1/chat/completions', headers: { authorization: `Bearer ${key}` }, body };
  },
  anthropic(model, c, key) {
    const messages: unknown[] = [];
    const userContent = c.image ? [{ type: 'text', text: c.user }, { type: 'image', source: { type: 'base64', media_type: c.image.mime, data: c.image.data } }] : c.user;
    messages.push({ role: 'user', content: userContent });
    if (c.toolResult) {
      const r = c.toolResult;
      messages.push({ role: 'assistant', content: [{ type: 'tool_use', id: r.id, name: r.name, input: r.args }] });
      messages.push({ role: 'user', content: [{ type: 'tool_result', tool_use_id: r.id, content: r.result }] });
    }
    const body: Record<string, unknown> = { model, max_tokens: c.maxTokens ?? 1024, messages };
    if (c.system) body.system = c.system;
    if (c.stream) body.stream = true;
    if (c.tools) body.tools = [{ name: WEATHER_TOOL.name, description: WEATHER_TOOL.description, input_schema: WEATHER_TOOL.parameters }];
    if (c.stop) body.stop_sequences = c.stop;
    return { path: '/v1/messages', headers: { 'x-api-key': key, 'anthropic-version': '2023-06-01' }, body };
  },
  gemini(model, c, key) {
    const parts: unknown[] = [{ text: c.user }];
    if (c.image) parts.push({ inlineData: { mimeType: c.image.mime, data: c.image.data } });
    const contents: unknown[] = [{ role: 'user', parts }];
    if (c.toolResult) {
      const r = c.toolResult;
      contents.push({ role: 'model', parts: [{ functionCall: { name: r.name, args: r.args } }] });
      contents.push({ role: 'user', parts: [{ functionResponse: { name: r.name, response: JSON.parse(r.result) } }] });
    }
    const body: Record<string, unknown> = { contents };
    if (c.system) body.systemInstruction = { parts: [{ text: c.system }] };
    if (c.tools) body.tools = [{ functionDeclarations: [WEATHER_TOOL] }];
    const gc: Record<string, unknown> = {};
    if (c.maxTokens) gc.maxOutputTokens = c.maxTokens;
    if (c.stop) gc.stopSequences = c.stop;
    if (Object.keys(gc).length) body.generationConfig = gc;
    const method = c.stream ? 'streamGenerateContent?alt=sse' : 'generateContent';
    return { path: `/v1beta/models/${model}:${method}`, headers: { 'x-goog-api-key': key }, body };
  },
};

type Parsed = Omit<Answer, 'status'>;

const OPENAI_FINISH: Record<string, string> = { stop: 'stop', length: 'length', tool_calls: 'tool', content_filter: 'filter' };
const ANTHROPIC_FINISH: Record<string, string> = { end_turn: 'stop', stop_sequence: 'stop', max_tokens: 'length', tool_use: 'tool', refusal: 'filter' };

const PLAIN: Record<IngressName, (b: any) => Parsed> = { // eslint-disable-line @typescript-eslint/no-explicit-any
  openai(b) {
    expect(b.object).toBe('chat.completion');
    const m = b.choices[0].message;
    return {
      text: m.content ?? '',
      toolCalls: (m.tool_calls ?? []).map((t: any) => ({ id: t.id, name: t.function.name, args: JSON.parse(t.function.arguments) })), // eslint-disable-line @typescript-eslint/no-explicit-any
      finish: OPENAI_FINISH[b.choices[0].finish_reason],
      usage: { input: b.usage.prompt_tokens, output: b.usage.completion_tokens },
      raw: b,
    };
  },
  anthropic(b) {
    expect(b.type).toBe('message');
    expect(b.role).toBe('assistant');
    return {
      text: b.content.filter((c: any) => c.type === 'text').map((c: any) => c.text).join(''), // eslint-disable-line @typescript-eslint/no-explicit-any
      toolCalls: b.content.filter((c: any) => c.type === 'tool_use').map((c: any) => ({ id: c.id, name: c.name, args: c.input })), // eslint-disable-line @typescript-eslint/no-explicit-any
      finish: ANTHROPIC_FINISH[b.stop_reason],
      usage: { input: b.usage.input_tokens + b.usage.cache_read_input_tokens + b.usage.cache_creation_input_tokens, output: b.usage.output_tokens },
      raw: b,
    };
  },
  gemini(b) {
    const c = b.candidates[0];
    const calls = c.content.parts.filter((p: any) => p.functionCall).map((p: any) => ({ id: p.functionCall.id, name: p.functionCall.name, args: p.functionCall.args })); // eslint-disable-line @typescript-eslint/no-explicit-any
    return {
      text: c.content.parts.map((p: any) => p.text ?? '').join(''), // eslint-disable-line @typescript-eslint/no-explicit-any
      toolCalls: calls,
      finish: c.finishReason === 'STOP' ? (calls.length ? 'tool' : 'stop') : c.finishReason === 'MAX_TOKENS' ? 'length' : 'filter',
      usage: { input: b.usageMetadata.promptTokenCount, output: b.usageMetadata.candidatesTokenCount },
      raw: b,
    };
  },
};

/** Splits an SSE body into events, checking it is LF- or CRLF-framed with whole events only. */
export function sseEvents(body: string): { event: string | null; data: string }[] {
  const norm = body.replace(/\r\n?/g, '\n');
  expect(norm.endsWith('\n\n')).toBe(true);
  return norm
    .split('\n\n')
    .filter((e) => e.trim() && !e.startsWith(':'))
    .map((raw) => {
      let event: string | null = null;
      const data: string[] = [];
      for (const line of raw.split('\n')) {
        if (line.startsWith('event: ')) event = line.slice(7);
        else if (line.startsWith('data: ')) data.push(line.slice(6));
      }
      return { event, data: data.join('\n') };
    });
}

const STREAM: Record<IngressName, (body: string) => Parsed> = {
  openai(body) {
    const events = sseEvents(body);
    expect(events.at(-1)!.data).toBe('[DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.data));
    // Azure's leading content-filter chunk has an empty id and no choices; every other chunk shares one id.
    expect(new Set(chunks.filter((c) => c.choices.length || c.usage).map((c) => c.id)).size).toBe(1);
    let text = '';
    let finish = '';
    const calls: { id: string; name: string; args: string }[] = [];
    let usage = { input: 0, output: 0 };
    for (const c of chunks) {
      if (c.prompt_filter_results && !c.choices.length) continue; // Azure's annotation chunk, passed through as Azure sends it
      expect(c.object).toBe('chat.completion.chunk');
      if (c.usage) usage = { input: c.usage.prompt_tokens, output: c.usage.completion_tokens };
      const ch = c.choices[0];
      if (!ch) continue;
      text += ch.delta.content ?? '';
      for (const t of ch.delta.tool_calls ?? []) {
        if (t.id) calls[t.index] = { id: t.id, name: t.function.name, args: '' };
        calls[t.index].args += t.function?.arguments ?? '';
      }
      if (ch.finish_reason) finish = OPENAI_FINISH[ch.finish_reason];
    }
    expect(chunks.find((c) => c.choices.length).choices[0].delta.role).toBe('assistant');
    return { text, toolCalls: calls.map((c) => ({ id: c.id, name: c.name, args: JSON.parse(c.args) })), finish, usage, raw: chunks };
  },
  anthropic(body) {
    const events = sseEvents(body);
    for (const e of events) expect(JSON.parse(e.data).type).toBe(e.event);
    const names = events.map((e) => e.event).filter((n) => n !== 'ping');
    expect(names[0]).toBe('message_start');
    expect(names.at(-1)).toBe('message_stop');
    expect(names.at(-2)).toBe('message_delta');
    // Blocks open, receive deltas and close in order, never interleaved.
    let open: number | null = null;
    let next = 0;
    let text = '';
    const calls: { id: string; name: string; args: string }[] = [];
    let blockKind = '';
    let start: any; // eslint-disable-line @typescript-eslint/no-explicit-any
    let delta: any; // eslint-disable-line @typescript-eslint/no-explicit-any
    for (const e of events) {
      const d = JSON.parse(e.data);
      if (e.event === 'message_start') start = d.message;
      else if (e.event === 'content_block_start') {
        expect(open).toBeNull();
        expect(d.index).toBe(next);
        open = d.index;
        blockKind = d.content_block.type;
        if (blockKind === 'tool_use') calls.push({ id: d.content_block.id, name: d.content_block.name, args: '' });
      } else if (e.event === 'content_block_delta') {
        expect(d.index).toBe(open);
        if (d.delta.type === 'text_delta') text += d.delta.text;
        else calls.at(-1)!.args += d.delta.partial_json;
      } else if (e.event === 'content_block_stop') {
        expect(d.index).toBe(open);
        open = null;
        next++;
      } else if (e.event === 'message_delta') delta = d;
    }
    expect(open).toBeNull();
    const u = { ...start.usage, ...delta.usage };
    return {
      text,
      toolCalls: calls.map((c) => ({ id: c.id, name: c.name, args: c.args ? JSON.parse(c.args) : {} })),
      finish: ANTHROPIC_FINISH[delta.delta.stop_reason],
      usage: { input: u.input_tokens + (u.cache_read_input_tokens ?? 0) + (u.cache_creation_input_tokens ?? 0), output: u.output_tokens },
      raw: events,
    };
  },
  gemini(body) {
    const chunks = sseEvents(body).map((e) => JSON.parse(e.data));
    let text = '';
    const calls: { id: string; name: string; args: Record<string, unknown> }[] = [];
    for (const c of chunks) {
      expect(c.error).toBeUndefined();
      for (const p of c.candidates?.[0]?.content?.parts ?? []) {
        text += p.text ?? '';
        if (p.functionCall) calls.push({ id: p.functionCall.id, name: p.functionCall.name, args: p.functionCall.args });
      }
    }
    const last = chunks.at(-1);
    const reason = last.candidates[0].finishReason;
    expect(reason).toBeTruthy();
    return {
      text,
      toolCalls: calls,
      finish: reason === 'STOP' ? (calls.length ? 'tool' : 'stop') : reason === 'MAX_TOKENS' ? 'length' : 'filter',
      usage: { input: last.usageMetadata.promptTokenCount, output: last.usageMetadata.candidatesTokenCount },
      raw: chunks,
    };
  },
};
