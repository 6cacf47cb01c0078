// DeepSeek (https://api-docs.deepseek.com): OpenAI-compatible chat at POST /chat/completions and
// /v1/chat/completions. Differences simulated here:
// - `deepseek-reasoner` (any model containing "reasoner") answers with `reasoning_content` beside
//   `content`; streams send the reasoning deltas first (guides/reasoning_model). `max_tokens`
//   limits the answer only, as the reasoning-model guide first documented it.
// - usage carries the context-cache fields (guides/kv_cache): prompt_cache_hit_tokens,
//   prompt_cache_miss_tokens, prompt_tokens_details.cached_tokens, and always
//   completion_tokens_details.reasoning_tokens (included in completion_tokens).
//
// The simulated prefix cache (per simulator instance, deterministic): every request persists
// each prefix of its message list, and its whole list followed by the reply it got (as
// `{role:"assistant", content}` or the reply's tool calls). A later request hits on the longest
// persisted prefix of its messages that leaves out at least the last message; the hit is that
// prefix's tokens (3 + role + content per message, as counted for prompt_tokens) rounded down to
// a multiple of 64, DeepSeek's cache unit. DELETE /_sim/deepseek/cache empties it.
import { createHash } from 'node:crypto';
import type { Conversation, Generation } from '../generate.js';
import type { Ctx, Dialect, Outcome, Route } from '../route.js';
import { chatCompletion, chatDirectiveText, contentText, countMessage, type ChatFlavor, type ChatMessage } from './openai-chat.js';
import { bearer, openaiError, validateChat } from './openai.js';

export const DEEPSEEK_MODELS = ['deepseek-chat', 'deepseek-reasoner'];
export const CACHE_UNIT_TOKENS = 64;
const MAX_CACHE_KEYS = 20_000;

export const deepseekDialect: Dialect = {
  name: 'deepseek',
  authorize(ctx, apiKey) {
    const key = bearer(ctx.req);
    if (key === apiKey) return null;
    const shown = key ? `****${key.slice(-4)}` : '';
    return {
      kind: 'json',
      status: 401,
      body: { error: { message: `Authentication Fails, Your api key: ${shown} is invalid`, type: 'authentication_error', param: null, code: 'invalid_request_error' } },
    };
  },
  error: (status, message, code) => openaiError(status, message, code),
  modelNotFound: () => ({ kind: 'json', status: 400, body: { error: { message: 'Model Not Exist', type: 'invalid_request_error', param: null, code: 'invalid_request_error' } } }),
};

export const isReasoner = (model: unknown): boolean => typeof model === 'string' && model.includes('reasoner');

/** The deterministic chain of thought of a reasoning model. */
export function reasoningText(conv: Conversation): string {
  if (conv.toolResult !== null) return 'The tool has returned its result. I should pass it on to the user clearly.';
  const snippet = conv.lastUserText.replace(/\s+/g, ' ').trim().slice(0, 60);
  if (!snippet) return 'There is no question yet. I should greet the user briefly.';
  return `The user wrote "${snippet}". I should understand what is asked, then answer directly and briefly.`;
}

type Msg = ChatMessage & { tool_call_id?: unknown };

function messageKey(m: Msg): string {
  if (!m || typeof m !== 'object') return 'null';
  const calls = Array.isArray(m.tool_calls) ? m.tool_calls.map((c) => [c?.function?.name ?? '', c?.function?.arguments ?? '']) : null;
  return JSON.stringify([String(m.role ?? ''), contentText(m.content), calls, m.tool_call_id ?? null, m.name ?? null]);
}

/** keys[k-1] identifies messages[0..k). */
function prefixKeys(messages: Msg[]): string[] {
  const keys: string[] = [];
  let prev = '';
  for (const m of messages) {
    prev = createHash('sha256').update(prev).update('\n').update(messageKey(m)).digest('base64url');
    keys.push(prev);
  }
  return keys;
}

function persist(cache: Set<string>, key: string): void {
  cache.delete(key);
  cache.add(key);
  if (cache.size > MAX_CACHE_KEYS) {
    const drop = cache.size - MAX_CACHE_KEYS;
    let i = 0;
    for (const k of cache) {
      if (i++ >= drop) break;
      cache.delete(k);
    }
  }
}

/** Looks the request up in the prefix cache, persists its own prefixes and reply; returns the hit tokens. */
export function prefixCacheHit(ctx: Ctx, gen: Generation): number {
  const messages: Msg[] = Array.isArray(ctx.body?.messages) ? ctx.body.messages : [];
  const cache = ctx.sim.prefixCache;
  const keys = prefixKeys(messages);
  let hitMessages = 0;
  for (let k = messages.length - 1; k >= 1; k--) {
    if (cache.has(keys[k - 1])) {
      hitMessages = k;
      break;
    }
  }
  let prefixTokens = 0;
  for (let i = 0; i < hitMessages; i++) prefixTokens += countMessage(messages[i], ctx.sim.tokens);
  for (const k of keys) persist(cache, k);
  const reply: Msg = gen.toolCalls.length
    ? { role: 'assistant', content: '', tool_calls: gen.toolCalls.map((c) => ({ function: { name: c.name, arguments: c.arguments } })) }
    : { role: 'assistant', content: gen.text };
  if (keys.length) persist(cache, prefixKeys([...messages, reply]).at(-1)!);
  return Math.floor(prefixTokens / CACHE_UNIT_TOKENS) * CACHE_UNIT_TOKENS;
}

function flavor(model: unknown): ChatFlavor {
  return {
    idPrefix: '',
    object: true,
    streamUsage: 'option',
    systemFingerprint: 'fp_sim_deepseek',
    reasoning: isReasoner(model) ? reasoningText : undefined,
    usage: (ctx, c, gen) => {
      const hit = prefixCacheHit(ctx, gen);
      return {
        prompt_tokens: c.prompt,
        completion_tokens: c.completion,
        total_tokens: c.prompt + c.completion,
        prompt_tokens_details: { cached_tokens: hit },
        completion_tokens_details: { reasoning_tokens: c.reasoning },
        prompt_cache_hit_tokens: hit,
        prompt_cache_miss_tokens: c.prompt - hit,
      };
    },
  };
}

function chat(ctx: Ctx): Outcome {
  return validateChat(ctx, openaiError) ?? chatCompletion(ctx, flavor(ctx.body.model));
}

const bodyModel = (ctx: Ctx): string | undefined => (typeof ctx.body?.model === 'string' ? ctx.body.model : undefined);
export const isDeepseekModel = (body: unknown): boolean => {
  const m = body && typeof body === 'object' ? (body as { model?: unknown }).model : undefined;
  return typeof m === 'string' && m.startsWith('deepseek-');
};

export const deepseekRoutes: Route[] = [
  // DeepSeek's own base URL has no /v1; every model there is a DeepSeek model.
  { method: 'POST', pattern: /^\/chat\/completions\/?$/, dialect: deepseekDialect, directiveText: chatDirectiveText, model: bodyModel, handle: chat },
  // Shared with OpenAI: chosen by the body's model (must come before the OpenAI route).
  { method: 'POST', pattern: /^\/v1\/chat\/completions\/?$/, dialect: deepseekDialect, when: (_req, body) => isDeepseekModel(body), directiveText: chatDirectiveText, model: bodyModel, handle: chat },
  {
    method: 'GET',
    pattern: /^\/models\/?$/,
    dialect: deepseekDialect,
    handle: (ctx) => {
      const ids = ctx.sim.options.models?.filter((m) => m.startsWith('deepseek-')) ?? DEEPSEEK_MODELS;
      return { kind: 'json', body: { object: 'list', data: ids.map((id) => ({ id, object: 'model', owned_by: 'deepseek' })) } };
    },
  },
];
