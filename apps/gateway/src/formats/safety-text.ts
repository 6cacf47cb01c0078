import type { Operation } from '../core/calls.js';

/**
 * One piece of a call's text the content rules read: the text, and how to put a masked version
 * back in its place (in the request on its way upstream, or in the answer on its way back).
 */
export interface TextSlot {
  text: string;
  set(text: string): void;
}

/** The texts of a call in its dialect: what the caller wrote, and what an answer holds. */
export interface CallTexts {
  input(): TextSlot[];
  output(answer: unknown): TextSlot[];
  /** A reader of the caller's stream (absent: the dialect's streams are not read). */
  stream?(): StreamText;
}

/**
 * Reads the text of a stream in the caller's dialect, whole events at a time, and writes the
 * dialect's own content-filter ending when the rules cut the stream.
 */
export interface StreamText {
  text(events: string): string;
  ending(): string;
}

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A string field of an object as a slot (nothing when it is not a string). */
function field(o: unknown, key: string, into: TextSlot[]): void {
  if (isObj(o) && typeof o[key] === 'string') into.push({ text: o[key] as string, set: (t) => (o[key] = t) });
}

/** An array's string items as slots. */
function items(a: unknown, into: TextSlot[]): void {
  if (!Array.isArray(a)) return;
  a.forEach((v, i) => {
    if (typeof v === 'string') into.push({ text: v, set: (t) => (a[i] = t) });
  });
}

/** A content that is a string, or a list of parts whose text is in `text` (OpenAI, Anthropic and Responses parts alike). */
function content(holder: unknown, key: string, into: TextSlot[]): void {
  if (!isObj(holder)) return;
  const c = holder[key];
  if (typeof c === 'string') return field(holder, key, into);
  if (Array.isArray(c)) for (const part of c) field(part, 'text', into);
}

/** Gemini's `{parts: [{text}]}`. */
function parts(holder: unknown, into: TextSlot[]): void {
  if (isObj(holder) && Array.isArray(holder.parts)) for (const p of holder.parts) field(p, 'text', into);
}

/**
 * The texts of a text call, for the dialects the content rules read (chat, Responses, completions,
 * Anthropic, Gemini). Null for the rest (embeddings and token counts carry no answer to check, and
 * other dialects are not read yet). Tool definitions and tool results are left out: they are the
 * caller's program, not what a person wrote or reads.
 */
export function callTexts(dialect: string, operation: Operation, body: Json): CallTexts | null {
  if (operation !== 'chat' && operation !== 'completion') return null;
  switch (dialect) {
    case 'openai':
      return operation === 'completion'
        ? {
            input: () => collect((s) => (typeof body.prompt === 'string' ? field(body, 'prompt', s) : items(body.prompt, s))),
            output: (a) => collect((s) => eachOf(a, 'choices', (c) => field(c, 'text', s))),
            stream: () => openaiStream('text_completion', (c) => (typeof c.text === 'string' ? c.text : '')),
          }
        : {
            input: () => collect((s) => eachOf(body, 'messages', (m) => content(m, 'content', s))),
            output: (a) => collect((s) => eachOf(a, 'choices', (c) => isObj(c) && content(c.message, 'content', s))),
            stream: () => openaiStream('chat.completion.chunk', (c) => (isObj(c.delta) && typeof c.delta.content === 'string' ? c.delta.content : '')),
          };
    case 'openai-responses':
      return {
        input: () =>
          collect((s) => {
            field(body, 'instructions', s);
            if (typeof body.input === 'string') field(body, 'input', s);
            else eachOf(body, 'input', (item) => content(item, 'content', s));
          }),
        output: (a) => collect((s) => eachOf(a, 'output', (item) => isObj(item) && item.type === 'message' && content(item, 'content', s))),
      };
    case 'anthropic':
      return {
        input: () =>
          collect((s) => {
            content(body, 'system', s);
            eachOf(body, 'messages', (m) => content(m, 'content', s));
          }),
        output: (a) => collect((s) => eachOf(a, 'content', (block) => isObj(block) && block.type === 'text' && field(block, 'text', s))),
        stream: anthropicStream,
      };
    case 'gemini':
      return {
        input: () =>
          collect((s) => {
            parts(body.systemInstruction ?? body.system_instruction, s);
            eachOf(body, 'contents', (c) => parts(c, s));
          }),
        output: (a) => collect((s) => eachOf(a, 'candidates', (c) => isObj(c) && parts(c.content, s))),
        stream: geminiStream,
      };
    default:
      return null;
  }
}

function collect(fill: (into: TextSlot[]) => void): TextSlot[] {
  const into: TextSlot[] = [];
  fill(into);
  return into;
}

function eachOf(o: unknown, key: string, fn: (item: unknown) => unknown): void {
  if (isObj(o) && Array.isArray(o[key])) for (const item of o[key] as unknown[]) fn(item);
}

/** The JSON payloads of whole SSE events (`data:` lines; `[DONE]` and unreadable ones skipped). */
function payloads(events: string): Json[] {
  const out: Json[] = [];
  for (const line of events.split('\n')) {
    if (!line.startsWith('data:')) continue;
    const data = line.slice(5).trim();
    if (!data || data === '[DONE]') continue;
    try {
      const v = JSON.parse(data) as unknown;
      if (isObj(v)) out.push(v);
    } catch {
      // Not JSON: nothing of the answer's text.
    }
  }
  return out;
}

/** OpenAI chat and completion chunks: the text of each choice; the ending is a `content_filter` finish and `[DONE]`. */
function openaiStream(object: string, textOf: (choice: Json) => string): StreamText {
  let head: Json = {};
  return {
    text(events) {
      let text = '';
      for (const p of payloads(events)) {
        if (typeof p.id === 'string') head = { id: p.id, created: p.created, model: p.model };
        if (Array.isArray(p.choices)) for (const c of p.choices) if (isObj(c)) text += textOf(c);
      }
      return text;
    },
    ending() {
      const choice = object === 'text_completion' ? { index: 0, text: '', finish_reason: 'content_filter' } : { index: 0, delta: {}, finish_reason: 'content_filter' };
      return `data: ${JSON.stringify({ ...head, object, choices: [choice] })}\n\ndata: [DONE]\n\n`;
    },
  };
}

/** Anthropic: `text_delta`s; the ending closes an open block, then `stop_reason: refusal` and `message_stop`. */
function anthropicStream(): StreamText {
  let open: number | null = null;
  const event = (name: string, data: Json) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
  return {
    text(events) {
      let text = '';
      for (const p of payloads(events)) {
        if (p.type === 'content_block_start' && typeof p.index === 'number') open = p.index;
        else if (p.type === 'content_block_stop') open = null;
        else if (p.type === 'content_block_delta' && isObj(p.delta) && p.delta.type === 'text_delta' && typeof p.delta.text === 'string') text += p.delta.text;
      }
      return text;
    },
    ending() {
      return (
        (open !== null ? event('content_block_stop', { type: 'content_block_stop', index: open }) : '') +
        event('message_delta', { type: 'message_delta', delta: { stop_reason: 'refusal', stop_sequence: null }, usage: { output_tokens: 0 } }) +
        event('message_stop', { type: 'message_stop' })
      );
    },
  };
}

/** Gemini: the parts' text of each candidate; the ending is a candidate finishing with `SAFETY`. */
function geminiStream(): StreamText {
  return {
    text(events) {
      let text = '';
      for (const p of payloads(events)) eachOf(p, 'candidates', (c) => isObj(c) && collect((s) => parts(c.content, s)).forEach((slot) => (text += slot.text)));
      return text;
    },
    ending() {
      return `data: ${JSON.stringify({ candidates: [{ content: { role: 'model', parts: [{ text: '' }] }, finishReason: 'SAFETY', index: 0 }] })}\n\n`;
    },
  };
}
