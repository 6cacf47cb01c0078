/**
 * Anthropic Messages ⇄ the canonical form (§3.6 of the protocol notes). Used by the Anthropic
 * ingress (`POST /v1/messages`) and by the Anthropic provider adapter.
 */
import { GatewayError } from '../../core/errors.js';
import type { Usage } from '../../core/calls.js';
import type {
  CanonicalChatRequest,
  CanonicalEvent,
  CanonicalMessage,
  CanonicalPart,
  CanonicalRequest,
  CanonicalResponse,
  CanonicalToolCall,
  EncodeContext,
  FinishReason,
  StreamDecoder,
  StreamEncoder,
  ToolChoice,
  WireFormat,
} from '../canonical/types.js';
import { argumentsObject, arr, asChat, mintId, num, obj, str, unsupported, usageFrom } from '../canonical/util.js';
import { badUpstream } from '../openai/canonical.js';
import { thinkingBudget } from '../canonical/reasoning.js';
import { AnswerSearches, citationOut, citedTextBlocks, searchBlocksOut, searchesIn, StreamSearches, webSearchFrom, webSearchTool } from './web-search.js';

type Json = Record<string, unknown>;

/** Anthropic requires `max_tokens`; callers of other dialects may leave it out. */
export const DEFAULT_MAX_TOKENS = 4096;
/** Anthropic's smallest thinking budget. */
const MIN_THINKING_BUDGET = 1024;

export const anthropicFormat: WireFormat = {
  name: 'Anthropic',
  translates: ['chat'],
  parseRequest: (operation, body, model, stream) => {
    if (operation !== 'chat') throw unsupported('The Anthropic dialect has no embeddings.');
    return parseRequest(body, model, stream);
  },
  renderResponse,
  encoder: (ctx) => new AnthropicEncoder(ctx),
  renderRequest,
  parseResponse,
  decoder: () => new AnthropicDecoder(),
  // Anthropic runs web searches itself (its server tool).
  searches: () => true,
};

// ---- ingress: Anthropic request → canonical ----

export function parseRequest(body: Json, model: string, stream: boolean): CanonicalChatRequest {
  const system = systemTexts(body.system);
  const messages: CanonicalMessage[] = [];
  for (const raw of arr(body.messages)) {
    const m = obj(raw) ?? {};
    const blocks = typeof m.content === 'string' ? [{ type: 'text', text: m.content }] : arr(m.content).map((b) => obj(b) ?? {});
    if (m.role === 'system') {
      // Newer clients (Claude Code) put system turns inside `messages`: other providers get them
      // as system instructions, in order.
      system.push(...systemTexts(blocks));
      continue;
    }
    if (m.role === 'assistant') {
      const content: CanonicalPart[] = [];
      const toolCalls: CanonicalToolCall[] = [];
      for (const b of blocks) {
        if (b.type === 'text' && typeof b.text === 'string') content.push({ type: 'text', text: b.text });
        else if (b.type === 'tool_use') toolCalls.push({ id: str(b.id) ?? mintId('toolu_'), name: str(b.name) ?? '', arguments: JSON.stringify(b.input ?? {}) });
      }
      messages.push({ role: 'assistant', content, toolCalls });
      continue;
    }
    // A user turn: tool results become their own canonical turns, ahead of the user's own words.
    const content: CanonicalPart[] = [];
    for (const b of blocks) {
      if (b.type === 'tool_result') messages.push({ role: 'tool', toolCallId: str(b.tool_use_id) ?? '', content: resultText(b.content), isError: b.is_error === true || undefined });
      else if (b.type === 'text' && typeof b.text === 'string') content.push({ type: 'text', text: b.text });
      else if (b.type === 'image') {
        const part = imageIn(obj(b.source));
        if (part) content.push(part);
      }
    }
    if (content.length || !blocks.some((b) => b.type === 'tool_result')) messages.push({ role: 'user', content });
  }
  const tc = obj(body.tool_choice);
  let toolChoice: ToolChoice | undefined;
  if (tc?.type === 'auto') toolChoice = 'auto';
  else if (tc?.type === 'any') toolChoice = 'required';
  else if (tc?.type === 'none') toolChoice = 'none';
  else if (tc?.type === 'tool' && typeof tc.name === 'string') toolChoice = { name: tc.name };
  const format = obj(obj(body.output_config)?.format);
  // Server tools run on Anthropic alone: a web search maps to the provider's own, the others are
  // left out and named to the caller (x-apigpt-dropped-tools).
  let webSearch: CanonicalChatRequest['webSearch'];
  const dropped: string[] = [];
  for (const t of arr(body.tools).map((x) => obj(x) ?? {})) {
    if (t.type === undefined || t.type === 'custom') continue;
    const search = webSearchFrom(t);
    if (search) webSearch ??= search;
    else dropped.push(str(t.type) ?? 'unknown');
  }
  return {
    kind: 'chat',
    model,
    system,
    messages,
    stream,
    maxTokens: num(body.max_tokens),
    temperature: num(body.temperature),
    topP: num(body.top_p),
    topK: num(body.top_k),
    stop: Array.isArray(body.stop_sequences) ? body.stop_sequences.filter((s): s is string => typeof s === 'string') : undefined,
    tools: arr(body.tools)
      .map((t) => obj(t) ?? {})
      // Client tools only (no `type`, or `custom`); server tools (`web_search_…`) run on Anthropic
      // alone. Anthropic-only fields (`cache_control`, `defer_loading`) are left behind.
      .filter((t) => typeof t.name === 'string' && (t.type === undefined || t.type === 'custom'))
      .map((t) => ({ name: t.name as string, description: str(t.description), parameters: obj(t.input_schema) ?? { type: 'object', properties: {} } })),
    toolChoice,
    parallelToolCalls: tc?.disable_parallel_tool_use === true ? false : undefined,
    responseFormat: format?.type === 'json_schema' ? { type: 'json_schema', name: 'response', schema: obj(format.schema) ?? { type: 'object' } } : undefined,
    user: str(obj(body.metadata)?.user_id),
    hideReasoning: obj(body.thinking)?.type === 'disabled' || undefined,
    reasoningEffort: effortOf(body),
    ...(webSearch ? { webSearch } : {}),
    ...(dropped.length ? { droppedTools: [...new Set(dropped)] } : {}),
  };
}

/**
 * Extended thinking as a reasoning effort on OpenAI's scale, for providers that take one (Chat's
 * `reasoning_effort`, Gemini's thinking budget): `enabled` by its budget (the inverse of
 * `thinkingBudget`: up to 1024 is low, up to 8192 medium, up to 24576 high, more is xhigh);
 * `adaptive` by `output_config.effort` (Anthropic's low / medium / high, and max as xhigh), else
 * left to the provider. `disabled` and no thinking say nothing about effort: other providers keep
 * their defaults (the answer hides their reasoning, see hideReasoning).
 */
function effortOf(body: Json): string | undefined {
  const thinking = obj(body.thinking);
  if (thinking?.type === 'enabled') {
    const budget = num(thinking.budget_tokens);
    if (budget === undefined) return undefined;
    return budget <= 1024 ? 'low' : budget <= 8192 ? 'medium' : budget <= 24576 ? 'high' : 'xhigh';
  }
  if (thinking?.type === 'adaptive') {
    const effort = str(obj(body.output_config)?.effort);
    if (effort === 'max') return 'xhigh';
    return effort === 'low' || effort === 'medium' || effort === 'high' ? effort : undefined;
  }
  return undefined;
}

/**
 * Claude Code's attribution line (`x-anthropic-billing-header: cc_version=…`), which Anthropic reads
 * from the first system block: meaningless to other models, so left out when translating.
 */
const ATTRIBUTION = /^x-anthropic-billing-header:/;

function systemTexts(system: unknown): string[] {
  if (typeof system === 'string') return system ? [system] : [];
  return arr(system)
    .map((b) => str(obj(b)?.text) ?? '')
    .filter((t) => t && !ATTRIBUTION.test(t));
}

function resultText(content: unknown): string {
  if (typeof content === 'string') return content;
  return arr(content)
    .map((b) => str(obj(b)?.text) ?? '')
    .join('');
}

function imageIn(source: Json | undefined): CanonicalPart | null {
  if (source?.type === 'base64') return { type: 'image', source: { kind: 'base64', mediaType: str(source.media_type) ?? 'image/png', data: str(source.data) ?? '' } };
  if (source?.type === 'url') return { type: 'image', source: { kind: 'url', url: str(source.url) ?? '' } };
  return null;
}

// ---- ingress: canonical answer → Anthropic message ----

const STOP_OUT: Record<FinishReason, string> = { stop: 'end_turn', length: 'max_tokens', tool_calls: 'tool_use', content_filter: 'refusal' };

function stopReason(f: FinishReason, stopSequence: string | null | undefined): string {
  return f === 'stop' && stopSequence ? 'stop_sequence' : STOP_OUT[f];
}

/**
 * Anthropic's `input_tokens` counts neither cache reads nor cache writes; the canonical prompt count
 * includes both (https://docs.anthropic.com/en/docs/build-with-claude/prompt-caching).
 */
export function usageOut(u: Usage): Json {
  const w5 = u.cacheWrite5mTokens ?? 0;
  const w1 = u.cacheWrite1hTokens ?? 0;
  const out: Json = {
    input_tokens: Math.max(0, u.promptTokens - u.cachedTokens - w5 - w1),
    cache_creation_input_tokens: w5 + w1,
    cache_read_input_tokens: u.cachedTokens,
    output_tokens: u.completionTokens,
  };
  if (w5 || w1) out.cache_creation = { ephemeral_5m_input_tokens: w5, ephemeral_1h_input_tokens: w1 };
  return out;
}

/**
 * Another provider's reasoning (DeepSeek's `reasoning_content`, Gemini's thoughts) as a `thinking`
 * block. Anthropic's shape requires a `signature` on it: Anthropic's encrypted proof that it wrote
 * the thinking, which only Anthropic can make and which it checks when the block is sent back. The
 * gateway cannot sign, so the field is an empty string, never a made-up value: a client can tell
 * the block is unsigned. Thinking blocks sent back in later turns are dropped when the call is
 * translated (DeepSeek's reasoning guide asks that earlier reasoning not be sent back).
 */
const UNSIGNED = '';

function renderResponse(res: CanonicalResponse, ctx: EncodeContext): unknown {
  if (res.kind !== 'chat') throw unsupported('The Anthropic dialect has no embeddings.');
  const c = res.choices[0];
  const content: Json[] = [];
  if (c.reasoning && !hidesReasoning(ctx)) content.push({ type: 'thinking', thinking: c.reasoning, signature: UNSIGNED });
  // Searches another provider ran, as Anthropic's server tool blocks ahead of the answer they ground.
  for (const s of c.searches ?? []) {
    const { use, result } = searchBlocksOut(s);
    content.push(use, result);
  }
  if (c.text || !c.toolCalls.length) content.push(...(c.citations?.length ? citedTextBlocks(c.text, c.citations) : [{ type: 'text', text: c.text }]));
  for (const t of c.toolCalls) content.push({ type: 'tool_use', id: t.id, name: t.name, input: argumentsObject(t.arguments) });
  return {
    id: res.id.startsWith('msg_') ? res.id : `msg_${res.id}`,
    type: 'message',
    role: 'assistant',
    model: ctx.model,
    content,
    stop_reason: stopReason(c.finish, c.stopSequence),
    stop_sequence: c.finish === 'stop' ? (c.stopSequence ?? null) : null,
    usage: usageOut(res.usage ?? usageFrom(0, 0)),
  };
}

/**
 * Canonical events → the exact Anthropic sequence: message_start, then per block
 * content_block_start / deltas / content_block_stop, then message_delta (stop reason and usage) and
 * message_stop. The stop reason is held from `finish` to `end` only because the usage that
 * message_delta carries arrives after it in other providers' streams.
 */
class AnthropicEncoder implements StreamEncoder {
  private started = false;
  private block = -1;
  private open: 'text' | 'thinking' | 'tool' | null = null;
  private openTool = -1;
  private finish: { reason: FinishReason; stopSequence: string | null } | null = null;
  /** The answer's text so far: citations point into it. */
  private text = '';

  constructor(private readonly ctx: EncodeContext) {}

  encode(ev: CanonicalEvent, usage: () => Usage): string {
    if (ev.type === 'error') return this.start(usage) + anthropicStreamError(ev.status >= 500 ? 'api_error' : 'invalid_request_error', ev.message);
    if (ev.type === 'usage') return '';
    // Only the first choice exists in this dialect (the Anthropic ingress never asks for more).
    if ((ev.type === 'text' || ev.type === 'reasoning' || ev.type === 'tool_call' || ev.type === 'finish' || ev.type === 'search' || ev.type === 'citation') && ev.choice !== 0) return '';
    if (ev.type === 'reasoning' && hidesReasoning(this.ctx)) return '';
    let out = this.start(usage);
    switch (ev.type) {
      case 'reasoning':
        // No signature_delta follows: the block stays unsigned (see UNSIGNED).
        if (this.open !== 'thinking') out += this.close() + this.openBlock('thinking', { type: 'thinking', thinking: '', signature: UNSIGNED });
        return out + event('content_block_delta', { type: 'content_block_delta', index: this.block, delta: { type: 'thinking_delta', thinking: ev.text } });
      case 'search': {
        // Whole blocks, as Anthropic streams its own: the query in one input_json_delta, the results at the start.
        const { use, result } = searchBlocksOut(ev.search);
        out += this.close() + this.openBlock('tool', { ...use, input: {} });
        out += event('content_block_delta', { type: 'content_block_delta', index: this.block, delta: { type: 'input_json_delta', partial_json: JSON.stringify(use.input) } });
        out += this.close() + this.openBlock('tool', result);
        return out + this.close();
      }
      case 'citation':
        // A stretch of the open text block that a page backs (Gemini grounds text already sent).
        if (this.open !== 'text') return out;
        return out + event('content_block_delta', { type: 'content_block_delta', index: this.block, delta: { type: 'citations_delta', citation: citationOut(ev.citation, this.text) } });
      case 'text':
        this.text += ev.text;
        if (this.open !== 'text') out += this.close() + this.openBlock('text', { type: 'text', text: '' });
        return out + event('content_block_delta', { type: 'content_block_delta', index: this.block, delta: { type: 'text_delta', text: ev.text } });
      case 'tool_call':
        if (ev.id !== undefined || ev.name !== undefined || this.open !== 'tool' || this.openTool !== ev.index) {
          out += this.close() + this.openBlock('tool', { type: 'tool_use', id: ev.id ?? mintId('toolu_'), name: ev.name ?? '', input: {} });
          this.openTool = ev.index;
        }
        if (ev.args) out += event('content_block_delta', { type: 'content_block_delta', index: this.block, delta: { type: 'input_json_delta', partial_json: ev.args } });
        return out;
      case 'finish':
        this.finish = { reason: ev.finish, stopSequence: ev.stopSequence ?? null };
        return out + this.close();
      case 'end': {
        out += this.close();
        const f = this.finish ?? { reason: 'stop' as const, stopSequence: null };
        out += event('message_delta', {
          type: 'message_delta',
          delta: { stop_reason: stopReason(f.reason, f.stopSequence), stop_sequence: f.reason === 'stop' ? f.stopSequence : null },
          usage: usageOut(usage()),
        });
        return out + event('message_stop', { type: 'message_stop' });
      }
      default:
        return out;
    }
  }

  private start(usage: () => Usage): string {
    if (this.started) return '';
    this.started = true;
    const u = usage();
    const message = { id: mintId('msg_'), type: 'message', role: 'assistant', model: this.ctx.model, content: [], stop_reason: null, stop_sequence: null, usage: { ...usageOut(u), output_tokens: 0 } };
    return event('message_start', { type: 'message_start', message });
  }

  private openBlock(kind: 'text' | 'thinking' | 'tool', block: Json): string {
    this.block++;
    this.open = kind;
    return event('content_block_start', { type: 'content_block_start', index: this.block, content_block: block });
  }

  private close(): string {
    if (!this.open) return '';
    this.open = null;
    this.openTool = -1;
    return event('content_block_stop', { type: 'content_block_stop', index: this.block });
  }
}

function hidesReasoning(ctx: EncodeContext): boolean {
  return ctx.request.kind === 'chat' && ctx.request.hideReasoning === true;
}

function event(name: string, data: unknown): string {
  return `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
}

export function anthropicStreamError(type: string, message: string): string {
  return event('error', { type: 'error', error: { type, message } });
}

// ---- provider side: canonical → Anthropic request ----

function renderRequest(req: CanonicalRequest, upstreamModel: string): Json {
  const chat = asChat(req, 'Anthropic');
  if (chat.n !== undefined && chat.n > 1) throw unsupported('Anthropic models return one answer per request; `n` greater than 1 is not supported for this model.', 'n');
  const out: Json = { model: upstreamModel, max_tokens: chat.maxTokens ?? DEFAULT_MAX_TOKENS, messages: renderMessages(chat.messages) };
  if (chat.system.length) out.system = chat.system.join('\n\n');
  if (chat.stream) out.stream = true;
  // Anthropic's range is 0–1 where OpenAI's is 0–2: values above 1 are clamped, not rescaled, so
  // the common 0–1 settings keep their meaning.
  if (chat.temperature !== undefined) out.temperature = Math.min(1, chat.temperature);
  if (chat.topP !== undefined) out.top_p = chat.topP;
  if (chat.topK !== undefined) out.top_k = chat.topK;
  if (chat.stop?.length) out.stop_sequences = chat.stop;
  if (chat.tools.length) out.tools = chat.tools.map((t) => ({ name: t.name, ...(t.description ? { description: t.description } : {}), input_schema: t.parameters }));
  if (chat.webSearch) out.tools = [...((out.tools as Json[] | undefined) ?? []), webSearchTool(chat.webSearch)];
  const choice = toolChoiceOut(chat.toolChoice, chat.parallelToolCalls === false && chat.tools.length > 0);
  if (choice && chat.tools.length) out.tool_choice = choice;
  if (chat.responseFormat) {
    // JSON mode becomes structured output; a bare "JSON object" request gets the loosest schema.
    const schema = chat.responseFormat.type === 'json_schema' ? chat.responseFormat.schema : { type: 'object' };
    out.output_config = { format: { type: 'json_schema', schema } };
  }
  if (chat.user) out.metadata = { user_id: chat.user };
  withThinking(out, chat);
  // Signed thinking goes back only to a call that thinks (a turn without thinking takes none).
  if (!out.thinking) for (const m of out.messages as { role: string; content: Json[] }[]) m.content = m.content.filter((b) => !isSigned(b));
  return out;
}

/**
 * A reasoning effort as extended thinking (https://docs.anthropic.com/en/docs/build-with-claude/extended-thinking):
 * a budget of at least 1024 tokens that `max_tokens` must exceed (thinking counts in it, as reasoning
 * counts in the Responses API's `max_output_tokens`: a caller's limit is kept and the budget fits
 * under it; without one the answer keeps its default room beside the budget). Thinking takes no
 * forced tool choice and no sampling settings other than the defaults, so a forced choice leaves
 * thinking off and the sampling settings are left out. `none` leaves it off.
 *
 * Inside a tool loop (the last assistant turn called tools) Anthropic wants that turn to begin with
 * the signed thinking it produced. A caller of another dialect sends it back only where its dialect
 * can carry it (the Responses API's reasoning items, see SignedReasoning): then thinking stays on;
 * otherwise it stays off until the loop ends (the next user turn thinks again), where enabling it
 * would be refused.
 */
function withThinking(out: Json, chat: CanonicalChatRequest): void {
  const wanted = thinkingBudget(chat.reasoningEffort);
  if (!wanted) return;
  const forced = out.tool_choice !== undefined && ['any', 'tool'].includes(String((out.tool_choice as Json).type));
  if (forced) return;
  for (let i = chat.messages.length - 1; i >= 0; i--) {
    const m = chat.messages[i];
    if (m.role !== 'assistant') continue;
    if (m.toolCalls.length && !m.signedReasoning?.blocks.length) return;
    break;
  }
  const budget = chat.maxTokens === undefined ? wanted : Math.min(wanted, chat.maxTokens - 1);
  if (budget < MIN_THINKING_BUDGET) return;
  out.thinking = { type: 'enabled', budget_tokens: budget };
  if (chat.maxTokens === undefined) out.max_tokens = budget + DEFAULT_MAX_TOKENS;
  delete out.temperature;
  delete out.top_p;
  delete out.top_k;
}

function toolChoiceOut(c: ToolChoice | undefined, noParallel: boolean): Json | undefined {
  let out: Json | undefined;
  if (c === 'auto') out = { type: 'auto' };
  else if (c === 'required') out = { type: 'any' };
  else if (c === 'none') out = { type: 'none' };
  else if (c) out = { type: 'tool', name: c.name };
  if (noParallel && out?.type !== 'none') out = { ...(out ?? { type: 'auto' }), disable_parallel_tool_use: true };
  return out;
}

/** Turns alternate and tool results ride in user turns, ahead of any text (§3.2). */
function renderMessages(messages: CanonicalMessage[]): Json[] {
  const out: { role: 'user' | 'assistant'; content: Json[] }[] = [];
  const push = (role: 'user' | 'assistant', blocks: Json[], resultsFirst = false) => {
    const last = out[out.length - 1];
    if (last && last.role === role) {
      if (resultsFirst) last.content.splice(last.content.filter((b) => b.type === 'tool_result').length, 0, ...blocks);
      else last.content.push(...blocks);
    } else out.push({ role, content: [...blocks] });
  };
  for (const m of messages) {
    if (m.role === 'tool') push('user', [{ type: 'tool_result', tool_use_id: m.toolCallId, content: m.content, ...(m.isError ? { is_error: true } : {}) }], true);
    else if (m.role === 'user') push('user', m.content.map(blockOut).filter((b): b is Json => b !== null));
    else {
      // The provider's own thinking first, as it wrote it (renderRequest drops it when the call does not think).
      const signed = m.signedReasoning?.provider === 'anthropic' ? m.signedReasoning.blocks : [];
      const blocks: Json[] = [...signed, ...m.content.map(blockOut).filter((b): b is Json => b !== null)];
      for (const t of m.toolCalls) blocks.push({ type: 'tool_use', id: t.id, name: t.name, input: argumentsObject(t.arguments) });
      push('assistant', blocks);
    }
  }
  return out.filter((m) => m.content.length > 0);
}

function blockOut(p: CanonicalPart): Json | null {
  if (p.type === 'text') return p.text ? { type: 'text', text: p.text } : null;
  if (p.source.kind === 'base64') return { type: 'image', source: { type: 'base64', media_type: p.source.mediaType, data: p.source.data } };
  return { type: 'image', source: { type: 'url', url: p.source.url } };
}

// ---- provider side: Anthropic answer → canonical ----

export function finishIn(raw: unknown): FinishReason {
  switch (raw) {
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'refusal':
      return 'content_filter';
    default:
      return 'stop';
  }
}

/**
 * Anthropic's uncached input + cache writes + cache reads = the whole prompt; cache reads are the
 * cached part; writes are split by lifetime (`cache_creation.ephemeral_5m_input_tokens` /
 * `ephemeral_1h_input_tokens`; without that split every write is a 5-minute one, Anthropic's default
 * lifetime). A report without `input_tokens` (a stream's message_delta) keeps the input side of `prev`.
 */
export function usageIn(u: unknown, prev?: Usage): Usage | null {
  const o = obj(u);
  if (!o) return null;
  const output = num(o.output_tokens) ?? prev?.completionTokens ?? 0;
  // Web searches Anthropic ran (priced per search): the latest report's count, else the earlier one's.
  const searches = searchesIn(o) ?? prev?.searches;
  if (typeof o.input_tokens !== 'number') {
    const keep = usageFrom(prev?.promptTokens ?? 0, output, prev?.cachedTokens ?? 0);
    if (prev?.cacheWrite5mTokens) keep.cacheWrite5mTokens = prev.cacheWrite5mTokens;
    if (prev?.cacheWrite1hTokens) keep.cacheWrite1hTokens = prev.cacheWrite1hTokens;
    if (searches) keep.searches = searches;
    return keep;
  }
  const read = num(o.cache_read_input_tokens) ?? 0;
  const written = num(o.cache_creation_input_tokens) ?? 0;
  const split = obj(o.cache_creation);
  const h1 = Math.min(written, num(split?.ephemeral_1h_input_tokens) ?? 0);
  const m5 = written - h1;
  const usage = usageFrom(o.input_tokens + written + read, output, read);
  if (m5 > 0) usage.cacheWrite5mTokens = m5;
  if (h1 > 0) usage.cacheWrite1hTokens = h1;
  if (searches) usage.searches = searches;
  return usage;
}

function parseResponse(body: unknown, req: CanonicalRequest): CanonicalResponse {
  const b = obj(body);
  if (!b || !Array.isArray(b.content)) throw badUpstream();
  let text = '';
  let reasoning = '';
  const signed: Json[] = [];
  const toolCalls: CanonicalToolCall[] = [];
  const web = new AnswerSearches();
  for (const raw of b.content) {
    const block = obj(raw) ?? {};
    const before = text.length;
    if (block.type === 'text') text += str(block.text) ?? '';
    web.block(block, before, text.length);
    if (block.type === 'thinking') reasoning += str(block.thinking) ?? '';
    // Kept whole, as Anthropic wrote them, for a caller that will send them back (see SignedReasoning).
    if (isSigned(block)) signed.push(block);
    else if (block.type === 'tool_use') toolCalls.push({ id: str(block.id) ?? mintId('toolu_'), name: str(block.name) ?? '', arguments: JSON.stringify(block.input ?? {}) });
  }
  return {
    kind: 'chat',
    id: str(b.id) ?? mintId('msg_'),
    model: str(b.model) ?? req.model,
    created: Math.floor(Date.now() / 1000),
    choices: [
      {
        index: 0,
        text,
        toolCalls,
        finish: finishIn(b.stop_reason),
        stopSequence: str(b.stop_sequence) ?? null,
        ...(reasoning ? { reasoning } : {}),
        ...(signed.length ? { signedReasoning: { provider: 'anthropic' as const, blocks: signed } } : {}),
        ...(web.searches.length ? { searches: web.searches } : {}),
        ...(web.citations.length ? { citations: web.citations } : {}),
      },
    ],
    usage: usageIn(b.usage),
  };
}

/** A block Anthropic must get back unchanged: signed thinking, or redacted thinking (its data sealed). */
function isSigned(block: Json): boolean {
  return (block.type === 'thinking' && typeof block.signature === 'string' && block.signature !== '') || (block.type === 'redacted_thinking' && typeof block.data === 'string');
}

const ERROR_STATUS: Record<string, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  permission_error: 403,
  not_found_error: 404,
  rate_limit_error: 429,
  overloaded_error: 529,
  timeout_error: 504,
};

/** Anthropic events → canonical events, tracking which block is which tool call. */
class AnthropicDecoder implements StreamDecoder {
  private usage: Usage | null = null;
  private toolCount = 0;
  private readonly blockTool = new Map<number, number>();
  private readonly web = new StreamSearches();
  /** Thinking blocks being streamed, by index: their text and signature gathered until the block stops. */
  private readonly thinking = new Map<number, Json>();

  decode(ev: { event: string | null; data: string }): CanonicalEvent[] {
    let d: Json;
    try {
      d = JSON.parse(ev.data) as Json;
    } catch {
      return [{ type: 'error', message: 'The provider sent a malformed stream event.', status: 502 }];
    }
    switch (d.type ?? ev.event) {
      case 'message_start': {
        const m = obj(d.message) ?? {};
        const out: CanonicalEvent[] = [{ type: 'start', id: str(m.id), model: str(m.model) }];
        this.usage = usageIn(m.usage);
        if (this.usage) out.push({ type: 'usage', usage: this.usage });
        return out;
      }
      case 'content_block_start': {
        const block = obj(d.content_block) ?? {};
        if (block.type === 'tool_use') {
          const index = this.toolCount++;
          this.blockTool.set(num(d.index) ?? 0, index);
          return [{ type: 'tool_call', choice: 0, index, id: str(block.id) ?? mintId('toolu_'), name: str(block.name) ?? '', args: '' }];
        }
        if (block.type === 'thinking' || block.type === 'redacted_thinking') this.thinking.set(num(d.index) ?? 0, { ...block });
        const searched = this.web.start(num(d.index) ?? 0, block);
        if (block.type === 'text' && typeof block.text === 'string' && block.text) {
          this.web.addText(block.text.length);
          return [{ type: 'text', choice: 0, text: block.text }];
        }
        if (block.type === 'thinking' && typeof block.thinking === 'string' && block.thinking) return [{ type: 'reasoning', choice: 0, text: block.thinking }];
        return searched;
      }
      case 'content_block_delta': {
        const delta = obj(d.delta) ?? {};
        if (this.web.delta(num(d.index) ?? 0, delta)) return [];
        if (delta.type === 'text_delta' && typeof delta.text === 'string') {
          this.web.addText(delta.text.length);
          return [{ type: 'text', choice: 0, text: delta.text }];
        }
        const open = this.thinking.get(num(d.index) ?? 0);
        if (open && delta.type === 'thinking_delta' && typeof delta.thinking === 'string') open.thinking = (str(open.thinking) ?? '') + delta.thinking;
        if (open && delta.type === 'signature_delta' && typeof delta.signature === 'string') open.signature = (str(open.signature) ?? '') + delta.signature;
        if (delta.type === 'thinking_delta' && typeof delta.thinking === 'string' && delta.thinking) return [{ type: 'reasoning', choice: 0, text: delta.thinking }];
        if (delta.type === 'input_json_delta' && typeof delta.partial_json === 'string' && delta.partial_json) {
          const index = this.blockTool.get(num(d.index) ?? 0);
          return index === undefined ? [] : [{ type: 'tool_call', choice: 0, index, args: delta.partial_json }];
        }
        return [];
      }
      case 'content_block_stop': {
        const index = num(d.index) ?? 0;
        const block = this.thinking.get(index);
        this.thinking.delete(index);
        const out = this.web.stop(index);
        if (block && isSigned(block)) out.push({ type: 'signed_reasoning', choice: 0, provider: 'anthropic', block });
        return out;
      }
      case 'message_delta': {
        const delta = obj(d.delta) ?? {};
        const out: CanonicalEvent[] = [];
        if (delta.stop_reason != null) out.push({ type: 'finish', choice: 0, finish: finishIn(delta.stop_reason), stopSequence: str(delta.stop_sequence) ?? null });
        // message_delta's output_tokens is cumulative: it replaces, never adds.
        const u = usageIn(d.usage, this.usage ?? undefined);
        if (u) {
          this.usage = u;
          out.push({ type: 'usage', usage: u });
        }
        return out;
      }
      case 'message_stop':
        return [{ type: 'end' }];
      case 'error': {
        const e = obj(d.error) ?? {};
        return [{ type: 'error', message: str(e.message) ?? 'The provider reported an error.', status: ERROR_STATUS[str(e.type) ?? ''] ?? 502 }];
      }
      default:
        return []; // ping and event types added later
    }
  }

  finish(): CanonicalEvent[] {
    return [];
  }
}

export function anthropicErrorType(err: GatewayError): string {
  switch (err.kind) {
    case 'invalid_request':
    case 'conflict':
      return 'invalid_request_error';
    case 'authentication':
      return 'authentication_error';
    case 'permission':
      return 'permission_error';
    case 'not_found':
      return 'not_found_error';
    case 'payload_too_large':
      return 'request_too_large';
    case 'rate_limit':
      return 'rate_limit_error';
    case 'insufficient_quota':
      return 'billing_error';
    case 'upstream_timeout':
      return 'timeout_error';
    case 'overloaded':
    // The gateway's database or Redis is out for a moment: "temporarily unable, retry" in Anthropic's
    // words (the status stays 503, see errors.ts).
    case 'unavailable':
      return 'overloaded_error';
    default:
      return 'api_error';
  }
}
