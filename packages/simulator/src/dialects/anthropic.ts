// Anthropic Messages (§3): /v1/messages (plain and the exact SSE event sequence),
// /v1/messages/count_tokens and GET /v1/models, with Anthropic's error envelope.
import { createHash } from 'node:crypto';
import { stripDirective } from '../controls.js';
import { generate, type Conversation, type ToolChoice, type ToolSpec } from '../generate.js';
import { header } from '../http.js';
import type { Ctx, Dialect, Outcome, Route } from '../route.js';
import { namedEvent } from '../sse.js';
import type { TokenCounter } from '../tokens.js';
import { splitEven } from '../tokens.js';
import { IMAGE_TOKENS } from './openai-chat.js';
import { asksToSearch, citedSplit, runSearch, SEARCH_PREFACE, type SimulatedSearch } from '../search.js';
import { bearer, isAnthropicRequest } from './openai.js';
import { reasoningText } from './deepseek.js';
import { sealedData, sign, verify, verifySealed } from '../signatures.js';

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  504: 'timeout_error',
  529: 'overloaded_error',
};

export function anthropicError(status: number, message: string, type?: string): Outcome {
  const t = type ?? ERROR_TYPES[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
  return { kind: 'json', status, body: { type: 'error', error: { type: t, message }, request_id: 'req_sim' }, headers: { 'request-id': 'req_sim' } };
}

export const anthropicDialect: Dialect = {
  name: 'anthropic',
  authorize(ctx, apiKey) {
    const key = header(ctx.req, 'x-api-key') ?? bearer(ctx.req);
    if (key === apiKey) return null;
    return anthropicError(401, key ? 'invalid x-api-key' : 'x-api-key header is required');
  },
  error: (status, message, code) => anthropicError(status, message, code),
  modelNotFound: (model) => anthropicError(404, `model: ${model}`),
};

type Block = { type?: string; text?: string; source?: unknown; name?: string; input?: unknown; content?: unknown; cache_control?: { ttl?: unknown } };
type Msg = { role?: string; content?: string | Block[] };

function blocks(content: unknown): Block[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  return Array.isArray(content) ? (content.filter((b) => b && typeof b === 'object') as Block[]) : [];
}

/** Text carried by a block list: text blocks, tool inputs and tool results. */
function blockText(list: Block[]): string {
  const parts: string[] = [];
  for (const b of list) {
    if (b.type === 'text' && typeof b.text === 'string') parts.push(stripDirective(b.text));
    else if (b.type === 'tool_use') parts.push(`${b.name ?? ''}${JSON.stringify(b.input ?? {})}`);
    else if (b.type === 'tool_result') parts.push(toolResultText(b.content));
  }
  return parts.join('\n');
}

function toolResultText(content: unknown): string {
  if (typeof content === 'string') return stripDirective(content);
  return blocks(content)
    .filter((b) => b.type === 'text')
    .map((b) => stripDirective(b.text ?? ''))
    .join('\n');
}

const hasCache = (list: Block[] | unknown[]): boolean => list.some((b) => !!b && typeof b === 'object' && (b as Block).cache_control !== undefined);

export function anthropicDirectiveText(body: { messages?: Msg[] }): string {
  const msgs = Array.isArray(body.messages) ? body.messages : [];
  for (let i = msgs.length - 1; i >= 0; i--) {
    if (msgs[i]?.role !== 'user') continue;
    return blocks(msgs[i].content)
      .map((b) => (b.type === 'text' ? b.text ?? '' : b.type === 'tool_result' && typeof b.content === 'string' ? b.content : ''))
      .join('\n');
  }
  return '';
}

/** A cache_control breakpoint: the prompt tokens up to it, the prefix's identity, its lifetime. */
export interface Breakpoint {
  tokens: number;
  key: string;
  ttl: '5m' | '1h';
}

const ttlOf = (list: Block[] | unknown[]): '5m' | '1h' =>
  list.some((b) => !!b && typeof b === 'object' && (b as Block).cache_control?.ttl === '1h') ? '1h' : '5m';

/**
 * Input tokens: the OpenAI cookbook rule applied to the same turns (3 + role + text per turn,
 * system counted as a turn, 3 for the primer) plus serialised tools and 85 per image. Each part
 * (the tool list, the system prompt, a turn) holding a cache_control block is a breakpoint: the
 * prompt up to the end of that part, identified by the model and the exact JSON of that prefix.
 */
export function countAnthropicPrompt(body: any, tokens: TokenCounter): { total: number; breakpoints: Breakpoint[] } { // eslint-disable-line @typescript-eslint/no-explicit-any
  let total = 3;
  const breakpoints: Breakpoint[] = [];
  const prefix = createHash('sha256').update(String(body.model ?? ''));
  const mark = (list: Block[] | unknown[], part: unknown) => {
    prefix.update(JSON.stringify(part) ?? '');
    if (hasCache(list)) breakpoints.push({ tokens: total, key: prefix.copy().digest('hex'), ttl: ttlOf(list) });
  };
  const tools = Array.isArray(body.tools) ? body.tools : [];
  if (tools.length) {
    total += tokens.count(JSON.stringify(tools));
    mark(tools, tools);
  }
  if (body.system !== undefined) {
    const sys = blocks(body.system);
    total += 3 + tokens.count('system') + tokens.count(blockText(sys));
    mark(sys, body.system);
  }
  for (const m of Array.isArray(body.messages) ? (body.messages as Msg[]) : []) {
    const list = blocks(m?.content);
    total += 3 + tokens.count(String(m?.role ?? '')) + tokens.count(blockText(list));
    total += list.filter((b) => b.type === 'image').length * IMAGE_TOKENS;
    mark(list, m);
  }
  return { total, breakpoints };
}

/** Prefixes written to the simulated prompt cache, per simulator instance. */
const promptCaches = new WeakMap<object, Set<string>>();

/**
 * Anthropic's prompt cache, simulated: the longest breakpoint prefix written before is read
 * (`cache_read_input_tokens`); the prompt from there to the last breakpoint is written, each
 * stretch in the bucket of the breakpoint that ends it (`ttl: "1h"` or the default 5 minutes);
 * every breakpoint prefix is then in the cache. No minimum length, no expiry.
 */
export function promptCacheUsage(sim: object, breakpoints: Breakpoint[]): { read: number; write5m: number; write1h: number } {
  let cache = promptCaches.get(sim);
  if (!cache) promptCaches.set(sim, (cache = new Set()));
  let read = 0;
  for (const b of breakpoints) if (cache.has(b.key)) read = Math.max(read, b.tokens);
  let write5m = 0;
  let write1h = 0;
  let from = read;
  for (const b of breakpoints) {
    if (b.tokens <= from) continue;
    if (b.ttl === '1h') write1h += b.tokens - from;
    else write5m += b.tokens - from;
    from = b.tokens;
  }
  for (const b of breakpoints) cache.add(b.key);
  return { read, write5m, write1h };
}

function parseConversation(body: any): Conversation { // eslint-disable-line @typescript-eslint/no-explicit-any
  const msgs: Msg[] = Array.isArray(body.messages) ? body.messages : [];
  let lastUser: Block[] = [];
  for (let i = msgs.length - 1; i >= 0; i--) if (msgs[i]?.role === 'user') { lastUser = blocks(msgs[i].content); break; }
  const last = msgs[msgs.length - 1];
  const lastBlocks = last?.role === 'user' ? blocks(last.content) : [];
  const results = lastBlocks.filter((b) => b.type === 'tool_result');
  const tools: ToolSpec[] = (Array.isArray(body.tools) ? body.tools : [])
    .filter((t: { input_schema?: unknown; name?: unknown }) => t && typeof t.name === 'string' && t.input_schema)
    .map((t: { name: string; input_schema: unknown }) => ({ name: t.name, parameters: t.input_schema }));
  const tc = body.tool_choice;
  let toolChoice: ToolChoice = 'auto';
  if (tc?.type === 'none') toolChoice = 'none';
  else if (tc?.type === 'any') toolChoice = 'required';
  else if (tc?.type === 'tool' && typeof tc.name === 'string') toolChoice = { name: tc.name };
  const fmt = body.output_config?.format;
  return {
    lastUserText: lastUser.filter((b) => b.type === 'text').map((b) => stripDirective(b.text ?? '')).join('\n'),
    imageCount: lastUser.filter((b) => b.type === 'image').length,
    toolResult: results.length ? results.map((r) => toolResultText(r.content)).join('\n') : null,
    tools,
    toolChoice,
    parallel: tc?.disable_parallel_tool_use !== true,
    json: fmt?.type === 'json_schema' ? { schema: fmt.schema } : null,
    maxTokens: typeof body.max_tokens === 'number' ? body.max_tokens : undefined,
    stop: Array.isArray(body.stop_sequences) ? body.stop_sequences.filter((s: unknown) => typeof s === 'string') : [],
  };
}

function validate(ctx: Ctx, needMaxTokens: boolean): Outcome | null {
  if (!header(ctx.req, 'anthropic-version')) return anthropicError(400, 'anthropic-version: header is required');
  const b = ctx.body;
  if (!b || typeof b !== 'object') return anthropicError(400, 'Request body must be a JSON object');
  if (typeof b.model !== 'string') return anthropicError(400, 'model: Field required');
  if (needMaxTokens && typeof b.max_tokens !== 'number') return anthropicError(400, 'max_tokens: Field required');
  if (!Array.isArray(b.messages) || b.messages.length === 0) return anthropicError(400, 'messages: Field required');
  return needMaxTokens ? validateThinking(b) ?? verifyThinkingBlocks(ctx) : null;
}

/**
 * Anthropic's test string that makes the model answer with a `redacted_thinking` block
 * (docs.anthropic.com/en/docs/build-with-claude/extended-thinking#thinking-redaction).
 */
export const REDACTED_THINKING_TRIGGER = 'ANTHROPIC_MAGIC_STRING_TRIGGER_REDACTED_THINKING_46C9A13E193C177646C7398A98432ECCCE4C1253';

/**
 * Thinking blocks sent back in assistant turns must be the ones the model wrote, unchanged: a
 * `thinking` block's `signature` covers its text, a `redacted_thinking` block's `data` is sealed.
 * A missing, changed or made-up one is refused as Anthropic refuses it (400 invalid_request_error
 * naming the block).
 */
function verifyThinkingBlocks(ctx: Ctx): Outcome | null {
  const msgs: Msg[] = ctx.body.messages;
  for (let i = 0; i < msgs.length; i++) {
    if (msgs[i]?.role !== 'assistant' || !Array.isArray(msgs[i].content)) continue;
    const list = msgs[i].content as (Block & { thinking?: unknown; signature?: unknown; data?: unknown })[];
    for (let j = 0; j < list.length; j++) {
      const b = list[j];
      if (b?.type === 'thinking') {
        if (b.signature === undefined) return anthropicError(400, `messages.${i}.content.${j}.thinking.signature: Field required`);
        if (typeof b.thinking !== 'string' || !verify(ctx.sim, 'thinking', b.thinking, b.signature)) return anthropicError(400, `messages.${i}.content.${j}: Invalid \`signature\` in \`thinking\` block`);
      } else if (b?.type === 'redacted_thinking') {
        if (b.data === undefined) return anthropicError(400, `messages.${i}.content.${j}.redacted_thinking.data: Field required`);
        if (!verifySealed(ctx.sim, b.data)) return anthropicError(400, `messages.${i}.content.${j}: Invalid \`data\` in \`redacted_thinking\` block`);
      }
    }
  }
  return null;
}

/**
 * The thinking blocks of an answer when thinking is on (`enabled`, or `adaptive`, where this model
 * always thinks): the deterministic chain of thought, signed; a `redacted_thinking` block instead
 * when the user's turn holds Anthropic's trigger string.
 */
function thinkingBlocks(ctx: Ctx, conv: Conversation): { blocks: Array<Record<string, string>>; tokens: number } {
  const mode = ctx.body.thinking?.type;
  if (mode !== 'enabled' && mode !== 'adaptive') return { blocks: [], tokens: 0 };
  const thought = reasoningText(conv);
  const blocks: Array<Record<string, string>> = [{ type: 'thinking', thinking: thought, signature: sign(ctx.sim, 'thinking', thought) }];
  let tokens = ctx.sim.tokens.count(thought);
  if (anthropicDirectiveText(ctx.body).includes(REDACTED_THINKING_TRIGGER)) {
    blocks.push({ type: 'redacted_thinking', data: sealedData(ctx.sim) });
    tokens += 16;
  }
  return { blocks, tokens };
}

/**
 * Extended thinking's rules as Anthropic enforces them (docs.anthropic.com/en/docs/build-with-claude/extended-thinking):
 * a budget of at least 1024 below `max_tokens`, no temperature but 1, no top_k, no forced tool
 * choice, and in a tool loop the last assistant turn must begin with its thinking.
 */
function validateThinking(b: any): Outcome | null { // eslint-disable-line @typescript-eslint/no-explicit-any
  if (b.thinking?.type !== 'enabled') return null;
  const budget = b.thinking.budget_tokens;
  if (!Number.isInteger(budget) || budget < 1024) return anthropicError(400, 'thinking.enabled.budget_tokens: Input should be greater than or equal to 1024');
  if (typeof b.max_tokens === 'number' && b.max_tokens <= budget) return anthropicError(400, '`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#max-tokens-and-context-window-size');
  if (b.temperature !== undefined && b.temperature !== 1) return anthropicError(400, '`temperature` may only be set to 1 when thinking is enabled. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#feature-compatibility');
  if (b.top_k !== undefined) return anthropicError(400, '`top_k` must be unset when thinking is enabled. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#feature-compatibility');
  if (b.tool_choice?.type === 'any' || b.tool_choice?.type === 'tool') return anthropicError(400, 'Thinking may not be enabled when tool_choice forces tool use.');
  const lastAssistant = [...b.messages].reverse().find((m: any) => m?.role === 'assistant'); // eslint-disable-line @typescript-eslint/no-explicit-any
  const blocks = Array.isArray(lastAssistant?.content) ? lastAssistant.content : [];
  if (blocks.some((x: any) => x?.type === 'tool_use') && !['thinking', 'redacted_thinking'].includes(blocks[0]?.type)) // eslint-disable-line @typescript-eslint/no-explicit-any
    return anthropicError(400, `messages.${b.messages.lastIndexOf(lastAssistant)}.content.0.type: Expected \`thinking\` or \`redacted_thinking\`, but found \`${blocks[0]?.type}\`. When \`thinking\` is enabled, a final \`assistant\` message must start with a thinking block (preceeding the lastmost set of \`tool_use\` and \`tool_result\` blocks). We recommend you include thinking blocks from previous turns. To avoid this requirement, disable \`thinking\`.`);
  return null;
}

function messages(ctx: Ctx): Outcome {
  const invalid = validate(ctx, true);
  if (invalid) return invalid;
  const { sim, controls } = ctx;
  const body = ctx.body;
  const conv = parseConversation(body);
  // The web search server tool: offered, allowed, and asked for by the user (see search.ts).
  const searchTool = (Array.isArray(body.tools) ? body.tools : []).find((t: { type?: unknown }) => typeof t?.type === 'string' && t.type.startsWith('web_search_'));
  const search: SimulatedSearch | null = searchTool && conv.toolChoice !== 'none' && conv.toolResult === null && asksToSearch(conv.lastUserText) ? runSearch(conv.lastUserText, searchTool.allowed_domains) : null;
  if (search) conv.tools = [];
  const gen = generate(conv, controls, sim.tokens, () => sim.newId('toolu_'));
  const thinking = search ? { blocks: [], tokens: 0 } : thinkingBlocks(ctx, conv);
  // Thinking is output: billed as output tokens, inside output_tokens (Anthropic reports no split).
  const outputTokens = gen.outputTokens + thinking.tokens;
  const prompt = countAnthropicPrompt(body, sim.tokens);
  const cache = promptCacheUsage(sim, prompt.breakpoints);
  const inputTokens = prompt.total - cache.read - cache.write5m - cache.write1h;
  const stopReason = gen.finish === 'tool_calls' ? 'tool_use' : gen.finish === 'length' ? 'max_tokens' : gen.stopSequence ? 'stop_sequence' : 'end_turn';
  const id = sim.newId('msg_');
  const model = body.model as string;
  const cacheFields = {
    cache_creation_input_tokens: cache.write5m + cache.write1h,
    cache_read_input_tokens: cache.read,
    cache_creation: { ephemeral_5m_input_tokens: cache.write5m, ephemeral_1h_input_tokens: cache.write1h },
  };
  const headers = { 'request-id': sim.newId('req_') };
  if (search) return searched(ctx, search, gen.text, stopReason, { id, model, headers, inputTokens, cacheFields, outputTokens: gen.outputTokens + sim.tokens.count(SEARCH_PREFACE) });

  if (!body.stream) {
    const content: unknown[] = [
      ...thinking.blocks,
      ...(gen.toolCalls.length ? gen.toolCalls.map((c) => ({ type: 'tool_use', id: c.id, name: c.name, input: JSON.parse(c.arguments) })) : [{ type: 'text', text: gen.text }]),
    ];
    const out: Record<string, unknown> = { id, type: 'message', role: 'assistant', model, content, stop_reason: stopReason, stop_sequence: gen.stopSequence };
    if (!controls.noUsage) {
      out.usage = {
        input_tokens: inputTokens,
        output_tokens: outputTokens,
        ...cacheFields,
        server_tool_use: null,
        service_tier: 'standard',
      };
    }
    return { kind: 'json', body: out, headers };
  }

  const events: string[] = [];
  /** Indexes of the deltas that carry content (for the cut and stall faults). */
  const content: number[] = [];
  const message: Record<string, unknown> = { id, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null };
  if (!controls.noUsage) message.usage = { input_tokens: inputTokens, output_tokens: 1, ...cacheFields };
  events.push(namedEvent('message_start', { type: 'message_start', message }));
  // Thinking first: content_block_start {thinking:"", signature:""}, thinking_delta pieces, then one
  // signature_delta; a redacted block arrives whole.
  thinking.blocks.forEach((b, index) => {
    if (b.type === 'redacted_thinking') {
      events.push(namedEvent('content_block_start', { type: 'content_block_start', index, content_block: b }));
    } else {
      events.push(namedEvent('content_block_start', { type: 'content_block_start', index, content_block: { type: 'thinking', thinking: '', signature: '' } }));
      for (const piece of splitEven(b.thinking, controls.chunks)) {
        if (!piece) continue;
        content.push(events.length);
        events.push(namedEvent('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'thinking_delta', thinking: piece } }));
      }
      events.push(namedEvent('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'signature_delta', signature: b.signature } }));
    }
    events.push(namedEvent('content_block_stop', { type: 'content_block_stop', index }));
  });
  const first = thinking.blocks.length;
  if (gen.toolCalls.length) {
    gen.toolCalls.forEach((c, i) => {
      const index = first + i;
      events.push(namedEvent('content_block_start', { type: 'content_block_start', index, content_block: { type: 'tool_use', id: c.id, name: c.name, input: {} } }));
      events.push(namedEvent('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: '' } }));
      for (const frag of splitEven(c.arguments, Math.max(2, controls.chunks))) {
        content.push(events.length);
        events.push(namedEvent('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: frag } }));
      }
      events.push(namedEvent('content_block_stop', { type: 'content_block_stop', index }));
    });
  } else {
    events.push(namedEvent('content_block_start', { type: 'content_block_start', index: first, content_block: { type: 'text', text: '' } }));
    events.push(namedEvent('ping', { type: 'ping' }));
    for (const piece of splitEven(gen.text, controls.chunks)) {
      if (!piece) continue;
      content.push(events.length);
      events.push(namedEvent('content_block_delta', { type: 'content_block_delta', index: first, delta: { type: 'text_delta', text: piece } }));
    }
    events.push(namedEvent('content_block_stop', { type: 'content_block_stop', index: first }));
  }
  const delta: Record<string, unknown> = { type: 'message_delta', delta: { stop_reason: stopReason, stop_sequence: gen.stopSequence } };
  if (!controls.noUsage) delta.usage = { output_tokens: outputTokens };
  events.push(namedEvent('message_delta', delta));
  events.push(namedEvent('message_stop', { type: 'message_stop' }));
  return { kind: 'sse', events, headers, content };
}

/**
 * An answer that searched the web, as Anthropic's server tool answers: a preface, the
 * `server_tool_use` block (its query), the `web_search_tool_result` block (the pages), then the
 * reply, its last sentence cited from the first page; `usage.server_tool_use.web_search_requests`
 * is 1. Streamed, the query comes in `input_json_delta` fragments, the results whole, the citation
 * in a `citations_delta` ahead of its text.
 */
function searched(
  ctx: Ctx,
  search: SimulatedSearch,
  reply: string,
  stopReason: string,
  m: { id: string; model: string; headers: Record<string, string>; inputTokens: number; cacheFields: Record<string, unknown>; outputTokens: number },
): Outcome {
  const { sim, controls } = ctx;
  const toolId = sim.newId('srvtoolu_');
  const results = search.pages.map((p, i) => ({ type: 'web_search_result', url: p.url, title: p.title, encrypted_content: `sim-page-${i + 1}`, page_age: 'January 1, 2025' }));
  const { before, cited } = citedSplit(reply);
  const citation = { type: 'web_search_result_location', url: search.pages[0].url, title: search.pages[0].title, cited_text: cited, encrypted_index: 'sim-index-1' };
  const usage = controls.noUsage ? undefined : { input_tokens: m.inputTokens, output_tokens: m.outputTokens, ...m.cacheFields, server_tool_use: { web_search_requests: 1 }, service_tier: 'standard' };
  if (!ctx.body.stream) {
    const content: unknown[] = [
      { type: 'text', text: SEARCH_PREFACE },
      { type: 'server_tool_use', id: toolId, name: 'web_search', input: { query: search.query } },
      { type: 'web_search_tool_result', tool_use_id: toolId, content: results },
    ];
    if (before) content.push({ type: 'text', text: before });
    content.push({ type: 'text', text: cited, citations: [citation] });
    return { kind: 'json', body: { id: m.id, type: 'message', role: 'assistant', model: m.model, content, stop_reason: stopReason, stop_sequence: null, ...(usage ? { usage } : {}) }, headers: m.headers };
  }
  const events: string[] = [];
  const content: number[] = [];
  const message: Record<string, unknown> = { id: m.id, type: 'message', role: 'assistant', model: m.model, content: [], stop_reason: null, stop_sequence: null };
  if (usage) message.usage = { input_tokens: m.inputTokens, output_tokens: 1, ...m.cacheFields };
  events.push(namedEvent('message_start', { type: 'message_start', message }));
  let index = 0;
  const text = (t: string, citations?: unknown[]) => {
    events.push(namedEvent('content_block_start', { type: 'content_block_start', index, content_block: citations ? { type: 'text', text: '', citations: [] } : { type: 'text', text: '' } }));
    for (const c of citations ?? []) events.push(namedEvent('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'citations_delta', citation: c } }));
    for (const piece of splitEven(t, controls.chunks)) {
      if (!piece) continue;
      content.push(events.length);
      events.push(namedEvent('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'text_delta', text: piece } }));
    }
    events.push(namedEvent('content_block_stop', { type: 'content_block_stop', index: index++ }));
  };
  text(SEARCH_PREFACE);
  events.push(namedEvent('content_block_start', { type: 'content_block_start', index, content_block: { type: 'server_tool_use', id: toolId, name: 'web_search', input: {} } }));
  for (const frag of splitEven(JSON.stringify({ query: search.query }), 3)) events.push(namedEvent('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: frag } }));
  events.push(namedEvent('content_block_stop', { type: 'content_block_stop', index: index++ }));
  events.push(namedEvent('content_block_start', { type: 'content_block_start', index, content_block: { type: 'web_search_tool_result', tool_use_id: toolId, content: results } }));
  events.push(namedEvent('content_block_stop', { type: 'content_block_stop', index: index++ }));
  if (before) text(before);
  text(cited, [citation]);
  const delta: Record<string, unknown> = { type: 'message_delta', delta: { stop_reason: stopReason, stop_sequence: null } };
  if (usage) delta.usage = { output_tokens: m.outputTokens, server_tool_use: { web_search_requests: 1 } };
  events.push(namedEvent('message_delta', delta));
  events.push(namedEvent('message_stop', { type: 'message_stop' }));
  return { kind: 'sse', events, headers: m.headers, content };
}

function countTokens(ctx: Ctx): Outcome {
  const invalid = validate(ctx, false);
  if (invalid) return invalid;
  return { kind: 'json', body: { input_tokens: countAnthropicPrompt(ctx.body, ctx.sim.tokens).total } };
}

const CLAUDE_MODELS = ['claude-sonnet-4-5', 'claude-opus-4-1', 'claude-3-5-haiku-latest'];

function models(ctx: Ctx): Outcome {
  const ids = ctx.sim.options.models ?? CLAUDE_MODELS;
  const data = ids.map((id) => ({ type: 'model', id, display_name: id.replace(/-/g, ' '), created_at: '2025-01-01T00:00:00Z' }));
  return { kind: 'json', body: { data, has_more: false, first_id: ids[0] ?? null, last_id: ids[ids.length - 1] ?? null } };
}

const bodyModel = (ctx: Ctx): string | undefined => (typeof ctx.body?.model === 'string' ? ctx.body.model : undefined);

export const anthropicRoutes: Route[] = [
  { method: 'POST', pattern: /^\/v1\/messages\/?$/, dialect: anthropicDialect, directiveText: anthropicDirectiveText, model: bodyModel, handle: messages },
  { method: 'POST', pattern: /^\/v1\/messages\/count_tokens\/?$/, dialect: anthropicDialect, model: bodyModel, handle: countTokens },
  { method: 'GET', pattern: /^\/v1\/models\/?$/, dialect: anthropicDialect, when: isAnthropicRequest, handle: models },
  {
    method: 'GET',
    pattern: /^\/v1\/models\/(?<id>[^/]+)$/,
    dialect: anthropicDialect,
    when: isAnthropicRequest,
    handle: (ctx) => {
      const id = decodeURIComponent(ctx.params.id);
      if (ctx.sim.options.models && !ctx.sim.options.models.includes(id)) return anthropicDialect.modelNotFound(id);
      return { kind: 'json', body: { type: 'model', id, display_name: id, created_at: '2025-01-01T00:00:00Z' } };
    },
  },
];
