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
  /**
   * The texts of the caller's tools, which privacy redaction reads besides `input` (absent: none):
   * tool definitions (descriptions and schemas), the arguments of earlier tool calls and the tool
   * results. Personal data in a tool's result reaches the provider like any other text.
   */
  tools?(): TextSlot[];
  /** A reader of the caller's stream (absent: the dialect's streams are not read). */
  stream?(): StreamText;
}

/**
 * Reads the text of a stream in the caller's dialect, one whole event at a time, and writes the
 * dialect's own content-filter ending when the rules cut the stream.
 */
export interface StreamText {
  read(event: string): StreamEvent;
  ending(): string;
}

/** One SSE event as the content rules see it: its new text, texts it repeats whole, and how to write it again. */
export interface StreamEvent {
  /** The answer's new text in this event, in order. */
  deltas: TextSlot[];
  /** Texts the event repeats whole (a Responses `output_text.done`): masked on their own, not read as new text. */
  whole: TextSlot[];
  /** The event with its slots' current texts (only asked when a slot was changed). */
  render(): string;
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
 * JSON Schema keywords whose string values are the schema's own vocabulary (types, formats, names of
 * properties, references), never a person's data: redaction leaves them, so an admin's pattern
 * cannot break a tool's schema. Everything else (descriptions, titles, enums, examples, defaults) is read.
 */
const SCHEMA_WORDS = new Set(['type', 'format', '$ref', '$schema', '$id', '$anchor', 'pattern', 'required', 'contentMediaType', 'contentEncoding']);

/**
 * Every string in a JSON value (an object's values, an array's items; keys are not read), as slots.
 * In data (`skip` absent) long whole numbers are read too, as their digits: a phone or card number
 * a program wrote as a number; a redacted one becomes the placeholder string.
 */
function leaves(v: unknown, into: TextSlot[], skip?: ReadonlySet<string>): void {
  const leaf = (x: unknown, set: (t: string) => void): boolean => {
    if (typeof x === 'string') into.push({ text: x, set });
    else if (!skip && typeof x === 'number' && Number.isInteger(x) && Math.abs(x) >= 1_000_000) into.push({ text: String(x), set });
    else return false;
    return true;
  };
  if (Array.isArray(v)) {
    v.forEach((x, i) => leaf(x, (t) => (v[i] = t)) || leaves(x, into, skip));
  } else if (isObj(v)) {
    for (const [k, x] of Object.entries(v)) if (!skip?.has(k)) leaf(x, (t) => (v[k] = t)) || leaves(x, into, skip);
  }
}

/** A tool definition's description and the strings of its schema (under `schemaKey`). */
function toolDefinition(tool: unknown, schemaKey: string, into: TextSlot[]): void {
  if (!isObj(tool)) return;
  field(tool, 'description', into);
  leaves(tool[schemaKey], into, SCHEMA_WORDS);
}

/**
 * A field holding JSON as a string (a tool call's `arguments`, a tool's output): its strings as
 * slots, each writing the whole JSON back, so a redacted number-like value (a card number) cannot
 * break the JSON. Text that is not a JSON object or array is one slot as it is.
 */
function jsonText(holder: unknown, key: string, into: TextSlot[]): void {
  if (!isObj(holder) || typeof holder[key] !== 'string') return;
  const raw = holder[key] as string;
  let parsed: unknown;
  try {
    parsed = /^\s*[[{]/.test(raw) ? JSON.parse(raw) : undefined;
  } catch {
    parsed = undefined;
  }
  if (parsed === undefined) return field(holder, key, into);
  const inner: TextSlot[] = [];
  leaves(parsed, inner);
  for (const slot of inner)
    into.push({
      text: slot.text,
      set: (t) => {
        slot.set(t);
        holder[key] = JSON.stringify(parsed);
      },
    });
}

/**
 * The texts of a text call, for the dialects the content rules read (chat, Responses, completions,
 * Anthropic, Gemini). Null for the rest (embeddings and token counts carry no answer to check, and
 * other dialects are not read yet). The content rules leave tool definitions and tool results out
 * (they are the caller's program, not what a person wrote or reads); privacy redaction reads them
 * too, through `tools` (a tool's result often carries a customer's record).
 */
export function callTexts(dialect: string, operation: Operation, body: Json): CallTexts | null {
  if (operation === 'embedding') return embeddingTexts(dialect, body);
  if (operation !== 'chat' && operation !== 'completion') return null;
  switch (dialect) {
    case 'openai':
      return operation === 'completion'
        ? {
            input: () => collect((s) => (typeof body.prompt === 'string' ? field(body, 'prompt', s) : items(body.prompt, s))),
            output: (a) => collect((s) => eachOf(a, 'choices', (c) => field(c, 'text', s))),
            stream: () => openaiStream('text_completion', (c, into) => field(c, 'text', into)),
          }
        : {
            input: () => collect((s) => eachOf(body, 'messages', (m) => content(m, 'content', s))),
            output: (a) => collect((s) => eachOf(a, 'choices', (c) => isObj(c) && content(c.message, 'content', s))),
            stream: () => openaiStream('chat.completion.chunk', (c, into) => field(c.delta, 'content', into)),
            // A tool result is a `tool` (or legacy `function`) message: its content is read by `input`.
            tools: () =>
              collect((s) => {
                eachOf(body, 'tools', (tool) => isObj(tool) && toolDefinition(tool.function, 'parameters', s));
                eachOf(body, 'functions', (f) => toolDefinition(f, 'parameters', s));
                eachOf(body, 'messages', (m) => {
                  if (!isObj(m)) return;
                  eachOf(m, 'tool_calls', (c) => isObj(c) && jsonText(c.function, 'arguments', s));
                  jsonText(m.function_call, 'arguments', s);
                });
              }),
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
        stream: responsesStream,
        tools: () =>
          collect((s) => {
            eachOf(body, 'tools', (tool) => toolDefinition(tool, 'parameters', s));
            eachOf(body, 'input', (item) => {
              if (!isObj(item)) return;
              if (item.type === 'function_call') jsonText(item, 'arguments', s);
              else if (item.type === 'custom_tool_call') field(item, 'input', s);
              else if (item.type === 'function_call_output' || item.type === 'custom_tool_call_output') {
                if (typeof item.output === 'string') jsonText(item, 'output', s);
                else content(item, 'output', s);
              }
            });
          }),
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
        tools: () =>
          collect((s) => {
            eachOf(body, 'tools', (tool) => toolDefinition(tool, 'input_schema', s));
            eachOf(body, 'messages', (m) =>
              eachOf(m, 'content', (block) => {
                if (!isObj(block)) return;
                if (block.type === 'tool_use' || block.type === 'server_tool_use') leaves(block.input, s);
                else if (block.type === 'tool_result') content(block, 'content', s);
              }),
            );
          }),
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
        tools: () =>
          collect((s) => {
            eachOf(body, 'tools', (tool) => {
              if (!isObj(tool)) return;
              eachOf(tool, 'functionDeclarations', (f) => toolDefinition(f, 'parameters', s));
              eachOf(tool, 'function_declarations', (f) => toolDefinition(f, 'parameters', s));
            });
            eachOf(body, 'contents', (c) =>
              eachOf(c, 'parts', (p) => {
                if (!isObj(p)) return;
                const call = p.functionCall ?? p.function_call;
                const result = p.functionResponse ?? p.function_response;
                if (isObj(call)) leaves(call.args, s);
                if (isObj(result)) leaves(result.response, s);
              }),
            );
          }),
      };
    default:
      return null;
  }
}

/**
 * Embeddings: the texts to embed (OpenAI's `input`, a string or a list; Gemini's `content` or each
 * request's). Token arrays are not text and pass unread; an embedding has no text to check on output.
 */
function embeddingTexts(dialect: string, body: Json): CallTexts | null {
  switch (dialect) {
    case 'openai':
      return { input: () => collect((s) => (typeof body.input === 'string' ? field(body, 'input', s) : items(body.input, s))), output: () => [] };
    case 'gemini':
      return {
        input: () =>
          collect((s) => {
            parts(body.content, s);
            eachOf(body, 'requests', (r) => isObj(r) && parts(r.content, s));
          }),
        output: () => [],
      };
    default:
      return null;
  }
}

/**
 * A call whose one text is a field of its body: the prompt of an image call (OpenAI's images, the
 * A1111 dialect's txt2img and img2img), the text of a speech call. Checked on input (a block is
 * refused before any charge, a mask changes what the provider gets); the answer is not text.
 */
export function promptTexts(body: Json, key: string): CallTexts {
  return { input: () => collect((s) => field(body, key, s)), output: () => [] };
}

function collect(fill: (into: TextSlot[]) => void): TextSlot[] {
  const into: TextSlot[] = [];
  fill(into);
  return into;
}

function eachOf(o: unknown, key: string, fn: (item: unknown) => unknown): void {
  if (isObj(o) && Array.isArray(o[key])) for (const item of o[key] as unknown[]) fn(item);
}

/**
 * One SSE event: its `data:` line's JSON payload (none for `[DONE]` and unreadable lines), handed
 * to `fill` for its slots; `render` writes the event again with the payload as it stands then.
 */
function sseEvent(raw: string, fill: (payload: Json, deltas: TextSlot[], whole: TextSlot[]) => void): StreamEvent {
  const deltas: TextSlot[] = [];
  const whole: TextSlot[] = [];
  const lines = raw.split('\n');
  const at = lines.findIndex((l) => l.startsWith('data:'));
  let payload: Json | null = null;
  if (at >= 0) {
    const data = lines[at].slice(5).trim();
    if (data && data !== '[DONE]') {
      try {
        const v = JSON.parse(data) as unknown;
        if (isObj(v)) payload = v;
      } catch {
        // Not JSON: nothing of the answer's text.
      }
    }
  }
  if (payload) fill(payload, deltas, whole);
  return {
    deltas,
    whole,
    render: () => {
      if (!payload) return raw;
      const out = [...lines];
      out[at] = `data: ${JSON.stringify(payload)}`;
      return out.join('\n');
    },
  };
}

/** OpenAI chat and completion chunks: the text of each choice; the ending is a `content_filter` finish and `[DONE]`. */
function openaiStream(object: string, slotOf: (choice: Json, into: TextSlot[]) => void): StreamText {
  let head: Json = {};
  return {
    read: (raw) =>
      sseEvent(raw, (p, deltas) => {
        if (typeof p.id === 'string') head = { id: p.id, created: p.created, model: p.model };
        if (Array.isArray(p.choices)) for (const c of p.choices) if (isObj(c)) slotOf(c, deltas);
      }),
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
    read: (raw) =>
      sseEvent(raw, (p, deltas) => {
        if (p.type === 'content_block_start' && typeof p.index === 'number') open = p.index;
        else if (p.type === 'content_block_stop') open = null;
        else if (p.type === 'content_block_delta' && isObj(p.delta) && p.delta.type === 'text_delta') field(p.delta, 'text', deltas);
      }),
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
    read: (raw) => sseEvent(raw, (p, deltas) => eachOf(p, 'candidates', (c) => isObj(c) && parts(c.content, deltas))),
    ending() {
      return `data: ${JSON.stringify({ candidates: [{ content: { role: 'model', parts: [{ text: '' }] }, finishReason: 'SAFETY', index: 0 }] })}\n\n`;
    },
  };
}

/**
 * Responses (https://platform.openai.com/docs/api-reference/responses-streaming): the text is in
 * `response.output_text.delta`; the `.done`, `content_part.done`, `output_item.done` and the
 * terminal event repeat it whole. The ending is a `response.incomplete` whose reason is
 * `content_filter`, numbered after the last event.
 */
function responsesStream(): StreamText {
  let head: Json = {};
  let seq = -1;
  const messageTexts = (output: unknown, into: TextSlot[]) => eachOf({ output }, 'output', (item) => isObj(item) && item.type === 'message' && content(item, 'content', into));
  return {
    read: (raw) =>
      sseEvent(raw, (p, deltas, whole) => {
        if (typeof p.sequence_number === 'number') seq = Math.max(seq, p.sequence_number);
        if ((p.type === 'response.created' || p.type === 'response.in_progress') && isObj(p.response)) head = p.response;
        switch (p.type) {
          case 'response.output_text.delta':
            return field(p, 'delta', deltas);
          case 'response.output_text.done':
            return field(p, 'text', whole);
          case 'response.content_part.done':
            return field(p.part, 'text', whole);
          case 'response.output_item.done':
            return messageTexts([p.item], whole);
          case 'response.completed':
          case 'response.incomplete':
            return isObj(p.response) ? messageTexts(p.response.output, whole) : undefined;
        }
      }),
    ending() {
      const response = { ...head, status: 'incomplete', incomplete_details: { reason: 'content_filter' }, output: [] };
      return `event: response.incomplete\ndata: ${JSON.stringify({ type: 'response.incomplete', sequence_number: seq + 1, response })}\n\n`;
    },
  };
}
