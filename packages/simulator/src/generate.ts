// The dialect-independent "model": given a normalised view of a request, decide what the
// assistant says (text or tool calls), then apply stop strings and the token limit.
import type { SimControls } from './types.js';
import type { TokenCounter } from './tokens.js';

export interface ToolSpec {
  name: string;
  parameters?: unknown;
  /** A free-form tool (the Responses API's `custom` tools): called with plain text, not JSON. */
  custom?: boolean;
}

export type ToolChoice = 'auto' | 'none' | 'required' | { name: string };

/** What every dialect parser reduces a request to. */
export interface Conversation {
  /** Text of the last user turn, directive already stripped. */
  lastUserText: string;
  /** Images in the last user turn. */
  imageCount: number;
  /** Content of the tool/function result when the conversation ends with one. */
  toolResult: string | null;
  tools: ToolSpec[];
  toolChoice: ToolChoice;
  /** Whether the client allows several tool calls in one turn. */
  parallel: boolean;
  /** JSON output requested; `schema` when a JSON schema was given. */
  json: { schema?: unknown } | null;
  maxTokens?: number;
  stop: string[];
}

export interface ToolCall {
  id: string;
  name: string;
  /** JSON-encoded arguments (OpenAI style; parse for dialects that want an object), or a custom tool's text. */
  arguments: string;
}

export interface Generation {
  text: string;
  toolCalls: ToolCall[];
  finish: 'stop' | 'length' | 'tool_calls';
  /** The stop string that ended the text, if any. */
  stopSequence: string | null;
  outputTokens: number;
}

export function emptyConversation(): Conversation {
  return { lastUserText: '', imageCount: 0, toolResult: null, tools: [], toolChoice: 'auto', parallel: true, json: null, stop: [] };
}

export function generate(conv: Conversation, controls: SimControls, tokens: TokenCounter, newId: () => string): Generation {
  const calls = planToolCalls(conv, controls, newId);
  if (calls.length > 0) {
    let out = 0;
    for (const c of calls) out += tokens.count(c.name) + tokens.count(c.arguments);
    return { text: '', toolCalls: calls, finish: 'tool_calls', stopSequence: null, outputTokens: out };
  }
  let text = replyText(conv, controls);
  let finish: Generation['finish'] = 'stop';
  let stopSequence: string | null = null;
  if (conv.stop.length > 0) {
    let cut = -1;
    for (const s of conv.stop) {
      if (!s) continue;
      const at = text.indexOf(s);
      if (at >= 0 && (cut < 0 || at < cut)) {
        cut = at;
        stopSequence = s;
      }
    }
    if (cut >= 0) text = text.slice(0, cut);
  }
  if (conv.maxTokens !== undefined && conv.maxTokens >= 0) {
    const t = tokens.truncate(text, conv.maxTokens);
    if (t.truncated) {
      text = t.text;
      finish = 'length';
      stopSequence = null;
    }
  }
  return { text, toolCalls: [], finish, stopSequence, outputTokens: tokens.count(text) };
}

/** The reply text before stop/limit are applied. */
export function replyText(conv: Conversation, controls: SimControls): string {
  let text: string;
  if (controls.reply !== null) text = controls.reply;
  else if (conv.toolResult !== null) text = `The tool returned: ${conv.toolResult}`;
  else {
    const snippet = conv.lastUserText.replace(/\s+/g, ' ').trim().slice(0, 60);
    const base = snippet
      ? `This is a simulated reply to "${snippet}". The quick brown fox jumps over the lazy dog.`
      : 'Hello from the APIGPT simulator. The quick brown fox jumps over the lazy dog.';
    const n = conv.imageCount;
    text = n > 0 ? `I see ${n} image${n === 1 ? '' : 's'}. ${base}` : base;
  }
  if (conv.json) {
    if (conv.json.schema && typeof conv.json.schema === 'object') return JSON.stringify(sampleFromSchema(conv.json.schema, 'reply'));
    if (isJsonObject(text)) return text;
    return JSON.stringify({ reply: text });
  }
  return text;
}

function isJsonObject(s: string): boolean {
  if (!s.startsWith('{')) return false;
  try {
    const v: unknown = JSON.parse(s);
    return !!v && typeof v === 'object' && !Array.isArray(v);
  } catch {
    return false;
  }
}

function planToolCalls(conv: Conversation, controls: SimControls, newId: () => string): ToolCall[] {
  if (conv.tools.length === 0 || conv.toolChoice === 'none' || conv.toolResult !== null || controls.tool === 'none') return [];
  if (controls.tool !== null) {
    // A test steering an agent: this tool with these arguments (an agent offers dozens of tools,
    // and the first one with sampled arguments would do something else entirely).
    const spec = conv.tools.find((t) => t.name === controls.tool);
    const given = controls.toolArgs;
    let args: string;
    if (spec?.custom) args = given ?? 'input';
    else args = given !== null && isJsonObject(given) ? given : JSON.stringify(sampleFromSchema(spec?.parameters ?? { type: 'object' }, ''));
    return [{ id: newId(), name: controls.tool, arguments: args }];
  }
  const choice = conv.toolChoice;
  let picked: ToolSpec[];
  if (typeof choice === 'object') {
    const named = conv.tools.find((t) => t.name === choice.name);
    picked = [named ?? { name: choice.name }];
  } else if (conv.parallel && conv.tools.length >= 2 && /parallel/i.test(conv.lastUserText)) {
    picked = conv.tools.slice(0, 2);
  } else {
    picked = [conv.tools[0]];
  }
  return picked.map((t) => ({ id: newId(), name: t.name, arguments: JSON.stringify(sampleFromSchema(t.parameters ?? { type: 'object' }, '')) }));
}

/** Builds a plausible value for a JSON schema; property names steer string samples. */
export function sampleFromSchema(schema: unknown, key: string, depth = 0): unknown {
  if (!schema || typeof schema !== 'object' || depth > 6) return {};
  const s = schema as Record<string, unknown>;
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[0];
  if ('const' in s) return s.const;
  for (const k of ['anyOf', 'oneOf', 'allOf']) {
    const alts = s[k];
    if (Array.isArray(alts) && alts.length > 0) {
      const nonNull = alts.find((a) => !(a && typeof a === 'object' && (a as Record<string, unknown>).type === 'null'));
      return sampleFromSchema(nonNull ?? alts[0], key, depth + 1);
    }
  }
  let type = s.type;
  if (Array.isArray(type)) type = type.find((t) => t !== 'null') ?? type[0];
  if (typeof type === 'string') type = type.toLowerCase(); // Gemini schemas use "STRING", "OBJECT", ...
  if (type === undefined && s.properties) type = 'object';
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      const props = s.properties;
      if (props && typeof props === 'object') {
        for (const [k, v] of Object.entries(props as Record<string, unknown>)) out[k] = sampleFromSchema(v, k, depth + 1);
      }
      return out;
    }
    case 'array':
      return [sampleFromSchema(s.items ?? { type: 'string' }, key, depth + 1)];
    case 'integer':
    case 'number':
      return 1;
    case 'boolean':
      return true;
    case 'null':
      return null;
    case 'string':
      return sampleString(key, typeof s.format === 'string' ? s.format : '');
    default:
      return sampleString(key, '');
  }
}

function sampleString(key: string, format: string): string {
  if (format === 'date-time') return '2025-01-01T12:00:00Z';
  if (format === 'date') return '2025-01-01';
  if (format === 'email') return 'alice@example.com';
  if (format === 'uri' || format === 'url') return 'https://example.com';
  const k = key.toLowerCase();
  if (/city|location|place|destination|origin/.test(k)) return 'Paris';
  if (/country/.test(k)) return 'France';
  if (/email/.test(k)) return 'alice@example.com';
  if (/url|link/.test(k)) return 'https://example.com';
  if (/date/.test(k)) return '2025-01-01';
  if (/time/.test(k)) return '12:00';
  if (/lang/.test(k)) return 'en';
  if (/unit/.test(k)) return 'celsius';
  if (/name/.test(k)) return 'Alice';
  if (/query|search|^q$/.test(k)) return 'weather in Paris';
  return 'Paris';
}
