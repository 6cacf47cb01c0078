/**
 * OpenAI's chat and embeddings shapes ⇄ the canonical form. Used by the OpenAI ingress when a
 * provider speaks something else, and by every OpenAI-shaped provider (OpenAI, Azure, compatible
 * servers, and as the base of Zhipu and ChatGLM) when the caller speaks something else.
 */
import { GatewayError } from '../../core/errors.js';
import type { Usage } from '../../core/calls.js';
import type {
  CanonicalChatRequest,
  CanonicalChoice,
  CanonicalCitation,
  CanonicalEvent,
  CanonicalMessage,
  CanonicalPart,
  CanonicalRequest,
  CanonicalResponse,
  CanonicalToolCall,
  EncodeContext,
  FinishReason,
  ResponseFormat,
  StreamDecoder,
  StreamEncoder,
  ToolChoice,
  WireFormat,
} from '../canonical/types.js';
import { arr, base64ToVector, imageUrlOf, mintId, num, obj, parseDataUrl, str, unsupported, usageFrom, vectorToBase64 } from '../canonical/util.js';
import { locationFrom, urlCitation } from '../canonical/web-search.js';

type Json = Record<string, unknown>;

export const openaiFormat: WireFormat = {
  name: 'OpenAI',
  translates: ['chat', 'embedding'],
  parseRequest: (operation, body, model, stream) => (operation === 'embedding' ? parseEmbeddingRequest(body, model) : parseChatRequest(body, model, stream)),
  renderResponse,
  encoder: (ctx) => new OpenAIEncoder(ctx),
  renderRequest,
  parseResponse,
  decoder: () => new OpenAIDecoder(),
};

// ---- ingress: OpenAI request → canonical ----

function parseChatRequest(body: Json, model: string, stream: boolean): CanonicalChatRequest {
  const system: string[] = [];
  const messages: CanonicalMessage[] = [];
  // The legacy shape names results by function name only; they answer the latest call of that name.
  const legacyIds = new Map<string, string>();
  for (const raw of arr(body.messages)) {
    const m = obj(raw) ?? {};
    const role = m.role;
    if (role === 'system' || role === 'developer') system.push(partsText(m.content));
    else if (role === 'user') messages.push({ role: 'user', content: parseParts(m.content) });
    else if (role === 'assistant') {
      const toolCalls: CanonicalToolCall[] = arr(m.tool_calls).map((t) => {
        const c = obj(t) ?? {};
        const f = obj(c.function) ?? {};
        return { id: str(c.id) ?? mintId('call_'), name: str(f.name) ?? '', arguments: str(f.arguments) ?? '' };
      });
      const fc = obj(m.function_call);
      if (fc) {
        const id = mintId('call_');
        legacyIds.set(str(fc.name) ?? '', id);
        toolCalls.push({ id, name: str(fc.name) ?? '', arguments: str(fc.arguments) ?? '' });
      }
      messages.push({ role: 'assistant', content: parseParts(m.content), toolCalls });
    } else if (role === 'tool') messages.push({ role: 'tool', toolCallId: str(m.tool_call_id) ?? '', content: partsText(m.content) });
    else if (role === 'function') {
      const name = str(m.name) ?? '';
      messages.push({ role: 'tool', toolCallId: legacyIds.get(name) ?? mintId('call_'), name, content: partsText(m.content) });
    }
  }
  const legacy = !Array.isArray(body.tools) && Array.isArray(body.functions);
  const tools = legacy
    ? arr(body.functions).map((f) => toolFrom(obj(f) ?? {}))
    : arr(body.tools)
        .map((t) => obj(t) ?? {})
        .filter((t) => t.type === 'function' || t.function)
        .map((t) => toolFrom(obj(t.function) ?? {}));
  const stop = typeof body.stop === 'string' ? [body.stop] : Array.isArray(body.stop) ? body.stop.filter((s): s is string => typeof s === 'string') : undefined;
  return {
    kind: 'chat',
    model,
    system,
    messages,
    stream,
    maxTokens: num(body.max_completion_tokens) ?? num(body.max_tokens),
    temperature: num(body.temperature),
    topP: num(body.top_p),
    stop,
    n: num(body.n),
    seed: num(body.seed),
    presencePenalty: num(body.presence_penalty),
    frequencyPenalty: num(body.frequency_penalty),
    tools,
    toolChoice: parseToolChoice(legacy ? body.function_call : body.tool_choice, legacy),
    parallelToolCalls: typeof body.parallel_tool_calls === 'boolean' ? body.parallel_tool_calls : undefined,
    responseFormat: parseResponseFormat(body.response_format),
    user: str(body.user),
    legacyFunctions: legacy || undefined,
    reasoningEffort: str(body.reasoning_effort),
    // Chat's web search (search models): run by providers that search themselves, else named as left out.
    ...(obj(body.web_search_options) ? { webSearch: { tool: 'web_search_options', userLocation: locationFrom(obj(body.web_search_options)!.user_location) } } : {}),
  };
}

function toolFrom(f: Json) {
  return { name: str(f.name) ?? '', description: str(f.description), parameters: obj(f.parameters) ?? { type: 'object', properties: {} } };
}

function parseToolChoice(v: unknown, legacy: boolean): ToolChoice | undefined {
  if (v === 'auto' || v === 'none' || v === 'required') return v;
  const o = obj(v);
  const name = legacy ? str(o?.name) : str(obj(o?.function)?.name);
  return name ? { name } : undefined;
}

function parseResponseFormat(v: unknown): ResponseFormat | undefined {
  const o = obj(v);
  if (o?.type === 'json_object') return { type: 'json_object' };
  if (o?.type === 'json_schema') {
    const js = obj(o.json_schema) ?? {};
    return { type: 'json_schema', name: str(js.name) ?? 'response', schema: obj(js.schema) ?? { type: 'object' }, strict: js.strict === true || undefined };
  }
  return undefined;
}

function parseParts(content: unknown): CanonicalPart[] {
  if (typeof content === 'string') return content ? [{ type: 'text', text: content }] : [];
  const parts: CanonicalPart[] = [];
  for (const raw of arr(content)) {
    const p = obj(raw) ?? {};
    if (p.type === 'text' && typeof p.text === 'string') parts.push({ type: 'text', text: p.text });
    else if (p.type === 'image_url') {
      const url = str(obj(p.image_url)?.url) ?? str(p.image_url) ?? '';
      const data = parseDataUrl(url);
      parts.push({ type: 'image', source: data ? { kind: 'base64', ...data } : { kind: 'url', url } });
    }
  }
  return parts;
}

function partsText(content: unknown): string {
  if (typeof content === 'string') return content;
  return parseParts(content)
    .map((p) => (p.type === 'text' ? p.text : ''))
    .join('');
}

function parseEmbeddingRequest(body: Json, model: string): CanonicalRequest {
  const input = body.input;
  const inputs = typeof input === 'string' ? [input] : arr(input);
  if (!inputs.every((i): i is string => typeof i === 'string'))
    throw unsupported('Token-id inputs can only be sent to OpenAI-compatible providers; send text for this model.', 'input');
  return { kind: 'embedding', model, inputs, dimensions: num(body.dimensions), encoding: body.encoding_format === 'base64' ? 'base64' : 'float', single: typeof input === 'string' };
}

// ---- ingress: canonical answer → OpenAI response ----

function renderResponse(res: CanonicalResponse, ctx: EncodeContext): unknown {
  if (res.kind === 'embedding') {
    const base64 = ctx.request.kind === 'embedding' && ctx.request.encoding === 'base64';
    const u = res.usage;
    return {
      object: 'list',
      model: ctx.model,
      data: res.vectors.map((v, index) => ({ object: 'embedding', index, embedding: base64 ? vectorToBase64(v) : v })),
      usage: { prompt_tokens: u?.promptTokens ?? 0, total_tokens: u?.promptTokens ?? 0 },
    };
  }
  const legacy = ctx.request.kind === 'chat' && ctx.request.legacyFunctions === true;
  return {
    id: res.id.startsWith('chatcmpl-') ? res.id : `chatcmpl-${res.id}`,
    object: 'chat.completion',
    created: res.created,
    model: ctx.model,
    choices: res.choices.map((c) => ({ index: c.index, message: assistantMessage(c, legacy), logprobs: null, finish_reason: finishOut(c.finish, legacy) })),
    usage: res.usage ? usageOut(res.usage) : undefined,
  };
}

/**
 * Reasoning goes out as `reasoning_content` beside `content`: not in OpenAI's own schema, but the
 * form DeepSeek defined (api-docs.deepseek.com, reasoning model guide) and many OpenAI-dialect
 * clients read.
 */
function assistantMessage(c: CanonicalChoice, legacy: boolean): Json {
  const m: Json = { role: 'assistant', content: c.text === '' && c.toolCalls.length ? null : c.text, refusal: null };
  if (c.reasoning) m.reasoning_content = c.reasoning;
  // Pages a web search found, where they back the text (as OpenAI's search models answer).
  if (c.citations?.length) m.annotations = c.citations.map(chatAnnotation);
  if (c.toolCalls.length) {
    if (legacy) m.function_call = { name: c.toolCalls[0].name, arguments: c.toolCalls[0].arguments };
    else m.tool_calls = c.toolCalls.map((t) => ({ id: t.id, type: 'function', function: { name: t.name, arguments: t.arguments } }));
  }
  return m;
}

/** Chat's annotation: `{type: "url_citation", url_citation: {start_index, end_index, url, title}}`. */
function chatAnnotation(c: CanonicalCitation): Json {
  const { type, ...citation } = urlCitation(c);
  return { type, url_citation: citation };
}

function finishOut(f: FinishReason, legacy: boolean): string {
  return f === 'tool_calls' && legacy ? 'function_call' : f;
}

export function usageOut(u: Usage): Json {
  const out: Json = {
    prompt_tokens: u.promptTokens,
    completion_tokens: u.completionTokens,
    total_tokens: u.promptTokens + u.completionTokens,
    prompt_tokens_details: { cached_tokens: u.cachedTokens },
  };
  if (u.reasoningTokens !== undefined) out.completion_tokens_details = { reasoning_tokens: u.reasoningTokens };
  return out;
}

/** Canonical events → `chat.completion.chunk` events; `[DONE]` only after the provider's proper end. */
class OpenAIEncoder implements StreamEncoder {
  private readonly id = mintId('chatcmpl-');
  private readonly created = Math.floor(Date.now() / 1000);
  private readonly opened = new Set<number>();
  private readonly legacy: boolean;

  constructor(private readonly ctx: EncodeContext) {
    this.legacy = ctx.request.kind === 'chat' && ctx.request.legacyFunctions === true;
  }

  encode(ev: CanonicalEvent, usage: () => Usage): string {
    switch (ev.type) {
      case 'start':
        return this.open(0);
      case 'text':
        return this.open(ev.choice) + this.chunk(ev.choice, { content: ev.text });
      case 'reasoning':
        return this.open(ev.choice) + this.chunk(ev.choice, { reasoning_content: ev.text });
      case 'tool_call': {
        let delta: Json;
        if (this.legacy) delta = { function_call: ev.name !== undefined ? { name: ev.name, arguments: ev.args } : { arguments: ev.args } };
        else {
          const call: Json = { index: ev.index };
          if (ev.id !== undefined || ev.name !== undefined) Object.assign(call, { id: ev.id ?? mintId('call_'), type: 'function', function: { name: ev.name ?? '', arguments: ev.args } });
          else call.function = { arguments: ev.args };
          delta = { tool_calls: [call] };
        }
        return this.open(ev.choice) + this.chunk(ev.choice, delta);
      }
      case 'finish':
        return this.open(ev.choice) + this.chunk(ev.choice, {}, finishOut(ev.finish, this.legacy));
      case 'citation':
        return this.open(ev.choice) + this.chunk(ev.choice, { annotations: [chatAnnotation(ev.citation)] });
      case 'search':
      case 'usage':
      // Signed reasoning is the provider's own proof, for its own API: Chat has no place for it.
      case 'signed_reasoning':
        return '';
      case 'error':
        return `data: ${JSON.stringify({ error: { message: ev.message, type: ev.status >= 500 ? 'upstream_error' : 'invalid_request_error', param: null, code: 'upstream_stream_error' } })}\n\n`;
      case 'end': {
        let out = '';
        if (this.ctx.clientWantsUsage) out += this.frame({ choices: [], usage: usageOut(usage()) });
        return out + 'data: [DONE]\n\n';
      }
    }
  }

  private open(choice: number): string {
    if (this.opened.has(choice)) return '';
    this.opened.add(choice);
    return this.chunk(choice, { role: 'assistant', content: '' });
  }

  private chunk(choice: number, delta: Json, finish: string | null = null): string {
    return this.frame({ choices: [{ index: choice, delta, logprobs: null, finish_reason: finish }] });
  }

  private frame(part: Json): string {
    const body: Json = { id: this.id, object: 'chat.completion.chunk', created: this.created, model: this.ctx.model, ...part };
    if (this.ctx.clientWantsUsage && body.usage === undefined) body.usage = null;
    return `data: ${JSON.stringify(body)}\n\n`;
  }
}

// ---- provider side: canonical → OpenAI request ----

function renderRequest(req: CanonicalRequest, upstreamModel: string): Json {
  if (req.kind === 'embedding') {
    const out: Json = { model: upstreamModel, input: req.inputs, encoding_format: 'float' };
    if (req.dimensions !== undefined) out.dimensions = req.dimensions;
    return out;
  }
  const messages: Json[] = req.system.map((s) => ({ role: 'system', content: s }));
  for (const m of req.messages) {
    if (m.role === 'user') messages.push({ role: 'user', content: renderParts(m.content) });
    else if (m.role === 'assistant') {
      const msg: Json = { role: 'assistant', content: m.content.length ? m.content.map((p) => (p.type === 'text' ? p.text : '')).join('') : null };
      if (m.toolCalls.length) msg.tool_calls = m.toolCalls.map((t) => ({ id: t.id, type: 'function', function: { name: t.name, arguments: t.arguments || '{}' } }));
      messages.push(msg);
    } else messages.push({ role: 'tool', tool_call_id: m.toolCallId, content: m.content });
  }
  const out: Json = { model: upstreamModel, messages };
  if (req.stream) Object.assign(out, { stream: true, stream_options: { include_usage: true } });
  if (req.maxTokens !== undefined) out.max_tokens = req.maxTokens;
  if (req.temperature !== undefined) out.temperature = req.temperature;
  if (req.topP !== undefined) out.top_p = req.topP;
  if (req.stop?.length) out.stop = req.stop;
  if (req.n !== undefined) out.n = req.n;
  if (req.seed !== undefined) out.seed = req.seed;
  if (req.presencePenalty !== undefined) out.presence_penalty = req.presencePenalty;
  if (req.frequencyPenalty !== undefined) out.frequency_penalty = req.frequencyPenalty;
  if (req.tools.length) out.tools = req.tools.map((t) => ({ type: 'function', function: { name: t.name, ...(t.description ? { description: t.description } : {}), parameters: t.parameters } }));
  if (req.toolChoice) out.tool_choice = typeof req.toolChoice === 'string' ? req.toolChoice : { type: 'function', function: { name: req.toolChoice.name } };
  if (req.parallelToolCalls !== undefined && req.tools.length) out.parallel_tool_calls = req.parallelToolCalls;
  if (req.responseFormat?.type === 'json_object') out.response_format = { type: 'json_object' };
  else if (req.responseFormat?.type === 'json_schema')
    out.response_format = { type: 'json_schema', json_schema: { name: req.responseFormat.name, schema: req.responseFormat.schema, ...(req.responseFormat.strict ? { strict: true } : {}) } };
  if (req.user) out.user = req.user;
  // Chat's own reasoning control: servers of reasoning models take it (OpenAI, vLLM, DeepSeek...).
  if (req.reasoningEffort) out.reasoning_effort = req.reasoningEffort;
  return out;
}

function renderParts(parts: CanonicalPart[]): unknown {
  if (parts.every((p) => p.type === 'text')) return parts.map((p) => (p.type === 'text' ? p.text : '')).join('');
  return parts.map((p) => (p.type === 'text' ? { type: 'text', text: p.text } : { type: 'image_url', image_url: { url: imageUrlOf(p) } }));
}

// ---- provider side: OpenAI response → canonical ----

/** Finish reasons of the OpenAI family, including Zhipu's `sensitive` and the legacy `function_call`. */
export function finishIn(raw: unknown): FinishReason | 'error' {
  switch (raw) {
    case 'length':
      return 'length';
    case 'tool_calls':
    case 'function_call':
      return 'tool_calls';
    case 'content_filter':
    case 'sensitive':
      return 'content_filter';
    case 'network_error':
      return 'error';
    default:
      return 'stop';
  }
}

/**
 * OpenAI's usage, with the cache hit also read from DeepSeek's `prompt_cache_hit_tokens` (its
 * older field, api-docs.deepseek.com guides/kv_cache) and the reasoning part of the completion
 * from `completion_tokens_details.reasoning_tokens` (OpenAI's o-series, DeepSeek's reasoner).
 */
export function usageIn(u: unknown): Usage | null {
  const o = obj(u);
  if (!o || typeof o.prompt_tokens !== 'number') return null;
  const cached = num(obj(o.prompt_tokens_details)?.cached_tokens) ?? num(o.prompt_cache_hit_tokens) ?? 0;
  return usageFrom(o.prompt_tokens, num(o.completion_tokens) ?? 0, cached, num(obj(o.completion_tokens_details)?.reasoning_tokens));
}

function parseResponse(body: unknown, req: CanonicalRequest): CanonicalResponse {
  const b = obj(body);
  if (!b) throw badUpstream();
  if (req.kind === 'embedding') {
    const vectors = arr(b.data).map((d) => {
      const e = obj(d)?.embedding;
      if (typeof e === 'string') return base64ToVector(e);
      if (Array.isArray(e)) return e as number[];
      throw badUpstream();
    });
    return { kind: 'embedding', model: str(b.model) ?? req.model, vectors, usage: usageIn(b.usage) };
  }
  const choices = arr(b.choices).map((raw, i): CanonicalChoice => {
    const c = obj(raw) ?? {};
    const m = obj(c.message) ?? {};
    const finish = finishIn(c.finish_reason);
    if (finish === 'error') throw new GatewayError('upstream', 'The provider reported an inference failure.', { code: 'upstream_network_error' });
    const toolCalls: CanonicalToolCall[] = arr(m.tool_calls).map((t) => {
      const tc = obj(t) ?? {};
      const f = obj(tc.function) ?? {};
      return { id: str(tc.id) || mintId('call_'), name: str(f.name) ?? '', arguments: str(f.arguments) ?? '' };
    });
    const fc = obj(m.function_call);
    if (fc) toolCalls.push({ id: mintId('call_'), name: str(fc.name) ?? '', arguments: str(fc.arguments) ?? '' });
    const choice: CanonicalChoice = { index: num(c.index) ?? i, text: partsText(m.content), toolCalls, finish: toolCalls.length && finish === 'stop' ? 'tool_calls' : finish };
    const reasoning = str(m.reasoning_content);
    if (reasoning) choice.reasoning = reasoning;
    return choice;
  });
  if (!choices.length) throw badUpstream();
  return { kind: 'chat', id: str(b.id) || mintId(''), model: str(b.model) ?? req.model, created: num(b.created) ?? Math.floor(Date.now() / 1000), choices, usage: usageIn(b.usage) };
}

export function badUpstream(): GatewayError {
  return new GatewayError('upstream', 'The provider sent a response the gateway could not read.', { code: 'bad_upstream_response' });
}

/** OpenAI-family chunks → canonical events. Handles Azure's empty-choices chunks and ChatGLM's `function_call` deltas. */
class OpenAIDecoder implements StreamDecoder {
  private started = false;
  /** Per choice: index of the legacy call in progress (ChatGLM sends one `function_call`). */
  private readonly legacyOpen = new Set<number>();

  decode(ev: { event: string | null; data: string }): CanonicalEvent[] {
    if (ev.data === '[DONE]') {
      return [{ type: 'end' }];
    }
    let chunk: Json;
    try {
      chunk = JSON.parse(ev.data) as Json;
    } catch {
      return [{ type: 'error', message: 'The provider sent a malformed stream event.', status: 502 }];
    }
    const err = obj(chunk.error);
    if (err || ev.event === 'error') return [{ type: 'error', message: str(err?.message) ?? ev.data.slice(0, 300), status: 502 }];
    const out: CanonicalEvent[] = [];
    const choices = arr(chunk.choices);
    if (!this.started && choices.length) {
      this.started = true;
      out.push({ type: 'start', id: str(chunk.id), model: str(chunk.model) });
    }
    for (const raw of choices) {
      const c = obj(raw) ?? {};
      const choice = num(c.index) ?? 0;
      const d = obj(c.delta) ?? {};
      if (typeof d.reasoning_content === 'string' && d.reasoning_content) out.push({ type: 'reasoning', choice, text: d.reasoning_content });
      if (typeof d.content === 'string' && d.content) out.push({ type: 'text', choice, text: d.content });
      for (const t of arr(d.tool_calls)) {
        const tc = obj(t) ?? {};
        const f = obj(tc.function) ?? {};
        out.push({ type: 'tool_call', choice, index: num(tc.index) ?? 0, id: str(tc.id), name: str(f.name), args: str(f.arguments) ?? '' });
      }
      const fc = obj(d.function_call);
      if (fc) {
        const first = !this.legacyOpen.has(choice);
        this.legacyOpen.add(choice);
        out.push({ type: 'tool_call', choice, index: 0, ...(first ? { id: mintId('call_'), name: str(fc.name) ?? '' } : {}), args: str(fc.arguments) ?? '' });
      }
      if (c.finish_reason != null) {
        const f = finishIn(c.finish_reason);
        if (f === 'error') out.push({ type: 'error', message: 'The provider reported an inference failure.', status: 502 });
        else out.push({ type: 'finish', choice, finish: f });
      }
    }
    const usage = usageIn(chunk.usage);
    if (usage) out.push({ type: 'usage', usage });
    return out;
  }

  finish(): CanonicalEvent[] {
    return [];
  }
}
